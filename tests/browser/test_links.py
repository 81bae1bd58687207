"""Links: the page's own URL restores its state in a fresh page, and a TensorFlow
Playground link loads as the same settings."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
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
    pg.wait_config("seed", 1)

    link_hash = page.evaluate("() => location.hash")
    params = dict(part.split("=", 1) for part in link_hash.lstrip("#").split("&"))
    assert {k: unquote(params[k]) for k in ("dataset", "hidden", "lr", "seed")} == {
        "dataset": "xor",
        "hidden": "3:relu",
        "lr": "0.1",
        "seed": "1",
    }
    source = pg.export()

    fresh = make_page().open(link_hash)
    fresh.wait_config("seed", 1)
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
