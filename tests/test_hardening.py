"""Hardening on real servers: origins and hosts, message size, floods, divergence,
disconnects, shutdown and slow clients.

Each server is uvicorn on a free loopback port, on a thread of this process (so its memory,
threads and event loop can be looked at), except for the shutdown tests, which run the
``nn-playground`` command in a subprocess and signal it. Clients are ``websockets``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ctypes
import gc
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

import httpx
import pytest
from clients import UNLIMITED_CLIENT
from loops import LoopThread, eventually
from websockets.asyncio.client import connect as aconnect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin
from wsclient import parse, until

from app.live.manager import Runner, SessionManager
from app.live.owner import OffLoop
from app.serving import ServerThread, free_port
from app.settings import Settings
from app.training import Session

T = TypeVar("T")

pytestmark = pytest.mark.timeout(120)

WAIT = 5.0  # seconds any expected message may take
MIB = 1024 * 1024
RESPONSIVE = 1.0  # seconds an HTTP request to a busy server may take


# --- servers ---------------------------------------------------------------------------


@dataclass
class Live:
    """A running server: its address, an HTTP client, the uvicorn server."""

    port: int
    http: httpx.Client
    server: ServerThread

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws_url(self, query: str = "") -> str:
        return f"ws://127.0.0.1:{self.port}/ws{query}"

    def sessions(self) -> int:
        count: int = self.http.get("/healthz").json()["sessions"]
        return count

    def points(self, sid: str) -> int:
        state = self.http.get(f"/api/sessions/{sid}").json()
        return int(state["points"]["train"] + state["points"]["test"])

    def epoch(self, sid: str) -> int:
        return int(self.http.get(f"/api/sessions/{sid}").json()["epoch"])

    def tasks(self) -> int:
        """Tasks alive on the server's event loop."""

        async def count() -> int:
            return len(asyncio.all_tasks())

        loop = self.server.server.loop
        assert loop is not None
        return asyncio.run_coroutine_threadsafe(count(), loop).result(WAIT)


@contextlib.contextmanager
def serve(settings: Settings) -> Iterator[Live]:
    """The app with ``settings``, configured as ``nn-playground`` configures uvicorn."""
    with (
        ServerThread(settings) as server,
        httpx.Client(base_url=server.base_url, timeout=WAIT, trust_env=False) as http,
    ):
        yield Live(server.port, http, server)
    assert not server.thread.is_alive()


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    with serve(Settings(**UNLIMITED_CLIENT)) as s:
        yield s


def rss() -> int:
    """Resident memory of this process (the in-thread servers' process), in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def trimmed_rss() -> int:
    """RSS once freed memory has gone back to the system: glibc keeps freed heap (one
    arena per busy thread) unless asked to return it."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)
    return rss()


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on a thread of its own: another test (Playwright's sync API) may have
    left an event loop running on this one."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def wait_for(pred: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:g} s waiting for {what}")
        time.sleep(0.02)


# --- messages --------------------------------------------------------------------------


def command(ws: ClientConnection, cid: int, kind: str, **fields: Any) -> dict[str, Any]:
    """Send a command and return its reply (ack, error or data)."""
    ws.send(json.dumps({"type": kind, "id": cid, **fields}))
    return until(ws, lambda m: m.get("id") == cid)


def open_page(url: str, origin: str | None = None, **kwargs: Any) -> ClientConnection:
    return connect(
        url,
        origin=None if origin is None else Origin(origin),
        open_timeout=WAIT,
        proxy=None,
        **kwargs,
    )


def closed_by_server(ws: ClientConnection, seconds: float = WAIT) -> ConnectionClosed:
    """Read until the connection closes; the ConnectionClosed it ends with."""
    with pytest.raises(ConnectionClosed) as info:
        until(ws, lambda m: False, seconds)
    return info.value


