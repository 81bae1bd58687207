"""Metrics against hand-computed cases, brute-force references and degenerate inputs."""

import json
import math
from collections.abc import Callable

import numpy as np
import pytest

from app.nn.metrics import (
    accuracy,
    binary_confusion,
    binary_report,
    binary_summary,
    confusion_matrix,
    f1,
    false_negative_rate,
    false_positive_rate,
    mse,
    multiclass_report,
    precision,
    r2,
    recall,
    regression_report,
    roc,
    specificity,
)

# Six samples, three of each class. At threshold 0.5 the predicted positives are
# samples 0, 1, 3 and 5 (0.5 itself counts as positive):
# tp = {0, 1} = 2, fp = {3, 5} = 2, fn = {2} = 1, tn = {4} = 1.
Y6 = np.array([1, 1, 1, 0, 0, 0])
P6 = np.array([0.9, 0.6, 0.3, 0.7, 0.2, 0.5])

# Four samples, two of each class, for the "nothing / everything predicted positive" cases.
Y4 = np.array([1, 0, 1, 0])
P4 = np.array([0.2, 0.4, 0.6, 0.8])


def brute_force_auc(y: np.ndarray, p: np.ndarray) -> float:
    """P(score of a random positive > score of a random negative), ties counting half."""
    pos = p[y == 1]
    neg = p[y == 0]
    wins = 0.0
    for a in pos:
        for b in neg:
            wins += 1.0 if a > b else 0.5 if a == b else 0.0
    return wins / (len(pos) * len(neg))


def assert_plain_json(report: dict) -> None:
    """The report survives strict JSON and round-trips to the same values."""
    assert json.loads(json.dumps(report, allow_nan=False)) == report


# --- binary_confusion -----------------------------------------------------------------


def test_binary_confusion_hand_computed() -> None:
    assert binary_confusion(Y6, P6) == {"tp": 2, "fp": 2, "fn": 1, "tn": 1}


def test_binary_confusion_score_equal_to_threshold_is_positive() -> None:
    assert binary_confusion([0, 1], [0.3, 0.3], threshold=0.3) == {
        "tp": 1,
        "fp": 1,
        "fn": 0,
        "tn": 0,
    }


def test_binary_confusion_counts_are_python_ints() -> None:
    cm = binary_confusion(Y6, P6)
    assert all(type(v) is int for v in cm.values())


def test_binary_confusion_accepts_column_vectors() -> None:
    assert binary_confusion(Y6.reshape(-1, 1), P6.reshape(-1, 1)) == binary_confusion(Y6, P6)


def test_binary_confusion_accepts_bool_labels() -> None:
    assert binary_confusion(Y6.astype(bool), P6) == binary_confusion(Y6, P6)


def test_raising_threshold_never_increases_predicted_positives() -> None:
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, size=200)
    p = rng.random(200)
    predicted = []
    for t in np.linspace(0.0, 1.0, 41):
        cm = binary_confusion(y, p, threshold=float(t))
        predicted.append(cm["tp"] + cm["fp"])
    assert predicted[0] == 200
    assert all(a >= b for a, b in zip(predicted, predicted[1:], strict=False))
    assert predicted[-1] < predicted[0]


# --- small helpers --------------------------------------------------------------------

CM = {"tp": 3, "fp": 1, "fn": 2, "tn": 4}
EMPTY_CM = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        (precision, 3 / 4),
        (recall, 3 / 5),
        (f1, 6 / 9),
        (false_positive_rate, 1 / 5),
        (false_negative_rate, 2 / 5),
        (specificity, 4 / 5),
    ],
)
def test_rate_helper_hand_computed(metric: Callable[[dict], float], expected: float) -> None:
    assert metric(CM) == pytest.approx(expected)


@pytest.mark.parametrize(
    "metric",
    [precision, recall, f1, false_positive_rate, false_negative_rate, specificity],
)
def test_rate_helper_zero_over_zero_is_zero(metric: Callable[[dict], float]) -> None:
    value = metric(EMPTY_CM)
    assert value == 0.0
    assert type(value) is float


def test_f1_is_harmonic_mean_of_precision_and_recall() -> None:
    p, r = precision(CM), recall(CM)
    assert f1(CM) == pytest.approx(2 * p * r / (p + r))


