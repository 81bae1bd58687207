"""Tests for app.nn: networks, losses, gradients, optimizers, training methods and the trainer."""

from __future__ import annotations

import json
import math
import re
import warnings
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from app.data import Standardizer, generate
from app.nn import (
    ACTIVATIONS,
    LOSSES,
    METHODS,
    OPTIMIZERS,
    OUTPUTS,
    SGD,
    Adam,
    Momentum,
    Network,
    Optimizer,
    Trainer,
    make_method,
    make_optimizer,
)

EXAMPLE_CONFIG: dict[str, Any] = {
    "inputs": 2,
    "hidden": [{"units": 4, "activation": "tanh"}, {"units": 2, "activation": "relu"}],
    "output": "sigmoid",
    "loss": "cross_entropy",
    "regularization": {"kind": "l2", "rate": 0.001},
}
REGULARIZATIONS = ("none", "l1", "l2")
KINKED = ("relu", "leaky_relu", "elu")  # activations whose derivative jumps at 0
GRADIENT_KINDS = tuple(OPTIMIZERS)  # sgd, momentum, adam
EPS = 1e-6  # central-difference step
KINK_MARGIN = 1e-4  # keep pre-activations and L1 weights this far from 0

REFERENCE_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda z: z,
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0.0))),
    "softplus": lambda z: np.log1p(np.exp(z)),
    "swish": lambda z: z / (1.0 + np.exp(-z)),
}


# --- helpers ----------------------------------------------------------------------------------


def _config(
    inputs: int = 2,
    units: tuple[int, ...] = (3,),
    activation: str = "tanh",
    output: str = "sigmoid",
    loss: str | None = None,
    classes: int = 3,
    reg: str = "none",
    rate: float = 0.0,
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "inputs": inputs,
        "hidden": [{"units": u, "activation": activation} for u in units],
        "output": output,
        "loss": loss or ("mse" if output == "linear" else "cross_entropy"),
        "regularization": {"kind": reg, "rate": rate},
    }
    if output == "softmax":
        config["classes"] = classes
    return config


def _labels(net: Network, n: int, rng: np.random.Generator) -> np.ndarray:
    """Valid targets (n,) for the network's output unit."""
    output = net.config.output
    if output == "linear":
        return rng.normal(0.0, 1.0, n)
    k = net.config.classes if output == "softmax" else 2
    return rng.integers(0, k, n)


def _randomize_biases(net: Network, rng: np.random.Generator, scale: float = 0.5) -> None:
    for _, b in net.params:
        b[...] = rng.normal(0.0, scale, b.shape)


