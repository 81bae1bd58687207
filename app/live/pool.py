"""Sessions in worker processes, so that training uses every core and the event loop never
waits for the interpreter lock.

A ``WorkerPool`` starts a few processes (``NNP_WORKERS``; one per core by default). Each hosts
many sessions, as ``SessionRunner``s driven by one ``Scheduler`` thread, and talks to the
server over one pipe:

- server → worker: ``("create", id, session)``, ``("call", id, call_id, fn, args)``,
  ``("attach", id)``, ``("detach", id)``, ``("close", id, reason)``, ``("stop",)``;
- worker → server: ``("done", call_id, ok, result or exception)`` and, for a session that
  pages watch, ``("latest", id, slot, text)``, ``("discard", id, slot)``, ``("end", id, reason)``.

Frames are built (and encoded to JSON text) in the worker, once per session, whatever the
number of pages; the server copies each to the mailboxes of the session's pages. A session's
messages travel in order on one pipe, so the causal order of frames and replies (see
``app.live.runner``) holds across the processes. ``fn`` must pickle: a module-level function
or a ``Session`` method (``app.live.ops``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import itertools
import logging
import multiprocessing
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from app.live.runner import Mailbox, Scheduler, SessionRunner
from app.training import Session

log = logging.getLogger(__name__)

STOP_SECONDS = 2.0  # a worker's time to close its sessions before it is terminated


# --- in the worker process ----------------------------------------------------------------


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
    """An exception that pickles and keeps its meaning: ValueError (a bad request) and
    LookupError (no such session) as they are, anything else as a RuntimeError."""
    if isinstance(exc, ValueError | LookupError):
        return type(exc)(*exc.args) if _pickles(exc) else type(exc)(str(exc))
    return RuntimeError(f"{type(exc).__name__}: {exc}")


def _pickles(exc: BaseException) -> bool:
    return all(isinstance(a, str | int | float) for a in exc.args)


def serve(conn: Connection) -> None:
    """A worker's main loop: host sessions until the server says stop or goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    lock = threading.Lock()

    def send(message: tuple[Any, ...]) -> None:
        with lock:
            try:
                conn.send(message)
            except (OSError, ValueError):  # the server is gone; the reader will notice
                pass

    def finish(call_id: int, fut: concurrent.futures.Future[Any]) -> None:
        exc = fut.exception()
        if exc is None:
            try:
                send(("done", call_id, True, fut.result()))
                return
            except Exception as err:  # a result that does not pickle: nothing was sent
                exc = err
        send(("done", call_id, False, _portable(exc)))

    scheduler = Scheduler()  # one thread drives every session of this worker
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
                sid, session = args
                runners[sid] = SessionRunner(sid, session, scheduler=scheduler)
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


# --- in the server process ----------------------------------------------------------------


class Worker:
    """The server's end of one worker process: its pipe, its calls in flight, its sessions."""

    def __init__(self, index: int, context: Any) -> None:
        here, there = context.Pipe()
        self.process = context.Process(
            target=serve, args=(there,), name=f"nnp-worker-{index}", daemon=True
        )
        self.process.start()
        there.close()
        self.conn: Connection = here
        self.runners: dict[str, RemoteRunner] = {}
        self._pending: dict[int, concurrent.futures.Future[Any]] = {}
        self._ids = itertools.count()
        self._lock = threading.Lock()  # guards the pipe's sending end and the two dicts
        self.alive = True
        self._reader = threading.Thread(
            target=self._read, name=f"nnp-worker-{index}-reader", daemon=True
        )
        self._reader.start()

    def send(self, message: tuple[Any, ...]) -> None:
        with self._lock:
            if not self.alive:
                raise LookupError("session has ended")
            self.conn.send(message)

    def call(
        self, sid: str, fn: Callable[..., Any], args: tuple[Any, ...]
    ) -> concurrent.futures.Future[Any]:
        fut: concurrent.futures.Future[Any] = concurrent.futures.Future()
        with self._lock:
            if not self.alive:
                fut.set_exception(LookupError("session has ended"))
                return fut
            call_id = next(self._ids)
            self._pending[call_id] = fut
            try:
                self.conn.send(("call", sid, call_id, fn, args))
            except Exception as exc:  # e.g. an argument that does not pickle
                del self._pending[call_id]
                fut.set_exception(exc)
        return fut

    def _read(self) -> None:
        try:
            while True:
                try:
                    message = self.conn.recv()
                except (EOFError, OSError):
                    return
                kind = message[0]
                if kind == "done":
                    _, call_id, ok, value = message
                    with self._lock:
                        fut = self._pending.pop(call_id, None)
                    if fut is not None and fut.set_running_or_notify_cancel():
                        if ok:
                            fut.set_result(value)
                        else:
                            fut.set_exception(value)
                    continue
                runner = self.runners.get(message[1])
                if runner is not None:
                    runner.relayed(kind, *message[2:])
        finally:
            self._lost()

    def _lost(self) -> None:
        """The worker is gone (stopped, or died): fail what waits on it, end its sessions."""
        with self._lock:
            self.alive = False
            pending, self._pending = self._pending, {}
            runners = list(self.runners.values())
        for fut in pending.values():
            if fut.set_running_or_notify_cancel():
                fut.set_exception(LookupError("session has ended"))
        for runner in runners:
            runner.relayed("end", "session ended")

    def stop(self, timeout: float) -> None:
        try:
            self.send(("stop",))
        except (LookupError, OSError):
            pass
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(1.0)
        self.conn.close()
        self._reader.join(1.0)


