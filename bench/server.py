"""Speed of the live server: frames built, frames streamed, commands answered, sessions held.

A real uvicorn server runs in this process, on its own thread, on a free loopback port; the
WebSocket clients run in a subprocess (``bench.load_clients``) so that they do not take the
server's interpreter lock (they still share the machine's cores: their CPU is printed).
Prints:

a. the time to build a frame message and its size at resolution 100, for the default
   network (2 → 4 → 2 → 1, tanh) and the largest (6 hidden layers of 8), on a ``Session``
   directly (no server), best of several rounds;
b. one client at full training speed (``speed`` 0) over loopback: frames per second
   received and epochs per second trained while streaming, at 30 and 60 frames per second;
c. command latency: while paused, the time from sending ``step`` to receiving the frame
   that shows the new epoch (p50, p95);
d. capacity: N clients, each its own session at the defaults (1 epoch per frame, 30 frames
   per second), all playing: frames per second per client (min, median) and the lag of the
   server's event loop (p99), measured by a probe task on that loop. The largest N where
   every client gets ≥ 20 frames/s and the lag p99 is ≤ 20 ms is the capacity.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from app.live.frames import dumps, frame_message
from app.serving import ServerThread
from app.settings import Settings
from app.training import Session

ROOT = Path(__file__).resolve().parents[1]
MACHINE = "machine: 2 shared cores, noisy; server in this process, clients in a subprocess"

NETWORKS = {
    "default": [{"units": 4, "activation": "tanh"}, {"units": 2, "activation": "tanh"}],
    "largest": [{"units": 8, "activation": "tanh"}] * 6,
}
FRAME_MS_TARGET = 2.0
FRAME_KIB_TARGET = 48.0
FPS_TOLERANCE = 0.02  # a frame rate this close to the session's fps meets it
EPOCHS_TARGET = 500.0
LATENCY_MS_TARGET = 100.0
CLIENT_FPS_FLOOR = 20.0
LAG_MS_CEILING = 20.0
SESSIONS_TARGET = 30
STREAM_SECONDS = 5.0
LOAD_SECONDS = 5.0
LOAD_STEP = 10
LOAD_MAX = 80
PROBE_PERIOD = 0.005


class LagProbe:
    """Wraps an ASGI app: while its lifespan runs, a task on the server's own event loop
    sleeps ``period`` again and again and records how late it wakes up."""

    def __init__(self, app: ASGIApp, period: float = PROBE_PERIOD) -> None:
        self.app, self.period = app, period
        self.samples: list[tuple[float, float]] = []  # (wall-clock time, lag in seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        task = asyncio.get_running_loop().create_task(self._probe())
        try:
            await self.app(scope, receive, send)
        finally:
            task.cancel()

    async def _probe(self) -> None:
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(self.period)
            lag = time.perf_counter() - t0 - self.period
            self.samples.append((time.time(), lag))

    def lags(self, start: float, end: float) -> list[float]:
        """The lags (seconds) recorded between wall-clock times ``start`` and ``end``."""
        return [lag for t, lag in list(self.samples) if start <= t <= end]


class LiveServer(ServerThread):
    """The app on a free loopback port, on a thread of this process, with a lag probe on its
    event loop."""

    def __init__(self, settings: Settings) -> None:
        self.probe: LagProbe
        # Every client of the bench comes from one address: no per-address budget.
        settings = dataclasses.replace(
            settings,
            client_requests_per_second=1e6,
            client_request_burst=10**6,
            max_sockets_per_client=10**4,
        )
        super().__init__(settings, wrap=self._wrap)

    def _wrap(self, app: ASGIApp) -> ASGIApp:
        self.probe = LagProbe(app)
        return self.probe

    @property
    def url(self) -> str:
        return self.ws_url

    def end_sessions(self) -> None:
        """End every session, so that none left playing by one measure loads the next."""
        self.on_loop(self.app.state.manager.close_all)


def clients(server: LiveServer, mode: str, *args: str, timeout: float = 60.0) -> dict[str, Any]:
    """Run ``bench.load_clients MODE`` against the server; its JSON result."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.load_clients", mode, "--url", server.url, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    server.end_sessions()
    if proc.returncode != 0:
        raise RuntimeError(f"clients ({mode}) failed:\n{proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def workers_cpu_seconds() -> float:
    """CPU time of the server's worker processes so far (from /proc; 0 without it)."""
    total = 0.0
    for child in multiprocessing.active_children():
        try:
            fields = Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def quantile(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ``values``."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * len(s)) - 1))]


def verdict(value: float, target: float, at_most: bool, tolerance: float = 0.0) -> str:
    """``value`` against ``target`` as a ratio, and whether it meets it (``at_most``: no more
    than the target; otherwise no less), within a relative ``tolerance``."""
    ok = value <= target * (1 + tolerance) if at_most else value >= target * (1 - tolerance)
    return f"{value / target:.2f}x target, {'ok' if ok else 'MISSED'}"


def best_seconds(fn: Callable[[], object], rounds: int = 7, repeat: int = 10) -> float:
    """Seconds per call of ``fn``: the best of ``rounds`` timings of ``repeat`` calls."""
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, (time.perf_counter() - t0) / repeat)
    return best


def frame_build() -> list[str]:
    lines = ["  a. frame message at resolution 100, built on a Session (no server), best of 7x10:"]
    for name, hidden in NETWORKS.items():
        session = Session({"hidden": hidden})
        session.step(5)

        def build(s: Session = session) -> str:
            return dumps(frame_message(s.snapshot(100), s.kind))

        ms = best_seconds(build) * 1e3
        kib = len(build()) / 1024
        line = f"     {name:8s} build {ms:6.2f} ms  size {kib:6.1f} KiB"
        if name == "default":
            line += (
                f"  (≤ {FRAME_MS_TARGET:g} ms: {verdict(ms, FRAME_MS_TARGET, True)}; "
                f"≤ {FRAME_KIB_TARGET:g} KiB: {verdict(kib, FRAME_KIB_TARGET, True)})"
            )
        lines.append(line)
    return lines


def streaming(server: LiveServer) -> list[str]:
    lines = [
        f"  b. one client, default network, speed 0 (full), {STREAM_SECONDS:g} s each "
        f"(the frame rate counts as met within {FPS_TOLERANCE:.0%}):"
    ]
    for fps in (30, 60):
        cpu0, wcpu0, t0 = cpu_seconds(), workers_cpu_seconds(), time.perf_counter()
        r = clients(server, "stream", "--fps", str(fps), "--seconds", str(STREAM_SECONDS))
        elapsed = time.perf_counter() - t0
        cpu = (cpu_seconds() - cpu0) / elapsed
        wcpu = (workers_cpu_seconds() - wcpu0) / elapsed
        lines.append(
            f"     fps {fps:2d}: {r['frames_per_s']:5.1f} frames/s "
            f"({verdict(r['frames_per_s'], fps, False, FPS_TOLERANCE)} of fps {fps})  "
            f"{r['epochs_per_s']:6.0f} epochs/s ({verdict(r['epochs_per_s'], EPOCHS_TARGET, False)}"
            f" of {EPOCHS_TARGET:g})  frame {r['frame_kib']:.1f} KiB  "
            f"CPU server {cpu:.0%} workers {wcpu:.0%}"
        )
    return lines


def latency(server: LiveServer, count: int = 50) -> list[str]:
    r = clients(server, "latency", "--count", str(count))
    ms = [t * 1e3 for t in r["latencies_s"]]
    p50, p95 = quantile(ms, 0.50), quantile(ms, 0.95)
    return [
        f"  c. step -> frame showing the new epoch, paused, {count} times: "
        f"p50 {p50:.1f} ms  p95 {p95:.1f} ms  max {max(ms):.1f} ms  "
        f"(p95 ≤ {LATENCY_MS_TARGET:g} ms: {verdict(p95, LATENCY_MS_TARGET, True)})"
    ]


def load_level(server: LiveServer, n: int) -> tuple[bool, str]:
    warmup = 1.0
    cpu0, wcpu0, t0 = cpu_seconds(), workers_cpu_seconds(), time.perf_counter()
    r = clients(
        server,
        "load",
        "--clients",
        str(n),
        "--seconds",
        str(LOAD_SECONDS),
        "--warmup",
        str(warmup),
        timeout=120.0,
    )
    elapsed = time.perf_counter() - t0
    cpu = (cpu_seconds() - cpu0) / elapsed
    wcpu = (workers_cpu_seconds() - wcpu0) / elapsed
    lags = [lag * 1e3 for lag in server.probe.lags(*r["window"])]  # while all were playing
    fps_min = min(r["frames_per_s"])
    ok = fps_min >= CLIENT_FPS_FLOOR and quantile(lags, 0.99) <= LAG_MS_CEILING
    line = (
        f"     N={n:3d}: frames/s per client min {fps_min:5.1f} median {r['median']:5.1f}  "
        f"loop lag p50 {quantile(lags, 0.5):5.1f} ms p99 {quantile(lags, 0.99):6.1f} ms  "
        f"CPU server {cpu:4.0%} workers {wcpu:4.0%} clients {r['client_cpu']:4.0%}  "
        f"{'ok' if ok else 'over'}"
    )
    return ok, line


def capacity(server: LiveServer) -> list[str]:
    lines = [
        f"  d. N clients, one session each, defaults (1 epoch/frame, 30 fps), playing, "
        f"{LOAD_SECONDS:g} s each;",
        f"     passes if every client gets ≥ {CLIENT_FPS_FLOOR:g} frames/s and loop lag p99 "
        f"≤ {LAG_MS_CEILING:g} ms (CPU: share of one core; 200% is both):",
    ]
    passed, failed = 0, None
    n = LOAD_STEP
    while n <= LOAD_MAX:
        ok, line = load_level(server, n)
        lines.append(line)
        if not ok:
            failed = n
            break
        passed, n = n, n + LOAD_STEP
    while failed is not None and failed - passed > 2:  # narrow it down between the two
        mid = (passed + failed) // 2
        ok, line = load_level(server, mid)
        lines.append(line)
        passed, failed = (mid, failed) if ok else (passed, mid)
    lines.append(
        f"     capacity: {passed} sessions"
        + (f" (over at {failed})" if failed is not None else f" (not reached by {LOAD_MAX})")
        + f"  (≥ {SESSIONS_TARGET}: {verdict(passed, SESSIONS_TARGET, False)})"
    )
    return lines


def run() -> list[str]:
    t0 = time.perf_counter()
    lines = [
        f"server (uvicorn + websockets over loopback), {MACHINE}; "
        f"load average (1 min) at the start {os.getloadavg()[0]:.1f}"
    ]
    lines += frame_build()
    with LiveServer(Settings(max_sessions=LOAD_MAX + 16)) as server:
        lines += streaming(server)
        lines += latency(server)
        lines += capacity(server)
    lines.append(
        f"  total {time.perf_counter() - t0:.0f} s; load average (1 min) at the end "
        f"{os.getloadavg()[0]:.1f} (other processes on the machine make every figure noisy)"
    )
    return lines
