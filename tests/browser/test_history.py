"""History: the timeline slider shows the network as it was at an earlier epoch — the output
plot, the diagram's weights, the loss and metrics, a marker on the loss chart — while live
frames keep arriving without overwriting it; Back to now, Play and Train from here."""

from __future__ import annotations

import base64
import os
import re
import shutil
import zlib
from typing import Any

import pytest
from playground_page import ARTIFACTS, ROOT, Playground
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

README_PICTURE = ROOT / "docs" / "history.png"
LINK = "#lr=0.1"

# What the page shows: the frame drawn, the slider and its label, the loss chart's marker.
SHOWN_JS = """() => {
  const app = window.playground.app, h = window.playground.history;
  const gd = document.getElementById('loss-chart');
  const slider = document.getElementById('history'), out = document.getElementById('history-out');
  const marker = (gd.data || []).find((t) => t.name === 'shown epoch');
  return {
    epoch: app.frame.epoch, params: app.frame.params, train: app.frame.loss.train,
    lossText: document.getElementById('loss-values').dataset.train,
    looking: h.looking, label: out.textContent, labelEpoch: Number(out.dataset.epoch),
    slider: { value: Number(slider.value), max: Number(slider.max), disabled: slider.disabled },
    shapes: (gd.layout && gd.layout.shapes || []).map((s) => [s.x0, s.x1]),
    marker: marker ? marker.x : null,
    counter: Number(document.getElementById('epoch').dataset.epoch),
    drawn: window.playground.stats.drawn, pastDrawn: h.drawn,
    plot: document.getElementById('plot').toDataURL(),
  };
}"""


def shown(pg: Playground) -> dict[str, Any]:
    result: dict[str, Any] = pg.page.evaluate(SHOWN_JS)
    return result


def slider(pg: Playground) -> Any:
    return pg.page.get_by_role("slider", name="History", exact=True)


def seek(pg: Playground, epoch: int) -> None:
    """Drag the History slider's thumb near ``epoch``, then move it there with the arrow
    keys, and wait until the page shows that epoch."""
    box = slider(pg).bounding_box()
    assert box is not None
    top = int(slider(pg).get_attribute("max") or "0")
    assert 0 <= epoch < top
    thumb = 8  # half of the thumb: its centre travels over the width less the thumb
    y = box["y"] + box["height"] / 2
    pg.page.mouse.move(box["x"] + box["width"] - thumb, y)
    pg.page.mouse.down()
    pg.page.mouse.move(box["x"] + thumb + (box["width"] - 2 * thumb) * epoch / top, y, steps=8)
    pg.page.mouse.up()
    value = int(slider(pg).input_value())
    for _ in range(abs(value - epoch)):
        slider(pg).press("ArrowRight" if value < epoch else "ArrowLeft")
    assert int(slider(pg).input_value()) == epoch
    pg.wait_js(
        """e => { const h = window.playground.history;
                  return h.looking && h.shown && h.shownFor === e
                         && window.playground.app.frame.epoch === e; }""",
        epoch,
    )


def wait_live(pg: Playground, epoch: int) -> None:
    """Wait until the page draws the live frame of ``epoch``."""
    pg.wait_js(
        """e => !window.playground.history.looking
                && window.playground.app.frame.epoch === e""",
        epoch,
    )


def assert_params_close(got: list[dict[str, Any]], want: list[dict[str, Any]], tol: float) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g["b"] == pytest.approx(w["b"], abs=tol)
        for grow, wrow in zip(g["W"], w["W"], strict=True):
            assert grow == pytest.approx(wrow, abs=tol)


def bias_title(pg: Playground, index: int) -> str:
    """Hover the diagram's ``index``-th bias square and read what it says."""
    bias = pg.page.locator("#diagram .node .bias").nth(index)
    bias.hover()
    expect(bias).to_have_attribute("title", re.compile(r"^b = "))
    return bias.get_attribute("title") or ""


