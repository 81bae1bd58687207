"""The interface of a training method: an epoch, whole or in slices, and what it reports.

The methods themselves are described in ``app.nn.methods``.

Divergence: a step whose weights come out non-finite (or overflow θ·θ) is undone, the
epoch stops and reports ``diverged``; the network keeps its last finite weights.

An epoch can be cut into slices: ``advance(net, X, Y, rng, deadline)`` works until the epoch
ends or ``time.perf_counter()`` passes ``deadline`` (checked between mini-batches, or between
pieces of the population), and the next call carries on with the same epoch. The numbers
are those of the unsplit epoch: the shuffle (or the population) is drawn once, when the
epoch starts. A change of data, batch size or method drops an epoch in progress.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from app.nn.network import Network

Array = np.ndarray

NEVER = math.inf  # a deadline that does not cut an epoch
MAX_PENDING = 1_000_000  # bound on an imported epoch's position and shuffle


@dataclass(frozen=True)
class EpochResult:
    updates: int  # parameter updates made (mini-batches or generations)
    evaluations: int  # loss evaluations spent (one per batch, one per population member)
    diverged: bool
    finished: bool = True  # False: cut off at the deadline, the epoch goes on next time


class Method(Protocol):
    kind: str

    def epoch(self, net: Network, X: Array, Y: Array, rng: np.random.Generator) -> EpochResult:
        """Train ``net`` for one epoch on ``X (n, inputs)``, ``Y (n, outputs)``."""
        ...

    def advance(
        self, net: Network, X: Array, Y: Array, rng: np.random.Generator, deadline: float
    ) -> EpochResult:
        """Train on in the current epoch (or start one) until it ends or
        ``time.perf_counter()`` passes ``deadline``; at least one piece of work is done."""
        ...

    def abandon(self) -> None:
        """Drop the epoch in progress, if any."""
        ...

    @property
    def pending(self) -> bool:
        """Whether an epoch is in progress."""
        ...

    def configure(self, **settings: Any) -> None: ...

    def settings(self) -> dict[str, Any]: ...

    def reset(self) -> None: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, d: dict[str, Any], n_params: int) -> None: ...
