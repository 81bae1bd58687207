"""A client that never reads, next to clients that do: ``python -m bench slow``.

The server runs in this process (``bench.server.LiveServer``). Five normal clients, each its
own session at the defaults (1 epoch a frame, 30 frames per second), run in a subprocess
(``bench.load_clients load``) and count their frames: first without the slow client, then
for 60 s while it is there, then without it again. The slow client opens a session, sets it
to train as fast as the machine allows (``speed`` 0), plays, and from then on reads nothing.

Prints the server's memory (this process's RSS) at the start, at its peak and at the end,
the epochs the slow client's session trained, and the normal clients' frames per second with
and without the slow client; the target is a ratio within 10 %.
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from app.settings import Settings
from bench.server import MACHINE, LiveServer, clients, quantile

CLIENTS = 5
SLOW_SECONDS = 60.0
BASELINE_SECONDS = 15.0
WARMUP = 1.0
RATIO_TARGET = 0.90
SAMPLE_EVERY = 0.25  # seconds between looks at memory and at the slow session
MIB = 1024 * 1024


def rss() -> int:
    """Resident memory of this process (the server's), in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


class Sampler:
    """On a thread, until stopped: the peak RSS, and the last epoch of one session."""

    def __init__(self, base: str, session: str) -> None:
        self.url = f"{base}/api/sessions/{session}"
        self.peak = rss()
        self.epoch = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with httpx.Client(timeout=5.0, trust_env=False) as http:
            while not self._stop.wait(SAMPLE_EVERY):
                self.peak = max(self.peak, rss())
                r = http.get(self.url)
                if r.status_code == 200:
                    self.epoch = r.json()["epoch"]

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10.0)


def drain(ws: ClientConnection, seconds: float = 30.0) -> str:
    """Read what a socket holds until it closes; how it ended."""
    deadline = time.monotonic() + seconds
    try:
        while (left := deadline - time.monotonic()) > 0:
            ws.recv(timeout=left)
    except TimeoutError:
        pass
    except ConnectionClosed as exc:
        if exc.rcvd is None:
            return "dropped without a close frame"
        return f"closed by the server: {exc.rcvd.code} {exc.rcvd.reason!r}"
    return "still open"


def normal_clients(server: LiveServer, seconds: float) -> dict[str, Any]:
    """Frames per second of CLIENTS normal clients over ``seconds``, and the server's loop lag
    meanwhile. Every session is ended afterwards (the slow client's too)."""
    r = clients(
        server,
        "load",
        "--clients",
        str(CLIENTS),
        "--seconds",
        str(seconds),
        "--warmup",
        str(WARMUP),
        timeout=seconds + 60.0,
    )
    lags = [lag * 1e3 for lag in server.probe.lags(*r["window"])]
    r["lag_p99_ms"] = quantile(lags, 0.99) if lags else float("nan")
    return r


def describe(name: str, r: dict[str, Any]) -> str:
    fps = r["frames_per_s"]
    return (
        f"  {name:28s} frames/s per client min {min(fps):5.1f} median {r['median']:5.1f} "
        f"max {max(fps):5.1f}  loop lag p99 {r['lag_p99_ms']:5.1f} ms"
    )


def run() -> list[str]:
    t0 = time.perf_counter()
    lines = [
        f"slow client ({SLOW_SECONDS:g} s never reading, its session training at full speed) "
        f"next to {CLIENTS} normal clients; {MACHINE}; load average (1 min) at the start "
        f"{os.getloadavg()[0]:.1f}"
    ]
    with LiveServer(Settings()) as server:
        base = f"http://127.0.0.1:{server.port}"
        start = rss()
        before = normal_clients(server, BASELINE_SECONDS)
        ready = rss()
        with connect(
            server.url, proxy=None, compression=None, max_queue=1, ping_interval=None
        ) as slow:
            session = json.loads(slow.recv(timeout=10.0))["session"]
            slow.send(json.dumps({"type": "config", "changes": {"speed": 0}}))
            slow.send(json.dumps({"type": "play"}))  # and nothing is read from here on
            sampler = Sampler(base, session)
            slow_start = time.perf_counter()
            during = normal_clients(server, SLOW_SECONDS - WARMUP)
            slow_seconds = time.perf_counter() - slow_start
            sampler.stop()
            ending = drain(slow)
        after = normal_clients(server, BASELINE_SECONDS)
        end = rss()
    without = statistics.mean([before["median"], after["median"]])
    ratio = during["median"] / without
    lines += [
        f"  server memory (RSS): start {start / MIB:.1f} MiB, before the slow client "
        f"{ready / MIB:.1f} MiB, peak while it was there {sampler.peak / MIB:.1f} MiB "
        f"(+{(sampler.peak - ready) / MIB:.1f}), end {end / MIB:.1f} MiB",
        f"  slow client's session: {sampler.epoch} epochs in {slow_seconds:.0f} s "
        f"({sampler.epoch / slow_seconds:.0f} epochs/s) with nothing read; reading at last, "
        f"it found its socket {ending}",
        describe("without the slow client:", before),
        describe("with it:", during),
        describe("without it again:", after),
        f"  median frames/s with / without (mean of before and after): {ratio:.2f} "
        f"(target ≥ {RATIO_TARGET:.2f}: {'ok' if ratio >= RATIO_TARGET else 'MISSED'})",
        f"  total {time.perf_counter() - t0:.0f} s; load average (1 min) at the end "
        f"{os.getloadavg()[0]:.1f} (other processes on the machine make every figure noisy)",
    ]
    return lines