def test_accuracy_hand_computed() -> None:
    assert accuracy([0, 1, 2, 2], [0, 2, 2, 1]) == pytest.approx(0.5)


def test_accuracy_of_empty_input_is_zero() -> None:
    assert accuracy([], []) == 0.0


# --- binary_report --------------------------------------------------------------------


def test_binary_report_hand_computed() -> None:
    report = binary_report(Y6, P6)
    assert report == {
        "tp": 2,
        "fp": 2,
        "fn": 1,
        "tn": 1,
        "accuracy": pytest.approx(3 / 6),
        "precision": pytest.approx(2 / 4),
        "recall": pytest.approx(2 / 3),
        "f1": pytest.approx(4 / 7),
        "fpr": pytest.approx(2 / 3),
        "fnr": pytest.approx(1 / 3),
        "specificity": pytest.approx(1 / 3),
    }


def test_binary_report_no_positives_predicted() -> None:
    report = binary_report(Y4, P4, threshold=1.0)
    assert report == {
        "tp": 0,
        "fp": 0,
        "fn": 2,
        "tn": 2,
        "accuracy": 0.5,
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "fpr": 0.0,
        "fnr": 1.0,
        "specificity": 1.0,
    }


def test_binary_report_all_predicted_positive() -> None:
    report = binary_report(Y4, P4, threshold=0.0)
    assert report == {
        "tp": 2,
        "fp": 2,
        "fn": 0,
        "tn": 0,
        "accuracy": 0.5,
        "precision": 0.5,
        "recall": 1.0,
        "f1": pytest.approx(2 / 3),
        "fpr": 1.0,
        "fnr": 0.0,
        "specificity": 0.0,
    }


def test_binary_report_no_actual_positives() -> None:
    report = binary_report([0, 0, 0], [0.1, 0.7, 0.4])
    assert report == {
        "tp": 0,
        "fp": 1,
        "fn": 0,
        "tn": 2,
        "accuracy": pytest.approx(2 / 3),
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "fpr": pytest.approx(1 / 3),
        "fnr": 0.0,
        "specificity": pytest.approx(2 / 3),
    }


def test_binary_report_of_empty_input_is_all_zero() -> None:
    report = binary_report([], [])
    assert set(report) == {
        "tp",
        "fp",
        "fn",
        "tn",
        "accuracy",
        "precision",
        "recall",
        "f1",
        "fpr",
        "fnr",
        "specificity",
    }
    assert all(v == 0 for v in report.values())


@pytest.mark.parametrize(
    ("y", "p", "threshold"),
    [
        (Y6, P6, 0.5),
        (Y4, P4, 1.0),
        (Y4, P4, 0.0),
        ([0, 0, 0], [0.1, 0.7, 0.4], 0.5),
        ([1, 1], [0.1, 0.2], 0.5),
        ([], [], 0.5),
    ],
)
def test_binary_report_is_strict_json_of_plain_values(
    y: list[int], p: list[float], threshold: float
) -> None:
    report = binary_report(y, p, threshold)
    assert_plain_json(report)
    assert all(type(v) in (int, float) for v in report.values())
    assert all(math.isfinite(v) for v in report.values())


# --- roc ------------------------------------------------------------------------------


def test_roc_hand_computed_with_tie() -> None:
    # Sorted by score: 0.9 (+), 0.8 (-), 0.6 (+, +, -), 0.1 (-); 3 positives, 3 negatives.
    fpr, tpr, thresholds, auc = roc([1, 0, 1, 1, 0, 0], [0.9, 0.8, 0.6, 0.6, 0.6, 0.1])
    np.testing.assert_allclose(thresholds, [1.9, 0.9, 0.8, 0.6, 0.1])
    np.testing.assert_allclose(tpr, [0, 1 / 3, 1 / 3, 1, 1])
    np.testing.assert_allclose(fpr, [0, 0, 1 / 3, 2 / 3, 1])
    # Trapezoids: 1/3 * 1/3 + 1/3 * (1/3 + 1) / 2 + 1/3 * 1 = 6/9.
    assert auc == pytest.approx(2 / 3)


def test_roc_perfect_classifier_has_auc_one() -> None:
    *_, auc = roc([0, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.8, 0.9])
    assert auc == 1.0


def test_roc_reversed_classifier_has_auc_zero() -> None:
    *_, auc = roc([1, 1, 1, 0, 0], [0.1, 0.2, 0.3, 0.8, 0.9])
    assert auc == 0.0


