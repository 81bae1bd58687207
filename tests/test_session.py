"""Tests for app.training.Session on its own: configuration, points, training, export."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from app.data import feature_matrix
from app.nn.metrics import binary_confusion
from app.training import Session


def trained(config: dict | None = None, epochs: int = 3) -> Session:
    s = Session(config)
    s.step(epochs)
    return s


# --- configuration ----------------------------------------------------------------------


def test_lr_change_keeps_the_weights() -> None:
    s = trained()
    theta = s.net.theta.copy()
    changes = s.configure({"lr": 0.1})
    assert changes.to_dict() == {"regenerated": False, "rebuilt": False, "keys": ["lr"]}
    assert_array_equal(s.net.theta, theta)
    assert s.trainer.method.settings()["lr"] == 0.1


def test_lr_change_keeps_the_counters() -> None:
    s = trained()
    s.configure({"lr": 0.1})
    assert s.trainer.epoch == 3


@pytest.mark.parametrize(
    "change",
    [
        {"hidden": [{"units": 3, "activation": "relu"}]},
        {"features": ["x1", "x2", "x1_sq"]},
        {"normalize": True},
        {"loss": "mse"},
        {"seed": 7},
    ],
    ids=["hidden", "features", "normalize", "loss", "seed"],
)
def test_network_change_rebuilds(change: dict) -> None:
    s = trained()
    changes = s.configure(change)
    assert changes.rebuilt is True
    assert s.trainer.epoch == 0
    assert len(s.history) == 1


def test_hidden_change_gives_the_new_shape() -> None:
    s = Session()
    s.configure({"hidden": [{"units": 3, "activation": "relu"}]})
    assert s.net.sizes == [2, 3, 1]


def test_dataset_change_regenerates_the_points() -> None:
    s = Session()
    before = s.X_raw.copy()
    changes = s.configure({"dataset": "xor"})
    assert changes.regenerated is True
    assert changes.rebuilt is False  # same problem type: the weights stay
    assert not np.array_equal(s.X_raw, before)


def test_noise_change_regenerates_the_labels() -> None:
    s = Session()
    before = s.y.copy()
    assert s.configure({"noise": 0.3}).regenerated is True
    assert not np.array_equal(s.y, before)


@pytest.mark.parametrize(
    ("dataset", "kind", "outputs"),
    [("blobs", "multiclass", 3), ("plane", "regression", 1)],
)
def test_problem_type_change_rebuilds(dataset: str, kind: str, outputs: int) -> None:
    s = trained()
    changes = s.configure({"dataset": dataset})
    assert changes.to_dict()["rebuilt"] is True
    assert changes.regenerated is True
    assert s.kind == kind
    assert s.net.sizes[-1] == outputs
    assert s.trainer.epoch == 0


def test_class_count_change_rebuilds_a_multiclass_network() -> None:
    s = Session({"dataset": "blobs"})
    assert s.configure({"classes": 5}).rebuilt is True
    assert s.net.sizes[-1] == 5


def test_one_dimensional_dataset_switches_the_features() -> None:
    s = Session()
    s.configure({"dataset": "age"})
    assert s.config["features"] == ["x1"]
    assert s.net.sizes[0] == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lr": 99}, "lr"),
        ({"lr": float("nan")}, "lr"),
        ({"hidden": [{"units": 99, "activation": "tanh"}]}, "hidden[0].units"),
        ({"hidden": [{"units": 2, "activation": "gelu"}]}, "hidden[0].activation"),
        ({"dataset": "nope"}, "dataset"),
        ({"features": ["x9"]}, "features"),
        ({"threshold": 2}, "threshold"),
        ({"speed": -1}, "speed"),
        ({"normalize": "yes"}, "normalize"),
        ({"points": 0}, "points"),
        ({"batch_size": 0}, "batch_size"),
        ({"method": "newton"}, "method"),
        ({"elite": 60, "method": "evolution"}, "elite"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_config_names_the_field_and_changes_nothing(change: dict, field: str) -> None:
    s = trained()
    before = s.export()
    with pytest.raises(ValueError, match=field.replace("[", r"\[").replace("]", r"\]")):
        s.configure(change)
    assert s.export() == before


def test_bad_initial_config_raises() -> None:
    with pytest.raises(ValueError, match="resolution"):
        Session({"resolution": 1})


# --- points -----------------------------------------------------------------------------


def test_add_point_appends_to_the_training_set() -> None:
    s = Session()
    n, train = len(s.y), len(s.y_train)
    index = s.add_point([1.0, 2.0], 1)
    assert index == n
    assert_array_equal(s.X_raw[index], [1.0, 2.0])
    assert s.y[index] == 1
    assert len(s.y_train) == train + 1


def test_add_test_point_goes_to_the_test_set() -> None:
    s = Session()
    test = len(s.y_test)
    s.add_point([1.0, 2.0], 0, test=True)
    assert len(s.y_test) == test + 1


def test_add_points_checks_all_before_adding_any() -> None:
    s = Session()
    before = s.export()
    with pytest.raises(ValueError, match=r"x\[0\]"):
        s.add_points([([1.0, 1.0], 1, False), ([7.0, 0.0], 1, False)])
    assert s.export() == before


@pytest.mark.parametrize(
    ("x", "label", "field"),
    [
        ([6.5, 0.0], 1, r"x\[0\]"),
        ([0.0, -6.5], 1, r"x\[1\]"),
        ([0.0], 1, "x must"),
        ([0.0, math.inf], 1, r"x\[1\]"),
        ([0.0, 0.0], 2, "label"),
        ([0.0, 0.0], True, "label"),
        ([0.0, 0.0], 0.5, "label"),
    ],
)
def test_bad_point_is_refused(x: list, label: object, field: str) -> None:
    s = Session()
    before = s.export()
    with pytest.raises(ValueError, match=field):
        s.add_point(x, label)  # type: ignore[arg-type]
    assert s.export() == before


def test_move_point_changes_its_coordinates() -> None:
    s = Session()
    y = s.y.copy()
    s.move_point(3, [-1.5, 2.5])
    assert_array_equal(s.X_raw[3], [-1.5, 2.5])
    assert_array_equal(s.y, y)


def test_move_point_outside_the_view_is_refused() -> None:
    s = Session()
    before = s.export()
    with pytest.raises(ValueError, match=r"x\[1\]"):
        s.move_point(3, [0.0, 9.0])
    assert s.export() == before


def test_remove_point_drops_that_point() -> None:
    s = Session()
    X = s.X_raw.copy()
    s.remove_point(0)
    assert_array_equal(s.X_raw, X[1:])


@pytest.mark.parametrize("index", [-1, 500, True])
def test_bad_index_is_refused(index: object) -> None:
    s = Session()
    with pytest.raises(ValueError, match="index"):
        s.remove_point(index)  # type: ignore[arg-type]
    assert len(s.y) == 500


def test_clear_points_empties_both_sets() -> None:
    s = Session()
    s.clear_points()
    assert len(s.y) == len(s.y_train) == len(s.y_test) == 0
    assert s.state()["loss"] == {"train": None, "test": None}


def test_step_without_training_points_raises() -> None:
    s = Session()
    s.clear_points()
    with pytest.raises(ValueError, match="points"):
        s.step(1)


def test_point_changes_bump_the_points_version() -> None:
    s = Session()
    v = s.points_version
    s.add_point([0.0, 0.0], 1)
    s.move_point(0, [1.0, 1.0])
    s.remove_point(0)
    s.clear_points()
    assert s.points_version == v + 4


# --- training ---------------------------------------------------------------------------


def test_step_counts_epochs_and_updates() -> None:
    s = Session()  # 250 training points, batches of 10
    assert s.step(3) == 3
    assert (s.trainer.epoch, s.trainer.step) == (3, 75)
    assert s.history[-1]["epoch"] == 3


def test_evolution_step_counts_generations_and_evaluations() -> None:
    s = Session({"method": "evolution", "population": 20})
    s.step(4)
    assert (s.trainer.epoch, s.trainer.step, s.trainer.evaluations) == (4, 4, 80)


@pytest.mark.parametrize("epochs", [0, 10_001, 1.5, True])
def test_bad_epoch_count_is_refused(epochs: object) -> None:
    s = Session()
    with pytest.raises(ValueError, match="epochs"):
        s.step(epochs)  # type: ignore[arg-type]
    assert s.trainer.epoch == 0


def test_training_lowers_the_loss() -> None:
    s = Session({"dataset": "gauss"})
    first = s.state()["loss"]["train"]
    s.step(20)
    assert s.state()["loss"]["train"] < first


def test_reset_with_the_same_seed_gives_the_same_weights() -> None:
    s = trained()
    s.reset()
    assert_array_equal(s.net.theta, Session().net.theta)
    assert (s.trainer.epoch, s.trainer.step) == (0, 0)


def test_another_seed_gives_other_weights() -> None:
    assert not np.array_equal(Session({"seed": 1}).net.theta, Session().net.theta)


def test_set_param_sets_one_weight() -> None:
    s = Session()
    s.set_param(1, "weight", [3, 1], 0.25)
    assert s.net.params[1][0][3, 1] == 0.25


def test_set_param_out_of_range_is_refused() -> None:
    s = Session()
    theta = s.net.theta.copy()
    with pytest.raises(ValueError):
        s.set_param(5, "weight", [0, 0], 1.0)
    assert_array_equal(s.net.theta, theta)


def test_diverged_session_says_so_and_stops() -> None:
    s = Session({"dataset": "plane", "hidden": [], "lr": 10.0})
    s.step(50)
    assert s.status == "diverged"
    assert "learning rate" in s.status_message()
    assert s.step(5) == 0


# --- export / import --------------------------------------------------------------------


@pytest.mark.parametrize("method", ["sgd", "momentum", "adam", "evolution"])
def test_export_round_trips_through_json(method: str) -> None:
    s = trained({"method": method, "normalize": True})
    s.add_point([1.0, -1.0], 1)
    doc = json.loads(json.dumps(s.export(), allow_nan=False))
    assert Session.from_export(doc).export() == s.export()


@pytest.mark.parametrize("method", ["sgd", "adam", "evolution"])
def test_imported_session_trains_on_identically(method: str) -> None:
    s = trained({"method": method})
    copy = Session.from_export(json.loads(json.dumps(s.export())))
    s.step(20)
    copy.step(20)
    assert_array_equal(copy.net.theta, s.net.theta)
    assert copy.export() == s.export()


def test_export_of_a_session_without_points_round_trips() -> None:
    s = Session()
    s.clear_points()
    doc = json.loads(json.dumps(s.export()))
    assert Session.from_export(doc).export() == s.export()


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.update(version=99),
        lambda d: d.pop("network"),
        lambda d: d["config"].update(lr=99),
        lambda d: d["network"]["params"][0].update(W=[[0.0]]),
        lambda d: d["points"].update(y=[0]),
        lambda d: d["trainer"].pop("rng"),
    ],
    ids=["version", "no-network", "bad-config", "weight-shape", "labels", "no-rng"],
)
def test_damaged_export_is_refused(damage: object) -> None:
    doc = trained().export()
    damage(doc)  # type: ignore[operator]
    with pytest.raises(ValueError):
        Session.from_export(doc)


# --- what the page draws ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "rows", "columns"),
    [
        ({}, 1 + 4 + 2, 20 * 20),
        ({"dataset": "age", "features": ["x1"]}, 1 + 4 + 2, 20),
        ({"dataset": "blobs", "hidden": [{"units": 5, "activation": "relu"}]}, 3 + 5, 20 * 20),
        ({"hidden": []}, 1, 20 * 20),
    ],
    ids=["2d", "age", "multiclass", "no-hidden"],
)
def test_snapshot_map_shape(config: dict, rows: int, columns: int) -> None:
    snap = Session(config).snapshot(20)
    assert snap["maps"].shape == (rows, columns)


def test_snapshot_output_rows_come_first() -> None:
    s = Session({"dataset": "blobs"})
    snap = s.snapshot(10)
    assert snap["outputs"] == 3
    assert_allclose(snap["maps"][:3].T, s.net.forward(s.grid_inputs(10)))


def test_snapshot_hidden_rows_are_the_neurons() -> None:
    s = trained()
    snap = s.snapshot(10)
    acts = s.net.activations(s.grid_inputs(10))
    assert_allclose(snap["maps"][1:5], acts[0].T)
    assert_allclose(snap["maps"][5:7], acts[1].T)


def test_snapshot_uses_the_configured_resolution_by_default() -> None:
    snap = Session({"resolution": 16}).snapshot()
    assert snap["resolution"] == 16
    assert snap["maps"].shape[1] == 256


def test_snapshot_params_and_gradients_match_the_layers() -> None:
    snap = Session().snapshot(8)
    shapes = [(W.shape, b.shape) for W, b in snap["params"]]
    assert shapes == [((2, 4), (4,)), ((4, 2), (2,)), ((2, 1), (1,))]
    assert [(W.shape, b.shape) for W, b in snap["gradients"]] == shapes


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.8])
def test_metrics_match_the_confusion_at_the_threshold(threshold: float) -> None:
    s = trained({"threshold": threshold, "dataset": "xor", "noise": 0.3})
    m = s.metrics()
    for name, F, y in (("train", s.F_train, s.y_train), ("test", s.F_test, s.y_test)):
        cm = binary_confusion(y, s.net.forward(F)[:, 0], threshold)
        assert {k: m[name][k] for k in cm} == cm


def test_threshold_change_moves_the_confusion() -> None:
    s = trained({"dataset": "xor", "noise": 0.3})
    low = s.metrics()["train"]
    s.configure({"threshold": 0.9})
    high = s.metrics()["train"]
    assert high["tp"] + high["fp"] < low["tp"] + low["fp"]


def test_metrics_without_test_points_are_none() -> None:
    s = Session()
    s.set_points([[0.0, 0.0], [1.0, 1.0]], [0, 1])
    assert s.metrics()["test"] is None
    assert s.metrics()["train"]["tp"] + s.metrics()["train"]["fn"] == 1


@pytest.mark.parametrize(
    "config",
    [
        {"dataset": "age", "features": ["x1"], "hidden": [], "normalize": True},
        {"dataset": "gauss", "hidden": [], "normalize": True},
    ],
    ids=["age", "gauss"],
)
def test_raw_line_is_the_boundary_on_standardized_features(config: dict) -> None:
    s = trained(config, epochs=5)
    if config["dataset"] == "gauss":
        s.add_points([([5.0, 5.5], 1, False), ([4.0, 5.0], 1, False)])  # off-centre mean
    assert np.any(np.abs(s.standardizer.mean) > 0.05)
    line = s.raw_line()
    assert line is not None
    w, b = np.array(line["w"]), line["b"]
    if len(w) == 1:
        X = np.array([[-b / w[0]]])
    else:
        x1 = np.linspace(-3.0, 3.0, 5)
        X = np.column_stack([x1, -(w[0] * x1 + b) / w[1]])
    F = s.standardizer.apply(feature_matrix(X, s.config["features"]))
    assert_allclose(s.net.forward(F)[:, 0], 0.5, atol=1e-9)


def test_raw_line_needs_a_network_without_hidden_layers() -> None:
    assert Session().raw_line() is None


def test_state_is_plain_json() -> None:
    text = json.dumps(trained().state(), allow_nan=False)
    assert json.loads(text)["epoch"] == 3


def test_a_session_created_on_one_input_data_gets_its_only_feature() -> None:
    s = Session({"dataset": "age"})
    assert s.config["features"] == ["x1"]
    assert s.net.sizes[0] == 1


def test_snapshot_maps_hold_when_the_training_set_is_as_large_as_the_grid() -> None:
    # 1250 points at ratio 0.5: 625 training points, as many as a 25×25 grid's cells.
    s = Session({"points": 1250, "train_ratio": 0.5, "resolution": 25})
    s.step(2)
    assert len(s.y_train) == 25 * 25
    snap = s.snapshot()
    expected = s.net.forward(s.grid_inputs(25))[:, 0]
    np.testing.assert_allclose(snap["maps"][0], expected)
