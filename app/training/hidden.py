"""Hidden space: the data and the view's grid lines as a hidden layer sees them.

The grid lines are straight in the input plane; drawn through a layer they bend, fold and
stretch, which shows what the layers before it did to the plane (the warped-grid picture).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from app.data import Standardizer, feature_matrix
from app.nn.network import Network
from app.nn.projection import principal_plane
from app.training.tfp_model import TfpModel

GRID_LINES = 13  # lines across each axis of the view
LINE_SAMPLES = 49  # points along each line


def grid_lines(
    domain: Sequence[Sequence[float]], count: int = GRID_LINES, samples: int = LINE_SAMPLES
) -> np.ndarray:
    """Straight lines across the view in raw coordinates, ``(lines, samples, d)``: for 2-D
    data ``count`` vertical then ``count`` horizontal lines; for 1-D data the axis itself."""
    if len(domain) == 1:
        (lo, hi) = domain[0]
        return np.linspace(lo, hi, samples)[None, :, None]
    (x0, x1), (y0, y1) = domain
    along = np.linspace(0.0, 1.0, samples)
    across = np.linspace(0.0, 1.0, count)
    lines = np.empty((2 * count, samples, 2))
    lines[:count, :, 0] = x0 + across[:, None] * (x1 - x0)  # vertical: x fixed
    lines[:count, :, 1] = y0 + along[None, :] * (y1 - y0)
    lines[count:, :, 0] = x0 + along[None, :] * (x1 - x0)  # horizontal: y fixed
    lines[count:, :, 1] = y0 + across[:, None] * (y1 - y0)
    return lines


def hidden_space(
    net: Network | TfpModel,
    standardizer: Standardizer,
    features: list[str],
    domain: Sequence[Sequence[float]],
    X_raw: np.ndarray,
    layer: int,
) -> dict[str, Any]:
    """Where the points ``X_raw (n, d)`` and the view's grid lines land in hidden layer
    ``layer`` (1-based, ``1 .. net.layers - 1``), projected to two dimensions.

    Returns ``points (n, 2)``, ``lines (lines, samples, 2)``, ``explained (2,)``, ``method``
    ("line", "plane" or "pca"), ``units`` and ``layer``; arrays are NumPy."""
    hidden = net.layers - 1
    if isinstance(layer, bool) or not isinstance(layer, int) or not 1 <= layer <= hidden:
        raise ValueError(
            f"layer must be a hidden layer from 1 to {hidden}; got {layer!r}"
            if hidden
            else "layer: this network has no hidden layer"
        )
    raw_lines = grid_lines(domain)
    n = len(X_raw)
    d = raw_lines.shape[2]
    raw = np.concatenate([np.asarray(X_raw, dtype=np.float64).reshape(n, d),
                          raw_lines.reshape(-1, d)])  # fmt: skip
    inputs = standardizer.apply(feature_matrix(raw, features))
    A = net.activations(inputs)[layer - 1]
    plane = principal_plane(A[:n] if n >= 2 else A[n:])
    P = plane.project(A)
    return {
        "layer": layer,
        "units": int(A.shape[1]),
        "method": plane.method,
        "explained": plane.explained,
        "points": P[:n],
        "lines": P[n:].reshape(raw_lines.shape[0], raw_lines.shape[1], 2),
    }