def test_roc_auc_is_a_python_float() -> None:
    *_, auc = roc(Y6, P6)
    assert type(auc) is float


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_roc_auc_matches_pairwise_probability_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=300)
    p = rng.integers(0, 11, size=300) / 10  # eleven distinct scores: many ties
    *_, auc = roc(y, p)
    assert auc == pytest.approx(brute_force_auc(y, p))


def test_roc_starts_at_origin_and_ends_at_one_one() -> None:
    rng = np.random.default_rng(3)
    fpr, tpr, _, _ = roc(rng.integers(0, 2, size=50), rng.random(50))
    assert (fpr[0], tpr[0]) == (0.0, 0.0)
    assert (fpr[-1], tpr[-1]) == (1.0, 1.0)


def test_roc_curve_is_monotone() -> None:
    rng = np.random.default_rng(4)
    fpr, tpr, _, _ = roc(rng.integers(0, 2, size=80), rng.integers(0, 6, size=80) / 5)
    assert np.all(np.diff(fpr) >= 0)
    assert np.all(np.diff(tpr) >= 0)


def test_roc_thresholds_descend_from_a_finite_value_above_every_score() -> None:
    _, _, thresholds, _ = roc(Y6, P6)
    assert np.all(np.isfinite(thresholds))
    assert thresholds[0] > P6.max()
    assert np.all(np.diff(thresholds) < 0)
    np.testing.assert_array_equal(thresholds[1:], np.sort(np.unique(P6))[::-1])


def test_roc_ties_form_one_point() -> None:
    fpr, tpr, thresholds, auc = roc([0, 1, 0, 1], [0.4, 0.4, 0.4, 0.4])
    np.testing.assert_array_equal(thresholds, [1.4, 0.4])
    np.testing.assert_array_equal(fpr, [0.0, 1.0])
    np.testing.assert_array_equal(tpr, [0.0, 1.0])
    assert auc == 0.5


def test_roc_points_agree_with_binary_confusion() -> None:
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, size=40)
    p = rng.integers(0, 9, size=40) / 8
    fpr, tpr, thresholds, _ = roc(y, p)
    for f, t, threshold in zip(fpr[1:], tpr[1:], thresholds[1:], strict=True):
        cm = binary_confusion(y, p, threshold=float(threshold))
        assert t == pytest.approx(cm["tp"] / (cm["tp"] + cm["fn"]))
        assert f == pytest.approx(cm["fp"] / (cm["fp"] + cm["tn"]))


@pytest.mark.parametrize("label", [0, 1])
def test_roc_with_one_class_is_finite_with_auc_half(label: int) -> None:
    fpr, tpr, thresholds, auc = roc([label] * 4, [0.1, 0.5, 0.5, 0.9])
    assert auc == 0.5
    for curve in (fpr, tpr, thresholds):
        assert np.all(np.isfinite(curve))
    absent_rate = tpr if label == 0 else fpr
    np.testing.assert_array_equal(absent_rate, np.zeros(4))


def test_roc_of_empty_input_is_the_origin_with_auc_half() -> None:
    fpr, tpr, thresholds, auc = roc([], [])
    np.testing.assert_array_equal(fpr, [0.0])
    np.testing.assert_array_equal(tpr, [0.0])
    np.testing.assert_array_equal(thresholds, [1.0])
    assert auc == 0.5


