"""Always answering: while one session runs ``step 10000`` on a heavy but legal setting, how
long reads and a pause take. ``python -m bench answering``.

A real uvicorn server runs on a thread of this process with one worker process, so that
every session shares it; the clients are threads of this process. For each setting, one
page starts ``step 10000`` and, while it runs, the bench measures (p50 / p95 over the run):

- ``GET /healthz`` (answered by the server alone);
- ``GET /api/sessions/{id}`` of the stepping session (answered between two of its slices);
- ``GET /api/sessions/{id}`` of another session on the same worker;
- then the time from ``pause`` to the step's reply (it stops the step) and how many epochs
  the step had done.

The issue's target is 100 ms at the p95 for every one of them.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from websockets.sync.client import connect

from app.serving import ServerThread
from app.settings import Settings

SETTINGS: dict[str, dict[str, Any]] = {
    "8x16, 2000 points, batch 1": {
        "hidden": [{"units": 16, "activation": "tanh"}] * 8,
        "points": 2000,
        "batch_size": 1,
    },
    "6x8, 2000 points, batch 1": {
        "hidden": [{"units": 8, "activation": "tanh"}] * 6,
        "points": 2000,
        "batch_size": 1,
    },
    "evolution, population 200": {"method": "evolution", "population": 200, "points": 2000},
    "default": {},
}
SECONDS = 3.0
TARGET_MS = 100.0


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(http: httpx.Client, path: str) -> float:
    t0 = time.perf_counter()
    r = http.get(path)
    r.raise_for_status()
    return (time.perf_counter() - t0) * 1000


def reply(ws: Any, cid: int) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = json.loads(ws.recv(timeout=600))
        if message.get("id") == cid:
            return message


def measure(server: ServerThread, name: str, config: dict[str, Any]) -> str:
    with (
        httpx.Client(base_url=server.base_url, timeout=600, trust_env=False) as http,
        connect(server.ws_url, proxy=None, max_size=None) as ws,
    ):
        sid = json.loads(ws.recv())["session"]
        other = http.post("/api/sessions", json={}).json()["id"]
        ws.send(json.dumps({"type": "config", "id": 1, "changes": config}))
        assert reply(ws, 1)["type"] == "ack", name
        ws.send(json.dumps({"type": "step", "id": 2, "epochs": 10000}))
        times: dict[str, list[float]] = {"healthz": [], "own": [], "other": []}
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline:
            times["healthz"].append(timed(http, "/healthz"))
            times["own"].append(timed(http, f"/api/sessions/{sid}"))
            times["other"].append(timed(http, f"/api/sessions/{other}"))
        t0 = time.perf_counter()
        ws.send(json.dumps({"type": "pause", "id": 3}))
        step = reply(ws, 2)
        pause_ms = (time.perf_counter() - t0) * 1000
        http.delete(f"/api/sessions/{other}")
    parts = [
        f"{what} {quantile(ms, 0.5):.0f}/{quantile(ms, 0.95):.0f} ms" for what, ms in times.items()
    ]
    worst = max(quantile(ms, 0.95) for ms in times.values())
    verdict = "meets" if max(worst, pause_ms) <= TARGET_MS else "MISSES"
    return (
        f"  {name}: {', '.join(parts)} (p50/p95); pause → step reply {pause_ms:.0f} ms "
        f"after {step.get('epochs')} epochs; {verdict} {TARGET_MS:.0f} ms"
    )


def run() -> list[str]:
    out = [
        "answering while a session runs step 10000 (one worker; clients are threads of the "
        "server's process; machine: 2 shared cores, noisy)"
    ]
    settings = Settings(
        workers=1,
        client_requests_per_second=1e6,
        client_request_burst=10**6,
        max_sockets_per_client=10**4,
    )
    with ServerThread(settings) as server:
        for name, config in SETTINGS.items():
            out.append(measure(server, name, config))
    return out


if __name__ == "__main__":
    import sys

    sys.stdout.write("\n".join(run()) + "\n")
