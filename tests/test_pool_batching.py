"""A worker's messages travel in batches (``app.live.worker.Outbox``): in order, a command's
answer at once, the rest within a bound; what a worker wrote before it died still counts;
a burst of frames leaves a page the newest."""

from __future__ import annotations

import asyncio
import itertools
import json
import multiprocessing
import threading
from collections import deque
from collections.abc import Iterator
from multiprocessing.connection import Connection
from typing import Any

import pytest
from loops import LoopThread, eventually

from app.live import ops, worker
from app.live.mailbox import Mailbox
from app.live.messages import Discard, Done, End, Latest, ToServer
from app.live.pool import Worker, WorkerPool
from app.live.scheduler import Scheduler
from app.live.worker import FLUSH_BYTES, FLUSH_SECONDS, Outbox

WAIT = 20.0


class Clock:
    """Stands in for ``time.monotonic`` in the worker's module: moves only when told."""

    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(worker, "time", c)
    return c


def outbox() -> tuple[Outbox, list[list[ToServer]]]:
    written: list[list[ToServer]] = []
    return Outbox(written.append), written


def test_messages_wait_while_the_thread_works_and_go_out_in_one_batch_in_order(
    clock: Clock,
) -> None:
    box, written = outbox()
    messages = [
        Latest("a", "points", "p"),
        Latest("a", "frame", b"f1"),
        Discard("b", "frame"),
        Latest("b", "frame", b"g"),
        End("c", "session ended"),
    ]
    for m in messages:
        box.put(m)
        box.flush(0.0)  # busy, and no time has passed: nothing goes yet
    assert written == [] and len(box) == len(messages)
    box.flush(None)  # about to wait for a command: it goes now
    assert written == [messages]
    box.flush(None)  # nothing left: nothing written
    assert written == [messages] and len(box) == 0


def test_a_busy_thread_sends_what_waited_past_the_bound(clock: Clock) -> None:
    box, written = outbox()
    box.put(Latest("a", "frame", b"1"))
    clock.now += FLUSH_SECONDS * 0.6
    box.put(Latest("b", "frame", b"2"))
    box.flush(0.0)
    assert written == []
    clock.now += FLUSH_SECONDS * 0.6  # the first has waited past the bound
    box.flush(0.0)
    assert written == [[Latest("a", "frame", b"1"), Latest("b", "frame", b"2")]]
    box.put(Latest("a", "frame", b"3"))  # a new batch: its own bound, from now
    clock.now += FLUSH_SECONDS * 0.6
    box.flush(0.0)
    assert len(written) == 1


def test_a_wait_within_the_bound_keeps_the_batch_and_one_past_it_sends_it(clock: Clock) -> None:
    box, written = outbox()
    box.put(Latest("a", "frame", b"1"))
    box.flush(FLUSH_SECONDS * 0.5)  # the next session is due soon: more may join the batch
    assert written == []
    clock.now += FLUSH_SECONDS * 0.25
    box.flush(FLUSH_SECONDS * 0.9)  # it would wait past the bound
    assert written == [[Latest("a", "frame", b"1")]]


def test_an_answer_is_never_held_back_and_takes_what_came_before_with_it(clock: Clock) -> None:
    box, written = outbox()
    before = [Latest("a", "frame", b"1"), Discard("a", "frame"), Done(7, True, {"epoch": 1})]
    for m in before:
        box.put(m)
    assert written == [before]
    box.put(Done(8, False, ValueError("bad")))  # alone, at once too
    assert len(written) == 2 and written[1][0].call_id == 8  # type: ignore[union-attr]


