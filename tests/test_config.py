"""The one definition of every setting: strict validation on every path (Python, socket,
HTTP, import), the page's and the API's view of it, and plug-ins that need one entry."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.errors import InvalidInput
from app.main import create_app
from app.nn import ACTIVATIONS, OPTIMIZERS
from app.training import Session
from app.training.config import DEFAULTS, METHOD_SETTINGS, SETTINGS, page_config
from tests.conftest import make_settings
from tests.test_ws import command, until

pytestmark = pytest.mark.timeout(120)

HOSTILE_CONFIGS: list[dict[str, Any]] = [
    {"dataset": []},
    {"dataset": {}},
    {"method": []},
    {"method": {}},
    {"loss": []},
    {"regularization": {}},
    {"hidden": [{"units": 2, "activation": []}]},
    {"hidden": [{"units": 2, "activation": "tanh", "extra": 1}]},
    {"features": [[]]},
    {"points": True},
    {"points": "5"},
    {"points": 5.0},
    {"lr": "0.1"},
    {"lr": False},
    {"normalize": 1},
    {"crossover": "yes"},
    {"population": 10, "elite": 10},
    {"no_such_setting": 1},
]


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(max_sessions=1000, workers=0))) as c:
        yield c


# --- Python -------------------------------------------------------------------------------


@pytest.mark.parametrize("changes", HOSTILE_CONFIGS, ids=json.dumps)
def test_a_bad_change_is_invalid_input_naming_the_field_and_changes_nothing(
    changes: dict[str, Any],
) -> None:
    s = Session()
    before = s.export()
    with pytest.raises(InvalidInput) as err:
        s.configure(changes)
    assert any(key.split("_")[0] in str(err.value) for key in changes)
    assert s.export() == before


@pytest.mark.parametrize("changes", HOSTILE_CONFIGS, ids=json.dumps)
def test_a_bad_config_cannot_create_a_session(changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        Session(changes)


def test_every_setting_has_a_default_a_type_and_an_effect() -> None:
    assert set(DEFAULTS) == set(SETTINGS)
    for key, s in SETTINGS.items():
        assert s.check(copy.deepcopy(s.default)) == s.default, key
        assert s.effect in ("regenerate", "reseed", "rebuild", "keep", "view")
        if s.kind in ("int", "float"):
            assert s.lo is not None and s.hi is not None and s.lo <= s.default <= s.hi


@pytest.mark.parametrize(("kind", "good", "bad"), [
    ("int", 5, [5.0, "5", True, None]),
    ("float", 0.5, ["0.5", False, None, float("nan")]),
    ("bool", True, [1, "true", None]),
])  # fmt: skip
def test_types_are_strict(kind: str, good: Any, bad: list[Any]) -> None:
    setting = next(
        s for s in SETTINGS.values() if s.kind == kind and (kind == "bool" or s.lo != s.hi)
    )
    value = good if kind == "bool" else min(max(good, setting.lo), setting.hi)
    assert setting.check(value) == value
    for v in bad:
        with pytest.raises(InvalidInput, match=setting.key):
            setting.check(v)


def test_every_method_has_its_settings_from_its_registry() -> None:
    for name, opt in OPTIMIZERS.items():
        assert set(METHOD_SETTINGS[name]) == {"batch_size", *opt.SETTINGS} - opt.HIDDEN
    assert set(METHOD_SETTINGS["evolution"]) == {"population", "sigma", "elite", "crossover"}


# --- regularization is training --------------------------------------------------------


@pytest.mark.parametrize("changes", [
    {"regularization": "l2"},
    {"regularization": "l1", "regularization_rate": 0.3},
])  # fmt: skip
def test_changing_regularization_keeps_the_network_and_its_weights(changes: dict) -> None:
    s = Session({"regularization": "l2", "regularization_rate": 0.01})
    s.step(3)
    net, theta, epoch = s.net, s.net.theta.copy(), s.trainer.epoch
    result = s.configure(changes)
    assert not result.rebuilt and s.net is net and s.trainer.epoch == epoch
    np.testing.assert_array_equal(s.net.theta, theta)
    assert s.net.config.regularization == changes["regularization"]
    loss_before = s.losses()[0]
    s.configure({"regularization_rate": 1.0})
    assert s.losses()[0] != loss_before  # the penalty follows the new rate at once


# --- the socket and HTTP -------------------------------------------------------------------


@pytest.mark.parametrize("changes", HOSTILE_CONFIGS[:8], ids=json.dumps)
def test_the_socket_answers_a_bad_config_with_an_error_and_stays_open(
    client: TestClient, changes: dict[str, Any]
) -> None:
    with client.websocket_connect("/ws") as ws:
        until(ws, lambda m: m["type"] == "frame")
        before = command(ws, "get_state")["state"]["config"]
        reply = command(ws, "config", changes=changes)
        assert reply["type"] == "error" and reply["command"] == "config"
        assert command(ws, "get_state")["state"]["config"] == before


@pytest.mark.parametrize("changes", HOSTILE_CONFIGS, ids=json.dumps)
def test_http_refuses_a_bad_config_with_a_4xx(client: TestClient, changes: dict) -> None:
    r = client.post("/api/sessions", json={"config": changes})
    assert r.status_code in (400, 422) and r.json()["detail"]
    sid = client.post("/api/sessions", json={}).json()["id"]
    before = client.get(f"/api/sessions/{sid}").json()["config"]
    r = client.patch(f"/api/sessions/{sid}/config", json=changes)
    assert r.status_code in (400, 422) and r.json()["detail"]
    assert client.get(f"/api/sessions/{sid}").json()["config"] == before


@pytest.mark.parametrize(("path", "body"), [
    ("step", {"epochs": True}),
    ("step", {"epochs": "5"}),
    ("step", {"epochs": 5.0}),
    ("params", {"layer": 0, "kind": "weight", "index": [0, 0], "value": False}),
    ("params", {"layer": "0", "kind": "weight", "index": [0, 0], "value": 1}),
    ("points", {"points": [{"x": ["0", "0"], "label": 1}]}),
    ("points", {"points": [{"x": [0, 0], "label": True}]}),
    ("points", {"points": [{"x": [0, 0], "label": 1, "test": "yes"}]}),
])  # fmt: skip
def test_http_bodies_are_as_strict_as_socket_messages(
    client: TestClient, path: str, body: dict[str, Any]
) -> None:
    sid = client.post("/api/sessions", json={}).json()["id"]
    before = client.get(f"/api/sessions/{sid}/export").json()
    r = client.post(f"/api/sessions/{sid}/{path}", json=body)
    assert r.status_code == 422, r.text
    assert client.get(f"/api/sessions/{sid}/export").json() == before


def test_api_config_serves_every_definition(client: TestClient) -> None:
    body = client.get("/api/config").json()
    assert body == json.loads(json.dumps(page_config()))
    assert body["defaults"] == DEFAULTS
    assert body["choices"]["activation"] == list(ACTIVATIONS)
    assert {s["key"] for s in body["settings"]} == set(SETTINGS)


def test_the_page_embeds_the_definitions(client: TestClient) -> None:
    html = client.get("/").text
    start = html.index('<script type="application/json" id="config">') + len(
        '<script type="application/json" id="config">'
    )
    embedded = json.loads(html[start : html.index("</script>", start)])
    assert embedded == json.loads(json.dumps(page_config()))


# --- a plug-in is one entry --------------------------------------------------------------


def test_swish_and_rmsprop_appear_everywhere(client: TestClient) -> None:
    cfg = client.get("/api/config").json()
    assert "swish" in cfg["choices"]["activation"] and "rmsprop" in cfg["choices"]["method"]
    assert "rho" in cfg["methods"]["rmsprop"]
    schema = json.dumps(client.get("/openapi.json").json())
    assert '"swish"' in schema and '"rmsprop"' in schema and '"rho"' in schema
    r = client.post(
        "/api/sessions",
        json={"config": {"method": "rmsprop", "rho": 0.8,
                         "hidden": [{"units": 3, "activation": "swish"}]}},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    assert client.post(f"/api/sessions/{sid}/step", json={"epochs": 5}).json()["epochs"] == 5
    doc = client.get(f"/api/sessions/{sid}/export").json()
    assert doc["trainer"]["method"]["kind"] == "rmsprop"
    assert client.post("/api/sessions/import", json=doc).status_code == 201


# --- import checked to the last field ---------------------------------------------------


def _tampered(doc: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return out


def test_import_refuses_a_document_that_does_not_fit() -> None:
    s = Session({"method": "evolution", "hidden": [], "features": ["x1"], "points": 40})
    s.step(2)
    doc = s.export()
    bad = [
        (["trainer", "method", "kind"], "sgd"),
        (["config", "method"], "sgd"),
        (["trainer", "method", "sigma"], 0.5),
        (["history", 0, "step"], "1" * 4000),
        (["history", 0, "step"], -1),
        (["history", 0, "step"], 0.5),
        (["history", 0, "extra"], 1),
        (["path"], [[0.0, 0.0]] * 20_000),
        (["path", 0], [0.0]),
        (["trainer", "step"], 10**300),
        (["trainer", "epoch"], True),
        (["trainer", "rng", "state", "state"], "9" * 4000),
        (["network", "params", 0, "W"], [[True]]),
        (["network", "params", 0, "extra"], 1),
        (["points", "test", 0], "yes"),
        (["points", "x", 0], ["0.1", "0.2"]),
        (["extra"], 1),
    ]
    for path, value in bad:
        with pytest.raises(InvalidInput):
            Session.from_export(_tampered(doc, path, value))


CONFIGS = st.fixed_dictionaries(
    {
        "dataset": st.sampled_from(["circle", "xor", "blobs", "plane", "age"]),
        "method": st.sampled_from(SETTINGS["method"].choices),
        "points": st.integers(20, 120),
        "seed": st.integers(0, 2**31 - 1),
        "regularization": st.sampled_from(SETTINGS["regularization"].choices),
        "regularization_rate": st.sampled_from([0.0, 0.001, 0.1]),
        "hidden": st.lists(
            st.fixed_dictionaries(
                {"units": st.integers(1, 4), "activation": st.sampled_from(list(ACTIVATIONS))}
            ),
            max_size=2,
        ),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=CONFIGS, epochs=st.integers(0, 4), reset_after=st.booleans())
def test_export_import_export_is_identical(
    config: dict[str, Any], epochs: int, reset_after: bool
) -> None:
    s = Session(config)
    if epochs:
        s.step(epochs)
    if reset_after:
        s.configure({"lr": 0.1, "population": 20})
    doc = json.loads(json.dumps(s.export()))
    again = Session.from_export(doc)
    assert json.loads(json.dumps(again.export())) == doc


# --- one points/CSV pipeline --------------------------------------------------------------


def test_csv_round_trips_through_http_and_python(client: TestClient) -> None:
    sid = client.post("/api/sessions", json={"config": {"points": 30}}).json()["id"]
    text = client.get(f"/api/sessions/{sid}/points.csv").text
    assert text.splitlines()[0] == "x1,x2,label,test" and len(text.splitlines()) == 31
    s = Session({"points": 30})
    assert s.points_csv() == text  # same seed, same points, same text
    r = client.post(f"/api/sessions/{sid}/points/csv", json={"text": "x1,x2,label\n1,2,1\n"})
    assert r.status_code == 200 and r.json()["points"] == 1
    assert s.load_csv("x1,x2,label,test\n1,2,1,1\n") == 1 and s.is_test.tolist() == [True]


@pytest.mark.parametrize("text", [
    "x1,x2,label,test\n1,2,7,0\n",  # not a class
    "x1,x2,label,test\n100,2,1,0\n",  # outside the view
    "x1,x2,label,test\n1,2,1,maybe\n",
    "a,b\n1,2\n",
])  # fmt: skip
def test_a_bad_csv_is_refused_naming_the_line_and_changes_nothing(
    client: TestClient, text: str
) -> None:
    sid = client.post("/api/sessions", json={}).json()["id"]
    before = client.get(f"/api/sessions/{sid}/points.csv").text
    r = client.post(f"/api/sessions/{sid}/points/csv", json={"text": text})
    assert r.status_code == 400 and r.json()["detail"]
    assert client.get(f"/api/sessions/{sid}/points.csv").text == before


def test_the_protocol_document_holds_the_settings_table() -> None:
    from pathlib import Path

    from app.training.docs import settings_table

    doc = (Path(__file__).parents[1] / "docs" / "protocol.md").read_text()
    start = doc.index("<!-- settings table")
    table = doc[doc.index("\n", start) + 1 : doc.index("<!-- end of settings table -->")]
    assert table == settings_table(), "run python -m app.training.docs and paste its table"


def test_http_replies_are_the_sessions_own_values(client: TestClient) -> None:
    for config in ({}, {"dataset": "blobs", "classes": 4}):
        s = Session(config)
        sid = client.post("/api/sessions", json={"config": config}).json()["id"]
        assert client.get(f"/api/sessions/{sid}/export").json() == json.loads(
            json.dumps(s.export())
        )
        assert client.get(f"/api/sessions/{sid}").json()["network"] == s.state()["network"]