class WorkerPool:
    """``count`` worker processes; a new session goes to the one hosting fewest."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._workers: list[Worker] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if not self._workers:
                context = multiprocessing.get_context("spawn")
                self._workers = [Worker(i, context) for i in range(self.count)]

    def create(self, sid: str, session: Session, ttl: float) -> RemoteRunner:
        self.start()
        with self._lock:
            live = [w for w in self._workers if w.alive]
            if not live:
                raise RuntimeError("no worker process is running")
            worker = min(live, key=lambda w: len(w.runners))
            runner = RemoteRunner(sid, worker, ttl)
            worker.runners[sid] = runner
        worker.send(("create", sid, session))
        return runner

    def stop(self) -> None:
        with self._lock:
            workers, self._workers = self._workers, []
        for w in workers:
            try:
                w.send(("stop",))
            except (LookupError, OSError):
                pass
        for w in workers:
            w.stop(STOP_SECONDS)


class RemoteRunner:
    """A session in a worker process, as the server sees it: the same interface as
    ``SessionRunner`` (calls, pages attaching and leaving, closing)."""

    def __init__(self, session_id: str, worker: Worker, ttl: float) -> None:
        self.id = session_id
        self.ttl = ttl
        self.last_active = time.monotonic()
        self.connections = 0
        self._worker = worker
        self._mailboxes: set[Mailbox] = set()
        self._latest: dict[str, str] = {}  # the newest points and frame, for pages joining
        self._lock = threading.Lock()
        self._closed = False

    @property
    def viewers(self) -> int:
        return len(self._mailboxes)

    def submit(self, fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future[Any]:
        self.last_active = time.monotonic()
        if self._closed:
            fut: concurrent.futures.Future[Any] = concurrent.futures.Future()
            fut.set_exception(LookupError("session has ended"))
            return fut
        return self._worker.call(self.id, fn, args)

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.wrap_future(self.submit(fn, *args))

    def attach(self, mailbox: Mailbox) -> concurrent.futures.Future[None]:
        fut: concurrent.futures.Future[None] = concurrent.futures.Future()
        with self._lock:
            if self._closed:
                fut.set_exception(LookupError("session has ended"))
                return fut
            first = not self._mailboxes
            self._mailboxes.add(mailbox)
            for slot in Mailbox.SLOTS:
                if slot in self._latest:
                    mailbox.latest(slot, self._latest[slot])
            if first:  # the worker starts building frames (one at once)
                self._send(("attach", self.id))
        self.last_active = time.monotonic()
        fut.set_result(None)
        return fut

    def detach(self, mailbox: Mailbox) -> concurrent.futures.Future[None]:
        with self._lock:
            if mailbox in self._mailboxes:
                self._mailboxes.discard(mailbox)
                if not self._mailboxes:  # nobody watches: no more frames
                    self._latest.clear()
                    self._send(("detach", self.id))
        self.last_active = time.monotonic()
        fut: concurrent.futures.Future[None] = concurrent.futures.Future()
        fut.set_result(None)
        return fut

    def _send(self, message: tuple[Any, ...]) -> None:
        try:
            self._worker.send(message)
        except (LookupError, OSError):
            pass  # the worker is gone; its reader ends the session

    def relayed(self, kind: str, *args: str) -> None:
        """A message from the session's thread in the worker (on the pipe's reader)."""
        with self._lock:
            if kind == "latest":
                slot, text = args
                self._latest[slot] = text
                for mailbox in self._mailboxes:
                    mailbox.latest(slot, text)
            elif kind == "discard":
                self._latest.pop(args[0], None)
                for mailbox in self._mailboxes:
                    mailbox.discard(args[0])
            elif kind == "end":
                self._closed = True
                for mailbox in self._mailboxes:
                    mailbox.end(args[0])

    def close(self, timeout: float = 2.0, reason: str = "session ended") -> None:
        with self._lock:
            if self._closed:
                return
            self._send(("close", self.id, reason))
        self.relayed("end", reason)
        with self._worker._lock:
            self._worker.runners.pop(self.id, None)