def test_a_batch_of_big_frames_goes_out_before_it_grows_past_the_bound(clock: Clock) -> None:
    box, written = outbox()
    big = b"x" * (FLUSH_BYTES // 3 + 1)
    for sid in "abc":
        box.put(Latest(sid, "frame", big))
    assert [len(b) for b in written] == [3] and len(box) == 0


def test_the_scheduler_flushes_when_it_is_about_to_wait_and_when_it_ends() -> None:
    calls: list[float | None] = []
    lock = threading.Lock()
    idle = threading.Event()

    def flush(wait: float | None) -> None:
        with lock:
            calls.append(wait)
        if wait is None:
            idle.set()

    scheduler = Scheduler("flush-test", flush=flush)
    assert idle.wait(WAIT)  # nothing to do: it flushes before it waits
    with lock:
        calls.clear()
    scheduler.stop(WAIT)
    assert not scheduler.thread.is_alive()
    assert calls and calls[-1] is None  # its last act: everything goes


# --- across the pipe --------------------------------------------------------------------


def _say_then_wait(conn: Connection, batches: list[list[ToServer]]) -> None:
    """A worker that writes its batches, then waits to be killed (it reads, never gets)."""
    for batch in batches:
        conn.send(batch)
    conn.recv()


class _Recorder:
    """A session's runner on the server's side: keeps what it is handed."""

    def __init__(self, got: list[Any]) -> None:
        self.got = got
        self.id = "s"

    def relayed(self, message: Any) -> None:
        self.got.append(message)


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


def test_what_a_worker_wrote_before_it_died_is_handled_in_order_before_its_end(
    loop: LoopThread,
) -> None:
    ids = itertools.count()
    batches: list[list[ToServer]] = [
        [Latest("s", "points", "p0"), Latest("s", "frame", b"f0"), Done(next(ids), True, 0)],
        [Latest("s", "frame", b"f1"), Discard("s", "frame")],
        [Done(next(ids), True, 1), Latest("s", "frame", b"f2")],
    ]
    context = multiprocessing.get_context("spawn")
    here, there = context.Pipe()
    process = context.Process(target=_say_then_wait, args=(there, batches), daemon=True)
    process.start()
    there.close()
    got: list[Any] = []
    w = Worker.__new__(Worker)  # the server's end of it, with its reader and bookkeeping
    w.conn, w.loop, w.process, w.alive = here, loop.loop, process, True
    w._inbox, w._posted, w._pending = deque(), False, {}
    w.runners = {"s": _Recorder(got)}  # type: ignore[dict-item]
    w._settle = lambda call_id, ok, value: got.append(Done(call_id, ok, value))  # type: ignore[method-assign]
    sent = [m for batch in batches for m in batch]

    async def run() -> None:
        w._listen()
        await eventually(lambda: len(got) == len(sent), WAIT, "the batches")
        process.kill()
        await eventually(lambda: not w.alive, WAIT, "the worker's loss")

    try:
        loop.run(run())
    finally:
        process.join(WAIT)
        here.close()
    assert got == [*sent, End("s", "session ended")]


def test_a_worker_killed_mid_stream_ends_its_sessions_after_what_it_sent(loop: LoopThread) -> None:
    pool = WorkerPool(1)

    async def run() -> None:
        await pool.start()
        runner = pool.create("dying", {}, 60.0)
        mailbox = Mailbox(asyncio.get_running_loop(), 64)
        runner.attach(mailbox)
        await asyncio.wait_for(runner.call(ops.play), WAIT)
        await eventually(lambda: "frame" in mailbox._slots, WAIT, "a frame")
        pool._workers[0].process.kill()
        await eventually(lambda: mailbox.ended is not None, WAIT, "the session's end")
        assert runner.ended and mailbox.ended == "session ended"
        with pytest.raises(LookupError):
            await asyncio.wait_for(runner.call(ops.pause), WAIT)

    try:
        loop.run(run())
    finally:
        loop.run(pool.stop())


def test_after_a_burst_of_changes_the_page_is_left_the_newest_frame(loop: LoopThread) -> None:
    pool = WorkerPool(1)

    async def run() -> None:
        await pool.start()
        runner = pool.create("burst", {}, 60.0)
        mailbox = Mailbox(asyncio.get_running_loop(), 64)
        try:
            runner.attach(mailbox)
            steps = [runner.submit(ops.step, 1) for _ in range(25)]  # none awaited in between
            answers = await asyncio.wait_for(asyncio.gather(*steps), WAIT)
            assert [a["state"]["epoch"] for a in answers] == list(range(1, 26))

            def newest() -> bool:
                data = mailbox._slots.get("frame")
                return isinstance(data, str) and json.loads(data)["epoch"] == 25

            await eventually(newest, WAIT, "the frame of the last step")
        finally:
            runner.close()

    try:
        loop.run(run())
    finally:
        loop.run(pool.stop())
