"""Derived input features: the switchable columns the network sees instead of raw (x1, x2).

Each feature is a function of the coordinate columns x1 (n,) and x2 (n,) returning (n,),
writing into `out` (n,) when given so that a grid can be featurized every frame without
temporaries. `FEATURES` is keyed by wire name, in the order the page lists them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from app.errors import InvalidInput


class Feature(Protocol):
    """A derived feature: x1 (n,), x2 (n,) -> (n,), written into `out` (n,) when given."""

    def __call__(
        self, x1: np.ndarray, x2: np.ndarray, out: np.ndarray | None = None
    ) -> np.ndarray: ...


def _x1(x1: np.ndarray, x2: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """x1, (n,)."""
    return np.positive(x1, out=out)


def _x2(x1: np.ndarray, x2: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """x2, (n,)."""
    return np.positive(x2, out=out)


def _x1_sq(x1: np.ndarray, x2: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """x1 squared, (n,)."""
    return np.multiply(x1, x1, out=out)


def _x2_sq(x1: np.ndarray, x2: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """x2 squared, (n,)."""
    return np.multiply(x2, x2, out=out)


def _x1_x2(x1: np.ndarray, x2: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """x1 * x2, (n,)."""
    return np.multiply(x1, x2, out=out)


def _sin_x1(x1: np.ndarray, x2: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """sin(x1), (n,)."""
    return np.sin(x1, out=out)


def _sin_x2(x1: np.ndarray, x2: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """sin(x2), (n,)."""
    return np.sin(x2, out=out)


FEATURES: dict[str, Feature] = {
    "x1": _x1,
    "x2": _x2,
    "x1_sq": _x1_sq,
    "x2_sq": _x2_sq,
    "x1_x2": _x1_x2,
    "sin_x1": _sin_x1,
    "sin_x2": _sin_x2,
}

# The only feature a one-dimensional dataset has.
ONE_D_FEATURES = ("x1",)


def validate_features(names: Sequence[str], inputs: int) -> None:
    """Check a feature selection for data with `inputs` (1 or 2) coordinates.

    It must be non-empty, without duplicates, and use known names; 1-D data allows only "x1".
    Raises ValueError naming the field "features".
    """
    if inputs not in (1, 2):
        raise InvalidInput(f"inputs must be 1 or 2, got {inputs!r}")
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise InvalidInput(f"features must be a list of names, got {names!r}")
    if len(names) == 0:
        raise InvalidInput("features must name at least one feature")
    unknown = [name for name in names if name not in FEATURES]
    if unknown:
        raise InvalidInput(
            f"features has unknown name {unknown[0]!r}; known: {', '.join(FEATURES)}"
        )
    if len(set(names)) != len(names):
        repeated = next(name for i, name in enumerate(names) if name in names[:i])
        raise InvalidInput(f"features lists {repeated!r} more than once")
    if inputs == 1 and any(name not in ONE_D_FEATURES for name in names):
        raise InvalidInput(f"features for one-dimensional data may only be x1, got {list(names)}")


def feature_matrix(
    P: np.ndarray, names: Sequence[str], out: np.ndarray | None = None
) -> np.ndarray:
    """Featurize points P (n, 2) or (n, 1) into (n, len(names)) columns, in `names` order.

    When `out` (n, len(names)) float64 is given it is filled in place and returned.
    """
    P = np.asarray(P, dtype=np.float64)
    if P.ndim != 2 or P.shape[1] not in (1, 2):
        raise InvalidInput(f"points must have shape (n, 1) or (n, 2), got {P.shape}")
    n, inputs = P.shape
    validate_features(names, inputs)
    if out is None:
        out = np.empty((n, len(names)), dtype=np.float64)
    elif out.shape != (n, len(names)) or out.dtype != np.float64:
        raise InvalidInput(
            f"out must be a float64 array of shape {(n, len(names))}, got {out.dtype} {out.shape}"
        )
    x1 = P[:, 0]
    # With one input only "x1" is allowed, so x2 is never read.
    x2 = P[:, 1] if inputs == 2 else x1
    for j, name in enumerate(names):
        FEATURES[name](x1, x2, out=out[:, j])
    return out