def train_to(pg: Playground, epoch: int) -> None:
    """Train the page's session over HTTP up to ``epoch``; wait until the page shows it, the
    History slider's end included."""
    pg.step(epoch - pg.session_state()["epoch"])
    pg.expect_epoch(epoch)
    expect(slider(pg)).to_have_attribute("max", str(epoch))


def test_the_slider_appears_once_the_network_has_trained(pg: Playground) -> None:
    pg.open(LINK)
    s = shown(pg)
    assert s["slider"]["disabled"] and s["label"] == "epoch 0" and not s["looking"]
    train_to(pg, 30)
    expect(slider(pg)).to_be_enabled()
    expect(pg.page.locator("#history-out")).to_have_text("epoch 30")
    s = shown(pg)
    assert s["slider"] == {"value": 30, "max": 30, "disabled": False}
    assert s["label"] == "epoch 30"
    # The Back to now and Train from here buttons show only while the page looks back.
    expect(pg.button("Back to now")).to_be_hidden()
    expect(pg.button("Train from here")).to_be_hidden()
    assert pg.errors == []


def test_dragging_shows_the_network_and_loss_of_that_epoch(pg: Playground) -> None:
    pg.open(LINK)
    train_to(pg, 40)
    then = pg.session_state()
    params_then = pg.export()["network"]["params"]
    bias_then = bias_title(pg, 0)
    train_to(pg, 100)
    now = pg.session_state()
    params_now = pg.export()["network"]["params"]
    assert now["loss"]["train"] != then["loss"]["train"]
    live_plot = shown(pg)["plot"]

    seek(pg, 40)
    s = shown(pg)
    # The loss and weights are the server's at epoch 40, not the present's.
    assert s["train"] == pytest.approx(then["loss"]["train"], rel=1e-9)
    assert float(s["lossText"]) == pytest.approx(then["loss"]["train"], rel=1e-9)
    assert_params_close(s["params"], params_then, 1e-6)
    assert bias_title(pg, 0) == bias_then
    assert s["plot"] != live_plot
    # The page says it looks at the past; the counter still says where the session is.
    assert s["label"] == "Showing epoch 40 of 100" and s["labelEpoch"] == 40
    assert s["counter"] == 100
    expect(pg.page.locator("#history-bar")).to_have_class(re.compile(r"\bpast\b"))
    expect(pg.button("Back to now")).to_be_visible()
    # The quality readout follows the shown epoch.
    metrics = pg.page.evaluate("() => window.playground.app.frame.metrics")
    assert metrics["kind"] == "binary"

    # Moving on with the keyboard shows the next epoch.
    slider(pg).press("ArrowRight")
    pg.wait_js("() => window.playground.app.frame.epoch === 41")
    s41 = shown(pg)
    assert s41["label"] == "Showing epoch 41 of 100"
    assert s41["train"] != s["train"] and s41["params"] != s["params"]
    assert s41["params"] != params_now
    assert pg.errors == []


def test_the_loss_chart_marks_the_shown_epoch(pg: Playground) -> None:
    pg.open(LINK)
    train_to(pg, 60)
    seek(pg, 25)
    pg.wait_js(
        """() => { const shapes = document.getElementById('loss-chart').layout?.shapes || [];
                   return shapes.length === 1 && shapes[0].x0 === 25; }"""
    )
    s = shown(pg)
    assert s["shapes"] == [[25, 25]]
    assert s["marker"] and set(s["marker"]) == {25}
    pg.button("Back to now").click()
    pg.wait_js(
        """() => { const gd = document.getElementById('loss-chart');
                   return (gd.layout.shapes || []).length === 0
                          && !gd.data.some((t) => t.name === 'shown epoch'); }"""
    )
    assert pg.errors == []


