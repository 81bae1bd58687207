"""Serving the app with uvicorn, configured in one place for the ``nn-playground`` command,
the tests and the benchmarks (so what is tested is what runs)."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import threading
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from app.settings import Settings

GRACEFUL_SHUTDOWN = 3.0  # seconds open connections get on SIGTERM before they are closed


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
        **overrides,
    }
    return uvicorn.Config(app, **options)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
    return port


class _Server(uvicorn.Server):
    """A uvicorn server that says when its startup is over (listening, or failed), and
    keeps a handle on its event loop."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
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
        self.server = _Server(uvicorn_config(served, self.settings, log_level=log_level))
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

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
