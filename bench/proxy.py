"""Through HAProxy against direct: ``python -m bench proxy``.

Servers and HAProxy run as processes of their own (``bench.cluster``); the WebSocket clients
(``bench.load_clients``) run in this process. Prints:

a. one replica, N clients each its own session at the defaults (1 epoch per frame, 30 frames
   per second), all playing: frames per second per client (median, min) when they connect
   to the replica directly and through HAProxy, in alternating rounds; the ratio of the
   medians (the target: ≥ 0.95);
b. capacity through the proxy: three replicas (one training process each), N clients through
   HAProxy: frames per second per client (median, min) and how the sessions spread.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter

import httpx

from bench.cluster import Cluster
from bench.load_clients import load

MACHINE = "machine: 2 shared cores, noisy; replicas and HAProxy in processes, clients here"
CLIENTS = 10
ROUNDS = 3
SECONDS = 5.0
WARMUP = 1.0
RATIO_TARGET = 0.95
CLIENT_FPS_FLOOR = 20.0
CAPACITY_STEPS = (20, 30, 40)
# One training process a replica; sessions of a round's closed clients end within a second,
# so that rounds do not add up against the session cap.
REPLICA_ENV = {"NNP_WORKERS": "1", "NNP_MAX_SESSIONS": "200", "NNP_DETACHED_TTL": "1"}


def _ws(http_url: str) -> str:
    return http_url.replace("http://", "ws://") + "/ws"


def _run(url: str, clients: int) -> list[float]:
    time.sleep(2 * float(REPLICA_ENV["NNP_DETACHED_TTL"]))  # the last round's sessions end
    fps: list[float] = asyncio.run(load(url, clients, SECONDS, WARMUP))["frames_per_s"]
    return fps


def direct_against_proxy() -> list[str]:
    lines = [f"a. one replica, {CLIENTS} clients at the defaults, direct and through HAProxy"]
    with Cluster(1, env=REPLICA_ENV) as cluster:
        results: dict[str, list[float]] = {"direct": [], "proxy": []}
        for _ in range(ROUNDS):
            results["direct"] += _run(_ws(cluster.replica_url("r1")), CLIENTS)
            results["proxy"] += _run(_ws(cluster.url), CLIENTS)
    for name, fps in results.items():
        lines.append(
            f"   {name:7s} frames/s per client: median {statistics.median(fps):.1f}, "
            f"min {min(fps):.1f}"
        )
    ratio = statistics.median(results["proxy"]) / statistics.median(results["direct"])
    verdict = "meets" if ratio >= RATIO_TARGET else "MISSES"
    lines.append(f"   proxy / direct (medians): {ratio:.3f} ({verdict} ≥ {RATIO_TARGET})")
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
