"""A real uvicorn server on a loopback port, driven by real clients (websockets, httpx)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
from clients import UNLIMITED_CLIENT
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin
from wsclient import parse, until

from app.live.messages import SHUTTING_DOWN
from app.live.owner import OffLoop
from app.serving import ServerThread
from app.settings import Settings

pytestmark = pytest.mark.timeout(60)

WAIT = 5.0  # seconds any expected message may take
LATENCY = 2.0  # seconds from a command to a frame showing it


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    """``http://127.0.0.1:PORT`` of a server running the app with default settings."""
    with ServerThread(Settings(**UNLIMITED_CLIENT)) as server:
        yield server.base_url
    assert not server.thread.is_alive()


@pytest.fixture(scope="module")
def http(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=WAIT) as c:
        yield c


def ws_url(base: str, query: str = "") -> str:
    return base.replace("http://", "ws://") + "/ws" + query


def open_page(base: str, query: str = "") -> ClientConnection:
    return connect(ws_url(base, query), origin=Origin(base), open_timeout=WAIT)


def sessions(http: httpx.Client) -> int:
    count: int = http.get("/healthz").json()["sessions"]
    return count


def test_page_gets_hello_then_a_frame(base: str) -> None:
    with open_page(base) as ws:
        deadline = time.monotonic() + WAIT
        assert parse(ws.recv(timeout=max(0.0, deadline - time.monotonic())))["type"] == "hello"
        frame = until(ws, lambda m: m["type"] == "frame")
    assert frame["epoch"] == 0


def test_play_makes_the_epochs_rise(base: str) -> None:
    with open_page(base) as ws:
        until(ws, lambda m: m["type"] == "frame")
        ws.send(json.dumps({"type": "play", "id": 1}))
        assert until(ws, lambda m: m.get("id") == 1)["type"] == "ack"
        first = until(ws, lambda m: m["type"] == "frame")["epoch"]
        later = until(ws, lambda m: m["type"] == "frame" and m["epoch"] >= first + 5)
    assert later["status"] == "training"


def test_command_shows_in_a_frame_within_the_bound(base: str) -> None:
    with open_page(base) as ws:
        until(ws, lambda m: m["type"] == "frame")
        t0 = time.monotonic()
        ws.send(json.dumps({"type": "config", "changes": {"hidden": [{"units": 3}]}}))
        until(ws, lambda m: m["type"] == "frame" and m["maps"]["count"] == 4, LATENCY)
    assert time.monotonic() - t0 < LATENCY


def test_oversize_message_closes_with_1009(base: str) -> None:
    with open_page(base) as ws:
        until(ws, lambda m: m["type"] == "hello")
        ws.send(json.dumps({"type": "get_state", "pad": "x" * 70_000}))
        with pytest.raises(ConnectionClosed) as info:
            until(ws, lambda m: False)
    assert info.value.rcvd is not None
    assert info.value.rcvd.code == 1009


def test_binary_message_closes_with_1003(base: str) -> None:
    with open_page(base) as ws:
        until(ws, lambda m: m["type"] == "hello")
        ws.send(b"\x00\x01")
        with pytest.raises(ConnectionClosed) as info:
            until(ws, lambda m: False)
    assert info.value.rcvd is not None
    assert info.value.rcvd.code == 1003


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://127.0.0.1:1"])
def test_foreign_origin_handshake_is_refused(base: str, http: httpx.Client, origin: str) -> None:
    before = sessions(http)
    with pytest.raises(InvalidStatus) as info:
        connect(ws_url(base), origin=Origin(origin), open_timeout=WAIT)
    assert info.value.response.status_code == 403
    assert sessions(http) == before


def test_unknown_host_is_refused(base: str) -> None:
    r = httpx.get(base + "/healthz", headers={"host": "evil.example"}, timeout=WAIT)
    assert r.status_code == 400


def test_page_attaches_to_a_session_made_over_http(base: str, http: httpx.Client) -> None:
    r = http.post("/api/sessions", json={"config": {"dataset": "xor"}})
    assert r.status_code == 201
    sid = r.json()["id"]
    http.post(f"/api/sessions/{sid}/step", json={"epochs": 2})
    with open_page(base, f"?session={sid}") as ws:
        hello = until(ws, lambda m: m["type"] == "hello")
        assert (hello["session"], hello["state"]["config"]["dataset"]) == (sid, "xor")
        until(ws, lambda m: m["type"] == "frame" and m["epoch"] == 2)
        http.post(f"/api/sessions/{sid}/step", json={"epochs": 1})
        assert until(ws, lambda m: m["type"] == "frame" and m["epoch"] == 3)["step"] == 75


def test_http_step_returns_the_new_state(http: httpx.Client) -> None:
    sid = http.post("/api/sessions", json={}).json()["id"]
    r = http.post(f"/api/sessions/{sid}/step", json={"epochs": 2})
    assert r.status_code == 200
    assert r.json()["state"]["epoch"] == 2


def test_the_live_state_is_reached_from_another_thread_only_through_the_loop() -> None:
    """The manager belongs to the server's event loop: called from this thread it refuses;
    run on the loop (``on_loop``) it ends the sessions, and their pages are told why."""
    with ServerThread(Settings(workers=0, **UNLIMITED_CLIENT)) as server:
        manager = server.app.state.manager
        with open_page(server.base_url) as ws:
            until(ws, lambda m: m["type"] == "frame")
            with pytest.raises(OffLoop):
                manager.close_all()
            assert server.on_loop(len, manager) == 1
            server.on_loop(manager.close_all)
            with pytest.raises(ConnectionClosed) as closed:
                until(ws, lambda m: False)
        assert closed.value.rcvd is not None
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1001, SHUTTING_DOWN)
        assert server.on_loop(len, manager) == 0
