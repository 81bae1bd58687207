"""Fuzzing the HTTP API against its own OpenAPI schema, and with extreme JSON bodies.

Schemathesis generates requests for every operation (valid and invalid ones); whatever it
sends, the server never answers with a 5xx and every answer has a declared status code,
content type and body schema. Operations on a session are sent either to a live session or
to the generated id.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from clients import UNLIMITED_CLIENT
from extremes import EXTREME, HOLE, with_token
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.main import create_app
from app.settings import Settings

pytestmark = pytest.mark.timeout(120)

SETTINGS = Settings(allowed_hosts=("testserver",), max_sessions=10_000, **UNLIMITED_CLIENT)
APP = create_app(SETTINGS)
LIVE = "live-session"  # stands for an existing session's id, resolved when a case is sent

# Schemathesis serves APP on one event loop of its own, which runs the app's lifespan: the
# app's sessions belong to that loop, so a session the cases use is made through it too.
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
_app_client = asgi.get_client(APP)

_live_ids: list[str] = []


def live_session() -> str:
    """The id of a session that exists (a new one when the last was deleted)."""
    if _live_ids and _app_client.get(f"/api/sessions/{_live_ids[-1]}").status_code == 200:
        return _live_ids[-1]
    r = _app_client.post("/api/sessions", json={"config": {"points": 50}})
    assert r.status_code == 201, r.text
    _live_ids.append(r.json()["id"])
    return _live_ids[-1]


@schema.hook
def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any] | None
) -> st.SearchStrategy[dict[str, Any] | None]:
    """Half the cases name a live session instead of the generated id."""
    if not path_parameters or "session_id" not in path_parameters:
        return st.just(path_parameters)
    return st.sampled_from([{**path_parameters, "session_id": LIVE}, path_parameters])


@pytest.fixture(scope="module", autouse=True)
def _end_sessions() -> Iterator[None]:
    yield
    for sid in _live_ids:
        _app_client.delete(f"/api/sessions/{sid}")


@schema.parametrize()
@settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    if case.path_parameters and case.path_parameters.get("session_id") == LIVE:
        case.path_parameters["session_id"] = live_session()
    case.call_and_validate(
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ]
    )


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(SETTINGS)) as c:
        yield c


@pytest.fixture(scope="module")
def document(client: TestClient) -> dict[str, Any]:
    """An export of a small trained session."""
    sid = client.post("/api/sessions", json={"config": {"points": 20, "method": "adam"}}).json()
    assert client.post(f"/api/sessions/{sid['id']}/step", json={"epochs": 2}).status_code == 200
    doc: dict[str, Any] = client.get(f"/api/sessions/{sid['id']}/export").json()
    return doc


def holes(value: Any) -> Iterator[Any]:
    """Copies of ``value`` with one leaf (the first of each list) replaced by ``HOLE``."""
    if isinstance(value, dict):
        for k, v in value.items():
            for sub in holes(v):
                yield {**value, k: sub}
    elif isinstance(value, list) and value:
        for sub in holes(value[0]):
            yield [sub, *value[1:]]
    yield HOLE


def _bodies(document: dict[str, Any]) -> list[tuple[str, str, Any, list[str]]]:
    """(method, path, a JSON body, the tokens to put in its leaves)."""
    config = {"points": 10, "lr": 0.1, "hidden": [{"units": 2, "activation": "relu"}]}
    point = {"x": [0.0, 0.0], "label": 1, "test": False}
    param = {"layer": 0, "kind": "bias", "index": [0], "value": 0.5}
    every = list(EXTREME.values())
    some = [EXTREME[k] for k in ("NaN", "1e400 as an integer", "nested 900")]  # big bodies
    return [
        ("POST", "", {"config": config}, every),
        ("POST", "/import", document, some),
        ("POST", "/{id}/points", {"points": [point]}, every),
        ("PATCH", "/{id}/config", config, every),
        ("POST", "/{id}/step", {"epochs": 1}, every),
        ("POST", "/{id}/params", param, every),
        ("POST", "/{id}/import", document, some),
    ]


def test_extreme_json_bodies_refused(client: TestClient, document: dict[str, Any]) -> None:
    """Every leaf of every JSON body set to extreme tokens: a 422 naming the JSON, and the
    session unchanged."""
    made = client.post("/api/sessions", json={"config": {"points": 50}})
    assert made.status_code == 201, made.text
    sid = made.json()["id"]
    before = client.get(f"/api/sessions/{sid}/export").json()
    for method, path, body, tokens in _bodies(document):
        url = "/api/sessions" + path.replace("{id}", sid)
        for shape in holes(body):
            for token in tokens:
                content = with_token(shape, token)
                r = client.request(
                    method, url, content=content, headers={"content-type": "application/json"}
                )
                assert r.status_code == 422, (method, path, content[:200], r.text)
                assert r.json()["detail"].startswith("invalid JSON"), r.text
    assert client.get(f"/api/sessions/{sid}/export").json() == before
