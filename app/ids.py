"""Session ids."""

import secrets


def new_session_id(replica: str = "") -> str:
    """A fresh unguessable session id; with a replica name, prefixed by it."""
    token = secrets.token_urlsafe(12)
    return f"{replica}-{token}" if replica else token
