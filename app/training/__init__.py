"""Training sessions: dataset + network + method + history, with no web code."""

from app.training.config import DEFAULTS, validate_config
from app.training.session import Changes, Session

__all__ = ["DEFAULTS", "Changes", "Session", "validate_config"]
