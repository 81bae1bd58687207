"""User-supplied points: validation, and the one CSV format.

Points are X (n, inputs) raw coordinates with labels y (n,): class ids for classification,
real targets for regression, and test (n,): True for a test point. Every error is an
InvalidInput whose message starts with the field at fault ("x", "label", "points", ...);
CSV errors also give the line number.

The CSV format (the page's download and upload, the HTTP API and the Python library):
a header ``x1,x2,label,test`` (one-input data: ``x1,label,test``), then one row per point;
``test`` is 1 for a test point and 0 for a training point, and the column may be left out
(all training points).
"""

from __future__ import annotations

import csv

import numpy as np

from app.data.datasets import KINDS, MAX_BLOB_CLASSES, MAX_POINTS, MIN_BLOB_CLASSES
from app.errors import InvalidInput


class PointsError(InvalidInput):
    """A validation error on `field`, at point `index` when one point is to blame."""

    def __init__(self, field: str, message: str, index: int | None = None) -> None:
        super().__init__(f"{field} {message}")
        self.field = field
        self.index = index


def _numeric(values: object, field: str) -> np.ndarray:
    try:
        arr = np.asarray(values)
    except ValueError as exc:  # ragged nested lists
        raise PointsError(field, f"must be a rectangular array of numbers: {exc}") from exc
    if arr.dtype.kind not in "iuf":
        raise PointsError(field, f"must be numbers, got {arr.dtype}")
    return arr


def _first(mask: np.ndarray) -> int:
    """Index of the first True entry of a boolean mask (n,) or (n, d), by point."""
    rows = mask.reshape(len(mask), -1).any(axis=1)
    return int(np.argmax(rows))


def _check_classes(kind: str, classes: int) -> None:
    if kind == "binary" and classes != 2:
        raise PointsError("classes", f"must be 2 for binary data, got {classes!r}")
    if kind == "multiclass" and not (
        isinstance(classes, int) and MIN_BLOB_CLASSES <= classes <= MAX_BLOB_CLASSES
    ):
        raise PointsError(
            "classes",
            f"must be between {MIN_BLOB_CLASSES} and {MAX_BLOB_CLASSES} for multiclass data, "
            f"got {classes!r}",
        )


