"""Reading a worker's pipe on the event loop, without a thread.

A ``multiprocessing`` connection frames each message as a big-endian length (4 bytes, or -1
and 8 bytes for a huge one) and the pickle. ``PipeReader.read`` is called when the pipe is
readable (``loop.add_reader``): it reads once, what is there (so it never blocks), into a
buffer it keeps, and returns the messages that are complete, in order.
"""

from __future__ import annotations

import os
import pickle
import struct
from typing import Any

BUFFER_BYTES = 256 * 1024  # read at most this much a time (the buffer grows for a bigger message)

_SIZE = struct.Struct("!i")
_HUGE = struct.Struct("!Q")


class PipeReader:
    """The messages that come on a connection's file descriptor ``fd``, read as they come."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buf = bytearray(BUFFER_BYTES)
        self._end = 0  # bytes held: the start of a message not yet complete

    def read(self) -> list[Any] | None:
        """Read what the pipe holds (one read: call it only when the pipe is readable) and
        return the messages now complete, in order; None at the end of the stream. Raises
        what ``os.readv`` or unpickling raises."""
        buf = self._buf
        with memoryview(buf) as view:
            got = os.readv(self._fd, [view[self._end :]])
            if not got:
                return None
            end = self._end + got
            out, pos = [], 0
            while end - pos >= 4:
                (size,) = _SIZE.unpack_from(buf, pos)
                head = 4
                if size == -1:
                    if end - pos < 12:
                        break
                    (size,) = _HUGE.unpack_from(buf, pos + 4)
                    head = 12
                stop = pos + head + size
                if stop > end:
                    break
                out.append(pickle.loads(view[pos + head : stop]))
                pos = stop
        if pos:  # what is left of the next message goes to the front
            buf[: end - pos] = buf[pos:end]
        self._end = end = end - pos
        need = self._need(end)
        if need > len(buf):
            buf.extend(bytes(need - len(buf)))
        return out

    def _need(self, end: int) -> int:
        """The bytes the partial message at the front needs in all (0 if not yet known)."""
        if end < 4:
            return 0
        (size,) = _SIZE.unpack_from(self._buf, 0)
        if size != -1:
            return 4 + size
        return 12 + _HUGE.unpack_from(self._buf, 4)[0] if end >= 12 else 0
