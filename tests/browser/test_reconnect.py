"""The page's connection: it comes back after the socket drops, and starts over on a new
session when its session ends."""

from __future__ import annotations

import re

import pytest
from playground_page import Playground
from playwright.sync_api import WebSocketRoute

pytestmark = pytest.mark.browser

CLOSE_SERVICE_RESTART = 1012

STATUS_LOG_JS = """() => {
  window.statusLog = [];
  const el = document.getElementById('status');
  new MutationObserver(() => window.statusLog.push(el.dataset.status))
    .observe(el, { attributes: true, attributeFilter: ['data-status'] });
}"""


def test_page_reconnects_to_its_session_after_the_socket_drops(pg: Playground) -> None:
    # Every socket goes through a pass-through route, so the test can cut one as a server
    # going away would: both ends closed, the page told "service restart".
    routes: list[tuple[WebSocketRoute, WebSocketRoute]] = []

    def relay(ws: WebSocketRoute) -> None:
        routes.append((ws, ws.connect_to_server()))

    pg.page.route_web_socket(re.compile(r"/ws(\?|$)"), relay)
    pg.open()
    sid = pg.session_id()
    pg.button("Step").click()
    pg.expect_epoch(1)
    assert len(routes) == 1
    pg.page.evaluate(STATUS_LOG_JS)

    page_end, server_end = routes[0]
    server_end.close()
    page_end.close(code=CLOSE_SERVICE_RESTART, reason="restarting")
    pg.wait_js("() => window.statusLog.includes('reconnecting')")
    pg.wait_js("() => window.statusLog.at(-1) === 'idle'")
    assert len(routes) == 2
    assert pg.session_id() == sid  # the same session, picked up again
    pg.button("Step").click()
    pg.expect_epoch(2)
    assert pg.session_state()["epoch"] == 2
    assert pg.errors == []


def test_page_starts_a_new_session_when_its_session_ends(pg: Playground) -> None:
    pg.open("#dataset=xor&hidden=3:relu")
    pg.wait_config("dataset", "xor")
    old = pg.session_id()
    pg.page.evaluate(STATUS_LOG_JS)

    assert pg.api.delete(f"/api/sessions/{old}").status_code == 204
    pg.wait_js("old => ![undefined, null, old].includes(window.playground.app.sessionId)", old)
    pg.wait_config("hidden", [{"units": 3, "activation": "relu"}])
    pg.wait_js("() => window.statusLog.at(-1) === 'idle'")
    assert "reconnecting" in pg.page.evaluate("() => window.statusLog")
    assert pg.api.get(f"/api/sessions/{old}").status_code == 404
    state = pg.session_state()  # the new one, set up as the page's link says
    assert state["epoch"] == 0
    assert state["config"]["dataset"] == "xor"
    assert state["config"]["hidden"] == [{"units": 3, "activation": "relu"}]
    assert "dataset=xor" in pg.page.evaluate("() => location.hash")
    pg.button("Step").click()
    pg.expect_epoch(1)
    assert pg.session_state()["epoch"] == 1
    assert pg.errors == []
