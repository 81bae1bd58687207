"""The live loop: one thread that drives every session of the process that hosts them.

A ``Scheduler`` runs the sessions' commands in the order they came and shares its time among
the sessions (``app.live.session_runner.SessionRunner``) in slices of a few milliseconds,
whatever their settings: the due session that has had least time goes next, and the
commands that came are looked at between two slices. So a heavy session slows itself, not
the others, and every session answers within a slice or two.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.live.session_runner import SessionRunner

log = logging.getLogger(__name__)

CHUNK_SECONDS = 0.008  # one slice of a session's work (training, a frame's piece)

_CLOSE = object()  # the inbox item that ends a runner


class Scheduler:
    """One thread that drives many sessions. It runs their commands in the order they came
    and gives every session that is due one slice of work in turn (a few milliseconds of
    training, of a long ``step`` or of a frame), looking at the commands between two. One thread per
    process for all sessions costs far less than a thread each: no contention for the
    interpreter lock, and the caches stay warm from one session to the next."""

    def __init__(
        self, name: str = "sessions", flush: Callable[[float | None], None] | None = None
    ) -> None:
        """``flush(wait)``, if given, is called on the thread between two turns with how long
        it is about to wait for a command (0: not at all, a session is due; None: until one
        comes), and with None when it ends (a worker's ``Outbox``, which decides whether what
        the sessions said goes out now)."""
        self._inbox: queue.SimpleQueue[
            tuple[SessionRunner | None, Any, tuple[Any, ...], Any] | None
        ]
        self._inbox = queue.SimpleQueue()
        self._runners: list[SessionRunner] = []  # touched on the thread only
        self._clock = 0.0  # the least thread time (seconds) a due session has had
        self._flush = flush
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def put(self, item: tuple[SessionRunner, Any, tuple[Any, ...], Any]) -> None:
        self._inbox.put(item)

    def end(self, runner: SessionRunner) -> None:
        """End ``runner`` once the commands queued before have run."""
        self._inbox.put((runner, _CLOSE, (), None))

    def soon(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on the thread, in turn with the commands."""
        self._inbox.put((None, fn, args, None))

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def stop(self, timeout: float = 2.0) -> None:
        """End the thread once the commands queued so far have run."""
        self._inbox.put(None)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def _loop(self) -> None:
        try:
            self._turns()
        finally:
            if self._flush is not None:
                self._flush(None)

    def _turns(self) -> None:
        flush = self._flush
        while True:
            runner, wait = self._next()
            if runner is not None:
                wait = 0.0
            if flush is not None:
                flush(wait)
            if not self._serve_commands(wait):
                return
            if runner is None or runner._wake is None or runner._wake > time.monotonic():
                continue  # ended, or no longer due, by a command just served
            t0 = time.thread_time()  # the thread's CPU: time the machine took away is not charged
            runner._work()
            # No debt beyond a slice: a long piece does not hold the session back for long.
            runner._used = min(runner._used + time.thread_time() - t0, self._clock + CHUNK_SECONDS)
            runner._wake = runner._wake_at()

    def _next(self) -> tuple[SessionRunner | None, float | None]:
        """The session that is due and has had the least of the thread's time (so that a
        light session's slices come between two of a heavy one's; a session that was idle
        gets no credit for it beyond a slice); with none due, how long until one is (None:
        not until a command comes). Each session's next time is kept up to date by whatever
        changes it (its work, its commands), so this is one cheap pass."""
        now = time.monotonic()
        floor = self._clock - CHUNK_SECONDS
        best, least, soonest = None, 0.0, None
        for r in self._runners:
            at = r._wake
            if at is None:
                continue
            if at > now:
                if soonest is None or at < soonest:
                    soonest = at
                continue
            used = r._used
            if used < floor:  # no credit for the time it was idle
                r._used = used = floor
            if best is None or used < least:
                best, least = r, used
        if best is None:
            return None, None if soonest is None else soonest - now
        self._clock = max(self._clock, least)
        return best, 0.0

    def _serve_commands(self, wait: float | None) -> bool:
        """Run the commands that came, waiting up to ``wait`` seconds for the first (None:
        until one comes), for up to a chunk's time (a flood of them must not hold back
        every session's training and frames); False once told to stop."""
        try:
            item = self._inbox.get(timeout=wait)
            deadline = time.monotonic() + CHUNK_SECONDS
            while item is not None:
                self._handle(*item)
                if time.monotonic() > deadline:
                    return True
                item = self._inbox.get_nowait()
            return False
        except queue.Empty:
            return True

    def _handle(
        self, runner: SessionRunner | None, fn: Any, args: tuple[Any, ...], fut: Any
    ) -> None:
        if runner is None:
            try:
                fn(*args)
            except Exception:  # never the end of the thread
                log.exception("a task on the scheduler failed")
            return
        if fn is _CLOSE:
            if runner in self._runners:
                self._runners.remove(runner)
            runner._shut_down()
            return
        if runner not in self._runners and not runner._gone:
            self._runners.append(runner)
        runner._take(fn, args, fut)
        runner._wake = None if runner._gone else runner._wake_at()
