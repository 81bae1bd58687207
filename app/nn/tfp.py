"""TensorFlow Playground's network and update rule, vectorized.

The page trains one example at a time: a forward pass, a backward pass whose derivatives
are added to per-link and per-node accumulators, and an update every ``batchSize``-th
example of the epoch, each step being the accumulated sum divided by the number of examples
accumulated. Between two updates the weights do not change, so the per-example sum over a
run of examples is one batched product: ``dW = A_prev.T @ D``; training does it in the
stacked layout of ``app.nn.tfp_steps`` (the bias in the matmul), which rounds the page's
sums in another order. The page's rules kept here:

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
from app.nn.tfp_steps import Stacked, stacked_input

Array = np.ndarray


class Activation:
    """One of the page's activations, in place: ``value(Z, out)`` writes f(Z) into ``out``;
    ``derivative(Z, A, T)`` writes f'(Z) into ``T`` (given ``A = f(Z)``), None for the
    linear one (whose derivative is 1)."""

    def __init__(
        self,
        value: Callable[[Array, Array], object],
        derivative: Callable[[Array, Array, Array], object] | None = None,
    ) -> None:
        self.value, self.derivative = value, derivative


def _tanh_derivative(Z: Array, A: Array, T: Array) -> None:
    np.multiply(A, A, out=T)
    np.subtract(1.0, T, out=T)


def _sigmoid_value(Z: Array, out: Array) -> None:
    np.negative(Z, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.divide(1.0, out, out=out)


def _sigmoid_derivative(Z: Array, A: Array, T: Array) -> None:
    np.subtract(1.0, A, out=T)
    T *= A


ACTIVATIONS: dict[str, Activation] = {
    "tanh": Activation(np.tanh, _tanh_derivative),
    "relu": Activation(
        lambda Z, out: np.maximum(Z, 0.0, out=out),
        lambda Z, A, T: np.greater(Z, 0.0, out=T),
    ),
    "sigmoid": Activation(_sigmoid_value, _sigmoid_derivative),
    "linear": Activation(lambda Z, out: copyto(out, Z)),
}
"""The page's activations by link name: tanh' = 1 − A², relu' = [Z > 0], sigmoid' = A(1 − A)."""

NATIVE_ACTIVATIONS: dict[str, Activation] = {
    name: Activation(f.value, f.derivative) for name, f in NATIVE.items() if name not in ACTIVATIONS
}
"""The project's other activations (leaky_relu, elu, …), which the page does not have."""

REGULARIZATIONS = ("none", "L1", "L2")
LOSSES = ("half_mse", "cross_entropy")
CE_CLIP = 1e-12  # probabilities are kept within [CE_CLIP, 1 − CE_CLIP] in the log
OUTPUTS = {"classification": "tanh", "regression": "linear"}


class _Pass:
    """The buffers of a forward pass over ``m`` rows, laid out once: ``Z``, ``A`` (``A[0]``
    is the input, set by each pass) and ``layers`` (weights, bias, Z, A, activation or None
    for a linear layer, whose A is its Z)."""

    def __init__(self, net: TfpNetwork, m: int) -> None:
        units = net.sizes[1:]
        self.Z = [np.empty((m, u)) for u in units]
        values = [f.value if f.derivative is not None else None for f in net._acts]
        A = [z if v is None else np.empty_like(z) for z, v in zip(self.Z, values, strict=True)]
        self.A: list[Array] = [np.empty((m, net.sizes[0])), *A]
        self.layers = list(zip(net.W, net.b, self.Z, A, values, strict=True))


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
        self._stacked: Stacked | None = None

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
        for k in ("W", "b", "acc_W", "acc_b", "_acts", "_ws", "_stacked"):
            del state[k]
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._acts = self._activations()
        self._ws = {}
        self.W, self.b = self._views(self.theta)
        self.acc_W, self.acc_b = self._views(self.grad)
        self._stacked = None

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

    def stacked(self) -> Stacked:
        """The parameters in the layout that training works in (``app.nn.tfp_steps``)."""
        if self._stacked is None:
            self._stacked = Stacked(self)
        return self._stacked

    def accumulate(self, X: Array, y: Array) -> None:
        """Add the summed per-example derivatives of ``X (m, inputs)``, ``y (m,)``."""
        st = self.stacked()
        st.load()
        st.accumulate(st.plan(X.shape[0]), stacked_input(X), np.asarray(y, np.float64)[None, :])
        st.store()

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
        st = self.stacked()
        st.load(optimizer)
        if optimizer is None:
            st.update(lr, rate)
        else:
            st.optimizer_update(rate, optimizer)
        st.store(optimizer)


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
        n = self.X.shape[0]
        bounds = [0, *(i + 1 for i in update_points(n, batch_size))]
        X1, t = stacked_input(self.X), self.y[None, :]

        def cut(a: int, c: int) -> tuple[Array, Array]:
            return np.ascontiguousarray(X1[:, a:c]), t[:, a:c].copy()

        # Each run of examples between two updates as (inputs + 1, m) and (1, m); the
        # examples after the epoch's last update are accumulated, not applied.
        self._runs = [cut(a, c) for a, c in zip(bounds[:-1], bounds[1:], strict=True)]
        self._tail = cut(bounds[-1], n) if bounds[-1] < n else None
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
        st = net.stacked()
        plan, accumulate, update = st.plan, st.accumulate, st.update
        st.load(optimizer)
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                for i in range(self._at, len(runs)):
                    X, t = runs[i]
                    accumulate(plan(X.shape[1]), X, t)
                    if optimizer is None:
                        update(lr, rate)
                    else:
                        st.optimizer_update(rate, optimizer)
                    self.updates += 1
                    if timed and i + 1 < len(runs) and clock() >= deadline:
                        self._at = i + 1
                        return False
                if self._tail is not None:
                    X, t = self._tail
                    accumulate(plan(X.shape[1]), X, t)
        finally:
            st.store(optimizer)
        self._at = 0
        self.epoch += 1
        self.diverged = not bool(np.isfinite(net.theta).all())
        return True

    def loss(self) -> float:
        """The training loss on the page's scale."""
        return self.net.loss(self.X, self.y)
