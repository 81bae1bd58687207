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

Then the page in headless Chromium (as ``bench.browser`` runs it): after 400 epochs, the
History slider is moved to 40 positions in turn, each time waiting until that epoch is drawn;
prints the time from the move to the drawn picture (request, build, transfer, decoding and
drawing), median and p95.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

import httpx
from playwright.sync_api import sync_playwright

from app.live.frames import dumps
from app.live.ops import past_frame
from app.serving import ServerThread
from app.settings import Settings
from app.training import Session
from app.training.history import MAX_BYTES
from bench.browser import CHROMIUM, CHROMIUM_ARGS, quantile

EPOCHS = 2000
REPEAT = 40
TARGET_MS = {"default": 10.0, "8x16": 50.0}  # a drag shows 10 epochs a second or more
PAGE_EPOCHS = 400
PAGE_MOVES = 40
PAGE_TARGET_MS = 100.0  # from a move to its picture, median

# Move the slider to ``epoch`` as a drag does; resolve with the milliseconds until it is drawn.
MOVE_JS = """epoch => new Promise((resolve) => {
  const h = window.playground.history, el = document.getElementById('history');
  const t0 = performance.now();
  el.value = String(epoch);
  el.dispatchEvent(new Event('input', { bubbles: true }));
  const check = () => (h.shown && h.shownFor === epoch && window.playground.app.frame.epoch <= epoch
    ? resolve(performance.now() - t0) : requestAnimationFrame(check));
  check();
})"""

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
    lines.extend(run_page())
    return lines


def run_page() -> list[str]:
    """The page: time from a move of the History slider to the past epoch drawn."""
    lines = []
    server = ServerThread(Settings()).start(15.0)
    try:
        with sync_playwright() as p, httpx.Client(base_url=server.base_url) as api:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name, hidden in NETWORKS.items():
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                link = ",".join(f"{h['units']}:{h['activation']}" for h in hidden)
                page.goto(f"{server.base_url}/#hidden={link}")
                page.wait_for_function("() => window.playground?.stats.drawn >= 1")
                sid = page.evaluate("() => window.playground.app.sessionId")
                api.post(
                    f"/api/sessions/{sid}/step", json={"epochs": PAGE_EPOCHS}
                ).raise_for_status()
                page.wait_for_function(
                    "n => Number(document.getElementById('history').max) === n", arg=PAGE_EPOCHS
                )
                times = [
                    float(page.evaluate(MOVE_JS, k * PAGE_EPOCHS // PAGE_MOVES))
                    for k in range(PAGE_MOVES)
                ]
                median = statistics.median(times)
                lines.append(
                    f"  {name:8s} page: a slider move drawn in {median:6.1f} ms median, "
                    f"{quantile(times, 0.95):.1f} ms p95 (target {PAGE_TARGET_MS:.0f} ms "
                    f"{'ok' if median <= PAGE_TARGET_MS else 'MISSED'})"
                )
                page.close()
            browser.close()
    finally:
        server.stop(15.0)
    return lines
