"""Serving the app with uvicorn, configured in one place for the ``nn-playground`` command,
the tests and the benchmarks (so what is tested is what runs)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import socket
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import h11
import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from app.live.manager import SHUTTING_DOWN
from app.settings import Settings

GRACEFUL_SHUTDOWN = 3.0  # seconds open connections get on SIGTERM before they are closed
CLOSE_GOING_AWAY = 1001
T = TypeVar("T")
SESSION_IDS = re.compile(r"(/api/sessions/|[?&]session=)[^/?&\s\"]+")


def redact(text: str) -> str:
    """``text`` with every session id in a path or query replaced by ``…``."""
    return SESSION_IDS.sub(r"\1…", text)


class RedactSessionIds(logging.Filter):
    """Session ids are secrets (whoever has one drives the session): never in a log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def _redact_logs() -> None:
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSessionIds) for f in logger.filters):
            logger.addFilter(RedactSessionIds())


class GuardedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline: a client gets ``request_timeout``
    seconds to send a request's headers and body (from the connection's start, or from the
    request's first byte); past it the connection is dropped."""

    request_timeout = 10.0
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._waiting():
            if self._deadline is None:
                self._arm()
        elif self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        super().connection_lost(exc)

    def _waiting(self) -> bool:
        """Whether a request has begun and its headers or body are not all in."""
        state = self.conn.their_state
        return state is h11.SEND_BODY or (state is h11.IDLE and bool(self.conn.trailing_data[0]))

    def _arm(self) -> None:
        self._deadline = self.loop.call_later(self.request_timeout, self._expire)

    def _expire(self) -> None:
        self._deadline = None
        if self.transport.is_closing() or self.transport.get_protocol() is not self:
            return  # closed, or now a WebSocket
        if self._waiting():
            if self.flow.read_paused:  # the app has not read the body yet: not the client's
                self._arm()
                return
            self.transport.close()
        elif self.cycle is None:  # connected, and sent nothing
            self.transport.close()


class GuardedWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol, with two changes: a peer that leaves what the server
    sends unread for ``stall_timeout`` seconds (the socket's buffers full all along) is cut
    off, so its descriptor and its session are let go; and on shutdown a socket still open
    is closed with 1001 "server shutting down" (the app closes its pages so first)."""

    stall_timeout = 10.0
    linger = 2.0  # seconds a peer gets to stop sending after a close for a bad message
    _stall: asyncio.TimerHandle | None = None
    _lingering = False

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._stall is None:
            self._stall = self.loop.call_later(self.stall_timeout, self._stalled)

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._stall is not None:
            self._stall.cancel()
            self._stall = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._stall is not None:
            self._stall.cancel()
            self._stall = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return  # the rest of a refused message: read and dropped
        super().data_received(data)

    def handle_parser_exception(self) -> None:
        """A message too big, or not UTF-8: send the close frame, then keep reading what
        the peer is still sending until it stops (or ``linger`` passes) before closing.
        Closing at once with its data unread would reset the connection, and a reset can
        reach the peer before the close frame, which it would then never read."""
        assert self.conn.close_sent is not None
        close = self.conn.close_sent
        self.queue.put_nowait(
            {"type": "websocket.disconnect", "code": close.code, "reason": close.reason}
        )
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        self._lingering = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        # As a close timer, so that the app's end does not close the socket before it.
        self.close_timer = self.loop.call_later(self.linger, self.transport.close)

    def _stalled(self) -> None:
        self._stall = None
        logging.getLogger(__name__).info("a socket left its messages unread: cut off")
        self.transport.abort()

    def shutdown(self) -> None:
        if self.handshake_complete and self.initial_response is None and not self.close_sent:
            self.stop_keepalive()
            self.queue.put_nowait({"type": "websocket.disconnect", "code": CLOSE_GOING_AWAY})
            self.conn.send_close(CLOSE_GOING_AWAY, SHUTTING_DOWN)
            self.transport.write(b"".join(self.conn.data_to_send()))
            self.close_sent = True
            self.transport.close()
            return
        super().shutdown()


def uvicorn_config(app: ASGIApp, settings: Settings, **overrides: Any) -> uvicorn.Config:
    """One worker; WebSocket messages capped at ``max_message_bytes``; no per-message
    compression (a small compressed message could inflate to any size)."""
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "ws_max_size": settings.max_message_bytes,
        "ws_per_message_deflate": False,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN,
        "log_level": "info",
        "http": type(
            "H11Protocol", (GuardedH11Protocol,), {"request_timeout": settings.request_timeout}
        ),
        "ws": type(
            "WebSocketProtocol",
            (GuardedWebSocketProtocol,),
            {"stall_timeout": settings.stall_timeout},
        ),
        **overrides,
    }
    config = uvicorn.Config(app, **options)
    _redact_logs()  # after the config set logging up
    return config


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
    return port


class Server(uvicorn.Server):
    """A uvicorn server that lets the app wind down before uvicorn closes the connections:
    ``drain`` (the app's ``state.drain``) ends the HTTP requests in flight and closes the
    pages' sockets with the app's own code and reason."""

    def __init__(
        self, config: uvicorn.Config, drain: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        super().__init__(config)
        self.drain = drain

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:  # no new connections while the app winds down
            server.close()
        if self.drain is not None:
            try:
                await self.drain()
            except Exception:
                logging.getLogger(__name__).exception("draining the app failed")
        await super().shutdown(sockets)


class _Server(Server):
    """A server that says when its startup is over (listening, or failed), and keeps a
    handle on its event loop."""

    def __init__(
        self, config: uvicorn.Config, drain: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        super().__init__(config, drain)
        self.ready = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        try:
            await super().startup(sockets)
        finally:
            self.ready.set()


class ServerThread:
    """The app served by uvicorn on a free loopback port, on a thread of this process.

    ``wrap`` may put an ASGI wrapper (a probe) around the app. Use it as a context manager,
    or call ``start`` and ``stop``."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        wrap: Any = None,
        log_level: str = "warning",
    ) -> None:
        from app.main import create_app

        self.port = free_port()
        self.settings = dataclasses.replace(
            settings or Settings(), host="127.0.0.1", port=self.port
        )
        self.app = create_app(self.settings)
        served = wrap(self.app) if wrap is not None else self.app
        self.server = _Server(
            uvicorn_config(served, self.settings, log_level=log_level), self.app.state.drain
        )
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self, timeout: float = 15.0) -> ServerThread:
        self.thread.start()
        if not self.server.ready.wait(timeout) or not self.server.started:
            self.stop(timeout)
            raise RuntimeError(f"uvicorn did not start on 127.0.0.1:{self.port}")
        return self

    def stop(self, timeout: float = 15.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)

    def on_loop(self, fn: Callable[..., T], *args: Any, timeout: float = 15.0) -> T:
        """``fn(*args)`` run on the server's event loop (which owns the live state: the
        manager, its sessions, their mailboxes), from another thread; its result."""
        loop = self.server.loop
        if loop is None:
            raise RuntimeError("the server has not started")

        async def run() -> T:
            return fn(*args)

        return asyncio.run_coroutine_threadsafe(run(), loop).result(timeout)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