# --- input validation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: binary_confusion([0, 1, 1], [0.2, 0.8]), "p"),
        (lambda: binary_confusion([0, 1], [0.2, float("nan")]), "p"),
        (lambda: binary_confusion([0, 1], [0.2, 1.5]), "p"),
        (lambda: binary_confusion([0, 2], [0.2, 0.8]), "y_true"),
        (lambda: binary_confusion([[0, 1], [1, 0]], [0.2, 0.8]), "y_true"),
        (lambda: binary_confusion([0, 1], [0.2, 0.8], threshold=1.5), "threshold"),
        (lambda: binary_confusion([0, 1], [0.2, 0.8], threshold=-0.1), "threshold"),
        (lambda: binary_confusion([0, 1], [0.2, 0.8], threshold=float("nan")), "threshold"),
        (lambda: binary_report([0, 1], [0.2]), "p"),
        (lambda: binary_report([0, 1], [0.2, 0.8], threshold=2.0), "threshold"),
        (lambda: roc([0, 1], [0.2]), "p"),
        (lambda: roc([0, 1], [float("nan"), 0.3]), "p"),
        (lambda: accuracy([0, 1], [0]), "y_pred"),
        (lambda: confusion_matrix([0, 1], [0, 3], classes=3), "y_pred"),
        (lambda: confusion_matrix([0, -1], [0, 1], classes=3), "y_true"),
        (lambda: confusion_matrix([0, 1], [0, 1, 1], classes=3), "y_pred"),
        (lambda: confusion_matrix([0, 1], [0, 1], classes=0), "classes"),
        (lambda: multiclass_report([0, 1], [0.2, 0.8]), "P"),
        (lambda: multiclass_report([0, 1], [[0.2, float("nan")], [0.5, 0.5]]), "P"),
        (lambda: multiclass_report([0, 2], [[0.2, 0.8], [0.5, 0.5]]), "y_true"),
        (lambda: multiclass_report([0], [[0.2, 0.8], [0.5, 0.5]]), "y_true"),
        (lambda: mse([1.0, 2.0], [1.0]), "y_pred"),
        (lambda: mse([1.0, float("nan")], [1.0, 2.0]), "y_true"),
        (lambda: r2([1.0, 2.0], [1.0, float("inf")]), "y_pred"),
        (lambda: regression_report([1.0], [1.0, 2.0]), "y_pred"),
    ],
)
def test_invalid_input_raises_value_error_naming_the_field(
    call: Callable[[], object], field: str
) -> None:
    with pytest.raises(ValueError, match=rf"^{field}:"):
        call()


# --- confusion_matrix -----------------------------------------------------------------


def test_confusion_matrix_hand_computed() -> None:
    cm = confusion_matrix([0, 1, 2, 2, 1, 0], [0, 2, 2, 1, 1, 0], classes=3)
    np.testing.assert_array_equal(cm, [[2, 0, 0], [0, 1, 1], [0, 1, 1]])


def test_confusion_matrix_is_int64_of_shape_k_by_k() -> None:
    cm = confusion_matrix([0, 1], [1, 1], classes=4)
    assert cm.shape == (4, 4)
    assert cm.dtype == np.int64


def test_confusion_matrix_matches_a_loop() -> None:
    rng = np.random.default_rng(6)
    y = rng.integers(0, 5, size=500)
    y_hat = rng.integers(0, 5, size=500)
    expected = np.zeros((5, 5), dtype=np.int64)
    for true, pred in zip(y, y_hat, strict=True):
        expected[true, pred] += 1
    np.testing.assert_array_equal(confusion_matrix(y, y_hat, classes=5), expected)


def test_confusion_matrix_of_empty_input_is_zero() -> None:
    np.testing.assert_array_equal(confusion_matrix([], [], classes=2), np.zeros((2, 2)))


# --- multiclass_report ----------------------------------------------------------------

Y_MC = [0, 1, 2, 2, 1, 0]
# Row argmax: 0, 2, 2, 0, 1, 0.
P_MC = np.array(
    [
        [0.8, 0.1, 0.1],
        [0.1, 0.2, 0.7],
        [0.2, 0.2, 0.6],
        [0.5, 0.2, 0.3],
        [0.3, 0.5, 0.2],
        [0.6, 0.3, 0.1],
    ]
)


def test_multiclass_report_hand_computed() -> None:
    report = multiclass_report(Y_MC, P_MC)
    assert report == {
        "matrix": [[2, 0, 0], [0, 1, 1], [1, 0, 1]],
        "accuracy": pytest.approx(4 / 6),
        "precision": pytest.approx([2 / 3, 1 / 1, 1 / 2]),
        "recall": pytest.approx([2 / 2, 1 / 2, 1 / 2]),
    }


def test_multiclass_report_absent_class_has_zero_rates() -> None:
    report = multiclass_report([0, 1], [[0.9, 0.1, 0.0], [0.2, 0.7, 0.1]])
    assert report["precision"] == [1.0, 1.0, 0.0]
    assert report["recall"] == [1.0, 1.0, 0.0]


def test_multiclass_report_is_strict_json_of_plain_values() -> None:
    report = multiclass_report(Y_MC, P_MC)
    assert_plain_json(report)
    assert all(type(v) is int for row in report["matrix"] for v in row)
    assert all(type(v) is float for v in report["precision"] + report["recall"])
    assert type(report["accuracy"]) is float