# --- 1. origins and hosts --------------------------------------------------------------


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "null",
        "http://localhost.evil.example",
        "http://127.0.0.1:{other}",
        "https://127.0.0.1:{port}",
    ],
)
def test_foreign_origin_is_refused_before_a_session_exists(live: Live, origin: str) -> None:
    other = live.port + 1 if live.port < 65535 else live.port - 1
    before = live.sessions()
    with pytest.raises(InvalidStatus) as info:
        open_page(live.ws_url(), origin.format(port=live.port, other=other))
    assert info.value.response.status_code == 403
    assert live.sessions() == before


def test_own_origin_is_accepted(live: Live) -> None:
    before = live.sessions()
    with open_page(live.ws_url(), live.base) as ws:
        assert until(ws, lambda m: True)["type"] == "hello"
        assert live.sessions() == before + 1


@pytest.fixture(scope="module")
def configured() -> Iterator[Live]:
    with serve(Settings(allowed_origins=("https://play.example.org",))) as s:
        yield s


def test_configured_origin_is_accepted(configured: Live) -> None:
    with open_page(configured.ws_url(), "https://play.example.org") as ws:
        assert until(ws, lambda m: True)["type"] == "hello"


@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1:{port}",  # the server's own, not on the list
        "http://play.example.org",
        "https://play.example.org:8443",
        "https://play.example.org.evil.example",
    ],
)
def test_only_the_configured_origin_is_accepted(configured: Live, origin: str) -> None:
    before = configured.sessions()
    with pytest.raises(InvalidStatus) as info:
        open_page(configured.ws_url(), origin.format(port=configured.port))
    assert info.value.response.status_code == 403
    assert configured.sessions() == before


def connect_as(live: Live, host: str, origin: str | None = None) -> ClientConnection:
    """Open ``/ws`` on the loopback server while sending ``Host: host``."""
    sock = socket.create_connection(("127.0.0.1", live.port), timeout=WAIT)
    return open_page(f"ws://{host}/ws", origin, sock=sock)


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}"])
def test_foreign_host_is_refused_over_http(live: Live, host: str) -> None:
    r = live.http.get("/healthz", headers={"host": host.format(port=live.port)})
    assert r.status_code == 400


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}"])
def test_foreign_host_is_refused_on_the_handshake(live: Live, host: str) -> None:
    """DNS rebinding: a page of evil.example resolved to 127.0.0.1 is same-origin with
    itself; only the Host header tells."""
    host = host.format(port=live.port)
    before = live.sessions()
    with pytest.raises(InvalidStatus) as info:
        connect_as(live, host, f"http://{host}")
    assert info.value.response.status_code == 400
    assert live.sessions() == before


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1"])
def test_loopback_host_is_accepted(live: Live, name: str) -> None:
    host = f"{name}:{live.port}"
    assert live.http.get("/healthz", headers={"host": host}).status_code == 200
    with connect_as(live, host, f"http://{host}") as ws:
        assert until(ws, lambda m: True)["type"] == "hello"


# --- 2. message size -------------------------------------------------------------------


def send_oversize(live: Live, sid: str, payload: str) -> ConnectionClosed:
    with open_page(live.ws_url(f"?session={sid}"), live.base) as ws:
        until(ws, lambda m: m["type"] == "hello")
        with pytest.raises(ConnectionClosed) as info:
            ws.send(payload)  # the server may close while this is still being written
            until(ws, lambda m: False)
    return info.value


def test_oversize_messages_close_with_1009_and_leave_memory_flat(live: Live) -> None:
    sid = live.http.post("/api/sessions", json={}).json()["id"]
    payload = json.dumps({"type": "get_state", "pad": "x" * MIB})
    for _ in range(3):  # warm up: allocator pools, buffers
        send_oversize(live, sid, payload)
    before = trimmed_rss()
    for _ in range(20):
        closed = send_oversize(live, sid, payload)
        assert closed.rcvd is not None, "no close frame"
        assert closed.rcvd.code == 1009
    assert trimmed_rss() - before < 4 * MIB


def test_per_message_compression_is_off(live: Live) -> None:
    with open_page(live.ws_url(), live.base, compression="deflate") as ws:
        assert ws.response is not None
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
        assert until(ws, lambda m: True)["type"] == "hello"


