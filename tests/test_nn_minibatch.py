"""Tests for app.nn.minibatch: gradient descent's stacked mini-batch steps give the numbers of
the plain loop (``Network.backprop`` then ``Optimizer.update`` on the shuffled batches)."""

from __future__ import annotations

import copy
import math
import zlib
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from app.errors import InvalidInput
from app.nn import ACTIVATIONS, LOSSES, OPTIMIZERS, Network, Trainer, make_optimizer, minibatch
from app.nn.descent import GradientDescent
from app.nn.epochs import NEVER
from app.nn.minibatch import MiniBatches
from app.nn.optimizers import Optimizer
from tests.test_nn import _numeric_gradient

RTOL = 1e-10  # the stacked layout and the folded scale round differently, nothing more
N = 23  # with a batch of 5: four full batches and one of three


def _net(
    activation: str = "tanh",
    output: str = "sigmoid",
    loss: str = "cross_entropy",
    reg: str = "none",
    units: tuple[int, ...] = (4, 3),
    seed: int = 0,
) -> Network:
    config: dict[str, Any] = {
        "inputs": 3,
        "hidden": [{"units": u, "activation": activation} for u in units],
        "output": output,
        "loss": loss,
        "regularization": {"kind": reg, "rate": 0.0 if reg == "none" else 0.01},
    }
    if output == "softmax":
        config["classes"] = 4
    net = Network.from_config(config, seed=seed)
    rng = np.random.default_rng(seed + 1)
    for _, b in net.params:
        b[...] = rng.normal(0.0, 0.3, b.shape)
    return net


def _data(net: Network, n: int = N) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(zlib.crc32(repr(net.config).encode()))
    X = rng.normal(0.0, 1.0, (n, net.sizes[0]))
    if net.config.output == "linear":
        return X, rng.normal(0.0, 1.0, n)
    k = net.config.classes if net.config.output == "softmax" else 2
    return X, rng.integers(0, k, n)


def _reference_epochs(
    net: Network,
    optimizer: Optimizer,
    X: np.ndarray,
    y: np.ndarray,
    batch: int,
    seed: int,
    epochs: int,
) -> None:
    """The plain loop: the trainer's shuffles, ``backprop`` and ``update`` batch by batch."""
    rng = np.random.default_rng(seed)
    Y = net.targets(y)
    n = X.shape[0]
    for _ in range(epochs):
        order = rng.permutation(n) if batch < n else np.arange(n)
        Xs, Ys = X[order], Y[order]
        for start in range(0, n, batch):
            net.backprop(Xs[start : start + batch], Ys[start : start + batch])
            optimizer.update(net.theta, net.grad)


def _both(
    net: Network, kind: str, batch: int = 5, lr: float = 0.1, seed: int = 7
) -> tuple[Trainer, Network, Optimizer, np.ndarray, np.ndarray]:
    """A trainer on ``net`` and, for the plain loop, a copy of the network and an optimizer."""
    X, y = _data(net)
    trainer = Trainer(net, X, y, GradientDescent(make_optimizer(kind, lr=lr), batch), seed=seed)
    return trainer, net.copy(), make_optimizer(kind, lr=lr), X, y


@pytest.mark.parametrize("reg", ["none", "l1", "l2"])
@pytest.mark.parametrize(("output", "loss"), list(LOSSES))
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_an_epoch_gives_the_plain_loops_weights(
    activation: str, output: str, loss: str, reg: str
) -> None:
    net = _net(activation, output, loss, reg)
    trainer, plain, optimizer, X, y = _both(net, "sgd")
    start = net.theta.copy()
    trainer.run(2)
    _reference_epochs(plain, optimizer, X, y, 5, 7, 2)
    assert not np.allclose(net.theta, start)
    assert_allclose(net.theta, plain.theta, rtol=RTOL, atol=1e-13)


@pytest.mark.parametrize(
    "layers",
    [
        [],
        [("relu", 5)],
        [("tanh", 4), ("relu", 3), ("elu", 2)],
        [("swish", 6), ("swish", 1), ("sigmoid", 3)],
        [("tanh", 16)] * 8,
    ],
)
@pytest.mark.parametrize("output", ["sigmoid", "softmax", "linear"])
def test_any_shape_of_network_gives_the_plain_loops_weights(
    layers: list[tuple[str, int]], output: str
) -> None:
    config: dict[str, Any] = {
        "inputs": 3,
        "hidden": [{"units": u, "activation": a} for a, u in layers],
        "output": output,
        "loss": "mse" if output == "linear" else "cross_entropy",
    }
    if output == "softmax":
        config["classes"] = 3
    net = Network.from_config(config, seed=4)
    trainer, plain, optimizer, X, y = _both(net, "adam", lr=0.01)
    trainer.run(2)
    _reference_epochs(plain, optimizer, X, y, 5, 7, 2)
    assert_allclose(net.theta, plain.theta, rtol=RTOL, atol=1e-13)


