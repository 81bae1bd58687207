"""The live layer's names, where the other layers import them from."""

from app.live.mailbox import Ended, Mailbox, Overflow, Viewer
from app.live.manager import (
    SHUTTING_DOWN,
    Pool,
    Runner,
    SessionManager,
    TooManySessions,
    TooManySockets,
)
from app.live.scheduler import CHUNK_SECONDS, Scheduler, SessionRunner

__all__ = [
    "CHUNK_SECONDS",
    "SHUTTING_DOWN",
    "Ended",
    "Mailbox",
    "Overflow",
    "Pool",
    "Runner",
    "Scheduler",
    "SessionManager",
    "SessionRunner",
    "TooManySessions",
    "TooManySockets",
    "Viewer",
]
