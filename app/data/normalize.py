"""Input standardization with training-set statistics, and its inverse on first-layer weights."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from app.errors import InvalidInput


@dataclass
class Standardizer:
    """Maps feature columns to zero mean and unit std: (X - mean) / std.

    mean: (k,) float64, std: (k,) float64, all std > 0.
    """

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, X: np.ndarray) -> Standardizer:
        """Statistics of training features X (n, k), n >= 1; a constant column gets std 1."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[0] == 0:
            raise InvalidInput(f"X must have shape (n, k) with n >= 1, got {X.shape}")
        mean = X.mean(axis=0)
        std = X.std(axis=0)
        std[std == 0.0] = 1.0
        return cls(mean=mean, std=std)

    @classmethod
    def identity(cls, k: int) -> Standardizer:
        """The standardizer that changes nothing on k columns: mean 0, std 1."""
        return cls(mean=np.zeros(k), std=np.ones(k))

    def apply(self, X: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Standardize X (n, k) into a new array, or into `out` (n, k) float64 (may be X)."""
        out = np.subtract(X, self.mean, out=out)
        return np.divide(out, self.std, out=out)

    def to_raw(self, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fold the standardization into a first layer: W (k, h), b (h,) act on standardized
        inputs; the returned W_raw (k, h), b_raw (h,) act on raw inputs with the same result,
        X @ W_raw + b_raw == apply(X) @ W + b."""
        W_raw = W / self.std[:, None]
        b_raw = b - (self.mean / self.std) @ W
        return W_raw, b_raw

    def to_dict(self) -> dict[str, list[float]]:
        """Plain-list form: {"mean": [...], "std": [...]}."""
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Standardizer:
        """Inverse of `to_dict`; checks equal lengths, finite values and std > 0."""
        try:
            mean = np.asarray(data["mean"], dtype=np.float64)
            std = np.asarray(data["std"], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(f"standardizer must have numeric lists mean and std: {exc}") from exc
        if mean.ndim != 1 or mean.shape != std.shape:
            raise InvalidInput(
                f"standardizer mean and std must be lists of one length, "
                f"got {mean.shape} and {std.shape}"
            )
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(std)) and np.all(std > 0)):
            raise InvalidInput("standardizer mean must be finite and std finite and positive")
        return cls(mean=mean, std=std)
