"""Sessions in worker processes and on a shared scheduler thread: what crosses the process
boundary (pickled networks and sessions, calls, frames), long steps run in slices, and what
happens when a worker dies."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import pickle
import signal
import time
from collections import deque
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from loops import LoopThread, eventually

from app.live import ops
from app.live.mailbox import Mailbox
from app.live.manager import Runner, SessionManager
from app.live.messages import Done
from app.live.pool import BATCH, WORKER_ENV, Worker, WorkerPool
from app.live.scheduler import Scheduler
from app.live.session_runner import SessionRunner
from app.nn import Network
from app.settings import Settings
from app.training import Session

WAIT = 20.0
LARGE = {"hidden": [{"units": 8, "activation": "tanh"}] * 6}


def same(a: Session, b: Session) -> bool:
    return json.dumps(a.export(), sort_keys=True) == json.dumps(b.export(), sort_keys=True)


def until(pred: Any, seconds: float = WAIT) -> None:
    deadline = time.monotonic() + seconds
    while not pred():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)


# --- pickling -------------------------------------------------------------------------


def test_a_pickled_network_keeps_its_parameters_as_views_of_one_vector() -> None:
    net = Network.from_config({"inputs": 2, "hidden": [{"units": 3, "activation": "relu"}]})
    copy = pickle.loads(pickle.dumps(net))
    X = np.random.default_rng(0).normal(size=(5, 2))
    np.testing.assert_array_equal(copy.forward(X), net.forward(X))
    copy.params[0][0][0, 0] += 1.0  # as a user assigning into params
    assert copy.theta[0] == net.theta[0] + 1.0
    assert not np.array_equal(copy.forward(X), net.forward(X))
    copy.loss_and_gradients(X, np.array([0, 1, 0, 1, 1]))
    assert np.shares_memory(copy.grads[0][0], copy.grad)


@pytest.mark.parametrize("method", ["sgd", "momentum", "adam", "evolution"])
def test_a_pickled_session_trains_on_exactly_like_the_original(method: str) -> None:
    original = Session({"method": method})
    original.step(3)
    original.snapshot()
    copy = pickle.loads(pickle.dumps(original))
    original.step(5)
    copy.step(5)
    assert same(original, copy)


# --- a long step, in slices -----------------------------------------------------------


@pytest.mark.parametrize("config", [{}, LARGE], ids=["default", "largest"])
def test_a_step_in_slices_gives_the_same_numbers_as_in_one_go(config: dict[str, Any]) -> None:
    whole, sliced = Session(config), Session(config)
    assert whole.step(40) == 40
    run, slices = sliced.steps(40, 0.0), 0
    with pytest.raises(StopIteration) as stop:
        while True:
            next(run)
            slices += 1
    batches = -(-len(sliced.y_train) // sliced.config["batch_size"])
    assert stop.value.value == 40 and slices == 40 * batches - 1  # a batch a slice at budget 0
    assert same(whole, sliced)


def test_a_bad_step_fails_on_its_first_slice_and_changes_nothing() -> None:
    s = Session()
    before = s.export()
    with pytest.raises(ValueError, match="epochs must be from 1"):
        next(s.steps(0, 0.01))
    assert s.export() == before


class Frames:
    """A viewer that counts the frames a session publishes."""

    closed = False

    def __init__(self) -> None:
        self.count = 0
        self.ended: str | None = None

    def latest(self, slot: str, text: str) -> None:
        self.count += slot == "frame"

    def discard(self, slot: str) -> None:
        pass

    def end(self, reason: str) -> None:
        self.ended = reason


def test_a_long_step_leaves_the_other_sessions_on_the_thread_their_frames() -> None:
    scheduler = Scheduler("shared")
    busy = SessionRunner("busy", Session(LARGE), scheduler=scheduler)
    playing = SessionRunner("playing", Session(), scheduler=scheduler)
    frames = Frames()
    try:
        playing.attach(frames).result(WAIT)
        playing.submit(ops.play).result(WAIT)
        long_step = busy.submit(ops.step, 3000)
        after = busy.submit(ops.configure, {"threshold": 0.4})  # waits for the step
        until(lambda: frames.count >= 3)
        seen = frames.count
        until(lambda: frames.count >= seen + 10)  # still streaming while the step goes on
        assert not long_step.done()
        reply = long_step.result(60.0)
        assert reply["epochs"] == 3000
        assert after.result(WAIT)["state"]["epoch"] == 3000  # in order, after the step
    finally:
        busy.close()
        playing.close()
        scheduler.stop()


def test_a_flood_of_commands_does_not_stop_the_other_sessions_frames() -> None:
    scheduler = Scheduler("shared")
    flooded = SessionRunner("flooded", Session(), scheduler=scheduler)
    playing = SessionRunner("playing", Session(), scheduler=scheduler)
    frames = Frames()
    try:
        playing.attach(frames).result(WAIT)
        playing.submit(ops.play).result(WAIT)
        until(lambda: frames.count >= 2)
        seen = frames.count
        futures = [flooded.submit(Session.state) for _ in range(20_000)]  # queued at once
        until(lambda: frames.count >= seen + 5)  # frames go on while the flood is served
        assert not futures[-1].done()
        futures[-1].result(60.0)
    finally:
        flooded.close()
        playing.close()
        scheduler.stop()


def test_closing_a_session_during_its_long_step_fails_the_step_and_what_waits() -> None:
    scheduler = Scheduler("shared")
    runner = SessionRunner("busy", Session(LARGE), scheduler=scheduler)
    try:
        long_step = runner.submit(ops.step, 5000)
        waiting = runner.submit(ops.configure, {"threshold": 0.4})
        time.sleep(0.2)
        runner.close(timeout=WAIT)
        for fut in (long_step, waiting):
            with pytest.raises(LookupError):
                fut.result(WAIT)
    finally:
        scheduler.stop()


def test_a_read_answers_during_a_long_step_and_a_pause_stops_it() -> None:
    scheduler = Scheduler("shared")
    runner = SessionRunner("busy", Session(LARGE), scheduler=scheduler)
    try:
        long_step = runner.submit(ops.step, 5000)
        state = runner.submit(Session.state).result(WAIT)  # between two slices of the step
        assert not long_step.done()
        runner.submit(ops.pause).result(WAIT)
        reply = long_step.result(WAIT)  # stopped, with what it did
        assert state["epoch"] <= reply["epochs"] < 5000
        assert reply["state"]["epoch"] == reply["epochs"]
        assert runner.submit(Session.state).result(WAIT)["epoch"] == reply["epochs"]
    finally:
        runner.close()
        scheduler.stop()


# --- worker processes -------------------------------------------------------------------
# The pool, its runners and the mailboxes belong to an event loop, as in the server: each test
# runs its body there.


@pytest.fixture(scope="module")
def loop() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


@pytest.fixture(scope="module")
def pool(loop: LoopThread) -> Iterator[WorkerPool]:
    p = WorkerPool(2)
    loop.run(p.start())
    yield p
    loop.run(p.stop())


async def ask(runner: Runner, fn: Any, *args: Any) -> Any:
    """``fn(session, *args)`` in the session's worker; its result within ``WAIT``."""
    return await asyncio.wait_for(runner.call(fn, *args), WAIT)


