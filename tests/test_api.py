"""The HTTP API through TestClient: every route, its replies and its error paths."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.live.frames import decode_maps

API = "/api/sessions"
JSON = {"content-type": "application/json"}

# Every route that names a session: (method, path after the id, JSON body).
SESSION_ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "", None),
    ("DELETE", "", None),
    ("POST", "/points", {"points": [{"x": [0.0, 0.0], "label": 1}]}),
    ("PATCH", "/config", {"lr": 0.1}),
    ("POST", "/step", {"epochs": 1}),
    ("POST", "/reset", None),
    ("POST", "/params", {"layer": 0, "kind": "bias", "index": [0], "value": 0.5}),
    ("GET", "/snapshot", None),
    ("GET", "/surface", None),
    ("GET", "/history", None),
    ("GET", "/export", None),
    ("POST", "/import", {"version": 1}),
]


def state(client: TestClient, sid: str) -> dict[str, Any]:
    r = client.get(f"{API}/{sid}")
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def export(client: TestClient, sid: str) -> dict[str, Any]:
    r = client.get(f"{API}/{sid}/export")
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


# --- health, docs, static ---------------------------------------------------------------


def test_healthz_reports_ok_and_the_session_count(client: TestClient) -> None:
    before = client.get("/healthz").json()["sessions"]
    client.post(API, json={})
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "sessions": before + 1, "replica": ""}


def test_openapi_lists_the_session_routes(client: TestClient) -> None:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert {f"{API}", f"{API}/import", f"{API}/{{session_id}}/step"} <= set(paths)


def test_docs_page_loads(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    assert "text/html" in r.headers["content-type"]
    assert "openapi.json" in r.text


def test_plotly_is_served_as_javascript(client: TestClient) -> None:
    r = client.get("/vendor/plotly.min.js")
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] in ("text/javascript", "application/javascript")
    assert len(r.content) > 100_000


def test_index_page_loads(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert "text/html" in r.headers["content-type"]


def test_unknown_host_is_refused(client: TestClient) -> None:
    r = client.get("/healthz", headers={"host": "evil.example"})
    assert r.status_code == 400


# --- create -----------------------------------------------------------------------------


def test_create_returns_an_id_and_the_state(client: TestClient) -> None:
    r = client.post(API, json={"config": {"dataset": "xor", "hidden": []}})
    assert r.status_code == 201
    body = r.json()
    assert isinstance(body["id"], str) and body["id"]
    assert body["state"]["config"]["dataset"] == "xor"
    assert body["state"]["sizes"] == [2, 1]


def test_create_without_config_uses_the_defaults(client: TestClient) -> None:
    r = client.post(API, json={})
    assert r.status_code == 201
    assert r.json()["state"]["sizes"] == [2, 4, 2, 1]


def test_create_uses_the_server_frame_rate(make_client: Callable[..., TestClient]) -> None:
    c = make_client(frame_rate=12)
    assert c.post(API, json={}).json()["state"]["config"]["fps"] == 12


def test_create_with_a_bad_config_is_400(client: TestClient) -> None:
    before = client.get("/healthz").json()["sessions"]
    r = client.post(API, json={"config": {"lr": 99}})
    assert r.status_code == 400
    assert "lr" in r.json()["detail"]
    assert client.get("/healthz").json()["sessions"] == before


@pytest.mark.parametrize(
    "body",
    [{"config": "fast"}, {"config": {}, "extra": 1}, [], "x"],
    ids=["config-not-object", "extra-field", "list", "string"],
)
def test_create_with_a_malformed_body_is_422(client: TestClient, body: Any) -> None:
    r = client.post(API, json=body)
    assert r.status_code == 422
    assert isinstance(r.json()["detail"], str)


def test_create_without_a_body_is_422(client: TestClient) -> None:
    assert client.post(API, headers=JSON).status_code == 422


def test_create_with_invalid_json_is_422(client: TestClient) -> None:
    r = client.post(API, content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_create_beyond_max_sessions_is_429(make_client: Callable[..., TestClient]) -> None:
    c = make_client(max_sessions=2)
    assert [c.post(API, json={}).status_code for _ in range(2)] == [201, 201]
    r = c.post(API, json={})
    assert r.status_code == 429
    assert "2" in r.json()["detail"]


def test_import_beyond_max_sessions_is_429(make_client: Callable[..., TestClient]) -> None:
    c = make_client(max_sessions=1)
    sid = c.post(API, json={}).json()["id"]
    r = c.post(f"{API}/import", json=export(c, sid))
    assert r.status_code == 429


def test_a_deleted_session_frees_its_place(make_client: Callable[..., TestClient]) -> None:
    c = make_client(max_sessions=1)
    sid = c.post(API, json={}).json()["id"]
    c.delete(f"{API}/{sid}")
    assert c.post(API, json={}).status_code == 201


# --- unknown sessions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "body"), SESSION_ROUTES, ids=[f"{m} {p}" for m, p, _ in SESSION_ROUTES]
)
def test_unknown_session_is_404(client: TestClient, method: str, suffix: str, body: Any) -> None:
    r = client.request(method, f"{API}/no-such-session{suffix}", json=body, headers=JSON)
    assert r.status_code == 404
    assert "no-such-session" in r.json()["detail"]


def test_deleted_session_is_gone(client: TestClient, session_id: str) -> None:
    r = client.delete(f"{API}/{session_id}")
    assert r.status_code == 204
    assert r.content == b""
    assert client.get(f"{API}/{session_id}").status_code == 404


def test_deleting_twice_is_404(client: TestClient, session_id: str) -> None:
    client.delete(f"{API}/{session_id}")
    assert client.delete(f"{API}/{session_id}").status_code == 404


# --- state and points -------------------------------------------------------------------


def test_get_state_describes_the_session(client: TestClient, session_id: str) -> None:
    s = state(client, session_id)
    assert s["status"] == "idle"
    assert (s["step"], s["epoch"]) == (0, 0)
    assert s["points"] == {"train": 250, "test": 250}


def test_add_points_returns_their_indexes(client: TestClient, session_id: str) -> None:
    points = [{"x": [1.0, 2.0], "label": 1}, {"x": [-1.0, 0.5], "label": 0, "test": True}]
    r = client.post(f"{API}/{session_id}/points", json={"points": points})
    assert r.status_code == 200
    assert r.json()["indexes"] == [500, 501]
    assert r.json()["state"]["points"] == {"train": 251, "test": 251}


def test_added_points_are_in_the_export(client: TestClient, session_id: str) -> None:
    client.post(f"{API}/{session_id}/points", json={"points": [{"x": [1.5, -2.5], "label": 1}]})
    pts = export(client, session_id)["points"]
    assert (pts["x"][-1], pts["y"][-1], pts["test"][-1]) == ([1.5, -2.5], 1, False)


@pytest.mark.parametrize(
    ("point", "field"),
    [
        ({"x": [7.0, 0.0], "label": 1}, "x[0]"),
        ({"x": [0.0, -100.0], "label": 1}, "x[1]"),
        ({"x": [0.0], "label": 1}, "x must"),
        ({"x": [0.0, 0.0], "label": 2}, "label"),
        ({"x": [0.0, 0.0], "label": -1}, "label"),
        ({"x": [0.0, 0.0], "label": 0.5}, "label"),
    ],
    ids=["x-outside", "y-outside", "one-coordinate", "label-2", "label-negative", "label-float"],
)
def test_bad_point_is_400_and_adds_nothing(
    client: TestClient, session_id: str, point: dict[str, Any], field: str
) -> None:
    before = export(client, session_id)
    good = {"x": [0.0, 0.0], "label": 1}
    r = client.post(f"{API}/{session_id}/points", json={"points": [good, point]})
    assert r.status_code == 400
    assert field in r.json()["detail"]
    assert export(client, session_id) == before


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"points": []},
        {"points": [{"label": 1}]},
        {"points": [{"x": [0, 0]}]},
        {"points": [{"x": "origin", "label": 1}]},
        {"points": [{"x": [0, 0, 0], "label": 1}]},
        {"points": [{"x": [0, 0], "label": "red"}]},
        {"points": [{"x": [0, 0], "label": 1, "weight": 2}]},
        {"points": [{"x": [0, 0], "label": 1}], "mode": "append"},
        {"points": [{"x": [2e6, 0], "label": 1}]},
    ],
    ids=[
        "empty", "no-points", "no-x", "no-label", "x-string", "x-three", "label-string",
        "extra-in-point", "extra-field", "x-huge",
    ],
)  # fmt: skip
def test_malformed_points_are_422(client: TestClient, session_id: str, body: Any) -> None:
    r = client.post(f"{API}/{session_id}/points", json=body)
    assert r.status_code == 422
    assert state(client, session_id)["points"]["train"] == 250


def test_nan_coordinate_is_refused(client: TestClient, session_id: str) -> None:
    body = b'{"points": [{"x": [NaN, 0], "label": 1}]}'
    r = client.post(
        f"{API}/{session_id}/points", content=body, headers={"content-type": "application/json"}
    )
    assert r.status_code in (400, 422)
    assert state(client, session_id)["points"]["train"] == 250


# --- config -----------------------------------------------------------------------------


def test_config_change_reports_its_effect(client: TestClient, session_id: str) -> None:
    r = client.patch(f"{API}/{session_id}/config", json={"hidden": [{"units": 3}]})
    assert r.status_code == 200
    body = r.json()
    assert body["changes"] == {"regenerated": False, "rebuilt": True, "keys": ["hidden"]}
    assert body["state"]["sizes"] == [2, 3, 1]


def test_lr_change_keeps_the_weights(client: TestClient, session_id: str) -> None:
    client.post(f"{API}/{session_id}/step", json={"epochs": 2})
    before = export(client, session_id)["network"]
    r = client.patch(f"{API}/{session_id}/config", json={"lr": 0.1})
    assert r.json()["changes"]["rebuilt"] is False
    assert export(client, session_id)["network"] == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lr": 99}, "lr"),
        ({"dataset": "nope"}, "dataset"),
        ({"hidden": [{"units": 0}]}, "hidden[0].units"),
        ({"threshold": -1}, "threshold"),
        ({"resolution": 5000}, "resolution"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_config_is_400_and_changes_nothing(
    client: TestClient, session_id: str, changes: dict[str, Any], field: str
) -> None:
    before = export(client, session_id)
    r = client.patch(f"{API}/{session_id}/config", json=changes)
    assert r.status_code == 400
    assert field in r.json()["detail"]
    assert export(client, session_id) == before


@pytest.mark.parametrize("body", [[1, 2], "lr", 3])
def test_config_that_is_not_an_object_is_422(
    client: TestClient, session_id: str, body: Any
) -> None:
    assert client.patch(f"{API}/{session_id}/config", json=body).status_code == 422


# --- training ---------------------------------------------------------------------------


def test_step_advances_the_epoch(client: TestClient, session_id: str) -> None:
    r = client.post(f"{API}/{session_id}/step", json={"epochs": 3})
    assert r.status_code == 200
    body = r.json()
    assert body["epochs"] == 3
    assert body["state"]["epoch"] == 3
    assert body["state"]["step"] == 75
    assert state(client, session_id)["epoch"] == 3


def test_step_without_a_body_trains_one_epoch(client: TestClient, session_id: str) -> None:
    r = client.post(f"{API}/{session_id}/step", json={})
    assert r.json()["state"]["epoch"] == 1


def test_step_changes_the_loss(client: TestClient, session_id: str) -> None:
    before = state(client, session_id)["loss"]["train"]
    after = client.post(f"{API}/{session_id}/step", json={"epochs": 5}).json()["state"]["loss"]
    assert after["train"] != before


@pytest.mark.parametrize(
    "body",
    [{"epochs": 0}, {"epochs": 10_001}, {"epochs": "many"}, {"epochs": 1.5}, {"n": 1}],
    ids=["zero", "too-many", "string", "float", "extra-field"],
)
def test_bad_step_is_422(client: TestClient, session_id: str, body: Any) -> None:
    r = client.post(f"{API}/{session_id}/step", json=body)
    assert r.status_code == 422
    assert state(client, session_id)["epoch"] == 0


def test_step_without_training_points_is_400(client: TestClient, session_id: str) -> None:
    doc = export(client, session_id)
    doc["points"] = {"x": [], "y": [], "test": []}
    assert client.post(f"{API}/{session_id}/import", json=doc).status_code == 200
    r = client.post(f"{API}/{session_id}/step", json={"epochs": 1})
    assert r.status_code == 400
    assert "points" in r.json()["detail"]


def test_reset_restores_the_initial_weights(client: TestClient, session_id: str) -> None:
    initial = export(client, session_id)["network"]
    client.post(f"{API}/{session_id}/step", json={"epochs": 3})
    r = client.post(f"{API}/{session_id}/reset", headers=JSON)
    assert r.status_code == 200
    assert (r.json()["epoch"], r.json()["step"]) == (0, 0)
    assert export(client, session_id)["network"] == initial


def test_set_param_sets_one_bias(client: TestClient, session_id: str) -> None:
    body = {"layer": 1, "kind": "bias", "index": [1], "value": -0.75}
    r = client.post(f"{API}/{session_id}/params", json=body)
    assert r.status_code == 200
    assert export(client, session_id)["network"]["params"][1]["b"][1] == -0.75


def test_set_param_sets_one_weight(client: TestClient, session_id: str) -> None:
    body = {"layer": 0, "kind": "weight", "index": [1, 2], "value": 2.5}
    client.post(f"{API}/{session_id}/params", json=body)
    assert export(client, session_id)["network"]["params"][0]["W"][1][2] == 2.5


@pytest.mark.parametrize(
    "body",
    [
        {"layer": 9, "kind": "weight", "index": [0, 0], "value": 1.0},
        {"layer": 0, "kind": "weight", "index": [5, 0], "value": 1.0},
        {"layer": 0, "kind": "bias", "index": [0, 0], "value": 1.0},
        {"layer": 0, "kind": "weight", "index": [0], "value": 1.0},
    ],
    ids=["layer", "row", "bias-two-indexes", "weight-one-index"],
)
def test_set_param_out_of_range_is_400(
    client: TestClient, session_id: str, body: dict[str, Any]
) -> None:
    before = export(client, session_id)
    r = client.post(f"{API}/{session_id}/params", json=body)
    assert r.status_code == 400
    assert export(client, session_id) == before


@pytest.mark.parametrize(
    "body",
    [
        {"layer": 0, "kind": "gain", "index": [0], "value": 1.0},
        {"layer": -1, "kind": "bias", "index": [0], "value": 1.0},
        {"layer": 0, "kind": "bias", "index": [0], "value": 1e7},
        {"layer": 0, "kind": "bias", "index": [0]},
        {"layer": 0, "kind": "bias", "index": [0], "value": 1.0, "note": "x"},
    ],
    ids=["kind", "negative-layer", "huge-value", "no-value", "extra-field"],
)
def test_malformed_set_param_is_422(
    client: TestClient, session_id: str, body: dict[str, Any]
) -> None:
    assert client.post(f"{API}/{session_id}/params", json=body).status_code == 422


# --- snapshot and history ---------------------------------------------------------------


def test_snapshot_is_a_frame(client: TestClient, session_id: str) -> None:
    r = client.get(f"{API}/{session_id}/snapshot")
    assert r.status_code == 200
    frame = r.json()
    assert frame["type"] == "frame"
    assert frame["resolution"] == 50
    assert [len(p["b"]) for p in frame["params"]] == [4, 2, 1]


@pytest.mark.parametrize("resolution", [8, 21, 200])
def test_snapshot_maps_decode_to_the_grid(
    client: TestClient, session_id: str, resolution: int
) -> None:
    frame = client.get(f"{API}/{session_id}/snapshot", params={"resolution": resolution}).json()
    maps = decode_maps(frame["maps"])
    assert maps.shape == (1 + 4 + 2, resolution * resolution)
    assert np.all((maps[0] >= 0.0) & (maps[0] <= 1.0))


def test_snapshot_maps_of_one_dimensional_data(client: TestClient) -> None:
    sid = client.post(API, json={"config": {"dataset": "age", "features": ["x1"]}}).json()["id"]
    frame = client.get(f"{API}/{sid}/snapshot", params={"resolution": 30}).json()
    assert decode_maps(frame["maps"]).shape == (7, 30)


def test_snapshot_output_map_matches_the_network(client: TestClient, session_id: str) -> None:
    frame = client.get(f"{API}/{session_id}/snapshot", params={"resolution": 10}).json()
    maps = decode_maps(frame["maps"])
    # Column 0 is the view's bottom-left corner (-6, -6); compare with a forward pass.
    from app.training import Session

    s = Session.from_export(export(client, session_id))
    p = s.net.forward(s.grid_inputs(10))[:, 0]
    assert np.max(np.abs(maps[0] - p)) <= 1 / 255 + 1e-9


@pytest.mark.parametrize("resolution", [7, 201, "fine"])
def test_snapshot_resolution_out_of_range_is_422(
    client: TestClient, session_id: str, resolution: Any
) -> None:
    r = client.get(f"{API}/{session_id}/snapshot", params={"resolution": resolution})
    assert r.status_code == 422


NEURON = {"dataset": "age", "features": ["x1"], "hidden": []}  # one input and a bias


def test_surface_of_a_single_neuron(client: TestClient) -> None:
    sid = client.post(API, json={"config": NEURON}).json()["id"]
    client.post(f"{API}/{sid}/step", json={"epochs": 2})
    r = client.get(f"{API}/{sid}/surface", params={"resolution": 9})
    assert r.status_code == 200
    body = r.json()
    assert (len(body["w"]), len(body["b"])) == (9, 9)
    assert [len(row) for row in body["loss"]] == [9] * 9
    assert len(body["path"]) == 3


def test_surface_of_a_larger_network_is_400(client: TestClient, session_id: str) -> None:
    r = client.get(f"{API}/{session_id}/surface")
    assert r.status_code == 400
    assert "one input" in r.json()["detail"]


@pytest.mark.parametrize("resolution", [7, 102])
def test_surface_resolution_out_of_range_is_422(client: TestClient, resolution: int) -> None:
    sid = client.post(API, json={"config": NEURON}).json()["id"]
    r = client.get(f"{API}/{sid}/surface", params={"resolution": resolution})
    assert r.status_code == 422


def test_history_grows_with_each_step(client: TestClient, session_id: str) -> None:
    client.post(f"{API}/{session_id}/step", json={"epochs": 2})
    client.post(f"{API}/{session_id}/step", json={"epochs": 2})
    r = client.get(f"{API}/{session_id}/history")
    assert r.status_code == 200
    assert [h["epoch"] for h in r.json()["history"]] == [0, 2, 4]
    assert r.json()["path"] == []  # 23 parameters: too many for a weight path


def test_history_of_a_small_network_has_a_weight_path(client: TestClient) -> None:
    sid = client.post(API, json={"config": {"hidden": []}}).json()["id"]
    client.post(f"{API}/{sid}/step", json={"epochs": 1})
    path = client.get(f"{API}/{sid}/history").json()["path"]
    assert len(path) == 2
    assert len(path[0]) == 3


# --- export and import ------------------------------------------------------------------


def test_export_then_import_gives_the_same_state(client: TestClient, session_id: str) -> None:
    client.post(f"{API}/{session_id}/step", json={"epochs": 3})
    doc = export(client, session_id)
    r = client.post(f"{API}/import", json=doc)
    assert r.status_code == 201
    new_id = r.json()["id"]
    assert new_id != session_id
    assert r.json()["state"] == state(client, session_id)
    assert export(client, new_id) == doc


def test_imported_session_trains_like_the_original(client: TestClient, session_id: str) -> None:
    client.post(f"{API}/{session_id}/step", json={"epochs": 2})
    copy = client.post(f"{API}/import", json=export(client, session_id)).json()["id"]
    for sid in (session_id, copy):
        client.post(f"{API}/{sid}/step", json={"epochs": 5})
    assert export(client, copy) == export(client, session_id)


def test_import_into_replaces_the_state(client: TestClient, session_id: str) -> None:
    other = client.post(API, json={"config": {"dataset": "xor"}}).json()["id"]
    client.post(f"{API}/{other}/step", json={"epochs": 4})
    doc = export(client, other)
    r = client.post(f"{API}/{session_id}/import", json=doc)
    assert r.status_code == 200
    assert r.json()["state"]["epoch"] == 4
    assert r.json()["history"] == doc["history"]
    assert export(client, session_id) == doc


@pytest.mark.parametrize(
    "doc",
    [{}, {"version": 2}, {"version": 1}, {"version": 1, "config": {"lr": 99}}],
    ids=["empty", "version", "no-parts", "bad-config"],
)
def test_bad_import_is_400(client: TestClient, doc: dict[str, Any]) -> None:
    before = client.get("/healthz").json()["sessions"]
    r = client.post(f"{API}/import", json=doc)
    assert r.status_code == 400
    assert client.get("/healthz").json()["sessions"] == before


def test_bad_import_into_is_400_and_changes_nothing(client: TestClient, session_id: str) -> None:
    before = export(client, session_id)
    doc = dict(before, network={"config": before["network"]["config"], "params": []})
    r = client.post(f"{API}/{session_id}/import", json=doc)
    assert r.status_code == 400
    assert export(client, session_id) == before


@pytest.mark.parametrize("route", ["/import", "/{id}/import"])
def test_import_of_a_non_object_is_422(client: TestClient, session_id: str, route: str) -> None:
    r = client.post(API + route.replace("{id}", session_id), json=[1, 2, 3])
    assert r.status_code == 422


# --- body size --------------------------------------------------------------------------


def test_declared_body_over_the_limit_is_413(make_client: Callable[..., TestClient]) -> None:
    c = make_client(max_body_bytes=200)
    sid = c.post(API, json={}).json()["id"]
    points = [{"x": [0.0, 0.0], "label": 1}] * 20
    r = c.post(f"{API}/{sid}/points", json={"points": points})
    assert r.status_code == 413
    assert c.get(f"{API}/{sid}").json()["points"]["train"] == 250


def test_streamed_body_over_the_limit_is_413(make_client: Callable[..., TestClient]) -> None:
    c = make_client(max_body_bytes=200)

    def chunks() -> Any:
        yield b'{"config": {"dataset": "'
        yield b"x" * 300
        yield b'"}}'

    r = c.post(API, content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert c.get("/healthz").json()["sessions"] == 0


def test_body_within_the_limit_is_accepted(make_client: Callable[..., TestClient]) -> None:
    c = make_client(max_body_bytes=200)
    assert c.post(API, json={"config": {"dataset": "xor"}}).status_code == 201


# --- never a server error ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("POST", "/points", {"points": [{"x": [1e300, 0], "label": 1}]}),
        ("POST", "/points", {"points": [{"x": [0, 0], "label": 1e300}]}),
        ("PATCH", "/config", {"hidden": "deep"}),
        ("PATCH", "/config", {"hidden": [1, 2]}),
        ("PATCH", "/config", {"features": "x1"}),
        ("PATCH", "/config", {"seed": 2**80}),
        ("PATCH", "/config", {"points": 1e300}),
        ("POST", "/params", {"layer": 2**70, "kind": "bias", "index": [0], "value": 1}),
        ("POST", "/import", {"version": 1, "config": [], "points": 1}),
        ("POST", "/import", {"version": 1, "config": {}, "points": {"x": [[0, "a"]], "y": [1]}}),
        ("POST", "/import", {"version": True}),
    ],
)
def test_odd_values_never_give_a_server_error(
    client: TestClient, session_id: str, method: str, suffix: str, body: Any
) -> None:
    r = client.request(method, f"{API}/{session_id}{suffix}", json=body)
    assert r.status_code in (400, 422)
    assert isinstance(r.json()["detail"], str)
