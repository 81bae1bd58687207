"""Nothing lost on restart: the page keeps a copy of its session and, when the server no
longer knows it, re-creates it from that copy and says so."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playground_page import Playground
from playwright.sync_api import BrowserContext

from app.serving import free_port

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

START_SECONDS = 30.0


def command() -> list[str]:
    script = Path(sys.executable).with_name("nn-playground")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app"]


@contextlib.contextmanager
def real_server(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """``nn-playground --port PORT`` in a process of its own, once it answers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NNP_")}
    env["NNP_WORKERS"] = "1"
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [*command(), "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + START_SECONDS
            while True:
                assert proc.poll() is None, "the server exited"
                with contextlib.suppress(httpx.TransportError):
                    url = f"http://127.0.0.1:{port}/healthz"
                    if httpx.get(url, timeout=1.0, trust_env=False).status_code == 200:
                        break
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)  # polling a process that starts: the condition is above
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)


def kept(pg: Playground) -> dict[str, Any] | None:
    doc: dict[str, Any] | None = pg.page.evaluate("() => window.playground.socket.kept")
    return doc


def test_a_playing_page_survives_a_kill_9_and_restart(desktop: BrowserContext) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=10.0, trust_env=False) as api:
        with real_server(port) as first:
            pg = Playground(desktop.new_page(), api, base)
            pg.open("#dataset=xor&hidden=4:tanh")
            old = pg.session_id()
            pg.button("Play").click()
            pg.wait_epoch_at_least(30)
            pg.wait_js("() => (window.playground.socket.kept?.history?.length ?? 0) >= 20")
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        pg.expect_status("reconnecting")
        copy = kept(pg)  # the copy the page has now: the server is gone, nothing changes it
        assert copy is not None and copy["config"]["dataset"] == "xor"
        with real_server(port):
            note = pg.page.locator("#rebuild-note")
            pg.wait_js(
                "() => /restored at epoch \\d+/.test(document.getElementById('rebuild-note')"
                ".textContent)",
                timeout=30_000,
            )
            epoch = int(note.text_content().rsplit(" ", 1)[1].rstrip("."))  # type: ignore[union-attr]
            sid = pg.session_id()
            assert sid != old
            pg.wait_epoch_at_least(epoch + 20)  # it plays on
            after = pg.export()
            assert after["config"] == copy["config"]
            assert after["points"] == copy["points"]
            # It went on from the copy's weights: its history begins with the copy's.
            assert after["history"][: len(copy["history"])] == copy["history"]
            assert len(after["history"]) > len(copy["history"])
            pg.page.close()
        assert pg.errors == [] or all("WebSocket" in e or "Failed" in e for e in pg.errors)
