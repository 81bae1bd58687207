"""Packing a binary frame: its JSON header, written cheaply, and its zlib stream (ISA-L).

A frame's header is JSON whose fields change from frame to frame only in a few numbers: the
fields fixed by the view's layout (resolution, domain, shapes, maps) are encoded once per
layout, and the others one value at a time, the way ``json.dumps`` writes them (compact,
strict: a NaN or an infinity raises ValueError), so that the text is exactly what
``json.dumps(header, separators=(",", ":"), allow_nan=False)`` would be.
"""

from __future__ import annotations

import json
import math
from typing import Any

from isal import isal_zlib

ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)
_string = json.encoder.encode_basestring_ascii
LEVEL = 1  # ISA-L's levels: 0 (fastest) to 3


def value(v: Any) -> str:
    """One JSON value, exactly as ``json.dumps`` (compact, strict) writes it."""
    t = type(v)
    if v is None:
        return "null"
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return int.__repr__(v)
    if t is str:
        out: str = _string(v)
        return out
    if t is float:
        if not math.isfinite(v):
            raise ValueError(f"Out of range float values are not JSON compliant: {v!r}")
        return float.__repr__(v)
    text: str = ENCODER.encode(v)
    return text


def deflate(prefix: bytes, parts: list[Any]) -> bytes:
    """``prefix`` then one zlib stream of the bytes of ``parts`` (bytes-like, C-contiguous).

    ISA-L's fastest level but one: a third of the time of zlib's fastest (run-length
    matching only, as it was) on the frames' bytes, for a sixth fewer bytes out."""
    return prefix + isal_zlib.compress(b"".join(parts), LEVEL)


def fields(d: dict[str, Any]) -> str:
    """A small object of plain values (the loss) as ``value`` writes it, field by field."""
    return "{" + ",".join([_string(k) + ":" + value(x) for k, x in d.items()]) + "}"
