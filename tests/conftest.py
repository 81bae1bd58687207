"""Shared fixtures: the app under test behind Starlette's TestClient."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from clients import UNLIMITED_CLIENT
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings

TEST_HOST = "testserver"  # the Host header TestClient sends


def make_settings(**overrides: Any) -> Settings:
    """Settings that accept TestClient's host, with ``overrides`` applied."""
    return Settings(allowed_hosts=(TEST_HOST,), **{**UNLIMITED_CLIENT, **overrides})


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    """One app per test module, with room for every session the module creates."""
    with TestClient(create_app(make_settings(max_sessions=1000))) as c:
        yield c


@pytest.fixture
def make_client() -> Iterator[Callable[..., TestClient]]:
    """A factory: ``make_client(**settings)`` gives a client of a fresh app with those
    settings; every client made is closed after the test."""
    with contextlib.ExitStack() as stack:

        def make(**overrides: Any) -> TestClient:
            return stack.enter_context(TestClient(create_app(make_settings(**overrides))))

        yield make


@pytest.fixture
def session_id(client: TestClient) -> str:
    """A new session created over HTTP with the default config."""
    r = client.post("/api/sessions", json={})
    assert r.status_code == 201, r.text
    sid: str = r.json()["id"]
    return sid
