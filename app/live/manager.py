"""Every live session of the server, by id: created, found, counted, ended."""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from app.ids import new_session_id
from app.live.mailbox import Mailbox
from app.live.messages import SHUTTING_DOWN
from app.live.pool import WorkerPool
from app.settings import Settings

log = logging.getLogger(__name__)


class Runner(Protocol):
    """What the server holds for a session, whether it trains on a thread of this process
    (``SessionRunner``) or in a worker process (``app.live.pool.RemoteRunner``)."""

    id: str
    ttl: float
    last_active: float
    connections: int

    @property
    def viewers(self) -> int: ...

    @property
    def ended(self) -> bool: ...

    def submit(self, fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future[Any]: ...

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any: ...

    def attach(self, mailbox: Mailbox) -> concurrent.futures.Future[None]: ...

    def detach(self, mailbox: Mailbox) -> concurrent.futures.Future[None]: ...

    def close(self, timeout: float = 2.0, reason: str = "session ended") -> None: ...


class TooManySessions(Exception):
    pass


class TooManySockets(Exception):
    """A session already has as many pages as it may."""


class Pool(Protocol):
    """Workers that host sessions (``app.live.pool.WorkerPool``)."""

    def start(self) -> None: ...

    def create(self, sid: str, config: dict[str, Any], ttl: float) -> Runner: ...

    def stop(self) -> None: ...


def worker_pool(settings: Settings) -> WorkerPool:
    """The workers ``settings.workers`` asks for: that many processes, or for 0 one thread
    of this process, which runs the same worker over the same kind of pipe."""
    return WorkerPool(settings.workers or 1, threads=not settings.workers)


class SessionManager:
    """Every live session, by id, in ``pool``'s workers (by default the workers that
    ``settings.workers`` asks for: processes, or for 0 one thread of this process)."""

    def __init__(self, settings: Settings, pool: Pool | None = None) -> None:
        self.settings = settings
        self.pool: Pool = pool or worker_pool(settings)
        self._runners: dict[str, Runner] = {}
        self._page_made: set[str] = set()  # sessions a page's socket created
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._runners)

    def create(
        self, config: dict[str, Any], ttl: float | None = None, connect: bool = False
    ) -> Runner:
        """A new session, which its worker builds from ``config`` (the event loop builds
        nothing); ``connect``: for a socket, which must ``disconnect``."""
        with self._lock:
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
        with self._lock:
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
        with self._lock:
            runner.connections -= 1
            runner.last_active = time.monotonic()
            release = clean and not runner.connections and runner.id in self._page_made
            if release:
                self._runners.pop(runner.id, None)
            if runner.id not in self._runners:
                self._page_made.discard(runner.id)
        if release:
            runner.close(timeout=0)

    def delete(self, session_id: str) -> None:
        with self._lock:
            runner = self._runners.pop(session_id, None)
            self._page_made.discard(session_id)
        if runner is None:
            raise KeyError(session_id)
        runner.close()

    def expire(self) -> int:
        """End sessions no socket uses and nobody has asked anything of for their ``ttl``.
        Chosen and removed at once, so that a socket cannot take one in between."""
        now = time.monotonic()
        with self._lock:
            idle = [
                sid
                for sid, r in self._runners.items()
                if r.ended or (not r.connections and not r.viewers and r.last_active < now - r.ttl)
            ]
            ended = [self._runners.pop(sid) for sid in idle]
            self._page_made.difference_update(idle)
        for runner in ended:
            runner.close()
        return len(ended)

    def close_all(self) -> None:
        with self._lock:
            runners = list(self._runners.values())
            self._runners.clear()
            self._page_made.clear()
        for r in runners:
            r.close(timeout=1.0, reason=SHUTTING_DOWN)

    def shut_down(self) -> None:
        """End every session and stop the workers."""
        self.close_all()
        self.pool.stop()
