from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.api.deps import ManagerDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(manager: ManagerDep) -> dict[str, Any]:
    """Liveness: the process answers, with its session count and its replica name."""
    return {"status": "ok", "sessions": len(manager), "replica": manager.settings.replica}
