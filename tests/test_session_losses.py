"""A session's losses after an epoch: one pass over both sets, the numbers of ``Network.loss``
on each, kept until the weights, the network or the points change."""

from __future__ import annotations

from typing import Any

import pytest

from app.nn.network import Network
from app.training import Session


def _each_set(s: Session) -> tuple[float, float]:
    assert isinstance(s.net, Network)
    return s.net.loss(s.F_train, s.y_train), s.net.loss(s.F_test, s.y_test)


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"regularization": "l2", "regularization_rate": 0.03},
        {"regularization": "l1", "regularization_rate": 0.01, "loss": "mse"},
        {"dataset": "blobs", "classes": 4, "hidden": [{"units": 8, "activation": "relu"}] * 3},
        {"dataset": "age", "features": ["x1"]},
        {"dataset": "plane", "hidden": [{"units": 16, "activation": "tanh"}] * 8},
    ],
)
def test_losses_after_each_epoch_are_each_sets_loss(config: dict[str, Any]) -> None:
    s = Session(config)
    for _ in range(3):
        s.step(1)
        assert s.losses() == pytest.approx(_each_set(s), rel=1e-12)
        assert s.history[-1]["train"] == s.losses()[0]
        assert s.history[-1]["test"] == s.losses()[1]
        ev = s.evaluate()
        assert (ev["train"][0], ev["test"][0]) == s.losses()


def test_losses_follow_the_points_the_weights_and_a_new_network() -> None:
    s = Session()
    s.step(2)
    s.remove_point(0)
    assert s.losses() == pytest.approx(_each_set(s), rel=1e-12)
    s.set_param(0, "weight", [0, 0], 1.5)
    assert s.losses() == pytest.approx(_each_set(s), rel=1e-12)
    s.configure({"hidden": [{"units": 3, "activation": "relu"}]})
    assert s.losses() == pytest.approx(_each_set(s), rel=1e-12)
    s.configure({"regularization": "l2", "regularization_rate": 1.0})
    assert s.losses() == pytest.approx(_each_set(s), rel=1e-12)


def test_a_set_without_points_has_no_loss() -> None:
    s = Session()
    X = s.X_raw[:6].tolist()
    y = s.y[:6].tolist()
    s.set_points(X, y, [False] * 6)
    train, test = s.losses()
    assert test is None
    assert train == pytest.approx(s.net.loss(s.F_train, s.y_train), rel=1e-12)
    s.set_points(X, y, [True] * 6)
    train, test = s.losses()
    assert train is None
    assert test == pytest.approx(s.net.loss(s.F_test, s.y_test), rel=1e-12)
