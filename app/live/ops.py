"""Session operations shared by the WebSocket connection and the HTTP routes.

Each takes the session (and, for an import, its runner) and returns plain values; each runs
on the session's own thread through ``SessionRunner.call``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.training import Session

if TYPE_CHECKING:
    from app.live.runner import SessionRunner


def hello(s: Session) -> dict[str, Any]:
    """What a page needs on (re)connecting: the state and the history so far."""
    return {"state": s.state(), "history": s.history}


def configure(s: Session, changes: dict[str, Any]) -> dict[str, Any]:
    return {"changes": s.configure(changes).to_dict(), "state": s.state()}


def play(s: Session) -> None:
    if not len(s.y_train):
        raise ValueError("points: there are no training points to learn from")
    if s.trainer.diverged:
        raise ValueError("the network diverged: lower the learning rate or press Reset")
    s.playing = True
    s.version += 1


def pause(s: Session) -> None:
    s.playing = False
    s.version += 1


def step(s: Session, epochs: int) -> dict[str, Any]:
    s.playing = False
    done = s.step(epochs)
    return {"epochs": done, "state": s.state()}


def reset(s: Session) -> None:
    s.playing = False
    s.reset()


def history(s: Session) -> dict[str, Any]:
    return {"history": s.history, "path": s.path}


def import_into(runner: SessionRunner, document: Any) -> dict[str, Any]:
    """Replace the runner's session by an exported one (validated before anything changes)."""
    session = Session.from_export(document)
    runner.replace(session)
    return {"state": session.state(), "history": session.history}
