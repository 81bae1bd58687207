"""Three real replicas behind a real HAProxy on loopback (``bench.cluster``): new sessions
spread over the replicas, every request for a session reaches the replica its id names (over
HTTP and over the WebSocket), and a replica that dies ends its own sessions only."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from bench.cluster import HAPROXY, Cluster

pytestmark = pytest.mark.timeout(120)

WAIT = 10.0  # seconds any expected answer may take (three servers and a proxy on 2 cores)


def message(ws: ClientConnection, seconds: float = WAIT) -> dict[str, Any] | None:
    """The next message as JSON (None for a binary frame)."""
    raw = ws.recv(timeout=seconds)
    return json.loads(raw) if isinstance(raw, str) else None


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    if not os.path.exists(HAPROXY):
        pytest.fail(f"HAProxy is missing: these tests need {HAPROXY} (apt-get install haproxy)")
    with Cluster(3) as c:
        yield c


@pytest.fixture(scope="module")
def proxy(cluster: Cluster) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=cluster.url, timeout=WAIT) as client:
        yield client


def counts(cluster: Cluster) -> dict[str, int]:
    return {
        name: httpx.get(f"{cluster.replica_url(name)}/healthz", timeout=WAIT).json()["sessions"]
        for name in cluster.names
        if cluster.replicas[name].poll() is None
    }


def new_session(proxy: httpx.Client) -> str:
    r = proxy.post("/api/sessions", json={"config": {"dataset": "xor"}})
    assert r.status_code == 201, r.text
    sid: str = r.json()["id"]
    return sid


def test_the_proxy_serves_the_page_and_health(proxy: httpx.Client) -> None:
    assert proxy.get("/healthz").json()["status"] == "ok"
    page = proxy.get("/")
    assert page.status_code == 200 and 'src="static/js/main.js"' in page.text


def test_replicas_log_the_client_address_the_proxy_forwards(
    cluster: Cluster, proxy: httpx.Client
) -> None:
    """HAProxy appends the address it saw to X-Forwarded-For; a replica trusts its proxy
    (127.0.0.1, uvicorn's default) and logs the client before it."""
    for _ in cluster.names:  # one request per replica, whichever the balancer picks
        proxy.get("/healthz", headers={"x-forwarded-for": "203.0.113.7"})
    deadline = time.monotonic() + WAIT
    while not any("203.0.113.7:" in cluster.log(name) for name in cluster.names):
        assert time.monotonic() < deadline, "no replica logged the forwarded address"
        time.sleep(0.1)


def test_new_sessions_spread_over_the_replicas(cluster: Cluster, proxy: httpx.Client) -> None:
    before = counts(cluster)
    ids = [new_session(proxy) for _ in range(6)]
    by_replica = Counter(sid.split("-", 1)[0] for sid in ids)
    assert set(by_replica) == set(cluster.names)
    after = counts(cluster)
    assert {n: after[n] - before[n] for n in cluster.names} == dict(by_replica)


def test_every_request_for_a_session_reaches_its_replica(proxy: httpx.Client) -> None:
    ids = [new_session(proxy) for _ in range(6)]
    for sid in ids:
        for _ in range(3):  # not a lucky guess of the balancer: each time
            r = proxy.post(f"/api/sessions/{sid}/step", json={"epochs": 2})
            assert r.status_code == 200, r.text
        assert proxy.get(f"/api/sessions/{sid}").json()["epoch"] == 6


def test_a_script_attaches_to_a_session_through_the_proxy(
    cluster: Cluster, proxy: httpx.Client
) -> None:
    sid = new_session(proxy)
    ws_url = cluster.url.replace("http://", "ws://") + f"/ws?session={sid}"
    with connect(ws_url, open_timeout=WAIT) as ws:
        hello = message(ws)
        assert hello is not None and hello["type"] == "hello" and hello["session"] == sid
        proxy.post(f"/api/sessions/{sid}/step", json={"epochs": 5})
        deadline = time.monotonic() + WAIT
        epoch = -1
        while epoch < 5:
            msg = message(ws, max(0.01, deadline - time.monotonic()))
            if msg is not None and msg.get("type") in ("frame", "state"):
                epoch = msg.get("epoch", epoch)
        assert epoch == 5


def test_a_page_opens_a_session_on_some_replica_through_the_proxy(cluster: Cluster) -> None:
    ws_url = cluster.url.replace("http://", "ws://") + "/ws"
    with connect(ws_url, origin=Origin(cluster.url), open_timeout=WAIT) as ws:
        hello = message(ws)
        assert hello is not None and hello["session"].split("-", 1)[0] in cluster.names


def test_a_dying_replica_ends_only_its_own_sessions(cluster: Cluster, proxy: httpx.Client) -> None:
    """Run last in this module: it kills r2."""
    ids = [new_session(proxy) for _ in range(6)]
    doomed = [sid for sid in ids if sid.startswith("r2-")]
    kept = [sid for sid in ids if not sid.startswith("r2-")]
    assert doomed and kept
    cluster.kill("r2")
    # Once HAProxy's checks see r2 down, its sessions' requests go to another replica,
    # which knows no such session; until then they may fail at the proxy (502/503).
    deadline = time.monotonic() + WAIT
    while proxy.post(f"/api/sessions/{doomed[0]}/step", json={"epochs": 1}).status_code != 404:
        assert time.monotonic() < deadline, "r2's sessions still answered"
        time.sleep(0.1)
    for sid in doomed:
        assert proxy.post(f"/api/sessions/{sid}/step", json={"epochs": 1}).status_code == 404
    for sid in kept:
        r = proxy.post(f"/api/sessions/{sid}/step", json={"epochs": 1})
        assert r.status_code == 200, r.text
    assert {new_session(proxy).split("-", 1)[0] for _ in range(4)} <= {"r1", "r3"}
    ws_url = cluster.url.replace("http://", "ws://") + f"/ws?session={doomed[0]}"
    with connect(ws_url, open_timeout=WAIT) as ws, pytest.raises(ConnectionClosed) as info:
        message(ws)
    assert info.value.rcvd is not None and info.value.rcvd.code == 1008
    assert "session" in info.value.rcvd.reason
