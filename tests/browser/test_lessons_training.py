"""The lessons, part two: the loss, gradient descent and evolution. Each race's two runs start
from the same weights, are measured alike and keep the same settings; the claims in each text
are checked on the sessions behind the page."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from lesson_page import (
    lesson_config,
    live,
    neuron_measures,
    open_lesson,
    race_export,
    race_id,
    raw_age_neuron,
    wait_live,
)
from playground_page import ARTIFACTS, ROOT, Playground
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

LESSONS_SCREENSHOT = ROOT / "docs" / "lessons.png"


def race_record(pg: Playground, run: str) -> dict[str, float]:
    """What the race's counts line shows for ``run`` ('main' or 'race')."""
    rec: dict[str, float] = pg.page.evaluate(
        "run => { const d = document.querySelector(`.race [data-run=${run}]`).dataset;"
        " return {ce: Number(d.ce), mse: Number(d.mse), accuracy: Number(d.accuracy),"
        " epoch: Number(d.epoch), evaluations: Number(d.evaluations)}; }",
        run,
    )
    return rec


def wait_race_epoch(pg: Playground, epoch: int, timeout: float = 20_000) -> None:
    pg.wait_js(
        "n => ['main', 'race'].every(r => Number(document.querySelector("
        "`.race [data-run=${r}]`)?.dataset.epoch) === n)",
        epoch,
        timeout,
    )


def test_loss_race_starts_confidently_wrong_and_cross_entropy_wins_on_both_measures(
    pg: Playground,
) -> None:
    open_lesson(pg, "loss")
    other = race_id(pg)
    pg.wait_js(
        "() => window.playground.app.frame?.params[0].W[0][0] === -3"
        " && window.playground.app.frame?.params[0].W[1][0] === -3"
    )
    mine = pg.export()
    theirs = race_export(pg, other)
    assert mine["network"]["params"] == theirs["network"]["params"]
    assert (mine["config"]["loss"], theirs["config"]["loss"]) == ("cross_entropy", "mse")
    assert neuron_measures(mine)["accuracy"] < 0.1  # confidently wrong
    for _ in range(10):
        pg.button("Step").click()
    wait_race_epoch(pg, 10)
    mine, theirs = pg.export(), race_export(pg, other)
    assert (mine["trainer"]["epoch"], theirs["trainer"]["epoch"]) == (10, 10)
    ce_run, mse_run = neuron_measures(mine), neuron_measures(theirs)
    # Cross-entropy's run is out of the wrong corner; squared error's is on its plateau.
    assert ce_run["accuracy"] > 0.9
    assert mse_run["accuracy"] < 0.2
    # ... and ahead on both measures.
    assert ce_run["ce"] < mse_run["ce"]
    assert ce_run["mse"] < mse_run["mse"]
    shown_ce, shown_mse = race_record(pg, "main"), race_record(pg, "race")
    for key in ("ce", "mse", "accuracy"):
        assert shown_ce[key] == pytest.approx(ce_run[key], rel=1e-4, abs=1e-6)
        assert shown_mse[key] == pytest.approx(mse_run[key], rel=1e-4, abs=1e-6)
    assert live(pg, "ce_acc") == f"{100 * ce_run['accuracy']:.0f} %"
    assert live(pg, "mse_acc") == f"{100 * mse_run['accuracy']:.0f} %"
    assert pg.errors == []


def test_loss_race_mirrors_settings_and_flags_an_unfair_change(pg: Playground) -> None:
    open_lesson(pg, "loss")
    other = race_id(pg)
    pg.page.locator("#lr").select_option("0.1")
    pg.wait_config("lr", 0.1)
    pg.wait_js(
        "id => fetch('/api/sessions/' + id).then(r => r.json()).then(s => s.config.lr === 0.1)",
        other,
    )
    banner = pg.page.locator(".race .race-banner")
    expect(banner).to_be_hidden()
    pg.page.locator("#loss").select_option("mse")
    pg.wait_config("loss", "mse")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("No longer a fair race")
    # The measure and the x-axis are switchable.
    pg.page.get_by_role("combobox", name="Race measure").select_option("mse")
    pg.page.get_by_role("combobox", name="Race x-axis").select_option("evaluations")
    pg.wait_js(
        "() => document.querySelector('.race .race-chart')?.layout?.xaxis.title.text"
        " === 'loss evaluations'"
    )
    assert (
        pg.page.evaluate(
            "() => document.querySelector('.race .race-chart').layout.yaxis.title.text"
        )
        == "squared error"
    )
    assert pg.errors == []


