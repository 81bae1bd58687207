"""The protocol document's table of configuration keys, written from the settings'
definitions. ``python -m app.training.docs`` prints it; a test checks that
``docs/protocol.md`` holds exactly this table."""

from __future__ import annotations

import sys

from app.nn.network import MAX_UNITS
from app.training.config import MAX_TEXT, SETTINGS, Setting

EFFECT_TEXT = {
    "regenerate": "regenerates the points (rebuilds only if the problem type changes)",
    "reseed": "regenerates the points and rebuilds",
    "rebuild": "rebuilds with fresh weights",
    "keep": "keeps the weights",
    "view": "nothing rebuilt",
}


def _num(v: float | None) -> str:
    if v is None:
        return ""
    return str(int(v)) if float(v).is_integer() and abs(v) >= 1 else f"{v:g}"


def _values(s: Setting) -> str:
    if s.kind in ("int", "float"):
        kind = "integer" if s.kind == "int" else "number"
        return f"{kind} {_num(s.lo)}–{_num(s.hi)}"
    if s.kind == "bool":
        return "`true`/`false`"
    names = "/".join(f"`{c}`" for c in s.choices)
    if s.kind == "choice":
        return names
    if s.kind == "features":
        return f"a list of {names}"
    if s.kind == "text":
        return f"a text of at most {MAX_TEXT} characters"
    return (
        f'at most {_num(s.hi)} layers of `{{"units", "activation"}}`: '
        f"units 1–{MAX_UNITS}, activation {names}"
    )


def _default(s: Setting) -> str:
    if s.kind == "layers":
        return ", ".join(f"{h['units']} {h['activation']}" for h in s.default) or "none"
    if s.kind == "features":
        return ", ".join(s.default)
    if s.kind == "bool":
        return "true" if s.default else "false"
    return str(s.default)


def settings_table() -> str:
    """One row per setting: key, values, default, effect, and what it is."""
    rows = [
        "| key | values | default | effect | what |",
        "| --- | --- | --- | --- | --- |",
    ]
    for s in SETTINGS.values():
        rows.append(
            f"| `{s.key}` | {_values(s)} | `{_default(s)}` | {EFFECT_TEXT[s.effect]} | {s.doc} |"
        )
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    sys.stdout.write(settings_table())
