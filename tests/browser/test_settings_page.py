"""The page builds its controls from the server's definitions of the settings: every choice,
bound and method setting it shows comes from them, a plug-in included."""

from __future__ import annotations

import pytest
from playground_page import Playground
from playwright.sync_api import expect

from app.training.config import METHOD_SETTINGS, SETTINGS

pytestmark = pytest.mark.browser


def _options(pg: Playground, name: str) -> list[str]:
    values: list[str] = pg.page.get_by_role("combobox", name=name, exact=True).evaluate(
        "el => [...el.options].map((o) => o.value)"
    )
    return values


def test_selects_and_bounds_come_from_the_definitions(pg: Playground) -> None:
    pg.open()
    assert _options(pg, "Optimizer") == list(SETTINGS["method"].choices)
    assert _options(pg, "Loss") == list(SETTINGS["loss"].choices)
    assert _options(pg, "Regularization") == list(SETTINGS["regularization"].choices)
    assert _options(pg, "Activation (layer 1)") == list(SETTINGS["hidden"].choices)
    assert [float(v) for v in _options(pg, "Learning rate")] == list(SETTINGS["lr"].presets)
    points = pg.page.locator("#points")
    assert [float(points.get_attribute(a) or "nan") for a in ("min", "max", "step")] == list(
        SETTINGS["points"].slider or ()
    )


def test_rmsprop_and_swish_work_from_the_page(pg: Playground) -> None:
    pg.open()
    pg.page.get_by_role("combobox", name="Optimizer", exact=True).select_option("rmsprop")
    pg.wait_config("method", "rmsprop")
    for key in METHOD_SETTINGS["rmsprop"]:
        if key != "lr":
            expect(pg.page.locator(f"#{key}")).to_be_visible()
    expect(pg.page.locator("#momentum")).to_be_hidden()
    rho = pg.page.get_by_label(SETTINGS["rho"].label, exact=True)
    rho.fill("0.8")
    rho.dispatch_event("change")
    pg.wait_config("rho", 0.8)
    pg.page.get_by_role("combobox", name="Activation (layer 1)", exact=True).select_option("swish")
    pg.wait_config(
        "hidden", [{"units": 4, "activation": "swish"}, {"units": 2, "activation": "tanh"}]
    )
    assert "method=rmsprop" in pg.page.evaluate("() => location.hash")
    pg.step(3)
    pg.expect_epoch(3)
