"""A worker process's side: it hosts sessions as ``SessionRunner``s driven by one
``Scheduler`` thread, reads the server's messages from its pipe and writes back replies,
frames and points (see ``app.live.pool`` for the messages)."""

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

from app.live.scheduler import Scheduler, SessionRunner

log = logging.getLogger(__name__)

STOP_SECONDS = 2.0  # the workers' time, together, to end before they are terminated


class _Relay:
    """A session's one viewer in a worker: forwards its frames and points to the server."""

    closed = False

    def __init__(self, session_id: str, send: Callable[[tuple[Any, ...]], None]) -> None:
        self._id = session_id
        self._send = send

    def latest(self, slot: str, text: str) -> None:
        self._send(("latest", self._id, slot, text))

    def discard(self, slot: str) -> None:
        self._send(("discard", self._id, slot))

    def end(self, reason: str) -> None:
        self._send(("end", self._id, reason))


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

    def write(message: tuple[Any, ...]) -> None:
        try:
            conn.send(message)
        except (OSError, EOFError):  # the server is gone: this loop sees the pipe close
            pass
        except Exception as exc:  # it did not pickle, so nothing was written
            if message[0] == "done":  # a result that does not travel: say so instead
                write(("done", message[1], False, _portable(exc)))
            else:
                log.error("a %s message did not pickle: %s", message[0], exc)

    def send(message: tuple[Any, ...]) -> None:
        if threading.current_thread() is scheduler.thread:
            write(message)
        else:
            scheduler.soon(write, message)

    def finish(call_id: int, fut: concurrent.futures.Future[Any]) -> None:
        exc = fut.exception()
        if exc is None:
            send(("done", call_id, True, fut.result()))
        else:
            send(("done", call_id, False, _portable(exc)))

    runners: dict[str, SessionRunner] = {}
    relays: dict[str, _Relay] = {}
    try:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                return
            kind, args = message[0], message[1:]
            if kind == "stop":
                return
            if kind == "create":
                sid, pickled = args
                runners[sid] = SessionRunner(sid, pickle.loads(pickled), scheduler=scheduler)
                relays[sid] = _Relay(sid, send)
                continue
            runner = runners.get(args[0])
            if kind == "call":
                sid, call_id, fn, fargs = args
                if runner is None:
                    send(("done", call_id, False, LookupError("session has ended")))
                    continue
                fut = runner.submit(fn, *fargs)
                fut.add_done_callback(functools.partial(finish, call_id))
            elif runner is None:
                continue
            elif kind == "attach":
                runner.attach(relays[args[0]])
            elif kind == "detach":
                runner.detach(relays[args[0]])
            elif kind == "close":
                del runners[args[0]], relays[args[0]]
                runner.close(timeout=0, reason=args[1])
    finally:
        for runner in runners.values():
            runner.close(timeout=0, reason="server shutting down")
        scheduler.stop(timeout=STOP_SECONDS / 2)
