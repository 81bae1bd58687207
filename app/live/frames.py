"""Encoding what a session shows into compact, strict-JSON messages.

Maps (the output and every neuron over the view grid) travel as one block: each map
quantized to a byte over its own ``[lo, hi]`` range, the maps concatenated, deflated (zlib)
and base64-encoded. A value is ``lo + byte / 255 · (hi − lo)``. Everything else is plain
numbers; nothing non-finite is ever emitted (``json.dumps(..., allow_nan=False)``).
"""

from __future__ import annotations

import base64
import json
import time
import weakref
import zlib
from dataclasses import dataclass, field
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


# --- binary frames -------------------------------------------------------------------------
#
# A page that sends a ``view`` command gets its session's frames as binary WebSocket messages
# (docs/protocol.md, "Binary frames"): ``MAGIC`` then one zlib stream holding a little-endian
# u32 header length, the header (JSON, zero-padded to 4 bytes), a float32 block (weights,
# gradients, map ranges) and the maps, one byte a cell, each map's rows filtered (a cell minus
# its left neighbour, then a row minus the row below, modulo 256) so that smooth maps deflate
# well. The output and the neuron the page looks at travel at the full resolution, every
# other neuron at the size the page draws it.

MAGIC = b"NPF1"
SLOW_SECONDS = 0.25  # while training, metrics and gradients at most this often (unless asked)
VIEW_SIZE_MAX = 200
NEURON_LEVELS = 64  # a neuron's small map: as many colours as its few pixels can show


@dataclass
class View:
    """What a session's page looks at: its neurons' drawn size in pixels, the neuron shown
    at full resolution (index among the hidden neurons, or None), and whether it colours
    the links by gradient (then the gradients come with every frame)."""

    size: int
    neuron: int | None = None
    gradients: bool = False
    slow_at: float = field(default=-1.0e9)


_views: weakref.WeakKeyDictionary[Any, View] = weakref.WeakKeyDictionary()


def set_view(session: Any, size: int, neuron: int | None, gradients: bool) -> None:
    """The page's view of ``session``: from now on its frames are binary and its neuron
    maps come at ``size`` (a new frame is due, full, so the change shows at once)."""
    if not 1 <= size <= VIEW_SIZE_MAX:
        raise ValueError(f"size: must be between 1 and {VIEW_SIZE_MAX}")
    _views[session] = View(size, neuron, gradients)
    session.version += 1


def build_frame(session: Any) -> str | bytes:
    """The session's next frame for its pages: binary once a page has sent its view, JSON
    text otherwise. Raises ValueError if a number in it is not finite."""
    view = _views.get(session)
    snap = session.snapshot()
    if view is None:
        return dumps(frame_message(snap, session.kind))
    return frame_bytes(snap, session.kind, view)


def _filter(q: np.ndarray, side: int) -> np.ndarray:
    """Maps ``q (m, side²)`` of bytes as differences: left neighbour, then the row below."""
    a = q.reshape(q.shape[0], -1, side).astype(np.int16)
    d = np.diff(a, axis=2, prepend=0)
    np.subtract(d[:, 1:], d[:, :-1].copy(), out=d[:, 1:])
    return d.astype(np.uint8).reshape(q.shape[0], -1)


def _quantize(V: np.ndarray, lo: np.ndarray, hi: np.ndarray, levels: int = 256) -> np.ndarray:
    """Maps ``V (m, cells)`` as bytes over their ranges, in ``levels`` evenly spaced steps."""
    span = hi - lo
    scale = np.divide(levels - 1.0, span, out=np.zeros_like(span), where=span > 1e-12)
    q = (V - lo[:, None]) * scale[:, None] + 0.5
    if levels != 256:
        np.floor(q, out=q)
        q *= 255.0 / (levels - 1)
        q += 0.5
    out: np.ndarray = q.astype(np.uint8)
    return out


