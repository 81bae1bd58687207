"""The HTTP API: the same operations as the WebSocket, for scripts and tests."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Response

from app.api import points as ops_points
from app.api import responses as r
from app.api import schemas as w
from app.api.deps import ManagerDep, RunnerDep, SettingsDep
from app.api.strict import ERRORS, INVALID, TOO_LARGE, TOO_MANY, StrictJSONRoute
from app.errors import InvalidInput
from app.live import ops
from app.live.manager import Runner, TooManySessions
from app.training import Session
from app.training.config import MAX_RESOLUTION, SURFACE_RESOLUTION

router = APIRouter(
    prefix="/api/sessions", tags=["sessions"], responses=INVALID, route_class=StrictJSONRoute
)


async def run(runner: Runner, fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn(session, *args)`` on the session's thread; bad input (which may come back
    from a worker process as a plain ValueError) is a 400."""
    try:
        return await runner.call(fn, *args)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    except LookupError:
        raise HTTPException(status_code=404, detail="the session has ended") from None


async def built(manager: Any, fn: Callable[..., Any], arg: Any) -> dict[str, Any]:
    """A new session, built in its worker by ``fn(placeholder, arg)`` (a ``Replacement``):
    the event loop builds nothing. If ``arg`` is refused, the session ends and the reply
    is a 400 naming the problem."""
    try:
        runner = manager.create({})
    except TooManySessions as exc:
        raise HTTPException(status_code=429, detail=str(exc)) from None
    try:
        result: dict[str, Any] = await run(runner, fn, arg)
    except BaseException:
        with contextlib.suppress(KeyError):  # ended already
            manager.delete(runner.id)
        raise
    return {"id": runner.id, "state": result["state"]}


@router.post(
    "",
    status_code=201,
    response_model=r.SessionOut,
    responses={400: ERRORS[400], **TOO_MANY},
)
async def create_session(
    body: w.SessionCreate, manager: ManagerDep, settings: SettingsDep
) -> dict[str, Any]:
    """Create a session from a config (any settings to change from the defaults)."""
    config = {"fps": settings.frame_rate, **body.config.model_dump(exclude_unset=True)}
    return await built(manager, ops.build, config)


@router.post(
    "/import",
    status_code=201,
    response_model=r.SessionOut,
    responses={400: ERRORS[400], **TOO_MANY},
)
async def import_session(document: dict[str, Any], manager: ManagerDep) -> dict[str, Any]:
    """Create a session from an export document."""
    return await built(manager, ops.import_into, document)


@router.get("/{session_id}", response_model=r.StateOut, responses={404: ERRORS[404]})
async def get_state(runner: RunnerDep) -> dict[str, Any]:
    """The session's config, counters, status and losses."""
    state: dict[str, Any] = await run(runner, Session.state)
    return state


@router.delete("/{session_id}", status_code=204, responses={404: ERRORS[404]})
async def delete_session(session_id: str, manager: ManagerDep) -> Response:
    try:
        manager.delete(session_id)
    except KeyError:
        raise HTTPException(status_code=404, detail=f"no session {session_id!r}") from None
    return Response(status_code=204)


@router.post("/{session_id}/points", response_model=r.PointsAdded, responses=ERRORS)
async def add_points(body: w.PointsAdd, runner: RunnerDep) -> dict[str, Any]:
    """Add points (all checked before any is added)."""

    points = [(p.x, p.label, p.test) for p in body.points]
    result: dict[str, Any] = await run(runner, ops.add_points, points)
    return result


@router.post(
    "/{session_id}/points/csv", response_model=r.PointsLoaded, responses={**ERRORS, **TOO_LARGE}
)
async def load_csv(body: w.CsvIn, runner: RunnerDep) -> dict[str, Any]:
    """Replace every point by those of a CSV text: header ``x1,x2,label,test`` (one-input
    data: ``x1,label,test``; the test column may be left out), one row per point."""
    result: dict[str, Any] = await run(runner, ops_points.load_csv, body.text)
    return result