def test_multiclass_report_of_empty_input_is_zero() -> None:
    report = multiclass_report([], np.zeros((0, 2)))
    assert report == {
        "matrix": [[0, 0], [0, 0]],
        "accuracy": 0.0,
        "precision": [0.0, 0.0],
        "recall": [0.0, 0.0],
    }


# --- regression -----------------------------------------------------------------------

Y_REG = [1.0, 2.0, 3.0, 4.0]
Y_REG_HAT = [1.0, 3.0, 2.0, 6.0]  # errors 0, 1, -1, 2


def test_mse_hand_computed() -> None:
    assert mse(Y_REG, Y_REG_HAT) == pytest.approx((0 + 1 + 1 + 4) / 4)


def test_r2_hand_computed() -> None:
    # Mean 2.5: SS_tot = 2.25 + 0.25 + 0.25 + 2.25 = 5, SS_res = 6.
    assert r2(Y_REG, Y_REG_HAT) == pytest.approx(1 - 6 / 5)


def test_r2_of_perfect_prediction_is_one() -> None:
    assert r2(Y_REG, Y_REG) == 1.0


def test_r2_of_mean_prediction_is_zero() -> None:
    assert r2(Y_REG, [2.5] * 4) == pytest.approx(0.0)


def test_r2_of_constant_target_predicted_exactly_is_one() -> None:
    assert r2([3.0, 3.0, 3.0], [3.0, 3.0, 3.0]) == 1.0


def test_r2_of_constant_target_predicted_inexactly_is_zero() -> None:
    assert r2([3.0, 3.0, 3.0], [3.0, 2.0, 3.0]) == 0.0


def test_regression_metrics_accept_column_against_flat() -> None:
    column = np.array(Y_REG_HAT).reshape(-1, 1)
    assert regression_report(Y_REG, column) == regression_report(Y_REG, Y_REG_HAT)


def test_regression_report_hand_computed() -> None:
    assert regression_report(Y_REG, Y_REG_HAT) == {
        "mse": pytest.approx(1.5),
        "r2": pytest.approx(-0.2),
    }


def test_regression_report_of_empty_input() -> None:
    assert regression_report([], []) == {"mse": 0.0, "r2": 1.0}


def test_regression_report_is_strict_json_of_plain_values() -> None:
    report = regression_report(Y_REG, Y_REG_HAT)
    assert_plain_json(report)
    assert all(type(v) is float for v in report.values())


# --- binary_summary: the report and the curve at once -------------------------------------


def roc_by_brute_force(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each distinct score, highest first, as a threshold: the rates of ``p >= t``."""
    thresholds = np.concatenate([[p.max() + 1.0], np.unique(p)[::-1]])
    pos, neg = max(int((y == 1).sum()), 1), max(int((y == 0).sum()), 1)
    tpr = np.array([((p >= t) & (y == 1)).sum() / pos for t in thresholds])
    fpr = np.array([((p >= t) & (y == 0)).sum() / neg for t in thresholds])
    return fpr, tpr, thresholds


@pytest.mark.parametrize("seed", range(6))
def test_binary_summary_is_the_report_and_the_curve(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    y = rng.integers(0, 2, n)
    p = np.round(rng.random(n), int(rng.integers(1, 4)))  # many ties
    report, (fpr, tpr, thresholds, auc) = binary_summary(y == 1, p, 0.4)
    assert report == binary_report(y, p, 0.4)
    got = roc(y, p)
    for a, b in zip((fpr, tpr, thresholds), got[:3], strict=True):
        assert a.dtype == np.float64 and np.array_equal(a, b)
    assert auc == got[3]
    want = roc_by_brute_force(y, p)
    for a, b in zip((fpr, tpr, thresholds), want, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_binary_summary_of_empty_input_and_bad_input() -> None:
    report, (fpr, tpr, thresholds, auc) = binary_summary(np.zeros(0, bool), np.zeros(0))
    assert report == binary_report([], []) and auc == 0.5
    assert fpr.tolist() == tpr.tolist() == [0.0] and thresholds.tolist() == [1.0]
    with pytest.raises(ValueError, match="y_true"):
        binary_summary([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="p: contains NaN"):
        binary_summary(np.array([True, False]), [0.1, float("nan")])