def _reference_forward(net: Network, X: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Output (n, outputs) and hidden pre-activations, computed with plain NumPy from params."""
    A, hidden_z = X, []
    for (W, b), layer in zip(net.params[:-1], net.config.hidden, strict=True):
        Z = A @ W + b
        hidden_z.append(Z)
        A = REFERENCE_ACTIVATIONS[layer.activation](Z)
    W, b = net.params[-1]
    Z = A @ W + b
    output = net.config.output
    if output == "sigmoid":
        return 1.0 / (1.0 + np.exp(-Z)), hidden_z
    if output == "softmax":
        E = np.exp(Z - Z.max(axis=1, keepdims=True))
        return E / E.sum(axis=1, keepdims=True), hidden_z
    return Z, hidden_z


def _one_hot(y: np.ndarray, k: int) -> np.ndarray:
    return np.eye(k)[np.asarray(y, dtype=np.int64)]


def _weight_sum(net: Network, fn: Callable[[np.ndarray], np.ndarray]) -> float:
    return float(sum(fn(W).sum() for W, _ in net.params))


def _without_regularization(net: Network) -> Network:
    d = net.to_dict()
    d["config"]["regularization"] = {"kind": "none", "rate": 0.0}
    return Network.from_dict(d)


def _as_params(net: Network, flat: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """A vector laid out like ``net.theta``, read back through the network's own (W, b) views."""
    saved = net.theta.copy()
    net.theta[...] = flat
    pairs = [(W.copy(), b.copy()) for W, b in net.params]
    net.theta[...] = saved
    return pairs


def _flatten(pairs: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    return np.concatenate([a.ravel() for pair in pairs for a in pair])


def _numeric_gradient(net: Network, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Central differences of ``net.loss`` over every entry of ``net.theta``."""
    g = np.empty_like(net.theta)
    for i in range(net.theta.size):
        old = net.theta[i]
        net.theta[i] = old + EPS
        up = net.loss(X, y)
        net.theta[i] = old - EPS
        down = net.loss(X, y)
        net.theta[i] = old
        g[i] = (up - down) / (2 * EPS)
    return g


def _relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / max(1e-8, np.linalg.norm(a) + np.linalg.norm(b)))


def _case_rng(*key: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _gradient_case(
    activation: str, output: str, loss: str, reg: str
) -> tuple[Network, np.ndarray, np.ndarray]:
    """A random small network and batch, away from kinks so central differences are valid."""
    rng = _case_rng(activation, output, loss, reg)
    units = tuple(int(u) for u in rng.integers(1, 6, size=rng.integers(1, 4)))
    inputs, n = int(rng.integers(3, 8)), int(rng.integers(5, 13))
    config = _config(
        inputs,
        units,
        activation,
        output,
        loss,
        classes=int(rng.integers(3, 7)),
        reg=reg,
        rate=0.0 if reg == "none" else 0.05,
    )
    net = Network.from_config(config, seed=int(rng.integers(1 << 31)))
    _randomize_biases(net, rng, 0.3)
    if reg == "l1":
        for W, _ in net.params:
            W[np.abs(W) < KINK_MARGIN] = 2 * KINK_MARGIN
    y = _labels(net, n, rng)
    for _ in range(100):
        X = rng.normal(0.0, 1.0, (n, inputs))
        _, hidden_z = _reference_forward(net, X)
        if activation not in KINKED or min(np.abs(z).min() for z in hidden_z) > KINK_MARGIN:
            return net, X, y
    raise AssertionError("no batch away from the kinks")


def _trainer(
    spec: dict[str, Any],
    *,
    dataset: str = "circle",
    n: int = 60,
    net_seed: int = 0,
    seed: int = 0,
    hidden: tuple[int, ...] = (3,),
    activation: str = "tanh",
) -> Trainer:
    data = generate(dataset, n=n, seed=0)
    output = "linear" if data.kind == "regression" else "sigmoid"
    net = Network.from_config(
        _config(2, hidden, activation, output, reg="l2", rate=0.001), seed=net_seed
    )
    return Trainer(net, data.X, data.y, make_method(spec), seed=seed)


def _spec(kind: str, **settings: Any) -> dict[str, Any]:
    if kind == "evolution":
        return {"kind": kind, "population": 20, "sigma": 0.1, **settings}
    return {"kind": kind, "lr": 0.05, "batch_size": 7, **settings}


def _age_single_neuron(n: int) -> tuple[Network, np.ndarray, np.ndarray]:
    data = generate("age", n=n, seed=0)
    net = Network.from_config(_config(1, (), output="sigmoid"), seed=0)
    return net, data.X, data.y


# --- public API -------------------------------------------------------------------------------


def test_params_are_float64_weight_bias_pairs_shaped_fan_in_by_fan_out() -> None:
    net = Network.from_config(EXAMPLE_CONFIG, seed=0)
    shapes = [(W.shape, b.shape, W.dtype, b.dtype) for W, b in net.params]
    f64 = np.dtype(np.float64)
    assert shapes == [
        ((2, 4), (4,), f64, f64),
        ((4, 2), (2,), f64, f64),
        ((2, 1), (1,), f64, f64),
    ]


@pytest.mark.parametrize(("output", "width"), [("sigmoid", 1), ("softmax", 5), ("linear", 1)])
def test_forward_returns_one_row_per_sample_and_one_column_per_output(
    output: str, width: int
) -> None:
    net = Network.from_config(_config(3, (4,), output=output, classes=5), seed=0)
    X = np.random.default_rng(1).normal(size=(9, 3))
    assert net.forward(X).shape == (9, width)


def test_sigmoid_forward_gives_probabilities() -> None:
    net = Network.from_config(EXAMPLE_CONFIG, seed=0)
    P = net.forward(np.random.default_rng(1).normal(0.0, 3.0, (50, 2)))
    assert np.all((P >= 0.0) & (P <= 1.0))


@pytest.mark.parametrize("classes", [3, 4, 5, 6])
def test_softmax_forward_rows_are_distributions_summing_to_one(classes: int) -> None:
    net = Network.from_config(_config(2, (5,), output="softmax", classes=classes), seed=0)
    P = net.forward(np.random.default_rng(1).normal(0.0, 3.0, (40, 2)))
    assert np.all(P >= 0.0)
    assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_forward_matches_numpy_reference(activation: str, output: str) -> None:
    rng = _case_rng("forward", activation, output)
    net = Network.from_config(_config(3, (4, 3), activation, output, classes=4), seed=2)
    _randomize_biases(net, rng)
    X = rng.normal(0.0, 1.5, (11, 3))
    assert_allclose(net.forward(X), _reference_forward(net, X)[0], rtol=1e-10, atol=1e-12)


def test_assigning_into_params_changes_forward() -> None:
    net = Network.from_config(EXAMPLE_CONFIG, seed=0)
    X = np.random.default_rng(1).normal(size=(8, 2))
    before = net.forward(X)
    net.params[0][0][...] = 0.5
    after = net.forward(X)
    assert not np.allclose(before, after)
    assert_allclose(after, _reference_forward(net, X)[0], rtol=1e-12)


def test_loss_and_gradients_returns_float_loss_and_grads_shaped_like_params() -> None:
    net = Network.from_config(EXAMPLE_CONFIG, seed=0)
    rng = np.random.default_rng(1)
    loss, grads = net.loss_and_gradients(rng.normal(size=(6, 2)), rng.integers(0, 2, 6))
    assert isinstance(loss, float)
    assert [(dW.shape, db.shape) for dW, db in grads] == [(W.shape, b.shape) for W, b in net.params]


def test_gradients_returned_are_not_overwritten_by_the_next_call() -> None:
    net = Network.from_config(EXAMPLE_CONFIG, seed=0)
    rng = np.random.default_rng(1)
    _, first = net.loss_and_gradients(rng.normal(size=(6, 2)), rng.integers(0, 2, 6))
    kept = _flatten(first).copy()
    net.loss_and_gradients(rng.normal(size=(6, 2)), rng.integers(0, 2, 6))
    assert_array_equal(_flatten(first), kept)


# --- definitions ------------------------------------------------------------------------------


@pytest.mark.parametrize(("output", "loss"), list(LOSSES))
def test_data_loss_is_the_mean_of_per_sample_losses(output: str, loss: str) -> None:
    rng = _case_rng("mean", output, loss)
    net = Network.from_config(_config(3, (4,), output=output, loss=loss, classes=4), seed=0)
    X, y = rng.normal(size=(7, 3)), _labels(net, 7, rng)
    per_sample = [net.loss(X[i : i + 1], y[i : i + 1]) for i in range(7)]
    assert net.loss(X, y) == pytest.approx(np.mean(per_sample), rel=1e-12)


def test_sigmoid_cross_entropy_matches_numpy() -> None:
    rng = np.random.default_rng(3)
    net = Network.from_config(_config(3, (4,), output="sigmoid"), seed=0)
    _randomize_biases(net, rng)
    X, y = rng.normal(size=(9, 3)), rng.integers(0, 2, 9)
    p = _reference_forward(net, X)[0][:, 0]
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert net.loss(X, y) == pytest.approx(expected, rel=1e-10)


def test_softmax_cross_entropy_matches_numpy() -> None:
    rng = np.random.default_rng(3)
    net = Network.from_config(_config(3, (4,), output="softmax", classes=5), seed=0)
    _randomize_biases(net, rng)
    X, y = rng.normal(size=(9, 3)), rng.integers(0, 5, 9)
    P = _reference_forward(net, X)[0]
    expected = -np.mean(np.log(P[np.arange(9), y]))
    assert net.loss(X, y) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("output", OUTPUTS)
def test_mse_is_mean_over_samples_and_outputs(output: str) -> None:
    rng = _case_rng("mse", output)
    net = Network.from_config(_config(3, (4,), output=output, loss="mse", classes=4), seed=0)
    _randomize_biases(net, rng)
    X, y = rng.normal(size=(9, 3)), _labels(net, 9, rng)
    targets = _one_hot(y, 4) if output == "softmax" else y[:, None]
    expected = np.mean((_reference_forward(net, X)[0] - targets) ** 2)
    assert net.loss(X, y) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize(
    ("kind", "penalty"),
    [("l2", lambda W: 0.5 * 0.3 * W**2), ("l1", lambda W: 0.3 * np.abs(W))],
)
def test_penalty_is_added_over_weights_only(
    kind: str, penalty: Callable[[np.ndarray], np.ndarray]
) -> None:
    rng = np.random.default_rng(4)
    net = Network.from_config(_config(3, (4, 2), reg=kind, rate=0.3), seed=0)
    _randomize_biases(net, rng, scale=2.0)
    X, y = rng.normal(size=(8, 3)), rng.integers(0, 2, 8)
    data_loss = _without_regularization(net).loss(X, y)
    loss, _ = net.loss_and_gradients(X, y)
    assert loss - data_loss == pytest.approx(_weight_sum(net, penalty), rel=1e-10)


@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_regularization_leaves_bias_gradients_alone(kind: str) -> None:
    rng = np.random.default_rng(5)
    net = Network.from_config(_config(3, (4, 2), reg=kind, rate=0.3), seed=0)
    _randomize_biases(net, rng, scale=2.0)
    X, y = rng.normal(size=(8, 3)), rng.integers(0, 2, 8)
    _, grads = net.loss_and_gradients(X, y)
    _, plain = _without_regularization(net).loss_and_gradients(X, y)
    for (_, db), (_, db_plain) in zip(grads, plain, strict=True):
        assert_allclose(db, db_plain, rtol=1e-12, atol=1e-15)


# --- gradients --------------------------------------------------------------------------------


@pytest.mark.parametrize("reg", REGULARIZATIONS)
@pytest.mark.parametrize(("output", "loss"), list(LOSSES))
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradients_match_central_differences(
    activation: str, output: str, loss: str, reg: str
) -> None:
    net, X, y = _gradient_case(activation, output, loss, reg)
    _, grads = net.loss_and_gradients(X, y)
    numeric = _flatten(_as_params(net, _numeric_gradient(net, X, y)))
    assert _relative_error(_flatten(grads), numeric) < 1e-6


@pytest.mark.parametrize(("output", "loss"), list(LOSSES))
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_backprop_fills_grad_with_loss_and_gradients_numbers(
    activation: str, output: str, loss: str
) -> None:
    net, X, y = _gradient_case(activation, output, loss, "l2")
    _, grads = net.loss_and_gradients(X, y)
    net.grad[...] = np.nan
    net.backprop(X, net.targets(y))
    assert_allclose(_flatten(_as_params(net, net.grad)), _flatten(grads), rtol=1e-12)


# --- stability --------------------------------------------------------------------------------


def _no_float_faults() -> Any:
    """Overflow, division by zero and invalid operations raise. Underflow may happen: an
    exp(-1000) rounding to 0 is exact to double precision."""
    return np.errstate(divide="raise", over="raise", invalid="raise")


@pytest.mark.parametrize(("y", "loss", "dW"), [([0, 1], 1000.0, 1.0), ([1, 0], 0.0, 0.0)])
def test_sigmoid_cross_entropy_with_huge_logits_is_finite(
    y: list[int], loss: float, dW: float
) -> None:
    net = Network.from_config(_config(1, ()), seed=0)
    net.params[0][0][...] = 1000.0  # z = +1000 and -1000 for the two samples
    X = np.array([[1.0], [-1.0]])
    with warnings.catch_warnings(), _no_float_faults():
        warnings.simplefilter("error")
        value, grads = net.loss_and_gradients(X, np.array(y))
    assert value == pytest.approx(loss, abs=1e-9)
    assert_allclose(_flatten(grads), [dW, 0.0], atol=1e-12)


def test_sigmoid_cross_entropy_with_saturated_hidden_network_is_finite() -> None:
    net = Network.from_config(_config(2, (3,)), seed=0)
    W, b = net.params[-1]
    W[...] = 0.0
    b[...] = 1000.0
    with warnings.catch_warnings(), _no_float_faults():
        warnings.simplefilter("error")
        value, grads = net.loss_and_gradients(np.ones((4, 2)), np.array([0, 1, 0, 1]))
    assert value == pytest.approx(500.0)
    assert np.all(np.isfinite(_flatten(grads)))


def test_softmax_cross_entropy_with_huge_logits_is_finite() -> None:
    net = Network.from_config(_config(2, (), output="softmax", classes=3), seed=0)
    W, b = net.params[0]
    W[...] = 0.0
    b[...] = [1000.0, -1000.0, 0.0]
    with warnings.catch_warnings(), _no_float_faults():
        warnings.simplefilter("error")
        value, grads = net.loss_and_gradients(np.ones((2, 2)), np.array([0, 1]))
    assert value == pytest.approx(1000.0)
    assert np.all(np.isfinite(_flatten(grads)))


# --- optimizers -------------------------------------------------------------------------------

THETA0 = np.array([0.5, -1.0, 2.0])
GRADS = [np.array([0.2, -0.4, 1.0]), np.array([-0.3, 0.1, 0.5]), np.array([0.05, 0.2, -2.0])]


def _steps(opt: Optimizer, n: int) -> list[np.ndarray]:
    theta, out = THETA0.copy(), []
    for g in GRADS[:n]:
        opt.update(theta, g.copy())
        out.append(theta.copy())
    return out


def test_sgd_first_updates_by_hand() -> None:
    g1, g2, g3 = GRADS
    t1 = THETA0 - 0.1 * g1
    t2 = t1 - 0.1 * g2
    t3 = t2 - 0.1 * g3
    assert_allclose(np.array(_steps(SGD(lr=0.1), 3)), [t1, t2, t3], rtol=1e-12)


def test_momentum_first_updates_by_hand() -> None:
    g1, g2, g3 = GRADS
    v1 = g1
    v2 = 0.8 * v1 + g2
    v3 = 0.8 * v2 + g3
    t1 = THETA0 - 0.1 * v1
    t2 = t1 - 0.1 * v2
    t3 = t2 - 0.1 * v3
    steps = _steps(Momentum(lr=0.1, momentum=0.8), 3)
    assert_allclose(np.array(steps), [t1, t2, t3], rtol=1e-12)


def _adam_by_hand(
    theta: np.ndarray, grads: list[np.ndarray], lrs: list[float], b1: float, b2: float, eps: float
) -> list[np.ndarray]:
    m, v, out = np.zeros_like(theta), np.zeros_like(theta), []
    for t, (g, lr) in enumerate(zip(grads, lrs, strict=True), start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        theta = theta - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        out.append(theta)
    return out


def test_adam_first_updates_by_hand() -> None:
    expected = _adam_by_hand(THETA0, GRADS, [0.1] * 3, 0.8, 0.95, 1e-4)
    steps = _steps(Adam(lr=0.1, beta1=0.8, beta2=0.95, eps=1e-4), 3)
    assert_allclose(np.array(steps), expected, rtol=1e-12)


def test_rmsprop_first_updates_by_hand() -> None:
    theta, v, expected = THETA0, np.zeros_like(THETA0), []
    for g in GRADS:
        v = 0.8 * v + 0.2 * g**2
        theta = theta - 0.1 * g / (np.sqrt(v) + 1e-4)
        expected.append(theta)
    steps = _steps(OPTIMIZERS["rmsprop"](lr=0.1, rho=0.8, eps=1e-4), 3)
    assert_allclose(np.array(steps), expected, rtol=1e-12)


def test_adam_first_step_moves_each_parameter_by_about_lr() -> None:
    (theta,) = _steps(Adam(lr=0.1, eps=1e-8), 1)
    assert_allclose(THETA0 - theta, 0.1 * np.sign(GRADS[0]), rtol=1e-6)


@pytest.mark.parametrize("kind", GRADIENT_KINDS)
def test_make_optimizer_builds_the_named_kind_with_its_settings(kind: str) -> None:
    opt = make_optimizer(kind, lr=0.2)
    assert type(opt) is OPTIMIZERS[kind]
    assert opt.lr == 0.2


def test_make_optimizer_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="optimizer"):
        make_optimizer("adagrad")


def test_momentum_configure_keeps_velocity() -> None:
    g1, g2, _ = GRADS
    opt = Momentum(lr=0.1, momentum=0.8)
    theta = THETA0.copy()
    opt.update(theta, g1.copy())
    opt.configure(lr=0.5)
    opt.update(theta, g2.copy())
    expected = THETA0 - 0.1 * g1 - 0.5 * (0.8 * g1 + g2)
    assert_allclose(theta, expected, rtol=1e-12)


def test_adam_configure_keeps_moments_and_step_count() -> None:
    g1, g2, _ = GRADS
    opt = Adam(lr=0.1, beta1=0.8, beta2=0.95, eps=1e-4)
    theta = THETA0.copy()
    opt.update(theta, g1.copy())
    opt.configure(lr=0.5)
    opt.update(theta, g2.copy())
    expected = _adam_by_hand(THETA0, [g1, g2], [0.1, 0.5], 0.8, 0.95, 1e-4)[-1]
    assert_allclose(theta, expected, rtol=1e-12)


@pytest.mark.parametrize("kind", ["momentum", "adam"])
def test_reset_clears_optimizer_state(kind: str) -> None:
    used = make_optimizer(kind, lr=0.1)
    theta = THETA0.copy()
    for g in GRADS[:2]:
        used.update(theta, g.copy())
    used.reset()
    start = theta.copy()
    used.update(theta, GRADS[2].copy())
    fresh_theta = start.copy()
    make_optimizer(kind, lr=0.1).update(fresh_theta, GRADS[2].copy())
    assert_allclose(theta, fresh_theta, rtol=1e-12)


@pytest.mark.parametrize("lr", [1e-5, 10.0])
@pytest.mark.parametrize("kind", GRADIENT_KINDS)
def test_learning_rate_at_the_range_ends_is_accepted(kind: str, lr: float) -> None:
    opt = make_optimizer(kind, lr=0.1)
    opt.configure(lr=lr)
    assert make_optimizer(kind, lr=lr).lr == lr
    assert opt.lr == lr


@pytest.mark.parametrize("lr", [0.0, -0.1, math.nan, math.inf, 9.9e-6, 10.01])
@pytest.mark.parametrize("kind", GRADIENT_KINDS)
def test_learning_rate_out_of_range_raises_naming_lr(kind: str, lr: float) -> None:
    with pytest.raises(ValueError, match="lr"):
        make_optimizer(kind, lr=lr)


@pytest.mark.parametrize("kind", GRADIENT_KINDS)
def test_rejected_configure_keeps_the_old_learning_rate(kind: str) -> None:
    opt = make_optimizer(kind, lr=0.2)
    with pytest.raises(ValueError, match="lr"):
        opt.configure(lr=-1.0)
    assert opt.lr == 0.2


@pytest.mark.parametrize("lr", [-0.5, math.nan])
def test_method_spec_with_bad_learning_rate_raises_naming_lr(lr: float) -> None:
    with pytest.raises(ValueError, match="lr"):
        make_method({"kind": "adam", "lr": lr, "batch_size": 10})


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "sgd", "lr": 0.1, "batch_size": 10},
        {"kind": "momentum", "lr": 0.05, "batch_size": 10},
        {"kind": "adam", "lr": 0.02, "batch_size": 10},
        {"kind": "evolution", "population": 30, "sigma": 0.1},
    ],
    ids=lambda spec: spec["kind"],
)
def test_each_method_lowers_the_loss_on_circle(spec: dict[str, Any]) -> None:
    trainer = _trainer(spec, n=200, hidden=(6,))
    before = trainer.loss()
    trainer.run(20)
    assert trainer.loss() < 0.8 * before


# --- trainer and methods ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", METHODS)
def test_same_seed_gives_identical_weights(kind: str) -> None:
    a, b = _trainer(_spec(kind), seed=3), _trainer(_spec(kind), seed=3)
    a.run(4)
    b.run(4)
    assert_array_equal(a.net.theta, b.net.theta)


@pytest.mark.parametrize("kind", METHODS)
def test_different_trainer_seed_gives_different_weights(kind: str) -> None:
    a, b = _trainer(_spec(kind), seed=3), _trainer(_spec(kind), seed=4)
    a.run(4)
    b.run(4)
    assert not np.array_equal(a.net.theta, b.net.theta)


@pytest.mark.parametrize(("n", "batch"), [(60, 1), (60, 7), (60, 10), (60, 60), (60, 100)])
def test_epoch_makes_ceil_n_over_batch_updates(n: int, batch: int) -> None:
    trainer = _trainer({"kind": "sgd", "lr": 0.01, "batch_size": batch}, n=n)
    trainer.run(2)
    assert trainer.step == 2 * math.ceil(n / batch)


def test_evolution_epoch_is_one_generation() -> None:
    trainer = _trainer(_spec("evolution"))
    trainer.run(3)
    assert trainer.step == 3


@pytest.mark.parametrize("kind", METHODS)
def test_trainer_counts_epochs(kind: str) -> None:
    trainer = _trainer(_spec(kind))
    assert trainer.run(3) == 3
    trainer.run(2)
    assert trainer.epoch == 5


def test_copy_has_identical_weights_and_is_independent() -> None:
    net = Network.from_config(EXAMPLE_CONFIG, seed=0)
    copy = net.copy()
    assert_array_equal(copy.theta, net.theta)
    copy.params[0][0][...] = 0.0
    assert not np.array_equal(copy.theta, net.theta)


def test_trainers_on_copies_run_side_by_side_like_solo_runs() -> None:
    data = generate("circle", n=60, seed=0)
    net = Network.from_config(_config(2, (3,)), seed=0)
    start = net.theta.copy()
    specs = [_spec("sgd"), _spec("adam", lr=0.02)]
    pair = [Trainer(net.copy(), data.X, data.y, make_method(s), seed=1) for s in specs]
    for _ in range(3):
        for trainer in pair:
            trainer.run(1)
    solo = [Trainer(net.copy(), data.X, data.y, make_method(s), seed=1) for s in specs]
    for trainer in solo:
        trainer.run(3)
    assert_array_equal(net.theta, start)
    for side, alone in zip(pair, solo, strict=True):
        assert_array_equal(side.net.theta, alone.net.theta)
    assert not np.array_equal(pair[0].net.theta, pair[1].net.theta)


@pytest.mark.parametrize("kind", ["adam", "evolution"])
def test_state_dict_resumes_exactly_like_continuing(kind: str) -> None:
    original = _trainer(_spec(kind))
    original.run(3)
    state = json.loads(json.dumps(original.state_dict()))
    data = generate("circle", n=60, seed=0)
    resumed = Trainer(original.net.copy(), data.X, data.y, make_method({"kind": "sgd"}), seed=99)
    resumed.load_state_dict(state)
    original.run(3)
    resumed.run(3)
    assert_array_equal(resumed.net.theta, original.net.theta)
    assert (resumed.step, resumed.epoch) == (original.step, original.epoch)


# --- evolution --------------------------------------------------------------------------------


def test_evolution_improves_a_single_neuron_on_age() -> None:
    net, X, y = _age_single_neuron(500)
    Xs = Standardizer.fit(X).apply(X)
    trainer = Trainer(net, Xs, y, make_method({"kind": "evolution"}), seed=0)
    before = trainer.loss()
    trainer.run(100)
    assert trainer.epoch == 100
    assert trainer.loss() < before - 0.2


def test_population_losses_match_per_member_loss() -> None:
    data = generate("circle", n=40, seed=0)
    net = Network.from_config(_config(2, (3,), reg="l2", rate=0.01), seed=0)
    pop = net.theta + np.random.default_rng(1).normal(0.0, 0.5, (12, net.n_params))
    losses = net.population_losses(pop, data.X, net.targets(data.y))
    expected = []
    for member in pop:
        np.copyto(net.theta, member)
        expected.append(net.loss(data.X, data.y))
    assert_allclose(losses, expected, rtol=1e-10)


def test_evolution_keeps_the_best_member_of_the_generation() -> None:
    trainer = _trainer(_spec("evolution"))
    trainer.run(2)
    method = trainer.method
    expected = trainer.net.population_losses(method.evaluated, trainer.X, trainer.Y)
    assert_allclose(method.losses, expected, rtol=1e-12)
    assert trainer.loss() == pytest.approx(method.losses.min(), rel=1e-10)


def test_evolution_elitism_never_increases_the_training_loss() -> None:
    trainer = _trainer({"kind": "evolution", "population": 10, "sigma": 1.0, "elite": 1})
    losses = [trainer.loss()]
    for _ in range(40):
        trainer.run(1)
        losses.append(trainer.loss())
    assert np.all(np.diff(losses) <= 1e-12)
    assert losses[-1] < losses[0]


# --- recovering the age model -----------------------------------------------------------------


def test_gradient_descent_recovers_age_model_with_normalization() -> None:
    net, X, y = _age_single_neuron(2000)
    scaler = Standardizer.fit(X)
    spec = {"kind": "sgd", "lr": 1.0, "batch_size": 2000}
    Trainer(net, scaler.apply(X), y, make_method(spec), seed=0).run(300)
    W_raw, b_raw = scaler.to_raw(*net.params[0])
    w, age50 = W_raw[0, 0], -b_raw[0] / W_raw[0, 0]
    assert w == pytest.approx(0.25, abs=0.05)
    assert age50 == pytest.approx(42.0, abs=2.0)


def test_gradient_descent_recovers_age_model_without_normalization() -> None:
    net, X, y = _age_single_neuron(2000)
    spec = {"kind": "adam", "lr": 0.1, "batch_size": 2000}
    Trainer(net, X, y, make_method(spec), seed=0).run(3000)
    W, b = net.params[0]
    w, age50 = W[0, 0], -b[0] / W[0, 0]
    assert w == pytest.approx(0.25, abs=0.05)
    assert age50 == pytest.approx(42.0, abs=2.0)


# --- divergence -------------------------------------------------------------------------------

DIVERGING = ("relu", "linear")
PLANE_N, PLANE_BATCH = 200, 10


def _diverging_trainer(activation: str) -> Trainer:
    spec = {"kind": "sgd", "lr": 10.0, "batch_size": PLANE_BATCH}
    trainer = _trainer(spec, dataset="plane", n=PLANE_N, hidden=(4,), activation=activation)
    trainer.run(5)
    return trainer


@pytest.mark.parametrize("activation", DIVERGING)
def test_learning_rate_ten_diverges_within_a_few_epochs(activation: str) -> None:
    trainer = _diverging_trainer(activation)
    assert trainer.diverged
    assert trainer.epoch < 5


@pytest.mark.parametrize("activation", DIVERGING)
def test_divergence_keeps_the_weights_finite(activation: str) -> None:
    trainer = _diverging_trainer(activation)
    assert trainer.diverged
    assert np.all(np.isfinite(trainer.net.theta))


@pytest.mark.parametrize("activation", DIVERGING)
def test_divergence_stops_the_epoch_early(activation: str) -> None:
    trainer = _diverging_trainer(activation)
    per_epoch = math.ceil(PLANE_N / PLANE_BATCH)
    assert trainer.diverged
    assert trainer.step - trainer.epoch * per_epoch < per_epoch


@pytest.mark.parametrize("activation", DIVERGING)
def test_divergence_undoes_the_failing_step(activation: str) -> None:
    spec = {"kind": "sgd", "lr": 10.0, "batch_size": PLANE_N}  # one update per epoch
    trainer = _trainer(spec, dataset="plane", n=PLANE_N, hidden=(4,), activation=activation)
    last = trainer.net.theta.copy()
    while trainer.run(1) == 1 and trainer.epoch < 10:
        last = trainer.net.theta.copy()
    assert trainer.diverged
    assert_array_equal(trainer.net.theta, last)


def _trainable_but_diverged(activation: str) -> Trainer:
    """A diverged trainer whose network and learning rate would train fine again."""
    trainer = _diverging_trainer(activation)
    trainer.net.initialize(0)
    trainer.method.configure(lr=0.001)
    return trainer


@pytest.mark.parametrize("activation", DIVERGING)
def test_diverged_trainer_does_nothing_until_cleared(activation: str) -> None:
    trainer = _trainable_but_diverged(activation)
    theta = trainer.net.theta.copy()
    counters = (trainer.step, trainer.epoch, trainer.evaluations)
    assert trainer.run(3) == 0
    assert_array_equal(trainer.net.theta, theta)
    assert (trainer.step, trainer.epoch, trainer.evaluations) == counters


@pytest.mark.parametrize("activation", DIVERGING)
def test_clearing_diverged_lets_training_continue(activation: str) -> None:
    trainer = _trainable_but_diverged(activation)
    trainer.diverged = False
    epoch = trainer.epoch
    assert trainer.run(2) == 2
    assert trainer.epoch == epoch + 2
    assert not trainer.diverged


# --- bad input --------------------------------------------------------------------------------


def _with(**changes: Any) -> dict[str, Any]:
    return {**EXAMPLE_CONFIG, **changes}


BAD_CONFIGS = [
    (
        "unknown activation",
        _with(hidden=[{"units": 3, "activation": "gelu"}]),
        "hidden[0].activation",
    ),
    ("9 hidden layers", _with(hidden=[{"units": 2, "activation": "tanh"}] * 9), "hidden"),
    ("0 units", _with(hidden=[{"units": 0, "activation": "tanh"}]), "hidden[0].units"),
    ("17 units", _with(hidden=[{"units": 17, "activation": "tanh"}]), "hidden[0].units"),
    ("0 inputs", _with(inputs=0), "inputs"),
    ("8 inputs", _with(inputs=8), "inputs"),
    ("unknown output", _with(output="tanh"), "output"),
    ("cross-entropy with linear output", _with(output="linear", loss="cross_entropy"), "loss"),
    ("unknown loss", _with(loss="hinge"), "loss"),
    ("unknown regularization", _with(regularization={"kind": "l3"}), "regularization.kind"),
    ("negative rate", _with(regularization={"kind": "l2", "rate": -0.1}), "regularization.rate"),
    ("NaN rate", _with(regularization={"kind": "l2", "rate": math.nan}), "regularization.rate"),
    ("7 classes", _with(output="softmax", loss="cross_entropy", classes=7), "classes"),
    ("1 class", _with(output="softmax", loss="cross_entropy", classes=1), "classes"),
]


@pytest.mark.parametrize(
    ("config", "field"), [c[1:] for c in BAD_CONFIGS], ids=[c[0] for c in BAD_CONFIGS]
)
def test_bad_config_raises_naming_the_field(config: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(field)):
        Network.from_config(config)


BAD_LABELS = [
    ("class 3 of 3", "softmax", [0, 1, 3]),
    ("negative class", "softmax", [0, -1, 2]),
    ("2 for sigmoid", "sigmoid", [0, 1, 2]),
    ("0.5 for sigmoid", "sigmoid", [0, 0.5, 1]),
    ("NaN for sigmoid", "sigmoid", [0, math.nan, 1]),
    ("NaN for linear", "linear", [0.1, math.nan, 1.0]),
]


@pytest.mark.parametrize(
    ("output", "y"), [c[1:] for c in BAD_LABELS], ids=[c[0] for c in BAD_LABELS]
)
def test_bad_labels_raise_naming_y(output: str, y: list[float]) -> None:
    net = Network.from_config(_config(2, (3,), output=output, classes=3), seed=0)
    with pytest.raises(ValueError, match=r"^y "):
        net.loss_and_gradients(np.zeros((3, 2)), np.array(y))


def test_x_with_the_wrong_width_raises_naming_x() -> None:
    net = Network.from_config(EXAMPLE_CONFIG, seed=0)
    with pytest.raises(ValueError, match=r"^X "):
        net.loss(np.zeros((3, 3)), np.array([0, 1, 0]))


def test_set_param_sets_one_weight() -> None:
    net = Network.from_config(EXAMPLE_CONFIG, seed=0)
    before = net.theta.copy()
    net.set_param(1, "weight", (3, 1), 0.75)
    assert net.params[1][0][3, 1] == 0.75
    assert np.count_nonzero(net.theta != before) == 1


def test_set_param_sets_one_bias() -> None:
    net = Network.from_config(EXAMPLE_CONFIG, seed=0)
    before = net.theta.copy()
    net.set_param(0, "bias", (2,), -1.5)
    assert net.params[0][1][2] == -1.5
    assert np.count_nonzero(net.theta != before) == 1


BAD_SET_PARAM = [
    ("NaN value", (0, "weight", (0, 0), math.nan), "value"),
    ("infinite value", (0, "bias", (0,), math.inf), "value"),
    ("row out of range", (0, "weight", (2, 0), 1.0), "index"),
    ("column out of range", (0, "weight", (0, 4), 1.0), "index"),
    ("negative index", (1, "bias", (-1,), 1.0), "index"),
    ("bias index out of range", (2, "bias", (1,), 1.0), "index"),
    ("too few index entries", (0, "weight", (0,), 1.0), "index"),
    ("layer out of range", (3, "weight", (0, 0), 1.0), "layer"),
    ("unknown kind", (0, "gain", (0,), 1.0), "kind"),
]


@pytest.mark.parametrize(
    ("args", "field"), [c[1:] for c in BAD_SET_PARAM], ids=[c[0] for c in BAD_SET_PARAM]
)
def test_set_param_rejects_bad_input(args: tuple[Any, ...], field: str) -> None:
    net = Network.from_config(EXAMPLE_CONFIG, seed=0)
    before = net.theta.copy()
    with pytest.raises(ValueError, match="^" + re.escape(field)):
        net.set_param(*args)
    assert_array_equal(net.theta, before)


# --- initialization ---------------------------------------------------------------------------


def test_same_seed_gives_same_initial_weights() -> None:
    a = Network.from_config(EXAMPLE_CONFIG, seed=7)
    b = Network.from_config(EXAMPLE_CONFIG, seed=7)
    assert_array_equal(a.theta, b.theta)


def test_different_seeds_give_different_initial_weights() -> None:
    a = Network.from_config(EXAMPLE_CONFIG, seed=7)
    b = Network.from_config(EXAMPLE_CONFIG, seed=8)
    for (Wa, _), (Wb, _) in zip(a.params, b.params, strict=True):
        assert not np.array_equal(Wa, Wb)


HE, GLOROT = math.sqrt(2 / 7), math.sqrt(2 / (7 + 16))


@pytest.mark.parametrize(
    ("activation", "std"),
    [("relu", HE), ("leaky_relu", HE), ("elu", HE), ("tanh", GLOROT), ("sigmoid", GLOROT)],
)
def test_first_layer_init_scale_suits_the_activation(activation: str, std: float) -> None:
    config = _config(7, (16,), activation)
    W = np.stack([Network.from_config(config, seed=s).params[0][0] for s in range(150)])
    assert abs(W.mean()) < 0.05 * std
    assert W.std() == pytest.approx(std, rel=0.05)


# --- serialization ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        EXAMPLE_CONFIG,
        _config(3, (5, 4), "elu", "softmax", classes=4, reg="l1", rate=0.01),
        _config(2, (), output="linear"),
    ],
    ids=["example", "softmax", "linear"],
)
def test_to_dict_from_dict_round_trip_keeps_forward(config: dict[str, Any]) -> None:
    rng = np.random.default_rng(6)
    net = Network.from_config(config, seed=3)
    _randomize_biases(net, rng)
    X = rng.normal(size=(10, config["inputs"]))
    restored = Network.from_dict(json.loads(json.dumps(net.to_dict())))
    assert_array_equal(restored.forward(X), net.forward(X))
    assert restored.config == net.config