def test_descent_path_on_the_surface_is_the_sessions_weight_history(pg: Playground) -> None:
    open_lesson(pg, "descent")
    race_id(pg)
    pg.button("Step").click()
    pg.expect_epoch(1)
    pg.step(6)
    pg.expect_epoch(7)
    pg.wait_js(
        "() => { const c = document.getElementById('lesson-chart');"
        " return c.dataset.path && JSON.parse(c.dataset.path).length === 8; }",
        timeout=15_000,
    )
    shown = pg.page.evaluate(
        "() => JSON.parse(document.getElementById('lesson-chart').dataset.path)"
    )
    path = pg.get("/history")["path"]
    assert len(path) == 8  # the start and seven steps of full-batch gradient descent
    np.testing.assert_allclose(np.array(shown), np.array(path))
    types = pg.page.evaluate("() => document.getElementById('lesson-chart').data.map(t => t.type)")
    assert types.count("contour") == 2  # normalized and raw, side by side


def test_descent_shows_raw_weights_and_p45_of_the_normalized_run(pg: Playground) -> None:
    open_lesson(pg, "descent")
    race_id(pg)
    pg.step(40)
    pg.expect_epoch(40)
    w, b = raw_age_neuron(pg.export())
    wait_live(pg, "steps", "t => t === '40'")
    assert live(pg, "w") == f"{w:.4f}"
    assert live(pg, "b") == f"{b:.3f}"
    assert live(pg, "p45") == f"{100 / (1 + np.exp(-(45 * w + b))):.1f} %"


def test_descent_above_the_limit_raw_ages_zig_zag_or_diverge_and_the_page_says_so(
    pg: Playground,
) -> None:
    open_lesson(pg, "descent")
    other = race_id(pg)
    chart_points = (
        "() => { const d = document.getElementById('loss-chart').data;"
        " return d && d.length ? d[0].x.length : -1; }"
    )
    pg.step(5)
    pg.expect_epoch(5)
    pg.wait_js(f"() => ({chart_points})() >= 2")
    pg.set_range("#lesson label.lr input", 4)  # α = 0.1
    pg.wait_config("lr", 0.1)
    pg.wait_js(
        "id => fetch('/api/sessions/' + id).then(r => r.json()).then(s => s.config.lr === 0.1)",
        other,
    )
    pg.expect_epoch(0)
    # The loss chart follows α: it starts over.
    pg.wait_js(f"() => {{ const n = ({chart_points})(); return n >= 0 && n <= 1 ? 1 : 0; }}")
    for _ in range(30):
        pg.button("Step").click()
    pg.wait_js(
        "() => { const f = document.querySelector('#lesson .flags'); return f && f.dataset.race"
        " && /zig-zag|diverg/.test(f.dataset.race) && f.dataset.main === 'converging'; }",
        timeout=20_000,
    )
    assert "normalized converging" in pg.page.locator("#lesson .lesson-text").inner_text()
    raw = race_export(pg, other)
    losses = [h["train"] for h in raw["history"]]
    rises = sum(b > a for a, b in zip(losses, losses[1:], strict=False))
    assert raw["trainer"]["diverged"] or rises >= 3 or losses[-1] > losses[0]
    assert pg.errors == []


def test_evolution_at_equal_evaluations_gradient_descent_is_not_behind(pg: Playground) -> None:
    open_lesson(pg, "evolution")
    other = race_id(pg)
    mine, theirs = pg.export(), race_export(pg, other)
    assert mine["network"]["params"] == theirs["network"]["params"]
    assert theirs["config"]["method"] == "evolution"
    pg.page.locator("#lesson button[data-budget='150']").click()
    pg.wait_js(
        "() => document.querySelector('#lesson [data-live=budget]')?.dataset.budget === '150'",
        timeout=20_000,
    )
    mine, theirs = pg.export(), race_export(pg, other)
    assert mine["trainer"]["evaluations"] == theirs["trainer"]["evaluations"] == 150
    gd, evo = neuron_measures(mine)["ce"], neuron_measures(theirs)["ce"]
    assert gd <= evo
    el = pg.page.locator("#lesson [data-live=budget]")
    assert float(el.get_attribute("data-gd") or "nan") == pytest.approx(gd, rel=1e-4)
    assert float(el.get_attribute("data-evo") or "nan") == pytest.approx(evo, rel=1e-4)
    # Evolution's best-so-far path and its population are on the surface.
    pg.wait_js(
        "() => (document.getElementById('lesson-chart').data || [])"
        ".some(t => t.name === 'evolution, best so far' && t.x.length === 6)",
        timeout=15_000,
    )
    assert pg.errors == []


