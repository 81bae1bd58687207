"""What the page shows to judge a model: points that stay visible on a confident
background, a palette that survives colour-vision deficiencies, per-class scores for several
classes, a loss chart with a legend and sane axes, numbers a person can read after a
divergence, and an ROC that says why it has no curve."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from playground_page import PLOT_PAD, PLOT_PIXELS, Playground

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from colorvision import contrast, hex_rgb, min_difference  # noqa: E402

pytestmark = pytest.mark.browser

COLORS_JS = "() => import('/static/js/colors.js').then(m => [m.CLASS_COLORS, m.REGION_TINT])"


def test_the_six_class_colours_stay_apart_for_every_kind_of_colour_vision(pg: Playground) -> None:
    pg.open()
    colours, _ = pg.page.evaluate(COLORS_JS)
    assert len(colours) == 6
    differences = min_difference(colours)
    # CIEDE2000: about 2 is just noticeable; 10 is two colours nobody mixes up at a glance.
    for vision, d in differences.items():
        assert d >= 10, f"two class colours look alike under {vision}: ΔE {d:.1f}"


def _pixel(pg: Playground, x: int, y: int) -> np.ndarray:
    rgba = pg.page.evaluate(
        """([x, y]) => Array.from(document.getElementById('plot').getContext('2d')
                                   .getImageData(x, y, 1, 1).data)""",
        [x, y],
    )
    return np.array(rgba[:3]) / 255.0


def test_points_stay_visible_on_a_confident_region_of_their_own_class(pg: Playground) -> None:
    pg.open("#points=80&seed=3")
    pg.step(600)
    pg.wait_epoch_at_least(600)
    pg.wait_js("() => window.playground.stats.drawn > 0")
    state = pg.session_state()
    assert state["loss"]["train"] < 0.2, "the circle was not learnt: no confident region"
    points = pg.page.evaluate("() => window.playground.app.points")
    (x0, x1), (y0, y1) = pg.page.evaluate("() => window.playground.app.state.domain")
    size = PLOT_PIXELS - 2 * PLOT_PAD
    xy = np.asarray(points["x"], dtype=float)
    shown = [i for i, t in enumerate(points["test"]) if not t]
    px = PLOT_PAD + (xy[:, 0] - x0) / (x1 - x0) * size
    py = PLOT_PAD + (1 - (xy[:, 1] - y0) / (y1 - y0)) * size
    checked = 0
    for i in shown:
        others = [j for j in shown if j != i]
        if min(np.hypot(px[others] - px[i], py[others] - py[i])) < 16:
            continue  # another point is too close to see the background beside this one
        fill = _pixel(pg, round(px[i]), round(py[i]))
        for dx, dy in ((9, 0), (-9, 0), (0, 9), (0, -9)):
            beside = _pixel(pg, round(px[i]) + dx, round(py[i]) + dy)
            ratio = contrast(fill, beside)
            assert ratio >= 3.0, f"point {i}: contrast {ratio:.2f} against the background"
        checked += 1
    assert checked >= 10, "too few isolated points to judge"
    assert pg.errors == []


def test_region_tints_leave_every_ink_readable(pg: Playground) -> None:
    pg.open()
    colours, tint = pg.page.evaluate(COLORS_JS)
    for ink in colours:
        for other in colours:
            region = 1 + (hex_rgb(other) - 1) * tint  # the most confident region of a class
            assert contrast(hex_rgb(ink), region) >= 3.0, (ink, other)


def test_several_classes_show_each_class_precision_recall_and_f1(pg: Playground) -> None:
    pg.open("#dataset=blobs&classes=4")
    pg.step(30)
    pg.wait_epoch_at_least(30)
    metrics = pg.page.evaluate(
        """() => window.playground.app.frame.metrics[
                   document.getElementById('metrics-set').value]"""
    )
    rows = pg.page.locator("#metrics table.per-class tr[data-class]")
    assert rows.count() == 4
    for k in range(4):
        row = rows.nth(k)
        precision = float(row.locator("[data-metric=precision]").inner_text().rstrip(" %"))
        recall = float(row.locator("[data-metric=recall]").inner_text().rstrip(" %"))
        f1 = float(row.locator("[data-metric=f1]").inner_text())
        p, r = metrics["precision"][k], metrics["recall"][k]
        assert precision == pytest.approx(100 * p, abs=0.051)
        assert recall == pytest.approx(100 * r, abs=0.051)
        assert f1 == pytest.approx(2 * p * r / (p + r) if p + r else 0.0, abs=5e-4)
    assert pg.errors == []


def test_the_loss_chart_names_its_lines_and_starts_at_zero(pg: Playground) -> None:
    pg.open()
    pg.wait_js("() => document.querySelectorAll('#loss-chart .legendtext').length === 2")
    names = [t.strip() for t in pg.page.locator("#loss-chart .legendtext").all_text_contents()]
    assert names == ["training loss", "test loss"]
    x_range, y_range = pg.page.evaluate(
        """() => { const l = document.getElementById('loss-chart')._fullLayout;
                   return [l.xaxis.range, l.yaxis.range]; }"""
    )
    assert x_range[0] >= 0 and x_range[1] > x_range[0], x_range
    assert y_range[0] >= 0 and y_range[1] > y_range[0], y_range


def test_a_diverged_run_reads_as_a_bound_not_eighteen_digits(pg: Playground) -> None:
    pg.open("#dataset=plane&hidden=8:linear,8:linear,8:linear&lr=3")
    r = pg.api.post(f"/api/sessions/{pg.session_id()}/step", json={"epochs": 50})
    assert r.status_code in (200, 409), r.text
    pg.expect_status("diverged")
    state = pg.session_state()
    assert state["loss"]["train"] is None or abs(state["loss"]["train"]) >= 1e6, (
        "this run should end with a huge loss; the test needs new settings"
    )
    shown = pg.page.locator("#loss-values").inner_text() + " " + pg.page.locator(
        "#metrics"
    ).inner_text()
    assert "> 10⁶" in shown or "–" in shown
    digits = [len(t.strip("−-+.").replace(".", "")) for t in shown.split() if t[:1].isdigit()]
    assert max(digits, default=0) <= 8, shown
    assert pg.errors == []


def test_an_roc_without_positive_points_says_why_it_has_no_curve(pg: Playground) -> None:
    only_class_0 = ";".join(f"{x},{y},0,0" for x, y in ((1, 1), (-2, 1), (3, -2), (0, -4)))
    pg.open(f"#pts={only_class_0}")
    pg.expect_point_count(4)
    pg.page.select_option("#metrics-set", "train")
    title = pg.wait_js(
        """() => { const l = document.getElementById('roc-chart')._fullLayout;
                   const t = l && l.title && l.title.text;
                   return t && t.includes('no positive points') ? t : null; }"""
    )
    assert "no curve" in title and "AUC" in title
    curve = pg.page.evaluate("() => document.getElementById('roc-chart').data[1].x.length")
    assert curve == 0
    assert pg.errors == []
