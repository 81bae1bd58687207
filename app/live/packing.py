"""Packing a binary frame (``app.live.frames.frame_bytes``): its JSON header, written
cheaply, and its zlib stream (ISA-L).

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


def flat_object(d: dict[str, Any]) -> str:
    """A small object of plain values (the loss) as ``value`` writes it, field by field."""
    return "{" + ",".join([_string(k) + ":" + value(x) for k, x in d.items()]) + "}"


def head_layout(snap: dict[str, Any], view: Any, maps: dict[str, Any]) -> tuple[str, str]:
    """The header's text around ``gradients`` and ``half`` that the layout fixes: from
    ``resolution`` to ``gradients`` and from ``maps`` to ``seq`` (kept on ``view``)."""
    shapes = [W.shape for W, _ in snap["params"]]
    key = (snap["resolution"], repr(snap["domain"]), shapes, maps)  # (6 and 6.0 differ)
    if view.head_key != key:
        first = {"resolution": snap["resolution"], "domain": snap["domain"]}
        first["shapes"] = [list(s) for s in shapes]
        view.head_key = key
        view.head_parts = (
            "," + ENCODER.encode(first)[1:-1] + ',"gradients":',
            ',"maps":' + ENCODER.encode(maps) + ',"seq":',
        )
    return view.head_parts


def plain(d: Any) -> bool:
    """Whether ``d`` is a small dict of numbers, None or text by text keys."""
    return type(d) is dict and all(
        type(k) is str and (x is None or type(x) in (int, float, str)) for k, x in d.items()
    )


def head(snap: dict[str, Any], view: Any, layout: dict[str, Any], **fields: Any) -> bytes:
    """The header as ``dumps`` would write it, fields in the protocol's order."""
    v = value
    loss = snap["loss"]
    fixed, maps = head_layout(snap, view, layout)
    text = [
        '{"type":"frame","step":', v(snap["step"]),
        ',"epoch":', v(snap["epoch"]),
        ',"evaluations":', v(snap["evaluations"]),
        ',"status":', v(snap["status"]),
        ',"message":', v(snap["message"]),
        ',"loss":', flat_object(loss) if plain(loss) else v(loss),
        fixed, v(fields["gradients"]),
        ',"half":', v(fields["half"]),
        maps, v(view.seq),
        ',"base":', v(fields["base"]),
        ',"line":', v(snap["line"]),
        ',"dead":', v(snap.get("dead") is not None),
    ]  # fmt: skip
    if "metrics" in fields:
        text += [',"metrics":', v(fields["metrics"]), ',"population":', v(fields["population"])]
    text.append("}")
    return "".join(text).encode("utf-8")
