"""Server settings: every limit in one object, each overridable by an ``NNP_*`` variable."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields
from typing import Any

from app.cpus import usable_cpus

# Sessions one core carries at the defaults (one epoch per frame, 30 frames/s) with every page
# still drawing at least 20 frames/s: 60 on 2 cores, as usually measured (README, "Capacity").
SESSIONS_PER_CORE = 30
USABLE_CPUS = usable_cpus()
REPLICA_NAME = re.compile(r"[a-z0-9]{1,16}")

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    max_sessions: int = SESSIONS_PER_CORE * USABLE_CPUS
    max_message_bytes: int = 64 * 1024  # one WebSocket message
    max_body_bytes: int = 1024 * 1024  # one HTTP request body (imports carry every point)
    messages_per_second: float = 50.0  # per connection, sustained
    message_burst: int = 100  # per connection, short bursts
    session_ttl: float = 600.0  # seconds with no page and no request before a session ends
    detached_ttl: float = 30.0  # the same for a session a page opened, once its pages close
    frame_rate: int = 30  # default frames per second (each session can set its own)
    # Processes that train the sessions (one per usable core); 0: a thread of the server's process.
    workers: int = min(USABLE_CPUS, 8)
    max_send_queue: int = 64  # replies waiting for a client before it is cut off
    # Seconds a socket may leave a message unread (its buffers full) before it is closed.
    stall_timeout: float = 10.0
    # Seconds an HTTP request may take to send its headers and body before it is dropped.
    request_timeout: float = 10.0
    # Per client address, HTTP requests and socket openings together: sustained, burst.
    client_requests_per_second: float = 50.0
    client_request_burst: int = 200
    max_sockets_per_client: int = 32  # open sockets from one address
    max_sockets_per_session: int = 8  # pages watching one session
    shutdown_grace: float = 2.0  # seconds in-flight HTTP requests get on shutdown (then 503)
    # Exact origins ("https://host[:port]") allowed to open /ws; empty: the server's own.
    allowed_origins: tuple[str, ...] = ()
    # Host headers accepted; empty: loopback names when bound to loopback, any otherwise.
    allowed_hosts: tuple[str, ...] = ()
    # This server's name among replicas behind one proxy (lowercase letters and digits); the
    # ids of its sessions start with it, so the proxy routes them here. Empty: a lone server.
    replica: str = ""

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``NNP_<NAME>`` variables, then ``overrides``. Bad values raise
        ValueError naming the variable."""
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"NNP_{f.name.upper()}")
            if raw is None:
                continue
            default = getattr(cls, f.name)
            try:
                if isinstance(default, tuple):
                    values[f.name] = tuple(s.strip() for s in raw.split(",") if s.strip())
                elif isinstance(default, bool):
                    values[f.name] = raw.lower() in ("1", "true", "yes")
                elif isinstance(default, int):
                    values[f.name] = int(raw)
                elif isinstance(default, float):
                    values[f.name] = float(raw)
                else:
                    values[f.name] = raw
            except ValueError as exc:
                kind = type(default).__name__
                raise ValueError(f"NNP_{f.name.upper()} must be a {kind}") from exc
        values.update(overrides)
        s = cls(**values)
        s.check()
        return s

    def check(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, int | float) and f.name not in ("port", "workers"):
                if not value > 0:
                    raise ValueError(f"{f.name} must be positive")
        if not 0 <= self.workers <= 64:
            raise ValueError("workers must be from 0 to 64")
        if not 1 <= self.frame_rate <= 60:
            raise ValueError("frame_rate must be from 1 to 60")
        if self.replica and not REPLICA_NAME.fullmatch(self.replica):
            raise ValueError("replica must be 1 to 16 lowercase letters and digits")

    @property
    def hosts(self) -> tuple[str, ...]:
        """The Host header names accepted (``("*",)`` for any)."""
        if self.allowed_hosts:
            return self.allowed_hosts
        if self.host in LOOPBACK_HOSTS:
            return ("127.0.0.1", "localhost", "[::1]", "::1")
        return ("*",)
