"""The loop reads a worker's pipe without a thread (``app.live.pipe``): whatever pieces the
bytes come in, the messages come out whole and in order, a big one too."""

from __future__ import annotations

import multiprocessing
import pickle
import select
import struct
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from app.live.messages import Done, Latest
from app.live.pipe import BUFFER_BYTES, PipeReader

WAIT = 20.0


def read_all(reader: PipeReader, fd: int) -> list[Any]:
    """Every message until the end of the stream, reading only when the pipe is readable."""
    out: list[Any] = []
    while True:
        ready, _, _ = select.select([fd], [], [], WAIT)
        assert ready, "the pipe stayed silent"
        got = reader.read()
        if got is None:
            return out
        out += got


def written_and_read(write: Callable[[Connection], None]) -> list[Any]:
    """What the loop's reader gets of a pipe that ``write`` writes from another thread (and
    then closes)."""
    here, there = multiprocessing.Pipe()

    def writer_body() -> None:
        write(there)
        there.close()

    writer = threading.Thread(target=writer_body)
    writer.start()
    try:
        return read_all(PipeReader(here.fileno()), here.fileno())
    finally:
        writer.join(WAIT)
        here.close()


def test_messages_come_out_whole_and_in_order_from_a_connection() -> None:
    big = np.arange(3 * BUFFER_BYTES // 8, dtype=np.float64)  # more than the buffer holds
    messages: list[Any] = [
        [Latest("a", "frame", bytes(range(256)) * 40), Done(1, True, None)],
        [Done(2, True, big)],
        *[[Latest("b", "points", "p" * i)] for i in range(200)],
        [Done(3, False, ValueError("bad"))],
    ]

    def write(there: Connection) -> None:
        for m in messages:
            there.send(m)

    got = written_and_read(write)
    assert len(got) == len(messages)
    np.testing.assert_array_equal(got[1][0].value, big)
    got[1] = messages[1]
    assert [repr(m) for m in got] == [repr(m) for m in messages]


def test_a_message_cut_anywhere_even_in_its_length_is_put_together() -> None:
    body = pickle.dumps([Done(7, True, "x" * 5000)])
    huge_header = struct.pack("!iQ", -1, len(body))  # the form of a message over 2 GiB
    stream = struct.pack("!i", len(body)) + body + huge_header + body

    def write(there: Connection) -> None:
        for cut in range(0, len(stream), 3):  # three bytes at a time
            there._send(stream[cut : cut + 3])  # type: ignore[attr-defined]

    got = written_and_read(write)
    assert got == [[Done(7, True, "x" * 5000)]] * 2
