"""Tests for app.nn.stacked: the stacked layout, and the loss of data sets computed in it."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from app.nn import ACTIVATIONS, LOSSES, Network
from app.nn.losses import mean
from app.nn.stacked import SetLosses, Stacking, with_ones


def _net(activation: str, output: str, loss: str) -> Network:
    config: dict[str, Any] = {
        "inputs": 3,
        "hidden": [{"units": 5, "activation": activation}, {"units": 2, "activation": "tanh"}],
        "output": output,
        "loss": loss,
    }
    if output == "softmax":
        config["classes"] = 3
    net = Network.from_config(config, seed=1)
    rng = np.random.default_rng(2)
    net.theta[...] = rng.normal(0.0, 0.8, net.theta.shape)
    return net


def _labels(net: Network, n: int, rng: np.random.Generator) -> np.ndarray:
    if net.config.output == "linear":
        return rng.normal(0.0, 1.0, n)
    return rng.integers(0, net.config.classes if net.config.output == "softmax" else 2, n)


def test_the_stacked_layout_is_each_layers_weights_then_its_biases() -> None:
    net = _net("tanh", "sigmoid", "cross_entropy")
    stacking = Stacking.of(net)
    stacked = net.theta.take(stacking.where)
    for (W, b), Wb in zip(net.params, stacking.matrices(stacked), strict=True):
        assert_array_equal(Wb[:-1], W)
        assert_array_equal(Wb[-1], b)
    assert_array_equal(stacked.take(stacking.back), net.theta)
    assert stacking.weights.sum() == net.n_weights
    assert_array_equal(
        stacked[stacking.weights == 1.0], np.concatenate([W.ravel() for W, _ in net.params])
    )


def test_with_ones_appends_a_column_of_ones() -> None:
    X = np.arange(6.0).reshape(3, 2)
    assert_array_equal(with_ones(X), [[0, 1, 1], [2, 3, 1], [4, 5, 1]])


@pytest.mark.parametrize(("output", "loss"), list(LOSSES))
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_set_losses_are_each_sets_data_loss(activation: str, output: str, loss: str) -> None:
    net = _net(activation, output, loss)
    rng = np.random.default_rng(3)
    sizes = (17, 9)
    X = rng.normal(0.0, 1.5, (sum(sizes), 3))
    Y = net.targets(_labels(net, sum(sizes), rng))
    ours = SetLosses(net, X, Y, sizes).losses()
    first = net.evaluate(X[:17], Y[:17])[0]
    second = net.evaluate(X[17:], Y[17:])[0]
    assert ours == pytest.approx([first, second], rel=1e-12)


@pytest.mark.parametrize(("output", "loss"), list(LOSSES))
def test_set_losses_give_each_sets_outputs_from_the_same_pass(output: str, loss: str) -> None:
    net = _net("tanh", output, loss)
    rng = np.random.default_rng(6)
    X = rng.normal(0.0, 1.5, (26, 3))
    Y = net.targets(_labels(net, 26, rng))
    sets = SetLosses(net, X, Y, (17, 0, 9))
    sets.losses()
    first, empty, second = sets.outputs()
    assert empty is None and first is not None and second is not None
    assert_allclose(first, net.evaluate(X[:17], Y[:17])[1], rtol=1e-12)
    assert_allclose(second, net.evaluate(X[17:], Y[17:])[1], rtol=1e-12)
    net.theta[...] *= 0.5  # the outputs are those of the weights of the last losses
    assert_array_equal(sets.outputs()[0], first)
    sets.losses()
    assert_allclose(sets.outputs()[0], net.evaluate(X[:17], Y[:17])[1], rtol=1e-12)


@pytest.mark.parametrize("pair", [p for p, entry in LOSSES.items() if entry.terms is not None])
def test_a_loss_with_terms_is_their_mean(pair: tuple[str, str]) -> None:
    entry = LOSSES[pair]
    assert entry.terms is not None
    net = _net("tanh", *pair)
    rng = np.random.default_rng(7)
    Z = rng.normal(0.0, 3.0, (12, net.sizes[-1]))
    A = np.empty_like(Z)
    net.output_value(Z, A)
    Y = net.targets(_labels(net, 12, rng))
    assert mean(entry.terms(Z, A, Y)) == entry.value(Z, A, Y)


def test_set_losses_follow_the_weights_and_skip_empty_sets() -> None:
    net = _net("relu", "sigmoid", "cross_entropy")
    rng = np.random.default_rng(4)
    X = rng.normal(0.0, 1.0, (8, 3))
    Y = net.targets(_labels(net, 8, rng))
    sets = SetLosses(net, X, Y, (0, 8, 0))
    before = sets.losses()
    assert before[0] is None and before[2] is None
    net.theta[...] *= 0.5
    after = sets.losses()
    assert after[1] != before[1]
    assert after[1] == pytest.approx(net.evaluate(X, Y)[0], rel=1e-12)


def test_an_overflowing_network_gives_a_loss_that_is_not_finite() -> None:
    net = _net("linear", "linear", "mse")
    net.theta[...] = 1e200
    X = np.ones((4, 3))
    Y = net.targets(np.zeros(4))
    with np.errstate(all="ignore"):
        (loss,) = SetLosses(net, X, Y, (4,)).losses()
    assert loss is not None and not np.isfinite(loss)


def test_a_pickled_set_losses_follows_its_own_network() -> None:
    net = _net("tanh", "sigmoid", "cross_entropy")
    rng = np.random.default_rng(5)
    X = rng.normal(0.0, 1.0, (10, 3))
    Y = net.targets(_labels(net, 10, rng))
    copy = pickle.loads(pickle.dumps(SetLosses(net, X, Y, (6, 4))))
    copy.net.theta[...] *= 0.5
    net.theta[...] *= 0.5
    assert copy.losses() == SetLosses(net, X, Y, (6, 4)).losses()
    assert copy.losses()[0] == pytest.approx(net.evaluate(X[:6], Y[:6])[0], rel=1e-12)
