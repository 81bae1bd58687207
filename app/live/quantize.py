"""A frame's maps as bytes: ranges that rarely move, each value as the nearest of a number of
evenly spaced levels over its map's range, spread over 0..255, and the filter that makes
smooth square maps deflate well (see docs/protocol.md, "Binary frames"). Maps are rows of
``(maps, cells)`` arrays; ranges ``(maps, 2)`` arrays of ``[lo, hi]`` rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def filter_maps(q: np.ndarray, side: int) -> np.ndarray:
    """Maps ``q (m, side²)`` of bytes as differences: left neighbour, then the row below
    (modulo 256: bytes wrap around)."""
    if q.size == 0:
        return q
    a = q.reshape(q.shape[0], -1, side)
    d = np.empty_like(a)
    d[:, :, 0] = a[:, :, 0]
    np.subtract(a[:, :, 1:], a[:, :, :-1], out=d[:, :, 1:])
    np.subtract(d[:, 1:], d[:, :-1].copy(), out=d[:, 1:])
    return d.reshape(q.shape[0], -1)


def stable(R: np.ndarray) -> None:
    """Ranges ``R (maps, 2)`` (``[lo, hi]`` rows) widened in place to a grid of an eighth of a
    power of two, so that they (and the bytes of a map that hardly moves) stay the same from
    one frame to the next."""
    A = np.abs(R)
    m = np.maximum(A[:, 0], A[:, 1])
    np.maximum(m, 1e-9, out=m)
    np.log2(m, out=m)
    np.ceil(m, out=m)
    np.exp2(m, out=m)
    m /= 8  # the unit
    np.divide(R, m[:, None], out=R)
    np.floor(R[:, 0], out=R[:, 0])
    np.ceil(R[:, 1], out=R[:, 1])
    R *= m[:, None]


def scales(R: np.ndarray, levels: int, dtype: np.dtype[Any]) -> tuple[np.ndarray, np.ndarray]:
    """For ``levels`` evenly spaced steps over each range of ``R (maps, 2)``: the scale
    ``(levels − 1) / (hi − lo)`` (0 for an empty range) and the offset ``lo · scale``, as
    ``(maps, 1)`` columns in ``dtype``, so that a value's level is ``v · scale − offset``."""
    span = R[:, 1] - R[:, 0]
    scale = np.divide(levels - 1.0, span, out=np.zeros_like(span), where=span > 1e-12)
    offset = R[:, 0] * scale
    return scale[:, None].astype(dtype), offset[:, None].astype(dtype)


def levels_of(V: np.ndarray, scale: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Where each value of ``V (m, cells)`` lies among the steps of its row's range (which
    holds it; ``scale`` and ``offset`` as ``scales`` makes them, in ``V``'s precision):
    floats in [0, levels − 1]."""
    x = np.multiply(V, scale.astype(V.dtype, copy=False))  # (the maps share one precision)
    x -= offset.astype(V.dtype, copy=False)
    # Every value lies in its range, so x is in [0, levels − 1] but for rounding (far less
    # than the half step that ``to_bytes`` adds).
    return x


def to_bytes(x: np.ndarray, levels: int, out: np.ndarray) -> np.ndarray:
    """The levels ``x`` (as ``levels_of`` makes them) rounded, as bytes spread over 0..255
    (``levels − 1`` divides 255) in ``out``; ``x`` is overwritten."""
    x += x.dtype.type(0.5)
    np.copyto(out, x, casting="unsafe")  # truncation: the floor of what is not negative
    if levels != 256:
        out *= np.uint8(255 // (levels - 1))
    return out


def unfilter_maps(d: np.ndarray, side: int) -> np.ndarray:
    """The inverse of ``filter_maps``."""
    if d.size == 0:
        return d
    a = d.reshape(d.shape[0], -1, side).astype(np.int64)
    return (np.cumsum(np.cumsum(a, axis=1), axis=2) % 256).astype(np.uint8).reshape(d.shape)
