"""The page without traps: regression drawn and added by value, Regenerate keeping the
weights, links applied in the same tab and read key by key, the preset mark following the
data, a class picker for every class, the neuron's line at the threshold."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playground_page import PLOT_PAD, PLOT_PIXELS, Playground
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

INK_POSITIVE = (0x0D, 0x54, 0x9C)  # class 1's ink: the positive end of the value scale

PIXEL_JS = """([x, y]) => Array.from(
  document.getElementById('plot').getContext('2d').getImageData(x, y, 1, 1).data.slice(0, 3))"""


def canvas_px(pg: Playground, x: float, y: float) -> tuple[float, float]:
    """Where data point (x, y) is drawn, in the canvas's own pixels."""
    (x0, x1), (y0, y1) = pg.page.evaluate("() => window.playground.app.state.domain")
    size = PLOT_PIXELS - 2 * PLOT_PAD
    return PLOT_PAD + (x - x0) / (x1 - x0) * size, PLOT_PAD + (1 - (y - y0) / (y1 - y0)) * size


def pixel(pg: Playground, x: float, y: float) -> list[int]:
    px, py = canvas_px(pg, x, y)
    value: list[int] = pg.page.evaluate(PIXEL_JS, [round(px), round(py)])
    return value


def clear_points(pg: Playground) -> None:
    pg.button("Clear points").click()
    pg.expect_point_count(0)


def test_regression_points_take_the_target_and_the_value_scale(pg: Playground) -> None:
    pg.open("#dataset=plane")
    page = pg.page
    legend = page.locator("#plot-legend")
    expect(legend).to_have_attribute("data-kind", "regression")
    bar = legend.get_by_role("img")
    expect(bar).to_have_attribute(
        "aria-label", re.compile(r"^Colour scale from -[\d.]+ .* to [\d.]+")
    )
    loss = page.get_by_role("combobox", name="Loss", exact=True)
    expect(loss).to_be_disabled()
    assert loss.evaluate("el => el.selectedOptions[0].textContent") == "Squared error"
    expect(page.locator("#loss-name")).to_have_text("squared error")

    clear_points(pg)
    target = page.get_by_role("spinbutton", name="Target value", exact=True)
    target.fill("0.8")
    target.press("Tab")
    expect(page.get_by_role("slider", name="Target", exact=True)).to_have_value("0.8")
    pg.click_plot(-4.0, 4.0)
    pg.expect_point_count(1)
    assert pg.export()["points"]["y"] == [0.8]

    scale = float(legend.get_attribute("data-scale") or "nan")
    t = 0.8 / scale
    want = [round(255 + (c - 255) * t) for c in INK_POSITIVE]
    got = pixel(pg, -4.0, 4.0)
    assert all(abs(a - b) <= 3 for a, b in zip(got, want, strict=True)), (got, want)
    assert pg.errors == []


def test_regenerate_draws_new_points_and_keeps_the_weights(pg: Playground) -> None:
    pg.open()
    pg.step(5)
    pg.expect_epoch(5)
    before = pg.export()
    pg.button("Regenerate").click()
    pg.wait_config("data_seed", 1)
    after = pg.export()
    assert after["points"] != before["points"]
    assert after["network"] == before["network"]
    assert pg.session_state()["epoch"] == 5
    assert "data_seed=1" in pg.page.evaluate("() => location.hash")
    expect(pg.page.locator("#rebuild-note")).to_contain_text("keeps its weights")
    assert pg.errors == []


def test_the_age_preset_turns_normalize_on_and_learns(pg: Playground) -> None:
    pg.open()
    page = pg.page
    page.get_by_role("radio", name="Dataset age", exact=True).click()
    pg.wait_config("dataset", "age")
    pg.wait_config("normalize", True)
    hint = page.locator("#normalize-hint")
    expect(hint).to_be_hidden()
    pg.step(50)
    assert pg.session_state()["loss"]["train"] < 0.5  # 0.68 when the inputs are raw ages

    page.locator("#normalize").uncheck()
    pg.wait_config("normalize", False)
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("Normalize")
    assert pg.errors == []


def test_editing_the_hash_applies_it_in_the_same_page(pg: Playground) -> None:
    pg.open()
    page = pg.page
    page.evaluate("() => { window.notReloaded = true; }")
    page.evaluate("() => { location.hash = '#dataset=xor&lr=0.1&showTest=1'; }")
    pg.wait_config("dataset", "xor")
    pg.wait_config("lr", 0.1)
    expect(page.locator("#show-test")).to_be_checked()
    assert page.evaluate("() => window.notReloaded === true")

    # Back to the defaults: a key left out of the link is its default.
    page.evaluate("() => { location.hash = '#lr=0.3'; }")
    pg.wait_config("lr", 0.3)
    pg.wait_config("dataset", "circle")
    expect(page.locator("#show-test")).not_to_be_checked()
    assert page.evaluate("() => window.notReloaded === true")
    assert pg.errors == []


