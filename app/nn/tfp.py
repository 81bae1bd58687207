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

Shapes: ``sizes = [inputs, *hidden, 1]``; for layer ``k``: ``W[k] (sizes[k], sizes[k+1])``,
``b[k] (sizes[k+1],)``, ``dead[k]`` like ``W[k]``. Inputs ``X (n, inputs)``, labels ``y (n,)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

Array = np.ndarray


def _sigmoid(Z: Array) -> Array:
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-Z))


ACTIVATIONS: dict[str, tuple[Callable[[Array], Array], Callable[[Array, Array], Array]]] = {
    "tanh": (np.tanh, lambda Z, A: 1 - A * A),
    "relu": (lambda Z: np.maximum(0.0, Z), lambda Z, A: (Z > 0).astype(np.float64)),
    "sigmoid": (_sigmoid, lambda Z, A: A * (1 - A)),
    "linear": (lambda Z: Z, lambda Z, A: np.ones_like(Z)),
}
"""The page's activations by link name: (value of Z, derivative given Z and the value)."""

REGULARIZATIONS = ("none", "L1", "L2")
OUTPUTS = {"classification": "tanh", "regression": "linear"}


class TfpNetwork:
    """A fully connected network with the page's semantics; one output.

    The parameters live in one flat vector (all weights, then all biases) that ``W`` and
    ``b`` view, so that an update is a few whole-vector operations.
    """

    def __init__(
        self,
        W: list[Array],
        b: list[Array],
        activation: str,
        output: str,
        regularization: str = "none",
        dead: list[Array] | None = None,
    ) -> None:
        if activation not in ACTIVATIONS or output not in ACTIVATIONS:
            raise ValueError(f"unknown activation: {activation!r} or {output!r}")
        if regularization not in REGULARIZATIONS:
            raise ValueError(f"unknown regularization: {regularization!r}")
        self.sizes = [int(np.shape(W[0])[0]), *(int(np.shape(w)[1]) for w in W)]
        self.activation, self.output, self.regularization = activation, output, regularization
        self._acts = self._activations()
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

    def _activations(
        self,
    ) -> list[tuple[Callable[[Array], Array], Callable[[Array, Array], Array]]]:
        hidden = ACTIVATIONS[self.activation]
        return [hidden] * (len(self.sizes) - 2) + [ACTIVATIONS[self.output]]

    def _views(self, flat: Array) -> tuple[list[Array], list[Array]]:
        W, b, wo, bo = [], [], 0, self.n_weights
        for a, c in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            W.append(flat[wo : wo + a * c].reshape(a, c))
            b.append(flat[bo : bo + c])
            wo, bo = wo + a * c, bo + c
        return W, b

    def __getstate__(self) -> dict[str, object]:
        state = self.__dict__.copy()
        for k in ("W", "b", "acc_W", "acc_b", "_acts"):
            del state[k]
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._acts = self._activations()
        self.W, self.b = self._views(self.theta)
        self.acc_W, self.acc_b = self._views(self.grad)

    @classmethod
    def build(
        cls,
        sizes: list[int],
        activation: str,
        output: str,
        regularization: str,
        random: Callable[[], float],
        init_zero: bool = False,
    ) -> TfpNetwork:
        """The page's initialization: node by node, each incoming link draws
        ``random() − 0.5`` (drawn, then zeroed, under ``init_zero``); biases 0.1 (or 0)."""
        W, b = [], []
        for fan_in, units in zip(sizes[:-1], sizes[1:], strict=True):
            draws = np.array([random() - 0.5 for _ in range(fan_in * units)], dtype=np.float64)
            w = draws.reshape(units, fan_in).T
            W.append(np.zeros_like(w) if init_zero else w)
            b.append(np.full(units, 0.0 if init_zero else 0.1))
        return cls(W, b, activation, output, regularization)

    def dead_links(self) -> list[Array]:
        """Which links are dead, per layer, shaped like ``W``."""
        return self._views(self.dead)[0]

    def forward(self, X: Array) -> tuple[list[Array], list[Array]]:
        """Pre-activations ``Z[k] (n, sizes[k+1])`` and values ``A[k]``; ``A[0]`` is ``X``."""
        A, Z = [X], []
        for w, v, (f, _) in zip(self.W, self.b, self._acts, strict=True):
            z = A[-1] @ w
            z += v
            Z.append(z)
            A.append(f(z))
        return Z, A

    def predict(self, X: Array) -> Array:
        """The output for each row of ``X``: shape ``(n,)``."""
        return self.forward(X)[1][-1][:, 0]

    def loss(self, X: Array, y: Array) -> float:
        """Mean ½(o − t)² over the rows (the page's loss; NaN for no rows)."""
        if X.shape[0] == 0:
            return math.nan
        with np.errstate(over="ignore", invalid="ignore"):
            d = self.predict(X) - y
            return float(np.mean(0.5 * d * d))

    def accumulate(self, X: Array, y: Array) -> None:
        """Add the summed per-example derivatives of ``X (m, inputs)``, ``y (m,)``."""
        Z, A = self.forward(X)
        D = A[-1] - y[:, None]
        fresh = self.count == 0
        for k in range(len(self.W) - 1, -1, -1):
            D = D * self._acts[k][1](Z[k], A[k + 1])
            if fresh:
                np.add.reduce(D, axis=0, out=self.acc_b[k])
                np.matmul(A[k].T, D, out=self.acc_W[k])
            else:
                self.acc_b[k] += D.sum(axis=0)
                self.acc_W[k] += A[k].T @ D
            if k:
                D = D @ self.W[k].T
        self.count += X.shape[0]

    def update(self, lr: float, rate: float) -> None:
        """Apply the accumulated derivatives as the page does, then clear them."""
        n = self.count
        if n == 0:
            return
        nw = self.n_weights
        w, acc = self.theta[:nw], self.grad[:nw]
        self.theta[nw:] -= lr * self.grad[nw:] / n
        if self.regularization == "none":
            w -= (lr / n) * acc
        elif self.regularization == "L2":
            w[...] = (w - (lr / n) * acc) - (lr * rate) * w
        else:
            live = ~self.dead
            stepped = w - (lr / n) * acc
            new = stepped - (lr * rate) * np.sign(w)
            crossed = (stepped * new < 0) & live
            new[crossed] = 0.0
            self.dead |= crossed
            np.copyto(w, new, where=live)
        self.count = 0


