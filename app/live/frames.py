"""Encoding what a session shows into compact messages: strict JSON, or binary frames for a
page that sent its view.

In JSON, maps (the output and every neuron over the view grid) travel as one block: each map
quantized to a byte over its own ``[lo, hi]`` range, the maps concatenated, deflated (zlib)
and base64-encoded. A value is ``lo + byte / 255 · (hi − lo)``. Everything else is plain
numbers; nothing non-finite is ever emitted (``json.dumps(..., allow_nan=False)``). Binary
frames are described below (``frame_bytes``) and in docs/protocol.md.
"""

from __future__ import annotations

import base64
import json
import time
import weakref
import zlib
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.live import packing
from app.live.quantize import filter_maps, levels_of, scales, stable, to_bytes, unfilter_maps
from app.training.maps import drawn_steps, finish, sample_points

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
    q = V.astype(np.uint8, order="C")
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
        "dead": _dead(snap),
    }


def _dead(snap: dict[str, Any]) -> list[Any] | None:
    """The dead links per layer as ``W``-shaped lists of booleans (TFP profile), or None."""
    dead = snap.get("dead")
    return None if dead is None else [d.tolist() for d in dead]


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
# u32 header length, the header (JSON, zero-padded to 4 bytes), the numbers (weights as
# float32, or float16 between the full frames while training; gradients; map ranges) and
# the maps, one byte a cell. The output and the neuron the page looks at travel at the full
# resolution, every other neuron at the size the page draws it. A key frame filters each map
# (a cell minus its left neighbour, then a row minus the row below, modulo 256) so that smooth
# maps deflate well; the frames after it carry each byte's change since the key frame.

MAGIC = b"NPF1"
SLOW_SECONDS = 0.25  # while training, metrics and gradients at most this often (unless asked)
VIEW_SIZE_MAX = 200
# A neuron's small map: as many colours as its few pixels can show, a level every 5 byte
# values (255 = 51 · 5), so that a change of one level is always the same byte difference.
NEURON_LEVELS = 52
# Levels a small map's cell may drift past the rounding point and still keep its key frame's
# byte: it is then shown at most one level off, and the frames after the key frame stay
# sparse while the maps move.
DEAD_BAND = 0.5
KEY_SECONDS = 1.0  # a key frame (every map in full) at least this often


@dataclass
class View:
    """What a session's page looks at: its neurons' drawn size in pixels, the neuron shown
    at full resolution (index among the hidden neurons, or None), and whether it colours
    the links by gradient (then the gradients come with every frame)."""

    size: int
    neuron: int | None = None
    gradients: bool = False
    slow_at: float = field(default=-1.0e9)
    seq: int = 0  # frames built for this view
    key: np.ndarray | None = None  # the last key frame's map bytes, its number and time
    key_levels: np.ndarray | None = None  # its small maps' bytes as levels (2-D data)
    key_seq: int = 0
    key_at: float = -1.0e9
    cycle_bytes: int = 0  # bytes and frames sent since the last key frame (it included)
    cycle_frames: int = 0
    last_bytes: int = 0  # the last frame's size
    layout: tuple[Any, ...] = ()
    head_key: tuple[Any, ...] = ()  # the layout of the header's fixed parts, and their text
    head_parts: tuple[str, str] = ("", "")
    ranges: np.ndarray = field(default_factory=lambda: np.empty(0))  # the last maps' ranges
    scales: tuple[Any, ...] | None = None  # and their scales (``_scaled``)

    def details_due(self, status: str, now: float) -> bool:
        """Whether the frame built at ``now`` carries metrics and gradients: always unless
        training, and while training at most every ``SLOW_SECONDS`` (with every frame if the
        page colours its links by gradient)."""
        return status != "training" or self.gradients or now - self.slow_at >= SLOW_SECONDS


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
    frame: str | bytes = finish(frame_steps(session))
    return frame


def frame_steps(
    session: Any, now: float | None = None
) -> Generator[None, None, str | bytes]:
    """``build_frame`` as a generator that yields between pieces of work (for a page that
    sent its view: a block of the grid, the gradients and metrics, the encoding, each a few
    milliseconds at most), so the thread that drives many sessions can serve the others
    between them; its return value is the frame. The JSON frame of a client that never sent a
    view is one piece (``session.snapshot``). The session must not change until it has
    returned. ``now``: the monotonic clock's time (benchmarks simulate it)."""
    view = _views.get(session)
    if view is None:  # a client that never sent a view (a script): every map in full, JSON
        yield
        return dumps(frame_message(session.snapshot(), session.kind))
    now = time.monotonic() if now is None else now
    details = view.details_due(session.status, now)
    snap = yield from drawn_steps(session, view.size, view.neuron, details)
    if details:
        yield
    return frame_bytes(snap, session.kind, view, now)


