"""The page as a whole: it loads clean, draws, answers the keyboard, names its controls and
fits the screen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playground_page import Playground
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_page_loads_without_errors_and_draws_the_boundary(pg: Playground) -> None:
    pg.open()
    assert pg.stats()["drawn"] >= 1
    distinct, coloured = pg.plot_colours()
    assert distinct >= 8, f"the plot shows only {distinct} colours"
    assert coloured > 0.5, f"only {coloured:.0%} of the plot is painted"
    expect(pg.page.locator("#status")).to_have_attribute("data-status", "idle")
    assert pg.errors == []


def test_keyboard_space_plays_and_pauses_arrow_steps_r_resets(pg: Playground) -> None:
    pg.open()
    page = pg.page
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    assert page.evaluate("() => document.activeElement === document.body")

    page.keyboard.press("Space")
    pg.expect_status("training")
    pg.wait_epoch_at_least(1)
    page.keyboard.press("Space")
    pg.expect_status("idle")

    epoch = pg.epoch()
    page.keyboard.press("ArrowRight")
    pg.expect_epoch(epoch + 1)
    assert pg.session_state()["epoch"] == epoch + 1

    page.keyboard.press("r")
    pg.expect_epoch(0)
    assert pg.session_state()["epoch"] == 0
    assert pg.errors == []


# A control's accessible name, computed the way the accessibility tree does in the simple
# cases the page uses: aria-labelledby, aria-label, its <label>s, its text, its title.
CONTROL_NAMES_JS = """() => {
  const text = (el) => (el ? el.textContent.replace(/\\s+/g, ' ').trim() : '');
  const name = (el) => {
    const by = el.getAttribute('aria-labelledby');
    if (by) return by.split(/\\s+/).map((id) => text(document.getElementById(id))).join(' ').trim();
    const aria = (el.getAttribute('aria-label') || '').trim();
    if (aria) return aria;
    const labels = el.labels ? [...el.labels].map(text).join(' ').trim() : '';
    if (labels) return labels;
    if (el.tagName === 'BUTTON' || el.getAttribute('role')) {
      const t = text(el);
      if (t) return t;
    }
    return (el.getAttribute('title') || el.getAttribute('placeholder') || '').trim();
  };
  const sel = 'button, select, input, textarea, [role=switch], [role=radio], [role=slider]';
  return [...document.querySelectorAll(sel)].map((el) => ({
    name: name(el), html: el.outerHTML.slice(0, 120),
  }));
}"""


def test_every_control_has_an_accessible_name(pg: Playground) -> None:
    pg.open()
    # The panels built from data are there: presets, class picker, layer controls.
    pg.wait_js("() => document.querySelectorAll('#presets .preset').length >= 5")
    expect(pg.page.get_by_role("radio", name="Class 1", exact=True)).to_be_attached()
    activation = pg.page.get_by_role("combobox", name="Activation (layer 1)", exact=True)
    expect(activation).to_be_attached()
    controls: list[dict[str, Any]] = pg.page.evaluate(CONTROL_NAMES_JS)
    assert len(controls) >= 40, f"only {len(controls)} controls found"
    nameless = [c["html"] for c in controls if not c["name"]]
    assert nameless == [], f"controls without an accessible name: {nameless}"


def test_every_control_in_the_accessibility_tree_is_named(pg: Playground) -> None:
    """The same question asked of Chromium's own accessibility tree."""
    pg.open()
    pg.wait_js("() => document.querySelectorAll('#presets .preset').length >= 5")
    cdp = pg.page.context.new_cdp_session(pg.page)
    nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    roles = {
        "button", "combobox", "textbox", "checkbox", "slider", "spinbutton", "switch", "radio",
        "menulistpopup", "listbox",
    }  # fmt: skip
    controls = [
        n for n in nodes
        if not n.get("ignored") and n.get("role", {}).get("value") in roles
    ]  # fmt: skip
    assert len(controls) >= 30, f"only {len(controls)} controls in the accessibility tree"
    nameless = [
        (n["role"]["value"], n.get("backendDOMNodeId"))
        for n in controls
        if not str(n.get("name", {}).get("value", "")).strip()
    ]
    assert nameless == [], f"unnamed controls in the accessibility tree: {nameless}"


def inside(box: dict[str, float] | None, width: int, height: int) -> bool:
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= width
        and box["y"] + box["height"] <= height
    )


def test_desktop_layout_fits_without_scrolling(pg: Playground) -> None:
    pg.open()
    page = pg.page
    width, height = 1280, 800
    for selector in ("#plot", "#diagram", ".transport", ".trainbar", "#metrics", "#threshold"):
        box = page.locator(selector).bounding_box()
        assert inside(box, width, height), f"{selector} at {box} is outside {width}×{height}"
    for name in ("Play", "Step", "Reset", "Add layer", "Remove layer"):
        box = pg.button(name).bounding_box()
        assert inside(box, width, height), f"button {name} at {box} is outside the viewport"
    scroll_w, scroll_h = page.evaluate(
        "() => [document.scrollingElement.scrollWidth, document.scrollingElement.scrollHeight]"
    )
    assert scroll_h <= height + 2, f"the page scrolls vertically ({scroll_h} px)"
    assert scroll_w <= width, f"the page scrolls sideways ({scroll_w} px)"


def test_tablet_layout_shows_the_plot_and_plays(make_page: Callable[..., Playground]) -> None:
    pg = make_page(820, 1180)
    pg.open()
    page = pg.page
    plot = page.locator("#plot")
    expect(plot).to_be_visible()
    plot.scroll_into_view_if_needed()
    box = plot.bounding_box()
    assert box is not None and box["width"] >= 300, f"the plot is too small: {box}"
    scroll_w = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert scroll_w <= 820, f"the page scrolls sideways ({scroll_w} px)"
    pg.button("Play").click()
    pg.wait_epoch_at_least(5)
    pg.button("Pause").click()
    pg.expect_status("idle")
    assert pg.errors == []
