"""How many pages one server carries: ``python -m bench capacity``.

A real uvicorn server (``bench.server.LiveServer``: this process, its own thread, the worker
processes of the default settings, a probe of its event loop's lag) and N WebSocket clients
in a subprocess (``bench.load_clients load --view``), each with its own session at the
defaults (2 → 4 → 2 → 1 tanh, resolution 50, one epoch a frame, 30 frames/s), each sending
its view as the page does (binary frames, neuron maps 32 pixels square), all playing. A
level passes when every client gets at least 20 frames/s and the loop's lag p99 is at most
20 ms; the largest level that passes is the capacity. The clients share the machine's cores
with the server (their CPU is printed): on a 2-core machine they take a good part of it, so
the figure is a floor of what the server alone carries.
"""

from __future__ import annotations

import os
import time

from app.settings import Settings
from bench.server import (
    CLIENT_FPS_FLOOR,
    LAG_MS_CEILING,
    LiveServer,
    clients,
    cpu_seconds,
    quantile,
    workers_cpu_seconds,
)

SESSIONS_TARGET = 100
LEVELS = (20, 30, 40, 50, 60, 70, 80, 90, 100, 130, 160, 200)
SECONDS = 6.0
WARMUP = 2.0
VIEW_SIZE = 32  # the default network's neuron maps, as the diagram draws them


def level(server: LiveServer, n: int) -> tuple[bool, str, float]:
    cpu0, wcpu0, t0 = cpu_seconds(), workers_cpu_seconds(), time.perf_counter()
    r = clients(
        server,
        "load",
        "--clients",
        str(n),
        "--seconds",
        str(SECONDS),
        "--warmup",
        str(WARMUP),
        "--view",
        str(VIEW_SIZE),
        timeout=60.0 + n,
    )
    elapsed = time.perf_counter() - t0
    cpu = (cpu_seconds() - cpu0) / elapsed
    wcpu = (workers_cpu_seconds() - wcpu0) / elapsed
    lags = [lag * 1e3 for lag in server.probe.lags(*r["window"])]
    fps = sorted(r["frames_per_s"])
    p99 = quantile(lags, 0.99)
    ok = fps[0] >= CLIENT_FPS_FLOOR and p99 <= LAG_MS_CEILING
    # CPU of the server's process and its workers per frame sent, all included (training,
    # building, sending), over the whole run: a little more than while playing alone.
    frames = max(r["frames_total"], 1)
    per_frame = (cpu + wcpu) * elapsed / frames * 1e3
    server_ms, workers_ms = cpu * elapsed / frames * 1e3, wcpu * elapsed / frames * 1e3
    line = (
        f"     N={n:3d}: frames/s per client min {fps[0]:5.1f} p10 {quantile(fps, 0.1):5.1f} "
        f"median {r['median']:5.1f}  loop lag p50 {quantile(lags, 0.5):5.1f} ms p99 "
        f"{p99:6.1f} ms  CPU server {cpu:4.0%} workers {wcpu:4.0%} clients "
        f"{r['client_cpu']:4.0%}  {'ok' if ok else 'over'}; {per_frame:.2f} ms CPU a frame "
        f"(server {server_ms:.2f}, workers {workers_ms:.2f})"
    )
    return ok, line, per_frame


def run() -> list[str]:
    t0 = time.perf_counter()
    workers = Settings().workers
    lines = [
        f"capacity (uvicorn + websockets over loopback, {workers} worker processes, clients in "
        f"a subprocess on the same {os.cpu_count()} cores; load average (1 min) at the start "
        f"{os.getloadavg()[0]:.1f}):",
        f"  N pages, one session each at the defaults, binary frames ({VIEW_SIZE}px neuron "
        f"maps), playing, {SECONDS:g} s each; a level passes if every page gets "
        f"≥ {CLIENT_FPS_FLOOR:g} frames/s and loop lag p99 ≤ {LAG_MS_CEILING:g} ms "
        "(CPU: share of one core):",
    ]
    passed, costs = 0, []
    with LiveServer(Settings(max_sessions=max(LEVELS) + 16)) as server:
        for n in LEVELS:
            ok, line, per_frame = level(server, n)
            lines.append(line)
            costs.append(per_frame)
            if not ok:
                break
            passed = n
    verdict = "ok" if passed >= SESSIONS_TARGET else "MISSED"
    cost = min(costs)
    cores = min(workers, os.cpu_count() or 1) or 1
    lines += [
        f"  capacity: {passed} sessions (≥ {SESSIONS_TARGET}: {verdict})",
        f"  from the CPU: {cost:.2f} ms a frame, all included, is "
        f"{cores * 1000 / (cost * CLIENT_FPS_FLOOR):.0f} sessions at "
        f"{CLIENT_FPS_FLOOR:g} frames/s on {cores} cores of their own (clients elsewhere)",
        f"  total {time.perf_counter() - t0:.0f} s; load average (1 min) at the end "
        f"{os.getloadavg()[0]:.1f}",
    ]
    return lines