def test_a_setting_changed_in_the_past_redraws_the_past_and_a_rebuild_leaves_it(
    pg: Playground,
) -> None:
    pg.open(LINK)
    train_to(pg, 40)
    seek(pg, 10)
    before = shown(pg)
    metrics_before = pg.page.evaluate("() => window.playground.app.frame.metrics.test")
    # The threshold changes the metrics of the epoch shown, not which epoch is shown.
    pg.set_range("#threshold", 0.9)
    pg.wait_config("threshold", 0.9)
    pg.wait_js("n => window.playground.history.drawn > n", before["pastDrawn"])
    s = shown(pg)
    assert s["looking"] and s["epoch"] == 10 and s["params"] == before["params"]
    past = pg.page.evaluate("() => window.playground.app.frame.metrics.test")
    assert (past["tp"], past["fp"]) != (metrics_before["tp"], metrics_before["fp"])
    pg.button("Back to now").click()
    wait_live(pg, 40)
    seek(pg, 10)
    assert pg.page.evaluate("() => window.playground.app.frame.metrics.test") == past
    # A change that rebuilds the network starts its history afresh: the page shows now.
    pg.page.get_by_label("Add layer").click()
    pg.wait_js("() => !window.playground.history.looking")
    expect(slider(pg)).to_be_disabled()
    assert shown(pg)["label"] == "epoch 0"
    assert pg.errors == []


def test_escape_on_the_slider_returns_to_now(pg: Playground) -> None:
    pg.open(LINK)
    train_to(pg, 20)
    seek(pg, 5)
    slider(pg).press("Escape")
    wait_live(pg, 20)
    assert shown(pg)["label"] == "epoch 20"
    expect(slider(pg)).to_have_value("20")
    assert pg.errors == []


def test_a_large_network_is_shown_in_the_past_with_every_neuron(pg: Playground) -> None:
    pg.open("#hidden=" + ",".join(["16:tanh"] * 8))
    train_to(pg, 20)
    then = pg.export()["network"]["params"]
    train_to(pg, 40)
    seek(pg, 20)
    s = shown(pg)
    assert len(s["params"]) == 9
    assert_params_close(s["params"], then, 1e-6)
    # Every neuron's map is drawn from the past frame: hovering one shows it on the plot.
    maps = pg.page.evaluate("() => window.playground.app.maps.count")
    assert maps == 8 * 16 + 1
    plot = s["plot"]
    pg.page.get_by_label("Neuron 1 of layer 8", exact=True).hover()
    pg.wait_js("p => document.getElementById('plot').toDataURL() !== p", plot)
    assert shown(pg)["looking"]
    assert pg.errors == []


def test_live_frames_do_not_overwrite_the_past_and_are_right_after_back_to_now(
    pg: Playground,
) -> None:
    pg.open(LINK)
    train_to(pg, 50)
    seek(pg, 20)
    before = shown(pg)
    # The session trains on (another client, here over HTTP): its frames arrive and are
    # decoded, the counter and the slider's end follow, the past stays on screen.
    pg.step(150)
    pg.expect_epoch(200)
    pg.wait_js("() => Number(document.getElementById('history').max) === 200")
    after = shown(pg)
    assert after["drawn"] > before["drawn"], "no live frame arrived"
    assert after["epoch"] == 20 and after["params"] == before["params"]
    assert after["plot"] == before["plot"] and after["lossText"] == before["lossText"]
    assert after["label"] == "Showing epoch 20 of 200" and after["slider"]["value"] == 20

    pg.button("Back to now").click()
    wait_live(pg, 200)
    s = shown(pg)
    assert s["label"] == "epoch 200" and s["slider"]["value"] == 200
    state = pg.session_state()
    assert float(s["lossText"]) == pytest.approx(state["loss"]["train"], rel=1e-5)
    assert s["plot"] != before["plot"]

    # Live frames after Back to now are decoded right: weights and the output map match the
    # server's own snapshot.
    pg.step(10)
    wait_live(pg, 210)
    assert_params_close(shown(pg)["params"], pg.export()["network"]["params"], 1e-3)
    resolution = pg.session_state()["config"]["resolution"]
    snap = pg.get("/snapshot", resolution=resolution)
    expected = zlib.decompress(base64.b64decode(snap["maps"]["data"]))
    cells = resolution * resolution
    drawn = pg.page.evaluate(
        """n => { const m = window.playground.app.maps;
                  return Array.from(m.data.subarray(m.offsets[0], m.offsets[0] + n)); }""",
        cells,
    )
    assert len(drawn) == cells
    assert max(abs(a - b) for a, b in zip(drawn, expected[:cells], strict=True)) <= 1
    assert pg.errors == []


