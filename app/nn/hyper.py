"""Settings of the pluggable parts (optimizers, the evolutionary trainer): each declared once
with its type, default and range, and checked strictly (a bool is not a number, ``"5"`` is
not 5, ``5.0`` is not an integer)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from app.errors import InvalidInput

Kind = Literal["float", "int", "bool"]


@dataclass(frozen=True)
class Hyper:
    """One setting: ``kind``, ``default`` and, for numbers, the range ``lo..hi``; ``label``
    is what the page calls it and ``step`` its input's step."""

    default: float | int | bool
    lo: float = 0.0
    hi: float = 0.0
    kind: Kind = "float"
    label: str = ""
    step: float = 0.0

    def check(self, value: object, field: str) -> Any:
        """``value`` as this setting's type; InvalidInput naming ``field`` otherwise."""
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise InvalidInput(f"{field} must be true or false; got {value!r}")
            return value
        if self.kind == "int":
            return int_field(value, field, int(self.lo), int(self.hi))
        return float_field(value, field, self.lo, self.hi)


def int_field(value: object, field: str, lo: int, hi: int) -> int:
    """An integer from ``lo`` to ``hi`` (a bool, a float or a string is refused)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InvalidInput(f"{field} must be an integer from {lo} to {hi}; got {value!r}")
    if not lo <= value <= hi:
        raise InvalidInput(f"{field} must be from {lo} to {hi}; got {value}")
    return int(value)


def float_field(value: object, field: str, lo: float, hi: float) -> float:
    """A finite number from ``lo`` to ``hi`` (integers accepted; a bool or a string is not)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise InvalidInput(f"{field} must be a number from {lo:g} to {hi:g}; got {value!r}")
    v = float(value)
    if not math.isfinite(v) or not lo <= v <= hi:
        raise InvalidInput(f"{field} must be a finite number from {lo:g} to {hi:g}; got {value!r}")
    return v


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def finite_array(value: object, shape: tuple[int, ...], field: str) -> np.ndarray:
    """Nested lists of finite numbers (no bools, no strings) of exactly ``shape``, as a
    float64 array; InvalidInput naming ``field`` otherwise."""
    level = [value]
    for size in shape:
        nxt: list[object] = []
        for v in level:
            if not isinstance(v, list) or len(v) != size:
                raise InvalidInput(f"{field} must be finite numbers of shape {shape}")
            nxt.extend(v)
        level = nxt
    if not all(_is_number(v) for v in level):
        raise InvalidInput(f"{field} must be finite numbers of shape {shape}")
    a = np.array(level, dtype=np.float64).reshape(shape)
    if not np.all(np.isfinite(a)):
        raise InvalidInput(f"{field} must be finite numbers of shape {shape}")
    return a
