"""TensorFlow Playground's data, reproduced number for number.

TFP's page seeds ``Math.random`` with seedrandom 2.4.3 (an ARC4 keystream, RC4-drop[256])
from the link's ``seed=`` string, draws its datasets from that stream in a fixed call
order, shuffles them once, splits them by percentage and then draws the network's weights
from the same stream. :class:`SeededRandom` is that stream; the generators below make
exactly the draws the page makes, in the same order (noise values are drawn even at
noise 0), and compute with the same floating-point expressions.

Arrays are batch-first: points ``X (n, 2)`` raw coordinates on [-6, 6]^2, labels ``y (n,)``
(+1/-1 for classification, a value in [-1, 1] for regression).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

NUM_SAMPLES = {"classification": 500, "regression": 1200}

_WIDTH = 256
_MASK = 255
_START_DENOM = 2**48
_SIGNIFICANCE = 2**52
_OVERFLOW = 2**53


class SeededRandom:
    """seedrandom 2.4.3's generator: ``SeededRandom(seed).random()`` is the page's
    ``Math.seedrandom(seed); Math.random()``, a float in [0, 1) with 53 random bits."""

    def __init__(self, seed: str) -> None:
        key = _mix_key(seed)
        if not key:
            key = [0]
        s = list(range(_WIDTH))
        j = 0
        for i in range(_WIDTH):
            t = s[i]
            j = (j + key[i % len(key)] + t) & _MASK
            s[i] = s[j]
            s[j] = t
        self._s, self._i, self._j = s, 0, 0
        self._bytes(_WIDTH)  # the keystream's first 256 bytes are dropped

    def _bytes(self, count: int) -> int:
        """The next ``count`` keystream bytes as one big-endian integer."""
        s, i, j, r = self._s, self._i, self._j, 0
        for _ in range(count):
            i = (i + 1) & _MASK
            t = s[i]
            j = (j + t) & _MASK
            s[i] = s[j]
            s[j] = t
            r = r * _WIDTH + s[(s[i] + t) & _MASK]
        self._i, self._j = i, j
        return r

    def random(self) -> float:
        """The next number in [0, 1), as ``Math.random()`` gives it after seeding."""
        n, d, x = self._bytes(6), _START_DENOM, 0
        while n < _SIGNIFICANCE:
            n = (n + x) * _WIDTH
            d *= _WIDTH
            x = self._bytes(1)
        while n >= _OVERFLOW:
            n //= 2
            d //= 2
            x >>= 1
        return (n + x) / d

    def randoms(self, count: int) -> np.ndarray:
        """The next ``count`` numbers, shape ``(count,)``."""
        return np.array([self.random() for _ in range(count)], dtype=np.float64)


def _mix_key(seed: str) -> list[int]:
    """seedrandom's key from a seed string (its UTF-16 code units, smeared into 256 slots)."""
    units = seed.encode("utf-16-le")
    key: list[int] = []
    smear = 0
    for j in range(len(units) // 2):
        code = units[2 * j] | (units[2 * j + 1] << 8)
        slot = j & _MASK
        if slot < len(key):
            smear ^= key[slot] * 19
            key[slot] = (smear + code) & _MASK
        else:
            key.append(code & _MASK)
    return key


def new_seed(u: float) -> str:
    """The seed string the page makes when it regenerates data: ``u.toFixed(5)``."""
    return str(Decimal(u).quantize(Decimal("0.00001"), rounding=ROUND_HALF_UP))


def _uniform(u: np.ndarray, a: float, b: float) -> np.ndarray:
    return u * (b - a) + a


def _dist(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.sqrt(x * x + y * y)


def _linear_scale(
    v: np.ndarray, d0: float, d1: float, r0: float, r1: float, clamp: bool = False
) -> np.ndarray:
    t = (v - d0) / (d1 - d0)
    if clamp:
        t = np.maximum(0.0, np.minimum(1.0, t))
    return r0 * (1 - t) + r1 * t


def _half(n: int) -> int:
    """How many ``i = 0, 1, …`` satisfy ``i < n / 2``."""
    return (n + 1) // 2


def circle(rng: SeededRandom, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Inside radius 2.5 (+1) and a ring 3.5..5 (-1); labels from the noisy position."""
    radius = 5.0
    parts = []
    for lo, hi in ((0.0, radius * 0.5), (radius * 0.7, radius)):
        u = rng.randoms(4 * _half(n)).reshape(-1, 4)
        r = _uniform(u[:, 0], lo, hi)
        angle = _uniform(u[:, 1], 0.0, 2 * math.pi)
        x, y = r * np.sin(angle), r * np.cos(angle)
        nx = _uniform(u[:, 2], -radius, radius) * noise
        ny = _uniform(u[:, 3], -radius, radius) * noise
        label = np.where(_dist(x + nx, y + ny) < radius * 0.5, 1.0, -1.0)
        parts.append((x, y, label))
    return _stack(parts)


def xor(rng: SeededRandom, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Uniform on [-5, 5]^2 pushed 0.3 off the axes; +1 where the noisy x·y ≥ 0."""
    u = rng.randoms(4 * n).reshape(-1, 4)
    padding = 0.3
    x = _uniform(u[:, 0], -5.0, 5.0)
    x = x + np.where(x > 0, padding, -padding)
    y = _uniform(u[:, 1], -5.0, 5.0)
    y = y + np.where(y > 0, padding, -padding)
    nx = _uniform(u[:, 2], -5.0, 5.0) * noise
    ny = _uniform(u[:, 3], -5.0, 5.0) * noise
    label = np.where((x + nx) * (y + ny) >= 0, 1.0, -1.0)
    return _stack([(x, y, label)])


def _normal(rng: SeededRandom, mean: float, variance: float) -> float:
    """The polar method, as the page samples a normal value."""
    while True:
        v1 = 2 * rng.random() - 1
        v2 = 2 * rng.random() - 1
        s = v1 * v1 + v2 * v2
        if s <= 1:
            break
    result = math.sqrt(-2 * math.log(s) / s) * v1
    return mean + math.sqrt(variance) * result


def gauss(rng: SeededRandom, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Two normal blobs at (2, 2) (+1) and (-2, -2) (-1); noise widens them."""
    variance = float(_linear_scale(np.array(noise, dtype=np.float64), 0.0, 0.5, 0.5, 4.0))
    parts = []
    for c, label in ((2.0, 1.0), (-2.0, -1.0)):
        pts = [(_normal(rng, c, variance), _normal(rng, c, variance)) for _ in range(_half(n))]
        xy = np.array(pts, dtype=np.float64).reshape(-1, 2)
        parts.append((xy[:, 0], xy[:, 1], np.full(len(pts), label)))
    return _stack(parts)


def spiral(rng: SeededRandom, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved arms (+1, then -1 turned by π); noise jitters the points."""
    half = n / 2
    parts = []
    for delta, label in ((0.0, 1.0), (math.pi, -1.0)):
        count = math.ceil(half)
        i = np.arange(count, dtype=np.float64)
        u = rng.randoms(2 * count).reshape(-1, 2)
        r = i / half * 5
        t = 1.75 * i / half * 2 * math.pi + delta
        x = r * np.sin(t) + _uniform(u[:, 0], -1.0, 1.0) * noise
        y = r * np.cos(t) + _uniform(u[:, 1], -1.0, 1.0) * noise
        parts.append((x, y, np.full(count, label)))
    return _stack(parts)


def _uniform_square(
    rng: SeededRandom, n: int, noise: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    radius = 6.0
    u = rng.randoms(4 * n).reshape(-1, 4)
    x = _uniform(u[:, 0], -radius, radius)
    y = _uniform(u[:, 1], -radius, radius)
    nx = _uniform(u[:, 2], -radius, radius) * noise
    ny = _uniform(u[:, 3], -radius, radius) * noise
    return x, y, x + nx, y + ny


def reg_plane(rng: SeededRandom, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Uniform on [-6, 6]^2; the value is (x + y) / 10 at the noisy position."""
    x, y, px, py = _uniform_square(rng, n, noise)
    return _stack([(x, y, _linear_scale(px + py, -10.0, 10.0, -1.0, 1.0))])


_GAUSSIANS = (
    (-4.0, 2.5, 1.0),
    (0.0, 2.5, -1.0),
    (4.0, 2.5, 1.0),
    (-4.0, -2.5, -1.0),
    (0.0, -2.5, 1.0),
    (4.0, -2.5, -1.0),
)


def reg_gauss(rng: SeededRandom, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Uniform on [-6, 6]^2; the value of the strongest of six signed bumps."""
    x, y, px, py = _uniform_square(rng, n, noise)
    label = np.zeros(n)
    for cx, cy, sign in _GAUSSIANS:
        new = sign * _linear_scale(_dist(px - cx, py - cy), 0.0, 2.0, 1.0, 0.0, clamp=True)
        label = np.where(np.abs(new) > np.abs(label), new, label)
    return _stack([(x, y, label)])


def _stack(
    parts: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    X = np.column_stack(
        [np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])]
    )
    return X, np.concatenate([p[2] for p in parts]).astype(np.float64)


Generator = Callable[[SeededRandom, int, float], tuple[np.ndarray, np.ndarray]]
DATASETS: dict[str, Generator] = {"circle": circle, "xor": xor, "gauss": gauss, "spiral": spiral}
REG_DATASETS: dict[str, Generator] = {"reg-plane": reg_plane, "reg-gauss": reg_gauss}

FEATURES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "x": lambda x, y: x,
    "y": lambda x, y: y,
    "xSquared": lambda x, y: x * x,
    "ySquared": lambda x, y: y * y,
    "xTimesY": lambda x, y: x * y,
    "sinX": lambda x, y: np.sin(x),
    "sinY": lambda x, y: np.sin(y),
}
"""The page's input features by their link names, in the page's order."""


def features(X: np.ndarray, names: tuple[str, ...] | list[str]) -> np.ndarray:
    """The network's inputs ``(n, len(names))`` from raw points ``X (n, 2)``, in FEATURES order."""
    cols = [FEATURES[k](X[:, 0], X[:, 1]) for k in FEATURES if k in names]
    return np.column_stack(cols) if cols else np.zeros((X.shape[0], 0))


def shuffle_order(rng: SeededRandom, n: int) -> np.ndarray:
    """The page's in-place Fisher–Yates shuffle of ``n`` items, as an index array ``(n,)``."""
    order = list(range(n))
    counter = n
    while counter > 0:
        index = math.floor(rng.random() * counter)
        counter -= 1
        order[counter], order[index] = order[index], order[counter]
    return np.array(order, dtype=np.intp)


@dataclass
class TfpData:
    """One generation of the page's data: ``X (n, 2)``, ``y (n,)`` for train and test."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def generate(
    rng: SeededRandom,
    problem: str,
    dataset: str,
    noise_percent: float,
    perc_train: float,
    n: int | None = None,
) -> TfpData:
    """Draw, shuffle and split as the page does; ``rng`` must be freshly seeded.

    ``problem`` is "classification" or "regression"; ``dataset`` a key of DATASETS or
    REG_DATASETS accordingly; ``noise_percent`` the link's ``noise`` (0..50 on the page);
    ``n`` the number of points the page's generator is asked for (None: the page's own).
    """
    table = DATASETS if problem == "classification" else REG_DATASETS
    X, y = table[dataset](rng, NUM_SAMPLES[problem] if n is None else n, noise_percent / 100)
    order = shuffle_order(rng, X.shape[0])
    X, y = X[order], y[order]
    cut = math.floor(X.shape[0] * perc_train / 100)
    return TfpData(X[:cut], y[:cut], X[cut:], y[cut:])
