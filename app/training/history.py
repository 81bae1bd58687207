"""The training's past: thinned snapshots of the parameters, bounded in bytes.

Snapshots are taken at every ``stride``-th epoch. When they would take more than the budget,
every other one goes and the stride doubles, so the timeline always covers the whole run at an
even spacing, with the first epoch kept.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from app.errors import InvalidInput
from app.nn.methods import Trainer
from app.training import config as conf

if TYPE_CHECKING:
    from app.training.session import Session

MAX_BYTES = 2 * 1024 * 1024


class Timeline:
    """Parameter vectors (``theta``, all of a network's parameters, flat) by epoch."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        self.max_bytes = max_bytes
        self.clear()

    def clear(self) -> None:
        self.stride = 1
        self.epochs: list[int] = []
        self._thetas: list[NDArray[np.float64]] = []

    @property
    def nbytes(self) -> int:
        return sum(t.nbytes for t in self._thetas)

    def _capacity(self, theta: NDArray[np.float64]) -> int:
        return max(2, self.max_bytes // max(1, theta.nbytes))

    def record(self, epoch: int, theta: NDArray[np.float64]) -> None:
        """Keep a copy of ``theta`` if ``epoch`` falls on the stride; an epoch recorded again
        (weights edited by hand, say) replaces its snapshot."""
        if epoch < 0:
            raise ValueError("epoch must be non-negative")
        if self.epochs and epoch < self.epochs[-1]:
            self.truncate(epoch - 1)
        if epoch % self.stride:
            return
        snapshot = np.array(theta, dtype=np.float64, copy=True)
        if self.epochs and self.epochs[-1] == epoch:
            self._thetas[-1] = snapshot
            return
        self.epochs.append(epoch)
        self._thetas.append(snapshot)
        while len(self.epochs) > self._capacity(snapshot):
            self.stride *= 2
            keep = [i for i, e in enumerate(self.epochs) if e % self.stride == 0]
            self.epochs = [self.epochs[i] for i in keep]
            self._thetas = [self._thetas[i] for i in keep]

    def at(self, epoch: int) -> tuple[int, NDArray[np.float64]]:
        """The snapshot at ``epoch`` or the nearest before it: ``(its epoch, theta copy)``."""
        if not self.epochs:
            raise LookupError("no snapshot has been taken yet")
        i = bisect.bisect_right(self.epochs, epoch) - 1
        if i < 0:
            raise LookupError(f"no snapshot at or before epoch {epoch}")
        return self.epochs[i], self._thetas[i].copy()

    def truncate(self, epoch: int) -> None:
        """Forget every snapshot after ``epoch`` (training goes on from there)."""
        i = bisect.bisect_right(self.epochs, epoch)
        del self.epochs[i:]
        del self._thetas[i:]


def snapshot_at(s: Session, epoch: int) -> tuple[int, NDArray[np.float64]]:
    """The session's snapshot at ``epoch`` or the nearest before it: ``(its epoch, theta)``;
    InvalidInput if there is none."""
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
        raise InvalidInput("epoch must be a non-negative integer")
    try:
        return s.timeline.at(min(epoch, s.trainer.epoch))
    except LookupError as exc:
        raise InvalidInput(f"epoch: {exc}") from None


def branch(s: Session, epoch: int) -> int:
    """Go back to the snapshot at ``epoch`` (or the nearest before it) and train on from
    there: its parameters and counters; the history and snapshots after it are forgotten.
    The optimizer's state (momentum, Adam's moments) starts afresh. Returns the epoch."""
    if not isinstance(s.trainer, Trainer):
        raise InvalidInput("history: branching is not available under the tfp profile")
    at, theta = snapshot_at(s, epoch)
    s.playing = False
    np.copyto(s.net.theta, theta)
    s.timeline.truncate(at)
    kept = [h for h in s.history if h["epoch"] <= at]
    if s.path:
        s.path = s.path[: len(kept)]
    s.history = kept
    t = s.trainer
    t.epoch, t.step = at, (kept[-1]["step"] if kept else 0)
    t.diverged = False
    t.set_method(conf.method_for(s.config))
    if not kept or kept[-1]["epoch"] != at:
        s._record()
    s.touch()
    return at
