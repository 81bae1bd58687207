"""The strict-JSON route class and the error replies every API route documents."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute

from app.api import schemas as w

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": w.ErrorOut, "description": "A value is out of range or does not fit"},
    404: {"model": w.ErrorOut, "description": "No such session"},
}
# The app's validation handler answers 422 with one ``detail`` string, not FastAPI's list.
INVALID: dict[int | str, dict[str, Any]] = {
    422: {"model": w.ErrorOut, "description": "The request does not match its schema"}
}
TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: {"model": w.ErrorOut, "description": "The request body is over the size limit"}
}
TOO_MANY: dict[int | str, dict[str, Any]] = {
    429: {"model": w.ErrorOut, "description": "Too many sessions"}
}


class StrictJSONRequest(Request):
    """A request whose JSON body is read as strictly as a socket message: NaN, Infinity,
    overflowing numbers and deep nesting are a 422."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = w.loads_strict(await self.body())
            except ValueError as exc:
                raise HTTPException(status_code=422, detail=f"invalid JSON: {exc}") from None
        return self._json


class StrictJSONRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict
