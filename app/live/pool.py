"""Sessions in worker processes, so that training uses every core and the event loop never
waits for the interpreter lock.

A ``WorkerPool`` starts a few processes (``NNP_WORKERS``; one per core by default). Each hosts
many sessions, as ``SessionRunner``s driven by one ``Scheduler`` thread, and talks to the
server over one pipe, in the messages of ``app.live.messages``.

Frames are built (and encoded to JSON text) in the worker, once per session, whatever the
number of pages; the server copies each to the mailboxes of the session's pages. A session's
messages travel in order on one pipe, so the causal order of frames and replies (see
``app.live.session_runner``) holds across the processes. ``fn`` must pickle: a module-level function
or a ``Session`` method (``app.live.ops``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import logging
import multiprocessing
import queue
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from app.live.mailbox import Mailbox
from app.live.messages import (
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
    ToWorker,
)
from app.live.worker import STOP_SECONDS, serve

log = logging.getLogger(__name__)

READY_SECONDS = 10.0  # how long starting the server waits for its workers to answer


class _Sender:
    """The server's end of a pipe, written by a thread of its own: ``put`` never blocks (the
    event loop calls it), and the messages go out in the order they were put."""

    def __init__(
        self,
        conn: Connection,
        name: str,
        failed: Callable[[ToWorker, Exception], None],
        lost: Callable[[], None],
    ) -> None:
        self._conn = conn
        self._queue: queue.SimpleQueue[ToWorker | None] = queue.SimpleQueue()
        self._failed = failed  # a message that could not be pickled; nothing was sent
        self._lost = lost  # the pipe broke
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def put(self, message: ToWorker) -> None:
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


# --- in the server process ----------------------------------------------------------------


class _ThreadWorker:
    """A worker on a thread of the server's process (``NNP_WORKERS=0``): the same ``serve``
    over the same kind of pipe, behind a process's interface. It ends when its pipe closes."""

    def __init__(self, conn: Connection, name: str) -> None:
        self.name = name
        self._thread = threading.Thread(target=serve, args=(conn,), name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def terminate(self) -> None:
        """A thread cannot be ended from outside; closing the server's end ends it."""

    kill = terminate


class Worker:
    """The server's end of one worker (a process, or a thread with ``threads``): its pipe,
    its calls in flight, its sessions. Nothing here blocks on the pipe: a sender thread
    writes, a reader thread reads."""

    def __init__(self, index: int, context: Any, threads: bool = False) -> None:
        here, there = context.Pipe()
        name = f"nnp-worker-{index}"
        self.process: Any
        if threads:
            self.process = _ThreadWorker(there, name)
            self.process.start()
        else:
            self.process = context.Process(target=serve, args=(there,), name=name, daemon=True)
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

    def send(self, message: ToWorker) -> None:
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
        self._sender.put(Call(sid, call_id, fn, args))
        return fut

    def ping(self) -> concurrent.futures.Future[Any]:
        """Done once the worker answers: it is up and reading its pipe."""
        fut: concurrent.futures.Future[Any] = concurrent.futures.Future()
        with self._lock:
            if not self.alive:
                fut.set_exception(LookupError("worker has ended"))
                return fut
            call_id = next(self._ids)
            self._pending[call_id] = fut
        self._sender.put(Ping(call_id))
        return fut

    def _failed(self, message: ToWorker, exc: Exception) -> None:
        """A message did not pickle (a call's argument, say): fail that call."""
        if isinstance(message, Call):
            self._settle(message.call_id, False, exc)
        else:
            log.error("a %s message did not pickle: %s", type(message).__name__, exc)

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
                    if isinstance(message, Done):
                        self._settle(message.call_id, message.ok, message.value)
                    elif (runner := self.runners.get(message.sid)) is not None:
                        runner.relayed(message)
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
            runner.relayed(End(runner.id, "session ended"))
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
    """``count`` worker processes (with ``threads``: threads of this process, which speak the
    same protocol); a new session goes to the one hosting fewest, and a worker that died is
    replaced when a session is next created."""

    def __init__(self, count: int, threads: bool = False) -> None:
        self.count = count
        self.threads = threads
        self._workers: list[Worker] = []
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()

    def start(self, timeout: float = READY_SECONDS) -> None:
        """Start the workers (again after a ``stop``: an app may be started more than once,
        and a session created on an app not started starts them) and wait up to
        ``timeout`` until each answers, so that the first sessions need not wait for one."""
        with self._lock:
            self._start()
            workers = list(self._workers)
        pings = [w.ping() for w in workers]
        concurrent.futures.wait(pings, timeout)
        if not all(p.done() and p.exception() is None for p in pings):
            log.warning("not every worker answered within %.0f s", timeout)

    def _start(self) -> None:
        if not self._workers:
            self._workers = [Worker(i, self._context, self.threads) for i in range(self.count)]
        for i, w in enumerate(self._workers):
            if not w.alive:
                w.finish(time.monotonic())
                self._workers[i] = Worker(i, self._context, self.threads)

    def create(self, sid: str, config: dict[str, Any], ttl: float) -> RemoteRunner:
        """Host a session on the worker with fewest, which builds it from ``config``."""
        message = Create(sid, config)
        with self._lock:
            self._start()
            worker = min(self._workers, key=lambda w: len(w.runners))
            runner = RemoteRunner(sid, worker, ttl, self.forget)
            worker.runners[sid] = runner
        runner._send(message)  # a worker dying now ends the runner too
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
                w.send(Stop())
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
                self._send(Attach(self.id))
        self.last_active = time.monotonic()
        fut.set_result(None)
        return fut

    def detach(self, mailbox: Mailbox) -> concurrent.futures.Future[None]:
        with self._lock:
            if mailbox in self._mailboxes:
                self._mailboxes.discard(mailbox)
                if not self._mailboxes:  # nobody watches: no more frames
                    self._latest.clear()
                    self._send(Detach(self.id))
        self.last_active = time.monotonic()
        fut: concurrent.futures.Future[None] = concurrent.futures.Future()
        fut.set_result(None)
        return fut

    def _send(self, message: ToWorker) -> None:
        try:
            self._worker.send(message)
        except LookupError:
            pass  # the worker is gone; its reader ends the session

    def relayed(self, message: Latest | Discard | End) -> None:
        """A message from the session's thread in the worker (on the pipe's reader)."""
        with self._lock:
            match message:
                case Latest(_, slot, data):
                    if not self._mailboxes:  # sent before the last page left: stale by now
                        return
                    self._latest[slot] = data
                    for mailbox in self._mailboxes:
                        mailbox.latest(slot, data)
                case Discard(_, slot):
                    self._latest.pop(slot, None)
                    for mailbox in self._mailboxes:
                        mailbox.discard(slot)
                case End(_, reason):
                    self._closed = True
                    for mailbox in self._mailboxes:
                        mailbox.end(reason)

    def close(self, timeout: float = 2.0, reason: str = "session ended") -> None:
        with self._lock:
            if self._closed:
                return
            self._send(Close(self.id, reason))
        self.relayed(End(self.id, reason))
        self._forget(self, self._worker)
