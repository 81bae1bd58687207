"""The live socket through TestClient: the protocol, commands, bad input, origins, limits."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from app.live.frames import decode_maps
from app.live.session_runner import SessionRunner
from app.main import create_app
from app.training import Session
from tests.conftest import make_settings

pytestmark = pytest.mark.timeout(60)

WAIT = 5.0  # seconds any expected message may take
REPLIES = ("ack", "error", "state", "history", "export", "surface", "hidden", "past")
_ids = itertools.count(1)


def _refuse(name: str) -> Any:
    raise ValueError(f"{name} in a server message")


def recv(ws: WebSocketTestSession) -> dict[str, Any]:
    """The next message, parsed as strict JSON (NaN or Infinity fail the test)."""
    message: dict[str, Any] = json.loads(ws.receive_text(), parse_constant=_refuse)
    return message


def until(
    ws: WebSocketTestSession, pred: Callable[[dict[str, Any]], bool], seconds: float = WAIT
) -> dict[str, Any]:
    """Receive until a message satisfies ``pred``; fail if that takes over ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        msg = recv(ws)
        if pred(msg):
            return msg
        assert time.monotonic() < deadline, f"no matching message within {seconds} s"


def frame_where(ws: WebSocketTestSession, pred: Callable[[dict[str, Any]], bool]) -> dict:
    return until(ws, lambda m: m["type"] == "frame" and pred(m))


def command(ws: WebSocketTestSession, type_: str, **fields: Any) -> dict[str, Any]:
    """Send one command with a fresh id; return its reply (ack, error, state, ...)."""
    cid = next(_ids)
    ws.send_text(json.dumps({"type": type_, "id": cid, **fields}))
    return until(ws, lambda m: m["type"] in REPLIES and m.get("id") == cid)


def send_raw(ws: WebSocketTestSession, text: str) -> dict[str, Any]:
    """Send any text; return the first reply to it."""
    ws.send_text(text)
    return until(ws, lambda m: m["type"] in REPLIES)


def export(ws: WebSocketTestSession) -> dict[str, Any]:
    reply = command(ws, "export")
    assert reply["type"] == "export"
    doc: dict[str, Any] = reply["document"]
    return doc


def closed_with(ws: WebSocketTestSession, limit: int = 20) -> int:
    """Read past whatever was queued; the close code the server sent."""
    for _ in range(limit):
        message = ws.receive()
        if message["type"] == "websocket.close":
            code: int = message["code"]
            return code
    raise AssertionError("the server did not close the socket")


def sessions(client: TestClient) -> int:
    count: int = client.get("/healthz").json()["sessions"]
    return count


@pytest.fixture(scope="module", params=[2, 0], ids=["workers", "threads"])
def client(request: pytest.FixtureRequest) -> Iterator[TestClient]:
    """Every test runs twice: sessions in two worker processes, and on threads of the
    server's own process (``workers`` 0)."""
    settings = make_settings(max_sessions=1000, workers=request.param)
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def ws(client: TestClient) -> Iterator[WebSocketTestSession]:
    """A page's socket on a new session, past its hello, points and first frame."""
    with client.websocket_connect("/ws") as socket:
        until(socket, lambda m: m["type"] == "frame")
        yield socket


# --- the opening ------------------------------------------------------------------------


