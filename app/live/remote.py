"""A session in a worker, as the server's process sees it: ``RemoteRunner``.

It belongs to the server's event loop (``app.live.owner``), like the mailboxes of the pages
it feeds: the calls, the pages attaching and leaving and the closing come from the loop, and
its worker's reader thread hands it the session's messages on the loop too (``relayed``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app.live.mailbox import Mailbox
from app.live.messages import Attach, Close, Detach, Discard, End, Latest, ToWorker
from app.live.owner import check

if TYPE_CHECKING:
    from app.live.pool import Worker


class RemoteRunner:
    """A session in a worker, as the server sees it: calls, pages attaching and leaving,
    closing. It belongs to its worker's event loop, where its reader hands it the session's
    frames, points and end (``relayed``)."""

    def __init__(
        self,
        session_id: str,
        worker: Worker,
        ttl: float,
        forget: Callable[[RemoteRunner, Worker], None],
    ) -> None:
        self.id = session_id
        self.ttl = ttl
        self.last_active = time.monotonic()
        self.connections = 0
        self._worker = worker
        self._forget = forget
        self._mailboxes: set[Mailbox] = set()
        self._latest: dict[str, str | bytes] = {}  # the newest points and frame, for pages joining
        self._closed = False

    @property
    def viewers(self) -> int:
        return len(self._mailboxes)

    @property
    def ended(self) -> bool:
        return self._closed

    def submit(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        """Run ``fn(session, *args)`` in the worker; the future has its outcome (a
        ``LookupError`` once the session has ended)."""
        check(self._worker.loop)
        self.last_active = time.monotonic()
        if self._closed:
            fut = self._worker.loop.create_future()
            fut.set_exception(LookupError("session has ended"))
            return fut
        return self._worker.call(self.id, fn, args)

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await self.submit(fn, *args)

    def attach(self, mailbox: Mailbox) -> None:
        """A page watches: it gets the newest points and frame kept here, then the rest.
        Raises ``LookupError`` when the session has ended."""
        check(self._worker.loop)
        if self._closed:
            raise LookupError("session has ended")
        first = not self._mailboxes
        self._mailboxes.add(mailbox)
        for slot in Mailbox.SLOTS:
            if slot in self._latest:
                mailbox.latest(slot, self._latest[slot])
        if first:  # the worker starts building frames (one at once)
            self._send(Attach(self.id))
        self.last_active = time.monotonic()

    def detach(self, mailbox: Mailbox) -> None:
        check(self._worker.loop)
        if mailbox in self._mailboxes:
            self._mailboxes.discard(mailbox)
            if not self._mailboxes:  # nobody watches: no more frames
                self._latest.clear()
                self._send(Detach(self.id))
        self.last_active = time.monotonic()

    def _send(self, message: ToWorker) -> None:
        try:
            self._worker.send(message)
        except LookupError:
            pass  # the worker is gone; its reader ends the session

    def relayed(self, message: Latest | Discard | End) -> None:
        """A message from the session's thread in the worker, handed over on the loop."""
        if self._closed:  # nothing comes after the end
            return
        match message:
            case Latest(_, slot, data):
                if not self._mailboxes:  # sent before the last page left: stale by now
                    return
                self._latest[slot] = data
                for mailbox in self._mailboxes:
                    mailbox.latest(slot, data)
            case Discard(_, slot):
                self._latest.pop(slot, None)
                for mailbox in self._mailboxes:
                    mailbox.discard(slot)
            case End(_, reason):
                self._closed = True
                for mailbox in self._mailboxes:
                    mailbox.end(reason)

    def close(self, reason: str = "session ended") -> None:
        """End the session (in its worker too) and tell its pages ``reason``."""
        check(self._worker.loop)
        if not self._closed:
            self._send(Close(self.id, reason))
            self.relayed(End(self.id, reason))
        self._forget(self, self._worker)
