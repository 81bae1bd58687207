"""Dead links under the TensorFlow Playground profile: L1 sets a weight it takes across
zero to 0 and the page never updates that link again. The snapshot, the JSON frame and the
binary frame carry which links are dead; a dead link stays dead whatever is changed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.data.tfp_link import parse_link
from app.live.frames import View, decode_frame_bytes, frame_bytes, frame_message
from app.training import Session
from app.training.tfp import config_from_settings

DATA = Path(__file__).parent / "data" / "tfp"
L1_LINK = "circle_relu_l1_sines"  # a link dies in the first epoch


def config_of(name: str) -> dict[str, Any]:
    ref = json.loads((DATA / f"{name}.json").read_text())
    return config_from_settings(parse_link(ref["link"]))


def with_dead_links(epochs: int = 3) -> Session:
    s = Session(config_of(L1_LINK))
    s.step(epochs)
    assert s.net.tfp.dead.any()  # type: ignore[union-attr]
    return s


def dead_of(s: Session) -> list[np.ndarray]:
    return s.net.tfp.dead_links()  # type: ignore[union-attr]


def test_no_link_is_dead_in_a_native_session_or_before_l1_kills_one() -> None:
    assert Session().snapshot()["dead"] is None
    s = Session(config_of(L1_LINK))
    assert s.snapshot()["dead"] is None
    assert frame_message(s.snapshot(), s.kind)["dead"] is None


def test_the_snapshot_marks_the_links_l1_killed_shaped_like_the_weights() -> None:
    s = with_dead_links()
    snap = s.snapshot()
    dead = snap["dead"]
    assert [d.shape for d in dead] == [W.shape for W, _ in snap["params"]]
    for d, want in zip(dead, dead_of(s), strict=True):
        assert (d == want).all()
    for d, (W, _) in zip(dead, snap["params"], strict=True):
        assert (W[d] == 0).all()


def test_the_json_frame_carries_the_dead_links() -> None:
    s = with_dead_links()
    msg = json.loads(json.dumps(frame_message(s.snapshot(), s.kind)))
    assert msg["dead"] == [d.tolist() for d in dead_of(s)]
    assert any(any(any(row) for row in layer) for layer in msg["dead"])


def test_the_binary_frame_ends_with_the_dead_links_and_its_maps_are_unchanged() -> None:
    s = with_dead_links()
    snap = s.snapshot()
    with_dead = decode_frame_bytes(frame_bytes(snap, s.kind, View(20), now=0.0))
    snap_alive = {**s.snapshot(), "dead": None}
    alive = decode_frame_bytes(frame_bytes(snap_alive, s.kind, View(20), now=0.0))
    assert with_dead["dead"] is not None and alive["dead"] is None
    for got, want in zip(with_dead["dead"], dead_of(s), strict=True):
        assert got.dtype == bool and (got == want).all()
    assert (with_dead["cells"] == alive["cells"]).all()
    for (W, b), (W2, b2) in zip(with_dead["params"], alive["params"], strict=True):
        assert (W == W2).all() and (b == b2).all()


def test_a_delta_frame_after_a_key_frame_carries_the_dead_links_too() -> None:
    s = with_dead_links()
    view = View(20)
    key = decode_frame_bytes(frame_bytes(s.snapshot(), s.kind, view, now=0.0))
    s.set_param(0, "bias", [0], 0.2)  # a small change: the next frame is a delta
    delta = decode_frame_bytes(frame_bytes(s.snapshot(), s.kind, view, now=0.1), key["cells"])
    assert delta["base"] == key["seq"]
    for got, want in zip(delta["dead"], dead_of(s), strict=True):
        assert (got == want).all()


@pytest.mark.parametrize("regularization", ["l1", "l2", "none"])
def test_a_dead_link_stays_dead_and_at_zero_whatever_the_regularization(
    regularization: str,
) -> None:
    s = with_dead_links()
    dead = s.net.tfp.dead.copy()  # type: ignore[union-attr]
    s.configure({"regularization": regularization})
    s.step(5)
    net = s.net.tfp  # type: ignore[union-attr]
    assert (net.dead[dead]).all()
    assert (net.theta[: net.n_weights][dead] == 0).all()


def test_a_dead_link_set_by_hand_keeps_its_weight_and_stays_dead_as_on_the_page() -> None:
    s = with_dead_links()
    layer, i, j = next(
        (k, int(a), int(b)) for k, d in enumerate(dead_of(s)) for a, b in np.argwhere(d)
    )
    before = s.losses()[0]
    s.set_param(layer, "weight", [i, j], 0.75)
    assert s.net.params[layer][0][i, j] == 0.75
    assert s.losses()[0] != before  # the weight counts in the forward pass
    s.step(5)
    assert s.net.params[layer][0][i, j] == 0.75  # training never changes it
    assert dead_of(s)[layer][i, j]
    assert s.snapshot()["dead"][layer][i, j]