def test_calls_run_in_the_worker_and_errors_keep_their_kind(
    pool: WorkerPool, loop: LoopThread
) -> None:
    async def run() -> None:
        runner = pool.create("calls", {}, 60.0)
        try:
            assert (await ask(runner, ops.step, 3))["epochs"] == 3
            assert (await ask(runner, Session.state))["epoch"] == 3
            with pytest.raises(ValueError, match="epochs must be from 1"):
                await ask(runner, ops.step, 0)
            with pytest.raises(ValueError, match="layer"):
                await ask(runner, Session.set_param, 9, "bias", [0], 1.0)
            assert (await ask(runner, Session.state))["epoch"] == 3  # unchanged
        finally:
            runner.close()
        with pytest.raises(LookupError):
            await ask(runner, Session.state)

    loop.run(run())


def test_sessions_spread_over_the_workers(pool: WorkerPool, loop: LoopThread) -> None:
    async def run() -> None:
        runners = [pool.create(f"spread-{i}", {}, 60.0) for i in range(4)]
        try:
            pids = {await ask(r, _pid) for r in runners}
            assert len(pids) == 2 and os.getpid() not in pids
        finally:
            for r in runners:
                r.close()

    loop.run(run())


def _pid(_: Session) -> int:
    return os.getpid()