def frame_bytes(snap: dict[str, Any], kind: str, view: View, now: float | None = None) -> bytes:
    """The binary ``frame`` for a session snapshot, as ``view`` asks."""
    now = time.monotonic() if now is None else now
    V = snap["maps"]
    outputs = snap["outputs"]
    r = snap["resolution"]
    two_d = V.shape[1] == r * r
    neurons = V.shape[0] - outputs
    focus = view.neuron if view.neuron is not None and view.neuron < neurons else None
    side = min(view.size, r) if two_d else r
    N = V[outputs:]
    if neurons and side != r:
        idx = ((np.arange(side) + 0.5) * (r / side)).astype(np.intp)
        N = N.reshape(neurons, r, r)[:, idx][:, :, idx].reshape(neurons, side * side)
    # Ranges: the output's own (a probability keeps [0, 1]); a neuron's over what is sent.
    lo, hi = np.empty(V.shape[0]), np.empty(V.shape[0])
    N.min(axis=1, out=lo[outputs:])
    N.max(axis=1, out=hi[outputs:])
    rows = list(range(outputs))
    if focus is not None:
        f = outputs + focus
        rows.append(f)
        lo[f], hi[f] = V[f].min(), V[f].max()
    if kind == "regression":
        lo[:outputs], hi[:outputs] = V[:outputs].min(axis=1), V[:outputs].max(axis=1)
    else:
        lo[:outputs], hi[:outputs] = 0.0, 1.0
    top = _quantize(V[rows], lo[rows], hi[rows])
    blocks = [_filter(top, r) if two_d else top]
    if neurons:
        q = _quantize(N, lo[outputs:], hi[outputs:], NEURON_LEVELS if two_d else 256)
        blocks.append(_filter(q, side) if two_d else q)
    slow = snap["status"] != "training" or view.gradients or now - view.slow_at >= SLOW_SECONDS
    if slow:
        view.slow_at = now
    grads = snap["gradients"] if slow or view.gradients else None
    floats = [a.ravel() for W, b in snap["params"] for a in (W, b)]
    if grads is not None:
        floats += [a.ravel() for W, b in grads for a in (W, b)]
    floats.append(np.column_stack([lo, hi]).ravel())
    F = np.concatenate(floats).astype(np.float32)
    if not np.isfinite(F).all():
        raise ValueError("a weight, gradient or map value is not finite")
    pop = snap["population"]
    header: dict[str, Any] = {
        "type": "frame",
        "step": snap["step"],
        "epoch": snap["epoch"],
        "evaluations": snap["evaluations"],
        "status": snap["status"],
        "message": snap["message"],
        "loss": snap["loss"],
        "resolution": r,
        "domain": snap["domain"],
        "shapes": [list(W.shape) for W, _ in snap["params"]],
        "gradients": grads is not None,
        "maps": {"outputs": outputs, "neurons": neurons, "focus": focus, "side": side},
        "line": snap["line"],
    }
    if slow:
        header["metrics"] = snap["metrics"]
        header["population"] = (
            None if pop is None or pop.shape[1] > POPULATION_MAX_PARAMS else _round(pop)
        )
    head = dumps(header).encode("utf-8")
    body = b"".join(
        [len(head).to_bytes(4, "little"), head, b"\0" * (-len(head) % 4), F.astype("<f4").tobytes()]
        + [b.tobytes() for b in blocks]
    )
    # Run-length matching only: the filtered maps have few long matches, and it is faster.
    packer = zlib.compressobj(1, zlib.DEFLATED, 15, 8, zlib.Z_RLE)
    return MAGIC + packer.compress(body) + packer.flush()


def _unfilter(d: np.ndarray, side: int) -> np.ndarray:
    a = d.reshape(d.shape[0], -1, side).astype(np.int64)
    return (np.cumsum(np.cumsum(a, axis=1), axis=2) % 256).astype(np.uint8).reshape(d.shape)


def decode_frame_bytes(data: bytes) -> dict[str, Any]:
    """The inverse of ``frame_bytes`` (as static/js/frames.js reads it): the header with
    ``params`` and ``gradients`` as ``[(W, b)]`` float32 arrays, ``ranges (maps, 2)``, the
    header's ``maps`` as ``layout``, and ``maps``: ``outputs``, ``focus`` and ``neurons`` as
    byte arrays ``(count, cells)``."""
    if data[:4] != MAGIC:
        raise ValueError("not a binary frame")
    body = zlib.decompress(data[4:])
    n = int.from_bytes(body[:4], "little")
    head: dict[str, Any] = json.loads(body[4 : 4 + n])
    at = 4 + n + (-n % 4)
    m = head["maps"]
    shapes = head["shapes"]
    n_params = sum(a * b + b for a, b in shapes)
    n_maps = m["outputs"] + m["neurons"]
    count = n_params * (2 if head["gradients"] else 1) + 2 * n_maps
    F = np.frombuffer(body, dtype="<f4", count=count, offset=at)
    at += 4 * count

    def layers(k: int) -> list[tuple[np.ndarray, np.ndarray]]:
        out = []
        for a, b in shapes:
            out.append((F[k : k + a * b].reshape(a, b), F[k + a * b : k + a * b + b]))
            k += a * b + b
        return out

    head["params"] = layers(0)
    head["gradients"] = layers(n_params) if head["gradients"] else None
    head["ranges"] = F[count - 2 * n_maps :].reshape(n_maps, 2)
    r, side = head["resolution"], m["side"]
    two_d = len(head["domain"]) == 2
    full, small = (r * r, side * side) if two_d else (r, side)
    n_full = m["outputs"] + (m["focus"] is not None)
    raw = np.frombuffer(body, dtype=np.uint8, offset=at)
    top = raw[: n_full * full].reshape(n_full, full)
    rest = raw[n_full * full :].reshape(m["neurons"], small)
    if two_d:
        top, rest = _unfilter(top, r), _unfilter(rest, side)
    head["layout"] = m
    head["maps"] = {"outputs": top[: m["outputs"]], "focus": top[m["outputs"] :], "neurons": rest}
    return head