def test_first_messages_are_hello_points_frame(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        assert [recv(ws)["type"] for _ in range(3)] == ["hello", "points", "frame"]


def test_hello_carries_the_session_state_and_limits(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        hello = recv(ws)
    assert isinstance(hello["session"], str)
    assert hello["state"]["sizes"] == [2, 4, 2, 1]
    assert hello["history"][0]["epoch"] == 0
    assert hello["limits"] == {"max_message_bytes": 65536, "messages_per_second": 50.0}


def test_first_points_message_lists_every_point(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        recv(ws)
        points = recv(ws)
    assert len(points["x"]) == len(points["y"]) == len(points["test"]) == 500
    assert set(points["y"]) == {0, 1}


def test_first_frame_shows_epoch_zero(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        frame = frame_where(ws, lambda m: True)
    assert (frame["step"], frame["epoch"], frame["status"]) == (0, 0, "idle")
    assert decode_maps(frame["maps"]).shape == (7, 2500)


def test_page_session_is_counted(client: TestClient) -> None:
    before = sessions(client)
    with client.websocket_connect("/ws") as ws:
        recv(ws)
        assert sessions(client) == before + 1


# --- commands ---------------------------------------------------------------------------


def test_added_point_appears_in_a_later_points_message(ws: WebSocketTestSession) -> None:
    reply = command(ws, "add_point", x=[1.25, -2.5], label=1)
    assert reply == {"type": "ack", "command": "add_point", "index": 500, "id": reply["id"]}
    points = until(ws, lambda m: m["type"] == "points" and len(m["x"]) == 501)
    assert (points["x"][500], points["y"][500], points["test"][500]) == ([1.25, -2.5], 1, False)


def test_moved_point_appears_in_a_later_points_message(ws: WebSocketTestSession) -> None:
    assert command(ws, "move_point", index=7, x=[0.5, 0.25])["type"] == "ack"
    until(ws, lambda m: m["type"] == "points" and m["x"][7] == [0.5, 0.25])


def test_removed_point_leaves_the_points_message(ws: WebSocketTestSession) -> None:
    assert command(ws, "remove_point", index=0)["type"] == "ack"
    until(ws, lambda m: m["type"] == "points" and len(m["x"]) == 499)


def test_cleared_points_leave_an_empty_points_message(ws: WebSocketTestSession) -> None:
    assert command(ws, "clear_points")["type"] == "ack"
    until(ws, lambda m: m["type"] == "points" and m["x"] == [])


def test_set_points_replaces_every_point(ws: WebSocketTestSession) -> None:
    reply = command(ws, "set_points", x=[[1, 1], [-1, -1]], y=[1, 0], test=[False, True])
    assert reply["type"] == "ack"
    points = until(ws, lambda m: m["type"] == "points" and len(m["x"]) == 2)
    assert (points["y"], points["test"]) == ([1, 0], [False, True])


def test_hidden_change_shows_the_new_shape_in_a_frame(ws: WebSocketTestSession) -> None:
    reply = command(ws, "config", changes={"hidden": [{"units": 3, "activation": "relu"}]})
    assert reply["changes"]["rebuilt"] is True
    assert reply["state"]["sizes"] == [2, 3, 1]
    frame = frame_where(ws, lambda m: m["maps"]["count"] == 4)
    assert [len(p["b"]) for p in frame["params"]] == [3, 1]
    assert [len(p["W"]) for p in frame["params"]] == [2, 3]
    assert decode_maps(frame["maps"]).shape == (4, 2500)


def test_resolution_change_shows_in_the_frame(ws: WebSocketTestSession) -> None:
    command(ws, "config", changes={"resolution": 20})
    frame = frame_where(ws, lambda m: m["resolution"] == 20)
    assert frame["maps"]["size"] == 400


def test_load_dataset_regenerates_the_points(ws: WebSocketTestSession) -> None:
    reply = command(ws, "load_dataset", dataset="xor", points=100, noise=0.1)
    assert reply["type"] == "ack"
    assert reply["changes"]["regenerated"] is True
    assert reply["state"]["config"]["dataset"] == "xor"
    until(ws, lambda m: m["type"] == "points" and len(m["x"]) == 100)


def test_load_dataset_of_another_kind_rebuilds(ws: WebSocketTestSession) -> None:
    reply = command(ws, "load_dataset", dataset="blobs", classes=4)
    assert reply["changes"]["rebuilt"] is True
    frame_where(ws, lambda m: m["maps"]["outputs"] == 4)


def test_set_param_shows_in_the_frame(ws: WebSocketTestSession) -> None:
    command(ws, "set_param", layer=2, kind="bias", index=[0], value=1.5)
    frame_where(ws, lambda m: m["params"][2]["b"] == [1.5])


def test_play_moves_epoch_and_loss(ws: WebSocketTestSession) -> None:
    start = command(ws, "get_state")["state"]
    reply = command(ws, "play")
    assert (reply["type"], reply["command"]) == ("ack", "play")
    frame = frame_where(ws, lambda m: m["epoch"] >= 3)
    assert frame["status"] == "training"
    assert frame["step"] > start["step"]
    assert frame["loss"]["train"] != start["loss"]["train"]


def test_pause_stops_training(ws: WebSocketTestSession) -> None:
    command(ws, "config", changes={"speed": 0})  # as fast as it goes
    command(ws, "play")
    frame_where(ws, lambda m: m["epoch"] > 0)
    assert command(ws, "pause")["type"] == "ack"
    frame = frame_where(ws, lambda m: True)  # the first frame after the reply
    assert frame["status"] == "idle"
    paused = command(ws, "get_state")["state"]
    assert paused["status"] == "idle"
    assert frame["epoch"] == paused["epoch"]
    for _ in range(5):
        assert command(ws, "get_state")["state"]["epoch"] == paused["epoch"]


def test_no_frame_shows_a_change_before_its_reply(ws: WebSocketTestSession) -> None:
    command(ws, "config", changes={"fps": 60})
    for _ in range(25):
        before = command(ws, "get_state")["state"]["epoch"]
        time.sleep(0.02)  # a frame is due: it is built as soon as the step is done
        cid = next(_ids)
        ws.send_text(json.dumps({"type": "step", "id": cid, "epochs": 1}))
        while (msg := recv(ws)).get("id") != cid:
            assert msg["type"] != "frame" or msg["epoch"] == before
        assert frame_where(ws, lambda m: True)["epoch"] == before + 1


def test_no_frame_after_a_reply_shows_the_state_before_it(ws: WebSocketTestSession) -> None:
    command(ws, "config", changes={"speed": 0})
    for _ in range(15):
        command(ws, "play")
        assert frame_where(ws, lambda m: True)["status"] == "training"
        command(ws, "pause")
        assert frame_where(ws, lambda m: True)["status"] == "idle"


def test_frames_after_pause_never_pass_its_epoch(ws: WebSocketTestSession) -> None:
    command(ws, "config", changes={"speed": 0})
    command(ws, "play")
    frame_where(ws, lambda m: m["epoch"] > 0)
    command(ws, "pause")
    frames: list[int] = []

    def history_reply(m: dict[str, Any]) -> bool:
        if m["type"] == "frame":
            frames.append(m["epoch"])
        return m.get("id") == "h"

    epochs = set()
    for _ in range(5):
        ws.send_text('{"type": "get_history", "id": "h"}')
        epochs.add(until(ws, history_reply)["history"][-1]["epoch"])
    assert len(epochs) == 1
    (paused,) = epochs
    assert all(e <= paused for e in frames)


def test_step_advances_exactly_one_epoch(ws: WebSocketTestSession) -> None:
    before = command(ws, "get_state")["state"]["epoch"]
    reply = command(ws, "step", epochs=1)
    assert reply["epochs"] == 1
    assert reply["state"]["epoch"] == before + 1
    frame = frame_where(ws, lambda m: m["epoch"] != before)
    assert frame["epoch"] == before + 1
    assert frame["step"] == 25


def test_step_defaults_to_one_epoch(ws: WebSocketTestSession) -> None:
    assert command(ws, "step")["state"]["epoch"] == 1


def test_step_pauses_a_playing_session(ws: WebSocketTestSession) -> None:
    command(ws, "play")
    reply = command(ws, "step", epochs=2)
    assert reply["state"]["status"] == "idle"


def test_reset_returns_to_epoch_zero(ws: WebSocketTestSession) -> None:
    initial = export(ws)["network"]
    command(ws, "step", epochs=3)
    assert command(ws, "reset")["type"] == "ack"
    frame_where(ws, lambda m: m["epoch"] == 0)
    assert export(ws)["network"] == initial


def test_get_state_replies_with_the_state(ws: WebSocketTestSession) -> None:
    reply = command(ws, "get_state")
    assert reply["type"] == "state"
    assert reply["command"] == "get_state"
    assert reply["state"]["points"] == {"train": 250, "test": 250}


def test_get_history_replies_with_losses_and_path(ws: WebSocketTestSession) -> None:
    command(ws, "step", epochs=2)
    reply = command(ws, "get_history")
    assert reply["type"] == "history"
    assert [h["epoch"] for h in reply["history"]] == [0, 2]
    assert reply["path"] == []


def test_get_surface_replies_with_the_loss_grid(ws: WebSocketTestSession) -> None:
    command(ws, "config", changes={"dataset": "age", "hidden": []})
    reply = command(ws, "get_surface", resolution=8)
    assert reply["type"] == "surface"
    assert (len(reply["w"]), len(reply["b"]), len(reply["loss"])) == (8, 8, 8)


def test_get_surface_of_a_larger_network_is_an_error(ws: WebSocketTestSession) -> None:
    reply = command(ws, "get_surface")
    assert reply["type"] == "error"
    assert reply["command"] == "get_surface"


def test_hidden_replies_with_the_layer_projected(ws: WebSocketTestSession) -> None:
    command(ws, "config", changes={"hidden": [{"units": 2}, {"units": 5}]})
    command(ws, "step", epochs=2)
    wide = command(ws, "hidden", layer=2)
    assert wide["type"] == "hidden"
    assert (wide["layer"], wide["units"], wide["method"]) == (2, 5, "pca")
    assert len(wide["points"]) == len(wide["y"]) == len(wide["test"]) > 0
    assert all(len(p) == 2 for p in wide["points"])
    assert len(wide["lines"]) == 26 and all(len(line) == 49 for line in wide["lines"])
    assert wide["epoch"] == 2
    assert command(ws, "hidden", layer=1)["method"] == "plane"


@pytest.mark.parametrize("layer", [0, 3, True, "1"])
def test_hidden_of_a_missing_layer_is_an_error(ws: WebSocketTestSession, layer: Any) -> None:
    command(ws, "config", changes={"hidden": [{"units": 2}, {"units": 5}]})
    reply = command(ws, "hidden", layer=layer)
    assert reply["type"] == "error"
    assert reply["command"] == "hidden"
    assert "layer" in reply["message"]


def test_get_past_builds_a_past_frame_and_changes_nothing(ws: WebSocketTestSession) -> None:
    command(ws, "step", epochs=5)
    doc = export(ws)
    now = command(ws, "get_state")["state"]
    past = command(ws, "get_past", epoch=2)
    assert (past["type"], past["epoch"], past["now"]) == ("past", 2, 5)
    frame = past["frame"]
    assert (frame["type"], frame["epoch"], frame["past"]) == ("frame", 2, True)
    assert frame["params"] != command(ws, "get_past", epoch=5)["frame"]["params"]
    assert export(ws) == doc
    assert command(ws, "get_state")["state"]["epoch"] == now["epoch"] == 5


def test_branch_goes_back_and_forgets_the_future(ws: WebSocketTestSession) -> None:
    command(ws, "step", epochs=3)
    at_three = command(ws, "get_past", epoch=3)["frame"]["params"]
    command(ws, "step", epochs=4)
    reply = command(ws, "branch", epoch=3)
    assert reply["type"] == "ack" and reply["epoch"] == 3
    assert reply["state"]["epoch"] == 3
    assert max(h["epoch"] for h in reply["history"]) == 3
    assert export(ws)["network"]["params"][0]["W"] != []
    assert command(ws, "get_past", epoch=7)["epoch"] == 3  # the future is gone
    assert command(ws, "get_past", epoch=3)["frame"]["params"] == at_three
    command(ws, "step", epochs=2)
    assert command(ws, "get_state")["state"]["epoch"] == 5


def test_past_and_branch_refuse_a_bad_epoch(ws: WebSocketTestSession) -> None:
    for kind in ("get_past", "branch"):
        reply = command(ws, kind, epoch=-1)
        assert reply["type"] == "error" and reply["command"] == kind


def test_export_then_import_restores_the_session(ws: WebSocketTestSession) -> None:
    command(ws, "step", epochs=2)
    doc = export(ws)
    command(ws, "step", epochs=3)
    reply = command(ws, "import", document=doc)
    assert reply["type"] == "ack"
    assert reply["state"]["epoch"] == 2
    frame_where(ws, lambda m: m["epoch"] == 2)
    assert export(ws) == doc


def test_import_sends_the_new_points(ws: WebSocketTestSession) -> None:
    doc = export(ws)
    doc["points"] = {"x": [[1.0, 1.0]], "y": [1], "test": [False]}
    assert command(ws, "import", document=doc)["type"] == "ack"
    until(ws, lambda m: m["type"] == "points" and m["x"] == [[1.0, 1.0]])


# --- correlation ids --------------------------------------------------------------------


@pytest.mark.parametrize("cid", [7, "abc", 0])
def test_id_is_echoed_in_the_ack(ws: WebSocketTestSession, cid: int | str) -> None:
    ws.send_text(json.dumps({"type": "pause", "id": cid}))
    assert until(ws, lambda m: m["type"] == "ack") == {"type": "ack", "command": "pause", "id": cid}


@pytest.mark.parametrize(
    "message",
    [
        {"type": "step", "epochs": 0},  # refused by the schema
        {"type": "config", "changes": {"lr": 99}},  # refused by the session
        {"type": "teleport"},  # no such command
    ],
)
def test_id_is_echoed_in_the_error(ws: WebSocketTestSession, message: dict[str, Any]) -> None:
    ws.send_text(json.dumps({**message, "id": "q-1"}))
    error = until(ws, lambda m: m["type"] == "error")
    assert error["id"] == "q-1"


def test_reply_without_id_has_none(ws: WebSocketTestSession) -> None:
    assert send_raw(ws, '{"type": "pause"}') == {"type": "ack", "command": "pause"}


# --- bad messages -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{not json", "invalid JSON"),
        ('{"type": "step", "epochs": NaN}', "NaN"),
        ('{"type": "add_point", "x": [1e999, 0], "label": 1}', "out of range"),
        ('{"type": "add_point", "x": [0, -Infinity], "label": 1}', "Infinity"),
        ('{"type": "teleport"}', "teleport"),
        ("{}", "type"),
        ("[1, 2]", "object"),
        ('"play"', "object"),
        ('{"type": "add_point", "x": [9, 0], "label": 1}', "x[0]"),
        ('{"type": "add_point", "x": [0, 0], "label": 5}', "label"),
        ('{"type": "add_point", "x": [0, 0], "label": true}', "label"),
        ('{"type": "add_point", "label": 1}', "x: Field required"),
        ('{"type": "add_point", "x": [0, 0, 0], "label": 1}', "x"),
        ('{"type": "move_point", "index": 9999, "x": [0, 0]}', "index"),
        ('{"type": "remove_point", "index": -1}', "index"),
        ('{"type": "config", "changes": {"lr": 99}}', "lr"),
        ('{"type": "config", "changes": {"hidden": [{"units": 40}]}}', "hidden[0].units"),
        ('{"type": "config", "changes": {"speed": 1e9}}', "speed"),
        ('{"type": "config"}', "changes"),
        ('{"type": "step", "epochs": 0}', "epochs"),
        ('{"type": "step", "epochs": "1"}', "epochs"),
        ('{"type": "play", "extra": 1}', "extra"),
        ('{"type": "set_param", "layer": 9, "kind": "bias", "index": [0], "value": 1}', "layer"),
        ('{"type": "set_param", "layer": 0, "kind": "bias", "index": [0], "value": 1e9}', "value"),
        ('{"type": "load_dataset", "dataset": "nope"}', "dataset"),
        ('{"type": "load_dataset", "dataset": "xor", "noise": 2}', "noise"),
        ('{"type": "set_points", "x": [[0, 0]], "y": [1, 0]}', "labels"),
        ('{"type": "import", "document": {"version": 2}}', "version"),
        ('{"type": "import", "document": {"version": 1}}', "document"),
        ('{"type": "pause", "id": {"a": 1}}', "id"),
    ],
)
def test_bad_message_gets_an_error_and_changes_nothing(
    ws: WebSocketTestSession, text: str, says: str
) -> None:
    before = export(ws)
    error = send_raw(ws, text)
    assert error["type"] == "error"
    assert says in error["message"]
    assert export(ws) == before


def test_error_names_the_command(ws: WebSocketTestSession) -> None:
    error = send_raw(ws, '{"type": "step", "epochs": 0}')
    assert error["command"] == "step"


def test_play_without_training_points_is_an_error(ws: WebSocketTestSession) -> None:
    command(ws, "clear_points")
    error = command(ws, "play")
    assert error["type"] == "error"
    assert "points" in error["message"]
    assert command(ws, "get_state")["state"]["status"] == "idle"


def test_diverged_network_is_a_state_not_garbage(ws: WebSocketTestSession) -> None:
    command(ws, "load_dataset", dataset="plane")
    command(ws, "config", changes={"hidden": [], "lr": 10.0})
    command(ws, "step", epochs=20)  # every message is parsed strictly by recv
    frame = frame_where(ws, lambda m: m["status"] == "diverged")
    assert "learning rate" in frame["message"]
    error = command(ws, "play")
    assert error["type"] == "error"
    assert "diverged" in error["message"]


def test_binary_message_closes_with_1003(client: TestClient, session_id: str) -> None:
    before = client.get(f"/api/sessions/{session_id}/export").json()
    with client.websocket_connect(f"/ws?session={session_id}") as ws:
        recv(ws)
        ws.send_bytes(b'{"type": "step"}')
        assert closed_with(ws) == 1003
    assert client.get(f"/api/sessions/{session_id}/export").json() == before


def test_oversize_message_closes_with_1009(client: TestClient, session_id: str) -> None:
    before = client.get(f"/api/sessions/{session_id}/export").json()
    with client.websocket_connect(f"/ws?session={session_id}") as ws:
        recv(ws)
        ws.send_text(json.dumps({"type": "clear_points", "pad": "x" * 70_000}))
        assert closed_with(ws) == 1009
    assert client.get(f"/api/sessions/{session_id}/export").json() == before


def test_message_just_under_the_limit_is_read(ws: WebSocketTestSession) -> None:
    text = '{"type": "get_state"}'
    reply = send_raw(ws, text + " " * (65536 - len(text)))
    assert reply["type"] == "state"


def test_burst_beyond_the_limit_is_refused(make_client: Callable[..., TestClient]) -> None:
    c = make_client(message_burst=5, messages_per_second=0.01)
    with c.websocket_connect("/ws") as ws:
        recv(ws)
        for i in range(6):
            ws.send_text(json.dumps({"type": "get_state", "id": i}))
        replies = [until(ws, lambda m: m["type"] in REPLIES) for _ in range(6)]
    assert [r["type"] for r in replies] == ["state"] * 5 + ["error"]
    assert "rate limit" in replies[5]["message"]


def test_burst_within_the_limit_is_served(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        recv(ws)
        for i in range(50):
            ws.send_text(json.dumps({"type": "get_state", "id": i}))
        replies = [until(ws, lambda m: m["type"] in REPLIES) for _ in range(50)]
    assert {r["type"] for r in replies} == {"state"}


# --- origins ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "null",
        "http://localhost.evil.example",
        "http://testserver:8080",
        "https://testserver",
        "http://testserver.evil.example",
        "http://testserver/path",
        "file://",
    ],
)
def test_foreign_origin_is_refused_before_a_session_exists(client: TestClient, origin: str) -> None:
    before = sessions(client)
    with pytest.raises(WebSocketDisconnect) as info:
        with client.websocket_connect("/ws", headers={"origin": origin}):
            pass  # pragma: no cover - the handshake fails
    assert info.value.code == 1008
    assert sessions(client) == before


@pytest.mark.parametrize("origin", ["http://testserver", "http://testserver:80"])
def test_same_origin_is_accepted(client: TestClient, origin: str) -> None:
    with client.websocket_connect("/ws", headers={"origin": origin}) as ws:
        assert recv(ws)["type"] == "hello"


def test_configured_origin_is_accepted(make_client: Callable[..., TestClient]) -> None:
    c = make_client(allowed_origins=("https://class.example",))
    with c.websocket_connect("/ws", headers={"origin": "https://class.example"}) as ws:
        assert recv(ws)["type"] == "hello"


def test_only_configured_origins_are_accepted(make_client: Callable[..., TestClient]) -> None:
    c = make_client(allowed_origins=("https://class.example",))
    with pytest.raises(WebSocketDisconnect) as info:
        with c.websocket_connect("/ws", headers={"origin": "http://testserver"}):
            pass  # pragma: no cover
    assert info.value.code == 1008


def test_script_without_origin_is_accepted(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        assert recv(ws)["type"] == "hello"


# --- sessions ---------------------------------------------------------------------------


def test_attach_by_id_shows_the_http_session(client: TestClient, session_id: str) -> None:
    client.post(f"/api/sessions/{session_id}/step", json={"epochs": 2})
    with client.websocket_connect(f"/ws?session={session_id}") as ws:
        hello = recv(ws)
        assert hello["session"] == session_id
        assert hello["state"]["epoch"] == 2
        assert frame_where(ws, lambda m: True)["epoch"] == 2


def test_attached_page_sees_http_changes(client: TestClient, session_id: str) -> None:
    with client.websocket_connect(f"/ws?session={session_id}") as ws:
        frame_where(ws, lambda m: True)
        client.post(f"/api/sessions/{session_id}/step", json={"epochs": 4})
        assert frame_where(ws, lambda m: m["epoch"] == 4)["step"] == 100


def test_http_sees_changes_made_over_the_socket(client: TestClient, session_id: str) -> None:
    with client.websocket_connect(f"/ws?session={session_id}") as ws:
        command(ws, "add_point", x=[0.0, 0.0], label=1)
        command(ws, "step", epochs=1)
    state = client.get(f"/api/sessions/{session_id}").json()
    assert state["points"]["train"] == 251
    assert state["epoch"] == 1


def test_two_pages_on_one_session_see_the_same_frames(client: TestClient, session_id: str) -> None:
    with (
        client.websocket_connect(f"/ws?session={session_id}") as a,
        client.websocket_connect(f"/ws?session={session_id}") as b,
    ):
        frame_where(a, lambda m: True)
        frame_where(b, lambda m: True)
        command(a, "step", epochs=3)
        assert frame_where(b, lambda m: m["epoch"] == 3)["step"] == 75


def test_deleting_a_session_closes_its_pages(client: TestClient, session_id: str) -> None:
    with client.websocket_connect(f"/ws?session={session_id}") as ws:
        recv(ws)
        assert client.delete(f"/api/sessions/{session_id}").status_code == 204
        assert closed_with(ws) == 1008


class Told:
    """A session's viewer in its worker (as the relay to the server is): it keeps the
    reason it was told the session ended."""

    closed = False
    ended: str | None = None

    def latest(self, slot: str, data: str | bytes) -> None:
        pass

    def discard(self, slot: str) -> None:
        pass

    def end(self, reason: str) -> None:
        self.ended = reason


def test_page_attached_while_its_session_closes_is_told(client: TestClient) -> None:
    runner = SessionRunner("closing", Session())
    gate = threading.Event()
    runner.submit(lambda s: gate.wait(WAIT))  # hold the session's thread
    viewer = Told()
    attached = runner.attach(viewer)  # queued ahead of the close
    runner.close(timeout=0)
    gate.set()
    runner.close(timeout=WAIT)  # joins the thread
    assert attached.done()
    assert viewer.ended == "session ended"


def test_unknown_session_is_refused(client: TestClient) -> None:
    before = sessions(client)
    with pytest.raises(WebSocketDisconnect) as info:
        with client.websocket_connect("/ws?session=no-such-session") as ws:
            ws.receive_json()
    assert info.value.code == 1008
    assert "session" in str(info.value.reason)
    assert sessions(client) == before


def test_full_server_closes_with_1013(make_client: Callable[..., TestClient]) -> None:
    c = make_client(max_sessions=1)
    c.post("/api/sessions", json={})
    with pytest.raises(WebSocketDisconnect) as info:
        with c.websocket_connect("/ws") as ws:
            ws.receive_text()  # the close, if it was not the handshake's answer
    assert info.value.code == 1013
    assert sessions(c) == 1


def test_only_a_page_session_ends_soon_after_its_page_closes(
    make_client: Callable[..., TestClient],
) -> None:
    c = make_client(detached_ttl=0.1)
    kept = c.post("/api/sessions", json={}).json()["id"]
    for query in ("", f"?session={kept}"):
        with c.websocket_connect("/ws" + query) as ws:
            assert recv(ws)["type"] == "hello"
    deadline = time.monotonic() + WAIT
    while sessions(c) > 1 and time.monotonic() < deadline:
        pass  # each look is an HTTP request
    assert sessions(c) == 1
    assert c.get(f"/api/sessions/{kept}").status_code == 200
