"""The points a user edits: add, move, remove, clear, replace (a CSV text, an import).
Every change is checked whole before any of it is applied, then the features, the
standardizer and the training set follow (``Session._refresh_data``). ``Session``
inherits these methods."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import numpy as np

from app.data import MAX_POINTS
from app.data.points import points_from_csv, points_to_csv
from app.errors import InvalidInput
from app.training import points as pts

if TYPE_CHECKING:
    from app.training.session import Session


class PointEdits:
    """A session's point edits, as methods (see the module docstring)."""

    def add_point(self, x: list[float], label: int | float, test: bool = False) -> int:
        """Add a point (in the view's raw coordinates) to the training or test set; returns
        its index."""
        return self.add_points([(x, label, test)])[0]

    def add_points(self, points: list[tuple[list[float], int | float, bool]]) -> list[int]:
        """Add several points, all checked before any is added; returns their indexes."""
        s = cast("Session", self)
        if len(s.y) + len(points) > MAX_POINTS:
            raise InvalidInput(f"points: a session holds at most {MAX_POINTS} points")
        checked = []
        for x, label, test in points:
            if not isinstance(test, bool):
                raise InvalidInput("test must be true or false")
            checked.append((*pts.check_point(s.spec, s.classes, x, label), test))
        if not checked:
            return []
        n = len(s.y)
        s.X_raw = np.vstack([s.X_raw, np.asarray([c[0] for c in checked])])
        s.y = np.append(s.y, np.asarray([c[1] for c in checked], dtype=s.y.dtype))
        s.is_test = np.append(s.is_test, [c[2] for c in checked])
        self._points_changed()
        return list(range(n, len(s.y)))

    def move_point(self, index: int, x: list[float]) -> None:
        s = cast("Session", self)
        i = pts.check_index(len(s.y), index)
        xa, _ = pts.check_point(s.spec, s.classes, x, s.y[i].item())
        s.X_raw = s.X_raw.copy()
        s.X_raw[i] = xa
        self._points_changed()

    def remove_point(self, index: int) -> None:
        s = cast("Session", self)
        i = pts.check_index(len(s.y), index)
        keep = np.arange(len(s.y)) != i
        s.X_raw, s.y, s.is_test = s.X_raw[keep], s.y[keep], s.is_test[keep]
        self._points_changed()

    def clear_points(self) -> None:
        s = cast("Session", self)
        s.X_raw = s.X_raw[:0]
        s.y, s.is_test = s.y[:0], s.is_test[:0]
        self._points_changed()

    def set_points(self, X: Any, y: Any, test: Any = None) -> None:
        """Replace every point (CSV upload, import): ``X`` one list of coordinates per point,
        ``y`` the labels, ``test`` one bool per point (None: all training); all checked
        before any is applied."""
        s = cast("Session", self)
        s.X_raw, s.y, s.is_test = pts.checked_points(s.spec, s.classes, X, y, test)
        self._points_changed()

    def load_csv(self, text: str) -> int:
        """Replace every point by those of a CSV text (see ``app.data.points`` for the
        format); returns how many were read."""
        s = cast("Session", self)
        X, y, test = points_from_csv(text, kind=s.kind, classes=s.classes, inputs=s.spec.inputs)
        self.set_points(X.tolist(), y.tolist(), test.tolist())
        return len(y)

    def points_csv(self) -> str:
        """Every point as CSV text, in the format ``load_csv`` reads."""
        s = cast("Session", self)
        return points_to_csv(s.X_raw, s.y, s.is_test)

    def _points_changed(self) -> None:
        s = cast("Session", self)
        s.points_version += 1
        s._refresh_data()