class Page:
    """A page's mailbox, on the loop the test runs on (as a connection's)."""

    def __init__(self) -> None:
        self.mailbox = Mailbox(asyncio.get_running_loop(), 64)

    async def take(self) -> list[Any]:
        return await asyncio.wait_for(self.mailbox.take(), WAIT)


def test_pages_get_the_points_and_frames_built_in_the_worker(
    pool: WorkerPool, loop: LoopThread
) -> None:
    async def run() -> None:
        runner = pool.create("frames", {}, 60.0)
        first, second = Page(), Page()
        try:
            runner.attach(first.mailbox)
            got: list[dict[str, Any]] = []
            while not {"points", "frame"} <= {m["type"] for m in got}:
                got += [json.loads(t) for t in await first.take()]
            runner.attach(second.mailbox)  # from what the server kept
            assert [json.loads(t)["type"] for t in await second.take()] == ["points", "frame"]
            await ask(runner, ops.step, 2)
            frame: dict[str, Any] = {}
            while frame.get("epoch") != 2:
                messages = map(json.loads, await first.take())
                frame = next((m for m in messages if m["type"] == "frame"), frame)
        finally:
            runner.close()

    loop.run(run())


def test_a_change_drops_the_unsent_frame_before_its_reply_arrives(
    pool: WorkerPool, loop: LoopThread
) -> None:
    async def run() -> None:
        runner = pool.create("order", {}, 60.0)
        page = Page()
        try:
            runner.attach(page.mailbox)
            await eventually(lambda: "frame" in page.mailbox._slots, WAIT)
            stale = page.mailbox._slots["frame"]
            await ask(runner, Session.state)  # a read changes nothing
            assert page.mailbox._slots.get("frame") == stale
            await ask(runner, ops.step, 1)  # a change: the unsent frame is stale
            assert page.mailbox._slots.get("frame") != stale
        finally:
            runner.close()

    loop.run(run())


def test_a_worker_that_dies_ends_its_sessions_and_is_replaced(loop: LoopThread) -> None:
    async def run() -> None:
        manager = SessionManager(Settings(), WorkerPool(1))
        await manager.start()
        try:
            runner = manager.create(LARGE)
            page = Page()
            runner.attach(page.mailbox)
            pid = await ask(runner, _pid)
            pending = runner.submit(ops.step, 10_000)
            os.kill(pid, signal.SIGKILL)
            with pytest.raises(LookupError):
                await asyncio.wait_for(pending, WAIT)
            await eventually(lambda: page.mailbox.ended is not None, WAIT)
            with pytest.raises(LookupError):
                await ask(runner, Session.state)
            assert manager.expire() == 1 and len(manager) == 0  # an ended session leaves at once
            successor = manager.create({})  # on a new worker
            assert await ask(successor, _pid) not in (pid, os.getpid())
        finally:
            await manager.shut_down()

    loop.run(run())


def _bad_json(_: Session) -> None:
    json.loads("{")  # a ValueError whose class takes other arguments than a message


def test_every_call_is_answered_even_when_its_error_or_argument_does_not_travel(
    pool: WorkerPool, loop: LoopThread
) -> None:
    async def run() -> None:
        runner = pool.create("odd", {}, 60.0)
        try:
            with pytest.raises(ValueError, match="Expecting property name"):
                await ask(runner, _bad_json)
            with pytest.raises(Exception, match="pickle"):
                await ask(runner, ops.configure, {"lr": lambda: 0.1})
            assert (await ask(runner, Session.state))["epoch"] == 0  # still serving
        finally:
            runner.close()

    loop.run(run())


def test_a_page_joining_after_changes_made_unwatched_sees_them_first(
    pool: WorkerPool, loop: LoopThread
) -> None:
    async def run() -> None:
        runner = pool.create("unwatched", {}, 60.0)
        first, second = Page(), Page()
        try:
            runner.attach(first.mailbox)
            await ask(runner, ops.play)
            await eventually(lambda: "frame" in first.mailbox._slots, WAIT)
            runner.detach(first.mailbox)  # frames may still be on their way
            state = await ask(runner, ops.reset_state)
            assert state["epoch"] == 0
            runner.attach(second.mailbox)
            frame: dict[str, Any] = {}
            while not frame:
                messages = map(json.loads, await second.take())
                frame = next((m for m in messages if m["type"] == "frame"), {})
            assert frame["epoch"] == 0  # not a frame from before the reset
        finally:
            runner.close()

    loop.run(run())


