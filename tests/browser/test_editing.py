"""Editing on the page changes the session: points on the plot, layers, neurons and
activations in the diagram."""

from __future__ import annotations

import pytest
from playground_page import Playground
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# Spots far from every point of the circle dataset (its outer ring stays within radius 5).
EMPTY_CORNER = (5.5, -5.5)
OTHER_CORNER = (-5.5, 5.5)


def session_count(pg: Playground) -> int:
    points = pg.session_state()["points"]
    return int(points["train"] + points["test"])


def test_click_adds_a_point_of_the_selected_class(pg: Playground) -> None:
    pg.open()
    n = pg.point_count()
    assert n == session_count(pg) > 0

    pg.click_plot(*EMPTY_CORNER)
    pg.expect_point_count(n + 1)
    assert session_count(pg) == n + 1
    doc = pg.export()["points"]
    assert doc["y"][-1] == 0
    assert doc["x"][-1] == pytest.approx(EMPTY_CORNER, abs=0.1)

    pg.page.get_by_role("radio", name="Class 1", exact=True).click()
    pg.click_plot(*OTHER_CORNER)
    pg.expect_point_count(n + 2)
    assert session_count(pg) == n + 2
    doc = pg.export()["points"]
    assert doc["y"][-1] == 1
    assert doc["x"][-1] == pytest.approx(OTHER_CORNER, abs=0.1)
    text = pg.page.locator("#point-count").inner_text()
    state = pg.session_state()["points"]
    assert text == f"{state['train']} training · {state['test']} test points"
    assert pg.errors == []


def test_right_click_on_a_point_removes_it(pg: Playground) -> None:
    pg.open()
    n = pg.point_count()
    pg.page.get_by_role("radio", name="Class 1", exact=True).click()
    pg.click_plot(*OTHER_CORNER)
    pg.expect_point_count(n + 1)
    assert pg.export()["points"]["y"][-1] == 1

    pg.click_plot(*OTHER_CORNER, button="right")
    pg.expect_point_count(n)
    assert session_count(pg) == n
    remaining = pg.export()["points"]["x"]
    assert all(p != pytest.approx(OTHER_CORNER, abs=0.1) for p in remaining)
    assert pg.errors == []


def test_layers_change_the_diagram_and_the_network(pg: Playground) -> None:
    pg.open()
    neurons = pg.page.locator("#diagram .node.neuron")
    expect(neurons).to_have_count(6)  # 4 + 2
    assert pg.session_state()["sizes"] == [2, 4, 2, 1]

    pg.button("Add layer").click()
    expect(neurons).to_have_count(8)  # the new layer copies the last: 2 tanh
    state = pg.session_state()
    assert state["sizes"] == [2, 4, 2, 2, 1]
    assert state["config"]["hidden"][-1] == {"units": 2, "activation": "tanh"}

    pg.button("Remove layer").click()
    pg.button("Remove layer").click()
    expect(neurons).to_have_count(4)
    state = pg.session_state()
    assert state["sizes"] == [2, 4, 1]
    assert state["config"]["hidden"] == [{"units": 4, "activation": "tanh"}]
    assert pg.errors == []


def test_neurons_change_the_diagram_and_the_network(pg: Playground) -> None:
    pg.open()
    neurons = pg.page.locator("#diagram .node.neuron")
    expect(neurons).to_have_count(6)
    links = pg.page.locator("#diagram svg path.link")
    expect(links).to_have_count(2 * 4 + 4 * 2 + 2 * 1)

    pg.page.get_by_role("button", name="Add a neuron to layer 1", exact=True).click()
    expect(neurons).to_have_count(7)
    expect(links).to_have_count(2 * 5 + 5 * 2 + 2 * 1)
    assert pg.session_state()["sizes"] == [2, 5, 2, 1]

    pg.page.get_by_role("button", name="Remove a neuron from layer 2", exact=True).click()
    expect(neurons).to_have_count(6)
    expect(links).to_have_count(2 * 5 + 5 * 1 + 1 * 1)
    state = pg.session_state()
    assert state["sizes"] == [2, 5, 1, 1]
    assert [h["units"] for h in state["config"]["hidden"]] == [5, 1]
    assert pg.errors == []


def test_activation_select_changes_the_network(pg: Playground) -> None:
    pg.open()
    select = pg.page.get_by_role("combobox", name="Activation (layer 1)", exact=True)
    expect(select).to_have_value("tanh")
    select.select_option("relu")
    pg.wait_js("() => window.playground.app.config.hidden[0].activation === 'relu'")
    state = pg.session_state()
    assert state["config"]["hidden"] == [
        {"units": 4, "activation": "relu"},
        {"units": 2, "activation": "tanh"},
    ]
    assert state["network"]["hidden"][0]["activation"] == "relu"
    expect(pg.page.get_by_role("combobox", name="Activation (layer 1)", exact=True)).to_have_value(
        "relu"
    )
    assert pg.errors == []
