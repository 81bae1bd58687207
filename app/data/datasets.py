"""Built-in datasets: seeded generators for the page's toy problems.

The 2-D sets follow TensorFlow Playground's definitions on the square [-6, 6]^2, with its
labels -1/+1 mapped to class ids 0/1. Noise is a fraction in [0, 1], TFP's 0..50 % slider
divided by 100 (so our 0.5 is TFP's maximum). Every generator is a pure function of
``(n, noise, rng, classes)``; the same seed always gives the same arrays.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from app.errors import InvalidInput

MAX_POINTS = 2000
MIN_BLOB_CLASSES = 3
MAX_BLOB_CLASSES = 6
KINDS = ("binary", "multiclass", "regression")

Domain = tuple[tuple[float, float], ...]
GeneratorFn = Callable[[int, float, np.random.Generator, int], tuple[np.ndarray, np.ndarray]]

_SQUARE: Domain = ((-6.0, 6.0), (-6.0, 6.0))
_AGE_RANGE = (18, 80)


@dataclass
class Dataset:
    """A generated dataset.

    X: (n, d) float64 raw coordinates, d = 1 or 2.
    y: (n,) int64 class ids 0..classes-1 for classification, float64 targets for regression.
    classes: 2 for binary, K for multiclass, 0 for regression.
    domain: one (lo, hi) per input dimension, the view the page draws.
    """

    name: str
    kind: str
    X: np.ndarray
    y: np.ndarray
    classes: int
    domain: Domain


@dataclass(frozen=True)
class DatasetSpec:
    """How to build one dataset: its kind, shape, view and defaults, and its generator.
    ``normalize``: the raw inputs are far from unit scale (ages of 18..80), so the network
    learns only on standardized inputs and the page turns Normalize on with the preset."""

    kind: str
    inputs: int
    domain: Domain
    noise: float
    n: int
    fn: GeneratorFn
    normalize: bool = False


def _class_counts(n: int, k: int) -> np.ndarray:
    """Split n points over k classes as evenly as possible: (k,) int counts summing to n."""
    counts = np.full(k, n // k, dtype=np.int64)
    counts[: n % k] += 1
    return counts


def _shuffled(
    X: np.ndarray, y: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Return X (n, d) and y (n,) in one random order, so no class is bunched at the end."""
    order = rng.permutation(len(y))
    return X[order], y[order]


