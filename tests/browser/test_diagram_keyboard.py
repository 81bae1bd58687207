"""The network diagram by keyboard only: Tab reaches it, the arrow keys move between nodes
and links, a read-out says what is focused and its value, Enter edits a link's weight or a
neuron's bias as a click does, a focused neuron shows its map on the plot, and the per-layer
buttons are named with their layer."""

from __future__ import annotations

from typing import Any

import pytest
from playground_page import Playground
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

LARGE = "#hidden=" + ",".join(["16:tanh"] * 8)

# What has focus: a node's name, or a link's layer and ends.
FOCUSED_JS = """() => {
  const el = document.activeElement;
  if (!el || !document.getElementById('diagram').contains(el)) return null;
  if (el.matches('path.link')) return {link: [+el.dataset.layer, +el.dataset.from, +el.dataset.to],
                                       name: el.getAttribute('aria-label')};
  return {name: el.getAttribute('aria-label')};
}"""

# The links canvas's pixel at the middle of link (layer, i, j): [r, g, b, a].
LINK_PIXEL_JS = """([layer, i, j]) => {
  const L = window.playground.diagram.links;
  const l = L.list.find((k) => k.layer === layer && k.i === i && k.j === j);
  const dpr = L.canvas.width / L.canvas.clientWidth;
  const x = Math.round((l.x0 + l.x1) / 2 * dpr), y = Math.round((l.y0 + l.y1) / 2 * dpr);
  return [...L.canvas.getContext('2d').getImageData(x, y, 1, 1).data];
}"""


def focused(pg: Playground) -> Any:
    return pg.page.evaluate(FOCUSED_JS)


def readout(pg: Playground) -> Any:
    return pg.page.locator("#diagram [role=status]")


def enter_diagram(pg: Playground) -> None:
    """Tab into the diagram from the control before it."""
    pg.page.get_by_role("checkbox", name="Show gradients", exact=True).focus()
    pg.page.keyboard.press("Tab")
    assert focused(pg) == {"name": "Feature x1"}


def press(pg: Playground, *keys: str) -> None:
    for key in keys:
        pg.page.keyboard.press(key)


def test_a_link_is_reached_outlined_announced_and_edited_by_keyboard(pg: Playground) -> None:
    pg.open()
    enter_diagram(pg)
    press(pg, "ArrowRight")
    assert focused(pg) == {"link": [0, 0, 0], "name": "Weight w1→1 (layer 1)"}
    press(pg, "ArrowDown")
    assert focused(pg) == {"link": [0, 0, 1], "name": "Weight w1→2 (layer 1)"}
    w = pg.export()["network"]["params"][0]["W"][0][1]
    expect(readout(pg)).to_be_visible()
    expect(readout(pg)).to_contain_text(f"Weight w1→2 (layer 1) = {w:.4f}")
    r, g, b, a = pg.page.evaluate(LINK_PIXEL_JS, [0, 0, 1])
    assert a == 255 and max(r, g, b) < 80, "the focused link is outlined in dark ink"

    press(pg, "Enter")
    editor = pg.page.get_by_role("dialog", name="Edit value")
    expect(editor).to_be_visible()
    expect(editor).to_contain_text("w1→2 (layer 1)")
    value = editor.get_by_role("spinbutton", name="Value")
    expect(value).to_be_focused()
    pg.page.keyboard.type("-0.75")
    press(pg, "Enter")
    expect(editor).to_be_hidden()
    pg.wait_js("() => window.playground.app.frame?.params[0].W[0][1] === -0.75")
    assert pg.export()["network"]["params"][0]["W"][0][1] == -0.75
    assert focused(pg) == {"link": [0, 0, 1], "name": "Weight w1→2 (layer 1)"}
    expect(readout(pg)).to_contain_text("= -0.7500")

    # → from a link reaches the node it goes to; ← from there its incoming links.
    press(pg, "ArrowRight")
    assert focused(pg) == {"name": "Neuron 2 of layer 1"}
    press(pg, "ArrowLeft")
    assert focused(pg) == {"link": [0, 1, 1], "name": "Weight w2→2 (layer 1)"}
    press(pg, "ArrowLeft")
    assert focused(pg) == {"name": "Feature x2"}

    # Tab leaves the diagram's items; Shift+Tab comes back to the one last visited.
    press(pg, "ArrowRight", "ArrowDown", "Tab")
    assert focused(pg) == {"name": "Add a neuron to layer 1"}
    expect(readout(pg)).to_be_hidden()
    press(pg, "Shift+Tab")
    assert focused(pg) == {"link": [0, 1, 2], "name": "Weight w2→3 (layer 1)"}
    expect(readout(pg)).to_be_visible()
    assert pg.errors == []


