"""Classification and regression metrics: pure, vectorized functions of NumPy arrays.

Inputs are batch-first, one entry per sample: shape ``(n,)``. A column ``(n, 1)``, as a
network with one output unit produces, is accepted and flattened. ``y_true`` for binary
metrics holds 0/1 labels (bool, int or float); ``p`` holds probabilities in ``[0, 1]``.

Conventions shared by every function here:

- A sample is predicted positive when ``p >= threshold``.
- A ratio whose numerator and denominator are both 0 (``0/0``) is reported as ``0.0``:
  precision with no predicted positives, recall with no actual positives, any rate on
  empty input. No ratio here can be ``x/0`` with ``x != 0``, so every float is finite.
- Report dicts hold only plain Python ``int``, ``float`` and ``list`` values, ready for
  ``json.dumps(..., allow_nan=False)``.
- Bad input (mismatched lengths, wrong shapes, NaN or out-of-range values, a threshold
  outside ``[0, 1]``) raises ``ValueError`` whose message starts with the argument's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from app.errors import InvalidInput

Confusion = Mapping[str, int]
FloatArray = NDArray[np.float64]


# --- input validation -----------------------------------------------------------------


def _vector(x: ArrayLike, name: str) -> NDArray[Any]:
    """``x`` as a numeric 1-D array ``(n,)``; a column ``(n, 1)`` is flattened."""
    a = np.asarray(x)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        raise InvalidInput(f"{name}: expected shape (n,) or (n, 1), got {a.shape}")
    if a.size and a.dtype.kind not in "biuf":
        raise InvalidInput(f"{name}: expected numbers, got dtype {a.dtype}")
    return a


def _same_length(a: NDArray[Any], b: NDArray[Any], name_a: str, name_b: str) -> None:
    if a.shape[0] != b.shape[0]:
        raise InvalidInput(f"{name_b}: has {b.shape[0]} samples but {name_a} has {a.shape[0]}")


def _binary_labels(y_true: ArrayLike, name: str = "y_true") -> NDArray[np.bool_]:
    """0/1 labels ``(n,)`` as a boolean array ``(n,)``, True for the positive class."""
    y = _vector(y_true, name)
    if y.dtype == np.bool_:
        return y
    if not np.all((y == 0) | (y == 1)):
        raise InvalidInput(f"{name}: binary labels must be 0 or 1")
    return np.asarray(y == 1, dtype=np.bool_)


def _probabilities(p: ArrayLike, name: str = "p") -> FloatArray:
    """Probabilities ``(n,)`` as float64 ``(n,)``, all finite and in ``[0, 1]``."""
    a = _vector(p, name).astype(np.float64)
    if not np.all(np.isfinite(a)):
        raise InvalidInput(f"{name}: contains NaN or infinite values")
    if np.any((a < 0.0) | (a > 1.0)):
        raise InvalidInput(f"{name}: probabilities must lie in [0, 1]")
    return a


def _real_values(x: ArrayLike, name: str) -> FloatArray:
    """Regression targets or predictions ``(n,)`` as finite float64 ``(n,)``."""
    a = _vector(x, name).astype(np.float64)
    if not np.all(np.isfinite(a)):
        raise InvalidInput(f"{name}: contains NaN or infinite values")
    return a


def _class_labels(x: ArrayLike, name: str, classes: int) -> NDArray[np.int64]:
    """Integer class labels ``(n,)`` in ``[0, classes)`` as int64 ``(n,)``."""
    a = _vector(x, name)
    if a.dtype.kind == "f" and not np.all(np.isfinite(a) & (a == np.round(a))):
        raise InvalidInput(f"{name}: class labels must be whole numbers")
    if a.size and (a.min() < 0 or a.max() >= classes):
        raise InvalidInput(f"{name}: class labels must lie in [0, {classes})")
    return a.astype(np.int64)


def _threshold(threshold: float) -> float:
    t = float(threshold)
    if not 0.0 <= t <= 1.0:  # also rejects NaN
        raise InvalidInput(f"threshold: must lie in [0, 1], got {threshold!r}")
    return t


def _ratio(num: float, den: float) -> float:
    """``num / den`` as a float, with ``0/0`` reported as ``0.0``."""
    return float(num) / float(den) if den else 0.0


# --- binary classification ------------------------------------------------------------


def binary_confusion(y_true: ArrayLike, p: ArrayLike, threshold: float = 0.5) -> dict[str, int]:
    """Counts ``{"tp", "fp", "fn", "tn"}`` for labels ``y_true`` (n,) and probabilities ``p`` (n,).

    A sample is predicted positive when ``p >= threshold``.
    """
    actual, scores = _binary_inputs(y_true, p)
    return _confusion(actual, scores, _threshold(threshold))


def _binary_inputs(y_true: ArrayLike, p: ArrayLike) -> tuple[NDArray[np.bool_], FloatArray]:
    actual = _binary_labels(y_true)
    scores = _probabilities(p)
    _same_length(actual, scores, "y_true", "p")
    return actual, scores


def _confusion(actual: NDArray[np.bool_], scores: FloatArray, threshold: float) -> dict[str, int]:
    predicted = scores >= threshold
    tp = int(np.count_nonzero(actual & predicted))
    fp = int(np.count_nonzero(predicted)) - tp
    fn = int(np.count_nonzero(actual)) - tp
    return {"tp": tp, "fp": fp, "fn": fn, "tn": int(actual.size) - tp - fp - fn}


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Fraction of samples whose label ``y_pred`` (n,) equals ``y_true`` (n,); 0.0 when n = 0.

    Works for binary and multiclass labels alike.
    """
    y = _vector(y_true, "y_true")
    y_hat = _vector(y_pred, "y_pred")
    _same_length(y, y_hat, "y_true", "y_pred")
    return _ratio(int(np.count_nonzero(y == y_hat)), y.size)


