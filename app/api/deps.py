"""Typed dependencies shared by the routes. They are coroutines, so they run on the event
loop (FastAPI runs a plain function on a thread of its pool), where the sessions live."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from app.live.manager import Runner, SessionManager
from app.settings import Settings


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_manager(request: Request) -> SessionManager:
    manager: SessionManager = request.app.state.manager
    return manager


async def get_runner(
    session_id: str, manager: Annotated[SessionManager, Depends(get_manager)]
) -> Runner:
    try:
        return manager.get(session_id)
    except KeyError:
        raise HTTPException(status_code=404, detail=f"no session {session_id!r}") from None


SettingsDep = Annotated[Settings, Depends(get_settings)]
ManagerDep = Annotated[SessionManager, Depends(get_manager)]
RunnerDep = Annotated[Runner, Depends(get_runner)]