def _circle(
    n: int, noise: float, rng: np.random.Generator, classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Class 1 inside radius 2.5, class 0 on the ring 3.5..5; noise jitters the labelling point."""
    radius = 5.0
    n_in, n_out = _class_counts(n, 2)
    r = np.concatenate(
        [rng.uniform(0.0, radius * 0.5, n_in), rng.uniform(radius * 0.7, radius, n_out)]
    )
    angle = rng.uniform(0.0, 2.0 * math.pi, n)
    X = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
    jitter = rng.uniform(-radius, radius, (n, 2)) * noise
    y = (np.hypot(*(X + jitter).T) < radius * 0.5).astype(np.int64)
    return X, y


def _xor(
    n: int, noise: float, rng: np.random.Generator, classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Quadrants: class 1 where x1 * x2 >= 0; coordinates kept 0.3 away from the axes."""
    padding = 0.3
    X = rng.uniform(-5.0, 5.0, (n, 2))
    X += np.where(X > 0, padding, -padding)
    jitter = rng.uniform(-5.0, 5.0, (n, 2)) * noise
    Xn = X + jitter
    y = (Xn[:, 0] * Xn[:, 1] >= 0).astype(np.int64)
    return X, y


def _gauss(
    n: int, noise: float, rng: np.random.Generator, classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussians, class 1 at (2, 2) and class 0 at (-2, -2); variance 0.5 + 7 * noise."""
    std = math.sqrt(0.5 + 7.0 * noise)
    n_pos, n_neg = _class_counts(n, 2)
    y = np.concatenate([np.ones(n_pos, np.int64), np.zeros(n_neg, np.int64)])
    centres = np.where(y[:, None] == 1, 2.0, -2.0)
    X = centres + rng.normal(0.0, std, (n, 2))
    return _shuffled(X, y, rng)


def _spiral_arm(m: int, delta: float) -> np.ndarray:
    """One arm of the spiral: (m, 2) points from the centre out to radius 5, 1.75 turns."""
    i = np.arange(m, dtype=np.float64)
    frac = i / max(m, 1)
    r = frac * 5.0
    t = 1.75 * frac * 2.0 * math.pi + delta
    return np.column_stack([r * np.sin(t), r * np.cos(t)])


def _spiral(
    n: int, noise: float, rng: np.random.Generator, classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals (class 1 and class 0 half a turn apart), jittered by +-noise."""
    n_pos, n_neg = _class_counts(n, 2)
    X = np.concatenate([_spiral_arm(int(n_pos), 0.0), _spiral_arm(int(n_neg), math.pi)])
    X += rng.uniform(-1.0, 1.0, (n, 2)) * noise
    y = np.concatenate([np.ones(n_pos, np.int64), np.zeros(n_neg, np.int64)])
    return _shuffled(X, y, rng)


def _moons(
    n: int, noise: float, rng: np.random.Generator, classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half-moons scaled by 3.5 about their centre; Gaussian noise 1.75 * noise."""
    scale = 3.5
    n_upper, n_lower = _class_counts(n, 2)
    t = rng.uniform(0.0, math.pi, n)
    upper = t[:n_upper]
    lower = t[n_upper:]
    X = np.concatenate(
        [
            np.column_stack([np.cos(upper), np.sin(upper)]),
            np.column_stack([1.0 - np.cos(lower), 0.5 - np.sin(lower)]),
        ]
    )
    X = (X - np.array([0.5, 0.25])) * scale
    X += rng.normal(0.0, 0.5 * scale * noise, (n, 2))
    y = np.concatenate([np.zeros(n_upper, np.int64), np.ones(n_lower, np.int64)])
    return _shuffled(X, y, rng)


def _checkerboard(
    n: int, noise: float, rng: np.random.Generator, classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """A 4x4 board of 3x3 squares on [-6, 6]^2; colours alternate, noise jitters the labelling."""
    cell = 3.0
    X = rng.uniform(-6.0, 6.0, (n, 2))
    jitter = rng.uniform(-cell, cell, (n, 2)) * noise
    squares = np.floor((X + jitter + 6.0) / cell).astype(np.int64)
    y = (squares.sum(axis=1) % 2).astype(np.int64)
    return X, y


def _blobs(
    n: int, noise: float, rng: np.random.Generator, classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """`classes` Gaussian blobs with centres on a circle of radius 3.5; std 0.5 + 1.5 * noise."""
    angles = math.pi / 2.0 + 2.0 * math.pi * np.arange(classes) / classes
    centres = 3.5 * np.column_stack([np.cos(angles), np.sin(angles)])
    y = np.repeat(np.arange(classes, dtype=np.int64), _class_counts(n, classes))
    X = centres[y] + rng.normal(0.0, 0.5 + 1.5 * noise, (n, 2))
    return _shuffled(X, y, rng)


def _plane(
    n: int, noise: float, rng: np.random.Generator, classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Regression on a tilted plane: y = (x1 + x2) / 10 at a jittered point, about -1.2..1.2."""
    X = rng.uniform(-6.0, 6.0, (n, 2))
    jitter = rng.uniform(-6.0, 6.0, (n, 2)) * noise
    y = (X + jitter).sum(axis=1) / 10.0
    return X, y


# Cone centres (cx, cy) and signs for the "gaussians" regression set.
_BUMPS = np.array(
    [
        [-4.0, 2.5, 1.0],
        [0.0, 2.5, -1.0],
        [4.0, 2.5, 1.0],
        [-4.0, -2.5, -1.0],
        [0.0, -2.5, 1.0],
        [4.0, -2.5, -1.0],
    ]
)


def _gaussians(
    n: int, noise: float, rng: np.random.Generator, classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Regression on six signed cones of radius 2; y in [-1, 1] is the one largest in size."""
    X = rng.uniform(-6.0, 6.0, (n, 2))
    P = X + rng.uniform(-6.0, 6.0, (n, 2)) * noise
    dist = np.hypot(P[:, 0:1] - _BUMPS[:, 0], P[:, 1:2] - _BUMPS[:, 1])  # (n, 6)
    values = _BUMPS[:, 2] * np.clip(1.0 - dist / 2.0, 0.0, 1.0)
    pick = np.argmax(np.abs(values), axis=1)
    y = values[np.arange(n), pick]
    return X, y


def age_buy_probability(age: np.ndarray) -> np.ndarray:
    """P(buy | age) = sigmoid(0.25 * age - 10.5): 50 % at 42, about 68 % at 45. Shape kept."""
    return 1.0 / (1.0 + np.exp(-(0.25 * np.asarray(age, dtype=np.float64) - 10.5)))


def _age(
    n: int, noise: float, rng: np.random.Generator, classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Customers: whole-year ages uniform over 18..80, X (n, 1); y = 1 ("buys") drawn from
    `age_buy_probability`. The label noise is the model itself, so `noise` is ignored."""
    lo, hi = _AGE_RANGE
    age = rng.integers(lo, hi, endpoint=True, size=n).astype(np.float64)
    y = (rng.random(n) < age_buy_probability(age)).astype(np.int64)
    return age[:, None], y


DATASETS: dict[str, DatasetSpec] = {
    "circle": DatasetSpec("binary", 2, _SQUARE, 0.0, 500, _circle),
    "xor": DatasetSpec("binary", 2, _SQUARE, 0.0, 500, _xor),
    "gauss": DatasetSpec("binary", 2, _SQUARE, 0.0, 500, _gauss),
    "spiral": DatasetSpec("binary", 2, _SQUARE, 0.0, 500, _spiral),
    "moons": DatasetSpec("binary", 2, _SQUARE, 0.1, 500, _moons),
    "checkerboard": DatasetSpec("binary", 2, _SQUARE, 0.0, 800, _checkerboard),
    "blobs": DatasetSpec("multiclass", 2, _SQUARE, 0.1, 600, _blobs),
    "plane": DatasetSpec("regression", 2, _SQUARE, 0.0, 500, _plane),
    "gaussians": DatasetSpec("regression", 2, _SQUARE, 0.0, 500, _gaussians),
    "age": DatasetSpec("binary", 1, ((15.0, 85.0),), 0.0, 300, _age, normalize=True),
}


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def generate(
    name: str,
    *,
    n: int | None = None,
    noise: float | None = None,
    classes: int = 2,
    seed: int | np.random.Generator = 0,
) -> Dataset:
    """Build dataset `name` with n points (default: the spec's) and noise in [0, 1].

    `classes` picks the number of blobs (3..6) for multiclass sets and is ignored otherwise.
    `seed` is an int or a Generator to draw from. A point that noise carries out of the
    dataset's domain is drawn again (of the same class), so the data never pile up on the
    view's border: every point is drawn where it is and the clouds keep their shape inside
    the view (see ``_redraw_outside``).
    Raises ValueError naming the bad field ("name", "n", "noise", "classes").
    """
    spec = DATASETS.get(name)
    if spec is None:
        raise InvalidInput(f"name must be one of {', '.join(DATASETS)}, got {name!r}")
    if n is None:
        n = spec.n
    if not _is_int(n) or not 1 <= n <= MAX_POINTS:
        raise InvalidInput(f"n must be an integer between 1 and {MAX_POINTS}, got {n!r}")
    if noise is None:
        noise = spec.noise
    if isinstance(noise, bool) or not isinstance(noise, int | float | np.floating | np.integer):
        raise InvalidInput(f"noise must be a number between 0 and 1, got {noise!r}")
    if not (math.isfinite(noise) and 0.0 <= noise <= 1.0):
        raise InvalidInput(f"noise must be between 0 and 1, got {noise}")
    if spec.kind == "multiclass":
        if not _is_int(classes) or not MIN_BLOB_CLASSES <= classes <= MAX_BLOB_CLASSES:
            raise InvalidInput(
                f"classes must be an integer between {MIN_BLOB_CLASSES} and "
                f"{MAX_BLOB_CLASSES} for {name}, got {classes!r}"
            )
        k = int(classes)
    else:
        k = 2 if spec.kind == "binary" else 0
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    X, y = spec.fn(int(n), float(noise), rng, k)
    lo = np.array([d[0] for d in spec.domain])
    hi = np.array([d[1] for d in spec.domain])
    X = _redraw_outside(spec, X, y, lo, hi, float(noise), rng, k)
    X = np.clip(X, lo, hi).astype(np.float64, copy=False)
    y = y.astype(np.float64 if spec.kind == "regression" else np.int64, copy=False)
    return Dataset(name=name, kind=spec.kind, X=X, y=y, classes=k, domain=spec.domain)


_REDRAWS = 30  # fresh draws tried for points outside the domain before clipping the rest


def _redraw_outside(
    spec: DatasetSpec,
    X: np.ndarray,
    y: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    noise: float,
    rng: np.random.Generator,
    classes: int,
) -> np.ndarray:
    """X (n, d) with each point outside [lo, hi] replaced by a fresh one inside, drawn by the
    same generator with the same label (any label for regression, whose targets follow the
    point): the distribution truncated to the view. Clipping instead would stack every such
    point on the border, a wall of data that is not in the problem. Points still outside
    after ``_REDRAWS`` draws (none in practice) are left to the caller's clip."""
    outside = ~np.all((X >= lo) & (X <= hi), axis=1)
    if not outside.any():
        return X
    X = X.copy()
    for _ in range(_REDRAWS):
        X2, y2 = spec.fn(len(X), noise, rng, classes)
        fresh = np.all((X2 >= lo) & (X2 <= hi), axis=1)
        groups = [None] if spec.kind == "regression" else np.unique(y[outside]).tolist()
        for label in groups:
            need = np.flatnonzero(outside if label is None else outside & (y == label))
            have = np.flatnonzero(fresh if label is None else fresh & (y2 == label))
            m = min(len(need), len(have))
            X[need[:m]] = X2[have[:m]]
            if label is None:
                y[need[:m]] = y2[have[:m]]
            outside[need[:m]] = False
        if not outside.any():
            break
    return X


def split_mask(n: int, train_ratio: float, rng: np.random.Generator) -> np.ndarray:
    """A random train/test split of n points as a mask (n,) that is True for test points.

    The training side gets round(n * train_ratio) points, clamped so that both sides get at
    least one when n >= 2. train_ratio must be in [0.1, 0.9].
    """
    if not (math.isfinite(train_ratio) and 0.1 <= train_ratio <= 0.9):
        raise InvalidInput(f"train_ratio must be between 0.1 and 0.9, got {train_ratio}")
    n_train = round(n * train_ratio)
    n_train = min(max(n_train, 1), n - 1) if n >= 2 else n
    test = np.zeros(n, dtype=bool)
    test[rng.permutation(n)[n_train:]] = True
    return test


def split(
    X: np.ndarray, y: np.ndarray, train_ratio: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and split X (n, d), y (n,) into (X_train, y_train, X_test, y_test) by
    ``split_mask``."""
    n = len(X)
    if len(y) != n:
        raise InvalidInput(f"y must have one label per point: {n} points, {len(y)} labels")
    test = split_mask(n, train_ratio, rng)
    return X[~test], y[~test], X[test], y[test]
