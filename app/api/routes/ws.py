"""``/ws``: the live socket. Checks the origin before anything exists, then hands over."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket

from app.api.connection import CLOSE_POLICY, Connection
from app.live.manager import SessionManager, TooManySessions, TooManySockets
from app.settings import Settings

router = APIRouter(tags=["live"])

CLOSE_TRY_AGAIN = 1013
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def origin_allowed(origin: str | None, host: str | None, scheme: str, settings: Settings) -> bool:
    """A browser's ``Origin`` must be the server's own (same scheme, host and port as the
    request) or exactly one of ``allowed_origins``. Scripts send no Origin and pass;
    ``null`` and anything malformed fail. Compared whole, never by prefix."""
    if origin is None:
        return True
    if settings.allowed_origins:
        return origin in settings.allowed_origins
    try:
        o = urlsplit(origin)
        port = o.port or DEFAULT_PORTS.get(o.scheme)
    except ValueError:
        return False
    if o.scheme not in ("http", "https") or not o.hostname or o.path or o.query:
        return False
    http_scheme = {"ws": "http", "wss": "https"}.get(scheme, scheme)
    try:
        h = urlsplit(f"//{host}") if host else None
        host_port = (h.port if h else None) or DEFAULT_PORTS.get(http_scheme)
    except ValueError:
        return False
    if h is None or not h.hostname:
        return False
    return (o.scheme, o.hostname, port) == (http_scheme, h.hostname, host_port)


@router.websocket("/ws")
async def live(websocket: WebSocket, session: str | None = None) -> None:
    settings: Settings = websocket.app.state.settings
    manager: SessionManager = websocket.app.state.manager
    origin = websocket.headers.get("origin")
    if not origin_allowed(origin, websocket.headers.get("host"), websocket.url.scheme, settings):
        await websocket.close(code=CLOSE_POLICY, reason="origin not allowed")
        return
    if session is not None:
        try:
            runner = manager.get(session, connect=True)
        except KeyError:
            # Accepted first, so a page reconnecting to an ended session reads the reason
            # and starts a new one (a close before the handshake is a bare HTTP 403).
            await websocket.accept()
            await websocket.close(code=CLOSE_POLICY, reason="no such session")
            return
        except TooManySockets as exc:
            await websocket.accept()
            await websocket.close(code=CLOSE_POLICY, reason=str(exc)[:120])
            return
    else:
        try:
            runner = manager.create(  # built in its worker
                {"fps": settings.frame_rate}, settings.detached_ttl, connect=True
            )
        except TooManySessions as exc:
            # Accepted first: a close before the handshake reaches the client as a bare
            # HTTP 403, without the code and the reason that tell it to try again later.
            await websocket.accept()
            await websocket.close(code=CLOSE_TRY_AGAIN, reason=str(exc)[:120])
            return
    connection = None
    task = asyncio.current_task()
    sockets: set[asyncio.Task[None]] = websocket.app.state.sockets
    if task is not None:
        sockets.add(task)
    try:  # the session cannot expire while this socket uses it
        await websocket.accept()
        connection = Connection(websocket, runner, settings)
        await connection.run()
    finally:
        sockets.discard(task)
        manager.disconnect(runner, clean=connection is not None and connection.clean)
