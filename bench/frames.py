"""What a frame costs: server time to build it and bytes per page per second.

For the default network (2 → 4 → 2 → 1 tanh, resolution 50), 6 hidden layers of 8
(resolution 100) and 8 hidden layers of 16 (resolution 50), all tanh on the circle data:
the time to build one frame (the session's snapshot, one batched pass over the grid, plus
its encoding) as the page gets it (binary, neuron maps at the size the diagram draws them)
and as a client that never sent a view gets it (JSON), measured in the same run; and the
bytes a page receives per second at 30 frames/s while training one epoch per frame (frames
built on a simulated 30 fps clock, so metrics and gradients come four times a second as
they do live).
"""

from __future__ import annotations

import json
import os
import statistics
import time
from typing import Any

from app.live.frames import View, build_frame, dumps, frame_bytes, frame_message, set_view
from app.training import Session

FPS = 30
SECONDS = 4  # of simulated play, for the byte rate
REPEAT = 40
TARGET_KIB_S = {"default": 96, "6x8": 256, "8x16": 512}
TARGET_MS = {"default": 1.0, "8x16": 2.0}

# name: (hidden layers, resolution, the diagram's drawn map size in pixels)
NETWORKS: dict[str, tuple[list[dict[str, Any]], int, int]] = {
    "default": ([{"units": 4, "activation": "tanh"}, {"units": 2, "activation": "tanh"}], 50, 32),
    "6x8": ([{"units": 8, "activation": "tanh"}] * 6, 100, 27),
    "8x16": ([{"units": 16, "activation": "tanh"}] * 8, 50, 18),
}


def build_ms(s: Session, size: int | None) -> tuple[float, float]:
    """Median and best time (ms) of building one frame: binary for a page that draws its
    neuron maps ``size`` pixels square, JSON with ``size`` None."""
    if size is not None:
        set_view(s, size, None, False)
    times = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        if size is not None:
            build_frame(s)
        else:
            dumps(frame_message(s.snapshot(), s.kind))
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), min(times)


def bytes_per_second(s: Session, size: int) -> tuple[float, float]:
    """KiB per second a page receives while training at FPS, binary and JSON."""
    view = View(size=size)
    n = SECONDS * FPS
    binary = text = 0
    for k in range(n):
        s.step(1)
        snap = s.snapshot()
        binary += len(frame_bytes(snap, s.kind, view, now=k / FPS))
        text += len(json.dumps(frame_message(s.snapshot(), s.kind)).encode())
    return binary / SECONDS / 1024, text / SECONDS / 1024


def run() -> list[str]:
    lines = [
        f"frames (server side; one process, 2 shared cores; load average (1 min) "
        f"{os.getloadavg()[0]:.1f}: other processes make the times noisy, the ratios less so)"
    ]
    for name, (hidden, resolution, size) in NETWORKS.items():
        s = Session({"hidden": hidden, "resolution": resolution})
        s.step(20)
        s.playing = True
        json_ms = build_ms(s, None)
        bin_ms = build_ms(s, size)
        kib_bin, kib_json = bytes_per_second(s, size)
        target = TARGET_MS.get(name)
        verdict = "" if target is None else "ok" if bin_ms[0] <= target else "MISSED"
        ok_ms = f" (≤ {target:g} ms: {verdict})" if target is not None else ""
        ok_kib = "ok" if kib_bin <= TARGET_KIB_S[name] else "MISSED"
        lines.append(
            f"  {name:8s} res {resolution:3d}, maps {size}px: frame built in {bin_ms[0]:.2f} ms "
            f"median, {bin_ms[1]:.2f} best{ok_ms}; JSON frame {json_ms[0]:.2f} ms; "
            f"{kib_bin:.0f} KiB/s at {FPS} fps (≤ {TARGET_KIB_S[name]}: {ok_kib}); "
            f"JSON {kib_json:.0f} KiB/s"
        )
    return lines
