"""Reading a real server's WebSocket messages (``websockets`` clients) as strict JSON."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from websockets.sync.client import ClientConnection

WAIT = 5.0  # seconds any expected message may take


def _refuse(name: str) -> Any:
    raise ValueError(f"{name} in a server message")


def parse(raw: str | bytes) -> dict[str, Any]:
    """A server message, parsed as strict JSON (NaN and Infinity raise)."""
    assert isinstance(raw, str), "the server sends text messages only"
    message: dict[str, Any] = json.loads(raw, parse_constant=_refuse)
    return message


def until(
    ws: ClientConnection, pred: Callable[[dict[str, Any]], bool], seconds: float = WAIT
) -> dict[str, Any]:
    """Receive (every message strictly parsed) until one satisfies ``pred``; TimeoutError
    after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        msg = parse(ws.recv(timeout=max(0.0, deadline - time.monotonic())))
        if pred(msg):
            return msg