@pytest.mark.parametrize("kind", OPTIMIZERS)
@pytest.mark.parametrize("batch", [1, 5, N, 100])
def test_every_optimizer_and_its_state_follow_the_plain_loop(kind: str, batch: int) -> None:
    net = _net(reg="l2")
    trainer, plain, optimizer, X, y = _both(net, kind, batch=batch, lr=0.01)
    trainer.run(3)
    _reference_epochs(plain, optimizer, X, y, batch, 7, 3)
    assert_allclose(net.theta, plain.theta, rtol=RTOL, atol=1e-13)
    method = trainer.method
    assert isinstance(method, GradientDescent)
    ours, theirs = method.optimizer.state_dict(), optimizer.state_dict()
    assert ours["t"] == theirs["t"] == 3 * math.ceil(N / batch)
    assert set(ours["state"]) == set(theirs["state"]) == set(type(optimizer).STATE)
    for key, values in ours["state"].items():
        assert_allclose(values, theirs["state"][key], rtol=RTOL, atol=1e-13)


def test_a_full_batch_sgd_step_moves_the_weights_by_lr_times_the_central_differences() -> None:
    net = _net("elu", "softmax", "cross_entropy", "l2")
    X, y = _data(net)
    lr = 1e-3
    numeric = _numeric_gradient(net, X, y)
    before = net.theta.copy()
    Trainer(net, X, y, GradientDescent(make_optimizer("sgd", lr=lr), N), seed=0).run(1)
    assert_allclose((before - net.theta) / lr, numeric, rtol=1e-5, atol=1e-8)


def _cut(trainer: Trainer) -> None:
    """One mini-batch of the epoch in progress (a deadline already passed)."""
    trainer.work(-math.inf)


def test_settings_changed_between_the_slices_of_an_epoch_apply_from_the_next_batch() -> None:
    net = _net(reg="l1")
    trainer, plain, optimizer, X, y = _both(net, "sgd", lr=0.1)
    _cut(trainer)
    _cut(trainer)
    method = trainer.method
    assert isinstance(method, GradientDescent)
    method.configure(lr=0.5)
    net.theta[0] += 0.25
    trainer.run(1)
    assert trainer.step == 5 and not trainer.in_epoch

    Y = plain.targets(y)
    order = np.random.default_rng(7).permutation(N)
    for i, start in enumerate(range(0, N, 5)):
        if i == 2:
            optimizer.configure(lr=0.5)
            plain.theta[0] += 0.25
        plain.backprop(X[order][start : start + 5], Y[order][start : start + 5])
        optimizer.update(plain.theta, plain.grad)
    assert_allclose(net.theta, plain.theta, rtol=RTOL, atol=1e-13)


def test_a_regularization_changed_between_epochs_applies() -> None:
    net = _net()
    trainer, plain, optimizer, X, y = _both(net, "momentum", lr=0.05)
    trainer.run(1)
    _reference_epochs(plain, optimizer, X, y, 5, 7, 1)
    for network in (net, plain):
        network.regularize(type(net.regularization)("l2", 0.3))
    trainer.run(1)
    rng = np.random.default_rng(7)
    rng.permutation(N)  # the first epoch's
    order, Y = rng.permutation(N), plain.targets(y)
    for start in range(0, N, 5):
        plain.backprop(X[order][start : start + 5], Y[order][start : start + 5])
        optimizer.update(plain.theta, plain.grad)
    assert_allclose(net.theta, plain.theta, rtol=RTOL, atol=1e-13)


def test_the_same_epoch_cut_anywhere_gives_the_same_numbers_bit_for_bit() -> None:
    whole_trainer, _, _, _, _ = _both(_net(seed=3), "adam", lr=0.02)
    cut_trainer, _, _, _, _ = _both(_net(seed=3), "adam", lr=0.02)
    whole_trainer.run(3)
    while cut_trainer.epoch < 3:
        _cut(cut_trainer)
    assert_array_equal(whole_trainer.net.theta, cut_trainer.net.theta)


def test_a_copied_trainer_in_the_middle_of_an_epoch_trains_on_like_the_original() -> None:
    trainer, _, _, _, _ = _both(_net(seed=5), "rmsprop", lr=0.01)
    _cut(trainer)
    _cut(trainer)
    twin = copy.deepcopy(trainer)
    assert twin.in_epoch
    trainer.run(2)
    twin.run(2)
    assert_array_equal(twin.net.theta, trainer.net.theta)
    assert twin.net is not trainer.net


