"""Files and direct manipulation: CSV out and in, JSON export and import, dragging and
erasing points, editing a weight by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playground_page import Playground
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def clear(pg: Playground) -> None:
    pg.button("Clear points").click()
    pg.expect_point_count(0)


def test_csv_download_holds_every_point(pg: Playground) -> None:
    pg.open()
    with pg.page.expect_download() as info:
        pg.button("Download CSV").click()
    lines = Path(info.value.path()).read_text().strip().splitlines()
    assert lines[0] == "x1,x2,label,test"
    doc = pg.export()
    assert len(lines) - 1 == len(doc["points"]["x"])
    x1, x2, label, test = lines[1].split(",")
    assert [float(x1), float(x2)] == pytest.approx(doc["points"]["x"][0])
    assert int(label) == doc["points"]["y"][0]


def test_csv_upload_replaces_the_points(pg: Playground, tmp_path: Path) -> None:
    pg.open()
    csv = tmp_path / "points.csv"
    csv.write_text("x1,x2,label,test\n1.5,2.5,1,0\n-3,-4,0,1\n2,-2,1,0\n")
    pg.page.locator("#csv-upload").set_input_files(str(csv))
    pg.expect_point_count(3)
    points = pg.export()["points"]
    assert points["x"] == [[1.5, 2.5], [-3.0, -4.0], [2.0, -2.0]]
    assert points["y"] == [1, 0, 1]
    assert points["test"] == [False, True, False]


def test_json_export_then_import_restores_the_session(pg: Playground, tmp_path: Path) -> None:
    pg.open()
    pg.step(3)
    pg.expect_epoch(3)
    with pg.page.expect_download() as info:
        pg.button("Export JSON").click()
    exported = json.loads(Path(info.value.path()).read_text())
    assert exported == pg.export()
    pg.step(5)
    pg.expect_epoch(8)
    path = tmp_path / "session.json"
    path.write_text(json.dumps(exported))
    pg.page.locator("#import").set_input_files(str(path))
    pg.expect_epoch(3)
    assert pg.export() == exported


def test_dragging_a_point_moves_it(pg: Playground) -> None:
    pg.open()
    clear(pg)
    pg.click_plot(3.0, 3.0)
    pg.expect_point_count(1)
    box = pg.page.locator("#plot").bounding_box()
    assert box is not None
    start, end = pg.plot_position(3.0, 3.0), pg.plot_position(-2.0, -4.0)
    mouse = pg.page.mouse
    mouse.move(box["x"] + start["x"], box["y"] + start["y"])
    mouse.down()
    mouse.move(box["x"] + end["x"], box["y"] + end["y"], steps=8)
    mouse.up()
    pg.wait_js(
        "() => { const p = window.playground.app.points;"
        " return p.x.length === 1 && p.x[0][0] < 0; }"
    )
    (x,) = pg.export()["points"]["x"]
    assert x == pytest.approx([-2.0, -4.0], abs=0.1)


def test_eraser_removes_the_point_clicked(pg: Playground) -> None:
    pg.open()
    clear(pg)
    pg.click_plot(3.0, 3.0)
    pg.click_plot(-3.0, -3.0)
    pg.expect_point_count(2)
    pg.page.get_by_label("Eraser").check()
    pg.click_plot(3.0, 3.0)
    pg.expect_point_count(1)
    assert pg.export()["points"]["x"] == [pytest.approx([-3.0, -3.0], abs=0.05)]


def test_clicking_a_link_edits_its_weight(pg: Playground) -> None:
    pg.open()
    pg.page.locator("#diagram path.link").first.dispatch_event("click")
    editor = pg.page.get_by_role("dialog", name="Edit value")
    expect(editor).to_be_visible()
    value = editor.get_by_role("spinbutton", name="Value")
    value.fill("1.25")
    value.press("Enter")
    expect(editor).to_be_hidden()
    pg.wait_js("() => window.playground.app.frame?.params[0].W[0][0] === 1.25")
    assert pg.export()["network"]["params"][0]["W"][0][0] == 1.25
