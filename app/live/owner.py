"""The server's live state belongs to its event loop.

Mailboxes, the runners of sessions, the calls in flight, the workers' bookkeeping and the
sessions by id are read and written only on the thread that runs the server's event loop, so
none of them needs a lock. The threads that move bytes (a pipe's reader and sender) touch
none of it: they hand what they have to that loop with ``loop.call_soon_threadsafe``.

``check`` makes a call from anywhere else fail at once instead of racing (it checks nothing
under ``python -O``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


class OffLoop(RuntimeError):
    """Live state was touched outside the event loop it belongs to."""


def running() -> asyncio.AbstractEventLoop:
    """The event loop running on this thread; ``OffLoop`` if there is none."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        raise OffLoop("the server's live state is used only on its event loop") from None


def check(loop: asyncio.AbstractEventLoop | None) -> None:
    """Fail with ``OffLoop`` unless this runs on ``loop``."""
    if __debug__ and running() is not loop:
        raise OffLoop("the server's live state belongs to another event loop")


def post(loop: asyncio.AbstractEventLoop, callback: Callable[..., object], *args: Any) -> bool:
    """From another thread: run ``callback(*args)`` on ``loop`` soon. False when the loop
    has closed (nobody is left to tell)."""
    try:
        loop.call_soon_threadsafe(callback, *args)
    except RuntimeError:
        return False
    return True
