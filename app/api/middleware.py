"""ASGI middleware that guards every route: a per-address budget, JSON-only state changes, and
a drain that lets in-flight requests finish (or answer 503) when the server shuts down."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from typing import Any

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CLOSE_TRY_AGAIN = 1013
CHANGES = frozenset({"POST", "PUT", "PATCH"})


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


async def refuse(scope: Scope, send: Send, status: int, detail: str, code: int) -> None:
    """Answer ``detail`` without calling the app: an HTTP ``status``, or for a socket, the
    handshake accepted (so that the client sees why) and closed with ``code``."""
    if scope["type"] == "websocket":
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": code, "reason": detail[:120]})
        return
    headers = {"retry-after": "1"} if status == 429 else None
    response = JSONResponse({"detail": detail}, status_code=status, headers=headers)
    await response({"type": "http"}, _no_receive, send)


class ClientBudget:
    """Per client address: HTTP requests and socket openings together draw from one token
    bucket (``rate`` a second, ``burst`` at once), and at most ``max_sockets`` sockets are
    open at a time. Past either, a 429, or a socket closed with 1013."""

    PRUNE_AT = 4096  # addresses remembered before the idle ones are forgotten

    def __init__(self, app: ASGIApp, rate: float, burst: int, max_sockets: int) -> None:
        self.app = app
        self.rate, self.burst, self.max_sockets = rate, float(burst), max_sockets
        self._buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, at)
        self._sockets: defaultdict[str, int] = defaultdict(int)

    def allow(self, address: str) -> bool:
        now = time.monotonic()
        tokens, at = self._buckets.get(address, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        if len(self._buckets) >= self.PRUNE_AT:
            self._prune(now)
        if tokens < 1.0:
            self._buckets[address] = (tokens, now)
            return False
        self._buckets[address] = (tokens - 1.0, now)
        return True

    def _prune(self, now: float) -> None:
        """Forget the addresses whose bucket has filled up again."""
        full = self.burst / self.rate
        for address, (_, at) in list(self._buckets.items()):
            if now - at > full:
                del self._buckets[address]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = client[0] if client else ""
        if not self.allow(address):
            await refuse(
                scope, send, 429, "too many requests from this address, slow down", CLOSE_TRY_AGAIN
            )
            return
        if scope["type"] == "http":
            await self.app(scope, receive, send)
            return
        if self._sockets[address] >= self.max_sockets:
            await refuse(scope, send, 429, "too many sockets from this address", CLOSE_TRY_AGAIN)
            return
        self._sockets[address] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self._sockets[address] -= 1
            if not self._sockets[address]:
                del self._sockets[address]


class JSONOnly:
    """Every request that changes something (POST, PUT, PATCH) must say
    ``content-type: application/json``, with a body or without: a page of another site
    cannot send one without the browser asking first (CORS), so no state changes cross-site."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in CHANGES:
            content_type = dict(scope["headers"]).get(b"content-type", b"")
            media = content_type.split(b";", 1)[0].strip().lower()
            if media != b"application/json":
                await refuse(scope, send, 415, "content-type must be application/json", 0)
                return
        await self.app(scope, receive, send)


class Drain:
    """Knows the HTTP requests in flight; ``drain`` gives them ``grace`` seconds to finish,
    then ends the rest with a 503 (no traceback: the request's task is cancelled here, and
    nothing else sees it) and refuses new ones the same way."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._tasks: set[asyncio.Task[None]] = set()
        self.draining = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.draining:
            await refuse(scope, send, 503, "server shutting down", 0)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, tracking_send))
        self._tasks.add(task)
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if not task.cancelled() and not task.done():  # this request was cancelled
                task.cancel()
                raise
        finally:
            self._tasks.discard(task)
        if task.cancelled() and not started:
            await refuse(scope, send, 503, "server shutting down", 0)

    async def drain(self, grace: float) -> None:
        self.draining = True
        tasks = set(self._tasks)
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=grace)
        for task in late:
            task.cancel()
        for task in late:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def find(app: Any, kind: type[Any]) -> Any:
    """The middleware of ``kind`` in ``app``'s stack (built on its first call), or None."""
    layer = getattr(app, "middleware_stack", None)
    while layer is not None:
        if isinstance(layer, kind):
            return layer
        layer = getattr(layer, "app", None)
    return None
