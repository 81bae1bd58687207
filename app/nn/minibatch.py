"""Mini-batch gradient steps laid out for speed: the inner loop of gradient descent.

An epoch of the default network is 25 mini-batches of 10 samples through layers of a few
units. The arrays are tiny, so the cost is the number of NumPy calls and the Python around
them, not arithmetic. ``MiniBatches`` keeps that number small:

- each layer's weights and bias are one ``(fan_in + 1, fan_out)`` matrix ``[W; b]`` and
  each layer's input carries a row of ones (the stacked layout, ``app.nn.stacked``), so the
  bias rides in the matmul forward and its gradient in the matmul backward (one call each
  instead of two);
- the parameters are trained in that stacked layout: a copy of ``theta`` gathered when a
  run starts and scattered back when it stops, the optimizer's state likewise, so the
  network's own layout (``app.nn.network``) is what everyone else sees;
- arrays run units × samples, so that every hidden layer is a row block of one buffer: when
  the hidden layers share an activation, every derivative is taken in one call after the
  forward pass, and a layer's error is then a matmul and a product;
- the output layer's error comes from the logits and a target prepared once per training
  set (``Loss.train_delta``), with the optimizer's ``grad_scale`` folded into its factor,
  a 0-d array per batch size set when the scale changes (plain SGD's step is then one
  subtraction, made here, its count added once per run);
- the weights after each step are kept in a row of a buffer and checked for divergence
  every ``CHECK_EVERY`` steps (fewer for a large network) with one dot product, rather
  than after each;
- the training set, with its row of ones and its targets in one array, is shuffled once per
  epoch (one call) into a buffer whose mini-batches, like every buffer and view of the
  passes, are laid out in advance;
- ``take`` into a buffer is called with ``mode="clip"`` (the indexes are always in range):
  the default mode first takes into a scratch copy, so that an index out of range leaves
  the buffer as it was, which costs as much as the take itself.

The numbers are those of ``Network.backprop`` followed by ``Optimizer.update`` up to
rounding; the same inputs give the same numbers, bit for bit, however a run is cut.

Shapes: ``X (n, inputs)``, encoded targets ``Y (n, outputs)``, held as ``(inputs + 1, n)``
and ``(outputs, n)``; for a batch of ``m`` samples, layer l has ``Z (fo, m)``, ``A (fo, m)``
(over a row of ones), ``D (fo, m)`` (dLoss/dZ, times the scale) and ``[W; b] (fi + 1, fo)``.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from app.nn.network import Network
from app.nn.optimizers import DIVERGED_NORM2, Optimizer
from app.nn.raw import copyto, dot
from app.nn.stacked import Stacking, with_ones

Array = np.ndarray

CHECK_EVERY = 32  # steps between two checks for divergence (see ``_steps``)
# At most this many numbers in one check's dot product: OpenBLAS computes a longer one with
# its threads, which then keep spinning and take the CPU from everything after.
CHECK_SIZE = 8192


class _Plan:
    """The buffers and the per-layer work of a pass over ``m`` samples, laid out once.

    Arrays run units × samples (see the module docstring). Every hidden layer's
    pre-activations, activations and derivatives are row blocks of one buffer each, so a
    network whose hidden layers share an activation takes every derivative in one call."""

    def __init__(self, net: Network, Wb: list[Array], dWb: list[Array], m: int) -> None:
        units, out = net.sizes[1:-1], net.sizes[-1]
        acts = net.hidden_activations
        rows = np.cumsum([0, *(k + 1 for k in units)]).tolist()
        # Row blocks per hidden layer: its units, then a row of ones (zeros in Z).
        Z, A, G = np.zeros((rows[-1], m)), np.ones((rows[-1], m)), np.empty((rows[-1], m))
        blocks = [(r, r + k) for r, k in zip(rows[:-1], units, strict=True)]
        self.hidden = [
            (W.T, Z[r:e], act.value, A[r:e], A[r : e + 1])
            for W, (r, e), act in zip(Wb[:-1], blocks, acts, strict=True)
        ]
        if acts and all(act is acts[0] for act in acts):
            self.derivatives = [(acts[0].derivative, Z, A, G)]
        else:
            self.derivatives = [
                (act.derivative, Z[r:e], A[r:e], G[r:e])
                for act, (r, e) in zip(acts, blocks, strict=True)
            ]
        Zo, Ao, Do = np.empty((out, m)), np.empty((out, m)), np.empty((out, m))
        # The output layer: its weights, and its arrays as samples × units for the loss.
        self.output = (Wb[-1].T, Zo, Zo.T, Ao.T, Do.T)
        D = [np.empty((k, m)) for k in units] + [Do]
        # Layers L..2, each passing the error back to the one below; layer 1's input is the
        # batch itself.
        self.backward = [
            (A[r : e + 1], D[k].T, dWb[k], Wb[k][:-1], D[k], D[k - 1], G[r:e])
            for k, (r, e) in reversed(list(enumerate(blocks, start=1)))
        ]
        self.first = (D[0].T, dWb[0])
        self.m, self.factor = m, np.empty(())  # the loss's factor for m samples (see run)


class MiniBatches:
    """One network's mini-batch steps over one training set ``X (n, inputs)``, ``Y (n,
    outputs)`` in batches of ``batch`` samples (the last may be shorter; see the module
    docstring). ``shuffle`` lays out an epoch's order; ``run`` trains through it."""

    def __init__(self, net: Network, X: Array, Y: Array, batch: int) -> None:
        self.net, self.X, self.Y, self.batch = net, X, Y, batch
        n = X.shape[0]
        p = net.n_params
        stacking = Stacking.of(net)
        self._where, self._back, self._weights = stacking.where, stacking.back, stacking.weights
        self.theta, self.grad = np.empty(p), np.empty(p)
        self._scratch, self._rates = np.empty(p), np.empty(p)
        self._rates_for: tuple[Any, float] | None = None
        self._factor_for: float | None = None
        Wb, dWb = stacking.matrices(self.theta), stacking.matrices(self.grad)
        # The inputs with their row of ones, then the targets: one array, shuffled by one call.
        data = np.concatenate([with_ones(X).T, net.loss_fn.train_target(Y).T])
        rows = X.shape[1] + 1  # (inputs + 1, n) over (outputs, n)
        self.shuffles = batch < n  # one batch holding every sample needs no shuffle
        self._data, self._shuffled = data, np.empty_like(data) if self.shuffles else data
        Xs, Ts = self._shuffled[:rows], self._shuffled[rows:]
        self._order: Array | None = None
        plans: dict[int, _Plan] = {}
        self._batches = []
        for start in range(0, n, batch):
            m = min(batch, n - start)
            plan = plans.get(m) or plans.setdefault(m, _Plan(net, Wb, dWb, m))
            self._batches.append(
                (plan.hidden, plan.derivatives, *plan.output, plan.factor, plan.backward,
                 *plan.first, Xs[:, start : start + m], Ts[:, start : start + m].T)
            )  # fmt: skip
        self._plans = list(plans.values())
        # The weights before a run of steps, then after each (see ``_steps``).
        rows = max(1, min(CHECK_EVERY, len(self._batches), CHECK_SIZE // p))
        self._past = np.empty((rows + 1, p))

    def fits(self, net: Network, X: Array, Y: Array, batch: int) -> bool:
        """Whether these are the network, data and batch size it was laid out for."""
        return self.net is net and self.X is X and self.Y is Y and self.batch == batch

    def __len__(self) -> int:
        """Mini-batches in an epoch."""
        return len(self._batches)

    def shuffle(self, order: Array) -> None:
        """Lay out an epoch's samples in ``order (n,)`` (a permutation)."""
        self._data.take(order, axis=1, out=self._shuffled, mode="clip")
        self._order = order

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as what it was built from (views would come back as copies)."""
        return (_rebuilt, (self.net, self.X, self.Y, self.batch, self._order))

    def run(self, at: int, optimizer: Optimizer, deadline: float = math.inf) -> tuple[int, bool]:
        """Train through the mini-batches from the ``at``-th until the epoch ends or
        ``time.perf_counter()`` passes ``deadline`` (checked between two of them). Returns
        ``(next, diverged)``: the mini-batch to go on from (``len(self)`` once the epoch is
        done; ``next − at`` updates were made) and whether the ``next``-th step diverged,
        in which case it was undone. The network's ``theta`` and the optimizer's state are
        up to date on return; after a divergence the optimizer's state also holds the steps
        made after the diverged one (see ``_steps``): reset it."""
        net, theta = self.net, self.theta
        net.theta.take(self._where, out=theta, mode="clip")
        self._permute(optimizer, self._where)
        try:
            # The steps after one that diverged, thrown away, may overflow: no warnings.
            with np.errstate(over="ignore", invalid="ignore"):
                return self._steps(at, optimizer, deadline)
        finally:
            theta.take(self._back, out=net.theta, mode="clip")
            self._permute(optimizer, self._back)

    def _steps(self, at: int, optimizer: Optimizer, deadline: float) -> tuple[int, bool]:
        net, theta, grad = self.net, self.theta, self.grad
        scale = optimizer.grad_scale
        if self._factor_for != scale:
            k, factor_of = net.sizes[-1], net.loss_fn.train_factor
            for plan in self._plans:
                plan.factor[()] = factor_of(scale, plan.m, k)
            self._factor_for = scale
        # Plain SGD's step is a subtraction, made here; its count is added on return. The
        # weights after each step are kept in a row of ``past`` (row 0: before the first)
        # and checked every ``CHECK_EVERY`` steps, at a cut and at the end: the first that
        # is out of bounds is the step that diverged, and the row before it is put back.
        # The same weights and count as a check after every step, for a copy a step
        # instead of a copy and a dot product (the steps made after a diverged one are
        # thrown away; the optimizer's state is reset after a divergence).
        step = None if optimizer.subtracts else optimizer.step
        past, rows, r = self._past, self._past.shape[0] - 1, 0
        copyto(past[0], theta)
        penalty = net.regularization
        rates = self._penalty_rates(scale) if penalty.active else None
        train_delta = net.loss_fn.train_delta
        multiply, subtract = np.multiply, np.subtract
        bound = DIVERGED_NORM2 * theta.shape[0]  # θ·θ above it (or NaN): diverged
        clock, timed = time.perf_counter, deadline != math.inf
        batches, end = self._batches, len(self._batches)
        for i in range(at, end):
            hidden, derivatives, W, Z, ZT, AT, DT, factor, backward, D0T, dW0, Xb, Tb = batches[i]
            prev = Xb
            for Wk, Zk, value, Ak, Ak1 in hidden:
                dot(Wk, prev, Zk)
                value(Zk, Ak)
                prev = Ak1
            dot(W, prev, Z)
            train_delta(ZT, AT, Tb, DT, factor)
            for derivative, Zs, As, Gs in derivatives:
                derivative(Zs, As, Gs)
            for Ak1, DkT, dWk, Wk, Dk, Dp, Gp in backward:
                dot(Ak1, DkT, dWk)
                dot(Wk, Dk, Dp)
                multiply(Dp, Gp, Dp)
            dot(Xb, D0T, dW0)
            if rates is not None:
                penalty.add_gradient(theta, grad, self._scratch, rates)
            cut = timed and i + 1 < end and clock() >= deadline
            if step is None:
                subtract(theta, grad, theta)
            else:
                step(theta, grad)
            r += 1
            copyto(past[r], theta)
            if r == rows or cut or i + 1 == end:
                if q := _first_out_of_bounds(past, r, bound):
                    copyto(theta, past[q - 1])
                    stop, diverged = i - r + q, True
                    break
                copyto(past[0], theta)
                r = 0
            if cut:
                stop, diverged = i + 1, False
                break
        else:
            stop, diverged = end, False
        if step is None:  # the updates made, the diverged one too (as ``step`` counts them)
            optimizer.t += stop - at + diverged
        return stop, diverged

    def _penalty_rates(self, scale: float) -> Array:
        """The penalty's rate times ``scale`` on every weight, 0 on every bias."""
        key = (self.net.regularization, scale)
        if self._rates_for != key:
            np.multiply(self._weights, self.net.regularization.rate * scale, out=self._rates)
            self._rates_for = key
        return self._rates

    def _permute(self, optimizer: Optimizer, index: Array) -> None:
        """Carry the optimizer's state (arrays over every parameter) into the other layout."""
        state = optimizer.state
        for key in list(state):
            if state[key].shape == index.shape:
                state[key] = state[key][index]


def _first_out_of_bounds(past: Array, r: int, bound: float) -> int:
    """The first of the rows ``1..r`` of ``past`` whose θ·θ is above ``bound`` or not a
    number (0: none). One dot product over them all answers for the usual case: if their
    sum is well below the bound, so is every row's (the margin covers any rounding)."""
    rows = past[1 : r + 1].reshape(-1)
    if dot(rows, rows) <= bound * (1.0 - 1e-9):
        return 0
    for q in range(1, r + 1):
        if not dot(past[q], past[q]) <= bound:
            return q
    return 0


def _rebuilt(net: Network, X: Array, Y: Array, batch: int, order: Array | None) -> MiniBatches:
    batches = MiniBatches(net, X, Y, batch)
    if order is not None:
        batches.shuffle(order)
    return batches
