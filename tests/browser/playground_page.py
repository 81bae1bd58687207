"""A playground page driven by Playwright, and the session behind it read over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import ConsoleMessage, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
VIEWPORT = (1280, 800)
FIRST_FRAME_MS = 15_000
WAIT_MS = 10_000

# The main canvas: 400×400 pixels, the view drawn inside a 24-pixel margin.
PLOT_PIXELS = 400
PLOT_PAD = 24

# The view's drawn pixels, quantized to 4 bits a channel: [distinct colours, fraction of
# pixels that are not white].
PLOT_COLOURS_JS = """([pad, size]) => {
  const ctx = document.getElementById('plot').getContext('2d');
  const d = ctx.getImageData(pad, pad, size, size).data;
  const seen = new Set();
  let coloured = 0;
  for (let i = 0; i < d.length; i += 4) {
    seen.add(((d[i] >> 4) << 8) | ((d[i + 1] >> 4) << 4) | (d[i + 2] >> 4));
    if (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240) coloured++;
  }
  return [seen.size, coloured / (d.length / 4)];
}"""


class Playground:
    """One browser page on the playground, with what the tests ask of it."""

    def __init__(self, page: Page, api: httpx.Client, base_url: str) -> None:
        self.page = page
        self.api = api
        self.base_url = base_url
        self.errors: list[str] = []  # console errors and uncaught exceptions
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc.stack or exc}"))

    def _console(self, msg: ConsoleMessage) -> None:
        if msg.type == "error":
            self.errors.append(f"console: {msg.text}")

    # --- loading and waiting --------------------------------------------------------------

    def open(self, hash_: str = "") -> Playground:
        """Load the page (with a state hash) and wait until it has drawn a frame."""
        self.page.goto(f"{self.base_url}/{hash_}")
        self.wait_drawn()
        return self

    def wait_js(self, predicate: str, arg: Any = None, timeout: float = WAIT_MS) -> Any:
        """Wait until ``predicate(arg)``, evaluated in the page, is truthy; its value."""
        return self.page.wait_for_function(predicate, arg=arg, timeout=timeout).json_value()

    def stays_false(self, predicate: str, arg: Any = None, ms: float = 1000) -> bool:
        """True when ``predicate(arg)`` stays falsy for ``ms`` milliseconds: a bounded wait
        for something that should not happen."""
        try:
            self.page.wait_for_function(predicate, arg=arg, timeout=ms)
        except PlaywrightTimeout:
            return True
        return False

    def wait_drawn(self, at_least: int = 1, timeout: float = FIRST_FRAME_MS) -> None:
        self.wait_js(
            "n => window.playground && window.playground.stats.drawn >= n", at_least, timeout
        )

    def wait_epoch_at_least(self, epoch: int, timeout: float = WAIT_MS) -> int:
        value: int = self.wait_js(
            """n => { const e = Number(document.getElementById('epoch').dataset.epoch);
                      return e >= n ? e : 0; }""",
            epoch,
            timeout,
        )
        return value

    def wait_config(self, key: str, value: Any, timeout: float = WAIT_MS) -> None:
        """Wait until the page holds the session's reply with ``config[key] == value``."""
        self.wait_js(
            """([k, v]) => { const c = window.playground.app.config;
                            return c && JSON.stringify(c[k]) === JSON.stringify(v); }""",
            [key, value],
            timeout,
        )

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self.page.evaluate("() => window.playground.stats")
        return stats

    def plot_colours(self) -> tuple[int, float]:
        distinct, coloured = self.page.evaluate(
            PLOT_COLOURS_JS, [PLOT_PAD, PLOT_PIXELS - 2 * PLOT_PAD]
        )
        return int(distinct), float(coloured)

    # --- the page's controls and read-outs ------------------------------------------------

    def button(self, name: str) -> Locator:
        return self.page.get_by_role("button", name=name, exact=True)

    def epoch(self) -> int:
        return int(self.page.locator("#epoch").get_attribute("data-epoch") or "0")

    def train_loss(self) -> float:
        return float(self.page.locator("#loss-values").get_attribute("data-train") or "nan")

    def point_count(self) -> int:
        return int(self.page.locator("#point-count").get_attribute("data-count") or "0")

    def expect_status(self, status: str, timeout: float = WAIT_MS) -> None:
        expect(self.page.locator("#status")).to_have_attribute(
            "data-status", status, timeout=timeout
        )

    def expect_epoch(self, epoch: int, timeout: float = WAIT_MS) -> None:
        expect(self.page.locator("#epoch")).to_have_attribute(
            "data-epoch", str(epoch), timeout=timeout
        )

    def expect_point_count(self, n: int, timeout: float = WAIT_MS) -> None:
        expect(self.page.locator("#point-count")).to_have_attribute(
            "data-count", str(n), timeout=timeout
        )

    def plot_position(self, x: float, y: float) -> dict[str, float]:
        """Where data point (x, y) is drawn, in CSS pixels from the canvas's corner."""
        box = self.page.locator("#plot").bounding_box()
        assert box is not None, "the plot is not displayed"
        (x0, x1), (y0, y1) = self.page.evaluate("() => window.playground.app.state.domain")
        size = PLOT_PIXELS - 2 * PLOT_PAD
        px = PLOT_PAD + (x - x0) / (x1 - x0) * size
        py = PLOT_PAD + (1 - (y - y0) / (y1 - y0)) * size
        return {"x": px * box["width"] / PLOT_PIXELS, "y": py * box["height"] / PLOT_PIXELS}

    def click_plot(self, x: float, y: float, **kwargs: Any) -> None:
        self.page.locator("#plot").click(position=self.plot_position(x, y), **kwargs)

    def set_range(self, selector: str, value: float) -> None:
        """Set a range input as dragging it would: input events, then a change event."""
        self.page.locator(selector).evaluate(
            """(el, v) => {
                el.value = String(v);
                el.dispatchEvent(new Event('input', { bubbles: true }));
                el.dispatchEvent(new Event('change', { bubbles: true }));
            }""",
            value,
        )

    # --- the session behind the page, over HTTP -------------------------------------------

    def session_id(self) -> str:
        sid: str = self.page.evaluate("() => window.playground.app.sessionId")
        assert sid, "the page has no session"
        return sid

    def get(self, suffix: str = "", **params: Any) -> dict[str, Any]:
        r = self.api.get(f"/api/sessions/{self.session_id()}{suffix}", params=params)
        r.raise_for_status()
        body: dict[str, Any] = r.json()
        return body

    def session_state(self) -> dict[str, Any]:
        return self.get()

    def export(self) -> dict[str, Any]:
        return self.get("/export")

    def step(self, epochs: int) -> dict[str, Any]:
        """Train the page's session over HTTP; the page follows through its socket."""
        r = self.api.post(f"/api/sessions/{self.session_id()}/step", json={"epochs": epochs})
        r.raise_for_status()
        body: dict[str, Any] = r.json()
        return body
