"""``/docs`` (Swagger UI) and ``/redoc``, with their scripts, styles and icon served by this
app from the ``fastapi-offline`` package, which ships them: the API's docs work offline and
load nothing from another host. Every URL in them is relative, so they work behind a proxy."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(str(files("fastapi_offline") / "static"))
ASSETS_URL = "docs-assets"
# ReDoc's menu shows a logo from its maker's CDN, unconditionally: the browser is told to
# load images from this app only, so it never asks.
POLICY = {"Content-Security-Policy": "img-src 'self' data:; font-src 'self' data:"}


def add_docs(app: FastAPI) -> None:
    """Serve the docs pages on ``app`` (made with ``docs_url=None, redoc_url=None``)."""
    app.mount(f"/{ASSETS_URL}", StaticFiles(directory=str(ASSETS)), name="docs-assets")
    title = app.title

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url="openapi.json",
            title=f"{title} — API",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
            # No badge from the public validator: it would ask another host.
            swagger_ui_parameters={"validatorUrl": None},
        )
        page.headers.update(POLICY)
        return page

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        page = get_redoc_html(
            openapi_url="openapi.json",
            title=f"{title} — API",
            redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
        page.headers.update(POLICY)
        return page