def precision(cm: Confusion) -> float:
    """tp / (tp + fp): the share of predicted positives that are positive."""
    return _ratio(cm["tp"], cm["tp"] + cm["fp"])


def recall(cm: Confusion) -> float:
    """tp / (tp + fn): the true-positive rate, the share of positives found."""
    return _ratio(cm["tp"], cm["tp"] + cm["fn"])


def f1(cm: Confusion) -> float:
    """2tp / (2tp + fp + fn), the harmonic mean of precision and recall (0.0 when both are 0)."""
    return _ratio(2 * cm["tp"], 2 * cm["tp"] + cm["fp"] + cm["fn"])


def false_positive_rate(cm: Confusion) -> float:
    """fp / (fp + tn): the type I error rate, the share of negatives flagged positive."""
    return _ratio(cm["fp"], cm["fp"] + cm["tn"])


def false_negative_rate(cm: Confusion) -> float:
    """fn / (fn + tp): the type II error rate, the share of positives missed."""
    return _ratio(cm["fn"], cm["fn"] + cm["tp"])


def specificity(cm: Confusion) -> float:
    """tn / (tn + fp): the true-negative rate."""
    return _ratio(cm["tn"], cm["tn"] + cm["fp"])


def binary_report(
    y_true: ArrayLike, p: ArrayLike, threshold: float = 0.5
) -> dict[str, int | float]:
    """Counts and rates for labels ``y_true`` (n,) and probabilities ``p`` (n,) at ``threshold``.

    Keys: ``tp, fp, fn, tn`` (int) and ``accuracy, precision, recall, f1, fpr, fnr,
    specificity`` (float). A ``0/0`` rate is 0.0, so with no actual positives both
    ``recall`` and ``fnr`` are 0.0, and with no actual negatives both ``fpr`` and
    ``specificity`` are 0.0; empty input gives all zeros.
    """
    return _report(binary_confusion(y_true, p, threshold))


