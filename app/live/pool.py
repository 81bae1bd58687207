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

Who owns what, in the server's process: the pool, its workers' bookkeeping (sessions, calls in
flight, whether alive) and the ``RemoteRunner``s belong to the event loop (``app.live.owner``)
and have no locks. A thread per worker writes its pipe from a queue the loop fills, and
touches none of it (a write may wait for the worker). The loop reads the pipe itself when it
is readable (``app.live.pipe``): all the batches of messages it holds in one read (a worker
writes in batches, ``app.live.worker.Outbox``), into an inbox that it drains in order,
resolving the calls' futures and filling the mailboxes. Waiting for processes to end happens
on a thread.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import logging
import multiprocessing
import os
import queue
import select
import threading
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any

from app.live.messages import (
    Call,
    Create,
    Done,
    End,
    Ping,
    Stop,
    ToServer,
    ToWorker,
)
from app.live.owner import check, post, running
from app.live.pipe import PipeReader
from app.live.remote import RemoteRunner
from app.live.worker import STOP_SECONDS, serve

log = logging.getLogger(__name__)

READY_SECONDS = 10.0  # how long starting the server waits for its workers to answer
BATCH = 256  # at most this many messages from a worker are handled in one callback of the loop
# A worker computes on one thread. Left to itself, OpenBLAS runs a large product (the grid of
# a large network) on threads of its own, which keep spinning after it and take the CPU
# from the other workers and the loop: an 8 × 16 grid at resolution 100 costs 3× the CPU.
# A value the environment already sets is kept.
WORKER_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class _Sender:
    """The server's end of a pipe, written by a thread of its own: ``put`` never blocks (the
    event loop calls it), and the messages go out in the order they were put. What goes
    wrong is posted to ``loop``: ``failed(message, exc)`` for a message that did not pickle
    (nothing was sent), ``lost()`` when the pipe broke."""

    def __init__(
        self,
        conn: Connection,
        name: str,
        loop: asyncio.AbstractEventLoop,
        failed: Callable[[ToWorker, Exception], None],
        lost: Callable[[], None],
    ) -> None:
        self._conn = conn
        self._queue: queue.SimpleQueue[ToWorker | None] = queue.SimpleQueue()
        self._loop = loop
        self._failed = failed
        self._lost = lost
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
                post(self._loop, self._lost)
                return
            except Exception as exc:  # it did not pickle: nothing was written
                post(self._loop, self._failed, message, exc)


# --- in the server process ----------------------------------------------------------------


def _serve(conn: Connection) -> None:
    """A worker on a thread: ``serve``, then close its end, so that the server's reader
    sees the pipe close as it does when a process ends."""
    try:
        serve(conn)
    finally:
        conn.close()