def test_a_focused_neuron_shows_its_map_and_edits_its_bias(pg: Playground) -> None:
    pg.open()
    enter_diagram(pg)
    press(pg, "ArrowRight", "ArrowRight")
    assert focused(pg) == {"name": "Neuron 1 of layer 1"}
    pg.wait_js("() => window.playground.app.hoverNeuron === 0")
    press(pg, "ArrowDown")
    assert focused(pg) == {"name": "Neuron 2 of layer 1"}
    pg.wait_js("() => window.playground.app.hoverNeuron === 1")
    b = pg.export()["network"]["params"][0]["b"][1]
    expect(readout(pg)).to_contain_text(f"Neuron 2 of layer 1, its map on the plot: bias {b:.4f}")

    press(pg, "Enter")
    editor = pg.page.get_by_role("dialog", name="Edit value")
    expect(editor).to_contain_text("Bias b2 (layer 1)")
    pg.page.keyboard.type("0.5")
    press(pg, "Enter")
    expect(editor).to_be_hidden()
    pg.wait_js("() => window.playground.app.frame?.params[0].b[1] === 0.5")
    assert focused(pg) == {"name": "Neuron 2 of layer 1"}

    # Keys in the diagram are the diagram's: → does not step training, Space does not play.
    epoch = pg.epoch()
    press(pg, "End", "ArrowRight", "ArrowRight", "ArrowRight", "ArrowRight")
    assert focused(pg) == {"name": "Output"}
    pg.wait_js("() => window.playground.app.hoverNeuron === null")
    press(pg, "ArrowRight", " ")
    expect(editor).to_be_visible()  # Space on the output edits its bias, as Enter does
    expect(editor).to_contain_text("Bias b1 (layer 3)")
    assert pg.stays_false(
        "n => Number(document.getElementById('epoch').dataset.epoch) !== n", epoch
    )
    press(pg, "Escape")
    expect(editor).to_be_hidden()
    assert focused(pg) == {"name": "Output"}
    assert pg.session_state()["status"] == "idle"
    assert pg.epoch() == epoch
    assert pg.errors == []


def test_inputs_switch_by_keyboard_and_keep_focus(pg: Playground) -> None:
    pg.open()
    enter_diagram(pg)
    press(pg, "ArrowDown", "ArrowDown")
    assert focused(pg) == {"name": "Feature x1_sq"}
    press(pg, "Enter")
    pg.wait_config("features", ["x1", "x2", "x1_sq"])
    pg.wait_js("() => document.activeElement?.getAttribute('aria-checked') === 'true'")
    assert focused(pg) == {"name": "Feature x1_sq"}
    # The new input's links are reached from it.
    press(pg, "ArrowRight")
    assert focused(pg)["link"][:2] == [0, 2]
    assert pg.errors == []


def test_layer_buttons_are_named_with_their_layer_and_work_by_keyboard(pg: Playground) -> None:
    pg.open()
    add2 = pg.page.get_by_role("button", name="Add a neuron to layer 2", exact=True)
    remove1 = pg.page.get_by_role("button", name="Remove a neuron from layer 1", exact=True)
    expect(add2).to_have_count(1)
    expect(remove1).to_have_count(1)
    add2.focus()
    press(pg, "Enter")
    pg.wait_js("() => JSON.stringify(window.playground.app.state.sizes) === '[2,4,3,1]'")
    # The diagram is laid out again; focus stays on the same button.
    expect(
        pg.page.get_by_role("button", name="Add a neuron to layer 2", exact=True)
    ).to_be_focused()
    pg.page.get_by_role("button", name="Remove a neuron from layer 1", exact=True).focus()
    press(pg, "Space")  # activates the button, and does not play
    pg.wait_js("() => JSON.stringify(window.playground.app.state.sizes) === '[2,3,3,1]'")
    assert pg.session_state()["sizes"] == [2, 3, 3, 1]
    assert pg.session_state()["status"] == "idle"
    assert pg.errors == []


def test_a_link_deep_in_a_large_network_is_edited_by_keyboard(pg: Playground) -> None:
    pg.open(LARGE)
    pg.wait_js("n => document.querySelectorAll('#diagram .node').length === n", 8 + 16 * 8)
    enter_diagram(pg)
    # Along the top row to layer 4, down to its fourth neuron, then its last outgoing link.
    press(pg, *["ArrowRight"] * 8)
    assert focused(pg) == {"name": "Neuron 1 of layer 4"}
    press(pg, "ArrowDown", "ArrowDown", "ArrowDown", "ArrowRight", "End")
    assert focused(pg) == {"link": [4, 3, 15], "name": "Weight w4→16 (layer 5)"}
    press(pg, "Enter")
    editor = pg.page.get_by_role("dialog", name="Edit value")
    expect(editor).to_contain_text("w4→16 (layer 5)")
    pg.page.keyboard.type("1.25")
    press(pg, "Enter")
    pg.wait_js("() => window.playground.app.frame?.params[4].W[3][15] === 1.25")
    assert pg.export()["network"]["params"][4]["W"][3][15] == 1.25
    assert pg.errors == []