def _report(cm: dict[str, int]) -> dict[str, int | float]:
    n = cm["tp"] + cm["fp"] + cm["fn"] + cm["tn"]
    return {
        **cm,
        "accuracy": _ratio(cm["tp"] + cm["tn"], n),
        "precision": precision(cm),
        "recall": recall(cm),
        "f1": f1(cm),
        "fpr": false_positive_rate(cm),
        "fnr": false_negative_rate(cm),
        "specificity": specificity(cm),
    }


def roc(y_true: ArrayLike, p: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray, float]:
    """ROC curve and its area for labels ``y_true`` (n,) and probabilities ``p`` (n,).

    Returns ``(fpr, tpr, thresholds, auc)``: three float64 arrays of shape (m + 1,), where
    m is the number of distinct scores, and ``auc`` as a float. ``thresholds`` descend:
    the first is ``max(p) + 1`` (1.0 for empty input), a finite value above every score
    that gives the point (0, 0); then each distinct score once, tied scores forming a
    single point. Point i counts ``p >= thresholds[i]`` as positive, as in
    ``binary_confusion``. The last point is (1, 1) when both classes are present.

    ``auc`` is the trapezoid area under the curve, which equals the probability that a
    random positive scores above a random negative, ties counting half. With only one
    class present (or none) the rate over the absent class is 0 throughout (``0/0``
    taken as 0) and ``auc`` is 0.5, the value of an uninformative classifier.
    """
    return _roc(*_binary_inputs(y_true, p))


def binary_summary(
    y_true: ArrayLike, p: ArrayLike, threshold: float = 0.5
) -> tuple[dict[str, int | float], tuple[FloatArray, FloatArray, FloatArray, float]]:
    """``binary_report(y_true, p, threshold)`` and ``roc(y_true, p)`` at once, the inputs
    checked once (labels given as a boolean array ``(n,)`` need no checking)."""
    actual, scores = _binary_inputs(y_true, p)
    return _report(_confusion(actual, scores, _threshold(threshold))), _roc(actual, scores)


def _roc(
    actual: NDArray[np.bool_], scores: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, float]:
    n = scores.size
    order = np.argsort(scores, kind="stable")[::-1]
    s = scores[order]
    # Index of the last sample in each run of equal scores, in descending score order (the
    # scores are finite: two differ exactly where their difference is not 0).
    ends = np.empty(n, dtype=np.bool_)
    np.not_equal(s[1:], s[:-1], out=ends[:-1])
    ends[-1:] = True
    last = np.flatnonzero(ends)
    m = last.size + 1
    counts = np.zeros((2, m), dtype=np.int64)  # true and false positives above each point
    tps, fps = counts
    if n:
        np.cumsum(actual[order], dtype=np.int64).take(last, out=tps[1:])
        np.add(last, 1, out=fps[1:])
        fps[1:] -= tps[1:]
    n_pos = int(tps[-1])
    n_neg = int(fps[-1])

    tpr = tps / n_pos if n_pos else np.zeros(m)
    fpr = fps / n_neg if n_neg else np.zeros(m)
    thresholds = np.empty(m)
    thresholds[0] = float(s[0]) + 1.0 if n else 1.0
    s.take(last, out=thresholds[1:])

    if n_pos and n_neg:
        # Trapezoids on integer counts, divided once: exact 1.0 and 0.0 at the extremes.
        twice_area = int(np.dot(fps[1:] - fps[:-1], tps[1:] + tps[:-1]))
        auc = twice_area / (2 * n_pos * n_neg)
    else:
        auc = 0.5
    return fpr, tpr, thresholds, float(auc)


