"""A worker's messages travel in batches (``app.live.worker.Outbox``): in order, a command's
answer at once, the rest within a bound, a session's frames one a batch."""

from __future__ import annotations

import threading

import pytest

from app.live import worker
from app.live.messages import Discard, Done, End, Latest, ToServer
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


def test_a_sessions_second_frame_starts_a_new_batch(clock: Clock) -> None:
    """A session catching up on a late frame builds the next at once: each must reach the
    server apart, or a page would get only the second."""
    box, written = outbox()
    box.put(Latest("a", "points", "p"))
    box.put(Latest("a", "frame", b"1"))
    box.put(Latest("b", "frame", b"2"))
    box.put(Latest("a", "points", "q"))
    assert written == []
    box.put(Latest("a", "frame", b"3"))  # the batch so far goes first
    assert written == [
        [
            Latest("a", "points", "p"),
            Latest("a", "frame", b"1"),
            Latest("b", "frame", b"2"),
            Latest("a", "points", "q"),
        ]
    ]
    box.put(Latest("b", "frame", b"4"))  # b's first in this batch
    box.flush(None)
    assert written[1] == [Latest("a", "frame", b"3"), Latest("b", "frame", b"4")]