def test_play_from_the_past_returns_to_now(pg: Playground) -> None:
    pg.open(LINK)
    train_to(pg, 40)
    seek(pg, 10)
    pg.button("Play").click()
    pg.expect_status("training")
    pg.wait_js(
        """() => !window.playground.history.looking
                 && window.playground.app.frame.epoch > 40"""
    )
    assert shown(pg)["label"].startswith("epoch ")
    pg.wait_js("() => (document.getElementById('loss-chart').layout.shapes || []).length === 0")
    expect(pg.button("Back to now")).to_be_hidden()
    pg.button("Pause").click()
    pg.expect_status("idle")
    assert pg.errors == []


def test_train_from_here_branches_and_the_counter_restarts_there(pg: Playground) -> None:
    pg.open(LINK)
    train_to(pg, 30)
    at_30 = pg.session_state()["loss"]["train"]
    train_to(pg, 100)
    seek(pg, 30)
    # Every epoch the counter shows from now on.
    pg.page.evaluate(
        """() => { const el = document.getElementById('epoch');
                   window.seenEpochs = [];
                   new MutationObserver(() => window.seenEpochs.push(Number(el.dataset.epoch)))
                     .observe(el, { attributes: true, attributeFilter: ['data-epoch'] }); }"""
    )
    pg.button("Train from here").click()
    pg.expect_status("training")
    pg.wait_js("() => window.seenEpochs.some((e) => e > 32)")
    pg.button("Pause").click()
    pg.expect_status("idle")
    seen = pg.page.evaluate("() => window.seenEpochs")
    assert seen and seen[0] >= 30 and max(seen) < 100, seen
    assert seen == sorted(seen)
    # The session went back: its history up to 30 is kept, the rest dropped; the loss chart
    # was cut there and grows from 30.
    history = pg.get("/history")["history"]
    epochs = [h["epoch"] for h in history]
    assert epochs == sorted(epochs) and 100 not in epochs and 30 in epochs
    assert next(h["train"] for h in history if h["epoch"] == 30) == pytest.approx(at_30)
    chart = pg.page.evaluate("() => document.getElementById('loss-chart').data[0].x")
    assert chart == sorted(chart) and max(chart) < 100
    epoch = pg.session_state()["epoch"]
    assert epoch < 100
    expect(slider(pg)).to_have_attribute("max", str(epoch))
    assert not shown(pg)["looking"]
    assert pg.errors == []


def test_history_is_not_offered_under_the_tfp_profile(pg: Playground) -> None:
    pg.open()
    link = "https://playground.tensorflow.org/#activation=tanh&dataset=circle&networkShape=4,2"
    pg.page.get_by_role("textbox", name="TensorFlow Playground link", exact=True).fill(link)
    pg.button("Load TensorFlow link").click()
    pg.wait_config("profile", "tfp")
    train_to(pg, 5)
    expect(slider(pg)).to_be_disabled()
    assert "tfp" in (slider(pg).get_attribute("title") or "")
    assert pg.errors == []


def test_screenshot_of_the_history(pg: Playground) -> None:
    """The README's picture (with ``UPDATE_README_SCREENSHOT=1``): xor looked at early in its
    training, the loss chart marking the epoch shown."""
    pg.open("#dataset=xor&hidden=6:tanh,3:tanh&lr=0.003&speed=10")
    pg.wait_config("speed", 10)
    pg.button("Play").click()
    pg.wait_epoch_at_least(400, timeout=30_000)
    pg.button("Pause").click()
    pg.expect_status("idle")
    seek(pg, 150)
    pg.wait_js("() => document.getElementById('loss-chart').layout.shapes?.[0]?.x0 === 150")
    slider(pg).blur()
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "history.png"
    pg.page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("UPDATE_README_SCREENSHOT") == "1":
        shutil.copyfile(shot, README_PICTURE)
    assert pg.errors == []
