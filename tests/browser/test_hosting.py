"""The page as it is hosted: from an installed wheel run elsewhere, its API docs with no other
host reachable, refused with a reason that names the setting, and over TLS through HAProxy
in front of three replicas."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playground_page import Playground
from playwright.sync_api import Browser, BrowserContext, Route, expect

from app.serving import ServerThread, free_port
from app.settings import Settings
from bench.cluster import Cluster, wait_until

ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = ("127.0.0.1", "localhost", "[::1]", "::1")
START_SECONDS = 60.0

pytestmark = pytest.mark.timeout(240)


def drawn(pg: Playground, url: str) -> Playground:
    pg.page.goto(url)
    pg.wait_drawn()
    pg.expect_status("idle")
    return pg


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(ignore_https_errors=True)
    yield ctx
    ctx.close()


# --- the installed wheel ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The wheel built from this checkout, installed (no dependencies, no index) into a fresh
    venv whose only other packages are this venv's (through a path file, which does not run
    the checkout's editable-install hook), serving from another folder; its URL."""
    tmp = tmp_path_factory.mktemp("installed")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--wheel-dir", str(tmp / "dist"), str(ROOT)],
        check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = (tmp / "dist").glob("nn_playground-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    (Path(site) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = subprocess.run(
        [str(python), "-c", "import app; print(app.__file__)"],
        cwd=elsewhere, env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    assert where.startswith(site), f"app imported from {where}, not the installed wheel"
    port = free_port()
    log = open(tmp / "server.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [str(venv / "bin" / "nn-playground"), "--port", str(port)],
        cwd=elsewhere, env={**env, "NNP_WORKERS": "0"}, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: httpx.get(f"{url}/healthz").status_code == 200,
            START_SECONDS,
            "the installed server did not answer",
        )
        yield url
    finally:
        server.terminate()
        server.wait(15)
        log.close()


def test_the_installed_wheel_serves_the_page_from_another_folder(
    installed: str, context: BrowserContext
) -> None:
    pg = Playground(context.new_page(), httpx.Client(base_url=installed), installed)
    drawn(pg, f"{installed}/")
    pg.step(3)
    pg.expect_epoch(3)
    assert pg.errors == []


# --- the API docs, offline --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "rendered"),
    [("/docs", ".swagger-ui .opblock"), ("/redoc", "[data-section-id], .menu-content li")],
)
def test_docs_render_with_every_other_host_blocked(
    base_url: str, context: BrowserContext, path: str, rendered: str
) -> None:
    elsewhere: list[str] = []

    def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOOPBACK or route.request.url.startswith(
            ("data:", "blob:")
        ):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{base_url}{path}")
    expect(page.locator(rendered).first).to_be_visible(timeout=20_000)
    expect(page.get_by_text("/api/sessions").first).to_be_attached()
    assert elsewhere == []
    # ReDoc's logo from its maker's CDN is refused by the page's own policy, before any
    # request: the one error allowed.
    assert [e for e in errors if "Content Security Policy" not in e] == []


# --- connecting, or saying why not ------------------------------------------------------------


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost"])
def test_the_default_origin_works_at_either_loopback_name(
    base_url: str, context: BrowserContext, api: httpx.Client, name: str
) -> None:
    url = base_url.replace("127.0.0.1", name)
    pg = drawn(Playground(context.new_page(), api, url), f"{url}/")
    assert pg.errors == []


def test_a_refused_origin_is_explained_by_the_page(context: BrowserContext) -> None:
    settings = Settings(allowed_origins=("https://playground.example.org",), workers=0)
    with ServerThread(settings) as server:
        page = context.new_page()
        page.goto(f"{server.base_url}/")
        status = page.locator("#status")
        expect(status).to_have_attribute("data-status", "refused", timeout=15_000)
        expect(status).to_contain_text("NNP_ALLOWED_ORIGINS")
        expect(status).to_contain_text(server.base_url)


# --- over TLS through HAProxy, in front of three replicas ---------------------------------


@pytest.fixture(scope="module")
def tls_cluster() -> Iterator[Cluster]:
    with Cluster(3, tls=True) as cluster:
        yield cluster


def test_the_page_over_https_through_haproxy_loads_no_plain_http(
    tls_cluster: Cluster, context: BrowserContext
) -> None:
    """No NNP_ALLOWED_ORIGINS: the replicas believe HAProxy's X-Forwarded-Proto, so the
    page's https:// origin is their own. A script attaches to the page's session through
    the proxy and trains it; the page follows."""
    page = context.new_page()
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.on("websocket", lambda ws: urls.append(ws.url))
    with httpx.Client(base_url=tls_cluster.https_url, verify=False, timeout=10.0) as api:
        pg = drawn(Playground(page, api, tls_cluster.https_url), f"{tls_cluster.https_url}/")
        assert pg.session_id().split("-", 1)[0] in tls_cluster.names
        pg.step(4)
        pg.expect_epoch(4)
    assert pg.errors == []  # mixed content would be a console error
    assert urls and all(u.startswith(("https://", "wss://", "data:")) for u in urls), urls
    assert any(u.startswith("wss://") for u in urls)