def update_points(n: int, batch_size: float) -> list[int]:
    """The examples of an epoch after which the page updates: ``(i + 1) % batch_size == 0``."""
    return [i for i in range(n) if math.fmod(i + 1, batch_size) == 0]


class TfpTrainer:
    """Trains a :class:`TfpNetwork` on fixed data, one epoch as the page's ``oneStep``."""

    def __init__(
        self, net: TfpNetwork, X: Array, y: Array, lr: float, rate: float, batch_size: float
    ) -> None:
        self.net, self.lr, self.rate = net, lr, rate
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

    def run(self, epochs: int = 1) -> int:
        """Train up to ``epochs`` epochs; stops once a parameter is no longer finite (the
        page would go on with NaN). Returns the epochs done."""
        net, lr, rate = self.net, self.lr, self.rate
        done = 0
        with np.errstate(over="ignore", invalid="ignore"):
            while done < epochs and not self.diverged:
                for X, y in self._runs:
                    net.accumulate(X, y)
                    net.update(lr, rate)
                if self._tail is not None:
                    net.accumulate(*self._tail)
                self.updates += len(self._runs)
                self.epoch += 1
                done += 1
                self.diverged = not bool(np.isfinite(net.theta).all())
        return done

    def loss(self) -> float:
        """The training loss on the page's scale."""
        return self.net.loss(self.X, self.y)
