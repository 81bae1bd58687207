"""The session's worker thread on its own: faults stay inside one session."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Generator
from typing import Any

import pytest

from app.live import ops, session_runner
from app.live.mailbox import Mailbox
from app.live.session_runner import SessionRunner
from app.training import Session

WAIT = 10.0


class Slots:
    """A session's viewer in its worker (as the relay to the server is), keeping the newest
    unsent message of each slot as a mailbox does."""

    closed = False

    def __init__(self) -> None:
        self.slots: dict[str, str | bytes] = {}
        self.ended: str | None = None

    def latest(self, slot: str, data: str | bytes) -> None:
        self.slots[slot] = data

    def discard(self, slot: str) -> None:
        self.slots.pop(slot, None)

    def end(self, reason: str) -> None:
        self.ended = reason


def test_a_fault_while_drawing_pauses_the_session_and_the_thread_goes_on() -> None:
    session = Session()
    faults = []

    def broken_snapshot(*args: Any, **kwargs: Any) -> Any:
        faults.append(1)
        raise RuntimeError("drawing failed")

    session.snapshot = broken_snapshot  # type: ignore[method-assign]
    runner = SessionRunner("faulty", session)
    try:
        runner.attach(Slots()).result(WAIT)
        runner.submit(ops.play).result(WAIT)
        deadline = time.monotonic() + WAIT
        while (session.playing or not faults) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert faults and not session.playing
        epoch = runner.submit(lambda s: s.step(1) and s.trainer.epoch).result(WAIT)
        assert epoch >= 1  # still serving commands
    finally:
        runner.close()


def test_a_held_mailbox_sends_replies_but_keeps_frames_back_until_the_reply() -> None:
    async def run() -> None:  # a mailbox belongs to the loop its connection runs on
        mailbox = Mailbox(asyncio.get_running_loop(), 8)

        async def take() -> list[str | bytes]:
            return await asyncio.wait_for(mailbox.take(), WAIT)

        mailbox.reply("hello")
        mailbox.hold()
        mailbox.latest("frame", "after the change")
        assert await take() == ["hello"]  # the frame waits for the reply
        mailbox.reply("ack")
        assert await take() == ["ack", "after the change"]
        mailbox.hold()
        mailbox.latest("frame", "f")
        mailbox.release()  # a command that ended without a reply releases too
        assert await take() == ["f"]

    asyncio.run(run())


def test_a_change_drops_every_viewers_unsent_frame_before_its_reply_is_due() -> None:
    runner = SessionRunner("order", Session())
    viewer = Slots()
    try:
        runner.attach(viewer).result(WAIT)
        deadline = time.monotonic() + WAIT
        while "frame" not in viewer.slots and time.monotonic() < deadline:
            time.sleep(0.005)
        stale = viewer.slots["frame"]
        runner.submit(lambda s: s.version).result(WAIT)  # a read changes nothing
        assert viewer.slots.get("frame") == stale
        runner.submit(ops.step, 1).result(WAIT)  # a change: the unsent frame is stale
        assert viewer.slots.get("frame") != stale
    finally:
        runner.close()


HEAVY = {"hidden": [{"units": 8, "activation": "tanh"}] * 6, "points": 2000, "batch_size": 1}


def test_reads_answer_during_a_step_even_with_a_change_waiting_behind_it() -> None:
    runner = SessionRunner("stepping", Session(HEAVY))
    try:
        step = runner.submit(ops.step, 10000)
        change = runner.submit(ops.configure, {"lr": 0.01})  # waits for the step
        state = runner.submit(Session.state).result(WAIT)
        assert not step.done() and not change.done()
        assert state["config"]["lr"] != 0.01
        runner.submit(ops.pause).result(WAIT)
        assert step.result(WAIT)["epochs"] < 10000
        assert change.result(WAIT)["state"]["config"]["lr"] == 0.01
    finally:
        runner.close()


def test_a_frame_built_in_pieces_sees_no_change_while_commands_come(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    builds: list[tuple[int, ...]] = []  # the session's version at each piece of a build

    def frame_steps(session: Session) -> Generator[None, None, str]:
        seen = [session.version]
        for _ in range(4):
            yield
            seen.append(session.version)
        builds.append(tuple(seen))
        return '{"type":"frame"}'

    monkeypatch.setattr(session_runner, "frame_steps", frame_steps)
    session = Session()
    runner = SessionRunner("drawing", session)
    try:
        runner.attach(Slots()).result(WAIT)
        runner.submit(ops.play).result(WAIT)
        for _ in range(30):  # changes while frames are built
            runner.submit(Session.touch).result(WAIT)
        runner.submit(ops.pause).result(WAIT)
        count = len(builds)
        runner.submit(Session.touch).result(WAIT)
        deadline = time.monotonic() + WAIT
        while len(builds) == count and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        runner.close()
    assert len(builds) > count >= 1  # frames were built, also after the pause
    assert all(len(set(b)) == 1 for b in builds)  # nothing changed during a build


def test_a_read_that_waited_behind_a_step_for_a_frame_answers_while_the_step_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started, release = threading.Event(), threading.Event()

    def frame_steps(session: Session) -> Generator[None, None, str]:
        started.set()
        while not release.is_set():  # a frame in pieces, held until the calls are queued
            yield
        return '{"type":"frame"}'

    monkeypatch.setattr(session_runner, "frame_steps", frame_steps)
    runner = SessionRunner("queued", Session(HEAVY))
    try:
        runner.attach(Slots()).result(WAIT)  # a new viewer: a frame is due
        assert started.wait(WAIT)
        step = runner.submit(ops.step, 10000)  # waits for the frame
        state = runner.submit(Session.state)  # waits behind the step
        deadline = time.monotonic() + WAIT
        while len(runner._backlog) < 2 and time.monotonic() < deadline:  # both queued
            time.sleep(0.005)
        release.set()
        assert state.result(WAIT)["epoch"] < 10000  # answered between the step's slices
        assert not step.done()
        runner.submit(ops.pause).result(WAIT)
        assert step.result(WAIT)["epochs"] < 10000
    finally:
        runner.close()
