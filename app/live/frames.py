"""Encoding what a session shows into compact, strict-JSON messages.

Maps (the output and every neuron over the view grid) travel as one block: each map
quantized to a byte over its own ``[lo, hi]`` range, the maps concatenated, deflated (zlib)
and base64-encoded. A value is ``lo + byte / 255 · (hi − lo)``. Everything else is plain
numbers; nothing non-finite is ever emitted (``json.dumps(..., allow_nan=False)``).
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

import numpy as np

MAP_ENCODING = "u8-deflate-base64"
POPULATION_MAX_PARAMS = 16


def dumps(message: dict[str, Any]) -> str:
    """Compact strict JSON; raises ValueError on NaN or infinity."""
    return json.dumps(message, separators=(",", ":"), allow_nan=False)


def _round(a: np.ndarray, digits: int = 6) -> Any:
    return np.round(a, digits).tolist()


def encode_maps(V: np.ndarray, outputs: int, kind: str) -> dict[str, Any]:
    """Quantize the maps ``V (maps, N)`` (the output's ``outputs`` rows first, then every
    neuron layer by layer) into one block; ``V`` is overwritten.

    The output of a classifier is a probability and keeps the fixed range [0, 1]; every
    other map uses its own min and max."""
    lo = V.min(axis=1)
    hi = V.max(axis=1)
    if kind != "regression":
        lo[:outputs], hi[:outputs] = 0.0, 1.0
    span = hi - lo
    scale = np.divide(255.0, span, out=np.zeros_like(span), where=span > 1e-12)
    np.multiply(V, scale[:, None], out=V)
    np.add(V, (0.5 - lo * scale)[:, None], out=V)  # (v − lo)·scale, rounded by the cast
    q = V.astype(np.uint8)
    data = base64.b64encode(zlib.compress(q.data, 1)).decode("ascii")
    return {
        "encoding": MAP_ENCODING,
        "count": int(q.shape[0]),
        "size": int(q.shape[1]),
        "outputs": outputs,
        "ranges": np.column_stack([lo, hi]).tolist(),
        "data": data,
    }


def decode_maps(block: dict[str, Any]) -> np.ndarray:
    """The inverse of ``encode_maps`` (to within quantization): ``(count, size)`` floats."""
    raw = zlib.decompress(base64.b64decode(block["data"]))
    q = np.frombuffer(raw, dtype=np.uint8).reshape(block["count"], block["size"])
    r = np.asarray(block["ranges"], dtype=np.float64)
    return r[:, :1] + q / 255.0 * (r[:, 1:] - r[:, :1])


def frame_message(snap: dict[str, Any], kind: str) -> dict[str, Any]:
    """The ``frame`` message for a session snapshot (see the protocol in the README)."""
    grads = snap["gradients"]
    pop = snap["population"]
    return {
        "type": "frame",
        "step": snap["step"],
        "epoch": snap["epoch"],
        "evaluations": snap["evaluations"],
        "status": snap["status"],
        "message": snap["message"],
        "loss": snap["loss"],
        "resolution": snap["resolution"],
        "domain": snap["domain"],
        "maps": encode_maps(snap["maps"], snap["outputs"], kind),
        "params": [{"W": _round(W), "b": _round(b)} for W, b in snap["params"]],
        "gradients": None
        if grads is None
        else [{"W": _round(W, 8), "b": _round(b, 8)} for W, b in grads],
        "metrics": snap["metrics"],
        "line": snap["line"],
        "population": None if pop is None or pop.shape[1] > POPULATION_MAX_PARAMS else _round(pop),
    }


def points_message(points: dict[str, Any]) -> dict[str, Any]:
    """The ``points`` message: every point's raw coordinates, label and set."""
    return {
        "type": "points",
        "version": points["version"],
        "x": _round(points["x"]),
        "y": points["y"].tolist(),
        "test": points["test"].tolist(),
    }
