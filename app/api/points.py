"""Point operations the HTTP API runs on a session (module-level, so they pickle by name for
the worker processes)."""

from __future__ import annotations

from typing import Any

from app.training import Session


def load_csv(s: Session, text: str) -> dict[str, Any]:
    """Replace the points by a CSV text's; how many were read and the new state."""
    return {"points": s.load_csv(text), "state": s.state()}
