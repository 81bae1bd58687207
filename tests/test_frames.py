"""Binary frames: what a page that sent its view receives, decoded as the page decodes it."""

from __future__ import annotations

import json
import math
import time
import zlib
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.live import packing
from app.live.frames import (
    NEURON_LEVELS,
    SLOW_SECONDS,
    View,
    build_frame,
    decode_frame_bytes,
    frame_bytes,
    frame_message,
    frame_steps,
    set_view,
)
from app.main import create_app
from app.nn.grid import BLOCK_CELLS
from app.training import Session
from app.training.maps import finish, sample_points
from tests.conftest import make_settings

LARGE = [{"units": 16, "activation": "tanh"}] * 8
LEVEL_STEP = 255 // (NEURON_LEVELS - 1)  # bytes between two levels of a small map


def session(**config: Any) -> Session:
    s = Session(config)
    s.step(3)
    return s


def quantized(V: np.ndarray, lo: np.ndarray, hi: np.ndarray, levels: int = 256) -> np.ndarray:
    """``V (m, cells)`` as bytes over the ranges, in ``levels`` steps spread over 0..255."""
    span = np.where(hi - lo > 1e-12, hi - lo, np.inf)
    steps = np.floor((V - lo[:, None]) / span[:, None] * (levels - 1) + 0.5)
    return np.floor(steps * (255 / (levels - 1)) + 0.5)


