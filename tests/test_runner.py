"""The session's worker thread on its own: faults stay inside one session."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from app.live import ops
from app.live.runner import Mailbox, SessionRunner
from app.training import Session

WAIT = 10.0


def test_a_fault_while_drawing_pauses_the_session_and_the_thread_goes_on() -> None:
    session = Session()
    faults = []

    def broken_snapshot(*args: Any, **kwargs: Any) -> Any:
        faults.append(1)
        raise RuntimeError("drawing failed")

    session.snapshot = broken_snapshot  # type: ignore[method-assign]
    runner = SessionRunner("faulty", session)
    loop = asyncio.new_event_loop()
    try:
        runner.attach(Mailbox(loop, 8)).result(WAIT)
        runner.submit(ops.play).result(WAIT)
        deadline = time.monotonic() + WAIT
        while (session.playing or not faults) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert faults and not session.playing
        epoch = runner.submit(lambda s: s.step(1) and s.trainer.epoch).result(WAIT)
        assert epoch >= 1  # still serving commands
    finally:
        runner.close()
        loop.close()