def validate_points(
    X: object,
    y: object,
    *,
    kind: str,
    classes: int,
    inputs: int,
    bound: float = 1e6,
) -> tuple[np.ndarray, np.ndarray]:
    """Check points X (n, inputs) and labels y (n,) for a dataset of `kind` and `classes`.

    Requires 1..MAX_POINTS points with finite coordinates of size at most `bound`; labels
    must be integers 0..classes-1 for classification (classes is ignored for regression)
    and finite numbers for regression. Returns copies: X float64 (n, inputs) and y (n,)
    int64 or float64. Raises PointsError (a ValueError) naming the field.
    """
    if kind not in KINDS:
        raise PointsError("kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
    if inputs not in (1, 2):
        raise PointsError("inputs", f"must be 1 or 2, got {inputs!r}")
    _check_classes(kind, classes)

    Xa = _numeric(X, "x")
    if Xa.ndim != 2 or Xa.shape[1] != inputs:
        raise PointsError("x", f"must have shape (n, {inputs}), got {Xa.shape}")
    n = Xa.shape[0]
    if not 1 <= n <= MAX_POINTS:
        raise PointsError("points", f"must number between 1 and {MAX_POINTS}, got {n}")
    ya = _numeric(y, "label")
    if ya.shape != (n,):
        raise PointsError("label", f"must have one value per point: shape ({n},), got {ya.shape}")

    Xf = Xa.astype(np.float64)
    bad = ~np.isfinite(Xf)
    if bad.any():
        i = _first(bad)
        raise PointsError("x", f"must be finite, got {Xf[i].tolist()} at point {i}", i)
    bad = np.abs(Xf) > bound
    if bad.any():
        i = _first(bad)
        raise PointsError("x", f"must be within +-{bound:g}, got {Xf[i].tolist()} at point {i}", i)

    yf = ya.astype(np.float64)
    bad = ~np.isfinite(yf)
    if bad.any():
        i = _first(bad)
        raise PointsError("label", f"must be finite, got {yf[i]} at point {i}", i)
    if kind == "regression":
        return Xf, yf
    bad = (yf != np.round(yf)) | (yf < 0) | (yf > classes - 1)
    if bad.any():
        i = _first(bad)
        raise PointsError(
            "label", f"must be an integer from 0 to {classes - 1}, got {yf[i]:g} at point {i}", i
        )
    return Xf, yf.astype(np.int64)


def _header(inputs: int) -> list[str]:
    return [f"x{j + 1}" for j in range(inputs)] + ["label", "test"]


def _fmt(value: float | int) -> str:
    """Shortest text that reads back to the same value."""
    return str(int(value)) if isinstance(value, int) else repr(float(value))


def points_to_csv(X: np.ndarray, y: np.ndarray, test: np.ndarray | None = None) -> str:
    """CSV text for X (n, 1 or 2), y (n,) and test (n,) (None: all training): header
    "x1,x2,label,test" (or "x1,label,test"), one row per point. Integer labels are written as
    integers, all numbers so they read back exactly."""
    X = np.asarray(X)
    y = np.asarray(y)
    flags = np.zeros(len(y), dtype=bool) if test is None else np.asarray(test, dtype=bool)
    lines = [",".join(_header(X.shape[1]))]
    for coords, label, t in zip(X.tolist(), y.tolist(), flags.tolist(), strict=True):
        lines.append(",".join([*(repr(float(c)) for c in coords), _fmt(label), str(int(t))]))
    return "\n".join(lines) + "\n"


_TEST_VALUES = {"0": False, "1": True, "false": False, "true": True}


def points_from_csv(
    text: str, *, kind: str, classes: int, inputs: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse CSV text in the format above and validate it like `validate_points`.

    Blank lines are skipped. Returns X float64 (n, inputs), y (n,) and test bool (n,).
    Raises InvalidInput with the line number for a bad header, a bad row, or a point that
    fails validation.
    """
    if inputs not in (1, 2):
        raise PointsError("inputs", f"must be 1 or 2, got {inputs!r}")
    if not isinstance(text, str):
        raise InvalidInput("csv must be text")
    full = _header(inputs)
    header = full
    rows: list[list[float]] = []
    flags: list[bool] = []
    row_lines: list[int] = []
    seen_header = False
    reader = csv.reader(text.removeprefix("\ufeff").splitlines())
    try:
        for record in reader:
            line = reader.line_num
            fields = [field.strip() for field in record]
            if not any(fields):
                continue
            if not seen_header:
                names = [f.lower() for f in fields]
                if names not in (full, full[:-1]):
                    raise InvalidInput(
                        f"csv line {line}: header must be {','.join(full)}, "
                        f"got {','.join(fields)}"
                    )
                header, seen_header = names, True
                continue
            if len(fields) != len(header):
                raise InvalidInput(
                    f"csv line {line}: expected {len(header)} fields "
                    f"({','.join(header)}), got {len(fields)}"
                )
            if len(rows) == MAX_POINTS:
                raise InvalidInput(f"csv line {line}: points must number at most {MAX_POINTS}")
            values = []
            for name, field in zip(header[: inputs + 1], fields, strict=False):
                try:
                    values.append(float(field))
                except ValueError:
                    raise InvalidInput(
                        f"csv line {line}: {name} must be a number, got {field!r}"
                    ) from None
            flag = fields[inputs + 1].lower() if len(header) > inputs + 1 else "0"
            if flag not in _TEST_VALUES:
                raise InvalidInput(f"csv line {line}: test must be 0 or 1, got {flag!r}")
            rows.append(values)
            flags.append(_TEST_VALUES[flag])
            row_lines.append(line)
    except csv.Error as exc:
        raise InvalidInput(f"csv line {reader.line_num}: {exc}") from exc
    if not seen_header:
        raise InvalidInput(f"csv line 1: header {','.join(full)} is missing")

    data = np.array(rows, dtype=np.float64).reshape(len(rows), inputs + 1)
    try:
        X, y = validate_points(
            data[:, :inputs], data[:, inputs], kind=kind, classes=classes, inputs=inputs
        )
    except PointsError as exc:
        if exc.index is None:
            raise
        raise InvalidInput(f"csv line {row_lines[exc.index]}: {exc}") from exc
    return X, y, np.array(flags, dtype=bool)
