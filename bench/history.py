"""What looking back costs: the server's time to build a past frame (``get_past``: the
snapshot's parameters copied into a copy of the network, one batched pass over the grid, the
JSON frame), its size on the wire, and the timeline's memory after a long run.

For the default network (2 → 4 → 2 → 1 tanh) and 8 hidden layers of 16, both at resolution
50 on the circle data, after 2000 epochs of 40 points (so the 8×16 timeline has been thinned
several times); past frames asked for at epochs spread over the run, as a dragged slider asks.
A past frame is built between two slices of the session's training, so its time is what a
drag adds to the session's work; the page asks for one at a time, so with the transfer and
the page's decoding it bounds how many epochs a second a drag shows. Most of the 8×16 time is
deflating its 129 maps at full resolution (every map of a JSON frame has the grid's size).
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

from app.live.frames import dumps
from app.live.ops import past_frame
from app.training import Session
from app.training.history import MAX_BYTES

EPOCHS = 2000
REPEAT = 40
TARGET_MS = {"default": 10.0, "8x16": 50.0}  # a drag shows 10 epochs a second or more

NETWORKS: dict[str, list[dict[str, Any]]] = {
    "default": [{"units": 4, "activation": "tanh"}, {"units": 2, "activation": "tanh"}],
    "8x16": [{"units": 16, "activation": "tanh"}] * 8,
}


def run() -> list[str]:
    lines = [
        f"history (server side; one process, 2 shared cores; load average (1 min) "
        f"{os.getloadavg()[0]:.1f}: other processes make the times noisy)"
    ]
    for name, hidden in NETWORKS.items():
        s = Session({"hidden": hidden, "resolution": 50, "points": 40, "batch_size": 20})
        s.step(EPOCHS)
        times, sizes = [], []
        for k in range(REPEAT):
            epoch = k * EPOCHS // REPEAT
            t0 = time.perf_counter()
            text = dumps(past_frame(s, epoch))
            times.append((time.perf_counter() - t0) * 1000)
            sizes.append(len(text))
        median = statistics.median(times)
        target = TARGET_MS[name]
        t = s.timeline
        lines.append(
            f"  {name:8s} past frame {median:6.2f} ms median ({min(times):.2f} best; target "
            f"{target:.0f} ms {'ok' if median <= target else 'MISSED'}), "
            f"{statistics.median(sizes) / 1024:.0f} KiB JSON; timeline after {EPOCHS} epochs: "
            f"{len(t.epochs)} snapshots every {t.stride} epochs, {t.nbytes / 1024:.0f} KiB "
            f"(budget {MAX_BYTES // 1024} KiB)"
        )
    return lines
