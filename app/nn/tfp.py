"""TensorFlow Playground's network and update rule, vectorized.

The page trains one example at a time: a forward pass, a backward pass whose derivatives
are added to per-link and per-node accumulators, and an update every ``batchSize``-th
example of the epoch, each step being the accumulated sum divided by the number of examples
accumulated. Between two updates the weights do not change, so the per-example sum over a
run of examples is one batched product: ``dW = A_prev.T @ D``. The page's rules kept here:

- the examples are visited in their stored order every epoch (no reshuffle);
- an update happens after example ``i`` of an epoch when ``(i + 1) % batchSize == 0``;
  examples after the last update of an epoch stay accumulated and join the next epoch's
  first update;
- squared error ½(o − t)², so the output's derivative is ``o − t``; the output is tanh
  (labels ±1) for classification and linear for regression;
- after the data step, L2 moves a weight by ``−lr·rate·w``; L1 by ``−lr·rate·sign(w)``, and
  a weight that this L1 move takes across zero becomes 0 and its link dead: never updated
  again (its weight stays 0, so it passes nothing forward or back);
- the loss shown is the mean of ½(o − t)² over the points, without any penalty.

Beyond the page (a session marks these "beyond TFP"): per-layer activations and the native
ones (``NATIVE_ACTIVATIONS``), cross-entropy on the tanh output read as a probability
``p = (o + 1) / 2`` (its derivative at the output's input is ``o − t``: ``p = σ(2z)``), and
an optimizer's step instead of the page's (``update``).

Shapes: ``sizes = [inputs, *hidden, 1]``; for layer ``k``: ``W[k] (sizes[k], sizes[k+1])``,
``b[k] (sizes[k+1],)``, ``dead[k]`` like ``W[k]``. Inputs ``X (n, inputs)``, labels ``y (n,)``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from app.nn.activations import ACTIVATIONS as NATIVE
from app.nn.optimizers import Optimizer
from app.nn.raw import copyto, dot

Array = np.ndarray


class Activation:
    """One of the page's activations, in place: ``value(Z, out)`` writes f(Z) into ``out``;
    ``scale(D, Z, A, T)`` multiplies ``D`` by f'(Z) (given ``A = f(Z)``; ``T`` is scratch);
    ``derivative(Z, A, T)``, when given, writes f'(Z) into ``T`` (``D *= T`` is then
    ``scale``, to the bit), so that layers sharing the activation take it in one call."""

    def __init__(
        self,
        value: Callable[[Array, Array], object],
        scale: Callable[[Array, Array, Array, Array], object],
        derivative: Callable[[Array, Array, Array], object] | None = None,
    ) -> None:
        self.value, self.scale, self.derivative = value, scale, derivative


def _tanh_derivative(Z: Array, A: Array, T: Array) -> None:
    np.multiply(A, A, out=T)
    np.subtract(1.0, T, out=T)


def _tanh_scale(D: Array, Z: Array, A: Array, T: Array) -> None:
    _tanh_derivative(Z, A, T)
    D *= T


def _relu_scale(D: Array, Z: Array, A: Array, T: Array) -> None:
    np.multiply(D, Z > 0, out=D)


def _sigmoid_value(Z: Array, out: Array) -> None:
    np.negative(Z, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.divide(1.0, out, out=out)


def _sigmoid_derivative(Z: Array, A: Array, T: Array) -> None:
    np.subtract(1.0, A, out=T)
    T *= A


def _sigmoid_scale(D: Array, Z: Array, A: Array, T: Array) -> None:
    _sigmoid_derivative(Z, A, T)
    D *= T


ACTIVATIONS: dict[str, Activation] = {
    "tanh": Activation(np.tanh, _tanh_scale, _tanh_derivative),
    "relu": Activation(
        lambda Z, out: np.maximum(Z, 0.0, out=out),
        _relu_scale,
        lambda Z, A, T: np.greater(Z, 0.0, out=T),
    ),
    "sigmoid": Activation(_sigmoid_value, _sigmoid_scale, _sigmoid_derivative),
    "linear": Activation(lambda Z, out: copyto(out, Z), lambda D, Z, A, T: None),
}
"""The page's activations by link name: tanh' = 1 − A², relu' = [Z > 0], sigmoid' = A(1 − A)."""


def _native(name: str) -> Activation:
    f = NATIVE[name]

    def scale(D: Array, Z: Array, A: Array, T: Array) -> None:
        D *= f.derivative(Z, A, T)

    return Activation(f.value, scale)


NATIVE_ACTIVATIONS: dict[str, Activation] = {
    name: _native(name) for name in NATIVE if name not in ACTIVATIONS
}
"""The project's other activations (leaky_relu, elu, …), which the page does not have."""

