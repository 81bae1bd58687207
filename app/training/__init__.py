"""Training sessions: dataset + network + method + history, with no web code."""

from app.training.config import DEFAULTS
from app.training.session import Changes, Session, validate_config

__all__ = ["DEFAULTS", "Changes", "Session", "validate_config"]
