"""What one connection has to send: replies in order, then the newest points and frame.

A ``Mailbox`` is what a connection reads from: replies (acks, errors) queue in order up to
a bound; frames and point lists are one slot each, the newest replacing an unsent one, so a
slow client gets fewer, fresher frames and its memory does not grow. While a connection's
commands are in flight its frames wait for their replies (see ``app.live.session_runner``).

A mailbox belongs to the server's event loop (``app.live.owner``): the connection and the
session's runner, which is handed its worker's messages on that loop, are its only users, so
it has no lock. Each of its methods fails on another thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Protocol

from app.live.owner import check

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
        self._replies: deque[str] = deque()
        self._slots: dict[str, str | bytes] = {}  # frames may be text or binary
        self._max = max_replies
        self._held = 0  # commands of this connection in flight: frames wait for them
        self._event = asyncio.Event()
        self.closed = False
        self.ended: str | None = None

    def hold(self) -> None:
        """A command is in flight: keep frames back until its reply."""
        check(self._loop)
        self._held += 1

    def reply(self, text: str, release: bool = True) -> None:
        """Queue a reply; ``release``: it answers a command, whose ``hold`` it ends."""
        check(self._loop)
        if release:
            self._held = max(0, self._held - 1)
        if len(self._replies) >= self._max:
            self.closed = True
        else:
            self._replies.append(text)
        self._event.set()

    def release(self) -> None:
        check(self._loop)
        self._held = max(0, self._held - 1)
        self._event.set()

    def discard(self, slot: str) -> None:
        """Drop an unsent message from ``slot`` (it shows a state that has changed)."""
        check(self._loop)
        self._slots.pop(slot, None)

    def end(self, reason: str) -> None:
        """The session is gone: the connection should close with ``reason``."""
        check(self._loop)
        self.ended = reason
        self._event.set()

    def latest(self, slot: str, text: str | bytes) -> None:
        check(self._loop)
        self._slots[slot] = text
        self._event.set()

    async def take(self) -> list[str | bytes]:
        """Wait for something to send; returns it all, replies first. Raises ``Overflow``
        when the replies overflowed, ``Ended`` when the session ended."""
        check(self._loop)
        while True:
            await self._event.wait()
            self._event.clear()
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
    """Where a session's thread in a worker puts what its pages should see: the relay to the
    server, which hands it to the session's mailboxes on the event loop (a ``Mailbox`` itself
    is no viewer for another thread)."""

    @property
    def closed(self) -> bool: ...

    def latest(self, slot: str, text: str | bytes) -> None: ...

    def discard(self, slot: str) -> None: ...

    def end(self, reason: str) -> None: ...