@router.get(
    "/{session_id}/points.csv",
    response_class=Response,
    responses={
        **ERRORS,
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "The points"},
    },
)
async def points_csv(runner: RunnerDep) -> Response:
    """Every point as CSV text, in the format ``points/csv`` reads."""
    text: str = await run(runner, Session.points_csv)
    return Response(text, media_type="text/csv")


@router.patch("/{session_id}/config", response_model=r.ConfigChanged, responses=ERRORS)
async def change_config(changes: w.ConfigChanges, runner: RunnerDep) -> Any:
    """Change any settings; the reply says whether data was regenerated or the network
    rebuilt."""
    return await run(runner, ops.configure, changes.model_dump(exclude_unset=True))


@router.post("/{session_id}/step", response_model=r.StepOut, responses=ERRORS)
async def step(body: w.StepRequest, runner: RunnerDep) -> dict[str, Any]:
    """Train ``epochs`` epochs now; returns the new state."""
    result: dict[str, Any] = await run(runner, ops.step, body.epochs)
    return result


@router.post("/{session_id}/reset", response_model=r.StateOut, responses=ERRORS)
async def reset(runner: RunnerDep) -> dict[str, Any]:
    """New weights from the seed; counters and history cleared."""
    state: dict[str, Any] = await run(runner, ops.reset_state)
    return state


@router.post("/{session_id}/params", response_model=r.StateOut, responses=ERRORS)
async def set_param(body: w.ParamSet, runner: RunnerDep) -> dict[str, Any]:
    """Set one weight or bias by hand."""
    state: dict[str, Any] = await run(
        runner, ops.set_param_state, body.layer, body.kind, body.index, body.value
    )
    return state


@router.get("/{session_id}/snapshot", response_model=r.FrameOut, responses=ERRORS)
async def snapshot(
    runner: RunnerDep, resolution: int = Query(50, ge=8, le=MAX_RESOLUTION)
) -> dict[str, Any]:
    """What the page draws, as the WebSocket ``frame`` message at this resolution."""
    frame: dict[str, Any] = await run(runner, ops.snapshot_message, resolution)
    return frame


@router.get("/{session_id}/surface", response_model=r.SurfaceOut, responses=ERRORS)
async def surface(
    runner: RunnerDep,
    resolution: int = Query(41, ge=SURFACE_RESOLUTION[0], le=SURFACE_RESOLUTION[1]),
) -> dict[str, Any]:
    """The training loss over (w, b) with the weight path, for a network of one input and a
    bias (the lessons' neuron)."""
    result: dict[str, Any] = await run(runner, Session.loss_surface, resolution)
    return result


@router.get("/{session_id}/history", response_model=r.HistoryOut, responses=ERRORS)
async def history(runner: RunnerDep) -> dict[str, Any]:
    result: dict[str, Any] = await run(runner, ops.history)
    return result


@router.get("/{session_id}/export", response_model=r.ExportOut, responses=ERRORS)
async def export(runner: RunnerDep) -> dict[str, Any]:
    """The whole session as one JSON document (config, points, weights, optimizer state,
    random state, history)."""
    doc: dict[str, Any] = await run(runner, Session.export)
    return doc


@router.get("/{session_id}/tfp-link", responses=ERRORS)
async def tfp_link_of(runner: RunnerDep) -> dict[str, Any]:
    """The link that opens this session in TensorFlow Playground, and what it cannot show."""
    result: dict[str, Any] = await run(runner, ops.tfp_link)
    return result


@router.post("/{session_id}/import", response_model=r.Replaced, responses=ERRORS)
async def import_into(document: dict[str, Any], runner: RunnerDep) -> dict[str, Any]:
    """Replace this session's whole state by an export document."""
    result: dict[str, Any] = await run(runner, ops.import_into, document)
    return result
