"""Screenshots of the page's main states, after some training, into ``test-artifacts/``;
with ``UPDATE_README_SCREENSHOT=1`` the default one also becomes the README's picture,
``docs/screenshot.png``."""

from __future__ import annotations

import os
import shutil

import pytest
from playground_page import ARTIFACTS, ROOT, Playground

pytestmark = pytest.mark.browser

README_SCREENSHOT = ROOT / "docs" / "screenshot.png"

# The loss chart has been drawn with every point it holds.
LOSS_CHART_CURRENT_JS = """() => {
  const gd = document.getElementById('loss-chart');
  return gd.calcdata && gd.data && gd.calcdata[0].length === gd.data[0].x.length;
}"""

STATES = {
    # name: (link, epochs, kind, inputs)
    "default": ("#speed=10", 300, "binary", 2),
    "xor": ("#dataset=xor&lr=0.1&speed=10", 300, "binary", 2),
    "age": ("#dataset=age&normalize=1&lr=0.1&speed=10", 300, "binary", 1),
    "blobs": ("#dataset=blobs&speed=10", 200, "multiclass", 2),
    "plane": ("#dataset=plane&speed=10", 200, "regression", 2),
}


def train(pg: Playground, epochs: int) -> None:
    """Play until ``epochs``, pause, and wait until the charts show it."""
    pg.button("Play").click()
    pg.wait_epoch_at_least(epochs, timeout=30_000)
    pg.button("Pause").click()
    pg.expect_status("idle")
    pg.wait_js(LOSS_CHART_CURRENT_JS)


@pytest.mark.parametrize("name", list(STATES))
def test_screenshot_of_a_trained_state(pg: Playground, name: str) -> None:
    link, epochs, kind, inputs = STATES[name]
    pg.open(link)
    pg.wait_config("speed", 10)
    train(pg, epochs)
    if name == "default":
        # The picture shows the default speed; changing it rebuilds nothing.
        pg.page.get_by_role("combobox", name="Speed", exact=True).select_option("1")
        pg.wait_config("speed", 1)
        pg.wait_js(LOSS_CHART_CURRENT_JS)

    state = pg.session_state()
    assert (state["kind"], state["inputs"]) == (kind, inputs)
    assert state["epoch"] >= epochs
    history = pg.get("/history")["history"]
    assert history[-1]["train"] < 0.8 * history[0]["train"], "training did not lower the loss"
    distinct, _ = pg.plot_colours()
    assert distinct >= 4, f"the plot shows only {distinct} colours"
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"state-{name}.png"
    pg.page.screenshot(path=str(path))
    if name == "default" and os.environ.get("UPDATE_README_SCREENSHOT"):
        README_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(path, README_SCREENSHOT)
    assert pg.errors == []
