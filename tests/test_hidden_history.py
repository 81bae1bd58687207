"""Hidden space (a layer's view of the data and the grid) and the timeline of parameter
snapshots behind the History slider."""

from __future__ import annotations

import numpy as np
import pytest

from app.data import Standardizer
from app.nn.network import Network
from app.nn.projection import principal_plane
from app.training.hidden import grid_lines, hidden_space
from app.training.history import Timeline

# --- projection ----------------------------------------------------------------------------


def test_two_units_are_drawn_as_they_are() -> None:
    A = np.random.default_rng(0).normal(size=(50, 2))
    plane = principal_plane(A)
    assert plane.method == "plane"
    np.testing.assert_array_equal(plane.project(A), A)
    assert plane.explained.sum() == pytest.approx(1.0)


def test_one_unit_is_drawn_on_the_x_axis() -> None:
    A = np.arange(5.0)[:, None]
    plane = principal_plane(A)
    assert plane.method == "line"
    np.testing.assert_array_equal(plane.project(A), np.column_stack([A[:, 0], np.zeros(5)]))


def test_a_wide_layer_is_projected_on_its_principal_plane() -> None:
    rng = np.random.default_rng(1)
    # Points on a plane inside 5-D space: the projection keeps every distance.
    basis = np.linalg.qr(rng.normal(size=(5, 2)))[0]
    coords = rng.normal(size=(200, 2)) * [3.0, 1.0]
    A = coords @ basis.T + 7.0
    plane = principal_plane(A)
    assert plane.method == "pca"
    P = plane.project(A)
    d_in = np.linalg.norm(A[:, None] - A[None], axis=2)
    d_out = np.linalg.norm(P[:, None] - P[None], axis=2)
    np.testing.assert_allclose(d_out, d_in, atol=1e-9)
    assert plane.explained.sum() == pytest.approx(1.0)
    assert plane.explained[0] > plane.explained[1]


def test_the_picture_does_not_flip_as_the_activations_move() -> None:
    rng = np.random.default_rng(2)
    A = rng.normal(size=(100, 4)) * [4.0, 2.0, 1.0, 0.5]
    before = principal_plane(A).axes
    after = principal_plane(A + rng.normal(scale=1e-3, size=A.shape)).axes
    assert np.all(np.sum(before * after, axis=0) > 0.99)


def test_degenerate_activations_still_give_a_plane() -> None:
    for A in (np.zeros((0, 3)), np.ones((1, 3)), np.ones((10, 3))):
        P = principal_plane(A).project(A)
        assert P.shape == (len(A), 2) and np.all(np.isfinite(P))


# --- hidden space ----------------------------------------------------------------------------


def _identity_network() -> Network:
    net = Network.from_config(
        {"inputs": 2, "hidden": [{"units": 2, "activation": "linear"}], "output": "sigmoid"}
    )
    W, b = net.params[0]
    W[...] = np.eye(2)
    b[...] = 0.0
    return net


def test_an_identity_layer_shows_the_input_plane_unchanged() -> None:
    domain = [[-6.0, 6.0], [-6.0, 6.0]]
    X = np.array([[1.0, 2.0], [-3.0, 0.5], [4.0, -4.0]])
    h = hidden_space(_identity_network(), Standardizer.identity(2), ["x1", "x2"], domain, X, 1)
    np.testing.assert_allclose(h["points"], X)
    np.testing.assert_allclose(h["lines"], grid_lines(domain))
    assert h["method"] == "plane" and h["units"] == 2


def test_a_tanh_layer_bends_the_grid_lines() -> None:
    net = Network.from_config(
        {"inputs": 2, "hidden": [{"units": 2, "activation": "tanh"}], "output": "sigmoid"}, seed=3
    )
    domain = [[-6.0, 6.0], [-6.0, 6.0]]
    h = hidden_space(net, Standardizer.identity(2), ["x1", "x2"], domain, np.zeros((0, 2)), 1)
    bends = []
    for line in h["lines"]:  # each straight in the input plane
        chord = line[-1] - line[0]
        rel = line - line[0]
        off = np.abs(chord[0] * rel[:, 1] - chord[1] * rel[:, 0]) / np.linalg.norm(chord)
        bends.append(off.max())
    assert max(bends) > 0.05, "a tanh layer left the grid lines straight"
    assert np.all(np.abs(h["lines"]) <= 1.0)  # tanh's range


def test_hidden_space_refuses_a_layer_that_is_not_hidden() -> None:
    net = _identity_network()
    for layer in (0, 2, True, 1.0):
        with pytest.raises(ValueError, match="layer"):
            hidden_space(net, Standardizer.identity(2), ["x1", "x2"], [[0, 1], [0, 1]],
                         np.zeros((0, 2)), layer)  # type: ignore[arg-type]  # fmt: skip


# --- timeline ------------------------------------------------------------------------------


def test_the_timeline_stays_within_its_budget_and_evenly_spaced() -> None:
    theta = np.zeros(1000)  # 8,000 bytes
    timeline = Timeline(max_bytes=80_000)  # ten snapshots
    for epoch in range(10_001):
        timeline.record(epoch, theta + epoch)
        assert timeline.nbytes <= 80_000
    epochs = timeline.epochs
    assert epochs[0] == 0
    assert len(set(np.diff(epochs))) == 1  # even spacing
    assert epochs[-1] > 10_000 - timeline.stride
    kept, values = timeline.at(epochs[3])
    assert kept == epochs[3] and np.all(values == epochs[3])


def test_the_nearest_earlier_snapshot_is_returned() -> None:
    timeline = Timeline()
    for epoch in (0, 1, 2, 3):
        timeline.record(epoch * 10, np.full(3, float(epoch)))
    assert timeline.at(25)[0] == 20
    with pytest.raises(LookupError):
        Timeline().at(5)


def test_training_from_the_past_forgets_the_future_it_replaces() -> None:
    timeline = Timeline()
    for epoch in range(10):
        timeline.record(epoch, np.full(2, float(epoch)))
    timeline.truncate(4)
    assert timeline.epochs == [0, 1, 2, 3, 4]
    timeline.record(5, np.full(2, -5.0))
    assert timeline.at(9) == (5, pytest.approx(np.full(2, -5.0)))
    timeline.record(2, np.full(2, -2.0))  # going back in time replaces what followed
    assert timeline.epochs == [0, 1, 2]