def test_a_frame_carries_weights_gradients_and_maps_at_the_sizes_asked() -> None:
    s = session(hidden=LARGE, resolution=50)
    snap = s.snapshot()
    V = snap["maps"].copy()
    frame = decode_frame_bytes(frame_bytes(snap, s.kind, View(size=18, neuron=37)))

    for (W, b), (W0, b0) in zip(frame["params"], snap["params"], strict=True):
        np.testing.assert_allclose(W, W0, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(b, b0, rtol=1e-6, atol=1e-7)
    assert frame["gradients"] is not None  # not training: everything comes
    for (dW, _), (dW0, _) in zip(frame["gradients"], snap["gradients"], strict=True):
        np.testing.assert_allclose(dW, dW0, rtol=1e-6, atol=1e-9)
    assert frame["metrics"] == snap["metrics"]

    maps = frame["maps"]
    lo, hi = frame["ranges"][:, 0].astype(np.float64), frame["ranges"][:, 1].astype(np.float64)
    assert (lo[0], hi[0]) == (0.0, 1.0)  # a probability keeps its range
    # The output and the focused neuron at the full 50 × 50, exactly as quantized.
    np.testing.assert_array_equal(maps["outputs"], quantized(V[:1], lo[:1], hi[:1]))
    np.testing.assert_array_equal(maps["focus"], quantized(V[38:39], lo[38:39], hi[38:39]))
    # Ranges hold their maps (the focused one's, its full map), widened to a coarse grid.
    assert lo[38] <= V[38].min() and hi[38] >= V[38].max()
    assert hi[38] - lo[38] <= (V[38].max() - V[38].min()) + 2 * max(abs(lo[38]), abs(hi[38])) / 8
    # Every neuron at 18 × 18: its map sampled at the centres of the drawn pixels, over its
    # own range (the focused one's is its full map's), in NEURON_LEVELS steps.
    assert maps["neurons"].shape == (128, 18 * 18)
    idx = ((np.arange(18) + 0.5) * 50 / 18).astype(int)
    sampled = V[1:].reshape(128, 50, 50)[:, idx][:, :, idx].reshape(128, -1)
    assert (lo[1:] <= sampled.min(axis=1)).all() and (hi[1:] >= sampled.max(axis=1)).all()
    np.testing.assert_array_equal(
        maps["neurons"], quantized(sampled, lo[1:], hi[1:], NEURON_LEVELS)
    )
    # Values come back within half a step of the quantization (and half a byte).
    span = hi[5] - lo[5]
    np.testing.assert_allclose(
        lo[5] + maps["neurons"][4] / 255 * span,
        sampled[4],
        atol=span / (NEURON_LEVELS - 1) / 2 + span / 510 + 1e-6,
    )


def test_the_large_network_frame_is_smaller_than_its_json_frame() -> None:
    s = session(hidden=LARGE, resolution=50)
    binary = frame_bytes(s.snapshot(), s.kind, View(size=18))
    text = json.dumps(frame_message(s.snapshot(), s.kind))
    assert len(binary) * 5 < len(text), (len(binary), len(text))


def test_while_training_metrics_and_gradients_come_at_most_four_times_a_second() -> None:
    s = session()
    view = View(size=32)
    snap = {**s.snapshot(), "status": "training"}
    first = decode_frame_bytes(frame_bytes(snap, s.kind, view, now=100.0))
    key = first["cells"]
    soon = decode_frame_bytes(frame_bytes(snap, s.kind, view, now=100.0 + SLOW_SECONDS / 2), key)
    later = decode_frame_bytes(frame_bytes(snap, s.kind, view, now=100.0 + SLOW_SECONDS), key)
    assert "metrics" in first and first["gradients"] is not None
    assert "metrics" not in soon and soon["gradients"] is None
    assert soon["maps"]["outputs"].shape == (1, 2500)
    # In between, the weights as float16: what the links show, at half the bytes.
    assert soon["half"] and not first["half"]
    for (W, _), (W0, _) in zip(soon["params"], snap["params"], strict=True):
        np.testing.assert_allclose(W, W0, rtol=1e-3, atol=1e-4)
    assert "metrics" in later and later["gradients"] is not None
    # A page that colours links by gradient gets them with every frame.
    view = View(size=32, gradients=True)
    key = decode_frame_bytes(frame_bytes(snap, s.kind, view, now=200.0))["cells"]
    asked = decode_frame_bytes(frame_bytes(snap, s.kind, view, now=200.01), key)
    assert asked["gradients"] is not None


def test_one_input_data_sends_curves_at_full_length() -> None:
    s = session(dataset="age", hidden=[{"units": 3, "activation": "tanh"}])
    frame = decode_frame_bytes(frame_bytes(s.snapshot(), s.kind, View(size=10)))
    r = frame["resolution"]
    assert frame["maps"]["outputs"].shape == (1, r)
    assert frame["maps"]["neurons"].shape == (3, r)


def test_a_non_finite_weight_is_never_sent() -> None:
    s = session()
    snap = s.snapshot()
    snap["params"][0][0][0, 0] = np.inf
    with pytest.raises(ValueError, match="not finite"):
        frame_bytes(snap, s.kind, View(size=32))


def test_after_a_view_the_socket_sends_binary_frames() -> None:
    with TestClient(create_app(make_settings())) as client, client.websocket_connect("/ws") as ws:
        kinds = [json.loads(ws.receive_text())["type"] for _ in range(3)]
        assert kinds == ["hello", "points", "frame"]
        ws.send_text(json.dumps({"type": "view", "id": 1, "size": 20, "neuron": 2}))
        assert json.loads(ws.receive_text()) == {"type": "ack", "command": "view", "id": 1}
        frame = decode_frame_bytes(ws.receive_bytes())  # due at once, though idle
        assert frame["status"] == "idle"
        assert frame["maps"]["focus"].shape == (1, 2500)
        assert frame["maps"]["neurons"].shape == (6, 400)
        ws.send_text(json.dumps({"type": "view", "id": 2, "size": 500}))
        error = json.loads(ws.receive_text())
        assert error["type"] == "error" and error["id"] == 2 and "size" in error["message"]


def test_frames_after_a_key_frame_carry_only_what_changed() -> None:
    s = session(hidden=LARGE, resolution=50)
    s.step(100)  # past the first fast changes
    view = View(size=18)
    key_bytes = frame_bytes({**s.snapshot(), "status": "training"}, s.kind, view, now=0.0)
    key = decode_frame_bytes(key_bytes)
    assert key["base"] is None
    s.step(1)
    snap = {**s.snapshot(), "status": "training"}
    later_bytes = frame_bytes(snap, s.kind, view, now=0.04)
    later = decode_frame_bytes(later_bytes, key["cells"])
    assert later["base"] == key["seq"] and later["seq"] == key["seq"] + 1
    assert len(later_bytes) * 2 < len(key_bytes), (len(later_bytes), len(key_bytes))
    # The same maps as a key frame of that snapshot; the small maps within the dead band:
    # a cell keeps its key frame's level until it is more than that past the rounding.
    fresh = decode_frame_bytes(frame_bytes(snap, s.kind, View(size=18), now=0.04))
    for part in ("outputs", "focus"):
        np.testing.assert_array_equal(later["maps"][part], fresh["maps"][part])
    moved = later["maps"]["neurons"].astype(int) - fresh["maps"]["neurons"]
    assert np.abs(moved).max() <= LEVEL_STEP
    assert (later["maps"]["neurons"] % LEVEL_STEP == 0).all()
    with pytest.raises(ValueError, match="key frame"):
        decode_frame_bytes(later_bytes)
    # A key frame again after KEY_SECONDS, or when the view's layout changes.
    assert decode_frame_bytes(frame_bytes(snap, s.kind, view, now=1.0))["base"] is None
    view.neuron = 3
    assert decode_frame_bytes(frame_bytes(snap, s.kind, view, now=1.01))["base"] is None


def test_a_network_with_no_hidden_layer_sends_only_its_output() -> None:
    s = session(hidden=[])
    frame = decode_frame_bytes(frame_bytes(s.snapshot(), s.kind, View(size=32, neuron=0)))
    assert frame["maps"]["outputs"].shape == (1, 2500)
    assert frame["maps"]["neurons"].shape == (0, 1024)
    assert frame["layout"]["focus"] is None


def twin_sessions(**config: Any) -> tuple[Session, Session]:
    return session(**config), session(**config)


@pytest.mark.parametrize("playing", [False, True])
def test_frame_steps_returns_what_build_frame_returns(playing: bool) -> None:
    a, b = twin_sessions(hidden=LARGE, resolution=120)
    for s in (a, b):
        s.playing = playing
        set_view(s, 18, 40, False)
    built = build_frame(a)
    steps = frame_steps(b)
    pieces = 0
    while True:
        try:
            next(steps)
            pieces += 1
        except StopIteration as done:
            stepped = done.value
            break
    assert stepped == built
    # The grid comes in blocks of bounded work, one piece each (and the parts after it).
    width = sum(b.net.sizes[1:])
    assert pieces >= -(-120 * 120 * width // BLOCK_CELLS) > 1
    # Without a view: the same JSON frame either way.
    c, d = twin_sessions()
    assert finish(frame_steps(d)) == build_frame(c)


def test_a_page_gets_the_maps_of_the_full_snapshot_from_the_float32_pass() -> None:
    s = session(hidden=LARGE, resolution=50)
    s.step(50)
    set_view(s, 18, 37, False)
    drawn = decode_frame_bytes(build_frame(s))
    full = decode_frame_bytes(frame_bytes(s.snapshot(), s.kind, View(size=18, neuron=37)))
    np.testing.assert_allclose(drawn["ranges"], full["ranges"], rtol=0, atol=1e-6)
    for part in ("outputs", "focus", "neurons"):
        got, want = drawn["maps"][part].astype(int), full["maps"][part].astype(int)
        assert got.shape == want.shape
        # At most one step apart where float32 rounds the other way, and rarely.
        step = 1 if part != "neurons" else -(-255 // (NEURON_LEVELS - 1))
        assert np.abs(got - want).max() <= step
        assert np.count_nonzero(got != want) <= got.size // 1000 + 1


def test_between_the_details_a_training_frame_skips_gradients_and_metrics() -> None:
    s = session()
    s.playing = True
    set_view(s, 32, None, False)
    first = decode_frame_bytes(build_frame(s))
    soon = decode_frame_bytes(build_frame(s), first["cells"])
    assert first["gradients"] is not None and "metrics" in first
    assert soon["gradients"] is None and "metrics" not in soon
    assert soon["status"] == "training" and soon["maps"]["outputs"].shape == (1, 2500)


def test_a_network_past_float32_range_is_drawn_from_float64() -> None:
    # Five ReLU layers grow the values to ~1e33; the tanh layer's weights of opposite signs
    # then sum +inf and −inf in float32 (NaN), where float64 still has finite numbers.
    relu, tanh = {"units": 4, "activation": "relu"}, {"units": 2, "activation": "tanh"}
    s = session(hidden=[relu] * 5 + [tanh])
    s.net.theta[: s.net.n_weights] = 1e6
    s.net.params[5][0][1::2] = -1e6
    set_view(s, 32, 20, False)
    frame = decode_frame_bytes(build_frame(s))
    assert np.isfinite(frame["ranges"]).all()
    assert frame["ranges"][1:, 1].max() > 1e30  # the ReLU layers' maps, as they are


def test_every_frame_of_a_training_run_shows_its_maps_within_the_dead_band() -> None:
    s = session(hidden=[{"units": 8, "activation": "tanh"}] * 6, resolution=60)
    s.playing = True
    set_view(s, 20, 9, False)
    key = None
    bases = set()
    for k in range(45):
        s.step(1)
        frame = decode_frame_bytes(finish(frame_steps(s, now=k / 30)), key)
        if frame["base"] is None:
            key = frame["cells"]
        bases.add(frame["base"])
        snap = s.snapshot()
        exact = decode_frame_bytes(frame_bytes(snap, s.kind, View(size=20, neuron=9)))
        np.testing.assert_array_equal(frame["ranges"], exact["ranges"])
        lo, hi = exact["ranges"][1:, :1], exact["ranges"][1:, 1:]
        # The output and the looked-at neuron as exactly as a key frame has them (float32
        # may round a cell the other way), every small map at most a level off.
        for part, most in (("outputs", 1), ("focus", 1), ("neurons", LEVEL_STEP)):
            diff = frame["maps"][part].astype(int) - exact["maps"][part]
            assert np.abs(diff).max() <= most, (k, part)
        # ... so within a level and a half of the true value.
        true = snap["maps"][1:, sample_points(60, 20)]
        shown = frame["maps"]["neurons"] / 255 * (hi - lo) + lo
        assert (np.abs(shown - true) <= 1.5 * (hi - lo) / (NEURON_LEVELS - 1) + 1e-6).all()
    assert None in bases and len(bases) > 1  # key frames and the frames after them


def test_an_idle_session_sends_no_frames_after_the_one_its_view_is_due() -> None:
    settings = make_settings(messages_per_second=1e6, message_burst=10**6)
    with TestClient(create_app(settings)) as client, client.websocket_connect("/ws") as ws:
        assert [json.loads(ws.receive_text())["type"] for _ in range(3)] == [
            "hello",
            "points",
            "frame",
        ]
        ws.send_text(json.dumps({"type": "view", "id": 1, "size": 20}))
        assert json.loads(ws.receive_text())["command"] == "view"
        first = decode_frame_bytes(ws.receive_bytes())
        assert first["status"] == "idle"
        # For over ten frame periods (at 30 frames/s), only the replies to the commands come.
        start, asked = time.monotonic(), 0
        while time.monotonic() - start < 0.4:
            asked += 1
            ws.send_text(json.dumps({"type": "get_state", "id": asked}))
            message = ws.receive()
            assert "text" in message and message.get("bytes") is None, "a frame came"
            reply = json.loads(message["text"])
            assert reply.get("id") == asked, reply
        # A change makes one due again.
        ws.send_text(json.dumps({"type": "step", "id": "s", "epochs": 1}))
        assert json.loads(ws.receive_text())["id"] == "s"
        key = first["cells"]
        assert decode_frame_bytes(ws.receive_bytes(), key)["epoch"] == 1


@pytest.mark.parametrize(
    "value",
    [
        None, True, False, 0, -7, 2**70, 0.1, -1.5e-300, 1e300, 5e-324, "", "tanh", "é \"q\"\n",
        {"train": 0.25, "test": None}, {"a": [1, 2.5, {"b": "c"}]}, {1: 2}, [0.5, None, "x"],
        {"k": {"deep": [1e-7]}, "x": 1, "y": 2, "z": 3, "w": 4},
    ],
)  # fmt: skip
def test_a_header_value_is_written_as_strict_compact_json_writes_it(value: Any) -> None:
    want = json.dumps(value, separators=(",", ":"), allow_nan=False)
    assert packing.value(value) == want
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        assert packing.flat_object(value) == want


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, {"train": math.nan}])
def test_a_header_value_that_is_not_finite_is_refused(bad: Any) -> None:
    with pytest.raises(ValueError, match="not JSON compliant"):
        packing.value(bad)
    with pytest.raises(ValueError, match="not JSON compliant"):
        packing.flat_object({"train": 0.5, "test": bad})


def header_text(frame: bytes) -> str:
    body = zlib.decompress(frame[4:])
    return body[4 : 4 + int.from_bytes(body[:4], "little")].decode()


def test_every_header_is_the_strict_compact_json_of_its_fields_in_order() -> None:
    # Through a view's layout changes (size, focus, a new network) and the details' frames.
    s = session()
    s.playing = True
    views = [View(size=32), View(size=32)]
    texts = []
    for k in range(12):
        if k == 4:
            views[1] = View(size=20, neuron=3)
        if k == 8:
            s.configure({"hidden": [{"units": 3, "activation": "relu"}]})
            s.playing = True
        s.step(1)
        for view in views:
            texts.append(header_text(frame_bytes(s.snapshot(), s.kind, view, now=k * 0.1)))
    keys = ["type", "step", "epoch", "evaluations", "status", "message", "loss", "resolution"]
    keys += ["domain", "shapes", "gradients", "half", "maps", "seq", "base", "line", "dead"]
    for text in texts:
        head = json.loads(text)
        assert text == json.dumps(head, separators=(",", ":"), allow_nan=False)
        assert list(head)[: len(keys)] == keys
        assert list(head)[len(keys) :] in ([], ["metrics", "population"])
    assert {json.loads(t)["maps"]["side"] for t in texts} == {32, 20}
    shapes = [json.loads(t)["shapes"] for t in texts]
    assert shapes[0] == [[2, 4], [4, 2], [2, 1]] and shapes[-1] == [[2, 3], [3, 1]]
    assert any("metrics" in json.loads(t) for t in texts[2:])
    assert any("metrics" not in json.loads(t) for t in texts)


def test_a_view_kept_over_frames_quantizes_as_a_fresh_one_while_the_ranges_move() -> None:
    s = session(hidden=[{"units": 5, "activation": "tanh"}] * 2, resolution=40)
    s.playing = True
    kept = View(size=16, neuron=2)
    ranges = set()
    for k in range(25):
        s.step(4)
        snap = s.snapshot()
        # A second apart: every frame is a key frame, its cells in full.
        got = decode_frame_bytes(frame_bytes(snap, s.kind, kept, now=2.0 * k))
        fresh = decode_frame_bytes(frame_bytes(snap, s.kind, View(size=16, neuron=2), now=0.0))
        assert got["base"] is None
        np.testing.assert_array_equal(got["ranges"], fresh["ranges"])
        np.testing.assert_array_equal(got["cells"], fresh["cells"])
        ranges.add(got["ranges"].tobytes())
    assert len(ranges) > 3  # the ranges moved, and the kept scales with them


def test_frames_deflate_to_no_more_bytes_than_zlibs_fastest_setting() -> None:
    # The frames of a training run, their bodies deflated again by zlib at level 1 with
    # run-length matching only (what frames used before): ISA-L's are no larger.
    s = session()
    s.playing = True
    set_view(s, 32, None, False)
    ours = theirs = 0
    for k in range(30):
        s.step(1)
        frame = finish(frame_steps(s, now=k / 30))
        packer = zlib.compressobj(1, zlib.DEFLATED, 15, 8, zlib.Z_RLE)
        body = zlib.decompress(frame[4:])
        ours += len(frame)
        theirs += 4 + len(packer.compress(body) + packer.flush())
    assert ours <= theirs, (ours, theirs)
