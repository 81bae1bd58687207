"""WebSocket clients for ``bench.server``, run in their own process so that they do not share
the server's interpreter lock: ``python -m bench.load_clients MODE --url ws://... [...]``.

Modes (each prints one JSON object on stdout):

- ``stream``: one client sets ``speed`` 0 (train as fast as possible) and ``fps``, plays, and
  counts the frames it receives and the epochs they show over ``--seconds``;
- ``latency``: one paused client sends ``step`` ``--count`` times and times each until the
  frame showing the new epoch arrives;
- ``load``: ``--clients`` connections, each its own session at the defaults, all playing;
  counts every client's frames over ``--seconds``. With ``--view SIZE`` each first sends its
  view (neuron maps SIZE pixels square) as the page does, and gets binary frames.

Frames are recognized by their first bytes and their ``epoch`` read from there: decoding
every frame in full would make the clients, not the server, the bottleneck.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import statistics
import sys
import time
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

FRAME_PREFIX = '{"type":"frame",'
EPOCH = re.compile(r'"epoch":(\d+)')
CONNECT_TIMEOUT = 30.0


def frame_epoch(text: str) -> int | None:
    """The ``epoch`` of a frame message, or None for any other message."""
    if not text.startswith(FRAME_PREFIX):
        return None
    m = EPOCH.search(text, 0, 200)
    if m is None:
        raise ValueError("frame without an epoch")
    return int(m.group(1))


async def open_client(url: str) -> ClientConnection:
    ws = await connect(
        url, max_size=None, compression=None, proxy=None, open_timeout=CONNECT_TIMEOUT
    )
    hello = json.loads(await ws.recv())
    if hello.get("type") != "hello":
        raise RuntimeError(f"expected hello, got {hello.get('type')!r}")
    return ws


async def command(ws: ClientConnection, msg: dict[str, Any]) -> int | None:
    """Send a command and wait for its ack; returns the epoch of the last frame seen on the
    way (None if none came)."""
    await ws.send(json.dumps(msg))
    epoch = None
    while True:
        text = await ws.recv()
        if isinstance(text, bytes):  # a binary frame (after a view)
            continue
        e = frame_epoch(text)
        if e is not None:
            epoch = e
            continue
        reply = json.loads(text)
        if reply["type"] == "error":
            raise RuntimeError(f"{msg['type']}: {reply['message']}")
        if reply.get("command") == msg["type"]:
            return epoch


async def stream(url: str, fps: int, seconds: float, warmup: float) -> dict[str, Any]:
    async with await open_client(url) as ws:
        await command(ws, {"type": "config", "changes": {"speed": 0, "fps": fps}})
        await command(ws, {"type": "play"})
        start = time.perf_counter() + warmup
        end = start + seconds
        frames, size = [], 0
        while (now := time.perf_counter()) < end:
            text = await ws.recv()
            assert isinstance(text, str)
            e = frame_epoch(text)
            if e is not None and now >= start:
                frames.append((now, e))
                size += len(text)
        await command(ws, {"type": "pause"})
    (t0, e0), (t1, e1) = frames[0], frames[-1]
    return {
        "frames_per_s": (len(frames) - 1) / (t1 - t0),
        "epochs_per_s": (e1 - e0) / (t1 - t0),
        "frame_kib": size / len(frames) / 1024,
    }


async def latency(url: str, count: int) -> dict[str, Any]:
    rng = random.Random(0)
    times = []
    async with await open_client(url) as ws:
        epoch = None
        while epoch is None:  # a new viewer gets a frame at once
            text = await ws.recv()
            assert isinstance(text, str)
            epoch = frame_epoch(text)
        for _ in range(count):
            # Commands arrive at random moments, not in step with the frame clock.
            await asyncio.sleep(rng.uniform(0.0, 0.05))
            t0 = time.perf_counter()
            await ws.send(json.dumps({"type": "step", "epochs": 1}))
            while True:
                text = await ws.recv()
                assert isinstance(text, str)
                if frame_epoch(text) == epoch + 1:
                    break
            times.append(time.perf_counter() - t0)
            epoch += 1
    return {"latencies_s": times}


async def load(
    url: str, clients: int, seconds: float, warmup: float, view: int | None = None
) -> dict[str, Any]:
    conns = []
    for _ in range(clients):  # one at a time: the server builds each session in turn
        conns.append(await open_client(url))
    try:
        if view is not None:
            await asyncio.gather(*(command(ws, {"type": "view", "size": view}) for ws in conns))
        await asyncio.gather(*(command(ws, {"type": "play"}) for ws in conns))
        played = time.perf_counter()
        start = played + warmup
        end = start + seconds
        counts = [0] * clients
        total = [0]

        async def read(i: int, ws: ClientConnection) -> None:
            while (now := time.perf_counter()) < end:
                try:
                    text = await asyncio.wait_for(ws.recv(), end - now)
                except TimeoutError:
                    return
                frame = isinstance(text, bytes) or text.startswith(FRAME_PREFIX)
                total[0] += frame
                if frame and time.perf_counter() >= start:
                    counts[i] += 1

        cpu0 = time.process_time()
        window = [time.time() + warmup, time.time() + warmup + seconds]
        await asyncio.gather(*(read(i, ws) for i, ws in enumerate(conns)))
        cpu = time.process_time() - cpu0
        await asyncio.gather(*(ws.send(json.dumps({"type": "pause"})) for ws in conns))
    finally:
        await asyncio.gather(*(ws.close() for ws in conns), return_exceptions=True)
    fps = [c / seconds for c in counts]
    return {
        "frames_per_s": fps,
        "median": statistics.median(fps),
        "window": window,  # wall-clock seconds, to match the server's own records
        "client_cpu": cpu / (seconds + warmup),  # share of one core the clients used
        "frames_total": total[0],  # every frame received from play to the end
        "playing_s": end - played,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load_clients")
    parser.add_argument("mode", choices=["stream", "latency", "load"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--view", type=int, default=None)
    a = parser.parse_args(argv)
    if a.mode == "stream":
        result = asyncio.run(stream(a.url, a.fps, a.seconds, a.warmup))
    elif a.mode == "latency":
        result = asyncio.run(latency(a.url, a.count))
    else:
        result = asyncio.run(load(a.url, a.clients, a.seconds, a.warmup, a.view))
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
