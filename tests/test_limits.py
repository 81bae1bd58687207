"""Bounded clients on real servers: the per-address budget, sockets per address and per
session, HTTP requests that never finish, sockets that never read, clean closes, invalid
UTF-8, JSON-only state changes, and session ids kept out of the logs."""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import logging
import signal
import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from test_hardening import (
    WAIT,
    Live,
    closed_by_server,
    command,
    open_page,
    run_cli,
    serve,
    wait_for,
)
from wsclient import until

from app.serving import GuardedWebSocketProtocol, free_port
from app.settings import Settings

pytestmark = pytest.mark.timeout(120)

HEAVY = {
    "hidden": [{"units": 8, "activation": "tanh"} for _ in range(6)],
    "points": 2000,
    "batch_size": 1,
}


def read_until_closed(sock: socket.socket, seconds: float) -> float:
    """Read ``sock`` until the server closes it; the seconds that took."""
    t0 = time.monotonic()
    sock.settimeout(seconds)
    while sock.recv(4096):
        pass
    return time.monotonic() - t0


@contextlib.contextmanager
def captured() -> Iterator[list[str]]:
    """The lines uvicorn logs (access and connection), formatted; once the server runs (its
    config sets uvicorn's loggers up afresh)."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    handler = Keep()
    loggers = [logging.getLogger(n) for n in ("uvicorn.access", "uvicorn.error")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        yield lines
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


# --- protocol ----------------------------------------------------------------------------


def test_invalid_utf8_closes_with_1007() -> None:
    with serve(Settings()) as live, open_page(live.ws_url(), live.base) as ws:
        until(ws, lambda m: m["type"] == "hello")
        ws.send(b"\xff\xfe{}", text=True)
        assert closed_by_server(ws).rcvd is not None
        assert closed_by_server(ws).rcvd.code == 1007  # type: ignore[union-attr]


def test_session_ids_stay_out_of_the_logs() -> None:
    with serve(Settings()) as live, captured() as lines:
        sid = live.http.post("/api/sessions", json={}).json()["id"]
        assert live.http.get(f"/api/sessions/{sid}").status_code == 200
        with open_page(live.ws_url(f"?session={sid}"), live.base) as ws:
            until(ws, lambda m: m["type"] == "hello")
    text = "\n".join(lines)
    assert "/api/sessions/…" in text, text
    assert "session=…" in text, text
    assert sid not in text


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_state_changes_need_json_content_type(content_type: str | None) -> None:
    with serve(Settings()) as live:
        sid = live.http.post("/api/sessions", json={}).json()["id"]
        assert live.http.post(f"/api/sessions/{sid}/step", json={"epochs": 2}).status_code == 200
        headers = {"content-type": content_type} if content_type else {}
        for path, body in (("reset", b""), ("step", b'{"epochs": 1}')):
            r = live.http.post(f"/api/sessions/{sid}/{path}", content=body, headers=headers)
            assert r.status_code == 415
            assert r.json() == {"detail": "content-type must be application/json"}
        assert live.epoch(sid) == 2  # nothing changed
        r = live.http.post(
            f"/api/sessions/{sid}/reset", headers={"content-type": "application/json"}
        )
        assert r.status_code == 200 and live.epoch(sid) == 0


# --- per address and per session ---------------------------------------------------------


def test_requests_past_the_address_budget_get_429_and_sockets_1013() -> None:
    settings = Settings(client_request_burst=20, client_requests_per_second=0.5)
    with serve(settings) as live:
        codes = [live.http.get("/healthz").status_code for _ in range(25)]
        assert codes[:20] == [200] * 20
        assert set(codes[20:]) == {429}
        r = live.http.get("/healthz")
        assert r.json() == {"detail": "too many requests from this address, slow down"}
        assert r.headers["retry-after"] == "1"
        with open_page(live.ws_url(), live.base) as ws:
            closed = closed_by_server(ws).rcvd
        assert closed is not None and closed.code == 1013


def test_sockets_per_address_are_bounded() -> None:
    with serve(Settings(max_sockets_per_client=2)) as live:
        first = open_page(live.ws_url(), live.base)
        second = open_page(live.ws_url(), live.base)
        for ws in (first, second):
            until(ws, lambda m: m["type"] == "hello")
        with open_page(live.ws_url(), live.base) as third:
            closed = closed_by_server(third).rcvd
        assert closed is not None and (closed.code, closed.reason) == (
            1013,
            "too many sockets from this address",
        )
        first.close()
        wait_for(lambda: live.sessions() == 1, WAIT, "the first page's session to end")
        with open_page(live.ws_url(), live.base) as fourth:  # a place came free
            assert until(fourth, lambda m: True)["type"] == "hello"
        second.close()


def test_pages_per_session_are_bounded() -> None:
    with serve(Settings(max_sockets_per_session=2)) as live:
        sid = live.http.post("/api/sessions", json={}).json()["id"]
        url = live.ws_url(f"?session={sid}")
        with open_page(url, live.base) as a, open_page(url, live.base) as b:
            for ws in (a, b):
                until(ws, lambda m: m["type"] == "hello")
            with open_page(url, live.base) as c:
                closed = closed_by_server(c).rcvd
            assert closed is not None and closed.code == 1008
            assert closed.reason == "too many pages on this session (at most 2)"
            assert command(a, 1, "step")["type"] == "ack"  # the others carry on


# --- clients that hold on ----------------------------------------------------------------


@pytest.mark.parametrize(
    "sent",
    [
        b"",  # connected, and nothing
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1",  # headers never finished
        b"POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        b"content-length: 100\r\n\r\n{",  # a body never finished
    ],
    ids=["silent", "headers", "body"],
)
def test_unfinished_http_requests_are_dropped(sent: bytes) -> None:
    with serve(Settings(request_timeout=1.0)) as live:
        with socket.create_connection(("127.0.0.1", live.port)) as sock:
            sock.sendall(sent)
            took = read_until_closed(sock, 5.0)
        assert 0.9 < took < 3.0
        assert live.http.get("/healthz").status_code == 200


def test_a_slow_request_that_finishes_in_time_is_served() -> None:
    with serve(Settings(request_timeout=2.0)) as live:
        with socket.create_connection(("127.0.0.1", live.port)) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\n")
            time.sleep(0.5)  # the client is slow, not the server: this is the test's input
            sock.sendall(b"Host: 127.0.0.1\r\n\r\n")
            sock.settimeout(WAIT)
            assert sock.recv(4096).startswith(b"HTTP/1.1 200")


def test_a_socket_that_never_reads_is_cut_off_and_its_session_released() -> None:
    settings = Settings(stall_timeout=1.0, detached_ttl=1.0)
    with serve(settings) as live:
        slow = open_page(live.ws_url(), live.base, max_queue=1)
        slow.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sid = until(slow, lambda m: m["type"] == "hello")["session"]
        assert len(sockets(live)) == 1
        slow.send(json.dumps({"type": "config", "changes": {"points": 2000, "fps": 60}}))
        slow.send(json.dumps({"type": "play"}))
        for _ in range(60):  # replies of 100 kB or more, and it never reads again
            slow.send(json.dumps({"type": "export"}))
        t0 = time.monotonic()
        # (asking for the session would keep it alive: count the sessions instead)
        wait_for(lambda: live.sessions() == 0, 30.0, "the session to end")
        took = time.monotonic() - t0
        assert live.http.get(f"/api/sessions/{sid}").status_code == 404
        assert not sockets(live)  # the server's end is closed
        slow.socket.close()
    assert took < 20.0


def sockets(live: Live) -> list[GuardedWebSocketProtocol]:
    """The WebSocket connections the server holds open."""
    held = live.server.server.server_state.connections
    return [c for c in held if isinstance(c, GuardedWebSocketProtocol)]


def test_a_page_closing_cleanly_frees_its_session_at_once() -> None:
    with serve(Settings(detached_ttl=60.0)) as live:
        with open_page(live.ws_url(), live.base) as ws:
            sid = until(ws, lambda m: m["type"] == "hello")["session"]
        wait_for(lambda: live.http.get(f"/api/sessions/{sid}").status_code == 404, 2.0, "end")
        assert live.sessions() == 0


def test_a_dropped_page_keeps_its_session_for_the_detached_lifetime() -> None:
    with serve(Settings(detached_ttl=60.0)) as live:
        ws = open_page(live.ws_url(), live.base)
        sid = until(ws, lambda m: m["type"] == "hello")["session"]
        ws.socket.shutdown(socket.SHUT_RDWR)  # no close frame: the connection dropped
        ws.socket.close()
        wait_for(lambda: live.tasks() <= 4, WAIT, "the server to see the socket go")
        assert live.http.get(f"/api/sessions/{sid}").status_code == 200
        with open_page(live.ws_url(f"?session={sid}"), live.base) as again:
            assert until(again, lambda m: True)["session"] == sid


def test_a_page_closing_leaves_a_session_made_over_http() -> None:
    with serve(Settings()) as live:
        sid = live.http.post("/api/sessions", json={}).json()["id"]
        with open_page(live.ws_url(f"?session={sid}"), live.base) as ws:
            until(ws, lambda m: m["type"] == "hello")
        assert live.http.get(f"/api/sessions/{sid}").status_code == 200


# --- shutdown ----------------------------------------------------------------------------


def test_sigterm_answers_an_http_request_in_flight_and_logs_no_traceback() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with run_cli(port) as cli, httpx.Client(base_url=base, timeout=10.0, trust_env=False) as http:
        sid = http.post("/api/sessions", json={"config": HEAVY}).json()["id"]
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            step = pool.submit(http.post, f"/api/sessions/{sid}/step", json={"epochs": 10000})
            wait_for(lambda: http.get(f"/api/sessions/{sid}").json()["epoch"] > 0, WAIT, "training")
            t0 = time.monotonic()
            cli.proc.send_signal(signal.SIGTERM)
            answer = step.result(timeout=5.0)
        cli.proc.wait(max(0.0, t0 + 5.0 - time.monotonic()))
        took = time.monotonic() - t0
        log = cli.log()
    assert answer.status_code == 503
    assert answer.json() == {"detail": "server shutting down"}
    assert took < 5.0
    assert "Traceback" not in log and "CancelledError" not in log, log
