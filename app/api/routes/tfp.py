"""TensorFlow Playground links: one read as a session config (the TFP profile, which
reproduces the page's run), and a session's settings written as a link."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from app.api.strict import INVALID, StrictJSONRoute
from app.data.tfp_link import parse_link
from app.errors import InvalidInput
from app.training.config import DEFAULTS, validate_config
from app.training.tfp import config_from_settings

router = APIRouter(prefix="/api/tfp", tags=["tfp"], responses=INVALID, route_class=StrictJSONRoute)

HOST = "playground.tensorflow.org"
MAX_LINK = 4000


class LinkIn(BaseModel):
    """A TensorFlow Playground link: the full URL, ``#…`` or the bare hash."""

    model_config = ConfigDict(extra="forbid", strict=True)
    link: Annotated[str, Field(max_length=MAX_LINK)]


def read_link(link: str) -> dict[str, Any]:
    """``{config, view, ignored}`` for a link: the session config that runs it under the
    TFP profile (checked), the page's view options it sets, and the options it turns on that
    have no effect (TFP's cosX and cosY)."""
    link = link.strip()
    if "://" in link and urlsplit(link).hostname != HOST:
        raise InvalidInput(f"link: paste a link that starts with https://{HOST}/#")
    settings = parse_link(link)
    config = config_from_settings(settings)
    config["tfp_seed"] = settings.seed or ""
    validate_config({**DEFAULTS, **config})
    view = {"showTest": settings.show_test_data, "discretize": settings.discretize}
    ignored = [k for k in ("cosX", "cosY") if settings.extra.get(k, "false") != "false"]
    return {"config": config, "view": view, "ignored": ignored}


@router.post("/link")
def link_to_config(body: LinkIn) -> dict[str, Any]:
    """The session config a TensorFlow Playground link runs as (profile ``tfp``)."""
    return read_link(body.link)
