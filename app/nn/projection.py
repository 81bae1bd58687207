"""Hidden space: a layer's activations drawn in two dimensions.

A layer of two neurons is a plane already: its activations are drawn as they are. A layer of
one neuron is a line (drawn on the x axis). A wider layer is projected on the plane of its two
principal axes over the data (PCA of the activations), so the picture keeps as much of the
layer's spread as two dimensions can.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Plane:
    """A projection ``(A - mean) @ axes`` from a layer's ``u`` units to two dimensions.

    ``mean (u,)``, ``axes (u, 2)``; ``explained (2,)`` is the share of the activations'
    variance along each axis (1 and 0 for a single unit, each unit's share for two)."""

    mean: Array
    axes: Array
    explained: Array
    method: str  # "line", "plane" or "pca"

    def project(self, A: Array) -> Array:
        """``A (n, u)`` → ``(n, 2)``."""
        return (np.asarray(A, dtype=np.float64) - self.mean) @ self.axes


def _shares(A: Array, axes: Array) -> Array:
    total = float(np.sum(np.var(A, axis=0))) if len(A) else 0.0
    if total <= 0.0:
        return np.zeros(2)
    return np.var(A @ axes, axis=0) / total


def principal_plane(A: Array) -> Plane:
    """The plane to draw activations ``A (n, u)`` on (``n`` may be 0)."""
    A = np.asarray(A, dtype=np.float64)
    if A.ndim != 2 or A.shape[1] < 1:
        raise ValueError(f"A must have shape (n, units) with units >= 1; got {A.shape}")
    u = A.shape[1]
    if u == 1:
        axes = np.array([[1.0, 0.0]])
        return Plane(np.zeros(1), axes, _shares(A, axes), "line")
    if u == 2:
        axes = np.eye(2)
        return Plane(np.zeros(2), axes, _shares(A, axes), "plane")
    mean = A.mean(axis=0) if len(A) else np.zeros(u)
    centred = A - mean
    if len(A) >= 2 and np.any(centred):
        _, _, Vt = np.linalg.svd(centred, full_matrices=False)
        axes = Vt[:2].T.copy()
        if axes.shape[1] < 2:  # one point's worth of spread: complete with a unit axis
            axes = np.column_stack([axes[:, 0], np.eye(u)[:, int(np.argmin(abs(axes[:, 0])))]])
    else:
        axes = np.eye(u)[:, :2].copy()
    # A fixed sign for each axis (its largest loading positive), so that the picture does not
    # flip over from one frame to the next as the weights move.
    signs = np.sign(axes[np.argmax(abs(axes), axis=0), [0, 1]])
    axes *= np.where(signs == 0, 1.0, signs)
    return Plane(mean, axes, _shares(centred, axes), "pca")
