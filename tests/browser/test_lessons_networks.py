"""The lessons, part three: the age model by hand, backpropagation, hidden feature spaces, one
output per class, overfitting and judging a model. Each claim in a text is checked on the
session behind the page."""

from __future__ import annotations

import numpy as np
import pytest
from lesson_page import lesson_config, live, open_lesson, raw_age_neuron, training_arrays, wait_live
from playground_page import Playground
from playwright.sync_api import expect

from app.nn import Network
from app.nn.metrics import binary_confusion

pytestmark = pytest.mark.browser


def sigmoid(z: float) -> float:
    return float(1 / (1 + np.exp(-z)))


def test_age_model_is_the_articles_neuron_and_sets_the_sessions_weights(pg: Playground) -> None:
    open_lesson(pg, "age-model")
    wait_live(pg, "p45", "t => t === '67.9 %'")
    assert (live(pg, "w"), live(pg, "b"), live(pg, "z45")) == ("0.25", "-10.50", "0.75")
    assert live(pg, "p42") == "50.0 %"
    pg.wait_js("() => window.playground.app.frame?.params[0].b[0] === -10.5")
    p = pg.export()["network"]["params"][0]
    assert (p["W"][0][0], p["b"][0]) == (0.25, -10.5)
    assert sigmoid(0.25 * 45 - 10.5) == pytest.approx(0.679, abs=5e-4)
    # A steeper slope: P(45) rises to about 95 %, P(42) stays at one half.
    pg.set_range("#lesson input[data-age=slope]", 1)
    wait_live(pg, "p45", f"t => t === '{100 * sigmoid(3):.1f} %'")
    assert live(pg, "p42") == "50.0 %"
    assert (live(pg, "slope"), live(pg, "shift"), live(pg, "w"), live(pg, "b")) == (
        "1",
        "42",
        "1.00",
        "-42.00",
    )
    pg.wait_js("() => window.playground.app.frame?.params[0].b[0] === -42")
    assert pg.errors == []


def test_backprop_shows_every_parameter_and_a_step_moves_each_by_its_gradient(
    pg: Playground,
) -> None:
    open_lesson(pg, "backprop")
    expect(pg.page.locator("#show-gradients")).to_be_checked()
    pg.wait_js("() => document.querySelectorAll('.lesson-side .backprop tr[data-param]').length")
    assert pg.page.locator(".lesson-side .backprop tr[data-param]").count() == 13
    assert live(pg, "count") == "13"
    before = pg.page.evaluate("() => window.playground.app.frame")
    epoch = before["epoch"]
    pg.button("Step").click()
    pg.expect_epoch(epoch + 1)
    lr = lesson_config(pg)["lr"]
    after = pg.export()["network"]["params"]
    for layer, (p, g) in enumerate(zip(before["params"], before["gradients"], strict=True)):
        for key in ("W", "b"):
            expected = np.array(p[key]) - lr * np.array(g[key])
            np.testing.assert_allclose(np.array(after[layer][key]), expected, rtol=1e-4, atol=1e-6)