# --- multiclass classification --------------------------------------------------------


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike, classes: int) -> NDArray[np.int64]:
    """Counts (K, K) int64 for labels ``y_true`` (n,) and ``y_pred`` (n,) in ``[0, K)``.

    Entry ``[i, j]`` counts samples of true class i predicted as class j (rows are the
    true class, columns the predicted class). ``classes`` is K.
    """
    if isinstance(classes, bool) or not isinstance(classes, int | np.integer) or classes < 1:
        raise InvalidInput(f"classes: must be a positive integer, got {classes!r}")
    k = int(classes)
    y = _class_labels(y_true, "y_true", k)
    y_hat = _class_labels(y_pred, "y_pred", k)
    _same_length(y, y_hat, "y_true", "y_pred")
    counts = np.bincount(y * k + y_hat, minlength=k * k)
    return counts.reshape(k, k).astype(np.int64)


def multiclass_report(y_true: ArrayLike, P: ArrayLike) -> dict[str, Any]:
    """Confusion matrix and rates for labels ``y_true`` (n,) and class scores ``P`` (n, K).

    The predicted class is the argmax of each row of ``P`` (rows need not sum to 1).
    Keys: ``matrix`` (K lists of K ints, rows = true class), ``accuracy`` (float), and
    per-class ``precision`` and ``recall`` (lists of K floats, 0.0 for ``0/0``, e.g. a
    class that is never predicted has precision 0.0).
    """
    scores = np.asarray(P)
    if scores.ndim != 2 or scores.shape[1] < 1:
        raise InvalidInput(f"P: expected shape (n, K) with K >= 1, got {scores.shape}")
    if scores.size and scores.dtype.kind not in "biuf":
        raise InvalidInput(f"P: expected numbers, got dtype {scores.dtype}")
    if not np.all(np.isfinite(scores)):
        raise InvalidInput("P: contains NaN or infinite values")
    k = scores.shape[1]
    y = _class_labels(y_true, "y_true", k)
    _same_length(scores, y, "P", "y_true")

    cm = confusion_matrix(y, np.argmax(scores, axis=1), k)
    hits = np.diag(cm)
    predicted = cm.sum(axis=0)
    actual = cm.sum(axis=1)
    return {
        "matrix": cm.tolist(),
        "accuracy": _ratio(int(hits.sum()), y.size),
        "precision": [_ratio(int(h), int(d)) for h, d in zip(hits, predicted, strict=True)],
        "recall": [_ratio(int(h), int(d)) for h, d in zip(hits, actual, strict=True)],
    }


# --- regression -----------------------------------------------------------------------


def mse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean squared error between targets ``y_true`` (n,) and predictions ``y_pred`` (n,).

    0.0 for empty input.
    """
    y = _real_values(y_true, "y_true")
    y_hat = _real_values(y_pred, "y_pred")
    _same_length(y, y_hat, "y_true", "y_pred")
    return float(np.mean((y - y_hat) ** 2)) if y.size else 0.0


def r2(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Coefficient of determination 1 - SS_res / SS_tot for ``y_true`` (n,), ``y_pred`` (n,).

    1.0 for a perfect prediction, 0.0 for predicting the mean, negative when worse.
    When ``y_true`` is constant (SS_tot = 0, including empty input) the ratio is
    undefined; r2 is then 1.0 if the prediction is exact (SS_res = 0) and 0.0 otherwise.
    """
    y = _real_values(y_true, "y_true")
    y_hat = _real_values(y_pred, "y_pred")
    _same_length(y, y_hat, "y_true", "y_pred")
    ss_res = float(np.sum((y - y_hat) ** 2))
    ss_tot = float(np.sum((y - y.mean()) ** 2)) if y.size else 0.0
    if ss_tot == 0.0:
        return 1.0 if ss_res == 0.0 else 0.0
    return 1.0 - ss_res / ss_tot


def regression_report(y_true: ArrayLike, y_pred: ArrayLike) -> dict[str, float]:
    """``{"mse", "r2"}`` for targets ``y_true`` (n,) and predictions ``y_pred`` (n,)."""
    return {"mse": mse(y_true, y_pred), "r2": r2(y_true, y_pred)}