def _scaled(view: View, R: np.ndarray, levels: int, dtype: np.dtype[Any]) -> tuple[Any, ...]:
    """``scales`` of ``R`` at 256 levels and at ``levels``, kept on ``view`` while the ranges
    (which move by whole steps of a grid, and rarely) stay the same."""
    kept = view.scales
    if (
        kept is None
        or kept[0] != (levels, dtype)
        or view.ranges.shape != R.shape
        or not np.array_equal(view.ranges, R)
    ):
        full = scales(R, 256, dtype)
        kept = ((levels, dtype), *full, *(full if levels == 256 else scales(R, levels, dtype)))
        view.scales, view.ranges = kept, R.copy()
    return kept[1:]


def _drawn(snap: dict[str, Any], view: View) -> dict[str, Any]:
    """The maps of ``snap`` as ``view`` draws them (``drawn`` as ``drawn_steps`` makes it),
    taken from a full snapshot's ``maps`` if it has no ``drawn``."""
    if "drawn" in snap:
        drawn: dict[str, Any] = snap["drawn"]
        return drawn
    V, outputs, r = snap["maps"], snap["outputs"], snap["resolution"]
    neurons = V.shape[0] - outputs
    focus = view.neuron if view.neuron is not None and view.neuron < neurons else None
    side = min(view.size, r) if len(snap["domain"]) == 2 else r
    N = V[outputs:]
    if neurons and side != r:
        N = N[:, sample_points(r, side)]
    return {
        "output": V[:outputs],
        "neurons": N,
        "focus": None if focus is None else V[outputs + focus],
        "side": side,
    }


