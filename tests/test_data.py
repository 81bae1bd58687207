"""Tests for app.data: dataset generators, splitting, features, standardization, user points."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from app.data import (
    DATASETS,
    FEATURES,
    MAX_POINTS,
    Standardizer,
    feature_matrix,
    generate,
    points_from_csv,
    points_to_csv,
    split,
    validate_features,
    validate_points,
)
from app.data.datasets import age_buy_probability

ALL_SETS = list(DATASETS)
BINARY_2D = [name for name, spec in DATASETS.items() if spec.kind == "binary" and spec.inputs == 2]
REGRESSION = [name for name, spec in DATASETS.items() if spec.kind == "regression"]


def _classes(name: str) -> int:
    return 4 if DATASETS[name].kind == "multiclass" else 2


def _make(name: str, **kwargs: object):
    return generate(name, classes=_classes(name), **kwargs)  # type: ignore[arg-type]


def _age_pool(seeds: range) -> tuple[np.ndarray, np.ndarray]:
    """Ages (m,) and labels (m,) pooled over several seeded draws of MAX_POINTS points."""
    draws = [generate("age", n=MAX_POINTS, seed=s) for s in seeds]
    return np.concatenate([d.X[:, 0] for d in draws]), np.concatenate([d.y for d in draws])


# --- generators -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_SETS)
def test_same_seed_gives_identical_data(name: str) -> None:
    a = _make(name, noise=0.3, seed=11)
    b = _make(name, noise=0.3, seed=11)
    assert_array_equal(a.X, b.X)
    assert_array_equal(a.y, b.y)


@pytest.mark.parametrize("name", ALL_SETS)
def test_different_seed_gives_different_data(name: str) -> None:
    a = _make(name, noise=0.3, seed=11)
    b = _make(name, noise=0.3, seed=12)
    assert not np.array_equal(a.X, b.X)


def test_generator_seed_matches_integer_seed() -> None:
    a = generate("spiral", seed=5)
    b = generate("spiral", seed=np.random.default_rng(5))
    assert_array_equal(a.X, b.X)


@pytest.mark.parametrize("name", ALL_SETS)
def test_shapes_and_dtypes(name: str) -> None:
    spec = DATASETS[name]
    data = _make(name, n=123, seed=0)
    assert data.name == name
    assert data.kind == spec.kind
    assert data.X.shape == (123, spec.inputs)
    assert data.X.dtype == np.float64
    assert data.y.shape == (123,)
    expected = np.float64 if spec.kind == "regression" else np.int64
    assert data.y.dtype == expected
    assert len(data.domain) == spec.inputs


@pytest.mark.parametrize(
    ("name", "classes", "expected"),
    [("circle", 2, 2), ("age", 2, 2), ("blobs", 5, 5), ("plane", 2, 0), ("gaussians", 2, 0)],
)
def test_classes_field_follows_kind(name: str, classes: int, expected: int) -> None:
    assert generate(name, classes=classes).classes == expected


def test_defaults_come_from_the_registry() -> None:
    spec = DATASETS["moons"]
    assert generate("moons").X.shape[0] == spec.n
    assert_array_equal(generate("moons").X, generate("moons", noise=spec.noise).X)


@pytest.mark.parametrize("name", BINARY_2D)
def test_binary_sets_are_roughly_balanced(name: str) -> None:
    data = generate(name, n=1000, seed=3)
    assert set(np.unique(data.y)) == {0, 1}
    assert 0.4 <= data.y.mean() <= 0.6


@pytest.mark.parametrize("classes", [3, 4, 5, 6])
def test_every_blob_class_is_present_in_equal_share(classes: int) -> None:
    data = generate("blobs", n=600, classes=classes, seed=2)
    counts = np.bincount(data.y, minlength=classes)
    assert len(counts) == classes
    assert counts.max() - counts.min() <= 1


@pytest.mark.parametrize("noise", [0.0, 1.0])
@pytest.mark.parametrize("name", ALL_SETS)
def test_points_lie_inside_domain(name: str, noise: float) -> None:
    data = _make(name, n=MAX_POINTS, noise=noise, seed=4)
    lo = np.array([d[0] for d in data.domain])
    hi = np.array([d[1] for d in data.domain])
    assert np.all(data.X >= lo)
    assert np.all(data.X <= hi)


def test_circle_without_noise_separates_by_radius() -> None:
    data = generate("circle", noise=0.0, seed=1)
    r = np.hypot(data.X[:, 0], data.X[:, 1])
    assert r[data.y == 1].max() < 2.5
    assert r[data.y == 0].min() >= 3.5


def test_xor_without_noise_labels_by_quadrant() -> None:
    data = generate("xor", noise=0.0, seed=1)
    assert_array_equal(data.y, (data.X[:, 0] * data.X[:, 1] >= 0).astype(np.int64))


def test_xor_noise_flips_some_labels() -> None:
    data = generate("xor", noise=0.5, seed=1)
    quadrant = (data.X[:, 0] * data.X[:, 1] >= 0).astype(np.int64)
    assert np.any(data.y != quadrant)


def test_checkerboard_without_noise_alternates_squares() -> None:
    data = generate("checkerboard", noise=0.0, seed=1)
    squares = np.floor((data.X + 6.0) / 3.0).astype(np.int64)
    assert_array_equal(data.y, squares.sum(axis=1) % 2)


def test_plane_without_noise_is_the_plane() -> None:
    data = generate("plane", noise=0.0, seed=1)
    assert_allclose(data.y, (data.X[:, 0] + data.X[:, 1]) / 10.0)


def test_gaussians_targets_lie_in_unit_range() -> None:
    data = generate("gaussians", n=MAX_POINTS, noise=0.0, seed=1)
    assert data.y.min() >= -1.0
    assert data.y.max() <= 1.0
    assert data.y.min() < -0.5 < 0.5 < data.y.max()


def test_gaussians_peak_at_cone_centre() -> None:
    data = generate("gaussians", n=MAX_POINTS, noise=0.0, seed=1)
    near = np.hypot(data.X[:, 0] - 0.0, data.X[:, 1] - 2.5) < 0.3
    assert near.any()
    assert np.all(data.y[near] < -0.8)


# --- the age example --------------------------------------------------------------------------


def test_age_ages_are_whole_years_from_18_to_80() -> None:
    ages = generate("age", n=MAX_POINTS, seed=0).X[:, 0]
    assert ages.min() == 18
    assert ages.max() == 80
    assert_array_equal(ages, np.round(ages))


def test_age_ignores_noise() -> None:
    a = generate("age", noise=0.0, seed=9)
    b = generate("age", noise=1.0, seed=9)
    assert_array_equal(a.y, b.y)


def test_age_buy_rate_is_about_half_between_40_and_44() -> None:
    ages, y = _age_pool(range(10))
    window = (ages >= 40) & (ages <= 44)
    assert window.sum() > 1000
    assert abs(y[window].mean() - 0.5) < 0.05


def test_age_buy_rate_per_bin_follows_formula() -> None:
    ages, y = _age_pool(range(10))
    for lo in range(18, 81, 7):
        in_bin = (ages >= lo) & (ages < lo + 7)
        expected = age_buy_probability(ages[in_bin]).mean()
        assert abs(y[in_bin].mean() - expected) < 0.05, lo


def test_age_logistic_fit_recovers_slope_and_midpoint() -> None:
    ages, y = _age_pool(range(5))
    A = np.column_stack([np.ones_like(ages), (ages - 42.0) / 10.0])
    w = np.zeros(2)
    for _ in range(30):  # Newton's method on the logistic log-likelihood
        p = 1.0 / (1.0 + np.exp(-A @ w))
        H = (A * (p * (1.0 - p))[:, None]).T @ A
        w += np.linalg.solve(H, A.T @ (y - p))
    slope = w[1] / 10.0
    midpoint = 42.0 - w[0] / slope
    assert 0.2 < slope < 0.3
    assert 40.0 < midpoint < 44.0


def test_age_probability_formula_values() -> None:
    assert_allclose(age_buy_probability(np.array([42.0])), [0.5])
    assert_allclose(age_buy_probability(np.array([45.0])), [1.0 / (1.0 + math.exp(-0.75))])


# --- generate validation ----------------------------------------------------------------------


def test_unknown_dataset_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"^name\b"):
        generate("donut")


@pytest.mark.parametrize("n", [0, MAX_POINTS + 1, -5, 2.5])
def test_point_count_out_of_range_is_rejected(n: object) -> None:
    with pytest.raises(ValueError, match=r"^n\b"):
        generate("circle", n=n)  # type: ignore[arg-type]


@pytest.mark.parametrize("noise", [math.nan, math.inf, -0.1, 1.5])
def test_bad_noise_is_rejected(noise: float) -> None:
    with pytest.raises(ValueError, match=r"^noise\b"):
        generate("circle", noise=noise)


@pytest.mark.parametrize("classes", [2, 7])
def test_blob_classes_out_of_range_are_rejected(classes: int) -> None:
    with pytest.raises(ValueError, match=r"^classes\b"):
        generate("blobs", classes=classes)


def test_binary_set_ignores_classes() -> None:
    assert_array_equal(generate("xor", classes=5).y, generate("xor").y)


# --- split ------------------------------------------------------------------------------------


def _indexed(n: int) -> tuple[np.ndarray, np.ndarray]:
    """X (n, 2) whose first column is the row index, y (n,) equal to it."""
    return np.column_stack([np.arange(n), np.zeros(n)]).astype(np.float64), np.arange(n)


@pytest.mark.parametrize(("n", "ratio", "n_train"), [(100, 0.5, 50), (100, 0.7, 70), (9, 0.1, 1)])
def test_split_respects_ratio(n: int, ratio: float, n_train: int) -> None:
    X, y = _indexed(n)
    X_tr, y_tr, X_te, y_te = split(X, y, ratio, np.random.default_rng(0))
    assert len(X_tr) == len(y_tr) == n_train
    assert len(X_te) == len(y_te) == n - n_train


def test_split_is_a_partition_keeping_pairs() -> None:
    X, y = _indexed(50)
    X_tr, y_tr, X_te, y_te = split(X, y, 0.6, np.random.default_rng(1))
    assert_array_equal(np.sort(np.concatenate([y_tr, y_te])), np.arange(50))
    assert_array_equal(X_tr[:, 0], y_tr)
    assert_array_equal(X_te[:, 0], y_te)


def test_split_shuffles() -> None:
    X, y = _indexed(50)
    _, y_tr, _, _ = split(X, y, 0.5, np.random.default_rng(1))
    assert not np.array_equal(np.sort(y_tr), np.arange(25))


def test_split_same_seed_same_split() -> None:
    X, y = _indexed(50)
    a = split(X, y, 0.5, np.random.default_rng(3))
    b = split(X, y, 0.5, np.random.default_rng(3))
    assert_array_equal(a[1], b[1])


@pytest.mark.parametrize("ratio", [0.1, 0.9])
def test_split_of_two_points_keeps_one_each_side(ratio: float) -> None:
    X, y = _indexed(2)
    _, y_tr, _, y_te = split(X, y, ratio, np.random.default_rng(0))
    assert len(y_tr) == 1
    assert len(y_te) == 1


@pytest.mark.parametrize("ratio", [0.05, 0.95, math.nan])
def test_split_rejects_ratio_out_of_range(ratio: float) -> None:
    X, y = _indexed(10)
    with pytest.raises(ValueError, match=r"^train_ratio\b"):
        split(X, y, ratio, np.random.default_rng(0))


# --- features ---------------------------------------------------------------------------------

FORMULAS = {
    "x1": lambda a, b: a,
    "x2": lambda a, b: b,
    "x1_sq": lambda a, b: a**2,
    "x2_sq": lambda a, b: b**2,
    "x1_x2": lambda a, b: a * b,
    "sin_x1": lambda a, b: np.sin(a),
    "sin_x2": lambda a, b: np.sin(b),
}
GRID = np.random.default_rng(0).uniform(-6.0, 6.0, (40, 2))


def test_feature_registry_order() -> None:
    assert list(FEATURES) == ["x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2"]


@pytest.mark.parametrize("name", list(FORMULAS))
def test_feature_matches_formula(name: str) -> None:
    got = feature_matrix(GRID, [name])
    assert got.shape == (40, 1)
    assert_allclose(got[:, 0], FORMULAS[name](GRID[:, 0], GRID[:, 1]))


def test_feature_columns_follow_requested_order() -> None:
    got = feature_matrix(GRID, ["sin_x2", "x1"])
    assert_allclose(got, np.column_stack([np.sin(GRID[:, 1]), GRID[:, 0]]))


def test_feature_matrix_fills_out_in_place() -> None:
    names = list(FEATURES)
    out = np.full((40, len(names)), np.nan)
    got = feature_matrix(GRID, names, out=out)
    assert got is out
    expected = np.column_stack([FORMULAS[n](GRID[:, 0], GRID[:, 1]) for n in names])
    assert_allclose(out, expected)


def test_feature_matrix_rejects_out_of_wrong_shape() -> None:
    with pytest.raises(ValueError, match=r"^out\b"):
        feature_matrix(GRID, ["x1", "x2"], out=np.empty((40, 3)))


def test_feature_matrix_on_one_dimensional_data() -> None:
    P = np.array([[18.0], [42.0]])
    assert_allclose(feature_matrix(P, ["x1"]), P)


@pytest.mark.parametrize(
    ("names", "inputs"),
    [([], 2), (["x1", "x3"], 2), (["x1", "x1"], 2), (["x1", "x2"], 1), (["x1_sq"], 1), ("x1", 2)],
)
def test_bad_feature_selection_is_rejected(names: list[str], inputs: int) -> None:
    with pytest.raises(ValueError, match=r"^features\b"):
        validate_features(names, inputs)


def test_feature_matrix_rejects_unknown_feature() -> None:
    with pytest.raises(ValueError, match=r"^features\b"):
        feature_matrix(GRID, ["x1", "cos_x1"])


# --- standardization --------------------------------------------------------------------------


def _training_features() -> np.ndarray:
    rng = np.random.default_rng(7)
    return rng.normal([3.0, -20.0, 0.5], [2.0, 10.0, 0.01], (200, 3))


def test_standardizer_gives_zero_mean_unit_std_on_training_data() -> None:
    X = _training_features()
    Z = Standardizer.fit(X).apply(X)
    assert_allclose(Z.mean(axis=0), 0.0, atol=1e-12)
    assert_allclose(Z.std(axis=0), 1.0)


def test_standardizer_constant_column_gets_std_one() -> None:
    X = np.column_stack([np.full(10, 4.0), np.arange(10.0)])
    s = Standardizer.fit(X)
    assert s.std[0] == 1.0
    assert_allclose(s.apply(X)[:, 0], 0.0)


def test_standardizer_identity_changes_nothing() -> None:
    X = _training_features()
    assert_array_equal(Standardizer.identity(3).apply(X), X)


def test_standardizer_apply_writes_into_out() -> None:
    X = _training_features()
    s = Standardizer.fit(X)
    out = np.empty_like(X)
    got = s.apply(X, out=out)
    assert got is out
    assert_allclose(out, (X - s.mean) / s.std)


def test_standardizer_to_raw_gives_same_first_layer_output() -> None:
    X = _training_features()
    s = Standardizer.fit(X)
    rng = np.random.default_rng(8)
    W, b = rng.normal(size=(3, 5)), rng.normal(size=5)
    W_raw, b_raw = s.to_raw(W, b)
    assert_allclose(X @ W_raw + b_raw, s.apply(X) @ W + b, atol=1e-10)


def test_standardizer_dict_round_trip() -> None:
    s = Standardizer.fit(_training_features())
    data = s.to_dict()
    assert all(isinstance(v, float) for v in data["mean"] + data["std"])
    back = Standardizer.from_dict(data)
    assert_array_equal(back.mean, s.mean)
    assert_array_equal(back.std, s.std)


def test_standardizer_from_dict_rejects_zero_std() -> None:
    with pytest.raises(ValueError, match="std"):
        Standardizer.from_dict({"mean": [0.0, 1.0], "std": [1.0, 0.0]})


# --- user points ------------------------------------------------------------------------------


def test_validate_points_returns_typed_copies() -> None:
    X, y = validate_points([[1, 2], [3, 4]], [0.0, 1.0], kind="binary", classes=2, inputs=2)
    assert X.dtype == np.float64
    assert y.dtype == np.int64
    assert_array_equal(y, [0, 1])


def test_validate_points_rejects_nan_coordinate() -> None:
    with pytest.raises(ValueError, match=r"^x\b"):
        validate_points([[1.0, math.nan]], [0], kind="binary", classes=2, inputs=2)


def test_validate_points_rejects_coordinate_beyond_bound() -> None:
    with pytest.raises(ValueError, match=r"^x\b"):
        validate_points([[1.0, 11.0]], [0], kind="binary", classes=2, inputs=2, bound=10.0)


def test_validate_points_rejects_wrong_dimension() -> None:
    with pytest.raises(ValueError, match=r"^x\b"):
        validate_points([[1.0, 2.0]], [0], kind="binary", classes=2, inputs=1)


def test_validate_points_rejects_label_outside_classes() -> None:
    with pytest.raises(ValueError, match=r"^label\b"):
        validate_points([[0.0, 0.0]] * 2, [0, 3], kind="multiclass", classes=3, inputs=2)


def test_validate_points_rejects_non_integer_label() -> None:
    with pytest.raises(ValueError, match=r"^label\b"):
        validate_points([[0.0, 0.0]], [0.5], kind="binary", classes=2, inputs=2)


def test_validate_points_rejects_label_count_mismatch() -> None:
    with pytest.raises(ValueError, match=r"^label\b"):
        validate_points([[0.0, 0.0]] * 3, [0, 1], kind="binary", classes=2, inputs=2)


def test_validate_points_rejects_empty_set() -> None:
    with pytest.raises(ValueError, match=r"^points\b"):
        validate_points(np.empty((0, 2)), [], kind="binary", classes=2, inputs=2)


def test_validate_points_accepts_real_regression_targets() -> None:
    _, y = validate_points([[0.0, 0.0]], [0.25], kind="regression", classes=0, inputs=2)
    assert y.dtype == np.float64
    assert y[0] == 0.25


def test_validate_points_rejects_infinite_regression_target() -> None:
    with pytest.raises(ValueError, match=r"^label\b"):
        validate_points([[0.0, 0.0]], [math.inf], kind="regression", classes=0, inputs=2)


# --- CSV --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["blobs", "age", "gaussians"])
def test_csv_round_trip_is_exact(name: str) -> None:
    data = _make(name, n=50, noise=0.2, seed=6)
    test = np.arange(len(data.y)) % 3 == 0
    text = points_to_csv(data.X, data.y, test)
    X, y, t = points_from_csv(
        text, kind=data.kind, classes=data.classes, inputs=DATASETS[name].inputs
    )
    assert_array_equal(X, data.X)
    assert_array_equal(y, data.y)
    assert_array_equal(t, test)
    assert y.dtype == data.y.dtype


@pytest.mark.parametrize(("inputs", "header"), [(2, "x1,x2,label,test"), (1, "x1,label,test")])
def test_csv_header(inputs: int, header: str) -> None:
    text = points_to_csv(np.zeros((1, inputs)), np.array([1]))
    assert text.splitlines() == [header, ",".join(["0.0"] * inputs + ["1", "0"])]


def test_csv_without_the_test_column_reads_training_points() -> None:
    _, _, test = points_from_csv("x1,x2,label\n1,2,0\n", kind="binary", classes=2, inputs=2)
    assert test.tolist() == [False]


def test_csv_bad_test_flag_reports_line() -> None:
    text = "x1,x2,label,test\n1,2,0,1\n3,4,1,yes\n"
    with pytest.raises(ValueError, match=r"line 3\b.*test"):
        points_from_csv(text, kind="binary", classes=2, inputs=2)


def test_csv_non_number_reports_line() -> None:
    text = "x1,x2,label\n1,2,0\n3,abc,1\n"
    with pytest.raises(ValueError, match=r"line 3\b.*x2"):
        points_from_csv(text, kind="binary", classes=2, inputs=2)


def test_csv_wrong_field_count_reports_line() -> None:
    text = "x1,x2,label\n1,2,0\n\n3,1\n"
    with pytest.raises(ValueError, match=r"line 4\b"):
        points_from_csv(text, kind="binary", classes=2, inputs=2)


def test_csv_invalid_label_reports_line_and_field() -> None:
    text = "x1,x2,label\n1,2,0\n3,4,2\n"
    with pytest.raises(ValueError, match=r"line 3\b.*label"):
        points_from_csv(text, kind="binary", classes=2, inputs=2)


def test_csv_wrong_header_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"line 1\b.*header"):
        points_from_csv("a,b,c\n1,2,0\n", kind="binary", classes=2, inputs=2)
