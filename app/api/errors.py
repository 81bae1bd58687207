"""The HTTP edge of the error contract: ``InvalidInput`` is a 400 naming the field; any other
exception is a bug, logged with its traceback and answered with a generic 500."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.errors import InvalidInput

log = logging.getLogger(__name__)


async def invalid_input(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=400)


async def unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"detail": "internal server error"}, status_code=500)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(InvalidInput, invalid_input)
    app.add_exception_handler(Exception, unexpected)
