"""A playing session's training, in slices of a few milliseconds for the thread that drives
many sessions (``app.live.session_runner``).

At speed k the session owes k epochs per frame period; at speed 0 it trains whenever its
thread has nothing else to do for it, in slices that end when its next frame is due. The
training (``Session.steps``) goes on from one slice to the next until it is done, a frame is
due or a command changes the session; ending it there records its epochs, once for all the
slices it ran (an epoch may be cut between two mini-batches: the next training carries it
on with the same numbers).
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator

from app.live.scheduler import CHUNK_SECONDS
from app.training import Session
from app.training.config import MAX_EPOCHS_PER_CALL

MIN_SLICE_SECONDS = 0.001  # a training slice cut short by a frame due is at least this


class Playing:
    """What a playing session owes and the training in progress (see the module
    docstring)."""

    def __init__(self) -> None:
        self.owed = 0  # epochs still to train in this frame period (speed > 0)
        self.next_train = 0.0  # when the next frame period's epochs are owed (speed > 0)
        self.run: Generator[None, bool | None, int] | None = None  # suspended between slices

    def due(self, s: Session) -> float | None:
        """When the session needs a slice of training (the monotonic clock's seconds; -inf:
        at once); None: not while it is not playing."""
        if self.run is not None:
            return -math.inf
        if not s.playing:
            return None
        if s.config["speed"] == 0 or self.owed > 0:
            return -math.inf
        return self.next_train

    def waiting(self, s: Session) -> bool:
        """Whether training has work to do now."""
        return s.playing and (s.config["speed"] == 0 or self.owed > 0)

    def slice(self, s: Session, next_frame: float | None, now: float | None = None) -> bool:
        """A slice of training (``next_frame``: when the session's next frame is due, None
        without viewers; ``now``: the monotonic clock, if the caller just read it); False if
        none was due."""
        if self.run is None:
            if now is None:
                now = time.monotonic()
            speed = s.config["speed"]
            seconds = CHUNK_SECONDS
            if speed:
                if self.owed == 0:
                    if now < self.next_train:
                        return False
                    self.owed = speed
                    self.next_train = next_tick(self.next_train, 1.0 / s.config["fps"], now)
                epochs = min(self.owed, MAX_EPOCHS_PER_CALL)
            else:
                epochs = MAX_EPOCHS_PER_CALL
                if next_frame is not None and next_frame > now:
                    # Slices of one length that end when the next frame is due.
                    left = next_frame - now
                    seconds = max(MIN_SLICE_SECONDS, left / math.ceil(left / CHUNK_SECONDS))
            self.run = s.steps(epochs, seconds)
        try:
            next(self.run)
            return True  # carried on by the next slice
        except StopIteration as stop:
            self._ended(s, stop.value)
        except ValueError:  # no training points
            self._ended(s, 0, stuck=True)
        return True

    def stop(self, s: Session) -> None:
        """End the training in progress there (its epochs are recorded), if any."""
        run, self.run = self.run, None
        if run is None:
            return
        try:
            run.send(True)
        except StopIteration as stop:
            self._ended(s, stop.value)
            return
        raise RuntimeError("the training slice could not be stopped")

    def drop(self) -> None:
        """Give up the training in progress (the session ends, or failed)."""
        if self.run is not None:
            self.run.close()
            self.run = None

    def reset(self) -> None:
        """Nothing owed (another session was swapped in)."""
        self.drop()
        self.owed = 0

    def _ended(self, s: Session, done: int, stuck: bool = False) -> None:
        """Settle a training that ended after ``done`` epochs (``stuck``: it could not
        train); it diverged or could not: pause."""
        self.run = None
        self.owed = max(0, self.owed - done) if s.config["speed"] else 0
        if stuck or s.status == "diverged":
            s.playing = False  # nothing to learn from, or diverged: pause
            self.owed = 0
            s.version += 1


def next_tick(previous: float, period: float, now: float) -> float:
    """The next deadline on a steady cadence: one period after the last, not after a late
    wake-up (which would stretch every period), and never in the past."""
    return max(previous + period, now)
