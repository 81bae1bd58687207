"""The TensorFlow Playground profile's updates laid out for speed.

A run of the page's examples between two updates is a handful of units × a few examples,
so its cost is the number of NumPy calls, not arithmetic. As in ``app.nn.minibatch``:

- each layer's weights and bias are one ``(fan_in + 1, fan_out)`` matrix ``[W; b]`` and
  each layer's input carries a row of ones, so the bias rides in the matmul forward and its
  derivative in the matmul backward (``app.nn.stacked``'s layout);
- the parameters, their accumulated derivatives and the links alive are trained in that
  stacked layout: gathered from the network's own (every weight, then every bias) when a
  run of updates starts and scattered back when it stops (``load``, ``store``);
- arrays run units × examples, every layer a row block of one buffer, so that when the
  layers share an activation every derivative is taken in one call after the forward pass;
- an update is a few whole-vector operations, the bias's and the weight's step kept apart
  by per-parameter factors (the page computes ``lr·g/n`` for a bias, ``(lr/n)·g`` for a
  weight) and the penalty by per-parameter rates, 0 on a bias.

Shapes: for ``m`` examples, layer ``k`` has ``Z (units, m)``, ``A (units, m)`` (over a row
of ones), ``D (units, m)`` (the derivative at its input) and ``[W; b] (fan_in + 1, units)``;
a run's input is ``(inputs + 1, m)`` (a row of ones last) and its targets ``(1, m)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from app.nn.optimizers import Optimizer
from app.nn.raw import copyto, dot

if TYPE_CHECKING:
    from app.nn.tfp import TfpNetwork

Array = np.ndarray


def stacked_input(X: Array) -> Array:
    """``X (m, inputs)`` as a run's input: ``(inputs + 1, m)``, a row of ones last."""
    out = np.ones((X.shape[1] + 1, X.shape[0]))
    out[:-1] = X.T
    return out


class _Plan:
    """The buffers and the per-layer work of a run of ``m`` examples, laid out once:
    ``forward`` (each layer's ``[W; b]ᵀ``, Z, activation or None for a linear one, A, and
    the next layer's input: A over its row of ones), ``derivatives`` (calls writing f'(Z)
    into G: one for the lower layers sharing an activation, one for each other layer),
    the output's A, D and its derivative, and ``backward`` from the top layer down to the
    second (its input, Dᵀ, the derivatives' accumulator and the run's own, the weights
    without the bias row, the derivatives passed below and what to multiply them by)."""

    def __init__(self, net: TfpNetwork, st: Stacked, m: int) -> None:
        units = net.sizes[1:]
        acts = net._acts
        linear = [a.derivative is None for a in acts]
        rows = np.cumsum([0, *(u + 1 for u in units)]).tolist()
        Z, A, G = np.ones((rows[-1], m)), np.ones((rows[-1], m)), np.empty((rows[-1], m))
        blocks = [(r, r + u) for r, u in zip(rows[:-1], units, strict=True)]
        outs = [(Z if lin else A)[r:e] for lin, (r, e) in zip(linear, blocks, strict=True)]
        ins = [(Z if lin else A)[r : e + 1] for lin, (r, e) in zip(linear, blocks, strict=True)]
        self.forward = [
            (W.T, Z[r:e], None if lin else f.value, a, nxt)
            for W, (r, e), lin, f, a, nxt in zip(
                st.Wb, blocks, linear, acts, outs, ins, strict=True
            )
        ]
        scaled = len(acts) if net.loss_name == "half_mse" else len(acts) - 1
        shared = 0  # how many lower layers share a page activation: one call for them
        while shared < scaled and acts[shared] is acts[0]:
            shared += 1
        f = [a.derivative for a in acts]
        spans = [(0, blocks[shared - 1][1], f[0])] if shared else []
        spans += [(*blocks[k], f[k]) for k in range(shared, scaled)]
        self.derivatives = [(d, Z[r:e], A[r:e], G[r:e]) for r, e, d in spans if d is not None]
        times = [
            G[r:e] if k < scaled and not lin else None
            for k, ((r, e), lin) in enumerate(zip(blocks, linear, strict=True))
        ]
        D = [np.empty((u, m)) for u in units]
        top = len(units) - 1
        W, dW, pW = st.Wb, st.dWb, st.part_Wb
        self.output = (outs[top], D[top], times[top])
        self.backward = [
            (ins[k - 1], D[k].T, dW[k], pW[k], W[k][:-1], D[k], D[k - 1], times[k - 1])
            for k in range(top, 0, -1)
        ]
        self.first = (D[0].T, dW[0], pW[0])


