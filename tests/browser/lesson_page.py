"""What the lesson tests share: opening a lesson, reading its live numbers, and the arithmetic
its claims are checked against (NumPy, on the session's own points and weights)."""

from __future__ import annotations

from typing import Any

import numpy as np
from playground_page import Playground
from playwright.sync_api import expect


def open_lesson(pg: Playground, lesson: str, hash_: str = "") -> None:
    """Load the page and open ``lesson`` from the menu; wait until its text is drawn."""
    pg.open(hash_)
    pg.page.get_by_role("combobox", name="Lessons").select_option(lesson)
    pg.wait_js("id => window.playground.lessons.current?.id === id", lesson)
    expect(pg.page.locator("#lesson h3")).to_be_visible()
    pg.wait_js(
        "() => { const ctx = window.playground.lessons.ctx; return ctx && ctx.box && ctx.live; }"
    )


def live(pg: Playground, key: str) -> str:
    """The text of the lesson's live number ``key``."""
    text: str = pg.page.locator(f'#lesson [data-live="{key}"]').first.inner_text()
    return text


def wait_live(pg: Playground, key: str, predicate: str = "t => t && t !== '…'") -> str:
    """Wait until the live number ``key`` satisfies ``predicate`` (on its text)."""
    value: str = pg.wait_js(
        f"""() => {{ const el = document.querySelector('#lesson [data-live="{key}"]');
                    const t = el && el.textContent; return ({predicate})(t) ? t : null; }}"""
    )
    return value


def lesson_config(pg: Playground) -> dict[str, Any]:
    config: dict[str, Any] = pg.session_state()["config"]
    return config


def race_id(pg: Playground) -> str:
    """The second session of the open lesson's race, once it is set up."""
    sid: str = pg.wait_js(
        "() => window.playground.lessons.race?.ready && window.playground.lessons.race.sessionId"
    )
    return sid


def race_export(pg: Playground, sid: str) -> dict[str, Any]:
    doc: dict[str, Any] = pg.api.get(f"/api/sessions/{sid}/export").json()
    return doc


def training_arrays(doc: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """The training points (n, k) on the document's features, and their labels."""
    X = np.array(doc["points"]["x"], dtype=float)
    y = np.array(doc["points"]["y"])
    train = ~np.array(doc["points"]["test"], dtype=bool)
    cols = [X[:, 1] if f == "x2" else X[:, 0] for f in doc["config"]["features"]]
    return np.column_stack(cols)[train], y[train]


def neuron_measures(doc: dict[str, Any]) -> dict[str, float]:
    """Cross-entropy, squared error and accuracy of a one-neuron session on its training
    points (normalized as the session does)."""
    F, y = training_arrays(doc)
    if doc["config"]["normalize"]:
        F = (F - F.mean(axis=0)) / F.std(axis=0)
    p = doc["network"]["params"][0]
    z = F @ np.array(p["W"])[:, 0] + p["b"][0]
    prob = 1 / (1 + np.exp(-z))
    eps = 1e-12
    ce = -np.mean(y * np.log(np.maximum(prob, eps)) + (1 - y) * np.log(np.maximum(1 - prob, eps)))
    return {
        "ce": float(ce),
        "mse": float(np.mean((prob - y) ** 2)),
        "accuracy": float(np.mean((prob >= 0.5) == (y == 1))),
    }


def raw_age_neuron(doc: dict[str, Any]) -> tuple[float, float]:
    """A one-input neuron on ages, in raw units: (w, b)."""
    F, _ = training_arrays(doc)
    p = doc["network"]["params"][0]
    w, b = p["W"][0][0], p["b"][0]
    if doc["config"]["normalize"]:
        mu, sd = F[:, 0].mean(), F[:, 0].std()
        return w / sd, b - w * mu / sd
    return w, b
