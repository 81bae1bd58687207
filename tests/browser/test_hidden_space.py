"""The Hidden space view: the data and the grid as a hidden layer sees them, drawn on the
page beside the output plot and kept up to date while the network trains."""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest
from playground_page import ARTIFACTS, ROOT, Playground

pytestmark = pytest.mark.browser

README_PICTURE = ROOT / "docs" / "hidden-space.png"
LINEAR_PLANE = "#hidden=2:linear&showTest=1"
WIDE = "#hidden=5:tanh,2:tanh"

# The last picture: the reply drawn, where each point went, and the canvas's colour there.
DRAWN_JS = """() => {
  const h = window.playground.hidden;
  if (!h.last) return null;
  const ctx = h.canvas.getContext('2d');
  const ink = h.pixels.map((p) => {
    if (!p) return null;
    const d = ctx.getImageData(Math.round(p[0]), Math.round(p[1]), 1, 1).data;
    return [d[0], d[1], d[2]];
  });
  return { reply: h.last, pixels: h.pixels, ink, raw: window.playground.app.points.x,
           drawn: h.drawn, visible: !h.canvas.classList.contains('hidden'),
           plotHidden: document.getElementById('plot').classList.contains('hidden') };
}"""


def open_view(pg: Playground, layer: int | None = None) -> None:
    pg.page.get_by_label("Hidden space", exact=True).check()
    if layer is not None:
        pg.page.get_by_label("Hidden layer").select_option(str(layer))
    pg.wait_js(
        """l => { const h = window.playground.hidden;
                  return h.last && (l === null || h.last.layer === l); }""",
        layer,
    )


def drawn(pg: Playground) -> dict[str, Any]:
    result: dict[str, Any] = pg.page.evaluate(DRAWN_JS)
    return result


def set_identity(pg: Playground) -> None:
    """The first layer's weights set to the identity and its biases to 0 over HTTP."""
    sid = pg.session_id()
    for layer, kind, index, value in [
        (0, "weight", [0, 0], 1.0),
        (0, "weight", [0, 1], 0.0),
        (0, "weight", [1, 0], 0.0),
        (0, "weight", [1, 1], 1.0),
        (0, "bias", [0], 0.0),
        (0, "bias", [1], 0.0),
    ]:
        r = pg.api.post(
            f"/api/sessions/{sid}/params",
            json={"layer": layer, "kind": kind, "index": index, "value": value},
        )
        r.raise_for_status()


def test_a_two_neuron_linear_layer_with_identity_weights_draws_the_raw_points(
    pg: Playground,
) -> None:
    pg.open(LINEAR_PLANE)
    pg.wait_config("hidden", [{"units": 2, "activation": "linear"}])
    set_identity(pg)
    open_view(pg, 1)
    pg.wait_js("() => window.playground.hidden.last.method === 'plane'")
    d = drawn(pg)
    assert d["visible"] and d["plotHidden"]
    raw, reply, pixels = d["raw"], d["reply"], d["pixels"]
    assert len(raw) == len(reply["points"]) == len(pixels) > 10
    for (x, y), (hx, hy) in zip(raw, reply["points"], strict=True):
        assert abs(hx - x) < 1e-3 and abs(hy - y) < 1e-3
    # The canvas draws the plane itself: x to the right, y up, one scale for both.
    xs = [p[0] for p in raw]
    i, j = xs.index(min(xs)), xs.index(max(xs))
    scale = (pixels[j][0] - pixels[i][0]) / (raw[j][0] - raw[i][0])
    assert scale > 0
    for (x, y), (px, py) in zip(raw, pixels, strict=True):
        assert abs((px - pixels[i][0]) - scale * (x - raw[i][0])) < 0.5
        assert abs((py - pixels[i][1]) + scale * (y - raw[i][1])) < 0.5
    # Each point is inked (not the white background) where it was drawn.
    assert sum(1 for c in d["ink"] if c and min(c) < 230) > 0.8 * len(raw)
    # Without "Show test data" the test points are left out, as on the output plot.
    tests = pg.page.evaluate("() => window.playground.hidden.last.test")
    assert any(tests)
    pg.page.get_by_label("Show test data").uncheck()
    pixels = pg.page.evaluate("() => window.playground.hidden.pixels")
    assert [p is None for p in pixels] == tests
    assert pg.errors == []


def test_a_wider_layer_is_drawn_through_pca(pg: Playground) -> None:
    pg.open(WIDE)
    pg.wait_config(
        "hidden", [{"units": 5, "activation": "tanh"}, {"units": 2, "activation": "tanh"}]
    )
    options = pg.page.locator("#hidden-layer option").all_inner_texts()
    assert options == ["layer 1 (5)", "layer 2 (2)"]
    open_view(pg, 1)
    d = drawn(pg)
    assert (d["reply"]["method"], d["reply"]["units"]) == ("pca", 5)
    assert 0.0 <= sum(d["reply"]["explained"]) <= 1.0 + 1e-6
    assert "principal axes" in pg.page.locator("#hidden-note").inner_text()
    open_view(pg, 2)
    assert drawn(pg)["reply"]["method"] == "plane"
    # Closing the view brings the output plot back.
    pg.page.get_by_label("Hidden space", exact=True).uncheck()
    assert not pg.page.evaluate(
        "() => document.getElementById('plot').classList.contains('hidden')"
    )
    assert pg.errors == []


def test_the_view_follows_training_live(pg: Playground) -> None:
    pg.open("#hidden=4:tanh&lr=0.3")
    open_view(pg, 1)
    first = drawn(pg)
    picture = "() => window.playground.hidden.canvas.toDataURL()"
    before = pg.page.evaluate(picture)
    pg.button("Play").click()
    pg.expect_status("training")
    pg.wait_js(
        "n => window.playground.hidden.drawn >= n + 3 && window.playground.hidden.last.epoch > 0",
        first["drawn"],
    )
    assert pg.page.evaluate(picture) != before
    later = drawn(pg)
    assert later["reply"]["epoch"] > first["reply"]["epoch"]
    assert later["reply"]["points"] != first["reply"]["points"]
    # At most about 4 requests a second while frames arrive.
    t0, n0 = pg.page.evaluate("() => [performance.now(), window.playground.hidden.drawn]")
    pg.wait_epoch_at_least(later["reply"]["epoch"] + 50)
    pg.wait_js("n => window.playground.hidden.drawn >= n + 4", n0)
    t1, n1 = pg.page.evaluate("() => [performance.now(), window.playground.hidden.drawn]")
    assert (n1 - n0) <= (t1 - t0) / 250 + 1
    pg.button("Pause").click()
    assert pg.errors == []


def test_screenshot_of_the_hidden_space(pg: Playground) -> None:
    """The README's picture of the view (with ``UPDATE_README_SCREENSHOT=1``): the circle as
    the second of two tanh layers sees it, after training."""
    pg.open("#hidden=4:tanh,2:tanh&lr=0.1&speed=10")
    pg.wait_config("speed", 10)
    open_view(pg, 2)
    pg.button("Play").click()
    pg.wait_epoch_at_least(300, timeout=30_000)
    pg.button("Pause").click()
    pg.expect_status("idle")
    pg.wait_js("() => window.playground.hidden.last.epoch >= 300")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "hidden-space.png"
    pg.page.locator("section.output").screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("UPDATE_README_SCREENSHOT") == "1":
        shutil.copyfile(shot, README_PICTURE)
    assert pg.errors == []
