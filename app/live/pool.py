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
import pickle
import queue
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from app.live.runner import Mailbox, Scheduler, SessionRunner
from app.training import Session

log = logging.getLogger(__name__)

STOP_SECONDS = 2.0  # the workers' time, together, to end before they are terminated


class _Sender:
    """The server's end of a pipe, written by a thread of its own: ``put`` never blocks (the
    event loop calls it), and the messages go out in the order they were put."""

    def __init__(
        self,
        conn: Connection,
        name: str,
        failed: Callable[[tuple[Any, ...], Exception], None],
        lost: Callable[[], None],
    ) -> None:
        self._conn = conn
        self._queue: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
        self._failed = failed  # a message that could not be pickled; nothing was sent
        self._lost = lost  # the pipe broke
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def put(self, message: tuple[Any, ...]) -> None:
        self._queue.put(message)

    def close(self, timeout: float) -> None:
        """Send what is queued, then stop."""
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while (message := self._queue.get()) is not None:
            try:
                self._conn.send(message)
            except (OSError, EOFError):
                self._lost()
                return
            except Exception as exc:  # it did not pickle: nothing was written
                self._failed(message, exc)


# --- in the worker process ----------------------------------------------------------------


class _Relay:
    """A session's one viewer in a worker: forwards its frames and points to the server."""

    closed = False

    def __init__(self, session_id: str, send: Callable[[tuple[Any, ...]], None]) -> None:
        self._id = session_id
        self._send = send

    def latest(self, slot: str, text: str | bytes) -> None:
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


# --- in the server process ----------------------------------------------------------------


class Worker:
    """The server's end of one worker process: its pipe, its calls in flight, its sessions.
    Nothing here blocks on the pipe: a sender thread writes, a reader thread reads."""

    def __init__(self, index: int, context: Any) -> None:
        here, there = context.Pipe()
        self.process = context.Process(
            target=serve, args=(there,), name=f"nnp-worker-{index}", daemon=True
        )
        self.process.start()
        there.close()
        self.conn: Connection = here
        self.runners: dict[str, RemoteRunner] = {}  # guarded by the pool's lock
        self._pending: dict[int, concurrent.futures.Future[Any]] = {}
        self._ids = itertools.count()
        self._lock = threading.Lock()  # guards ``alive`` and ``_pending``; never held for I/O
        self.alive = True
        self._sender = _Sender(here, f"nnp-worker-{index}-sender", self._failed, self._lost)
        self._reader = threading.Thread(
            target=self._read, name=f"nnp-worker-{index}-reader", daemon=True
        )
        self._reader.start()

    def send(self, message: tuple[Any, ...]) -> None:
        with self._lock:
            if not self.alive:
                raise LookupError("session has ended")
        self._sender.put(message)

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
        self._sender.put(("call", sid, call_id, fn, args))
        return fut

    def _failed(self, message: tuple[Any, ...], exc: Exception) -> None:
        """A message did not pickle (a call's argument, say): fail that call."""
        if message[0] == "call":
            self._settle(message[2], False, exc)
        else:
            log.error("a %s message did not pickle: %s", message[0], exc)

    def _settle(self, call_id: int, ok: bool, value: Any) -> None:
        with self._lock:
            fut = self._pending.pop(call_id, None)
        if fut is not None and fut.set_running_or_notify_cancel():
            if ok:
                fut.set_result(value)
            else:
                fut.set_exception(value)

    def _read(self) -> None:
        try:
            while True:
                try:
                    message = self.conn.recv()
                except (EOFError, OSError):
                    return
                try:
                    if message[0] == "done":
                        self._settle(*message[1:])
                    elif (runner := self.runners.get(message[1])) is not None:
                        runner.relayed(message[0], *message[2:])
                except Exception:  # one bad message must not stop the others
                    log.exception("message from worker %s not handled", self.process.name)
        except Exception:  # a message that did not unpickle: the stream is lost
            log.exception("worker %s: its pipe is unreadable", self.process.name)
        finally:
            self._lost()

    def _lost(self) -> None:
        """The worker is gone (stopped, or died): fail what waits on it, end its sessions."""
        with self._lock:
            if not self.alive:
                return
            self.alive = False
            pending, self._pending = self._pending, {}
        for fut in pending.values():
            if fut.set_running_or_notify_cancel():
                fut.set_exception(LookupError("session has ended"))
        for runner in list(self.runners.values()):
            runner.relayed("end", "session ended")
        if self.process.is_alive():
            self.process.terminate()

    def finish(self, deadline: float) -> None:
        """After ``stop`` was sent: wait for the process until ``deadline``, then end it."""
        self.process.join(max(0.0, deadline - time.monotonic()))
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(0.5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(0.5)
        self._lost()
        self._sender.close(0.5)
        self.conn.close()
        self._reader.join(0.5)


class WorkerPool:
    """``count`` worker processes; a new session goes to the one hosting fewest, and a worker
    that died is replaced when a session is next created."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._workers: list[Worker] = []
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the workers (again after a ``stop``: an app may be started more than once,
        and a session created on an app not started starts them)."""
        with self._lock:
            self._start()

    def _start(self) -> None:
        if not self._workers:
            self._workers = [Worker(i, self._context) for i in range(self.count)]
        for i, w in enumerate(self._workers):
            if not w.alive:
                w.finish(time.monotonic())
                self._workers[i] = Worker(i, self._context)

    def create(self, sid: str, session: Session, ttl: float) -> RemoteRunner:
        pickled = pickle.dumps(session, pickle.HIGHEST_PROTOCOL)  # here: it may change later
        with self._lock:
            self._start()
            worker = min(self._workers, key=lambda w: len(w.runners))
            runner = RemoteRunner(sid, worker, ttl, self.forget)
            worker.runners[sid] = runner
        runner._send(("create", sid, pickled))  # a worker dying now ends the runner too
        return runner

    def forget(self, runner: RemoteRunner, worker: Worker) -> None:
        """A closed session leaves its worker's count."""
        with self._lock:
            worker.runners.pop(runner.id, None)

    def stop(self) -> None:
        with self._lock:
            workers, self._workers = self._workers, []
        for w in workers:
            try:
                w.send(("stop",))
            except LookupError:
                pass
        deadline = time.monotonic() + STOP_SECONDS
        for w in workers:
            w.finish(deadline)


class RemoteRunner:
    """A session in a worker process, as the server sees it: the same interface as
    ``SessionRunner`` (calls, pages attaching and leaving, closing)."""

    def __init__(
        self,
        session_id: str,
        worker: Worker,
        ttl: float,
        forget: Callable[[RemoteRunner, Worker], None],
    ) -> None:
        self.id = session_id
        self.ttl = ttl
        self.last_active = time.monotonic()
        self.connections = 0
        self._worker = worker
        self._forget = forget
        self._mailboxes: set[Mailbox] = set()
        self._latest: dict[str, str | bytes] = {}  # the newest points and frame, for pages joining
        self._lock = threading.Lock()
        self._closed = False

    @property
    def viewers(self) -> int:
        return len(self._mailboxes)

    @property
    def ended(self) -> bool:
        return self._closed

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
        except LookupError:
            pass  # the worker is gone; its reader ends the session

    def relayed(self, kind: str, *args: Any) -> None:
        """A message from the session's thread in the worker (on the pipe's reader)."""
        with self._lock:
            if kind == "latest":
                if not self._mailboxes:  # sent before the last page left: stale by now
                    return
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
        self._forget(self, self._worker)
