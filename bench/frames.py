"""What a frame costs: server time to build it and bytes per page per second.

For the default network (2 → 4 → 2 → 1 tanh, resolution 50), 6 hidden layers of 8
(resolution 100) and 8 hidden layers of 16 (resolution 50), all tanh on the circle data,
training:

- the time to build one frame (the session's snapshot, one batched pass over the grid, plus
  its encoding) as the page gets it (binary, neuron maps at the size the diagram draws them):
  the frames between the details (most of them while training) and the frames with metrics
  and gradients (four a second), wall clock and CPU time of this thread (less sensitive to
  the other processes on the machine); and the JSON frame of a client that never sent a view;
- the bytes a page receives per second at 30 frames/s while training one epoch per frame
  (frames built on a simulated 30 fps clock, so metrics and gradients come four times a
  second as they do live), binary and JSON;
- for 8 × 16 at resolution 200, the longest piece of ``frame_steps`` (the work between two
  of its yields), which the live scheduler serves other sessions between.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from app.live.frames import (
    SLOW_SECONDS,
    build_frame,
    dumps,
    frame_message,
    frame_steps,
    set_view,
)
from app.training import Session
from app.training.maps import finish

FPS = 30
SECONDS = 4  # of simulated play, for the byte rate
REPEAT = 60
TARGET_KIB_S = {"default": 96, "6x8": 256, "8x16": 512}
TARGET_MS = {"default": 1.0, "8x16": 2.0}
PIECE_MS_TARGET = 5.0

# name: (hidden layers, resolution, the diagram's drawn map size in pixels)
NETWORKS: dict[str, tuple[list[dict[str, Any]], int, int]] = {
    "default": ([{"units": 4, "activation": "tanh"}, {"units": 2, "activation": "tanh"}], 50, 32),
    "6x8": ([{"units": 8, "activation": "tanh"}] * 6, 100, 27),
    "8x16": ([{"units": 16, "activation": "tanh"}] * 8, 50, 18),
}


def timings(
    fn: Callable[[], object], before: Callable[[], object] | None = None
) -> tuple[float, float, float]:
    """Median and best wall time and median CPU time (ms) of ``fn`` over REPEAT calls (each
    after ``before``, untimed)."""
    wall, cpu = [], []
    for _ in range(REPEAT):
        if before is not None:
            before()
        t0, c0 = time.perf_counter(), time.thread_time()
        fn()
        cpu.append((time.thread_time() - c0) * 1000)
        wall.append((time.perf_counter() - t0) * 1000)
    return statistics.median(wall), min(wall), statistics.median(cpu)


def build_ms(s: Session, size: int) -> dict[str, tuple[float, float, float]]:
    """Frame build times (see ``timings``) for a page that draws its neuron maps ``size``
    pixels square: between the details, with them, and the JSON frame of a viewless client."""
    set_view(s, size, None, False)
    build_frame(s)  # the key frame and the details: the frames after it are the usual ones
    train = lambda: s.step(1)  # noqa: E731  (the maps move between frames, as they do live)
    out = {"frame": timings(lambda: build_frame(s), train)}
    view_clock = [0.0]

    def detailed() -> object:
        view_clock[0] += SLOW_SECONDS  # every frame due its details
        return finish(frame_steps(s, now=time.monotonic() + view_clock[0]))

    out["details"] = timings(detailed, train)
    out["json"] = timings(lambda: dumps(frame_message(s.snapshot(), s.kind)))
    return out


def bytes_per_second(s: Session, size: int) -> tuple[float, float]:
    """KiB per second a page receives while training at FPS, binary and JSON."""
    set_view(s, size, None, False)
    n = SECONDS * FPS
    binary = text = 0
    for k in range(n):
        s.step(1)
        binary += len(finish(frame_steps(s, now=k / FPS)))
        text += len(json.dumps(frame_message(s.snapshot(), s.kind)).encode())
    return binary / SECONDS / 1024, text / SECONDS / 1024


def longest_piece_ms(
    hidden: list[dict[str, Any]], resolution: int, size: int
) -> tuple[float, float]:
    """The longest piece of ``frame_steps`` (ms), wall clock and CPU time, the median over
    a few frames (after a first one, which lays out the grid and warms the caches)."""
    s = Session({"hidden": hidden, "resolution": resolution})
    s.step(5)
    s.playing = True
    set_view(s, size, 3, True)  # the heaviest: a neuron in full and the details every frame
    finish(frame_steps(s))
    wall, cpu = [], []
    for _ in range(9):
        s.step(1)
        steps, pieces = frame_steps(s), []
        done = False
        while not done:
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                next(steps)
            except StopIteration:
                done = True
            pieces.append((time.perf_counter() - t0, time.thread_time() - c0))
        wall.append(max(w for w, _ in pieces) * 1000)
        cpu.append(max(c for _, c in pieces) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def verdict(value: float, target: float) -> str:
    return f"≤ {target:g}: {'ok' if value <= target else 'MISSED'}"


def run() -> list[str]:
    lines = [
        f"frames (server side; one process, 2 shared cores; load average (1 min) "
        f"{os.getloadavg()[0]:.1f}: other processes make the wall times noisy, the CPU "
        "times and ratios less so; bytes are exact, on a simulated clock)"
    ]
    for name, (hidden, resolution, size) in NETWORKS.items():
        s = Session({"hidden": hidden, "resolution": resolution})
        s.step(20)
        s.playing = True
        ms = build_ms(s, size)
        s = Session({"hidden": hidden, "resolution": resolution})
        s.step(20)
        s.playing = True
        kib_bin, kib_json = bytes_per_second(s, size)
        frame, details, text = ms["frame"], ms["details"], ms["json"]
        target = TARGET_MS.get(name)
        # Judged on CPU time: on a shared machine the wall clock also counts the time the
        # other processes hold the cores.
        ok_ms = f" ({verdict(frame[2], target)} CPU)" if target is not None else ""
        lines.append(
            f"  {name:8s} res {resolution:3d}, maps {size}px: frame {frame[0]:.2f} ms median, "
            f"{frame[1]:.2f} best, {frame[2]:.2f} CPU{ok_ms}; with metrics and gradients "
            f"{details[0]:.2f} ms median, {details[2]:.2f} CPU; JSON frame {text[0]:.2f} ms"
        )
        lines.append(
            f"  {'':8s} {kib_bin:.0f} KiB/s at {FPS} fps ({verdict(kib_bin, TARGET_KIB_S[name])})"
            f"; JSON {kib_json:.0f} KiB/s"
        )
    wall, cpu = longest_piece_ms(NETWORKS["8x16"][0], 200, 18)
    lines.append(
        f"  8x16     res 200, a neuron in full, gradients every frame: longest piece of "
        f"frame_steps {wall:.2f} ms, {cpu:.2f} CPU ({verdict(cpu, PIECE_MS_TARGET)})"
    )
    return lines
