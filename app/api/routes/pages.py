"""The page, and Plotly.js from the installed ``plotly`` package (no CDN)."""

from __future__ import annotations

from pathlib import Path

import plotly
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

from app.training.config import page_config


def _assets_root() -> Path:
    """Where templates/ and static/ are: beside the source of ``app`` (a checkout or an
    editable install), else the working directory (an installed package run from the
    project's folder, as the Docker image does)."""
    for root in (Path(__file__).resolve().parents[3], Path.cwd()):
        if (root / "templates" / "index.html").is_file():
            return root
    raise RuntimeError("templates/ and static/ not found: run from the project's folder")


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