# --- 3. floods -------------------------------------------------------------------------


FLOOD = 5000


@dataclass
class Watch:
    """What an HTTP poller saw while a flood ran."""

    polls: int = 0
    failed: int = 0  # answers other than 200
    slowest: float = 0.0
    most_points: int = 0


def watch(live: Live, sid: str, stop: threading.Event, seen: Watch) -> None:
    with httpx.Client(base_url=live.base, timeout=WAIT, trust_env=False) as http:
        while not stop.is_set():
            t0 = time.monotonic()
            health = http.get("/healthz")
            seen.slowest = max(seen.slowest, time.monotonic() - t0)
            state = http.get(f"/api/sessions/{sid}")
            seen.polls += 1
            if health.status_code != 200 or state.status_code != 200:
                seen.failed += 1
                continue
            seen.most_points = max(seen.most_points, sum(state.json()["points"].values()))


async def flood(url: str, origin: str, on_hello: Callable[[str], None]) -> list[dict[str, Any]]:
    """Set 1,950 points, then send FLOOD add_point commands as fast as the socket takes
    them; returns the replies to them."""
    async with aconnect(
        url, origin=Origin(origin), compression=None, proxy=None, max_queue=None
    ) as ws:
        hello = parse(await ws.recv())
        await ws.send(json.dumps({"type": "config", "id": 0, "changes": {"points": 1950}}))
        while parse(await ws.recv()).get("id") != 0:
            pass
        on_hello(hello["session"])
        replies: list[dict[str, Any]] = []

        async def read() -> None:
            while len(replies) < FLOOD:
                msg = parse(await ws.recv())
                if msg["type"] == "ack" and msg.get("command") == "add_point":
                    replies.append(msg)
                elif msg["type"] == "error":
                    replies.append(msg)

        reader = asyncio.create_task(read())
        point = json.dumps({"type": "add_point", "x": [0.5, 0.5], "label": 1})
        for _ in range(FLOOD):
            await ws.send(point)
        await asyncio.wait_for(reader, 30.0)
        return replies


def test_flood_is_rate_limited_points_capped_and_server_responsive(live: Live) -> None:
    stop, seen = threading.Event(), Watch()
    watchers: list[threading.Thread] = []
    sids: list[str] = []

    def start_watching(sid: str) -> None:
        sids.append(sid)
        t = threading.Thread(target=watch, args=(live, sid, stop, seen), daemon=True)
        t.start()
        watchers.append(t)

    try:
        # A session made over HTTP: it outlives the page (one a page made ends with it).
        made = live.http.post("/api/sessions", json={}).json()["id"]
        replies = run_async(flood(live.ws_url(f"?session={made}"), live.base, start_watching))
    finally:
        stop.set()
        for t in watchers:
            t.join(WAIT)
    assert len(watchers) == 1
    acks = [r for r in replies if r["type"] == "ack"]
    errors = [r["message"] for r in replies if r["type"] == "error"]
    limited = [e for e in errors if "rate limit" in e]
    full = [e for e in errors if "at most 2000 points" in e]
    busy = [e for e in errors if "waiting for their replies" in e]
    assert len(replies) == FLOOD
    assert len(acks) == 50  # 1,950 + 50 = the cap
    assert len(limited) > FLOOD // 2
    assert len(acks) + len(limited) + len(full) + len(busy) == FLOOD
    assert seen.polls >= 3
    assert seen.failed == 0
    assert seen.most_points <= 2000
    assert seen.slowest < RESPONSIVE
    assert live.points(sids[0]) == 2000


def test_past_max_sessions_a_page_is_refused_with_1013() -> None:
    with serve(Settings(max_sessions=3)) as small, contextlib.ExitStack() as stack:
        for _ in range(3):
            ws = stack.enter_context(open_page(small.ws_url(), small.base))
            until(ws, lambda m: m["type"] == "hello")
        assert small.sessions() == 3
        with open_page(small.ws_url(), small.base) as extra:
            closed = closed_by_server(extra)
        assert closed.rcvd is not None, "no close frame"
        assert closed.rcvd.code == 1013
        assert "maximum of 3 sessions" in closed.rcvd.reason
        assert small.sessions() == 3