def test_backprop_deltas_are_the_backward_pass_and_each_bias_gradient_is_its_mean_delta(
    pg: Playground,
) -> None:
    open_lesson(pg, "backprop")
    pg.step(3)
    pg.expect_epoch(3)
    pg.page.locator(".lesson-side button[data-animate]").click()
    # The backward pass lights the output first, then the hidden layer.
    pg.wait_js("() => document.querySelector('.lesson-side [data-delta=\"2-0\"]')")
    pg.wait_js("() => document.querySelector('.lesson-side [data-delta=\"1-2\"]')")
    shown = pg.page.evaluate(
        "() => JSON.parse(document.querySelector('.lesson-side .deltas-box').dataset.deltas)"
    )
    doc = pg.export()
    F, y = training_arrays(doc)
    (W1, b1), (W2, b2) = [(np.array(p["W"]), np.array(p["b"])) for p in doc["network"]["params"]]
    h = np.tanh(F @ W1 + b1)
    p = 1 / (1 + np.exp(-(h @ W2 + b2)))
    d_out = p - y[:, None]
    d_hidden = (d_out @ W2.T) * (1 - h**2)
    np.testing.assert_allclose(shown[1], d_out.mean(axis=0), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(shown[0], d_hidden.mean(axis=0), rtol=1e-4, atol=1e-7)
    grads = pg.page.evaluate("() => window.playground.app.frame.gradients")
    np.testing.assert_allclose(grads[1]["b"], d_out.mean(axis=0), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(grads[0]["b"], d_hidden.mean(axis=0), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(grads[0]["W"], F.T @ d_hidden / len(y), rtol=1e-4, atol=1e-7)
    assert pg.errors == []


def test_hidden_space_makes_xor_separable_by_the_output_line(pg: Playground) -> None:
    open_lesson(pg, "spaces")
    pg.step(150)
    pg.expect_epoch(150)
    doc = pg.export()
    F, y = training_arrays(doc)
    (W1, b1), (W2, b2) = [(np.array(p["W"]), np.array(p["b"])) for p in doc["network"]["params"]]
    H = np.tanh(F @ W1 + b1)
    separated = np.mean(((H @ W2 + b2)[:, 0] > 0) == (y == 1))
    assert separated > 0.9
    wait_live(pg, "accuracy", f"t => t === '{100 * separated:.0f} %'")
    pg.wait_js(
        "() => (document.getElementById('lesson-chart').data || [])"
        ".some(t => t.name === 'output line')"
    )
    drawn = pg.page.evaluate(
        "() => document.getElementById('lesson-chart').data.filter(t => t.mode === 'markers')"
        ".reduce((n, t) => n + t.x.length, 0)"
    )
    assert drawn == len(y)


def test_one_output_per_class_softmax_adds_to_one(pg: Playground) -> None:
    open_lesson(pg, "classes")
    pg.step(20)
    pg.expect_epoch(20)
    assert lesson_config(pg)["dataset"] == "blobs"
    pg.wait_js("() => document.querySelectorAll('.lesson-side .softmax tr[data-sum]').length === 3")
    for row in pg.page.locator(".lesson-side .softmax tr[data-sum]").all():
        assert float(row.get_attribute("data-sum") or "nan") == pytest.approx(1.0)
        cells = row.locator("td").all_inner_texts()
        assert cells[-1] == cells[1]  # the point's own class wins
    assert live(pg, "outputs") == "3"
    doc = pg.export()
    assert len(doc["network"]["params"][-1]["b"]) == 3


def test_overfitting_few_points_and_a_big_network_leave_a_gap(pg: Playground) -> None:
    open_lesson(pg, "overfitting")
    pg.step(400)
    pg.expect_epoch(400)
    loss = pg.session_state()["loss"]
    assert loss["test"] - loss["train"] > 0.3
    wait_live(pg, "verdict", "t => t.includes('overfitting')")
    pg.page.locator("#lesson button[data-points='400']").click()
    pg.wait_config("points", 400)
    pg.expect_epoch(0)
    pg.step(400)
    pg.expect_epoch(400)
    more = pg.session_state()["loss"]
    assert more["test"] - more["train"] < loss["test"] - loss["train"]
    assert pg.errors == []


def test_judging_counts_the_points_on_the_plot_and_the_cost_ratio_moves_the_threshold(
    pg: Playground,
) -> None:
    open_lesson(pg, "judging")
    pg.wait_js("() => Number(document.getElementById('epoch').dataset.epoch) === 300")
    expect(pg.page.locator("#metrics-set")).to_have_value("train")
    expect(pg.page.locator("#show-test")).not_to_be_checked()
    doc = pg.export()
    F, y = training_arrays(doc)
    net = Network.from_dict(doc["network"])
    Fn = (F - F.mean(axis=0)) / F.std(axis=0)
    p = net.forward(Fn)[:, 0]
    pg.wait_js("() => document.querySelector('#metrics td[data-cell=tp] b')")
    cells = {
        k: int(pg.page.locator(f"#metrics td[data-cell={k}] b").inner_text())
        for k in ("tp", "fp", "fn", "tn")
    }
    assert cells == binary_confusion(y, p, threshold=0.5)
    assert live(pg, "n") == str(len(y))
    # The trained neuron in raw units, near σ(0.25·age − 10.5).
    w, b = raw_age_neuron(doc)
    wait_live(pg, "w", f"t => t === '{w:.4f}'")
    assert abs(w - 0.25) < 0.08 and abs(b + 10.5) < 4
    # A costlier miss lowers the best threshold.
    thresholds = []
    for ratio_index in (0, 4):
        pg.set_range("#lesson input[data-ratio]", ratio_index)
        pg.wait_js(
            "r => document.querySelector('#lesson [data-live=ratio]').textContent === r",
            ["1", "10"][ratio_index // 4],
        )
        thresholds.append(
            float(pg.page.locator("#lesson [data-live=best]").get_attribute("data-value") or "nan")
        )
    assert thresholds[1] < thresholds[0]
    pg.page.locator("#lesson button[data-use]").click()
    pg.wait_config("threshold", thresholds[1])
    # The matrix now shows the counts the text gave for that threshold.
    pg.wait_js(
        "fn => document.querySelector('#metrics td[data-cell=fn] b')?.textContent === fn",
        live(pg, "fn"),
    )
    assert pg.page.locator("#metrics td[data-cell=fp] b").inner_text() == live(pg, "fp")
    ratio = 10
    fn, fp = int(live(pg, "fn")), int(live(pg, "fp"))
    costs = [
        ratio * int(np.sum((p < t) & (y == 1))) + int(np.sum((p >= t) & (y == 0)))
        for t in np.concatenate([[0.0], np.sort(p) + 1e-12])
    ]
    assert ratio * fn + fp == min(costs)
    assert pg.errors == []
