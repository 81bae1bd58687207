"""Training from the page: play, pause, step, and the threshold's confusion matrix."""

from __future__ import annotations

import numpy as np
import pytest
from playground_page import Playground

from app.data import feature_matrix
from app.nn.metrics import binary_confusion
from app.nn.network import Network

pytestmark = pytest.mark.browser

EPOCH_CHANGED_JS = "e => Number(document.getElementById('epoch').dataset.epoch) !== e"


def test_play_trains_until_the_loss_falls(pg: Playground) -> None:
    pg.open()
    first = pg.train_loss()
    assert first > 0.5  # untrained, on the circle
    pg.button("Play").click()
    pg.expect_status("training")
    pg.wait_js(
        "limit => Number(document.getElementById('loss-values').dataset.train) < limit",
        0.6 * first,
        timeout=20_000,
    )
    assert pg.epoch() > 0
    assert pg.session_state()["loss"]["train"] < 0.6 * first
    pg.button("Pause").click()
    assert pg.errors == []


def test_pause_stops_training(pg: Playground) -> None:
    pg.open()
    pg.button("Play").click()
    pg.wait_epoch_at_least(10)
    pg.button("Pause").click()
    pg.expect_status("idle")
    epoch = pg.epoch()
    assert pg.stays_false(EPOCH_CHANGED_JS, epoch, ms=1000), "the epoch moved while paused"
    state = pg.session_state()
    assert state["status"] == "idle"
    assert state["epoch"] == epoch
    assert pg.button("Play").is_visible()  # the button's label flipped back
    assert pg.errors == []


def test_step_trains_exactly_one_epoch(pg: Playground) -> None:
    pg.open()
    pg.button("Step").click()
    pg.expect_epoch(1)
    pg.button("Step").click()
    pg.expect_epoch(2)
    assert pg.stays_false(EPOCH_CHANGED_JS, 2, ms=500), "a step trained more than one epoch"
    state = pg.session_state()
    assert state["epoch"] == 2
    assert state["status"] == "idle"
    assert pg.errors == []


def page_confusion(pg: Playground) -> dict[str, int]:
    cells = {}
    for cell in ("tp", "fp", "fn", "tn"):
        text = pg.page.locator(f"#metrics td[data-cell={cell}]").inner_text()
        label, count = text.split()
        assert label == cell.upper()
        cells[cell] = int(count)
    return cells


def test_threshold_slider_matches_the_sessions_confusion_matrix(pg: Playground) -> None:
    pg.open()
    pg.step(60)  # a partly trained network: its outputs spread over [0, 1]
    pg.expect_epoch(60)
    before = page_confusion(pg)

    drawn = pg.stats()["drawn"]
    pg.set_range("#threshold", 0.8)
    pg.wait_config("threshold", 0.8)
    pg.wait_drawn(drawn + 1)  # the frame built after the change
    assert pg.page.locator("#threshold-out").inner_text() == "0.80"
    shown = page_confusion(pg)
    assert pg.page.locator("#metrics-set").input_value() == "test"

    state = pg.session_state()
    assert state["config"]["threshold"] == 0.8
    served = pg.get("/snapshot", resolution=8)["metrics"]["test"]
    assert shown == {k: served[k] for k in ("tp", "fp", "fn", "tn")}

    # The same four numbers from the exported weights and points, computed here.
    doc = pg.export()
    assert doc["config"]["normalize"] is False
    net = Network.from_dict(doc["network"])
    x = np.asarray(doc["points"]["x"])
    y = np.asarray(doc["points"]["y"])
    test = np.asarray(doc["points"]["test"], dtype=bool)
    p = net.forward(feature_matrix(x[test], doc["config"]["features"]))[:, 0]
    assert shown == binary_confusion(y[test], p, 0.8)
    assert sum(shown.values()) == state["points"]["test"]
    assert shown != before, "the threshold made no difference to the matrix"
    assert pg.errors == []
