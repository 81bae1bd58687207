"""Sessions in worker processes and on a shared scheduler thread: what crosses the process
boundary (pickled networks and sessions, calls, frames), long steps run in slices, and what
happens when a worker dies."""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from app.live import ops
from app.live.mailbox import Mailbox
from app.live.manager import SessionManager
from app.live.pool import WorkerPool
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


@pytest.fixture(scope="module")
def pool() -> Iterator[WorkerPool]:
    p = WorkerPool(2)
    p.start()
    yield p
    p.stop()


def test_calls_run_in_the_worker_and_errors_keep_their_kind(pool: WorkerPool) -> None:
    runner = pool.create("calls", {}, 60.0)
    try:
        assert runner.submit(ops.step, 3).result(WAIT)["epochs"] == 3
        assert runner.submit(Session.state).result(WAIT)["epoch"] == 3
        with pytest.raises(ValueError, match="epochs must be from 1"):
            runner.submit(ops.step, 0).result(WAIT)
        with pytest.raises(ValueError, match="layer"):
            runner.submit(Session.set_param, 9, "bias", [0], 1.0).result(WAIT)
        assert runner.submit(Session.state).result(WAIT)["epoch"] == 3  # unchanged
    finally:
        runner.close()
    with pytest.raises(LookupError):
        runner.submit(Session.state).result(WAIT)


def test_sessions_spread_over_the_workers(pool: WorkerPool) -> None:
    runners = [pool.create(f"spread-{i}", {}, 60.0) for i in range(4)]
    try:
        pids = {r.submit(_pid).result(WAIT) for r in runners}
        assert len(pids) == 2 and os.getpid() not in pids
    finally:
        for r in runners:
            r.close()


def _pid(_: Session) -> int:
    return os.getpid()


class Page:
    """A mailbox on an event loop of its own thread, as a connection has."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.mailbox = Mailbox(self.loop, 64)

    def take(self) -> list[str]:
        return asyncio.run_coroutine_threadsafe(
            asyncio.wait_for(self.mailbox.take(), WAIT), self.loop
        ).result(WAIT + 1)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(WAIT)
        self.loop.close()


def test_pages_get_the_points_and_frames_built_in_the_worker(pool: WorkerPool) -> None:
    runner = pool.create("frames", {}, 60.0)
    first, second = Page(), Page()
    try:
        runner.attach(first.mailbox).result(WAIT)
        got: list[dict[str, Any]] = []
        while not {"points", "frame"} <= {m["type"] for m in got}:
            got += [json.loads(t) for t in first.take()]
        runner.attach(second.mailbox).result(WAIT)  # from what the server kept
        assert [json.loads(t)["type"] for t in second.take()] == ["points", "frame"]
        runner.submit(ops.step, 2).result(WAIT)
        frame: dict[str, Any] = {}
        while frame.get("epoch") != 2:
            frame = next((m for m in map(json.loads, first.take()) if m["type"] == "frame"), frame)
    finally:
        runner.close()
        first.close()
        second.close()


def test_a_change_drops_the_unsent_frame_before_its_reply_arrives(pool: WorkerPool) -> None:
    runner = pool.create("order", {}, 60.0)
    page = Page()
    try:
        runner.attach(page.mailbox).result(WAIT)
        until(lambda: "frame" in page.mailbox._slots)
        stale = page.mailbox._slots["frame"]
        runner.submit(Session.state).result(WAIT)  # a read changes nothing
        assert page.mailbox._slots.get("frame") == stale
        runner.submit(ops.step, 1).result(WAIT)  # a change: the unsent frame is stale
        assert page.mailbox._slots.get("frame") != stale
    finally:
        runner.close()
        page.close()


def test_a_worker_that_dies_ends_its_sessions_and_is_replaced() -> None:
    pool = WorkerPool(1)
    manager = SessionManager(Settings(), pool)
    try:
        runner = manager.create(LARGE)
        page = Page()
        runner.attach(page.mailbox).result(WAIT)
        pid = runner.submit(_pid).result(WAIT)
        pending = runner.submit(ops.step, 10_000)
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(LookupError):
            pending.result(WAIT)
        until(lambda: page.mailbox.ended is not None)
        with pytest.raises(LookupError):
            runner.submit(Session.state).result(WAIT)
        assert manager.expire() == 1 and len(manager) == 0  # an ended session leaves at once
        successor = manager.create({})  # on a new worker
        assert successor.submit(_pid).result(WAIT) not in (pid, os.getpid())
        page.close()
    finally:
        manager.shut_down()


def _bad_json(_: Session) -> None:
    json.loads("{")  # a ValueError whose class takes other arguments than a message


def test_every_call_is_answered_even_when_its_error_or_argument_does_not_travel(
    pool: WorkerPool,
) -> None:
    runner = pool.create("odd", {}, 60.0)
    try:
        with pytest.raises(ValueError, match="Expecting property name"):
            runner.submit(_bad_json).result(WAIT)
        with pytest.raises(Exception, match="pickle"):
            runner.submit(ops.configure, {"lr": lambda: 0.1}).result(WAIT)
        assert runner.submit(Session.state).result(WAIT)["epoch"] == 0  # still serving
    finally:
        runner.close()


def test_a_page_joining_after_changes_made_unwatched_sees_them_first(pool: WorkerPool) -> None:
    runner = pool.create("unwatched", {}, 60.0)
    first, second = Page(), Page()
    try:
        runner.attach(first.mailbox).result(WAIT)
        runner.submit(ops.play).result(WAIT)
        until(lambda: "frame" in first.mailbox._slots)
        runner.detach(first.mailbox).result(WAIT)  # frames may still be on their way
        state = runner.submit(ops.reset_state).result(WAIT)
        assert state["epoch"] == 0
        runner.attach(second.mailbox).result(WAIT)
        frame: dict[str, Any] = {}
        while not frame:
            frame = next((m for m in map(json.loads, second.take()) if m["type"] == "frame"), {})
        assert frame["epoch"] == 0  # not a frame from before the reset
    finally:
        runner.close()
        first.close()
        second.close()


def test_big_frames_and_big_sessions_cross_both_ways_at_once(pool: WorkerPool) -> None:
    big = {**LARGE, "resolution": 200, "points": 2000, "speed": 0}
    streaming = pool.create("big-frames", big, 60.0)
    page = Page()
    try:
        runner_ids = []
        streaming.attach(page.mailbox).result(WAIT)
        streaming.submit(ops.play).result(WAIT)
        document = Session({"points": 2000}).export()
        for i in range(12):  # each an import of 2,000 points, while frames flow
            r = pool.create(f"big-{i}", {}, 60.0)
            runner_ids.append(r)
            r.submit(ops.import_into, document).result(WAIT)
            assert r.submit(ops.step, 1).result(WAIT)["epochs"] == 1
            streaming.submit(Session.state).result(WAIT)
            if i % 3 == 2:
                r.close()
        page.take()
    finally:
        for r in runner_ids:
            r.close()
        streaming.close()
        page.close()


def test_stopping_the_pool_ends_its_processes() -> None:
    pool = WorkerPool(2)
    pool.start()
    processes = [w.process for w in pool._workers]
    runner = pool.create("last", {}, 60.0)
    runner.submit(ops.play).result(WAIT)
    pool.stop()
    assert all(not p.is_alive() for p in processes)
    with pytest.raises(LookupError):
        runner.submit(Session.state).result(WAIT)