def test_a_bad_key_in_a_link_is_skipped_alone_and_named(pg: Playground) -> None:
    pg.open("#dataset=xor&lr=5000&bogus=1&noise=0.2&normalize=maybe")
    pg.wait_config("dataset", "xor")
    pg.wait_config("noise", 0.2)
    cfg = pg.session_state()["config"]
    assert cfg["lr"] == 0.03 and cfg["normalize"] is False
    note = pg.page.locator("#rebuild-note")
    expect(note).to_contain_text("lr (")
    expect(note).to_contain_text("bogus")
    expect(note).to_contain_text("normalize")
    link = pg.page.evaluate("() => location.hash")
    assert "dataset=xor" in link and "lr=" not in link and "bogus" not in link
    assert pg.errors == []


def test_a_link_too_short_for_the_points_says_so_and_offers_export(
    pg: Playground, tmp_path: Path
) -> None:
    pg.open()
    csv = tmp_path / "points.csv"
    csv.write_text(pg.api.get(f"/api/sessions/{pg.session_id()}/points.csv").text)
    pg.page.locator("#csv-upload").set_input_files(str(csv))
    share = pg.button("Copy link")
    expect(share).to_have_attribute("data-partial", "true")
    pg.page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    share.click()
    note = pg.page.locator("#rebuild-note")
    expect(note).to_contain_text("cannot carry your 500 hand-placed points")
    with pg.page.expect_download() as download:
        note.get_by_role("button", name="Export session").click()
    assert download.value.suggested_filename == "playground-session.json"
    assert "pts=" not in pg.page.evaluate("() => location.hash")
    assert pg.errors == []


def test_the_preset_mark_follows_the_data(pg: Playground) -> None:
    pg.open()
    page = pg.page
    circle = page.get_by_role("radio", name="Dataset circle", exact=True)
    expect(circle).to_have_attribute("aria-checked", "true")
    clear_points(pg)
    expect(page.locator(".preset[aria-checked=true]")).to_have_count(0)
    circle.click()  # the preset's points again
    pg.expect_point_count(500)
    expect(circle).to_have_attribute("aria-checked", "true")
    pg.click_plot(5.7, -5.7)  # a corner the circle's points leave empty
    pg.expect_point_count(501)
    expect(page.locator(".preset[aria-checked=true]")).to_have_count(0)
    assert pg.errors == []


def test_the_class_picker_adds_each_of_six_classes(pg: Playground) -> None:
    pg.open("#dataset=blobs&classes=6")
    page = pg.page
    expect(page.locator("#class-picker [role=radio]")).to_have_count(6)
    clear_points(pg)
    page.get_by_role("radio", name="Class 5", exact=True).click()
    pg.click_plot(-5.0, -5.0)
    pg.expect_point_count(1)
    pg.click_plot(5.0, 5.0, modifiers=["Shift"])  # shift: the class after the chosen one
    pg.expect_point_count(2)
    page.get_by_role("radio", name="Class 3", exact=True).click()
    pg.click_plot(0.0, 5.0)
    pg.expect_point_count(3)
    assert pg.export()["points"]["y"] == [5, 0, 3]
    assert pg.errors == []


def test_the_neuron_line_follows_the_threshold(pg: Playground) -> None:
    pg.open("#dataset=gauss&hidden=-")
    pg.step(30)
    pg.expect_epoch(30)
    clear_points(pg)  # nothing drawn over the line
    line = pg.wait_js("() => window.playground.app.frame && window.playground.app.frame.line")
    w, b = line["w"], line["b"]
    assert abs(w[1]) > 1e-3

    def at(level: float) -> list[int]:
        """The canvas pixel where the output's pre-activation is ``level``, at x1 = 1."""
        px, py = canvas_px(pg, 1.0, (level - b - w[0] * 1.0) / w[1])
        return [round(px), round(py)]

    # Dark (the line) within a pixel of a point, or not.
    dark = """([x, y]) => { const ctx = document.getElementById('plot').getContext('2d');
      return [-1, 0, 1].some(
        d => Math.max(...ctx.getImageData(x, y + d, 1, 1).data.slice(0, 3)) < 80); }"""
    logit = 1.3862943611198906  # log(0.8 / 0.2)
    assert pg.page.evaluate(dark, at(0.0)) and not pg.page.evaluate(dark, at(logit))
    pg.set_range("#threshold", 0.8)
    pg.wait_config("threshold", 0.8)
    pg.wait_js(dark, at(logit))
    assert not pg.page.evaluate(dark, at(0.0))
    assert pg.errors == []