def test_big_frames_and_big_sessions_cross_both_ways_at_once(
    pool: WorkerPool, loop: LoopThread
) -> None:
    async def run() -> None:
        big = {**LARGE, "resolution": 200, "points": 2000, "speed": 0}
        streaming = pool.create("big-frames", big, 60.0)
        page = Page()
        runners = []
        try:
            streaming.attach(page.mailbox)
            await ask(streaming, ops.play)
            document = Session({"points": 2000}).export()
            for i in range(12):  # each an import of 2,000 points, while frames flow
                r = pool.create(f"big-{i}", {}, 60.0)
                runners.append(r)
                await ask(r, ops.import_into, document)
                assert (await ask(r, ops.step, 1))["epochs"] == 1
                await ask(streaming, Session.state)
                if i % 3 == 2:
                    r.close()
            await page.take()
        finally:
            for r in runners:
                r.close()
            streaming.close()

    loop.run(run())


def test_stopping_the_pool_ends_its_processes(loop: LoopThread) -> None:
    async def run() -> None:
        pool = WorkerPool(2)
        await pool.start()
        processes = [w.process for w in pool._workers]
        runner = pool.create("last", {}, 60.0)
        await ask(runner, ops.play)
        await pool.stop()
        assert all(not p.is_alive() for p in processes)
        with pytest.raises(LookupError):
            await ask(runner, Session.state)

    loop.run(run())


def test_a_burst_from_a_worker_is_read_at_once_and_handled_in_order_a_bounded_part_a_time() -> None:
    """The loop reads what the pipe holds when it is readable: a burst costs it one read,
    not one each; it handles the messages in order, a bounded number a callback."""
    here, there = multiprocessing.Pipe()
    limit = 16  # messages a callback (``BATCH`` in the server: a pipe's buffer holds fewer)
    messages = [Done(i, True, i) for i in range(2 * limit + 10)]
    for m in messages:  # a batch each, then it ends
        there.send([m])
    there.close()
    loop = asyncio.new_event_loop()
    worker = Worker.__new__(Worker)  # its reading half, with a stand-in for the rest
    worker.conn, worker.loop, worker.process, worker.alive = here, loop, _Named(), True
    worker._inbox, worker._posted, worker.runners, worker._pending = deque(), False, {}, {}
    settled: list[tuple[int, Any]] = []
    worker._settle = lambda call_id, ok, value: settled.append((call_id, value))  # type: ignore[method-assign]
    handled: list[int] = []  # how many each callback handled

    def counted(_: int = BATCH) -> None:
        before = len(settled)
        Worker._drain(worker, limit)
        handled.append(len(settled) - before)

    worker._drain = counted  # type: ignore[method-assign]

    async def run() -> None:
        worker._listen()
        deadline = time.monotonic() + WAIT
        while worker.alive:  # to the end of the pipe
            assert time.monotonic() < deadline, "the pipe's end not seen in time"
            await asyncio.sleep(0.005)

    try:
        loop.run_until_complete(run())
    finally:
        loop.close()
        here.close()
    assert settled == [(m.call_id, m.value) for m in messages]
    assert [h for h in handled if h] == [limit, limit, 10]  # one read, three callbacks


class _Named:
    name = "test"

    def is_alive(self) -> bool:
        return False


def _environ(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/environ", "rb") as f:
        pairs = [item.split(b"=", 1) for item in f.read().split(b"\0") if b"=" in item]
    return {k.decode(): v.decode() for k, v in pairs}


@pytest.mark.skipif(not os.path.exists("/proc/self/environ"), reason="reads /proc")
def test_workers_compute_on_one_blas_thread_unless_the_environment_says_otherwise(
    loop: LoopThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in WORKER_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")

    async def run() -> dict[str, str]:
        mine = WorkerPool(1)
        await mine.start()
        try:
            return _environ(mine._workers[0].process.pid)
        finally:
            await mine.stop()

    seen = loop.run(run())
    assert {k: seen.get(k) for k in WORKER_ENV} == {**WORKER_ENV, "OPENBLAS_NUM_THREADS": "2"}
    # The server's own environment is as it was.
    assert os.environ["OPENBLAS_NUM_THREADS"] == "2"
    assert not (set(WORKER_ENV) - {"OPENBLAS_NUM_THREADS"}) & set(os.environ)