# --- 4. divergence ---------------------------------------------------------------------


def diverging(activation: str, lr: float) -> dict[str, Any]:
    return {
        "dataset": "plane",
        "hidden": [{"units": 8, "activation": activation}] * 3,
        "lr": lr,
    }


@pytest.mark.parametrize("activation", ["relu", "linear"])
@pytest.mark.parametrize("lr", [3, 10])
def test_divergence_is_caught_by_the_step_that_blows_up(
    live: Live, activation: str, lr: float
) -> None:
    with open_page(live.ws_url(), live.base) as ws:
        until(ws, lambda m: m["type"] == "frame")
        assert command(ws, 1, "config", changes=diverging(activation, lr))["type"] == "ack"
        cid = 2
        for _ in range(50):
            ack = command(ws, cid, "step", epochs=1)
            cid += 1
            state = ack["state"]
            # A step whose loss came out non-finite is the step that says so.
            assert state["loss"]["train"] is not None or state["status"] == "diverged"
            frame = until(ws, lambda m, s=state: m["type"] == "frame" and m["epoch"] == s["epoch"])
            assert frame["status"] == state["status"]
            if state["status"] == "diverged":
                break
        else:
            pytest.fail("50 steps at this rate did not diverge")
        epoch = state["epoch"]
        assert ack["epochs"] == 0
        again = command(ws, cid, "step", epochs=5)
        assert (again["epochs"], again["state"]["epoch"]) == (0, epoch)
        assert again["state"]["status"] == "diverged"
        refused = command(ws, cid + 1, "play")
        assert refused["type"] == "error"
        assert "diverged" in refused["message"]
        assert command(ws, cid + 2, "get_state")["state"]["epoch"] == epoch


@pytest.mark.parametrize("activation", ["relu", "linear"])
def test_playing_pauses_on_divergence(live: Live, activation: str) -> None:
    with open_page(live.ws_url(), live.base) as ws:
        hello = until(ws, lambda m: m["type"] == "hello")
        assert command(ws, 1, "config", changes=diverging(activation, 10))["type"] == "ack"
        assert command(ws, 2, "play")["type"] == "ack"
        frame = until(ws, lambda m: m["type"] == "frame" and m["status"] == "diverged")
        epoch, sid = frame["epoch"], hello["session"]
        # Paused: every later look shows the same epoch and the same status.
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            state = live.http.get(f"/api/sessions/{sid}").json()
            assert (state["epoch"], state["status"]) == (epoch, "diverged")
            time.sleep(0.05)
        state = command(ws, 3, "get_state")["state"]
        assert (state["epoch"], state["status"]) == (epoch, "diverged")


# --- 5. disconnects --------------------------------------------------------------------


CYCLES, WARMUP_CYCLES, CONCURRENCY = 1000, 50, 20


async def cycle(url: str, origin: str, i: int) -> str:
    """Connect, play, and leave: cleanly, abruptly after the ack, or abruptly at once.
    Returns the session's id."""
    ws = await aconnect(
        url,
        origin=Origin(origin),
        compression=None,
        proxy=None,
        ping_interval=None,
        open_timeout=WAIT,
        close_timeout=WAIT,
    )
    try:
        hello = parse(await asyncio.wait_for(ws.recv(), WAIT))
        assert hello["type"] == "hello"
        await ws.send(json.dumps({"type": "play", "id": 1}))
        if i % 3 != 2:
            while parse(await asyncio.wait_for(ws.recv(), WAIT)).get("id") != 1:
                pass
        if i % 3 == 0:
            await ws.close()
        else:  # no close frame: the socket just goes away
            ws.transport.abort()
        return str(hello["session"])
    finally:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ws.wait_closed(), WAIT)


