"""Fixtures for the browser tests: a real uvicorn server on a free loopback port, headless
Chromium through Playwright, and pages that record console errors and leave a screenshot of
every test in ``test-artifacts/``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

# This directory has no __init__.py, so pytest puts it on sys.path: the page helper
# module imports by its name.
from playground_page import ARTIFACTS, VIEWPORT, Playground
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from app.serving import ServerThread
from app.settings import Settings
from bench.browser import CHROMIUM, CHROMIUM_ARGS

START_SECONDS = 15.0


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    """The app served by uvicorn on a thread of this process; its URL."""
    try:
        server = ServerThread(
            Settings(
                max_sessions=500,  # one address opens every page: no per-address budget
                client_requests_per_second=1e6,
                client_request_burst=10**6,
                max_sockets_per_client=10**4,
            )
        ).start(START_SECONDS)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield server.base_url
    server.stop(START_SECONDS)


@pytest.fixture(scope="session")
def api(base_url: str) -> Iterator[httpx.Client]:
    """An HTTP client of the same server: the sessions' real state."""
    with httpx.Client(base_url=base_url, timeout=10.0) as client:
        yield client


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one test module: Playwright's sync API holds an event loop on the main
    thread while it runs, so it is stopped before other tests' asyncio code runs."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"Chromium is missing: the browser tests need {CHROMIUM} "
            "(Debian/Ubuntu: apt-get install chromium)"
        )
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def desktop(browser: Browser) -> Iterator[BrowserContext]:
    """One 1280×800 browser context for most pages: they share its HTTP cache (Plotly is
    fetched and compiled once); each page still opens its own session."""
    context = browser.new_context(viewport={"width": VIEWPORT[0], "height": VIEWPORT[1]})
    yield context
    context.close()


@pytest.fixture
def make_page(
    browser: Browser,
    desktop: BrowserContext,
    api: httpx.Client,
    base_url: str,
    request: pytest.FixtureRequest,
) -> Iterator[Callable[..., Playground]]:
    """A factory of pages (1280×800 unless told), each with its own session. Every page made
    is screenshotted into ``test-artifacts/<test name>[-k].png`` when the test ends."""
    made: list[Playground] = []
    contexts: list[BrowserContext] = []

    def make(width: int = VIEWPORT[0], height: int = VIEWPORT[1]) -> Playground:
        if (width, height) == VIEWPORT:
            context = desktop
        else:
            context = browser.new_context(viewport={"width": width, "height": height})
            contexts.append(context)
        pg = Playground(context.new_page(), api, base_url)
        made.append(pg)
        return pg

    yield make
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    try:
        for k, pg in enumerate(made):
            suffix = "" if k == 0 else f"-{k + 1}"
            try:
                pg.page.screenshot(path=str(ARTIFACTS / f"{name}{suffix}.png"))
            finally:
                pg.page.close()
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def pg(make_page: Callable[..., Playground]) -> Playground:
    """A 1280×800 page, not opened yet."""
    return make_page()
