"""The speed control speaks in epochs per frame and per second, and the page shows the
epochs per second it measures while training."""

from __future__ import annotations

import time

import pytest
from playground_page import Playground
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_speed_choices_and_the_measured_rate_in_epochs_per_second(pg: Playground) -> None:
    pg.open()
    fps = pg.session_state()["config"]["fps"]
    speed = pg.page.get_by_role("combobox", name="Speed", exact=True)
    expect(speed.locator("option[value='1']")).to_have_text(f"1 epoch/frame · {fps}/s")
    expect(speed.locator("option[value='10']")).to_have_text(f"10 epochs/frame · {10 * fps}/s")
    expect(speed.locator("option[value='0']")).to_have_text("As fast as possible")
    speed.select_option("3")
    pg.wait_config("speed", 3)
    rate = pg.page.get_by_label("Epochs per second measured")
    expect(rate).to_have_text("")

    pg.button("Play").click()
    pg.expect_status("training")
    pg.wait_js("() => Number(document.getElementById('epoch-rate').dataset.rate) > 0")
    e0, t0 = pg.epoch(), time.monotonic()
    e1 = pg.wait_epoch_at_least(e0 + 60, timeout=30_000)
    measured = (e1 - e0) / (time.monotonic() - t0)
    shown = float(rate.get_attribute("data-rate") or 0)
    assert rate.inner_text().endswith(" epochs/s")
    # Both are measured on a shared machine: they agree to within a factor of two.
    assert measured / 2 <= shown <= measured * 2, (shown, measured)

    pg.button("Pause").click()
    pg.expect_status("idle")
    expect(rate).to_have_text("")
    assert pg.errors == []