async def cycles(url: str, origin: str, n: int, ids: set[str]) -> list[BaseException]:
    """``n`` cycles, CONCURRENCY at a time; adds their sessions' ids to ``ids``; returns
    what went wrong."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(i: int) -> str:
        async with gate:
            return await cycle(url, origin, i)

    results = await asyncio.gather(*(one(i) for i in range(n)), return_exceptions=True)
    ids.update(r for r in results if isinstance(r, str))
    return [r for r in results if isinstance(r, BaseException)]


def test_a_session_a_socket_uses_does_not_expire() -> None:
    """However long a socket takes to attach (a loaded server), its session stays until
    the socket is done with it; the lifetime counts from then."""

    async def run() -> None:  # on a loop, which owns the manager, as in the server
        manager = SessionManager(Settings())
        await manager.start()
        try:
            made = manager.create({}, ttl=1e-6, connect=True)
            found = manager.get(manager.create({}, ttl=1e-6).id, connect=True)
            await eventually(lambda: time.monotonic() > made.last_active + 1e-3, WAIT)
            assert manager.expire() == 0
            assert len(manager) == 2
            manager.disconnect(made)
            manager.disconnect(found)

            def expired() -> bool:
                manager.expire()
                return len(manager) == 0

            await eventually(expired, WAIT, "the sessions to expire")
        finally:
            await manager.shut_down()

    asyncio.run(run())


def test_the_live_state_refuses_a_caller_off_its_loop() -> None:
    """The manager, its sessions and their mailboxes belong to the server's event loop: a
    call from another thread fails at once instead of racing with it."""
    loop = LoopThread()
    manager = SessionManager(Settings(workers=0))
    try:
        runner = loop.run(_started(manager))
        with pytest.raises(OffLoop):
            manager.create({})
        with pytest.raises(OffLoop):
            manager.get(runner.id)
        with pytest.raises(OffLoop):
            runner.submit(Session.state)
        assert loop.run(runner.call(Session.state))["epoch"] == 0  # on the loop: served
    finally:
        loop.run(manager.shut_down())
        loop.close()


async def _started(manager: SessionManager) -> Runner:
    await manager.start()
    return manager.create({})


@dataclass(frozen=True)
class Footprint:
    threads: int
    tasks: int
    rss: int


def settled(live: Live, ids: set[str]) -> Footprint:
    """Once the sessions ``ids`` have ended and their threads with them: the process's
    threads, the server loop's tasks, RSS."""
    names = {f"session-{sid}" for sid in ids}

    def ended() -> bool:
        return live.sessions() == 0 and not any(t.name in names for t in threading.enumerate())

    wait_for(ended, 15.0, "the sessions and their threads to end")
    return Footprint(threading.active_count(), live.tasks(), trimmed_rss())


def test_connect_play_disconnect_cycles_leave_nothing_behind() -> None:
    # A low frame rate keeps the server's time on connecting and leaving, not on drawing.
    settings = Settings(detached_ttl=0.5, max_sessions=CYCLES, frame_rate=5, **UNLIMITED_CLIENT)
    with serve(settings) as live:
        url, ids = live.ws_url(), set[str]()
        assert run_async(cycles(url, live.base, WARMUP_CYCLES, ids)) == []
        before = settled(live, ids)
        t0 = time.monotonic()
        failures = run_async(cycles(url, live.base, CYCLES, ids))
        assert failures == [], failures[:3]
        assert time.monotonic() - t0 < 60.0
        assert len(ids) == WARMUP_CYCLES + CYCLES
        after = settled(live, ids)
    assert after.threads <= before.threads + 2
    assert after.tasks <= before.tasks + 2
    # A session, its thread or its socket left behind would be 100 KiB or more a cycle.
    assert after.rss - before.rss < 20 * MIB


# --- 6. shutdown -----------------------------------------------------------------------


CLOSE_GOING_AWAY = 1001  # what every open page gets when the server shuts down


def cli_command() -> list[str]:
    script = Path(sys.executable).with_name("nn-playground")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app"]


