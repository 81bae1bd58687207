"""JSON no generator writes: non-finite, overflowing and deeply nested tokens, to put where a
value goes in a socket message or a request body (in place of ``HOLE``)."""

from __future__ import annotations

import json
from typing import Any

DEEP = 10_000
EXTREME = {
    "NaN": "NaN",
    "Infinity": "Infinity",
    "-Infinity": "-Infinity",
    "1e309": "1e309",
    "-1e309": "-1e309",
    "1e400 as an integer": "1" + "0" * 400,
    "10**5000": "1" + "0" * 5000,
    "deep array": "[" * DEEP + "]" * DEEP,
    "deep object": '{"a":' * 5000 + "0" + "}" * 5000,
    "unclosed": "[" * DEEP,
    "nested 900": "[" * 900 + "]" * 900,
    "nested 100": '{"a":[' * 50 + "]}" * 50,
}
HOLE = "@@HOLE@@"


def with_token(message: Any, token: str) -> str:
    """``message`` as JSON text with its ``HOLE`` string replaced by the raw ``token``."""
    return json.dumps(message).replace(json.dumps(HOLE), token)