def test_evolution_race_follows_normalize_and_regenerate(pg: Playground) -> None:
    open_lesson(pg, "evolution")
    other = race_id(pg)
    pg.page.locator("#normalize").uncheck()
    pg.wait_config("normalize", False)
    pg.button("Regenerate").click()
    seed = lesson_config(pg)["seed"] + 0
    pg.wait_js(
        "([id, seed]) => fetch('/api/sessions/' + id).then(r => r.json())"
        ".then(s => s.config.normalize === false && s.config.seed === seed)",
        [other, seed],
        timeout=15_000,
    )
    expect(pg.page.locator(".race .race-banner")).to_be_hidden()


def test_leaving_a_running_race_raises_no_error(pg: Playground) -> None:
    open_lesson(pg, "evolution")
    race_id(pg)
    pg.button("Play").click()
    pg.wait_epoch_at_least(3)
    pg.page.get_by_role("combobox", name="Lessons").select_option("backprop")
    pg.wait_config("dataset", "xor")
    pg.wait_js("() => document.querySelector('.lesson-side .backprop table')")
    # The race's last frames and timers find the lesson gone, and say nothing.
    assert pg.stays_false("() => window.playground.lessons.race !== null", ms=1500)
    assert pg.errors == []


def test_screenshot_of_the_loss_race(pg: Playground) -> None:
    """The README's picture of a lesson (``docs/lessons.png`` with UPDATE_README_SCREENSHOT=1)."""
    open_lesson(pg, "loss")
    race_id(pg)
    pg.wait_js("() => window.playground.app.frame?.params[0].W[0][0] === -3")
    for _ in range(12):
        pg.button("Step").click()
    wait_race_epoch(pg, 12)
    pg.wait_js("() => document.querySelector('.race .race-chart')?.data?.[1]?.x.length >= 12")
    path = ARTIFACTS / "lesson-loss.png"
    pg.page.screenshot(path=str(path))
    assert path.stat().st_size > 20_000
    if os.environ.get("UPDATE_README_SCREENSHOT"):
        shutil.copyfile(path, LESSONS_SCREENSHOT)
    assert pg.errors == []


def test_loss_race_squared_error_stays_on_its_plateau_for_hundreds_of_epochs(
    pg: Playground,
) -> None:
    open_lesson(pg, "loss")
    other = race_id(pg)
    pg.wait_js("() => window.playground.app.frame?.params[0].W[0][0] === -3")
    pg.wait_js(
        "id => fetch('/api/sessions/' + id + '/export').then(r => r.json())"
        ".then(d => d.network.params[0].W[0][0] === -3)",
        other,
    )
    pg.step(300)
    pg.api.post(f"/api/sessions/{other}/step", json={"epochs": 300}).raise_for_status()
    ce_run, mse_run = neuron_measures(pg.export()), neuron_measures(race_export(pg, other))
    assert ce_run["accuracy"] > 0.9
    assert mse_run["accuracy"] < 0.2


def test_descent_normalized_ages_converge_even_at_the_largest_alpha(pg: Playground) -> None:
    open_lesson(pg, "descent")
    other = race_id(pg)
    pg.set_range("#lesson label.lr input", 8)  # α = 10
    pg.wait_config("lr", 10)
    pg.wait_js(
        "id => fetch('/api/sessions/' + id).then(r => r.json()).then(s => s.config.lr === 10)",
        other,
    )
    for _ in range(25):
        pg.button("Step").click()
    pg.wait_js(
        "() => { const f = document.querySelector('#lesson .flags');"
        " return f && f.dataset.main === 'converging' && /diverg/.test(f.dataset.race); }",
        timeout=20_000,
    )
    losses = [h["train"] for h in pg.get("/history")["history"]]
    assert all(b <= a for a, b in zip(losses, losses[1:], strict=False))
