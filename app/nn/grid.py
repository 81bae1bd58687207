"""The grid's forward pass for drawing: a network's output and its neurons' maps over a fixed
grid of points, in float32, a block of points at a time.

A map is drawn one byte a cell, so float32 (about 7 significant digits) loses nothing that
shows, and NumPy's float32 ``tanh``, ``exp`` and small matrix products run several times
faster than in float64. Points lie along the columns (``(units, points)`` per layer), so a
layer is ``W.T @ A + b`` and every neuron's map is a contiguous row.

Only what is drawn is kept: the output at every point, every hidden neuron at the points of
``sample`` (the pixels its small map is drawn with), and one ``focus`` neuron (the one the
page looks at) at every point. The points of ``sample`` are evaluated first, so that the
neurons' maps are the first columns of each layer's activations (no gathering), and the
output and the focus map are put back in the grid's order at the end. A pass is a sequence
of blocks of points (``steps``), so that a caller that serves others can stop between them.

Shapes: ``X (n, inputs)`` the grid as network inputs; ``output (outputs, n)``; ``neurons
(hidden units, len(sample))``, layer by layer; ``focus (n,)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from app.nn.losses import softmax
from app.nn.network import Network

Array = np.ndarray

# Cells (points × units over every layer) evaluated per block: a fraction of a millisecond
# of work, and buffers that stay in the processor's cache.
BLOCK_CELLS = 1 << 17
MIN_BLOCK = 256


def _softmax_columns(z: Array, out: Array) -> Array:
    """Softmax over the units of ``z (K, n)`` (each column a point)."""
    softmax(z.T, out.T)
    return out


class GridPass:
    """One network's pass over one grid, with its buffers laid out once (see the module
    docstring). ``run`` or ``steps`` evaluate the network at its current weights."""

    def __init__(
        self,
        net: Network,
        X: Array,
        sample: Array | None = None,
        focus: int | None = None,
        dtype: type[np.floating] = np.float32,
    ) -> None:
        self.net, self.dtype = net, dtype
        n = X.shape[0]
        self.n = n
        self.every = sample is None  # every neuron at every point
        self._order: Array | None = None
        self._where_in_order: Array | None = None
        if sample is None or np.array_equal(sample, np.arange(n)):
            self.sample = np.arange(n)
            m = n
        else:
            # The sampled points first, then the others: ``order`` (m,) indexes the grid,
            # ``where_in_order`` (n,) says where each grid point was evaluated.
            self.sample = np.asarray(sample, dtype=np.intp)
            rest = np.ones(n, dtype=bool)
            rest[self.sample] = False
            others = np.flatnonzero(rest)
            self._order = np.concatenate([self.sample, others])
            self._where_in_order = np.empty(n, dtype=np.intp)
            self._where_in_order[others] = self.sample.size + np.arange(others.size)
            self._where_in_order[self.sample[::-1]] = np.arange(self.sample.size)[::-1]
            m = self._order.size
        self._m = m  # points evaluated
        # (inputs + 1, m): a row of ones, so that a layer's bias rides in its matmul.
        self.XT = np.ones((X.shape[1] + 1, m), dtype=dtype)
        self.XT[:-1] = (X if self._order is None else X[self._order]).T
        units = net.sizes[1:-1]
        self.focus = focus if focus is not None and 0 <= focus < sum(units) else None
        width = sum(net.sizes[1:])
        self.block = max(MIN_BLOCK, BLOCK_CELLS // max(width, 1))
        self.output = np.empty((net.sizes[-1], n), dtype=dtype)
        self.neurons = np.empty((sum(units), self.sample.size), dtype=dtype)
        self.focus_map = np.empty(n, dtype=dtype) if self.focus is not None else None
        self._output: Array = self.output
        self._focus: Array | None = self.focus_map
        if self._order is not None:  # evaluated in another order than the grid's
            self._output = np.empty((net.sizes[-1], m), dtype=dtype)
            self._focus = np.empty(m, dtype=dtype) if self.focus is not None else None
        values: list[Callable[[Array, Array], Array]] = [a.value for a in net.hidden_activations]
        if net.config.output == "softmax":
            values.append(_softmax_columns)
        else:
            values.append(net.output_value)
        self._values = values
        self._rows = np.cumsum([0, *units])  # each hidden layer's first row in ``neurons``
        # Each layer's [W.T | b] as a view of one flat array, filled from ``theta`` at once.
        shapes = list(zip(net.sizes[:-1], net.sizes[1:], strict=True))
        flat = np.empty(sum(fo * (fi + 1) for fi, fo in shapes), dtype=dtype)
        where = np.empty(flat.size, dtype=np.intp)  # each entry's index into ``theta``
        self._Wt: list[Array] = []
        at, w_off, b_off = 0, 0, net.n_weights
        for fi, fo in shapes:
            Wt = flat[at : at + fo * (fi + 1)].reshape(fo, fi + 1)
            idx = where[at : at + fo * (fi + 1)].reshape(fo, fi + 1)
            idx[:, :-1] = (w_off + np.arange(fi * fo).reshape(fi, fo)).T
            idx[:, -1] = b_off + np.arange(fo)
            self._Wt.append(Wt)
            at, w_off, b_off = at + fo * (fi + 1), w_off + fi * fo, b_off + fo
        self._flat, self._where = flat, where
        self._gather = np.empty(flat.size)  # float64, as ``theta``
        self._buffers: dict[int, tuple[Array, list[Array]]] = {}  # by block length

    def _load_weights(self) -> None:
        np.take(self.net.theta, self._where, out=self._gather)
        self._flat[...] = self._gather

    def steps(self) -> Iterator[None]:
        """Evaluate the network block by block, yielding after each block; the results are
        complete when the iterator is exhausted."""
        self._load_weights()
        width = max(Wt.shape[0] for Wt in self._Wt)
        buffers = self._buffers
        for p0 in range(0, self._m, self.block):
            p1 = min(p0 + self.block, self._m)
            m = p1 - p0
            if m not in buffers:  # each hidden layer's activations, and a row of ones
                hidden = [np.ones((Wt.shape[0] + 1, m), self.dtype) for Wt in self._Wt[:-1]]
                buffers[m] = (np.empty((width, m), self.dtype), hidden)
            scratch, acts = buffers[m]
            with np.errstate(over="ignore", invalid="ignore"):  # see ``finite``
                self._block(p0, p1, scratch, acts)
                if p1 == self._m and self._where_in_order is not None:  # the grid's order
                    np.take(self._output, self._where_in_order, axis=1, out=self.output)
                    if self._focus is not None and self.focus_map is not None:
                        np.take(self._focus, self._where_in_order, out=self.focus_map)
            yield

    def _block(self, p0: int, p1: int, scratch: Array, acts: list[Array]) -> None:
        """Evaluate the points ``p0:p1`` (in the order of evaluation), keeping what is
        drawn."""
        last = len(self._Wt) - 1
        s1 = min(p1, self.sample.size)  # the sampled points among them: p0:s1
        A = self.XT[:, p0:p1]
        for k, (Wt, f) in enumerate(zip(self._Wt, self._values, strict=True)):
            Z = scratch[: Wt.shape[0]]
            np.matmul(Wt, A, out=Z)
            if k == last:
                f(Z, self._output[:, p0:p1])
                return
            A = acts[k]
            f(Z, A[:-1])
            r0, r1 = self._rows[k], self._rows[k + 1]
            if s1 > p0:
                self.neurons[r0:r1, p0:s1] = A[:-1, : s1 - p0]
            if self._focus is not None and r0 <= self.focus < r1:
                self._focus[p0:p1] = A[self.focus - r0]

    def run(self) -> GridPass:
        """The whole pass at once; returns self."""
        for _ in self.steps():
            pass
        return self

    def finite(self) -> bool:
        """Whether every value kept is finite (float32 overflows long before float64)."""
        parts = [self.output, self.neurons]
        if self.focus_map is not None:
            parts.append(self.focus_map)
        return all(bool(np.isfinite(p).all()) for p in parts)
