"""Links: the page's own URL restores its state in a fresh page, and a TensorFlow
Playground link loads as the same settings."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote

import pytest
from playground_page import Playground
from playwright.sync_api import expect

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
    page.get_by_role("button", name="Remove neuron", exact=True).click()
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


TFP_LINK = (
    "https://playground.tensorflow.org/#activation=relu&batchSize=20&dataset=xor"
    "&regDataset=reg-plane&learningRate=0.1&regularizationRate=0.001&noise=20"
    "&networkShape=5,3&seed=0.12345&showTestData=true&discretize=false&percTrainData=60"
    "&x=true&y=true&xTimesY=true&xSquared=false&ySquared=false&cosX=false&sinX=true"
    "&cosY=false&sinY=false&collectStats=false&problem=classification&initZero=false"
    "&hideText=false"
)


def tfp_seed(text: str) -> int:
    """TFP's seed string as the page turns it into an integer (32-bit FNV-1a)."""
    h = 2166136261
    for c in text:
        h = ((h ^ ord(c)) * 16777619) & 0xFFFFFFFF
    return h % 2147483647


def test_tensorflow_playground_link_loads_its_settings(pg: Playground) -> None:
    pg.open()
    before = pg.session_state()["config"]
    page = pg.page
    page.get_by_role("textbox", name="TensorFlow Playground link", exact=True).fill(TFP_LINK)
    pg.button("Load TensorFlow link").click()
    pg.wait_config("features", ["x1", "x2", "x1_x2", "sin_x1"])

    config = pg.session_state()["config"]
    assert config["dataset"] == "xor"
    assert config["hidden"] == [
        {"units": 5, "activation": "relu"},
        {"units": 3, "activation": "relu"},
    ]
    assert config["lr"] == 0.1
    assert config["regularization_rate"] == 0.001
    assert config["regularization"] == before["regularization"]  # the link does not say
    assert config["batch_size"] == 20
    assert config["noise"] == pytest.approx(0.2)
    assert config["train_ratio"] == pytest.approx(0.6)
    assert config["features"] == ["x1", "x2", "x1_x2", "sin_x1"]
    assert config["loss"] == "mse"
    assert config["points"] == 500
    assert config["seed"] == tfp_seed("0.12345")
    expect(page.get_by_role("checkbox", name="Show test data", exact=True)).to_be_checked()
    expect(page.get_by_role("checkbox", name="Discretize output", exact=True)).not_to_be_checked()
    expect(page.locator("#diagram .node.neuron")).to_have_count(8)
    assert pg.errors == []
