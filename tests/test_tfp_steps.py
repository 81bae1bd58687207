"""The tfp profile's training in the stacked layout (``app.nn.tfp_steps``) against the
page's rules applied one example at a time, on what the page's engine cannot run: layers of
different activations (the project's own among them, a linear one), cross-entropy, a
penalty that kills links, examples left over at the end of an epoch; and a run cut at its
updates against an uncut one."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from app.data.tfp_link import parse_link
from app.nn.activations import ACTIVATIONS as NATIVE
from app.nn.tfp import TfpNetwork, TfpTrainer, update_points
from app.training.tfp import TfpRun

Array = np.ndarray

PAGE = {
    "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float)),
    "sigmoid": (lambda z: 1.0 / (1.0 + np.exp(-z)), lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
    "linear": (lambda z: z, np.ones_like),
}


def function(name: str) -> tuple[object, object]:
    if name in PAGE:
        return PAGE[name]
    f = NATIVE[name]
    return f, f.grad


def page_epochs(
    W: list[Array],
    b: list[Array],
    acts: list[str],
    loss: str,
    regularization: str,
    X: Array,
    y: Array,
    lr: float,
    rate: float,
    batch: int,
    epochs: int,
) -> tuple[list[Array], list[Array], list[Array]]:
    """The page's training, one example at a time: weights, biases and dead links."""
    W, b = [w.copy() for w in W], [v.copy() for v in b]
    dead = [np.zeros(w.shape, bool) for w in W]
    acc_W, acc_b = [np.zeros_like(w) for w in W], [np.zeros_like(v) for v in b]
    count = 0
    fs = [function(a) for a in acts]
    updates = set(update_points(X.shape[0], batch))
    for _ in range(epochs):
        for i in range(X.shape[0]):
            a, zs, outs = X[i], [], [X[i]]
            for w, v, (f, _) in zip(W, b, fs, strict=True):
                z = v + a @ w
                a = f(z)  # type: ignore[operator]
                zs.append(z)
                outs.append(a)
            d = outs[-1] - y[i]
            if loss == "half_mse":
                d = d * fs[-1][1](zs[-1])  # type: ignore[operator]
            for k in range(len(W) - 1, -1, -1):
                acc_W[k] += np.outer(outs[k], d)
                acc_b[k] += d
                if k:
                    d = (W[k] @ d) * fs[k - 1][1](zs[k - 1])  # type: ignore[operator]
            count += 1
            if i not in updates:
                continue
            for k in range(len(W)):
                old, was_dead = W[k].copy(), dead[k].copy()
                new = old - (lr / count) * acc_W[k]
                if regularization == "L2":
                    new = new - lr * rate * old
                elif regularization == "L1":
                    after = new - lr * rate * np.sign(old)
                    crossed = new * after < 0
                    new = np.where(crossed, 0.0, after)
                    dead[k] |= crossed
                W[k] = np.where(was_dead, old, new)
                b[k] = b[k] - lr * acc_b[k] / count
                acc_W[k][...], acc_b[k][...] = 0.0, 0.0
            count = 0
    return W, b, dead


def data(n: int, inputs: int, seed: int) -> tuple[Array, Array]:
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2.0, 2.0, (n, inputs))
    return X, np.where(X[:, 0] * X[:, 1] > 0, 1.0, -1.0)


CASES = {
    "mixed activations, half MSE": (
        [3, 5, 4, 4, 1],
        ["tanh", "relu", "leaky_relu", "tanh"],
        "half_mse",
        "none",
        10,
    ),
    "a linear layer among tanh ones": (
        [2, 4, 3, 3, 1],
        ["tanh", "linear", "tanh", "tanh"],
        "half_mse",
        "L2",
        5,
    ),
    "the project's activations": ([2, 6, 3, 1], ["elu", "swish", "linear"], "half_mse", "none", 10),
    "cross-entropy, sigmoid layers": (
        [2, 4, 4, 1],
        ["sigmoid", "sigmoid", "tanh"],
        "cross_entropy",
        "none",
        10,
    ),
    "L1 kills links, leftover examples": (
        [2, 5, 5, 1],
        ["tanh", "tanh", "tanh"],
        "half_mse",
        "L1",
        7,
    ),
    "relu, L2, batch of one": ([2, 3, 1], ["relu", "linear"], "half_mse", "L2", 1),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_stacked_training_is_the_pages_rule_example_by_example(case: str) -> None:
    sizes, acts, loss, regularization, batch = CASES[case]
    rng = np.random.default_rng(len(case))
    W = [rng.uniform(-0.5, 0.5, (a, c)) for a, c in zip(sizes[:-1], sizes[1:], strict=True)]
    b = [np.full(c, 0.1) for c in sizes[1:]]
    X, y = data(50, sizes[0], 7)
    lr, rate = 0.03, 0.02 if regularization == "L1" else 0.01
    want_W, want_b, want_dead = page_epochs(
        W, b, acts, loss, regularization, X, y, lr, rate, batch, 12
    )
    net = TfpNetwork(W, b, tuple(acts[:-1]), acts[-1], regularization, loss=loss)
    TfpTrainer(net, X, y, lr, rate, batch).run(12)
    for k in range(len(W)):
        assert_allclose(net.W[k], want_W[k], rtol=0, atol=1e-12)
        assert_allclose(net.b[k], want_b[k], rtol=0, atol=1e-12)
        assert_array_equal(net.dead_links()[k], want_dead[k])
    assert not math.isnan(net.loss(X, y))
    if regularization == "L1":
        assert net.dead.any()  # the case covers links dying


@pytest.mark.parametrize(
    "link",
    [
        "seed=cut&networkShape=4,3&regularization=L1&regularizationRate=0.003&batchSize=7",
        "seed=cut&problem=regression&regDataset=reg-gauss&networkShape=8,8,8&activation=relu",
    ],
)
def test_an_epoch_cut_at_every_update_gives_the_same_numbers(link: str) -> None:
    whole, cut = TfpRun(parse_link(link)), TfpRun(parse_link(link))
    whole.step(3)
    for _ in range(3):
        calls = 1
        while not cut.trainer.advance(deadline=0.0):  # stops after each update
            calls += 1
        assert calls == len(cut.trainer._runs)
    assert_array_equal(cut.net.theta, whole.net.theta)
    assert_array_equal(cut.net.grad, whole.net.grad)
    assert_array_equal(cut.net.dead, whole.net.dead)
    assert cut.net.count == whole.net.count


def test_weights_written_between_two_updates_are_the_ones_trained_on() -> None:
    run = TfpRun(parse_link("seed=hand&networkShape=3"))
    run.trainer.advance(deadline=0.0)
    run.net.W[0][...] = 0.25
    run.net.b[1][...] = -1.0
    twin = TfpNetwork([w.copy() for w in run.net.W], [v.copy() for v in run.net.b], "tanh", "tanh")
    runs = run.trainer._runs
    run.trainer.advance(deadline=0.0)
    X, t = runs[1]
    twin.accumulate(np.ascontiguousarray(X[:-1].T), t[0])
    twin.update(run.trainer.lr, 0.0)
    assert_array_equal(run.net.theta, twin.theta)