def frame_bytes(snap: dict[str, Any], kind: str, view: View, now: float | None = None) -> bytes:
    """The binary ``frame`` for a session snapshot (``snapshot`` or ``drawn_steps``), as
    ``view`` asks."""
    now = time.monotonic() if now is None else now
    d = _drawn(snap, view)
    out, N, full, side = d["output"], d["neurons"], d["focus"], d["side"]
    r = snap["resolution"]
    two_d = len(snap["domain"]) == 2
    outputs, neurons = out.shape[0], N.shape[0]
    focus = None if full is None else view.neuron
    # Ranges ``[lo, hi]``: the output's own (a probability keeps [0, 1]); a neuron's over
    # what is sent.
    R = np.empty((outputs + neurons, 2))
    if neurons:
        R[outputs:, 0] = np.minimum.reduce(N, axis=1)
        R[outputs:, 1] = np.maximum.reduce(N, axis=1)
    if focus is not None:
        R[outputs + focus] = np.minimum.reduce(full), np.maximum.reduce(full)
    if kind == "regression":
        R[:outputs, 0] = np.minimum.reduce(out, axis=1)
        R[:outputs, 1] = np.maximum.reduce(out, axis=1)
    else:
        R[:outputs] = 0.0, 1.0
    stable(R)
    # Every map's bytes: the outputs, the focus (at 256 levels), then the small maps.
    n_top = (outputs + (focus is not None)) * out.shape[1]
    cells = np.empty(n_top + N.size, dtype=np.uint8)
    top = cells[:n_top].reshape(-1, out.shape[1])
    levels = NEURON_LEVELS if two_d else 256
    scale, offset, small, small_offset = _scaled(view, R, levels, out.dtype)
    to_bytes(levels_of(out, scale[:outputs], offset[:outputs]), 256, top[:outputs])
    if focus is not None:
        f = outputs + focus
        to_bytes(levels_of(full[None, :], scale[f : f + 1], offset[f : f + 1]), 256, top[outputs:])
    x = levels_of(N, small[outputs:], small_offset[outputs:])
    # A key frame carries the maps; the frames after it, until the next, what changed since
    # it (byte by byte, modulo 256): mostly zeros while the maps settle. As the maps move
    # away from the key frame those grow; a new key frame comes when the last frame cost
    # more than the frames since the last key frame (it included) on average.
    layout = (r, side, outputs, neurons, focus)
    view.seq += 1
    key = (
        view.key is None
        or view.layout != layout
        or now - view.key_at >= KEY_SECONDS
        or view.last_bytes * view.cycle_frames > view.cycle_bytes
    )
    q = cells[n_top:].reshape(x.shape)
    if not key and two_d and q.size:  # small maps keep their key frame's bytes in the dead band
        assert view.key is not None and view.key_levels is not None
        near = np.subtract(x, view.key_levels)
        np.abs(near, out=near)
        keep = np.less_equal(near, 0.5 + DEAD_BAND)
        to_bytes(x, levels, out=q)
        np.copyto(q, view.key[n_top:].reshape(q.shape), where=keep)
    else:
        to_bytes(x, levels, out=q)
    if key:
        view.key, view.key_seq, view.key_at, view.layout = cells, view.seq, now, layout
        # The key frame's small maps as levels, to tell how far the next maps moved.
        view.key_levels = q / x.dtype.type(255 // (levels - 1)) if two_d else None
        blocks = [filter_maps(top, r), filter_maps(q, side)] if two_d else [cells]
        base = None
    else:
        assert view.key is not None
        blocks = [np.subtract(cells, view.key, dtype=np.uint8)]
        base = view.key_seq
    # (A snapshot built without the details, for a frame due before them, has no metrics.)
    slow = view.details_due(snap["status"], now) and snap["metrics"] is not None
    if slow:
        view.slow_at = now
    grads = snap["gradients"] if slow or view.gradients else None
    # Between the full frames of a training session, weights as float16 (what the links
    # show needs no more); otherwise float32.
    half = not slow
    P = np.concatenate([a.ravel() for W, b in snap["params"] for a in (W, b)])
    floats = [] if half else [P]
    if grads is not None:
        floats += [a.ravel() for W, b in grads for a in (W, b)]
    floats.append(R.ravel())
    F = np.concatenate(floats, dtype="<f4")
    # (Whole, the weights are finite if their float32 copy is; as float16 they are clipped.)
    if not (np.isfinite(F).all() and (not half or np.isfinite(P).all())):
        raise ValueError("a weight, gradient or map value is not finite")
    fields: dict[str, Any] = {"gradients": grads is not None, "half": half, "base": base}
    if slow:
        pop = snap["population"]
        fields["metrics"] = snap["metrics"]
        fields["population"] = (
            None if pop is None or pop.shape[1] > POPULATION_MAX_PARAMS else _round(pop)
        )
    maps = {"outputs": outputs, "neurons": neurons, "focus": focus, "side": side}
    head = packing.head(snap, view, maps, **fields)
    parts: list[Any] = [len(head).to_bytes(4, "little") + head + b"\0" * (-len(head) % 4)]
    if half:
        H = np.clip(P, -65504.0, 65504.0).astype("<f2")
        parts += [H, b"\0" * (-H.nbytes % 4)]
    parts.append(F)
    parts += [np.ascontiguousarray(b) for b in blocks]
    parts += _dead_bytes(snap)
    message = packing.deflate(MAGIC, parts)
    if base is None:
        view.cycle_bytes = view.cycle_frames = 0
    view.cycle_bytes += len(message)
    view.cycle_frames += 1
    view.last_bytes = len(message)
    return message


def _dead_bytes(snap: dict[str, Any]) -> list[bytes]:
    """The optional last section: one byte per weight (1: a dead link), layer by layer."""
    dead = snap.get("dead")
    if dead is None:
        return []
    return [np.concatenate([d.ravel() for d in dead]).astype(np.uint8).tobytes()]


def decode_frame_bytes(data: bytes, key: np.ndarray | None = None) -> dict[str, Any]:
    """The inverse of ``frame_bytes`` (as static/js/frames.js reads it): the header with
    ``params`` and ``gradients`` as ``[(W, b)]`` float32 arrays, ``ranges (maps, 2)``, the
    header's ``maps`` as ``layout``, ``cells`` (every map byte, unfiltered: pass it as the
    ``key`` of the frames whose ``base`` is this frame's ``seq``) and ``maps``: ``outputs``,
    ``focus`` and ``neurons`` as byte arrays ``(count, cells)``; ``dead``: the dead links
    per layer as boolean arrays shaped like ``W``, or None."""
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
    if head["half"]:  # the weights as float16, then float32 as usual
        P = np.frombuffer(body, dtype="<f2", count=n_params, offset=at).astype(np.float32)
        at += 2 * n_params + (-2 * n_params % 4)
        count = 2 * n_maps + (n_params if head["gradients"] else 0)
        F = np.concatenate([P, np.frombuffer(body, dtype="<f4", count=count, offset=at)])
        at += 4 * count
        count += n_params
    else:
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
    n_dead = sum(a * b for a, b in shapes) if head.get("dead") else 0
    raw = np.frombuffer(body, dtype=np.uint8, offset=at, count=len(body) - at - n_dead)
    if n_dead:
        flags = np.frombuffer(body, dtype=np.uint8, offset=len(body) - n_dead) == 1
        sizes = np.cumsum([a * b for a, b in shapes])[:-1]
        head["dead"] = [
            d.reshape(shape) for d, shape in zip(np.split(flags, sizes), shapes, strict=True)
        ]
    else:
        head["dead"] = None
    if head["base"] is not None:
        if key is None or key.size != raw.size:
            raise ValueError("a frame after a key frame needs that key frame's cells")
        cells = np.add(key, raw, dtype=np.uint8)
    else:
        top = raw[: n_full * full].reshape(n_full, full)
        rest = raw[n_full * full :].reshape(m["neurons"], small)
        if two_d:
            top, rest = unfilter_maps(top, r), unfilter_maps(rest, side)
        cells = np.concatenate([top.ravel(), rest.ravel()])
    top = cells[: n_full * full].reshape(n_full, full)
    head["cells"] = cells
    head["layout"] = m
    head["maps"] = {
        "outputs": top[: m["outputs"]],
        "focus": top[m["outputs"] :],
        "neurons": cells[n_full * full :].reshape(m["neurons"], small),
    }
    return head
