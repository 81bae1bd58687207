"""For tests that use the server's live state directly (the session manager, the worker pool,
runners, mailboxes): it belongs to an event loop, so they run on one, as the server does."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


async def eventually(pred: Callable[[], bool], seconds: float, what: str = "a condition") -> None:
    """Wait on the loop until ``pred()`` holds; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:g} s waiting for {what}")
        await asyncio.sleep(0.005)


class LoopThread:
    """An event loop on a thread of its own, kept across tests (a module's pool lives on it);
    ``run`` runs a coroutine there and returns its result."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="test-loop")
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 120.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10.0)
        self.loop.close()