@dataclass
class Command:
    """A running ``nn-playground`` and what it has logged."""

    proc: subprocess.Popen[bytes]
    log_file: IO[bytes]

    def log(self) -> str:
        self.log_file.seek(0)
        return self.log_file.read().decode(errors="replace")


@contextlib.contextmanager
def run_cli(port: int) -> Iterator[Command]:
    """``nn-playground --port PORT`` in a subprocess, once it answers /healthz."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NNP_")}
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [*cli_command(), "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:

            def answers() -> bool:
                assert proc.poll() is None, "the server exited"
                try:
                    r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1.0, trust_env=False)
                except httpx.TransportError:
                    return False
                return r.status_code == 200

            wait_for(answers, 30.0, "the server to answer")
            yield Command(proc, log)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(WAIT)


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    """Whether process ``pid`` exists and has not exited (a zombie has)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_the_command_turns_per_message_compression_down() -> None:
    port = free_port()
    with run_cli(port), open_page(f"ws://127.0.0.1:{port}/ws", compression="deflate") as ws:
        assert ws.response is not None
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
        assert until(ws, lambda m: True)["type"] == "hello"


def test_sigterm_closes_every_page_with_a_close_frame_and_exits_in_5_s() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with run_cli(port) as cli, contextlib.ExitStack() as stack:
        pages = [stack.enter_context(open_page(f"ws://127.0.0.1:{port}/ws", base)) for _ in "abc"]
        for ws in pages:
            until(ws, lambda m: m["type"] == "hello")
            assert command(ws, 1, "play")["type"] == "ack"
            until(ws, lambda m: m["type"] == "frame" and m["epoch"] >= 1)
        workers = children(cli.proc.pid)
        assert workers, "the sessions train in worker processes"
        t0 = time.monotonic()
        cli.proc.send_signal(signal.SIGTERM)
        closes = [closed_by_server(ws).rcvd for ws in pages]
        cli.proc.wait(max(0.0, t0 + 5.0 - time.monotonic()))
        assert time.monotonic() - t0 < 5.0
        log = cli.log()
    wait_for(lambda: not any(map(running, workers)), 2.0, "the worker processes to end")
    # uvicorn shuts down gracefully, then raises the signal again: the exit status says
    # SIGTERM, as for any process it ends.
    assert cli.proc.returncode == -signal.SIGTERM
    assert "Application shutdown complete" in log
    assert all(c is not None for c in closes), "a page saw the socket end without a close frame"
    assert [(c.code, c.reason) for c in closes if c is not None] == [
        (CLOSE_GOING_AWAY, "server shutting down")
    ] * 3


# --- 7. a client that never reads ------------------------------------------------------


SLOW_SECONDS = 5.0


def test_a_client_that_never_reads_costs_little_and_slows_no_one() -> None:
    with serve(Settings()) as live:
        with (
            open_page(live.ws_url(), live.base, max_queue=1) as slow,
            open_page(live.ws_url(), live.base) as normal,
        ):
            sid = until(slow, lambda m: m["type"] == "hello")["session"]
            until(normal, lambda m: m["type"] == "frame")
            before = peak = rss()
            slow.send(json.dumps({"type": "config", "changes": {"speed": 0}}))
            slow.send(json.dumps({"type": "play"}))  # and never reads again
            assert command(normal, 1, "play")["type"] == "ack"
            wait_for(lambda: live.epoch(sid) > 0, WAIT, "the slow client's session to train")
            start_epoch, frames = live.epoch(sid), 0
            deadline = time.monotonic() + SLOW_SECONDS
            while (left := deadline - time.monotonic()) > 0:
                with contextlib.suppress(TimeoutError):
                    frames += parse(normal.recv(timeout=left))["type"] == "frame"
                peak = max(peak, rss())
            trained = live.epoch(sid) - start_epoch
            slow.socket.shutdown(socket.SHUT_RDWR)  # it would not read a close frame either
    assert frames / SLOW_SECONDS >= 20
    assert peak - before < 20 * MIB
    assert trained > 100  # at full speed all along
