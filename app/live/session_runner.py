"""A session, the mailboxes of its pages, and its work cut into slices for a ``Scheduler``.

A ``SessionRunner`` owns its ``Session``: every change and every read goes through
``submit``, which runs the function on the thread that drives the session (a ``Scheduler``,
which drives all the sessions of a worker) between training chunks, so commands apply in
order. Every piece of a session's work is a slice of a few milliseconds, whatever the
settings: while playing, training runs in slices (an epoch, or an evolution generation, is
cut between two mini-batches or two pieces of its population and carried on with the same
numbers), and goes on from one slice to the next until a frame or a change comes, which
first ends it there and records its epochs; a frame is built only when one is due (the
session's frame rate) and something changed, once for all its viewers, a piece at a time
(``frame_steps``), and the session does not change meanwhile: a command waits for the
frame, and a pause drops it (it is built again later). A long operation (a ``step`` of many
epochs) runs in slices too. Reads answer between slices, and a pause stops a step. A turn
of a session goes on to its next due piece of work within a few milliseconds, so that a
light session trains and draws in one. So a heavy session slows itself, not the others.

Frames and replies keep a causal order: a command that changes the session drops every
viewer's unsent frame (it shows the state before the change; the same for points), and while
a connection's command is in flight its frames wait for the reply. So no frame showing a
change arrives before the reply to the command that made it, and no frame after that reply
shows the state before it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Generator
from typing import Any

from app.live.frames import dumps, frame_steps, points_message
from app.live.mailbox import Viewer
from app.live.ops import READS, STOPS, Job, Replacement
from app.live.playing import Playing, next_tick
from app.live.scheduler import CHUNK_SECONDS, Scheduler
from app.training import Session

log = logging.getLogger(__name__)

TURN_SECONDS = CHUNK_SECONDS / 2  # a turn goes on to the next due piece of work within this
NOW = -math.inf  # a wake-up time: at once


class SessionRunner:
    """A session, the thread that drives it (a ``Scheduler``, shared or its own) and the
    mailboxes of the pages watching it."""

    def __init__(
        self,
        session_id: str,
        session: Session,
        ttl: float = 600.0,
        scheduler: Scheduler | None = None,
    ) -> None:
        self.id = session_id
        self.ttl = ttl  # seconds without viewers or requests before the session ends
        self.session = session
        self.last_active = time.monotonic()
        self.connections = 0  # sockets using the session; the manager's lock guards it
        self._viewers: dict[Viewer, int] = {}  # viewer -> points version it has seen
        self._frame_version = -1  # session version of the last frame built
        self._next_frame = 0.0
        self._playing = Playing()  # the training it owes and does while playing
        # A frame being built, a piece per slice (``frame_steps``), and the session version
        # it shows; the session does not change until it is done. ``_trained``: training
        # had a slice since the last frame (a frame that takes long must not starve it).
        self._frame: Generator[None, None, str | bytes] | None = None
        self._frame_of = -1
        self._trained = True
        self._used = 0.0  # seconds of the thread's time this session has had
        self._wake: float | None = None  # when it next needs the thread (the scheduler's)
        # A long operation in progress (a ``step`` of many epochs), run in slices; the
        # calls that came after it wait in the backlog.
        self._job: (
            tuple[Generator[None, bool | None, Any], concurrent.futures.Future[Any], Any] | None
        )
        self._job = None
        self._backlog: deque[tuple[Any, tuple[Any, ...], concurrent.futures.Future[Any]]]
        self._backlog = deque()
        self._closed = False
        self._gone = False  # set on the thread once the runner has shut down
        self._done = threading.Event()
        self._closing = threading.Lock()  # nothing is queued once the runner is closing
        self._end_reason = "session ended"
        self._own = scheduler is None
        self._scheduler = scheduler or Scheduler(f"session-{session_id}")

    # --- called from anywhere ---------------------------------------------------------

    def submit(self, fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future[Any]:
        """Run ``fn(session, *args)`` on the session's thread; its result or exception
        arrives in the future. ``fn`` may return a ``Job`` (run in slices; its result is
        the future's) or a ``Replacement`` (the runner swaps the session)."""
        fut: concurrent.futures.Future[Any] = concurrent.futures.Future()
        with self._closing:
            if self._closed:
                fut.set_exception(LookupError("session has ended"))
            else:
                self.last_active = time.monotonic()
                self._scheduler.put((self, fn, args, fut))
        return fut

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.wrap_future(self.submit(fn, *args))

    def attach(self, mailbox: Viewer) -> concurrent.futures.Future[None]:
        def add(_: Session) -> None:
            self._viewers[mailbox] = -1
            self._frame_version = -1  # a new viewer gets a frame at once
            self._next_frame = 0.0

        return self.submit(add)

    def detach(self, mailbox: Viewer) -> concurrent.futures.Future[None]:
        def remove(_: Session) -> None:
            self._viewers.pop(mailbox, None)
            self.last_active = time.monotonic()

        return self.submit(remove)

    def replace(self, session: Session) -> None:
        """Swap in another session (an import); call it on the session's thread."""
        session.playing = False
        self.session = session
        self._frame_version = -1
        self._next_frame = 0.0
        self._playing.reset()
        for mailbox in self._viewers:
            self._viewers[mailbox] = -1

    @property
    def viewers(self) -> int:
        return len(self._viewers)

    @property
    def ended(self) -> bool:
        return self._closed

    def close(self, timeout: float = 2.0, reason: str = "session ended") -> None:
        """End the session and tell every viewer's connection to close; waits up to
        ``timeout`` for the thread to let go of it (and, for a thread of its own, to end)."""
        with self._closing:
            first, self._closed = not self._closed, True
            if first:
                self._end_reason = reason
                self._scheduler.end(self)
        if first:
            for mailbox in list(self._viewers):
                mailbox.end(reason)
            if self._own:
                self._scheduler.stop(timeout=0)
        if threading.current_thread() is not self._scheduler.thread:
            if self._done.wait(timeout) and self._own:
                self._scheduler.thread.join(timeout)

    # --- on the scheduler's thread ----------------------------------------------------

    def _shut_down(self) -> None:
        """The runner's last act: fail the calls still waiting, and tell every viewer (also
        one attached while the session was closing) that the session ended."""
        self._gone = True
        self._wake = None
        self._drop_frame()
        self._playing.drop()
        if self._job is not None:  # already running: it fails as it is
            self._job[0].close()
            self._job[1].set_exception(LookupError("session has ended"))
            self._job = None
        for _, _, fut in self._backlog:
            if fut.set_running_or_notify_cancel():
                fut.set_exception(LookupError("session has ended"))
        self._backlog.clear()
        for mailbox in self._viewers:
            mailbox.end(self._end_reason)
        self._done.set()

    def _take(self, fn: Any, args: tuple[Any, ...], fut: concurrent.futures.Future[Any]) -> None:
        if self._playing.run is not None and fn not in READS:  # a change: between epochs
            self._playing.stop(self.session)
        if self._gone:
            if fut.set_running_or_notify_cancel():
                fut.set_exception(LookupError("session has ended"))
        elif self._job is not None and fn in STOPS:  # ends the long operation, then runs
            self._advance(stop=True)
            self._take(fn, args, fut)
        elif self._frame is not None and fn in STOPS:  # the frame is built again later
            self._drop_frame()
            self._drain()
            self._take(fn, args, fut)
        elif fn in READS and (self._job is not None or not self._backlog):
            # Answers at once, between two slices; during a frame's build after the calls
            # already waiting (a few milliseconds), so that it shows what they did.
            self._run(fn, args, fut)
        elif self._job is not None or self._frame is not None or self._backlog:
            self._backlog.append((fn, args, fut))  # after the long operation or the frame
        else:
            self._run(fn, args, fut)

    def _drain(self) -> None:
        """Run the calls that waited, until one starts a long operation; then the reads
        that waited behind it answer at once, as any read during it does."""
        while self._backlog and self._job is None and self._frame is None:
            self._run(*self._backlog.popleft())
        if self._job is not None and any(fn in READS for fn, _, _ in self._backlog):
            waiting = list(self._backlog)
            self._backlog.clear()
            for fn, args, fut in waiting:
                if fn in READS:
                    self._run(fn, args, fut)
                else:
                    self._backlog.append((fn, args, fut))

    def _run(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        fut: concurrent.futures.Future[Any],
    ) -> None:
        if not fut.set_running_or_notify_cancel():
            return
        before = self._mark()
        try:
            result = fn(self.session, *args)
            if isinstance(result, Job):
                self._job = (result.slices, fut, before)
                self._advance()
                return
            if isinstance(result, Replacement):
                self.replace(result.session)
                result = result.reply
        except Exception as exc:  # handed to the caller, who reports it
            self._settle(fut, before, None, exc)
            return
        self._settle(fut, before, result, None)

    def _advance(self, stop: bool = False) -> None:
        """One slice of the long operation in progress (``stop``: end it instead); once it
        is over, its reply, then the calls that waited for it."""
        assert self._job is not None
        slices, fut, before = self._job
        try:
            slices.send(True) if stop else next(slices)
            if stop:  # it would not stop: it fails rather than run on
                raise RuntimeError("the operation could not be stopped")
            return
        except StopIteration as stop:
            outcome: tuple[Any, Exception | None] = (stop.value, None)
        except Exception as exc:
            outcome = (None, exc)
        self._job = None
        self._settle(fut, before, *outcome)
        self._drain()

    def _settle(
        self,
        fut: concurrent.futures.Future[Any],
        before: Any,
        result: Any,
        error: Exception | None,
    ) -> None:
        """Hand out a call's outcome; first, if it changed the session (or its points), drop
        the frames (or points) not yet sent: they show the state before, and none may follow
        the reply."""
        now = self._mark()
        for mailbox in self._viewers:
            if now[:2] != before[:2]:
                mailbox.discard("frame")
            if now[::2] != before[::2]:
                mailbox.discard("points")
        if error is None:
            fut.set_result(result)
        else:
            fut.set_exception(error)

    def _mark(self) -> tuple[Session, int, int]:
        """What tells whether a call changed the session, and its points."""
        s = self.session
        return (s, s.version, s.points_version)

    def _wake_at(self) -> float | None:
        """When this session next needs the thread (the monotonic clock's seconds; NOW: at
        once); None: not until a command. The scheduler asks after every turn and every
        command of this session, and nothing else changes it."""
        if self._job is not None or self._frame is not None:
            return NOW
        s = self.session
        at = self._playing.due(s)
        if self._viewers and s.version != self._frame_version:
            at = self._next_frame if at is None else min(at, self._next_frame)
        return at

    def _work(self) -> None:
        """This session's turn: a slice of its long operation; or pieces of its frame and
        slices of training, each only when due, for up to about ``TURN_SECONDS`` (so that a
        light session trains and draws in one turn)."""
        if self._job is not None:
            self._advance()
            return
        now = start = time.monotonic()  # read once a piece of work: the pieces take longer
        try:
            while True:
                if self._frame is not None or self._frame_due(now):
                    self._build()
                elif self.session.playing and self._playing.slice(
                    self.session, self._next_frame if self._viewers else None, now
                ):
                    self._trained = True
                else:
                    return
                now = time.monotonic()
                if self._job is not None or now - start >= TURN_SECONDS:
                    return
                at = self._wake_at()
                if at is None or at > now:
                    return
        except Exception:  # a fault in one session pauses it; the thread and server go on
            log.exception("session %s failed while training or drawing; paused", self.id)
            self._drop_frame()
            self._playing.drop()
            self.session.playing = False
            self._frame_version = self.session.version
            self._drain()

    def _frame_due(self, now: float) -> bool:
        """Whether a frame is to be built at ``now`` (the monotonic clock's seconds)."""
        s = self.session
        if not self._viewers or (s.version == self._frame_version and self._playing.run is None):
            return False
        if now < self._next_frame:
            return False
        # Training that has work to do gets a slice between two frames.
        return self._trained or not self._playing.waiting(s)

    def _build(self) -> None:
        """A piece of the frame being built (the first starts it, and hands out the
        points first if they changed); the last hands the frame to every viewer."""
        s = self.session
        if self._frame is None:
            points = None
            for mailbox, seen in list(self._viewers.items()):
                if mailbox.closed:
                    del self._viewers[mailbox]
                    continue
                if seen != s.points_version:
                    points = points or dumps(points_message(s.point_arrays()))
                    mailbox.latest("points", points)
                    self._viewers[mailbox] = s.points_version
            if not self._viewers:
                return
            self._playing.stop(s)  # the frame shows the epochs trained so far
            self._frame, self._frame_of = frame_steps(s), s.version
        try:
            next(self._frame)
            return
        except StopIteration as built:
            frame: str | bytes = built.value
        except ValueError:  # a non-finite number reached the frame: never send it
            log.exception("frame of session %s not sent", self.id)
            s.trainer.diverged = True
            self._frame = None
            self._drain()
            return
        self._frame = None
        for mailbox in self._viewers:
            mailbox.latest("frame", frame)
        self._frame_version = self._frame_of
        self._next_frame = next_tick(self._next_frame, 1.0 / s.config["fps"], time.monotonic())
        self._trained = False
        self._drain()

    def _drop_frame(self) -> None:
        """Give up the frame being built (it is built again when due)."""
        if self._frame is not None:
            self._frame.close()
            self._frame = None
