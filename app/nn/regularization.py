"""Weight penalties: the one place the regularization term and its gradient are computed.

Only weights are penalized, never biases. ``w (n_weights,)`` is the network's weight prefix;
a population's weights are ``W (P, n_weights)``.

- ``l2``: ½·rate·Σw², gradient rate·w
- ``l1``: rate·Σ|w|, gradient rate·sign(w)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.errors import InvalidInput
from app.nn.hyper import float_field

Array = np.ndarray

REGULARIZATIONS = ("none", "l1", "l2")
MAX_REGULARIZATION_RATE = 10.0


@dataclass(frozen=True)
class Penalty:
    """A regularization ``kind`` ("none", "l1", "l2") at ``rate``."""

    kind: str = "none"
    rate: float = 0.0

    @classmethod
    def parse(cls, kind: object, rate: object, field: str = "regularization") -> Penalty:
        if not isinstance(kind, str) or kind not in REGULARIZATIONS:
            raise InvalidInput(f"{field} must be one of {', '.join(REGULARIZATIONS)}; got {kind!r}")
        return cls(kind, float_field(rate, f"{field}_rate", 0.0, MAX_REGULARIZATION_RATE))

    @property
    def active(self) -> bool:
        return self.kind != "none"

    def value(self, w: Array) -> float:
        """The penalty for weights ``w (n_weights,)``."""
        if self.kind == "l2":
            return 0.5 * self.rate * float(w @ w)
        if self.kind == "l1":
            return self.rate * float(np.abs(w).sum())
        return 0.0

    def values(self, W: Array) -> Array:
        """The penalty of every row of ``W (P, n_weights)``: ``(P,)``."""
        if self.kind == "l2":
            return 0.5 * self.rate * np.einsum("pi,pi->p", W, W)
        if self.kind == "l1":
            return self.rate * np.abs(W).sum(axis=1)
        return np.zeros(W.shape[0])

    def add_gradient(
        self, w: Array, gw: Array, buf: Array, rates: Array | float | None = None
    ) -> None:
        """Add the penalty's gradient at ``w (n_weights,)`` to ``gw`` in place (``buf`` is
        scratch of the same shape). ``rates``, shaped like ``w``, stands for the rate entry
        by entry: training passes the rate on weights and 0 on biases when they are
        interleaved, and folds a scale into it."""
        rate = self.rate if rates is None else rates
        if self.kind == "l2":
            np.multiply(w, rate, out=buf)
        elif self.kind == "l1":
            np.sign(w, out=buf)
            np.multiply(buf, rate, out=buf)
        else:
            return
        np.add(gw, buf, out=gw)
