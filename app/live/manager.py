"""Every live session of the server, by id: created, found, counted, ended.

The ``SessionManager`` belongs to the server's event loop (``app.live.owner``), like the
runners it holds: the routes, the sockets and the expiry task use it there, and none of its
methods waits, so it has no lock. ``start`` and ``shut_down`` are coroutines for the app's
lifespan.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from app.ids import new_session_id
from app.live.mailbox import Mailbox
from app.live.messages import SHUTTING_DOWN
from app.live.owner import check, running
from app.live.pool import WorkerPool
from app.settings import Settings

log = logging.getLogger(__name__)


class Runner(Protocol):
    """What the server holds for a session, which trains in a worker
    (``app.live.remote.RemoteRunner``); used on the event loop only."""

    id: str
    ttl: float
    last_active: float
    connections: int

    @property
    def viewers(self) -> int: ...

    @property
    def ended(self) -> bool: ...

    def submit(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]: ...

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any: ...

    def attach(self, mailbox: Mailbox) -> None: ...

    def detach(self, mailbox: Mailbox) -> None: ...

    def close(self, reason: str = "session ended") -> None: ...


class TooManySessions(Exception):
    pass


class TooManySockets(Exception):
    """A session already has as many pages as it may."""


class Pool(Protocol):
    """Workers that host sessions (``app.live.pool.WorkerPool``)."""

    async def start(self) -> None: ...

    def create(self, sid: str, config: dict[str, Any], ttl: float) -> Runner: ...

    async def stop(self) -> None: ...


def worker_pool(settings: Settings) -> WorkerPool:
    """The workers ``settings.workers`` asks for: that many processes, or for 0 one thread
    of this process, which runs the same worker over the same kind of pipe."""
    return WorkerPool(settings.workers or 1, threads=not settings.workers)


class SessionManager:
    """Every live session, by id, in ``pool``'s workers (by default the workers that
    ``settings.workers`` asks for: processes, or for 0 one thread of this process). It
    belongs to the event loop it was started on (``loop``): by ``start``, or by its first
    use when the app's lifespan did not run."""

    def __init__(self, settings: Settings, pool: Pool | None = None) -> None:
        self.settings = settings
        self.pool: Pool = pool if pool is not None else worker_pool(settings)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._runners: dict[str, Runner] = {}
        self._page_made: set[str] = set()  # sessions a page's socket created

    async def start(self) -> None:
        """Start the workers; the sessions belong to this event loop from now on."""
        self.loop = running()
        await self.pool.start()

    def _here(self) -> None:
        if self.loop is None:
            self.loop = running()
        else:
            check(self.loop)

    def __len__(self) -> int:
        self._here()
        return len(self._runners)

    def create(
        self, config: dict[str, Any], ttl: float | None = None, connect: bool = False
    ) -> Runner:
        """A new session, which its worker builds from ``config`` (the event loop builds
        nothing); ``connect``: for a socket, which must ``disconnect``."""
        self._here()
        if len(self._runners) >= self.settings.max_sessions:
            raise TooManySessions(
                f"the server holds its maximum of {self.settings.max_sessions} sessions"
            )
        sid = new_session_id(self.settings.replica)
        ttl = self.settings.session_ttl if ttl is None else ttl
        runner = self.pool.create(sid, config, ttl)
        self._runners[sid] = runner
        runner.connections = int(connect)
        if connect:
            self._page_made.add(sid)
        return runner

    def get(self, session_id: str, connect: bool = False) -> Runner:
        """The session ``session_id``; ``connect``: as for ``create``. Raises KeyError for
        no such session, TooManySockets when ``connect`` would pass the per-session bound."""
        self._here()
        runner = self._runners.get(session_id)
        if runner is None:
            raise KeyError(session_id)
        if connect and runner.connections >= self.settings.max_sockets_per_session:
            raise TooManySockets(
                f"too many pages on this session "
                f"(at most {self.settings.max_sockets_per_session})"
            )
        runner.connections += int(connect)
        return runner

    def disconnect(self, runner: Runner, clean: bool = False) -> None:
        """A socket is done with ``runner``: its lifetime counts from now. ``clean``: its
        page closed it (not a dropped connection); a session a page made then ends at once
        when no other socket uses it."""
        self._here()
        runner.connections -= 1
        runner.last_active = time.monotonic()
        release = clean and not runner.connections and runner.id in self._page_made
        if release:
            self._runners.pop(runner.id, None)
        if runner.id not in self._runners:
            self._page_made.discard(runner.id)
        if release:
            runner.close()

    def delete(self, session_id: str) -> None:
        self._here()
        runner = self._runners.pop(session_id, None)
        self._page_made.discard(session_id)
        if runner is None:
            raise KeyError(session_id)
        runner.close()

    def expire(self) -> int:
        """End sessions no socket uses and nobody has asked anything of for their ``ttl``
        (and those that ended in their worker)."""
        self._here()
        now = time.monotonic()
        idle = [
            sid
            for sid, r in self._runners.items()
            if r.ended or (not r.connections and not r.viewers and r.last_active < now - r.ttl)
        ]
        for sid in idle:
            self._page_made.discard(sid)
            self._runners.pop(sid).close()
        return len(idle)

    def close_all(self) -> None:
        """End every session; their pages are told the server is shutting down."""
        self._here()
        runners = list(self._runners.values())
        self._runners.clear()
        self._page_made.clear()
        for r in runners:
            r.close(reason=SHUTTING_DOWN)

    async def shut_down(self) -> None:
        """End every session and stop the workers."""
        self.close_all()
        await self.pool.stop()
        self.loop = None
