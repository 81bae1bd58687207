"""Noisy data stay inside the view without piling up on its border, and Regenerate's data
seed draws new points with the same weights."""

from __future__ import annotations

import numpy as np
import pytest

from app.data import DATASETS, generate
from app.training import Session


@pytest.mark.parametrize("name", ["gauss", "moons", "blobs", "spiral"])
def test_noisy_points_are_drawn_inside_the_view_not_on_its_border(name: str) -> None:
    classes = 6 if name == "blobs" else 2
    d = generate(name, n=2000, noise=1.0, classes=classes, seed=3)
    (lo, hi), _ = DATASETS[name].domain
    assert np.all((d.X >= lo) & (d.X <= hi))
    on_border = np.any(np.isclose(d.X, lo) | np.isclose(d.X, hi), axis=1)
    assert on_border.sum() == 0
    if name != "blobs":
        assert np.bincount(d.y).tolist() == [1000, 1000]  # each redrawn point keeps its class
    else:
        assert np.bincount(d.y).min() >= 333


def test_a_data_seed_changes_the_points_and_not_the_weights() -> None:
    s = Session()
    s.step(3)
    theta, X = s.net.theta.copy(), s.X_raw.copy()
    changes = s.configure({"data_seed": 1})
    assert changes.regenerated and not changes.rebuilt
    assert not np.array_equal(s.X_raw, X)
    assert np.array_equal(s.net.theta, theta)
    assert s.state()["epoch"] == 3
    again = Session({"data_seed": 1})
    assert np.array_equal(again.X_raw, s.X_raw)  # the link reproduces them
    assert np.array_equal(Session().X_raw, X)  # data seed 0: the seed's own points


def test_the_page_learns_which_presets_need_normalize() -> None:
    from app.training.config import page_config

    datasets = page_config()["datasets"]
    assert datasets["age"] == {"kind": "binary", "inputs": 1, "normalize": True}
    assert not datasets["circle"]["normalize"]


def test_the_metrics_follow_the_labels_as_the_points_change() -> None:
    s = Session()
    s.step(3)
    X = s.X_raw.copy()
    first = s.metrics()["train"]
    assert first["tp"] + first["fn"] == int((s.y_train == 1).sum())
    # The same coordinates, every label flipped: what was positive is now negative.
    s.set_points(X.tolist(), (1 - s.y).tolist(), s.is_test.tolist())
    flipped = s.metrics()["train"]
    assert flipped["tp"] + flipped["fn"] == first["fp"] + first["tn"]
    assert flipped["fp"] + flipped["tn"] == first["tp"] + first["fn"]
    assert flipped["tp"] == first["fp"] and flipped["roc"]["auc"] == pytest.approx(
        1 - first["roc"]["auc"]
    )
