"""A worker process's side: it hosts sessions as ``SessionRunner``s driven by one
``Scheduler`` thread, reads the server's messages from its pipe and writes back replies,
frames and points (``app.live.messages``)."""

from __future__ import annotations

import concurrent.futures
import functools
import logging
import pickle
import signal
import threading
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


def serve(conn: Connection) -> None:
    """A worker's main loop: host sessions until the server says stop or goes away.

    This thread only reads the pipe and hands work to the scheduler, so it never blocks on
    anything but the pipe; the scheduler's thread writes every message (one that comes up
    elsewhere is handed to it), so writing costs no switch between threads."""
    if threading.current_thread() is threading.main_thread():  # a process of its own
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    scheduler = Scheduler()  # one thread drives every session of this worker

    def write(message: ToServer) -> None:
        try:  # (plain pickle, which the server reads: ``conn.send``'s costs twice as much)
            data = pickle.dumps(message, PICKLE_PROTOCOL)
        except Exception as exc:  # it did not pickle, so nothing was written
            if isinstance(message, Done):  # a result that does not travel: say so instead
                write(Done(message.call_id, False, _portable(exc)))
            else:
                log.error("a %s message did not pickle: %s", type(message).__name__, exc)
            return
        try:
            conn.send_bytes(data)
        except (OSError, EOFError):  # the server is gone: this loop sees the pipe close
            pass

    def send(message: ToServer) -> None:
        if threading.current_thread() is scheduler.thread:
            write(message)
        else:
            scheduler.soon(write, message)

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