class _ThreadWorker:
    """A worker on a thread of the server's process (``NNP_WORKERS=0``): the same ``serve``
    over the same kind of pipe, behind a process's interface. It ends when its pipe closes."""

    def __init__(self, conn: Connection, name: str) -> None:
        self.name = name
        self._thread = threading.Thread(target=_serve, args=(conn,), name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def terminate(self) -> None:
        """A thread cannot be ended from outside; closing the server's end ends it."""

    kill = terminate


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """The process's environment with ``values`` for the names it does not set, while
    inside (a process started then inherits them), as it was after."""
    added = [name for name in values if name not in os.environ]
    os.environ.update({name: values[name] for name in added})
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


class Worker:
    """The server's end of one worker (a process, or a thread with ``threads``): its pipe,
    its calls in flight, its sessions. Everything belongs to ``loop``, which reads the pipe;
    the sender thread only writes it (see the module's docstring). Made on the loop."""

    def __init__(
        self, index: int, context: Any, loop: asyncio.AbstractEventLoop, threads: bool = False
    ) -> None:
        here, there = context.Pipe()
        name = f"nnp-worker-{index}"
        self.process: Any
        if threads:
            self.process = _ThreadWorker(there, name)
            self.process.start()
        else:
            self.process = context.Process(target=serve, args=(there,), name=name, daemon=True)
            with _environment(WORKER_ENV):
                self.process.start()
            there.close()
        self.conn: Connection = here
        self.loop = loop
        self.runners: dict[str, RemoteRunner] = {}
        self._pending: dict[int, asyncio.Future[Any]] = {}  # calls in flight, by id
        self._ids = itertools.count()
        self.alive = True
        # What was read and not yet handled; ``_posted``: a drain of the rest is on its way.
        self._inbox: collections.deque[ToServer] = collections.deque()
        self._posted = False
        self._sender = _Sender(here, f"{name}-sender", loop, self._unsent, self._lost)
        self._listen()

    def _listen(self) -> None:
        """Read the pipe on the loop whenever it is readable."""
        check(self.loop)
        self._fd = self.conn.fileno()
        self._pipe = PipeReader(self._fd)
        self.loop.add_reader(self._fd, self._readable)

    def send(self, message: ToWorker) -> None:
        check(self.loop)
        if not self.alive:
            raise LookupError("session has ended")
        self._sender.put(message)

    def call(self, sid: str, fn: Callable[..., Any], args: tuple[Any, ...]) -> asyncio.Future[Any]:
        """Run ``fn(session, *args)`` on session ``sid``; the future has its outcome."""
        return self._ask(lambda call_id: Call(sid, call_id, fn, args), "session has ended")

    def ping(self) -> asyncio.Future[Any]:
        """Done once the worker answers: it is up and reading its pipe."""
        return self._ask(Ping, "worker has ended")

    def _ask(self, message: Callable[[int], ToWorker], gone: str) -> asyncio.Future[Any]:
        check(self.loop)
        fut = self.loop.create_future()
        if not self.alive:
            fut.set_exception(LookupError(gone))
            return fut
        call_id = next(self._ids)
        self._pending[call_id] = fut
        self._sender.put(message(call_id))
        return fut

    def _unsent(self, message: ToWorker, exc: Exception) -> None:
        """A message did not pickle (a call's argument, say): fail that call."""
        if isinstance(message, Call):
            self._settle(message.call_id, False, exc)
        else:
            log.error("a %s message did not pickle: %s", type(message).__name__, exc)

    def _settle(self, call_id: int, ok: bool, value: Any) -> None:
        fut = self._pending.pop(call_id, None)
        if fut is None or fut.done():  # answered after the worker was lost, or cancelled
            return
        if ok:
            fut.set_result(value)
        else:
            fut.set_exception(value)

    def _readable(self) -> None:
        """On the loop, the pipe being readable: read the batches of messages that are there
        into the inbox and handle them, unless a drain of what came before is on its way (it
        handles these too, in order)."""
        if not self._take():  # the pipe closed: the worker stopped or died
            self._lost()  # which handles what is left in the inbox first
            return
        if not self._posted:
            self._drain()

    def _take(self) -> bool:
        """Read what the pipe holds into the inbox (the pipe is readable); False once the
        stream has ended (or cannot be read on)."""
        try:
            batches = self._pipe.read()
        except OSError:
            return False
        except Exception:  # a message that did not unpickle: the stream is lost
            log.exception("worker %s: its pipe is unreadable", self.process.name)
            return False
        if batches is None:
            return False
        for batch in batches:  # a worker writes its messages in batches, lists
            self._inbox.extend(batch)
        return True

    def _drain(self, limit: int = BATCH) -> None:
        """On the loop: handle what was read into the inbox, in order (at most ``limit``
        messages a callback, so that a flood does not hold up the loop's other work)."""
        self._posted = False  # before draining: a message read from now on posts again
        inbox = self._inbox
        for _ in range(min(len(inbox), limit)):
            message = inbox.popleft()
            try:
                if isinstance(message, Done):
                    self._settle(message.call_id, message.ok, message.value)
                elif (runner := self.runners.get(message.sid)) is not None:
                    runner.relayed(message)
            except Exception:  # one bad message must not stop the others
                log.exception("message from worker %s not handled", self.process.name)
        if inbox and not self._posted:  # the rest after the loop's other work
            self._posted = True
            self.loop.call_soon(self._drain)

    def _lost(self) -> None:
        """On the loop: the worker is gone (stopped, or died): fail what waits on it, end its
        sessions."""
        if not self.alive:
            return
        self.loop.remove_reader(self._fd)
        # What the worker said before it went still counts: what the pipe holds, then all.
        while select.select([self._fd], [], [], 0)[0] and self._take():
            pass
        self._drain(len(self._inbox))
        self.alive = False
        pending, self._pending = self._pending, {}
        for fut in pending.values():
            if not fut.done():
                fut.set_exception(LookupError("session has ended"))
        for runner in list(self.runners.values()):
            runner.relayed(End(runner.id, "session ended"))
        if self.process.is_alive():
            self.process.terminate()

    def reap(self, deadline: float, close: bool = True) -> None:
        """Off the loop (it waits), after ``Stop`` was sent or the worker was lost: wait for
        the process until ``deadline``, end it, stop the sender and (``close``: the worker
        was lost, so the loop no longer reads the pipe) close the pipe. Touches no live
        state."""
        self.process.join(max(0.0, deadline - time.monotonic()))
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(0.5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(0.5)
        self._sender.close(0.5)
        if close:
            self.conn.close()


def _reap(workers: list[Worker], deadline: float) -> None:
    for w in workers:
        w.reap(deadline, close=False)


class WorkerPool:
    """``count`` worker processes (with ``threads``: threads of this process, which speak the
    same protocol); a new session goes to the one hosting fewest, and a worker that died is
    replaced when a session is next created. The pool belongs to the event loop it was
    started on (``loop``): by ``start``, or by the first session of a pool not started."""

    def __init__(self, count: int, threads: bool = False) -> None:
        self.count = count
        self.threads = threads
        self.loop: asyncio.AbstractEventLoop | None = None
        self._workers: list[Worker] = []
        self._context = multiprocessing.get_context("spawn")

    async def start(self, timeout: float = READY_SECONDS) -> None:
        """Start the workers (again after a ``stop``: an app may be started more than once)
        and wait up to ``timeout`` until each answers, so that the first sessions need not
        wait for one."""
        self._start()
        pings = [w.ping() for w in self._workers]
        done, late = await asyncio.wait(pings, timeout=timeout)
        for p in late:
            p.cancel()
        if late or any(p.exception() is not None for p in done):
            log.warning("not every worker answered within %.0f s", timeout)

    def _start(self) -> None:
        if not self._workers:  # (re)started: the workers belong to this loop
            self.loop = running()
            self._workers = [
                Worker(i, self._context, self.loop, self.threads) for i in range(self.count)
            ]
        check(self.loop)
        assert self.loop is not None
        for i, w in enumerate(self._workers):
            if not w.alive:
                threading.Thread(target=w.reap, args=(time.monotonic(),), daemon=True).start()
                self._workers[i] = Worker(i, self._context, self.loop, self.threads)

    def create(self, sid: str, config: dict[str, Any], ttl: float) -> RemoteRunner:
        """Host a session on the worker with fewest, which builds it from ``config``."""
        self._start()
        worker = min(self._workers, key=lambda w: len(w.runners))
        runner = RemoteRunner(sid, worker, ttl, self.forget)
        worker.runners[sid] = runner
        runner._send(Create(sid, config))  # a worker dying now ends the runner too
        return runner

    def forget(self, runner: RemoteRunner, worker: Worker) -> None:
        """A closed session leaves its worker's count."""
        check(worker.loop)
        worker.runners.pop(runner.id, None)

    async def stop(self) -> None:
        """Stop the workers: each ends its sessions; one that has not ended within
        ``STOP_SECONDS`` (all together) is terminated."""
        if not self._workers:
            return
        check(self.loop)
        workers, self._workers = self._workers, []
        for w in workers:
            try:
                w.send(Stop())
            except LookupError:
                pass
        await asyncio.to_thread(_reap, workers, time.monotonic() + STOP_SECONDS)
        for w in workers:  # what still waited on them fails now; the loop stops reading
            w._lost()
            w.conn.close()
