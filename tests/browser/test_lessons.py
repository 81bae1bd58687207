"""The lessons: each opens with no console error, shows its key element, and the numbers it
shows agree with the session behind it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from playground_page import Playground
from playwright.sync_api import expect

from app.data import Standardizer, feature_matrix
from app.nn import Network
from app.nn.metrics import binary_confusion

pytestmark = pytest.mark.browser

LESSON_IDS = [
    "neuron", "linear", "stacking", "activations", "loss", "age-model", "descent", "evolution",
    "backprop", "spaces", "classes", "overfitting", "judging",
]  # fmt: skip


def open_lesson(pg: Playground, lesson: str) -> None:
    pg.open()
    pg.page.get_by_role("combobox", name="Lessons").select_option(lesson)
    pg.wait_js("id => window.playground.lessons.current?.id === id", lesson)
    expect(pg.page.locator("#lesson h3")).to_be_visible()


def chart_traces(pg: Playground) -> int:
    n: int = pg.page.evaluate("() => (document.getElementById('lesson-chart').data || []).length")
    return n


def lesson_config(pg: Playground) -> dict[str, Any]:
    config: dict[str, Any] = pg.session_state()["config"]
    return config


@pytest.mark.parametrize("lesson", LESSON_IDS)
def test_each_lesson_opens_without_errors(pg: Playground, lesson: str) -> None:
    open_lesson(pg, lesson)
    expected = pg.page.evaluate("() => window.playground.lessons.current.config.dataset")
    pg.wait_config("dataset", expected)
    assert pg.page.locator("#lesson .lesson-text").inner_text().strip()
    assert pg.errors == []


def test_next_and_previous_move_through_the_lessons(pg: Playground) -> None:
    open_lesson(pg, "neuron")
    pg.button("Next lesson").click()
    pg.wait_js("() => window.playground.lessons.current?.id === 'linear'")
    pg.wait_js("() => location.hash.includes('lesson=linear')")
    pg.button("Previous lesson").click()
    pg.wait_js("() => window.playground.lessons.current?.id === 'neuron'")
    expect(pg.button("Previous lesson")).to_be_disabled()


def test_lesson_link_opens_the_lesson_with_its_state(pg: Playground) -> None:
    pg.open("#lesson=descent")
    pg.wait_js("() => window.playground.lessons.current?.id === 'descent'")
    pg.wait_config("dataset", "age")
    cfg = lesson_config(pg)
    assert (cfg["dataset"], cfg["hidden"], cfg["features"]) == ("age", [], ["x1"])


def test_neuron_lesson_draws_the_line_and_its_sliders_set_the_weights(pg: Playground) -> None:
    open_lesson(pg, "neuron")
    pg.wait_js("() => window.playground.app.frame?.line !== null")
    pg.set_range("#lesson input[data-param=w1]", 2.5)
    pg.set_range("#lesson input[data-param=b]", -1.0)
    pg.wait_js("() => { const l = window.playground.app.frame?.line; return l && l.b === -1; }")
    W = pg.export()["network"]["params"][0]
    assert W["W"][0][0] == pytest.approx(2.5)
    assert W["b"][0] == pytest.approx(-1.0)


def test_linear_lesson_switches_between_separable_data_and_xor(pg: Playground) -> None:
    open_lesson(pg, "linear")
    pg.page.locator("#lesson button[data-dataset=xor]").click()
    pg.wait_config("dataset", "xor")
    assert lesson_config(pg)["hidden"] == []


def test_equivalent_matrix_is_the_product_of_the_layers(pg: Playground) -> None:
    open_lesson(pg, "stacking")
    pg.step(5)
    pg.wait_js("() => Number(document.getElementById('epoch').dataset.epoch) === 5")
    table = pg.page.locator("#lesson .equivalent")
    pg.wait_js("() => document.querySelector('#lesson .equivalent').dataset.W")
    shown_W = np.array(pg.page.evaluate("el => JSON.parse(el.dataset.W)", table.element_handle()))
    shown_b = np.array(pg.page.evaluate("el => JSON.parse(el.dataset.b)", table.element_handle()))
    params = [(np.array(p["W"]), np.array(p["b"])) for p in pg.export()["network"]["params"]]
    W, b = params[0]
    for Wk, bk in params[1:]:
        W, b = W @ Wk, b @ Wk + bk
    np.testing.assert_allclose(shown_W, W, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(shown_b, b, rtol=1e-4, atol=1e-5)


def test_stacking_lesson_says_so_when_a_layer_bends(pg: Playground) -> None:
    open_lesson(pg, "stacking")
    pg.page.get_by_role("combobox", name="Activation (layer 1)").select_option("relu")
    pg.wait_js("() => window.playground.app.config.hidden[0].activation === 'relu'")
    expect(pg.page.locator("#lesson .equivalent")).to_contain_text("not linear")


@pytest.mark.parametrize("lesson", ["activations", "loss"])
def test_curve_lessons_plot_their_curves(pg: Playground, lesson: str) -> None:
    open_lesson(pg, lesson)
    pg.wait_js("() => (document.getElementById('lesson-chart').data || []).length === 4")
    assert chart_traces(pg) == 4


def test_descent_path_on_the_surface_is_the_sessions_weight_history(pg: Playground) -> None:
    open_lesson(pg, "descent")
    pg.button("Step").click()
    pg.expect_epoch(1)
    pg.step(6)
    pg.expect_epoch(7)
    pg.wait_js(
        "() => { const c = document.getElementById('lesson-chart');"
        " return c.dataset.path && JSON.parse(c.dataset.path).length === 8; }"
    )
    shown = pg.page.evaluate(
        "() => JSON.parse(document.getElementById('lesson-chart').dataset.path)"
    )
    drawn = pg.page.evaluate(
        "() => { const t = document.getElementById('lesson-chart').data[1];"
        " return t.x.map((x, i) => [x, t.y[i]]); }"
    )
    path = pg.get("/history")["path"]
    assert len(path) == 8  # the start and seven steps of full-batch gradient descent
    np.testing.assert_allclose(np.array(shown), np.array(path))
    np.testing.assert_allclose(np.array(drawn), np.array(path))
    assert (
        pg.page.evaluate("() => document.getElementById('lesson-chart').data[0].type") == "contour"
    )


def test_descent_learning_rate_slider_sets_alpha(pg: Playground) -> None:
    open_lesson(pg, "descent")
    pg.set_range("#lesson label.lr input", 8)  # the last step: α = 10
    pg.wait_config("lr", 10)


def race_id(pg: Playground) -> str:
    sid: str = pg.wait_js("() => window.playground.lessons.race?.sessionId")
    return sid


def test_evolution_lesson_races_from_the_same_start(pg: Playground) -> None:
    open_lesson(pg, "evolution")
    other = race_id(pg)
    race_doc = pg.api.get(f"/api/sessions/{other}").json()
    deadline_ok = pg.wait_js(
        "id => fetch('/api/sessions/' + id).then(r => r.json())"
        ".then(s => s.config.method === 'evolution')",
        other,
    )
    assert deadline_ok
    mine = pg.export()["network"]["params"]
    theirs = pg.api.get(f"/api/sessions/{other}/export").json()["network"]["params"]
    assert mine == theirs
    assert race_doc["config"]["dataset"] == "age"
    pg.button("Play").click()
    pg.wait_js(
        "() => { const c = document.querySelector('#lesson .race-counts');"
        " return c && Number(c.dataset.race) > 0 && Number(c.dataset.main) > 0; }",
        timeout=20_000,
    )
    counts = pg.page.locator("#lesson .race-counts")
    main_evals = int(counts.get_attribute("data-main") or 0)
    race_evals = int(counts.get_attribute("data-race") or 0)
    assert main_evals > 0 and race_evals > 0
    pg.wait_js(
        "() => (document.getElementById('lesson-chart').data || [])"
        ".some(t => t.name === 'population')",
        timeout=20_000,
    )
    pg.button("Pause").click()


def test_backprop_lesson_shows_gradients_and_a_step_moves_each_weight_by_them(
    pg: Playground,
) -> None:
    open_lesson(pg, "backprop")
    expect(pg.page.locator("#show-gradients")).to_be_checked()
    pg.wait_js(
        "() => window.playground.app.frame?.gradients"
        " && document.querySelector('#lesson .backprop table')"
    )
    before = pg.page.evaluate("() => window.playground.app.frame")
    epoch = before["epoch"]
    pg.button("Step").click()
    pg.expect_epoch(epoch + 1)
    lr = lesson_config(pg)["lr"]
    after = pg.export()["network"]["params"]
    for layer, (p, g) in enumerate(zip(before["params"], before["gradients"], strict=True)):
        expected = np.array(p["W"]) - lr * np.array(g["W"])
        np.testing.assert_allclose(np.array(after[layer]["W"]), expected, rtol=1e-4, atol=1e-6)
    link = pg.page.locator("#diagram path.link").first
    assert link.get_attribute("data-gradient") is not None


def test_judging_lesson_counts_are_binary_confusion_at_the_sliders_threshold(
    pg: Playground,
) -> None:
    open_lesson(pg, "judging")
    pg.step(40)
    pg.expect_epoch(40)
    pg.set_range("#threshold", 0.3)
    pg.wait_config("threshold", 0.3)
    pg.wait_js("() => document.querySelector('#metrics .kinds')?.textContent.includes('0.30')")
    doc = pg.export()
    X = np.array(doc["points"]["x"])
    y = np.array(doc["points"]["y"])
    test = np.array(doc["points"]["test"])
    F = feature_matrix(X, doc["config"]["features"])
    scaler = Standardizer.fit(F[~test])
    net = Network.from_dict(doc["network"])
    p = net.forward(scaler.apply(F[test]))[:, 0]
    expected = binary_confusion(y[test], p, threshold=0.3)
    cells = {
        k: int(pg.page.locator(f"#metrics td[data-cell={k}] b").inner_text())
        for k in ("tp", "fp", "fn", "tn")
    }
    assert cells == expected
