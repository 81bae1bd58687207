"""A worker process's side: it hosts sessions as ``SessionRunner``s driven by one
``Scheduler`` thread, reads the server's messages from its pipe and writes back replies,
frames and points (``app.live.messages``).

What the worker says goes out in batches (an ``Outbox``): the messages that come up while
the scheduler works travel as one pipe message, a list, written once the first of them has
waited ``FLUSH_SECONDS`` (or would, by the end of the scheduler's wait), when they pass
``FLUSH_BYTES``, and at once with a call's answer (``Done``). One write, and one read by
the server, for several messages, not one each; the order is kept.
"""

from __future__ import annotations

import concurrent.futures
import functools
import logging
import pickle
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from app.live.messages import (
    SHUTTING_DOWN,
    Attach,
    Call,
    Close,
    Create,
    Detach,
    Discard,
    Done,
    End,
    Latest,
    Ping,
    Stop,
    ToServer,
    ToWorker,
)
from app.live.scheduler import Scheduler
from app.live.session_runner import SessionRunner
from app.training import Session

log = logging.getLogger(__name__)

STOP_SECONDS = 2.0  # the workers' time, together, to end before they are terminated
FLUSH_SECONDS = 0.003  # a message waits in the outbox this long at most, and the turn under way
FLUSH_BYTES = 64 * 1024  # an outbox holding this much of frames and points is written at once
PICKLE_PROTOCOL = pickle.HIGHEST_PROTOCOL


class _Relay:
    """A session's one viewer in a worker: forwards its frames and points to the server."""

    closed = False

    def __init__(self, session_id: str, send: Callable[[ToServer], None]) -> None:
        self._id = session_id
        self._send = send

    def latest(self, slot: str, data: str | bytes) -> None:
        self._send(Latest(self._id, slot, data))

    def discard(self, slot: str) -> None:
        self._send(Discard(self._id, slot))

    def end(self, reason: str) -> None:
        self._send(End(self._id, reason))


def _portable(exc: BaseException) -> Exception:
    """An exception that surely pickles and keeps its meaning for the server: a ValueError
    (a bad request) or a LookupError (no such session) with its message, anything else as a
    RuntimeError."""
    if isinstance(exc, ValueError):
        return ValueError(str(exc))
    if isinstance(exc, LookupError):
        return LookupError(str(exc))
    return RuntimeError(f"{type(exc).__name__}: {exc}")


class Outbox:
    """A worker's messages to the server, written in batches (a list a pipe message), in
    the order they were put. Used by the scheduler's thread only.

    ``put`` buffers a message, and writes the batch at once if it is a ``Done`` (a command's
    answer is never held back) or the batch's frames and points pass ``FLUSH_BYTES``, and
    before a session's second frame (a session that catches up on a late frame builds the
    next at once: in one batch, the server would get both together and a page only the
    second, the first built for nothing);
    ``flush(wait)`` is told that the thread is about to wait up to ``wait`` seconds (0: it
    goes on working; None: until a command comes, or it ends) and writes the batch if its
    first message would have waited ``FLUSH_SECONDS`` by then. ``write(batch)`` gets a
    non-empty list."""

    def __init__(self, write: Callable[[list[ToServer]], None]) -> None:
        self._write = write
        self._batch: list[ToServer] = []
        self._bytes = 0
        self._since = 0.0  # when the batch's first message came
        self._framed: set[str] = set()  # the sessions with a frame in the batch

    def __len__(self) -> int:
        return len(self._batch)

    def put(self, message: ToServer) -> None:
        if type(message) is Latest and message.slot == "frame":
            if message.sid in self._framed:  # the session's last frame goes on its own
                self.flush()
            self._framed.add(message.sid)
        batch = self._batch
        if not batch:
            self._since = time.monotonic()
        batch.append(message)
        if type(message) is Latest:
            self._bytes += len(message.data)
            if self._bytes >= FLUSH_BYTES:
                self.flush()
        elif type(message) is Done:
            self.flush()

    def flush(self, wait: float | None = None) -> None:
        """Write the batch unless it can wait ``wait`` seconds more within the bound."""
        if not self._batch or (
            wait is not None and time.monotonic() - self._since + wait < FLUSH_SECONDS
        ):
            return
        batch, self._batch, self._bytes = self._batch, [], 0
        self._framed.clear()
        self._write(batch)


def serve(conn: Connection) -> None:
    """A worker's main loop: host sessions until the server says stop or goes away.

    This thread only reads the pipe and hands work to the scheduler, so it never blocks on
    anything but the pipe; the scheduler's thread writes every message (one that comes up
    elsewhere is handed to it), so writing costs no switch between threads."""
    if threading.current_thread() is threading.main_thread():  # a process of its own
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle

    def put(data: bytes) -> None:
        try:
            conn.send_bytes(data)
        except (OSError, EOFError):  # the server is gone: this loop sees the pipe close
            pass

    def write(batch: list[ToServer]) -> None:
        try:  # (plain pickle, which the server reads: ``conn.send``'s costs twice as much)
            data = pickle.dumps(batch, PICKLE_PROTOCOL)
        except Exception:  # one did not pickle, so nothing was written: each on its own
            for message in batch:
                write_one(message)
            return
        put(data)

    def write_one(message: ToServer) -> None:
        try:
            data = pickle.dumps([message], PICKLE_PROTOCOL)
        except Exception as exc:
            if isinstance(message, Done):  # a result that does not travel: say so instead
                write_one(Done(message.call_id, False, _portable(exc)))
            else:
                log.error("a %s message did not pickle: %s", type(message).__name__, exc)
            return
        put(data)

    outbox = Outbox(write)
    scheduler = Scheduler(flush=outbox.flush)  # one thread drives every session of this worker

    def send(message: ToServer) -> None:
        if threading.current_thread() is scheduler.thread:
            outbox.put(message)
        else:
            scheduler.soon(outbox.put, message)

    def finish(call_id: int, fut: concurrent.futures.Future[Any]) -> None:
        exc = fut.exception()
        if exc is None:
            send(Done(call_id, True, fut.result()))
        else:
            send(Done(call_id, False, _portable(exc)))

    runners: dict[str, SessionRunner] = {}
    relays: dict[str, _Relay] = {}
    try:
        while True:
            try:
                message: ToWorker = conn.recv()
            except (EOFError, OSError):
                return
            match message:
                case Stop():
                    return
                case Ping(call_id):
                    send(Done(call_id, True, None))
                case Create(sid, config):
                    try:
                        session = Session(config)
                    except Exception as exc:  # nothing to host: the server ends it
                        log.error("session not built: %s", exc)
                        send(End(sid, "session ended"))
                        continue
                    runners[sid] = SessionRunner(sid, session, scheduler=scheduler)
                    relays[sid] = _Relay(sid, send)
                case Call(sid, call_id, fn, args):
                    if (runner := runners.get(sid)) is None:
                        send(Done(call_id, False, LookupError("session has ended")))
                        continue
                    fut = runner.submit(fn, *args)
                    fut.add_done_callback(functools.partial(finish, call_id))
                case Attach(sid) if sid in runners:
                    runners[sid].attach(relays[sid])
                case Detach(sid) if sid in runners:
                    runners[sid].detach(relays[sid])
                case Close(sid, reason) if sid in runners:
                    runner = runners.pop(sid)
                    del relays[sid]
                    runner.close(timeout=0, reason=reason)
    finally:
        for runner in runners.values():
            runner.close(timeout=0, reason=SHUTTING_DOWN)
        scheduler.stop(timeout=STOP_SECONDS / 2)
