"""The page by keyboard and its layout: points on the plot reachable and operable by keys,
shortcuts only where they belong, the plot in view at 800 px and nothing jumping."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playground_page import Playground
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_points_are_added_found_and_removed_by_keyboard(pg: Playground) -> None:
    pg.open("#dataset=blobs&classes=6")
    page = pg.page
    pg.button("Clear points").click()
    pg.expect_point_count(0)
    plot = page.locator("#plot")
    live = page.locator("#plot-live")
    expect(plot).to_have_attribute("tabindex", "0")  # in the Tab order
    plot.focus()
    for _ in range(4):
        plot.press("ArrowRight")
    plot.press("Shift+ArrowUp")
    expect(live).to_contain_text("Cursor at (1.00, 1.00)")
    assert pg.epoch() == 0 and pg.session_state()["epoch"] == 0  # arrows move the cursor only

    plot.press("4")
    expect(page.get_by_role("radio", name="Class 4", exact=True)).to_have_attribute(
        "aria-checked", "true"
    )
    plot.press("Enter")
    pg.expect_point_count(1)
    expect(live).to_contain_text("Added a class 4 training point at (1.00, 1.00)")
    plot.press("ArrowLeft")
    plot.press("Enter")
    pg.expect_point_count(2)
    assert pg.export()["points"]["y"] == [4, 4]
    assert pg.export()["points"]["x"] == [[1.0, 1.0], [0.75, 1.0]]

    plot.press("]")
    expect(live).to_contain_text("class 4 training point at (1.00, 1.00)")
    plot.press("Delete")
    pg.expect_point_count(1)
    expect(live).to_contain_text("Removed the class 4 training point at (1.00, 1.00)")
    assert pg.export()["points"]["x"] == [[0.75, 1.0]]
    assert pg.errors == []


def test_arrows_and_space_on_a_control_do_not_train(pg: Playground) -> None:
    pg.open()
    page = pg.page
    preset = page.get_by_role("radio", name="Dataset xor", exact=True)
    preset.focus()
    page.keyboard.press("ArrowRight")
    slider = page.get_by_role("slider", name="Noise", exact=True)
    slider.focus()
    page.keyboard.press("ArrowRight")
    select = page.get_by_role("combobox", name="Grid resolution", exact=True)
    select.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("r")
    assert pg.stays_false(
        "() => Number(document.getElementById('epoch').dataset.epoch) > 0"
        " || document.getElementById('status').dataset.status === 'training'",
        ms=1000,
    )
    assert pg.session_state()["epoch"] == 0
    # With nothing focused the shortcuts apply.
    page.evaluate("() => document.activeElement.blur()")
    page.keyboard.press("ArrowRight")
    pg.expect_epoch(1)
    assert pg.errors == []


@pytest.mark.parametrize("width", [1280, 1000])
def test_the_plot_is_in_view_at_800_pixels(
    make_page: Callable[..., Playground], width: int
) -> None:
    pg = make_page(width, 800)
    pg.open()
    box = pg.page.locator("#plot").bounding_box()
    assert box is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= 800, box
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
    assert box["width"] >= 260, box
    assert pg.errors == []


# Where each part of the page starts, and how tall the parts above the charts are (the charts'
# own height follows their content: nothing is below them).
BOXES_JS = """() => ['.topbar', '.trainbar', '#plot', '#diagram', '.charts'].map((s) => {
  const b = document.querySelector(s).getBoundingClientRect();
  return [s, Math.round(b.y), s === '.charts' ? 0 : Math.round(b.height)];
})"""


def test_nothing_jumps_when_messages_or_options_appear(pg: Playground) -> None:
    pg.open("#dataset=plane&lr=10&hidden=8:relu,8:relu,8:relu")
    page = pg.page
    before = page.evaluate(BOXES_JS)
    page.get_by_role("combobox", name="Optimizer", exact=True).select_option("evolution")
    pg.wait_config("method", "evolution")
    expect(page.get_by_role("spinbutton", name="Population", exact=True)).to_be_visible()
    assert page.evaluate(BOXES_JS) == before
    # Every method's own settings fit in the training bar's one row (Adam has the most).
    optimizer = page.get_by_role("combobox", name="Optimizer", exact=True)
    methods = optimizer.evaluate("(s) => [...s.options].map((o) => o.value)")
    assert "adam" in methods
    for method in [*methods, "sgd"]:
        optimizer.select_option(method)
        pg.wait_config("method", method)
        assert page.evaluate(BOXES_JS) == before, method
    pg.button("Remove layer").click()  # a rebuild: a message under the diagram
    expect(page.locator("#rebuild-note")).to_contain_text("rebuilt")
    assert page.evaluate(BOXES_JS) == before
    pg.step(20)  # the weights blow up: a long status and its Reset button
    pg.expect_status("diverged")
    expect(pg.button("Reset after divergence")).to_be_visible()
    assert page.evaluate(BOXES_JS) == before
    assert pg.errors == []


def test_the_age_shading_is_clean_and_inside_its_frame(pg: Playground) -> None:
    pg.open("#dataset=age&normalize=1")
    pg.step(100)
    pg.expect_epoch(100)
    # One row across the plot at P = 0.3, between the points (drawn near 0 and 1): the shading
    # changes colour once (at the decision) plus where the curve and dashed lines cross.
    runs = pg.wait_js(
        """() => { const ctx = document.getElementById('plot').getContext('2d');
          const y = Math.round(24 + (1 - (0.3 + 0.05) / 1.1) * 352);
          const d = ctx.getImageData(0, y, 400, 1).data;
          const px = (x) => [d[4 * x], d[4 * x + 1], d[4 * x + 2]].join(',');
          let changes = 0;
          for (let x = 26; x < 374; x++) if (px(x) !== px(x - 1)) changes++;
          const outside = [...Array(22).keys()].concat([...Array(22).keys()].map((i) => 378 + i))
            .filter((x) => px(x) !== '255,255,255');
          return { changes, outside: outside.length }; }"""
    )
    assert runs["outside"] == 0, runs
    assert runs["changes"] <= 12, runs
    assert pg.errors == []
