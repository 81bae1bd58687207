"""The wire: every message and request body, validated in one place.

WebSocket commands are a union discriminated by ``type`` and validated once by the
module-level ``COMMANDS`` adapter; the values inside (ranges, labels, the config keys) are
checked by the session, which names the field at fault. Input JSON is strict: NaN,
Infinity, numbers that overflow to them and deep nesting are refused before any model sees
them.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model

from app.nn.network import MAX_UNITS
from app.training.config import (
    DEFAULT_ACTIVATION,
    MAX_EPOCHS_PER_CALL,
    MAX_TEXT,
    SETTINGS,
    SURFACE_RESOLUTION,
    Setting,
)

Coord = Annotated[float, Field(ge=-1e6, le=1e6)]
Label = int | float
CorrelationId = Annotated[int, Field(ge=0, le=2**53)] | Annotated[str, Field(max_length=64)]


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    id: CorrelationId | None = None


class AddPoint(Message):
    """Add a point at raw coordinates ``x`` with class (or target) ``label``."""

    type: Literal["add_point"]
    x: Annotated[list[Coord], Field(min_length=1, max_length=2)]
    label: Label
    test: bool = False


class MovePoint(Message):
    type: Literal["move_point"]
    index: Annotated[int, Field(ge=0)]
    x: Annotated[list[Coord], Field(min_length=1, max_length=2)]


class RemovePoint(Message):
    type: Literal["remove_point"]
    index: Annotated[int, Field(ge=0)]


class ClearPoints(Message):
    type: Literal["clear_points"]


class SetPoints(Message):
    """Replace every point."""

    type: Literal["set_points"]
    x: Annotated[
        list[Annotated[list[Coord], Field(min_length=1, max_length=2)]], Field(max_length=2000)
    ]
    y: Annotated[list[Label], Field(max_length=2000)]
    test: Annotated[list[bool], Field(max_length=2000)] | None = None


class LoadDataset(Message):
    """Generate a preset dataset (the other fields default to the current settings)."""

    type: Literal["load_dataset"]
    dataset: str
    points: int | None = None
    noise: float | None = None
    classes: int | None = None
    train_ratio: float | None = None
    seed: int | None = None
    data_seed: int | None = None


class SetConfig(Message):
    """Change any settings; see the session's configuration keys."""

    type: Literal["config"]
    changes: dict[str, Any]


class SetParam(Message):
    """Set one weight (``kind`` "weight", ``index`` [i, j]) or bias ("bias", [j])."""

    type: Literal["set_param"]
    layer: Annotated[int, Field(ge=0)]
    kind: Literal["weight", "bias"]
    index: Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1, max_length=2)]
    value: Annotated[float, Field(ge=-1e6, le=1e6)]


class Play(Message):
    type: Literal["play"]


class Pause(Message):
    type: Literal["pause"]


class Step(Message):
    type: Literal["step"]
    epochs: Annotated[int, Field(ge=1, le=MAX_EPOCHS_PER_CALL)] = 1


class Reset(Message):
    type: Literal["reset"]


class Export(Message):
    type: Literal["export"]


class Import(Message):
    type: Literal["import"]
    document: dict[str, Any]


class GetState(Message):
    type: Literal["get_state"]


class GetHistory(Message):
    """The loss history and, for networks of at most 16 parameters, the weight path."""

    type: Literal["get_history"]


class GetSurface(Message):
    """The training loss over (w, b), for a network of one input and a bias."""

    type: Literal["get_surface"]
    resolution: Annotated[int, Field(ge=SURFACE_RESOLUTION[0], le=SURFACE_RESOLUTION[1])] = 41
    include: (
        Annotated[
            list[
                Annotated[
                    list[Annotated[float, Field(ge=-1e6, le=1e6)]],
                    Field(min_length=2, max_length=2),
                ]
            ],
            Field(max_length=256),
        ]
        | None
    ) = None


class SetView(Message):
    """What the page draws: its neurons' maps ``size`` pixels square (default 32), the hidden
    ``neuron`` (index layer by layer) it shows at full resolution, and whether it colours the
    links by ``gradients``. From then on the session's frames are binary."""

    type: Literal["view"]
    size: Annotated[int, Field(ge=1, le=200)] = 32
    neuron: Annotated[int, Field(ge=0, le=10_000)] | None = None
    gradients: bool = False


class GetHidden(Message):
    """The data and the view's grid lines as hidden layer ``layer`` (1-based) sees them."""

    type: Literal["hidden"]
    layer: Annotated[int, Field(ge=1, le=100)]


class GetPast(Message):
    """The frame of the network as it was at ``epoch`` (the nearest snapshot before it)."""

    type: Literal["get_past"]
    epoch: Annotated[int, Field(ge=0, le=2**53)]


class Branch(Message):
    """Go back to the snapshot at ``epoch`` and train on from there."""

    type: Literal["branch"]
    epoch: Annotated[int, Field(ge=0, le=2**53)]


