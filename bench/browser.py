"""The page in headless Chromium: does drawing keep up with the stream, and does memory stay
flat over a long run?

A real uvicorn server runs on a thread of this process on a free loopback port; Chromium
(``/usr/bin/chromium`` through Playwright) opens the page, which creates its session at the
defaults (circle, 2 → 4 → 2 → 1 tanh, 1 epoch per frame, 30 frames per second), and plays
for ``SECONDS``. Prints frames received and drawn (a frame is skipped when a newer one
arrives while the page is still busy), draw time p50/p95 (the page's synchronous work per
frame: plot, diagram, read-outs), decode time p50/p95 (base64 + inflate of the maps, wall
time including waits on the event loop), and the JS heap after a forced garbage collection
at the start and every ``SAMPLE_SECONDS`` (the start is before the charts hold any
history; a flat line after the first samples means no leak).
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

from playwright.sync_api import Page, sync_playwright

from app.serving import ServerThread
from app.settings import Settings

MACHINE = "machine: 2 shared cores, noisy; server and Playwright in this process"
# Debian's Chromium, headless, as root, with no traffic of its own (the tests use the same).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MEMORY_ARGS = ["--enable-precise-memory-info", "--js-flags=--expose-gc"]
SECONDS = 120.0
SAMPLE_SECONDS = 10.0
DRAWN_SHARE_TARGET = 0.95
DRAW_MS_TARGET = 8.0

# Take the draw and decode times gathered so far (the page keeps a bounded list).
TAKE_TIMES_JS = """() => {
  const s = window.playground.stats;
  return { received: s.received, drawn: s.drawn,
           draw: s.drawMs.splice(0), decode: s.decodeMs.splice(0) };
}"""
HEAP_JS = "() => { window.gc(); return performance.memory.usedJSHeapSize; }"


def quantile(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ``values``."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * len(s)) - 1))]


def mib(n: float) -> str:
    return f"{n / 2**20:.2f} MiB"


def play(page: Page) -> dict[str, Any]:
    """Play for SECONDS; the frame counts, every draw and decode time, and the heap."""
    page.wait_for_function("() => window.playground && window.playground.stats.drawn >= 1")
    heap = [page.evaluate(HEAP_JS)]  # at the start, then after every sample
    start = page.evaluate(TAKE_TIMES_JS)
    draw: list[float] = []
    decode: list[float] = []
    page.get_by_role("button", name="Play", exact=True).click()
    t0 = time.monotonic()
    while (elapsed := time.monotonic() - t0) < SECONDS:
        page.wait_for_timeout(min(SAMPLE_SECONDS, SECONDS - elapsed) * 1000)
        sample = page.evaluate(TAKE_TIMES_JS)
        draw += sample["draw"]
        decode += sample["decode"]
        heap.append(page.evaluate(HEAP_JS))
    elapsed = time.monotonic() - t0
    end = page.evaluate(TAKE_TIMES_JS)
    page.get_by_role("button", name="Pause", exact=True).click()
    epoch = int(page.locator("#epoch").get_attribute("data-epoch") or "0")
    return {
        "seconds": elapsed,
        "received": end["received"] - start["received"],
        "drawn": end["drawn"] - start["drawn"],
        "draw": draw + end["draw"],
        "decode": decode + end["decode"],
        "heap": heap,
        "epoch": epoch,
    }


def run() -> list[str]:
    t0 = time.perf_counter()
    lines = [
        f"browser (headless Chromium, the page at its defaults, playing {SECONDS:.0f} s), "
        f"{MACHINE}; load average (1 min) at the start {os.getloadavg()[0]:.1f}"
    ]
    with ServerThread(Settings()) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + MEMORY_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(server.base_url + "/")
            r = play(page)
            version = browser.version
        finally:
            browser.close()
    share = r["drawn"] / max(1, r["received"])
    p50 = statistics.median(r["draw"])
    ok = "ok" if share >= DRAWN_SHARE_TARGET else "MISSED"
    heap = r["heap"]
    lines += [
        f"  Chromium {version}",
        f"  frames received {r['received']} ({r['received'] / r['seconds']:.1f}/s), "
        f"drawn {r['drawn']} ({share:.1%}; ≥ {DRAWN_SHARE_TARGET:.0%}: {ok}); "
        f"epoch reached {r['epoch']}",
        f"  draw time p50 {p50:.2f} ms, p95 {quantile(r['draw'], 0.95):.2f} ms "
        f"(p50 ≤ {DRAW_MS_TARGET:g} ms: {'ok' if p50 <= DRAW_MS_TARGET else 'MISSED'}); "
        f"decode p50 {statistics.median(r['decode']):.2f} ms, "
        f"p95 {quantile(r['decode'], 0.95):.2f} ms",
        f"  JS heap after GC: start {mib(heap[0])}, middle {mib(heap[len(heap) // 2])}, "
        f"end {mib(heap[-1])} (end − middle {mib(heap[-1] - heap[len(heap) // 2])}); "
        f"every {SAMPLE_SECONDS:g} s: {' '.join(f'{h / 2**20:.1f}' for h in heap)} MiB",
        f"  total {time.perf_counter() - t0:.0f} s; load average (1 min) at the end "
        f"{os.getloadavg()[0]:.1f} (other processes on the machine make every figure noisy)",
    ]
    return lines


# --- large networks: drawing, main thread, pause latency and bytes ------------------------

LARGE_SECONDS = 15.0
LARGE = {
    # name: (URL hash, drawn frames/s target)
    "default": ("", 25),
    "6x8 res 100": ("#hidden=" + ",".join(["8:tanh"] * 6) + "&resolution=100", 25),
    "8x16 res 50": ("#hidden=" + ",".join(["16:tanh"] * 8) + "&resolution=50", 25),
}
BUSY_TARGET = 0.5
DRAW_P95_TARGET = 8.0
PAUSE_TARGET_MS = 200.0
CPU_METRICS = ("TaskDuration", "ThreadTime", "ProcessTime")

# Press space (pause) in the page and time until the button says Play and a frame is painted.
PAUSE_JS = """() => new Promise((resolve) => {
  const play = document.getElementById('play');
  const t0 = performance.now();
  const done = () => requestAnimationFrame(() => resolve(performance.now() - t0));
  const seen = new MutationObserver(() => {
    if (play.getAttribute('aria-label') === 'Play') { seen.disconnect(); done(); }
  });
  seen.observe(play, { attributes: true, attributeFilter: ['aria-label'] });
  document.body.dispatchEvent(new KeyboardEvent('keydown', { key: ' ', bubbles: true }));
})"""


def play_large(page: Page, url: str, received: list[int]) -> dict[str, Any]:
    """Open ``url``, play for LARGE_SECONDS; frames drawn, main-thread busy share, draw
    times, bytes received, and how long Pause takes to show."""
    page.goto(url)
    page.wait_for_function(
        "() => window.playground && window.playground.stats.drawn >= 1", timeout=60_000
    )
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function("() => document.getElementById('status').dataset.status === 'training'")
    page.wait_for_timeout(2000)  # past the start
    page.evaluate(TAKE_TIMES_JS)

    def seconds() -> dict[str, float]:
        metrics = cdp.send("Performance.getMetrics")["metrics"]
        return {m["name"]: float(m["value"]) for m in metrics if m["name"] in CPU_METRICS}

    m0, bytes0, t0 = seconds(), sum(received), time.monotonic()
    start = page.evaluate(TAKE_TIMES_JS)
    page.wait_for_timeout(LARGE_SECONDS * 1000)
    end = page.evaluate(TAKE_TIMES_JS)
    elapsed = time.monotonic() - t0
    m1 = seconds()
    nbytes = sum(received) - bytes0
    pause_ms = page.evaluate(PAUSE_JS)
    return {
        "seconds": elapsed,
        "received": end["received"] - start["received"],
        "drawn": end["drawn"] - start["drawn"],
        "draw": end["draw"],
        # Wall time of the main thread's tasks (waits for a core included), and the CPU
        # time of the main thread and of the whole page's process (every thread).
        "busy": (m1["TaskDuration"] - m0["TaskDuration"]) / elapsed,
        "main_cpu": (m1["ThreadTime"] - m0["ThreadTime"]) / elapsed,
        "page_cpu": (m1["ProcessTime"] - m0["ProcessTime"]) / elapsed,
        "kib_s": nbytes / elapsed / 1024,
        "pause_ms": pause_ms,
        "epoch": int(page.locator("#epoch").get_attribute("data-epoch") or "0"),
    }


def run_large() -> list[str]:
    """The page on the default network, 6×8 at resolution 100 and 8×16 at resolution 50."""
    lines = [
        f"browser, large networks (headless Chromium at 1400×900, playing {LARGE_SECONDS:.0f} s "
        f"each at 30 frames/s, 1 epoch a frame), {MACHINE}; load average (1 min) at the start "
        f"{os.getloadavg()[0]:.1f}"
    ]
    with ServerThread(Settings()) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for name, (hash_, fps_target) in LARGE.items():
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                received: list[int] = []
                page.on(
                    "websocket",
                    lambda ws, got=received: ws.on(
                        "framereceived", lambda payload: got.append(len(payload))
                    ),
                )
                r = play_large(page, server.base_url + "/" + hash_, received)
                page.close()
                fps = r["drawn"] / r["seconds"]
                p95 = quantile(r["draw"], 0.95) if r["draw"] else float("nan")

                def ok(good: bool) -> str:
                    return "ok" if good else "MISSED"

                drawn = max(1, r["drawn"])
                lines += [
                    f"  {name}: received {r['received'] / r['seconds']:.1f}/s, drawn {fps:.1f}/s "
                    f"(≥ {fps_target}: {ok(fps >= fps_target)}; drawn/received "
                    f"{r['drawn'] / max(1, r['received']):.2f}); main thread busy "
                    f"{r['busy']:.0%} (< {BUSY_TARGET:.0%}: {ok(r['busy'] < BUSY_TARGET)}); "
                    f"draw p95 {p95:.1f} ms (≤ {DRAW_P95_TARGET:g}: {ok(p95 <= DRAW_P95_TARGET)}); "
                    f"Pause shown in {r['pause_ms']:.0f} ms "
                    f"(≤ {PAUSE_TARGET_MS:.0f}: {ok(r['pause_ms'] <= PAUSE_TARGET_MS)}); "
                    f"{r['kib_s']:.0f} KiB/s received; epoch {r['epoch']}",
                    f"    CPU: main thread {r['main_cpu']:.0%} of a core "
                    f"({1000 * r['main_cpu'] * r['seconds'] / drawn:.1f} ms a frame drawn), "
                    f"the page's process {r['page_cpu']:.0%} "
                    f"({1000 * r['page_cpu'] * r['seconds'] / drawn:.1f} ms a frame); "
                    f"busy wall/CPU {r['busy'] / max(1e-9, r['main_cpu']):.2f} "
                    "(above 1: the main thread waited for a core)",
                ]
        finally:
            browser.close()
    lines.append(
        f"  load average (1 min) at the end {os.getloadavg()[0]:.1f} "
        "(other processes on the machine make every figure noisy)"
    )
    return lines
