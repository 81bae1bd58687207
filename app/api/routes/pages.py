"""The page, Plotly.js from the installed ``plotly`` package (no CDN), and the check a page
makes when its socket is refused."""

from __future__ import annotations

from pathlib import Path

import plotly
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

from app.api.deps import SettingsDep
from app.api.routes.ws import origin_allowed
from app.training.config import page_config


def _assets_root() -> Path:
    """Where templates/ and static/ are: inside the installed package (the wheel carries
    them as ``app/static`` and ``app/templates``), else at the top of the checkout that holds
    ``app`` (a clone, or an editable install)."""
    package = Path(__file__).resolve().parents[2]
    for root in (package, package.parent):
        if (root / "templates" / "index.html").is_file() and (root / "static").is_dir():
            return root
    raise RuntimeError(f"templates/ and static/ not found in {package} or beside it")


ROOT = _assets_root()
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
templates = Jinja2Templates(directory=str(ROOT / "templates"))

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "index.html", {"config": page_config()})


@router.get("/vendor/plotly.min.js")
def plotly_js() -> FileResponse:
    return FileResponse(
        PLOTLY_JS,
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get("/connection-check")
def connection_check(request: Request, settings: SettingsDep, origin: str = "") -> dict[str, str]:
    """Why ``/ws`` would refuse a page of ``origin`` reached at this request's host (the
    handshake's refusal itself is a bare HTTP 403 that a page cannot read): ``reason`` is
    empty when it would not."""
    if origin_allowed(origin, request.headers.get("host"), request.url.scheme, settings):
        return {"reason": ""}
    return {
        "reason": f"this server does not accept pages from {origin[:80]}: "
        "its NNP_ALLOWED_ORIGINS setting must list that origin"
    }
