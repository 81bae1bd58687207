"""What one connection has to send: replies in order, then the newest points and frame.

A ``Mailbox`` is what a connection reads from: replies (acks, errors) queue in order up to
a bound; frames and point lists are one slot each, the newest replacing an unsent one, so a
slow client gets fewer, fresher frames and its memory does not grow. While a connection's
commands are in flight its frames wait for their replies (see ``app.live.session_runner``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from typing import Protocol

log = logging.getLogger(__name__)


class Overflow(Exception):
    """A client let too many replies pile up."""


class Ended(Exception):
    """The session behind a mailbox has ended (deleted, expired or shut down)."""


class Mailbox:
    """What one connection has to send: ordered replies, then the newest points and frame."""

    SLOTS = ("points", "frame")

    def __init__(self, loop: asyncio.AbstractEventLoop, max_replies: int) -> None:
        self._loop = loop
        self._lock = threading.Lock()
        self._replies: deque[str] = deque()
        self._slots: dict[str, str | bytes] = {}  # frames may be text or binary
        self._max = max_replies
        self._held = 0  # commands of this connection in flight: frames wait for them
        self._event = asyncio.Event()
        self.closed = False
        self.ended: str | None = None

    def _wake(self) -> None:
        try:
            self._loop.call_soon_threadsafe(self._event.set)
        except RuntimeError:  # the loop is gone: nobody is reading any more
            self.closed = True

    def hold(self) -> None:
        """A command is in flight: keep frames back until its reply."""
        with self._lock:
            self._held += 1

    def reply(self, text: str, release: bool = True) -> None:
        """Queue a reply; ``release``: it answers a command, whose ``hold`` it ends."""
        with self._lock:
            if release:
                self._held = max(0, self._held - 1)
            if len(self._replies) >= self._max:
                self.closed = True
            else:
                self._replies.append(text)
        self._wake()

    def release(self) -> None:
        with self._lock:
            self._held = max(0, self._held - 1)
        self._wake()

    def discard(self, slot: str) -> None:
        """Drop an unsent message from ``slot`` (it shows a state that has changed)."""
        with self._lock:
            self._slots.pop(slot, None)

    def end(self, reason: str) -> None:
        """The session is gone: the connection should close with ``reason``."""
        self.ended = reason
        self._wake()

    def latest(self, slot: str, text: str | bytes) -> None:
        with self._lock:
            self._slots[slot] = text
        self._wake()

    async def take(self) -> list[str | bytes]:
        """Wait for something to send; returns it all, replies first. Raises ``Overflow``
        when the replies overflowed, ``Ended`` when the session ended."""
        while True:
            await self._event.wait()
            self._event.clear()
            with self._lock:
                if self.ended is not None:
                    raise Ended(self.ended)
                if self.closed:
                    raise Overflow
                out: list[str | bytes] = list(self._replies)
                self._replies.clear()
                if not self._held:
                    out += [self._slots.pop(s) for s in self.SLOTS if s in self._slots]
            if out:
                return out


class Viewer(Protocol):
    """Where a session's thread puts what its pages should see: a ``Mailbox``, or in a worker
    process the relay to the server's mailboxes."""

    @property
    def closed(self) -> bool: ...

    def latest(self, slot: str, text: str | bytes) -> None: ...

    def discard(self, slot: str) -> None: ...

    def end(self, reason: str) -> None: ...
