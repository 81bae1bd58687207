"""Through HAProxy against direct: ``python -m bench proxy``.

Servers and HAProxy run as processes of their own (``bench.cluster``); the WebSocket clients
(``bench.load_clients``) run in this process. Prints:

a. one replica, directly and through HAProxy, in rounds that alternate which goes first:
   one client streaming at 60 frames per second (full training speed): its frames per
   second; a paused client's command latency (p50, p95); then, at the same time, N clients
   directly and N through HAProxy, each its own session at the defaults (1 epoch per frame,
   30 frames per second), all playing in one window, so that both see the same load from
   the rest of the machine: frames per second per client (median, min) of each group and
   the ratio of the medians (the target: ≥ 0.95);
b. capacity through the proxy: three replicas (one training process each), N clients through
   HAProxy: frames per second per client (median, min) and how the sessions spread.
"""

from __future__ import annotations

import asyncio
import statistics
from collections import Counter

import httpx
from websockets.asyncio.client import ClientConnection

from bench.cluster import Cluster
from bench.load_clients import FRAME_PREFIX, command, latency, load, open_client, stream

MACHINE = "machine: 2 shared cores, noisy; replicas and HAProxy in processes, clients here"
CLIENTS = 10
ROUNDS = 3
SECONDS = 5.0
WARMUP = 1.0
RATIO_TARGET = 0.95
CLIENT_FPS_FLOOR = 20.0
CAPACITY_STEPS = (20, 30, 40)
# One training process a replica; the sessions of a round's closed clients (paused: they cost
# nothing) stay until the end, so a round's new sessions are counted exactly.
REPLICA_ENV = {"NNP_WORKERS": "1", "NNP_MAX_SESSIONS": "400", "NNP_DETACHED_TTL": "600"}
STREAM_FPS = 60
LATENCY_COUNT = 30


def _ws(http_url: str) -> str:
    return http_url.replace("http://", "ws://") + "/ws"


def _run(url: str, clients: int) -> list[float]:
    fps: list[float] = asyncio.run(load(url, clients, SECONDS, WARMUP))["frames_per_s"]
    return fps


async def side_by_side(urls: dict[str, str], clients: int) -> dict[str, list[float]]:
    """``clients`` connections to each URL, opened in turn, all playing, their frames counted
    in one window: frames per second per client, by URL name."""
    conns = []
    for _ in range(clients):
        for name, url in urls.items():
            conns.append((name, await open_client(url)))
    try:
        await asyncio.gather(*(command(ws, {"type": "play"}) for _, ws in conns))
        loop = asyncio.get_running_loop()
        start = loop.time() + WARMUP
        end = start + SECONDS
        counts = [0] * len(conns)

        async def read(i: int, ws: ClientConnection) -> None:
            while (now := loop.time()) < end:
                try:
                    message = await asyncio.wait_for(ws.recv(), end - now)
                except TimeoutError:
                    return
                frame = isinstance(message, bytes) or message.startswith(FRAME_PREFIX)
                if frame and loop.time() >= start:
                    counts[i] += 1

        await asyncio.gather(*(read(i, ws) for i, (_, ws) in enumerate(conns)))
    finally:
        await asyncio.gather(*(ws.close() for _, ws in conns), return_exceptions=True)
    result: dict[str, list[float]] = {name: [] for name in urls}
    for (name, _), count in zip(conns, counts, strict=True):
        result[name].append(count / SECONDS)
    return result


def direct_against_proxy() -> list[str]:
    lines = ["a. one replica, directly and through HAProxy"]
    fps: dict[str, list[float]] = {"direct": [], "proxy": []}
    streamed: dict[str, list[float]] = {"direct": [], "proxy": []}
    waits: dict[str, list[float]] = {"direct": [], "proxy": []}
    with Cluster(1, env=REPLICA_ENV) as cluster:
        urls = {"direct": _ws(cluster.replica_url("r1")), "proxy": _ws(cluster.url)}
        for k in range(ROUNDS):
            for name in ("direct", "proxy") if k % 2 == 0 else ("proxy", "direct"):
                one = asyncio.run(stream(urls[name], STREAM_FPS, SECONDS, WARMUP))
                streamed[name].append(one["frames_per_s"])
                waits[name] += asyncio.run(latency(urls[name], LATENCY_COUNT))["latencies_s"]
            both = asyncio.run(side_by_side(urls, CLIENTS))
            for name in urls:
                fps[name] += both[name]
    for name in ("direct", "proxy"):
        ms = sorted(1000 * w for w in waits[name])
        lines.append(
            f"   {name:6s} one client at {STREAM_FPS} fps: "
            f"{statistics.median(streamed[name]):.1f} frames/s, command to frame p50 "
            f"{ms[len(ms) // 2]:.0f} ms, p95 {ms[int(0.95 * len(ms))]:.0f} ms; "
            f"{CLIENTS} of 2×{CLIENTS} clients: median {statistics.median(fps[name]):.1f}, "
            f"min {min(fps[name]):.1f} frames/s"
        )
    ratio = statistics.median(fps["proxy"]) / statistics.median(fps["direct"])
    one = statistics.median(streamed["proxy"]) / statistics.median(streamed["direct"])
    verdict = "meets" if ratio >= RATIO_TARGET else "MISSES"
    lines.append(
        f"   proxy / direct: side by side (medians) {ratio:.3f} ({verdict} ≥ {RATIO_TARGET}); "
        f"one client, in turns {one:.3f}"
    )
    return lines


def _sessions(cluster: Cluster) -> Counter[str]:
    """Sessions each replica holds (those of earlier rounds stay until they expire)."""
    return Counter(
        {
            name: httpx.get(f"{cluster.replica_url(name)}/healthz").json()["sessions"]
            for name in cluster.names
        }
    )


def capacity() -> list[str]:
    lines = ["b. three replicas (one training process each) through HAProxy"]
    with Cluster(3, env=REPLICA_ENV) as cluster:
        for n in CAPACITY_STEPS:
            before = _sessions(cluster)
            fps = _run(_ws(cluster.url), n)
            spread = _sessions(cluster) - before
            ok = "pass" if min(fps) >= CLIENT_FPS_FLOOR else "fail"
            lines.append(
                f"   {n} clients: frames/s median {statistics.median(fps):.1f}, "
                f"min {min(fps):.1f} ({ok} ≥ {CLIENT_FPS_FLOOR:.0f}); new sessions per "
                f"replica {dict(sorted(spread.items()))}"
            )
    return lines


def run() -> list[str]:
    return [MACHINE, *direct_against_proxy(), *capacity()]


if __name__ == "__main__":
    import sys

    sys.stdout.write("\n".join(run()) + "\n")
