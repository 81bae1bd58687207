"""Session operations shared by the WebSocket connection and the HTTP routes.

Each takes the session and its arguments and returns plain values (a long step returns a
``Job``, an import a ``Replacement``). They run on the thread that drives the session, through
``SessionRunner.call``, often in a worker process: so they are module-level functions (or
``Session`` methods), which pickle by name, never lambdas.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.errors import InvalidInput
from app.live.frames import frame_message
from app.nn.network import Network
from app.training import Session
from app.training.hidden import hidden_space
from app.training.history import branch, snapshot_at
from app.training.tfp import export_link

SLICE_SECONDS = 0.008  # a long operation's work between two looks at the other sessions


@dataclass(frozen=True)
class Job:
    """What a long operation returns: ``slices`` runs it a slice per ``next``, so that the
    thread can serve other sessions in between; its return value is the reply."""

    slices: Generator[None, bool | None, Any]  # ``send(True)``: stop, and reply now


@dataclass(frozen=True)
class Replacement:
    """What an import returns: the runner swaps in ``session`` and replies ``reply``."""

    session: Session
    reply: dict[str, Any]


def hello(s: Session) -> dict[str, Any]:
    """What a page needs on (re)connecting: the state and the history so far."""
    return {"state": s.state(), "history": s.history}


def configure(s: Session, changes: dict[str, Any]) -> dict[str, Any]:
    return {"changes": s.configure(changes).to_dict(), "state": s.state()}


def play(s: Session) -> None:
    s.play()


def pause(s: Session) -> None:
    s.pause()


def step(s: Session, epochs: int) -> Job:
    """Train ``epochs`` epochs now, in slices between the other sessions' work."""
    s.playing = False

    def slices() -> Generator[None, bool | None, dict[str, Any]]:
        done = yield from s.steps(epochs, SLICE_SECONDS)
        return {"epochs": done, "state": s.state()}

    return Job(slices())


def reset(s: Session) -> None:
    s.playing = False
    s.reset()


def history(s: Session) -> dict[str, Any]:
    return {"history": s.history, "path": s.path}


def build(_: Session, config: dict[str, Any]) -> Replacement:
    """Replace the session by one built from ``config`` (checked before anything changes)."""
    session = Session(config)
    return Replacement(session, {"state": session.state()})


def import_into(_: Session, document: Any) -> Replacement:
    """Replace the session by an exported one (validated before anything changes)."""
    session = Session.from_export(document)
    return Replacement(session, {"state": session.state(), "history": session.history})


def add_points(s: Session, points: list[tuple[list[float], float, bool]]) -> dict[str, Any]:
    """Add points (all checked before any is added); the new indexes and the state."""
    return {"indexes": s.add_points(points), "state": s.state()}


def reset_state(s: Session) -> dict[str, Any]:
    reset(s)
    return s.state()


def set_param_state(
    s: Session, layer: int, kind: str, index: list[int], value: float
) -> dict[str, Any]:
    s.set_param(layer, kind, index, value)
    return s.state()


def snapshot_message(s: Session, resolution: int) -> dict[str, Any]:
    """What the page draws at ``resolution``, as a ``frame`` message."""
    return frame_message(s.snapshot(resolution), s.kind)


HIDDEN_DECIMALS = 4  # hidden-space coordinates are drawn, not computed with: 4 places suffice


def _coords(a: np.ndarray) -> list[Any]:
    """``a`` rounded, as nested lists; a non-finite coordinate becomes ``None``."""
    r = np.round(np.asarray(a, dtype=np.float64), HIDDEN_DECIMALS)
    if np.isfinite(r).all():
        out: list[Any] = r.tolist()
        return out
    o = r.astype(object)
    o[~np.isfinite(r)] = None
    return o.tolist()


def _native(s: Session, what: str) -> Network:
    """The session's network, for views the TensorFlow Playground profile does not offer."""
    if not isinstance(s.net, Network):
        raise InvalidInput(f"{what} is not available under the tfp profile")
    return s.net


def hidden(s: Session, layer: int) -> dict[str, Any]:
    """Where the points and the view's grid lines land in hidden layer ``layer`` (1-based),
    projected to two dimensions (see ``app.training.hidden``), with the epoch it shows."""
    h = hidden_space(s.net, s.standardizer, s.config["features"], s.spec.domain, s.X_raw, layer)
    explained = np.nan_to_num(np.asarray(h["explained"], dtype=np.float64))
    return {
        "layer": h["layer"],
        "units": h["units"],
        "method": h["method"],
        "explained": np.round(explained, HIDDEN_DECIMALS).tolist(),
        "epoch": s.trainer.epoch,
        "points": _coords(h["points"]),
        "lines": _coords(h["lines"]),
        "y": s.y.tolist(),
        "test": s.is_test.tolist(),
    }


def past_frame(s: Session, epoch: int, resolution: int | None = None) -> dict[str, Any]:
    """The ``frame`` message of the network as it was at ``epoch`` (the nearest snapshot at
    or before it), built on a copy of the network: the live session does not change."""
    live = _native(s, "history")
    at, theta = snapshot_at(s, epoch)
    past = live.copy()
    np.copyto(past.theta, theta)
    s.net = past
    try:
        msg = frame_message(s.snapshot(resolution), s.kind)
    finally:
        s.net = live
    before = [h for h in s.history if h["epoch"] <= at]
    msg.update(epoch=at, step=before[-1]["step"] if before else 0, past=True)
    return {"frame": msg, "epoch": at, "now": s.trainer.epoch}


def branch_at(s: Session, epoch: int) -> dict[str, Any]:
    """Train on from the past: see ``app.training.history.branch``."""
    at = branch(s, epoch)
    return {"epoch": at, "state": s.state(), "history": s.history}


def tfp_link(s: Session) -> dict[str, Any]:
    """``{link, beyond}``: the session's settings as a TensorFlow Playground link (None
    for a problem TFP has not) and, by config key, what TFP cannot express or would run
    differently."""
    found = export_link(s.config)
    return {"link": found.link, "beyond": found.beyond}


# These change nothing: while a long operation runs or a frame is built, they answer at once
# (between two slices); a pause stops a long operation (its reply says how many epochs were
# done) or a frame being built; other calls wait for either to end.
READS = frozenset(
    {
        hello,
        history,
        hidden,
        past_frame,
        snapshot_message,
        tfp_link,
        Session.state,
        Session.export,
        Session.points_csv,
        Session.loss_surface,
    }
)
STOPS = frozenset({pause})
