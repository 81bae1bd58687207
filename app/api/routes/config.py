"""Every setting's definition: what the page builds its controls and URL state from."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.training.config import page_config

router = APIRouter(prefix="/api/config", tags=["config"])


@router.get("")
def get_config() -> dict[str, Any]:
    """``{defaults, limits, choices, methods, settings}``: each setting's type, default,
    range or choices, and effect (regenerate, reseed, rebuild, keep, view)."""
    return page_config()