REGULARIZATIONS = ("none", "L1", "L2")
LOSSES = ("half_mse", "cross_entropy")
CE_CLIP = 1e-12  # probabilities are kept within [CE_CLIP, 1 − CE_CLIP] in the log
OUTPUTS = {"classification": "tanh", "regression": "linear"}


class _Pass:
    """The buffers of a pass over ``m`` rows and each layer's work, laid out once: ``Z``,
    ``A`` (``A[0]`` is the input, set by each pass; ``AT`` the transposes), ``D`` (the
    derivatives at each layer's input) and scratch ``T``; ``layers`` for the forward pass
    (weights, bias, Z, A, activation) and ``backward`` from the top layer down (its index,
    its activation's ``scale`` or None, D, Z, A, T, T again when D is to be multiplied by
    it or None, the bias's and weights' accumulators, the transposed weights, and the
    derivatives passed below or None). A linear layer's A is its Z: no copy, no derivative.

    Each of Z, A and T is one buffer that the layers' arrays cut in turn, so that when the
    lower layers share a page activation, ``derivative`` (the activation's, and the part of
    Z, A and T those layers cover) writes their derivatives in one call; their ``scale`` is
    then None and the backward pass multiplies by T."""

    def __init__(self, net: TfpNetwork, m: int) -> None:
        units = net.sizes[1:]
        ends = np.cumsum([0, *(m * u for u in units)]).tolist()
        Zf, Af, Tf = np.empty(ends[-1]), np.empty(ends[-1]), np.empty(ends[-1])
        cut = list(zip(ends[:-1], ends[1:], units, strict=True))
        self.Z, A, T = ([f[a:e].reshape(m, u) for a, e, u in cut] for f in (Zf, Af, Tf))
        acts = net._acts
        linear = ACTIVATIONS["linear"]
        A = [z if f is linear else a for z, a, f in zip(self.Z, A, acts, strict=True)]
        self.D = [np.empty((m, u)) for u in units]
        self.A: list[Array] = [np.empty((m, net.sizes[0])), *A]
        self.AT: list[Array] = [a.T for a in self.A]
        values = [None if f is linear else f.value for f in acts]
        self.layers = list(zip(net.W, net.b, self.Z, A, values, strict=True))
        top = len(units) - 1
        scaled = acts if net.loss_name == "half_mse" else acts[:-1]  # CE: o − t at the input
        shared = 0  # how many lower layers share a page activation
        while shared < len(scaled) and scaled[shared] is acts[0]:
            shared += 1
        derivative = acts[0].derivative
        self.derivative: (
            tuple[Callable[[Array, Array, Array], object], Array, Array, Array] | None
        ) = None
        if derivative is not None and shared >= 2:
            e = ends[shared]
            self.derivative = (derivative, Zf[:e], Af[:e], Tf[:e])
        else:
            shared = 0
        self.backward = [
            (
                k,
                acts[k].scale if shared <= k < len(scaled) and acts[k] is not linear else None,
                self.D[k],
                self.Z[k],
                A[k],
                T[k],
                T[k] if k < shared else None,
                net.acc_b[k],
                net.acc_W[k],
                net.W[k].T,
                self.D[k - 1] if k else None,
            )
            for k in range(top, -1, -1)
        ]


class _Steps:
    """What ``TfpNetwork.update`` works on: views of the weights and biases, the per-
    parameter factor of the data step (for ``key``: the learning rate and the examples
    accumulated), the step, the links alive, and the weights' penalty, product and
    crossings."""

    def __init__(self, net: TfpNetwork) -> None:
        nw, size = net.n_weights, net.theta.size
        self.w, self.b = net.theta[:nw], net.theta[nw:]
        self.key: tuple[float, int] | None = None
        self.factor, self.step = np.empty(size), np.empty(size)
        self.step_w, self.step_b = self.step[:nw], self.step[nw:]
        self.live = np.ones(size, bool)
        self.live_w = self.live[:nw]
        self.after, self.prod, self.crossed = np.empty(nw), np.empty(nw), np.empty(nw, bool)


