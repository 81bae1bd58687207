"""One scheduler thread drives many sessions: each gets its frames and its training, a frame
shows what was recorded, and a change lands between two epochs of a training in progress."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from app.live import ops
from app.live.frames import decode_frame_bytes, set_view
from app.live.scheduler import Scheduler
from app.live.session_runner import SessionRunner
from app.training import Session

WAIT = 20.0
WIDE = [{"units": 16, "activation": "tanh"}] * 8


class Recorder:
    """A page's viewer that keeps every frame handed to it (a worker's relay does the same
    with its pipe)."""

    closed = False

    def __init__(self) -> None:
        self.frames: list[str | bytes] = []
        self._lock = threading.Lock()

    def latest(self, slot: str, data: str | bytes) -> None:
        if slot == "frame":
            with self._lock:
                self.frames.append(data)

    def discard(self, slot: str) -> None:
        pass

    def end(self, reason: str) -> None:
        self.closed = True

    def count(self) -> int:
        with self._lock:
            return len(self.frames)


def wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def epochs(frames: list[str | bytes]) -> list[int]:
    """The epoch each frame shows: JSON before the view, then binary, decoded in order (key
    and delta frames)."""
    out, key = [], None
    for data in frames:
        if isinstance(data, str):
            out.append(json.loads(data)["epoch"])
            continue
        frame = decode_frame_bytes(data, key)
        if frame["base"] is None:
            key = frame["cells"]
        out.append(frame["epoch"])
    return out


def test_every_session_on_one_thread_gets_frames_and_trains() -> None:
    scheduler = Scheduler("test-sessions")
    runners, viewers = [], []
    try:
        for i in range(12):
            runner = SessionRunner(f"s{i}", Session(), scheduler=scheduler)
            viewer = Recorder()
            runner.attach(viewer).result(WAIT)
            runner.submit(set_view, 32, None, False).result(WAIT)
            runner.submit(ops.play).result(WAIT)
            runners.append(runner)
            viewers.append(viewer)
        wait_for(lambda: min(v.count() for v in viewers) >= 10, "a session got too few frames")
        states = [r.submit(Session.state).result(WAIT) for r in runners]
    finally:
        for r in runners:
            r.close()
        scheduler.stop()
    assert all(s["epoch"] >= 5 and s["status"] == "training" for s in states)
    for v in viewers:  # each frame a step further on: frames follow the training
        shown = epochs(v.frames)
        assert shown == sorted(shown) and shown[-1] > shown[0]


def test_as_fast_as_possible_each_frame_shows_epochs_the_history_recorded() -> None:
    session = Session({"hidden": WIDE, "speed": 0})
    runner = SessionRunner("fast", session)
    viewer = Recorder()

    def records() -> int:
        return len(runner.submit(ops.history).result(WAIT)["history"])

    try:
        runner.attach(viewer).result(WAIT)
        runner.submit(set_view, 18, None, False).result(WAIT)
        runner.submit(ops.play).result(WAIT)
        wait_for(lambda: viewer.count() >= 10, "too few frames at speed 0")
        first, seen = records(), viewer.count()  # a read leaves the training going on
        wait_for(lambda: viewer.count() >= seen + 30, "too few frames at speed 0")
        runner.submit(ops.pause).result(WAIT)
        added, drawn = records() - first, viewer.count() - seen
        recorded = {h["epoch"] for h in runner.submit(ops.history).result(WAIT)["history"]}
        frames = list(viewer.frames)
    finally:
        runner.close()
    trained = [e for e in epochs(frames) if e > 0]
    # The training in progress is ended (and recorded) before a frame is built: what a
    # frame shows is in the loss history, which gets about a record per frame rather than
    # one per slice of training.
    assert len(trained) >= 30 and trained == sorted(trained) and trained[-1] > trained[0]
    assert set(trained) <= recorded
    assert added <= drawn + 2


def test_a_change_while_training_is_in_progress_lands_between_two_epochs() -> None:
    runner = SessionRunner("changing", Session({"hidden": WIDE, "speed": 0}))
    viewer = Recorder()
    try:
        runner.attach(viewer).result(WAIT)
        runner.submit(ops.play).result(WAIT)
        for lr in (0.01, 0.02, 0.03):
            wait_for(lambda: runner.session.trainer.epoch > 0, "no training")
            before = runner.submit(Session.state).result(WAIT)
            reply = runner.submit(ops.configure, {"lr": lr}).result(WAIT)
            assert reply["state"]["config"]["lr"] == lr
            assert reply["state"]["epoch"] >= before["epoch"]
        epoch = runner.submit(Session.state).result(WAIT)["epoch"]
        wait_for(
            lambda: runner.submit(Session.state).result(WAIT)["epoch"] > epoch,
            "training did not go on after the changes",
        )
        state = runner.submit(Session.state).result(WAIT)
    finally:
        runner.close()
    assert state["status"] == "training" and state["config"]["lr"] == 0.03
