"""A worker's pipe, read by the server's event loop: what a worker wrote before it died is
handled in order before its sessions end; a burst of changes leaves a page the newest frame."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
from collections import deque
from collections.abc import Iterator
from multiprocessing.connection import Connection
from typing import Any

import pytest
from loops import LoopThread, eventually

from app.live import ops
from app.live.mailbox import Mailbox
from app.live.messages import Discard, Done, End, Latest, ToServer
from app.live.pool import Worker, WorkerPool

WAIT = 20.0


def _say_then_wait(conn: Connection, messages: list[ToServer]) -> None:
    """A worker that writes its messages, then waits to be killed (it reads, never gets)."""
    for i in range(0, len(messages), 3):  # in batches, as a worker does
        conn.send(messages[i : i + 3])
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
    sent: list[ToServer] = [
        Latest("s", "points", "p0"),
        Latest("s", "frame", b"f0"),
        Done(0, True, 0),
        Latest("s", "frame", b"f1" * 40_000),  # more than a pipe's buffer
        Discard("s", "frame"),
        Done(1, True, 1),
        Latest("s", "frame", b"f2"),
    ]
    context = multiprocessing.get_context("spawn")
    here, there = context.Pipe()
    process = context.Process(target=_say_then_wait, args=(there, sent), daemon=True)
    process.start()
    there.close()
    got: list[Any] = []
    w = Worker.__new__(Worker)  # the server's end of it, with its reader and bookkeeping
    w.conn, w.loop, w.process, w.alive = here, loop.loop, process, True
    w._inbox, w._posted, w._pending = deque(), False, {}
    w.runners = {"s": _Recorder(got)}  # type: ignore[dict-item]
    w._settle = lambda call_id, ok, value: got.append(Done(call_id, ok, value))  # type: ignore[method-assign]

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


def test_a_worker_lost_before_its_pipe_was_read_still_counts_what_the_pipe_holds(
    loop: LoopThread,
) -> None:
    """The worker is lost (its pipe broke under a write, say) before the loop read what it
    wrote: that is handled first, in order, then its sessions end."""
    here, there = multiprocessing.Pipe()
    sent: list[ToServer] = [
        Latest("s", "frame", b"f0"),
        Done(0, True, 0),
        Latest("s", "frame", b"f1" * 40_000),
        End("s", "session ended"),
    ]
    there.send(sent[:2])  # two batches
    there.send(sent[2:])
    got: list[Any] = []
    w = Worker.__new__(Worker)
    w.conn, w.loop, w.process, w.alive = here, loop.loop, _Gone(), True
    w._inbox, w._posted, w._pending = deque(), False, {}
    w.runners = {"s": _Recorder(got)}  # type: ignore[dict-item]
    w._settle = lambda call_id, ok, value: got.append(Done(call_id, ok, value))  # type: ignore[method-assign]

    async def run() -> None:
        w._listen()
        w._lost()  # in the same callback: the loop has not read the pipe

    try:
        loop.run(run())
    finally:
        here.close()
        there.close()
    assert got == [*sent, End("s", "session ended")]


class _Gone:
    name = "gone"

    def is_alive(self) -> bool:
        return False


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