Command = Annotated[
    AddPoint
    | MovePoint
    | RemovePoint
    | ClearPoints
    | SetPoints
    | LoadDataset
    | SetConfig
    | SetParam
    | Play
    | Pause
    | Step
    | Reset
    | Export
    | Import
    | GetState
    | GetHistory
    | GetSurface
    | SetView
    | GetHidden
    | GetPast
    | Branch,
    Field(discriminator="type"),
]
COMMANDS: TypeAdapter[Command] = TypeAdapter(Command)
COMMAND_TYPES = tuple(
    m.model_fields["type"].annotation.__args__[0]  # type: ignore[union-attr]
    for m in (AddPoint, MovePoint, RemovePoint, ClearPoints, SetPoints, LoadDataset, SetConfig,
              SetParam, Play, Pause, Step, Reset, Export, Import, GetState, GetHistory, GetSurface,
              SetView, GetHidden, GetPast, Branch)
)  # fmt: skip


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed: numbers must be finite")


def _finite_float(text: str) -> float:
    v = float(text)
    if not math.isfinite(v):
        raise ValueError(f"number {text[:20]} is out of range")
    return v


def _finite_int(text: str) -> int:
    v = int(text)
    try:
        float(v)
    except OverflowError:
        raise ValueError(f"number {text[:20]}… is out of range") from None
    return v


MAX_DEPTH = 32  # nesting levels of arrays and objects; an import command needs 7


def _check_depth(value: Any) -> None:
    level = [value] if isinstance(value, list | dict) else []
    for _ in range(MAX_DEPTH):
        level = [
            c
            for v in level
            for c in (v.values() if isinstance(v, dict) else v)
            if isinstance(c, list | dict)
        ]
        if not level:
            return
    raise ValueError("JSON is nested too deeply")


def loads_strict(text: str | bytes) -> Any:
    """Parse JSON refusing NaN, Infinity, numbers that overflow to them (integers too) and
    nesting deeper than ``MAX_DEPTH``; ValueError otherwise."""
    try:
        value = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            parse_int=_finite_int,
        )
    except RecursionError as exc:
        raise ValueError("JSON is nested too deeply") from exc
    _check_depth(value)
    return value


# --- HTTP bodies ------------------------------------------------------------------------


class Body(BaseModel):
    """HTTP bodies are as strict as socket messages: a bool is not a number, ``"5"`` is not
    5, ``5.0`` is not an integer."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


def setting_type(s: Setting) -> Any:
    """The schema of one setting, from its definition in ``app.training.config``: the type
    is checked here (a wrong type is a 422); ranges and choices are documented here and
    checked by the session (a value out of them is a 400 naming the field)."""
    if s.kind == "int":
        return Annotated[int, Field(description=s.doc, json_schema_extra=_bounds(s))]
    if s.kind == "float":
        return Annotated[float, Field(description=s.doc, json_schema_extra=_bounds(s))]
    if s.kind == "bool":
        return Annotated[bool, Field(description=s.doc)]
    if s.kind == "text":
        return Annotated[str, Field(description=s.doc, max_length=MAX_TEXT)]
    names: Any = {"enum": list(s.choices)}
    if s.kind == "choice":
        return Annotated[str, Field(description=s.doc, json_schema_extra=names)]
    if s.kind == "features":
        return Annotated[
            list[Annotated[str, Field(json_schema_extra=names)]], Field(description=s.doc)
        ]
    fields: dict[str, Any] = {
        "units": (
            Annotated[int, Field(json_schema_extra={"minimum": 1, "maximum": MAX_UNITS})],
            ...,
        ),
        "activation": (Annotated[str, Field(json_schema_extra=names)], DEFAULT_ACTIVATION),
    }
    layer: Any = create_model("HiddenLayer", __config__=Body.model_config, **fields)
    return Annotated[
        list[layer], Field(description=s.doc, json_schema_extra={"maxItems": int(s.hi or 0)})
    ]


def _bounds(s: Setting) -> dict[str, Any]:
    return {"minimum": s.lo, "maximum": s.hi}


if TYPE_CHECKING:
    ConfigChanges = BaseModel
else:
    ConfigChanges = create_model(
        "ConfigChanges",
        __config__=ConfigDict(extra="allow", strict=True, allow_inf_nan=False),
        __doc__="Any settings, each checked against its definition; the others are kept "
        "(an unknown key is a 400 naming it).",
        **{k: (setting_type(s) | None, None) for k, s in SETTINGS.items()},
    )


class SessionCreate(Body):
    """A new session; ``config`` holds any settings to change from the defaults."""

    config: ConfigChanges = Field(default_factory=ConfigChanges)


class PointIn(Body):
    x: Annotated[list[Coord], Field(min_length=1, max_length=2)]
    label: Label
    test: bool = False


class PointsAdd(Body):
    points: Annotated[list[PointIn], Field(min_length=1, max_length=2000)]


class CsvIn(Body):
    """Points as CSV text (see ``app.data.points`` for the format)."""

    text: Annotated[str, Field(max_length=200_000)]


class StepRequest(Body):
    epochs: Annotated[int, Field(ge=1, le=MAX_EPOCHS_PER_CALL)] = 1


class ParamSet(Body):
    layer: Annotated[int, Field(ge=0)]
    kind: Literal["weight", "bias"]
    index: Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1, max_length=2)]
    value: Annotated[float, Field(ge=-1e6, le=1e6)]


class ErrorOut(BaseModel):
    detail: str
