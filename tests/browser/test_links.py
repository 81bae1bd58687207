"""Links: the page's own URL restores its state in a fresh page, and a TensorFlow
Playground link loads as the same settings."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from playground_page import Playground
from playwright.sync_api import expect

from app.data.tfp_link import parse_link

pytestmark = pytest.mark.browser

COMPARED = ("dataset", "hidden", "lr", "seed", "features")


def test_link_restores_the_same_session_in_a_fresh_page(
    make_page: Callable[..., Playground],
) -> None:
    pg = make_page().open()
    page = pg.page
    page.get_by_role("radio", name="Dataset xor", exact=True).click()
    pg.wait_config("dataset", "xor")
    pg.button("Remove layer").click()
    pg.wait_config("hidden", [{"units": 4, "activation": "tanh"}])
    page.get_by_role("button", name="Remove a neuron from layer 1", exact=True).click()
    pg.wait_config("hidden", [{"units": 3, "activation": "tanh"}])
    page.get_by_role("combobox", name="Activation (layer 1)", exact=True).select_option("relu")
    pg.wait_config("hidden", [{"units": 3, "activation": "relu"}])
    page.get_by_role("combobox", name="Learning rate", exact=True).select_option("0.1")
    pg.wait_config("lr", 0.1)
    pg.button("Regenerate").click()
    pg.wait_config("data_seed", 1)

    link_hash = page.evaluate("() => location.hash")
    params = dict(part.split("=", 1) for part in link_hash.lstrip("#").split("&"))
    assert {k: unquote(params[k]) for k in ("dataset", "hidden", "lr", "data_seed")} == {
        "dataset": "xor",
        "hidden": "3:relu",
        "lr": "0.1",
        "data_seed": "1",
    }
    source = pg.export()

    fresh = make_page().open(link_hash)
    fresh.wait_config("data_seed", 1)
    fresh.wait_config("hidden", [{"units": 3, "activation": "relu"}])
    restored = fresh.export()
    assert fresh.session_id() != pg.session_id()
    for key in COMPARED:
        assert restored["config"][key] == source["config"][key], key
    assert restored["config"] == source["config"]
    assert restored["points"] == source["points"]
    assert restored["network"] == source["network"]  # same seed, same first weights
    assert fresh.page.evaluate("() => location.hash") == link_hash
    assert pg.errors == [] and fresh.errors == []


def test_link_carries_points_placed_by_hand(make_page: Callable[..., Playground]) -> None:
    pg = make_page().open()
    pg.button("Clear points").click()
    pg.expect_point_count(0)
    placed = [((1.23, -2.5), 0), ((-3.0, 4.0), 1), ((4.4, 4.4), 0)]
    for n, ((x, y), label) in enumerate(placed, start=1):
        pg.click_plot(x, y, modifiers=["Shift"] if label else [])
        pg.expect_point_count(n)
    pg.wait_js("() => /(^#|&)pts=/.test(location.hash)")
    pg.wait_js("() => decodeURIComponent(location.hash).split('pts=')[1].split(';').length === 3")
    link_hash = pg.page.evaluate("() => location.hash")
    source = pg.export()["points"]
    assert source["y"] == [0, 1, 0]

    fresh = make_page().open(link_hash)
    fresh.expect_point_count(3)
    restored = fresh.export()["points"]
    assert restored["y"] == source["y"]
    assert restored["test"] == source["test"]
    for got, want in zip(restored["x"], source["x"], strict=True):
        assert got == pytest.approx(want, abs=0.006)  # the link keeps two decimals
    assert pg.errors == [] and fresh.errors == []


TFP_DATA = Path(__file__).parents[1] / "data" / "tfp"


def test_a_tensorflow_playground_link_runs_as_the_page_runs_it(pg: Playground) -> None:
    ref = json.loads((TFP_DATA / "xor_tanh_five_l2_batch11.json").read_text())
    pg.open()
    page = pg.page
    link = f"https://playground.tensorflow.org/#{ref['link']}"
    page.get_by_role("textbox", name="TensorFlow Playground link", exact=True).fill(link)
    pg.button("Load TensorFlow link").click()
    pg.wait_config("profile", "tfp")

    config = pg.session_state()["config"]
    assert config["tfp_seed"] == parse_link(link).seed
    assert config["dataset"] == "xor" and config["loss"] == "mse"
    assert pg.session_state()["loss"]["train"] == pytest.approx(ref["loss_train"][0], abs=1e-9)
    for epoch in (1, 2, 3):
        pg.button("Step").click()
        pg.expect_epoch(epoch)
        assert pg.train_loss() == pytest.approx(ref["loss_train"][epoch], abs=1e-9)
    state = pg.session_state()
    assert state["loss"]["test"] == pytest.approx(ref["loss_test"][3], abs=1e-9)
    assert pg.errors == []


def test_a_link_tensorflow_playground_cannot_run_is_refused(pg: Playground) -> None:
    pg.open()
    before = pg.session_state()["config"]
    page = pg.page
    box = page.get_by_role("textbox", name="TensorFlow Playground link", exact=True)
    box.fill("https://playground.tensorflow.org/#learningRate=abc&seed=0.1")
    pg.button("Load TensorFlow link").click()
    expect(page.locator("#rebuild-note")).to_contain_text("learningRate")
    assert pg.session_state()["config"] == before


def test_open_in_tensorflow_playground_shows_the_link_and_what_it_cannot_show(
    pg: Playground,
) -> None:
    pg.open()
    page = pg.page
    pg.button("Open in TensorFlow Playground").click()
    status = page.get_by_role("status", name="TensorFlow Playground link", exact=True)
    expect(status).to_contain_text("cannot reproduce: profile, loss.")
    href = page.locator("#tfp-link-url").get_attribute("href") or ""
    assert href.startswith("https://playground.tensorflow.org/#")
    assert parse_link(href).dataset == pg.session_state()["config"]["dataset"]

    ref = json.loads((TFP_DATA / "default_circle.json").read_text())
    box = page.get_by_role("textbox", name="TensorFlow Playground link", exact=True)
    box.fill(f"https://playground.tensorflow.org/#{ref['link']}")
    pg.button("Load TensorFlow link").click()
    pg.wait_config("profile", "tfp")
    pg.button("Open in TensorFlow Playground").click()
    expect(status).to_contain_text("runs exactly this session")
    href = page.locator("#tfp-link-url").get_attribute("href") or ""
    assert parse_link(href) == parse_link(ref["link"])
    assert pg.errors == []


def _load_tfp_link(pg: Playground, name: str) -> dict[str, Any]:
    ref: dict[str, Any] = json.loads((TFP_DATA / f"{name}.json").read_text())
    box = pg.page.get_by_role("textbox", name="TensorFlow Playground link", exact=True)
    box.fill(f"https://playground.tensorflow.org/#{ref['link']}")
    pg.button("Load TensorFlow link").click()
    pg.wait_config("profile", "tfp")
    return ref


def test_a_link_l1_killed_is_drawn_dead_in_the_diagram(pg: Playground) -> None:
    pg.open()
    page = pg.page
    _load_tfp_link(pg, "circle_relu_l1_sines")  # L1 at 0.01, lr 0.1: a link dies at once
    expect(page.locator("#diagram path.link[data-dead]")).to_have_count(0)
    for epoch in (1, 2, 3):
        pg.button("Step").click()
        pg.expect_epoch(epoch)

    # Which links the server has dead: the export's flat mask, layer by layer.
    sizes = pg.session_state()["sizes"]
    flat = pg.export()["network"]["dead"]
    dead, k = [], 0
    for layer, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        dead += [(layer, n // b, n % b) for n in range(a * b) if flat[k + n]]
        k += a * b
    assert dead
    shown = page.locator("#diagram path.link[data-dead='true']")
    expect(shown).to_have_count(len(dead))
    drawn = {
        (int(p["layer"]), int(p["from"]), int(p["to"]))
        for p in shown.evaluate_all("ps => ps.map((p) => ({...p.dataset}))")
    }
    assert drawn == set(dead)

    layer, i, j = dead[0]
    link = page.locator(f"#diagram path.link[data-layer='{layer}'][data-from='{i}'][data-to='{j}']")
    assert float(link.get_attribute("data-weight") or "nan") == 0.0
    link.dispatch_event("mouseenter")
    expect(link.locator("title")).to_contain_text(
        "dead (L1 set it to 0; TensorFlow Playground never updates it again)"
    )
    link.dispatch_event("click")
    expect(page.locator("#editor-label")).to_contain_text("dead: kept as set, never trained")
    page.get_by_role("button", name="Cancel", exact=True).click()
    alive = page.locator("#diagram path.link:not([data-dead])").first
    alive.dispatch_event("mouseenter")
    expect(alive.locator("title")).not_to_contain_text("dead")
    assert pg.errors == []


def test_settings_beyond_tensorflow_playground_are_marked_and_named(pg: Playground) -> None:
    pg.open()
    page = pg.page
    _load_tfp_link(pg, "default_circle")
    badges = page.locator(".beyond-tfp")
    expect(badges).to_have_count(0)

    page.get_by_role("combobox", name="Optimizer", exact=True).select_option("adam")
    pg.wait_config("method", "adam")
    page.get_by_role("checkbox", name="Normalize inputs", exact=True).check()
    pg.wait_config("normalize", True)
    assert pg.session_state()["beyond_tfp"] == ["normalize", "method"]
    method = page.locator(".beyond-tfp[data-key='method']")
    expect(method).to_be_visible()
    expect(method).to_have_text("beyond TFP")
    expect(method).to_have_attribute("title", re.compile("plain SGD"))
    expect(page.locator(".beyond-tfp[data-key='normalize']")).to_be_visible()
    expect(badges).to_have_count(2)
    # Out of the flow of the row: a badge never makes the bar wrap.
    assert method.evaluate("b => getComputedStyle(b).position") == "absolute"

    pg.button("Step").click()
    pg.expect_epoch(1)
    pg.button("Open in TensorFlow Playground").click()
    status = page.get_by_role("status", name="TensorFlow Playground link", exact=True)
    expect(status).to_contain_text("cannot reproduce: normalize, method.")

    page.get_by_role("combobox", name="Optimizer", exact=True).select_option("sgd")
    pg.wait_config("method", "sgd")
    expect(badges).to_have_count(1)
    expect(page.locator(".beyond-tfp[data-key='normalize']")).to_be_visible()
    assert pg.errors == []


def test_hidden_space_shows_a_tensorflow_playground_network(pg: Playground) -> None:
    pg.open()
    page = pg.page
    _load_tfp_link(pg, "default_circle")
    page.get_by_label("Hidden space", exact=True).check()
    reply = pg.wait_js("() => window.playground.hidden.last")
    assert reply["units"] == 4 and len(reply["points"]) == 500
    page.get_by_label("Hidden layer").select_option("2")
    pg.wait_js("() => window.playground.hidden.last?.layer === 2")
    assert pg.errors == []
