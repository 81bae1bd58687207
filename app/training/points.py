"""Checks of the points a user places, moves or uploads, against the session's dataset: its
view (the domain) and its labels (a class id, or a real target for regression)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from app.data import MAX_POINTS
from app.data.datasets import DatasetSpec
from app.errors import InvalidInput

MAX_TARGET = 1e6


def check_point(
    spec: DatasetSpec, classes: int, x: Any, label: Any
) -> tuple[np.ndarray, int | float]:
    """One point: ``x`` a list of ``spec.inputs`` numbers inside the view, ``label`` a class
    from 0 to ``classes - 1`` (or, for regression, a finite number). Returns (x (inputs,),
    label)."""
    if not isinstance(x, list | tuple) or len(x) != spec.inputs:
        raise InvalidInput(f"x must be a list of {spec.inputs} coordinate(s)")
    for i, (v, (lo, hi)) in enumerate(zip(x, spec.domain, strict=True)):
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise InvalidInput(f"x[{i}] must be a finite number; got {v!r}")
        if not lo <= v <= hi:
            raise InvalidInput(f"x[{i}] must lie in the view, {lo:g} to {hi:g}; got {v}")
    if spec.kind == "regression":
        if isinstance(label, bool) or not isinstance(label, int | float):
            raise InvalidInput(f"label must be a number; got {label!r}")
        if not math.isfinite(label) or abs(label) > MAX_TARGET:
            raise InvalidInput(f"label must be a finite number within ±1e6; got {label!r}")
        return np.asarray(x, dtype=np.float64), float(label)
    if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < classes:
        raise InvalidInput(f"label must be a class from 0 to {classes - 1}; got {label!r}")
    return np.asarray(x, dtype=np.float64), int(label)


def check_index(n: int, index: Any) -> int:
    """A point index from 0 to ``n - 1``."""
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n:
        raise InvalidInput(f"index must be a point index from 0 to {n - 1}; got {index!r}")
    return index


def checked_points(
    spec: DatasetSpec, classes: int, X: Any, y: Any, test: Any = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A whole set of points: ``X`` one list of coordinates per point, ``y`` the labels,
    ``test`` one bool per point (None: all training). Returns X (n, inputs), y (n,) and
    test (n,) arrays; InvalidInput names the point at fault."""
    n = spec.inputs
    if not isinstance(X, list | tuple) or len(X) > MAX_POINTS:
        raise InvalidInput(f"points must be at most {MAX_POINTS} rows of {n}")
    if not isinstance(y, list | tuple) or len(y) != len(X):
        raise InvalidInput("labels must have one entry per point")
    if test is None:
        test = [False] * len(X)
    if not isinstance(test, list | tuple) or len(test) != len(X):
        raise InvalidInput("test must be one true/false per point")
    if not all(isinstance(t, bool) for t in test):
        raise InvalidInput("test must be one true/false per point")
    checked = []
    for i, (x, label) in enumerate(zip(X, y, strict=True)):
        try:
            checked.append(check_point(spec, classes, x, label))
        except InvalidInput as exc:
            raise InvalidInput(f"point {i}: {exc}") from None
    Xa = np.asarray([x for x, _ in checked], dtype=np.float64).reshape(len(X), n)
    ys = np.asarray([label for _, label in checked])
    ya = ys.astype(np.float64 if spec.kind == "regression" else np.int64)
    return Xa, ya, np.asarray(test, dtype=bool).reshape(len(X))