class Stacked:
    """A network's parameters, accumulated derivatives and live links in the stacked
    layout, with the buffers of its runs and updates. Valid between ``load`` and
    ``store``; the network's own arrays are what everyone else sees."""

    def __init__(self, net: TfpNetwork) -> None:
        self.net = net
        p, nw = net.theta.size, net.n_weights
        where, weights, shapes = np.empty(p, dtype=np.intp), np.zeros(p, bool), []
        at, wo, bo = 0, 0, nw
        for fi, fo in zip(net.sizes[:-1], net.sizes[1:], strict=True):
            where[at : at + fi * fo] = np.arange(wo, wo + fi * fo)
            weights[at : at + fi * fo] = True
            where[at + fi * fo : at + (fi + 1) * fo] = np.arange(bo, bo + fo)
            shapes.append((fi + 1, fo))
            at, wo, bo = at + (fi + 1) * fo, wo + fi * fo, bo + fo
        self.where, self.weights = where, weights
        self.biases = np.logical_not(weights)
        self.back = np.argsort(where)
        self.back_w = self.back[:nw]
        self.theta, self.grad, self.part = np.empty(p), np.empty(p), np.empty(p)
        self.Wb, self.dWb, self.part_Wb = (
            _matrices(flat, shapes) for flat in (self.theta, self.grad, self.part)
        )
        self.live, self._live = np.empty(p, bool), np.ones(p, bool)
        self.factor, self.divisor, self.rates = np.empty(p), np.empty(p), np.empty(p)
        self.step, self.after, self.prod = np.empty(p), np.empty(p), np.empty(p)
        self.crossed, self._dead = np.empty(p, bool), np.empty(p, bool)
        self.zeros = np.zeros(p)
        self.all_live = True  # whether every link was alive at ``load`` (and since)
        self.key: tuple[float, int] | None = None
        self.rates_key: float | None = None
        self._plans: dict[int, _Plan] = {}

    def plan(self, m: int) -> _Plan:
        """The layout of a run of ``m`` examples (a few sizes kept)."""
        plan = self._plans.get(m)
        if plan is None:
            if len(self._plans) >= 8:
                self._plans.clear()
            plan = self._plans[m] = _Plan(self.net, self, m)
        return plan

    def load(self, optimizer: Optimizer | None = None) -> None:
        """Gather the network's parameters, derivatives and dead links (and the
        ``optimizer``'s state)."""
        net = self.net
        net.theta.take(self.where, out=self.theta)
        net.grad.take(self.where, out=self.grad)
        np.logical_not(net.dead, out=self._live[: net.n_weights])
        self._live.take(self.where, out=self.live)
        self.all_live = bool(np.logical_and.reduce(self.live))
        if optimizer is not None:
            _permute(optimizer, self.where)

    def store(self, optimizer: Optimizer | None = None) -> None:
        """Scatter them back into the network's layout."""
        net = self.net
        self.theta.take(self.back, out=net.theta)
        self.grad.take(self.back, out=net.grad)
        np.logical_not(self.live, out=self._dead)
        self._dead.take(self.back_w, out=net.dead)
        if optimizer is not None:
            _permute(optimizer, self.back)

    def accumulate(self, plan: _Plan, X: Array, t: Array) -> None:
        """Add the summed derivatives of a run: input ``X (inputs + 1, m)``, targets
        ``t (1, m)``."""
        prev = X
        for WT, Zk, value, Ak, nxt in plan.forward:
            dot(WT, prev, Zk)
            if value is not None:
                value(Zk, Ak)
            prev = nxt
        for derivative, Zs, As, Gs in plan.derivatives:
            derivative(Zs, As, Gs)
        multiply = np.multiply
        out, D, times = plan.output
        np.subtract(out, t, D)
        if times is not None:
            multiply(D, times, D)
        D0T, dW0, part0 = plan.first
        net = self.net
        first = net.count == 0  # the batch's first part goes straight into its gradient
        for inp, DT, dW, part, Wn, Dk, below, G in plan.backward:
            dot(inp, DT, dW if first else part)
            dot(Wn, Dk, below)
            if G is not None:
                multiply(below, G, below)
        dot(X, D0T, dW0 if first else part0)
        if not first:
            self.grad += self.part
        net.count += X.shape[1]

    def update(self, lr: float, rate: float) -> None:
        """The page's update of the accumulated derivatives, which it then clears: the data
        step of every parameter, ``lr·g/n`` for a bias and ``(lr/n)·g`` for a weight (as the
        page computes them), then the weights' penalty; under L1 a link that the penalty
        takes across zero becomes 0 and dead. A dead link's weight never changes."""
        net = self.net
        n = net.count
        if self.key != (lr, n):
            self.factor.fill(lr / n)
            copyto(self.factor, lr, where=self.biases)
            self.divisor.fill(1.0)
            copyto(self.divisor, float(n), where=self.biases)
            self.key = (lr, n)
        theta, step, live = self.theta, self.step, self.live
        np.multiply(self.grad, self.factor, step)
        np.divide(step, self.divisor, step)
        net.count = 0
        regularization = net.regularization
        # (``where=`` on a ufunc costs several times a masked copy: a masked step is a
        # subtraction and a copy, and none when every link is alive)
        if regularization == "none":
            if self.all_live:
                np.subtract(theta, step, theta)
            else:
                np.subtract(theta, step, step)
                copyto(theta, step, where=live)
            return
        if self.rates_key != lr * rate:
            self.rates_key = lr * rate
            np.multiply(self.weights, lr * rate, self.rates)
        after = self.after
        new = np.subtract(theta, step, step)
        if regularization == "L2":
            np.multiply(theta, self.rates, after)
            if self.all_live:
                np.subtract(new, after, theta)
            else:
                new -= after
                copyto(theta, new, where=live)
            return
        # L1: a link that the penalty takes across zero becomes 0 and dead.
        np.sign(theta, after)
        after *= self.rates
        np.subtract(new, after, after)
        np.multiply(new, after, self.prod)
        crossed = np.less(self.prod, 0.0, self.crossed)
        copyto(after, self.zeros, where=crossed)
        copyto(theta, after, where=live)
        np.greater(live, crossed, live)
        self.all_live = False  # (perhaps no longer)

    def optimizer_update(self, rate: float, optimizer: Optimizer) -> None:
        """The ``optimizer``'s step along the mean derivative plus the penalty's
        (``rate·sign(w)`` or ``rate·w``), its state loaded with the parameters; a dead link
        keeps its weight and no link dies."""
        net = self.net
        g = np.divide(self.grad, float(net.count), self.step)
        net.count = 0
        if net.regularization != "none":
            np.multiply(self.weights, rate, self.rates)
            self.rates_key = None
            if net.regularization == "L1":
                np.sign(self.theta, self.after)
                self.after *= self.rates
            else:
                np.multiply(self.theta, self.rates, self.after)
            g += self.after
        if self.all_live:
            optimizer.update(self.theta, g)
            return
        kept = self.theta.copy()
        optimizer.update(self.theta, g)
        copyto(self.theta, kept, where=np.logical_not(self.live))


def _permute(optimizer: Optimizer, index: Array) -> None:
    """Carry the optimizer's state (arrays over every parameter) into the other layout."""
    state = optimizer.state
    for key in list(state):
        if state[key].shape == index.shape:
            state[key] = state[key][index]


def _matrices(flat: Array, shapes: list[tuple[int, int]]) -> list[Array]:
    views, at = [], 0
    for rows, cols in shapes:
        views.append(flat[at : at + rows * cols].reshape(rows, cols))
        at += rows * cols
    return views