def test_the_trainer_keeps_its_own_copy_of_the_training_set() -> None:
    net = _net()
    X, y = _data(net)
    spec = GradientDescent(make_optimizer("sgd", lr=0.1), 5)
    trainer = Trainer(net, X, y, spec, seed=1)
    trainer.run(1)
    X[...] = 0.0  # the caller's array, changed after it was handed over
    trainer.run(1)
    twin_net = _net()
    X2, y2 = _data(twin_net)
    Trainer(twin_net, X2, y2, GradientDescent(make_optimizer("sgd", lr=0.1), 5), seed=1).run(2)
    assert_array_equal(net.theta, twin_net.theta)


def _diverging() -> Trainer:
    net = _net("relu", "linear", "mse", units=(8,))
    X, y = _data(net)
    method = GradientDescent(make_optimizer("momentum", lr=10.0), 5)
    return Trainer(net, X, y * 1e3, method, seed=0)


def test_a_step_that_diverges_is_undone_and_the_ones_before_it_stand() -> None:
    whole, cut = _diverging(), _diverging()
    while whole.work(NEVER):
        pass
    last = cut.net.theta.copy()
    while not cut.diverged:
        _cut(cut)
        if not cut.diverged:
            last = cut.net.theta.copy()
    assert whole.diverged and whole.step == cut.step
    assert whole.step % len_epoch() != 0  # it went wrong in the middle of an epoch
    assert_array_equal(whole.net.theta, last)
    assert_array_equal(cut.net.theta, last)
    assert np.all(np.isfinite(last))
    method = whole.method
    assert isinstance(method, GradientDescent)
    assert method.optimizer.state == {} and not method.pending


def _diverging_sgd(monkeypatch: pytest.MonkeyPatch, check_every: int, kind: str) -> Trainer:
    """Gradient descent that diverges after a few steps, its divergence checked every
    ``check_every`` steps."""
    monkeypatch.setattr(minibatch, "CHECK_EVERY", check_every)
    net = _net("relu", "linear", "mse", units=(8,))
    X, y = _data(net, 400)  # 80 batches an epoch
    lr = {"sgd": 0.003, "momentum": 0.001}[kind]
    return Trainer(net, X, y * 1e3, GradientDescent(make_optimizer(kind, lr=lr), 5), seed=0)


@pytest.mark.parametrize("kind", ["sgd", "momentum"])
@pytest.mark.parametrize("every", [4, minibatch.CHECK_EVERY])
def test_the_step_that_diverged_is_found_as_a_check_after_each_step_would(
    every: int, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked = _diverging_sgd(monkeypatch, every, kind)
    while checked.work(NEVER):
        pass
    cut = _diverging_sgd(monkeypatch, every, kind)  # one step a slice: a check after each
    last, made = cut.net.theta.copy(), 0
    while not cut.diverged:
        _cut(cut)
        if not cut.diverged:
            last, made = cut.net.theta.copy(), made + 1
    assert checked.diverged and checked.step == cut.step == made
    # The step that diverged (``step`` updates were made before it) came after a check of
    # 4 and before the end of its own check: steps after it were made and thrown away.
    assert checked.step > 4 and (checked.step + 1) % every != 0
    assert_array_equal(checked.net.theta, last)
    assert_array_equal(cut.net.theta, last)
    assert np.all(np.isfinite(last))
    method = checked.method
    assert isinstance(method, GradientDescent)
    assert method.optimizer.t == 0 and method.optimizer.state == {}


@pytest.mark.parametrize(("units", "at_least"), [((4, 3), 32), ((16,) * 8, 4)])
def test_a_divergence_check_is_one_short_dot_product(units: tuple[int, ...], at_least: int) -> None:
    net = _net(units=units)
    X, y = _data(net, 400)
    batches = MiniBatches(net, X, net.targets(y), 5)
    rows = batches._past.shape[0] - 1  # steps a check covers
    assert rows == min(minibatch.CHECK_EVERY, minibatch.CHECK_SIZE // net.n_params)
    assert rows >= at_least and rows * net.n_params <= minibatch.CHECK_SIZE


def len_epoch() -> int:
    return math.ceil(N / 5)


def test_an_imported_epoch_position_between_two_batches_is_refused() -> None:
    trainer, _, _, _, _ = _both(_net(), "sgd")
    _cut(trainer)
    state = trainer.state_dict()
    state["method"]["pending"]["at"] = 3
    with pytest.raises(InvalidInput, match=r"pending\.at must be a multiple of batch_size"):
        trainer.load_state_dict(state)


def test_mini_batches_are_laid_out_for_one_network_data_and_batch_size() -> None:
    net = _net()
    X, y = _data(net)
    Y = net.targets(y)
    batches = MiniBatches(net, X, Y, 5)
    assert len(batches) == 5 and batches.shuffles
    assert batches.fits(net, X, Y, 5)
    assert not batches.fits(net.copy(), X, Y, 5)
    assert not batches.fits(net, X.copy(), Y, 5)
    assert not batches.fits(net, X, Y, 6)
    whole = MiniBatches(net, X, Y, N)
    assert len(whole) == 1 and not whole.shuffles
