"""The stacked layout, and the loss of whole data sets computed in it.

In the stacked layout each layer's weights and bias are one ``(fan_in + 1, fan_out)``
matrix ``[W; b]``, the layers one after another; a layer's input carries a column of ones
(a row, when the samples run along the columns), so its bias rides in the matmul. The
network keeps its own layout (``app.nn.network``: every weight, then every bias); a pass
gathers ``theta`` into the stacked one with one call.
Training (``app.nn.minibatch``) and the loss on the training and test sets after an epoch
(``SetLosses``) work in it: on small layers a NumPy call costs more than its arithmetic,
and the bias then costs none.

Shapes: ``X (n, inputs)``; encoded targets ``Y (n, outputs)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from app.nn.losses import mean
from app.nn.network import Network
from app.nn.raw import dot

Array = np.ndarray


@dataclass(frozen=True)
class Stacking:
    """A network's stacked layout: ``where (p,)``, the index in ``theta`` of each stacked
    entry (``theta.take(where)`` is the stacked vector; ``back`` undoes it); ``weights
    (p,)``, 1 on the stacked weights and 0 on the biases; ``shapes``, each layer's
    ``(fan_in + 1, fan_out)``."""

    where: Array
    back: Array
    weights: Array
    shapes: tuple[tuple[int, int], ...]

    @classmethod
    def of(cls, net: Network) -> Stacking:
        p = net.n_params
        where = np.empty(p, dtype=np.intp)
        weights = np.zeros(p)
        shapes = []
        at, w_off, b_off = 0, 0, net.n_weights
        for fi, fo in zip(net.sizes[:-1], net.sizes[1:], strict=True):
            where[at : at + fi * fo] = np.arange(w_off, w_off + fi * fo)
            weights[at : at + fi * fo] = 1.0
            where[at + fi * fo : at + (fi + 1) * fo] = np.arange(b_off, b_off + fo)
            shapes.append((fi + 1, fo))
            at, w_off, b_off = at + (fi + 1) * fo, w_off + fi * fo, b_off + fo
        return cls(where, np.argsort(where), weights, tuple(shapes))

    def matrices(self, flat: Array) -> list[Array]:
        """Each layer's ``[W; b]`` as a view into the stacked vector ``flat (p,)``."""
        views, at = [], 0
        for rows, cols in self.shapes:
            views.append(flat[at : at + rows * cols].reshape(rows, cols))
            at += rows * cols
        return views


def with_ones(X: Array) -> Array:
    """``X (n, k)`` with a column of ones after it: ``(n, k + 1)``."""
    out = np.ones((X.shape[0], X.shape[1] + 1))
    out[:, :-1] = X
    return out


class SetLosses:
    """The data loss (no penalty) and the output of consecutive sets of samples at the
    network's current weights, from one forward pass over all of them: ``X (n, inputs)``
    and ``Y (n, outputs)`` hold the sets one after another, ``sizes`` their row counts
    (e.g. the training set, then the test set).

    The pass runs units × samples, as training does (``app.nn.minibatch``): every layer's
    activations are one contiguous block over a row of ones, so that each activation is
    one call over contiguous memory. Cross-entropy is computed from the logits, so the
    output unit is applied only when ``outputs`` asks for it."""

    def __init__(self, net: Network, X: Array, Y: Array, sizes: tuple[int, ...]) -> None:
        self.net = net
        self._stacking = Stacking.of(net)
        self._theta = np.empty(net.n_params)
        n = X.shape[0]
        self._X = np.ascontiguousarray(with_ones(X).T)  # (inputs + 1, n)
        self._Y = Y
        units = net.sizes[1:]
        Ws = self._stacking.matrices(self._theta)
        ones = [np.ones((k + 1, n)) for k in units[:-1]]  # each layer's output over a row of 1
        self._hidden = [
            (W.T, np.empty((k, n)), a.value, o[:-1], o)
            for W, k, a, o in zip(Ws[:-1], units[:-1], net.hidden_activations, ones, strict=True)
        ]
        k = units[-1]
        self._W, self._Z, self._A = Ws[-1].T, np.empty((k, n)), np.empty((k, n))
        ce = net.loss_fn.name == "cross_entropy"
        self._applied = False  # whether ``_A`` holds the output of the last pass
        self._output, self._needs_output = net.output_value, not ce
        bounds = np.cumsum([0, *sizes])
        self._parts = [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        self._sizes = tuple(sizes)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as what it was built from (its views would come back as copies)."""
        return (SetLosses, (self.net, self._X[:-1].T.copy(), self._Y, self._sizes))

    def losses(self) -> list[float | None]:
        """Each set's mean data loss (None for an empty set); may be NaN or infinite."""
        net = self.net
        net.theta.take(self._stacking.where, out=self._theta, mode="clip")  # in range
        prev = self._X
        for W, Z, value, A, ones in self._hidden:
            dot(W, prev, Z)
            value(Z, A)
            prev = ones
        Z, A, Y = self._Z.T, self._A.T, self._Y  # (n, k)
        dot(self._W, prev, self._Z)
        self._applied = self._needs_output
        if self._applied:
            self._output(Z, A)
        loss = net.loss_fn
        if loss.terms is not None:  # the terms of every set at once, then each set's mean
            T = loss.terms(Z, A, Y)
            return [float(mean(T[a:b])) if b > a else None for a, b in self._parts]
        value_of = loss.value
        return [float(value_of(Z[a:b], A[a:b], Y[a:b])) if b > a else None for a, b in self._parts]

    def outputs(self) -> list[Array | None]:
        """Each set's output ``(rows, outputs)`` (fresh arrays; None for an empty set) at the
        weights of the last ``losses``."""
        A = self._A.T
        if not self._applied:
            self._output(self._Z.T, A)
            self._applied = True
        return [A[a:b].copy() if b > a else None for a, b in self._parts]