class TfpNetwork:
    """A fully connected network with the page's semantics; one output.

    The parameters live in one flat vector (all weights, then all biases) that ``W`` and
    ``b`` view, so that an update is a few whole-vector operations.
    """

    def __init__(
        self,
        W: list[Array],
        b: list[Array],
        activation: str | tuple[str, ...],
        output: str,
        regularization: str = "none",
        dead: list[Array] | None = None,
        loss: str = "half_mse",
    ) -> None:
        self.sizes = [int(np.shape(W[0])[0]), *(int(np.shape(w)[1]) for w in W)]
        hidden = len(self.sizes) - 2
        acts = (activation,) * hidden if isinstance(activation, str) else tuple(activation)
        if len(acts) != hidden or not all(
            a in ACTIVATIONS or a in NATIVE_ACTIVATIONS for a in (*acts, output)
        ):
            raise ValueError(f"unknown activations or not one per layer: {activation!r}")
        if regularization not in REGULARIZATIONS:
            raise ValueError(f"unknown regularization: {regularization!r}")
        if loss not in LOSSES or (loss == "cross_entropy" and output != "tanh"):
            raise ValueError(f"loss {loss!r} does not fit the output {output!r}")
        self.activations, self.output, self.regularization = acts, output, regularization
        self.loss_name = loss
        self._acts = self._activations()
        self._ws: dict[int, _Pass] = {}
        shapes = list(zip(self.sizes[:-1], self.sizes[1:], strict=True))
        self.n_weights = sum(a * c for a, c in shapes)
        self.theta = np.zeros(self.n_weights + sum(c for _, c in shapes))
        self.grad = np.zeros_like(self.theta)
        self.W, self.b = self._views(self.theta)
        self.acc_W, self.acc_b = self._views(self.grad)
        for k, (w, v) in enumerate(zip(W, b, strict=True)):
            self.W[k][...] = w
            self.b[k][...] = v
        self.dead = np.zeros(self.n_weights, bool)
        if dead is not None:
            self.dead[:] = np.concatenate([np.ravel(d) for d in dead]) if dead else []
        self.count = 0
        self._steps = _Steps(self)

    def _activations(self) -> list[Activation]:
        table = {**NATIVE_ACTIVATIONS, **ACTIVATIONS}
        return [table[a] for a in (*self.activations, self.output)]

    def _views(self, flat: Array) -> tuple[list[Array], list[Array]]:
        W, b, wo, bo = [], [], 0, self.n_weights
        for a, c in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            W.append(flat[wo : wo + a * c].reshape(a, c))
            b.append(flat[bo : bo + c])
            wo, bo = wo + a * c, bo + c
        return W, b

    def __getstate__(self) -> dict[str, object]:
        state = self.__dict__.copy()
        for k in ("W", "b", "acc_W", "acc_b", "_acts", "_ws", "_steps"):
            del state[k]
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._acts = self._activations()
        self._ws = {}
        self.W, self.b = self._views(self.theta)
        self.acc_W, self.acc_b = self._views(self.grad)
        self._steps = _Steps(self)

    @classmethod
    def build(
        cls,
        sizes: list[int],
        activation: str | tuple[str, ...],
        output: str,
        regularization: str,
        random: Callable[[], float],
        init_zero: bool = False,
        loss: str = "half_mse",
    ) -> TfpNetwork:
        """The page's initialization: node by node, each incoming link draws
        ``random() − 0.5`` (drawn, then zeroed, under ``init_zero``); biases 0.1 (or 0)."""
        W, b = [], []
        for fan_in, units in zip(sizes[:-1], sizes[1:], strict=True):
            draws = np.array([random() - 0.5 for _ in range(fan_in * units)], dtype=np.float64)
            w = draws.reshape(units, fan_in).T
            W.append(np.zeros_like(w) if init_zero else w)
            b.append(np.full(units, 0.0 if init_zero else 0.1))
        return cls(W, b, activation, output, regularization, loss=loss)

    def dead_links(self) -> list[Array]:
        """Which links are dead, per layer, shaped like ``W``."""
        return self._views(self.dead)[0]

    def _workspace(self, m: int) -> _Pass:
        """The buffers and per-layer work of a pass over ``m`` rows (a few sizes kept)."""
        ws = self._ws.get(m)
        if ws is None:
            if len(self._ws) >= 8:
                self._ws.clear()
            ws = self._ws[m] = _Pass(self, m)
        return ws

    def forward(self, X: Array) -> tuple[list[Array], list[Array]]:
        """Pre-activations ``Z[k] (n, sizes[k+1])`` and values ``A[k]``; ``A[0]`` is ``X``.
        The arrays are reused by the next call with as many rows."""
        ws, add = self._workspace(X.shape[0]), np.add
        a = ws.A[0] = X
        for w, v, z, out, value in ws.layers:
            dot(a, w, z)
            add(z, v, z)
            if value is not None:
                value(z, out)
            a = out
        return ws.Z, ws.A

    def predict(self, X: Array) -> Array:
        """The output for each row of ``X``: shape ``(n,)``."""
        return self.forward(X)[1][-1][:, 0].copy()

    def loss(self, X: Array, y: Array) -> float:
        """Mean ½(o − t)² over the rows (the page's loss; NaN for no rows), or the mean
        cross-entropy under that loss."""
        if X.shape[0] == 0:
            return math.nan
        return self.mean_loss(self.forward(X)[1][-1][:, 0], y)

    def mean_loss(self, o: Array, y: Array) -> float:
        """The loss of outputs ``o (n,)`` for targets ``y (n,)`` (±1 or values)."""
        return float(self.mean_losses(o[None, :], y)[0])

    def mean_losses(self, out: Array, y: Array) -> Array:
        """The loss of each row of outputs ``out (P, n)`` for targets ``y (n,)``: ``(P,)``."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if self.loss_name == "cross_entropy":
                p = np.clip((out + 1.0) / 2.0, CE_CLIP, 1.0 - CE_CLIP)
                t = (y + 1.0) / 2.0
                losses: Array = -np.mean(t * np.log(p) + (1.0 - t) * np.log1p(-p), axis=1)
                return losses
            d = out - y
            return np.mean(0.5 * d * d, axis=1)

    def accumulate(self, X: Array, y: Array) -> None:
        """Add the summed per-example derivatives of ``X (m, inputs)``, ``y (m,)``."""
        _, A = self.forward(X)
        ws, a = self._workspace(X.shape[0]), A[-1]
        AT = ws.AT
        AT[0] = X.T
        np.subtract(a, y[:, None], ws.D[-1])
        if ws.derivative is not None:
            derivative, z_all, a_all, t_all = ws.derivative
            derivative(z_all, a_all, t_all)
        multiply = np.multiply
        if self.count == 0:
            for k, scale, d, z, a, t, times, acc_b, acc_W, wT, below in ws.backward:
                if scale is not None:
                    scale(d, z, a, t)
                elif times is not None:
                    multiply(d, times, d)
                np.add.reduce(d, 0, out=acc_b)
                dot(AT[k], d, acc_W)
                if below is not None:
                    dot(d, wT, below)
        else:
            for k, scale, d, z, a, t, times, acc_b, acc_W, wT, below in ws.backward:
                if scale is not None:
                    scale(d, z, a, t)
                elif times is not None:
                    multiply(d, times, d)
                acc_b += d.sum(axis=0)
                acc_W += AT[k] @ d
                if below is not None:
                    dot(d, wT, below)
        self.count += X.shape[0]

    def update(self, lr: float, rate: float, optimizer: Optimizer | None = None) -> None:
        """Apply the accumulated derivatives as the page does, then clear them.

        A dead link keeps its weight whatever the regularization (the page skips it), even
        one set by hand. With an ``optimizer`` (Adam, momentum: beyond what the page can do)
        the step is the optimizer's along the mean derivative plus the penalty's
        (``rate·sign(w)`` or ``rate·w``); its own learning rate applies and no link dies.
        """
        n = self.count
        if n == 0:
            return
        if optimizer is not None:
            self._optimizer_update(rate, optimizer)
            self.count = 0
            return
        # The data step of every parameter, lr·g/n for a bias and (lr/n)·g for a weight
        # (as the page computes them), then the weights' penalty; under L1 a link that the
        # penalty takes across zero becomes 0 and dead. A dead link's weight never changes.
        u, dead, regularization = self._steps, self.dead, self.regularization
        if u.key != (lr, n):
            u.factor[: self.n_weights] = lr / n
            u.factor[self.n_weights :] = lr
            u.key = (lr, n)
        np.multiply(self.grad, u.factor, u.step)
        u.step_b /= n
        if regularization == "none":
            np.logical_not(dead, u.live_w)
            np.subtract(self.theta, u.step, out=self.theta, where=u.live)
            self.count = 0
            return
        w, after = u.w, u.after
        u.b -= u.step_b
        new = np.subtract(w, u.step_w, u.step_w)
        if regularization == "L2":
            np.multiply(w, lr * rate, after)
            new -= after
        else:  # L1
            np.sign(w, after)
            after *= lr * rate
            np.subtract(new, after, after)
            np.multiply(new, after, u.prod)
            np.less(u.prod, 0.0, u.crossed)
            copyto(after, 0.0, where=u.crossed)
            new = after
        copyto(new, w, where=dead)
        if regularization == "L1":
            np.logical_or(dead, u.crossed, dead)
        copyto(w, new)
        self.count = 0

    def _optimizer_update(self, rate: float, optimizer: Optimizer) -> None:
        nw = self.n_weights
        w = self.theta[:nw]
        dead = self.dead.copy() if np.logical_or.reduce(self.dead) else None
        kept = None if dead is None else w[dead]
        g = self.grad / self.count
        if self.regularization == "L1":
            g[:nw] += rate * np.sign(w)
        elif self.regularization == "L2":
            g[:nw] += rate * w
        optimizer.update(self.theta, g)
        if dead is not None:
            w[dead] = kept


def update_points(n: int, batch_size: float) -> list[int]:
    """The examples of an epoch after which the page updates: ``(i + 1) % batch_size == 0``."""
    return [i for i in range(n) if math.fmod(i + 1, batch_size) == 0]


class TfpTrainer:
    """Trains a :class:`TfpNetwork` on fixed data, one epoch as the page's ``oneStep``;
    with an ``optimizer`` its updates are that optimizer's (see ``TfpNetwork.update``)."""

    def __init__(
        self,
        net: TfpNetwork,
        X: Array,
        y: Array,
        lr: float,
        rate: float,
        batch_size: float,
        optimizer: Optimizer | None = None,
    ) -> None:
        self.net, self.lr, self.rate, self.optimizer = net, lr, rate, optimizer
        self.X = np.ascontiguousarray(X, dtype=np.float64)
        self.y = np.asarray(y, dtype=np.float64)
        self.epoch = 0
        self.updates = 0
        self.diverged = False
        bounds = [0, *(i + 1 for i in update_points(self.X.shape[0], batch_size))]
        self._runs = [
            (self.X[a:c], self.y[a:c]) for a, c in zip(bounds[:-1], bounds[1:], strict=True)
        ]
        tail = bounds[-1]
        self._tail = (self.X[tail:], self.y[tail:]) if tail < self.X.shape[0] else None
        self._at = 0  # the next update's run, in an epoch cut off at a deadline

    def run(self, epochs: int = 1) -> int:
        """Train up to ``epochs`` epochs; stops once a parameter is no longer finite (the
        page would go on with NaN). Returns the epochs done."""
        done = 0
        while done < epochs and not self.diverged and self.advance():
            done += 1
        return done

    def advance(self, deadline: float = math.inf) -> bool:
        """Train on in the current epoch until it ends (True) or ``time.perf_counter()``
        passes ``deadline`` between two updates (False; the next call carries on, with the
        same numbers). False if it had diverged; the epoch in which it diverges ends."""
        if self.diverged:
            return False
        net, lr, rate, optimizer = self.net, self.lr, self.rate, self.optimizer
        clock, timed, runs = time.perf_counter, deadline != math.inf, self._runs
        with np.errstate(over="ignore", invalid="ignore"):
            for i in range(self._at, len(runs)):
                net.accumulate(*runs[i])
                net.update(lr, rate, optimizer)
                self.updates += 1
                if timed and i + 1 < len(runs) and clock() >= deadline:
                    self._at = i + 1
                    return False
            if self._tail is not None:
                net.accumulate(*self._tail)
            self._at = 0
            self.epoch += 1
            self.diverged = not bool(np.isfinite(net.theta).all())
        return True

    def loss(self) -> float:
        """The training loss on the page's scale."""
        return self.net.loss(self.X, self.y)
