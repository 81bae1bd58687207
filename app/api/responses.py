"""The shapes of the HTTP API's replies, so that the OpenAPI schema describes them. The
configuration's shape comes from the settings' definitions (``app.training.config``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    SerializerFunctionWrapHandler,
    create_model,
    model_serializer,
)

from app.api.schemas import setting_type
from app.training.config import SETTINGS


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


if TYPE_CHECKING:
    ConfigOut = BaseModel
else:
    ConfigOut = create_model(
        "ConfigOut",
        __config__=Out.model_config,
        __doc__="Every setting's current value.",
        **{k: (setting_type(s), ...) for k, s in SETTINGS.items()},
    )


class Losses(Out):
    train: float | None
    test: float | None


class PointCounts(Out):
    train: int
    test: int


class LayerOut(Out):
    units: int
    activation: str


class RegularizationOut(Out):
    kind: str
    rate: float


class NetworkOut(Out):
    """A network's description; ``classes`` only for a softmax output."""

    inputs: int
    hidden: list[LayerOut]
    output: Literal["sigmoid", "softmax", "linear", "tanh"]
    loss: str
    regularization: RegularizationOut
    classes: int | None = None

    @model_serializer(mode="wrap")
    def _without_absent_classes(self, handler: SerializerFunctionWrapHandler) -> Any:
        d = handler(self)
        if isinstance(d, dict) and d.get("classes") is None:
            d.pop("classes", None)
        return d


class Progress(Out):
    step: int
    epoch: int
    evaluations: int
    status: Literal["idle", "training", "diverged"]
    message: str
    loss: Losses


class StateOut(Progress):
    """The session's config, problem, network shape, counters, status and losses."""

    config: ConfigOut
    kind: Literal["binary", "multiclass", "regression"]
    classes: int
    inputs: int
    domain: list[list[float]]
    network: NetworkOut
    sizes: list[int]
    points: PointCounts
    beyond_tfp: list[str]


class SessionOut(Out):
    id: str
    state: StateOut


class Changes(Out):
    regenerated: bool
    rebuilt: bool
    keys: list[str]


class ConfigChanged(Out):
    changes: Changes
    state: StateOut


class StepOut(Out):
    epochs: int
    state: StateOut


class PointsAdded(Out):
    indexes: list[int]
    state: StateOut


class PointsLoaded(Out):
    points: int
    state: StateOut


class Record(Out):
    step: int
    epoch: int
    train: float | None
    test: float | None


class HistoryOut(Out):
    history: list[Record]
    path: list[list[float]]


class Replaced(Out):
    state: StateOut
    history: list[Record]


class SurfaceOut(Out):
    """The training loss over a grid: ``loss`` rows along ``b``, columns along ``w``."""

    w: list[float]
    b: list[float]
    loss: list[list[float | None]]
    path: list[list[float]]


class PointsDoc(Out):
    x: list[list[float]]
    y: list[int | float]
    test: list[bool]


class ParamsOut(Out):
    W: list[list[float]]
    b: list[float]


class NetworkDoc(Out):
    config: NetworkOut
    params: list[ParamsOut]


class TfpNetworkDoc(Out):
    """A network under the tfp profile: its flat parameters (weights, then biases), which
    links are dead, and the derivatives summed towards the next update and their count."""

    theta: list[float]
    dead: list[bool]
    accumulated: list[float]
    count: int


class ExportOut(Out):
    """A whole session; ``trainer`` holds the counters, the random state and the method's
    state (its shape depends on the method)."""

    version: int
    config: ConfigOut
    points: PointsDoc
    network: NetworkDoc | TfpNetworkDoc
    trainer: dict[str, Any]
    history: list[Record]
    path: list[list[float]]


class FrameOut(BaseModel):
    """What the page draws (the socket's ``frame`` message): counters, status, losses,
    the maps over the view, weights, gradients, metrics."""

    model_config = ConfigDict(extra="allow")
    type: Literal["frame"]
    step: int
    epoch: int
    evaluations: int
    status: Literal["idle", "training", "diverged"]
    message: str
    loss: Losses
    resolution: int
    domain: list[list[float]]
