"""The Host header check, with a refusal that names the setting to change."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send


class AllowedHosts(TrustedHostMiddleware):
    """Starlette's check (exact names, ``*.domain`` patterns), refusing with an HTTP 400 that
    says which host was refused and that ``NNP_ALLOWED_HOSTS`` lists the accepted ones."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.allow_any or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = Headers(scope=scope).get("host", "").split(":")[0]
        for pattern in self.allowed_hosts:
            if host == pattern or (pattern.startswith("*") and host.endswith(pattern[1:])):
                await self.app(scope, receive, send)
                return
        response = PlainTextResponse(
            f"Invalid host header: this server does not answer to {host[:80]!r}; "
            "its NNP_ALLOWED_HOSTS setting must list that name",
            status_code=400,
        )
        await response(scope, receive, send)
