"""Builds the application: routes, static files, limits, the session manager."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api import errors
from app.api.hosts import AllowedHosts
from app.api.middleware import CHANGES, ClientBudget, Drain, JSONOnly, find
from app.api.routes import config, datasets, health, pages, sessions, tfp, ws
from app.api.routes.docs import add_docs
from app.api.routes.pages import ROOT
from app.live.manager import SessionManager
from app.settings import Settings

log = logging.getLogger(__name__)

SWITCH_INTERVAL = 0.001
EXPIRE_EVERY = 5.0  # seconds between looks for idle sessions (sooner for short lifetimes)


class BodyLimit:
    """Refuses HTTP bodies over ``limit`` bytes with a 413, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(send)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge(413, f"request body over {self.limit} bytes")
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        response = JSONResponse(
            {"detail": f"request body over {self.limit} bytes"}, status_code=413
        )
        await response({"type": "http"}, _no_receive, send)


class _TooLarge(HTTPException):
    """A body read past the limit. An HTTPException, so FastAPI's body parsing passes it on
    as a 413 (it turns any other exception into a 400)."""


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


GUARDS: dict[int, str] = {
    415: "A request that changes something did not say content-type: application/json",
    429: "Too many requests from this address",
    503: "The server is shutting down",
}


def document_guards(app: FastAPI) -> None:
    """The answers the middleware may give instead of a route, in the OpenAPI document."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                for status, description in GUARDS.items():
                    if status == 415 and method.upper() not in CHANGES:
                        continue
                    responses = operation.setdefault("responses", {})
                    responses.setdefault(str(status), {"description": description})
                    responses[str(status)].setdefault("content", error)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    manager = SessionManager(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        every = max(0.05, min(EXPIRE_EVERY, settings.detached_ttl / 2, settings.session_ttl / 2))

        async def expire() -> None:
            while True:
                await asyncio.sleep(every)
                try:
                    manager.expire()  # on the loop, which owns the sessions; it waits for nothing
                except Exception:  # a bug: the next look may fare better
                    log.exception("expiring sessions failed")

        # The workers start with the server, not on demand; the live state belongs to this
        # loop from now on (app.live.owner).
        await manager.start()
        task = asyncio.create_task(expire())
        # Threads of this process (the scheduler's, without workers; the pipes' readers)
        # hand over the interpreter every millisecond (not every 5): the loop never waits long.
        switch = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        try:
            yield
        finally:
            task.cancel()
            await manager.shut_down()
            sys.setswitchinterval(switch)

    app = FastAPI(
        title="Neural Playground",
        version="0.1.0",
        description="Train small neural networks live; the same operations as the page's "
        "WebSocket, over HTTP.",
        lifespan=lifespan,
        docs_url=None,  # served by add_docs, from this app
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.manager = manager
    app.state.sockets = set()  # the tasks serving the pages' sockets

    async def drain() -> None:
        """Before uvicorn closes the connections: HTTP requests in flight finish or get a
        503, then every page is closed with 1001 "server shutting down"."""
        guard = find(app, Drain)
        if guard is not None:
            await guard.drain(settings.shutdown_grace)
        manager.close_all()
        if app.state.sockets:
            await asyncio.wait(set(app.state.sockets), timeout=1.0)

    app.state.drain = drain

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors: list[dict[str, Any]] = list(exc.errors())
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        loc = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return JSONResponse(
            {"detail": f"{loc}: {first.get('msg')}" if loc else str(first.get("msg"))},
            status_code=422,
        )

    errors.install(app)
    app.include_router(health.router)
    app.include_router(config.router)
    app.include_router(sessions.router)
    app.include_router(datasets.router)
    app.include_router(tfp.router)
    app.include_router(ws.router)
    app.include_router(pages.router)
    add_docs(app)
    document_guards(app)
    app.mount("/static", StaticFiles(directory=str(ROOT / "static")), name="static")
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(JSONOnly)
    if settings.hosts != ("*",):
        app.add_middleware(AllowedHosts, allowed_hosts=list(settings.hosts))
    app.add_middleware(Drain)
    app.add_middleware(
        ClientBudget,
        rate=settings.client_requests_per_second,
        burst=settings.client_request_burst,
        max_sockets=settings.max_sockets_per_client,
    )
    return app
