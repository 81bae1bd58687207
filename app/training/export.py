"""A whole session as one JSON-ready document, and back, checked to the last field.

The document: ``{version, config, points: {x, y, test}, network: {config, params},
trainer: {step, epoch, evaluations, diverged, rng, method}, history, path}``. On import every
part is typed and bounded, unknown keys are refused, the network must be the one the config
describes and the method state the config's method with the config's settings; a bad part
raises ``InvalidInput`` naming it, and nothing is created.
"""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from app.errors import InvalidInput
from app.nn.hyper import finite_array, int_field
from app.nn.network import Network
from app.training.config import HISTORY_LIMIT, METHOD_SETTINGS, PATH_MAX_PARAMS
from app.training.tfp_model import TfpModel

if TYPE_CHECKING:
    from app.training.session import Session

EXPORT_VERSION = 1
MAX_COUNTER = 2**53  # exact in every JSON reader
KEYS = {"version", "config", "points", "network", "trainer", "history", "path"}
TRAINER_KEYS = {"step", "epoch", "evaluations", "diverged", "rng", "method"}
RECORD_KEYS = {"step", "epoch", "train", "test"}


def export(s: Session) -> dict[str, Any]:
    """The whole session as plain JSON-ready values."""
    return {
        "version": EXPORT_VERSION,
        "config": copy.deepcopy(s.config),
        "points": {"x": s.X_raw.tolist(), "y": s.y.tolist(), "test": s.is_test.tolist()},
        "network": s.net.to_dict(),
        "trainer": s.trainer.state_dict(),
        "history": copy.deepcopy(s.history),
        "path": copy.deepcopy(s.path),
    }


def _object(value: Any, field: str, keys: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"{field} must be an object")
    unknown = sorted(str(k) for k in set(value) - keys)
    if unknown:
        raise InvalidInput(f"{field} has unknown key(s): {', '.join(unknown)}")
    missing = sorted(keys - set(value))
    if missing:
        raise InvalidInput(f"{field} is missing {', '.join(missing)}")
    return value


def restore(cls: type[Session], doc: Any) -> Session:
    """A session from ``export``'s document (see the module docstring)."""
    if not isinstance(doc, dict) or doc.get("version") != EXPORT_VERSION:
        raise InvalidInput(f"document must be a session export of version {EXPORT_VERSION}")
    _object(doc, "document", KEYS)
    s = cls(doc["config"])
    pts = _object(doc["points"], "points", {"x", "y", "test"})
    s.set_points(pts["x"], pts["y"], pts["test"])
    if isinstance(s.net, TfpModel):  # the TFP profile: its parameters, dead links, sums
        s.net.load(doc["network"], MAX_COUNTER)
    else:
        net = Network.from_dict(doc["network"])
        if net.config != s.net.config:
            raise InvalidInput("network does not match the config")
        np.copyto(s.net.theta, net.theta)
    trainer = _object(doc["trainer"], "trainer", TRAINER_KEYS)
    _check_method(trainer["method"], s.config)
    for key in ("step", "epoch", "evaluations"):
        int_field(trainer[key], f"trainer.{key}", 0, MAX_COUNTER)
    if not isinstance(trainer["diverged"], bool):
        raise InvalidInput("trainer.diverged must be true or false")
    s.trainer.load_state_dict(trainer)
    s.history = _checked_history(doc["history"], s.trainer.step)
    s.path = _checked_path(doc["path"], s.net.n_params)
    s.timeline.clear()
    s.timeline.record(s.trainer.epoch, s.net.theta)
    s.touch()
    return s


def _check_method(method: Any, config: dict[str, Any]) -> None:
    """The method state is the config's method, with the config's settings."""
    if not isinstance(method, dict) or method.get("kind") != config["method"]:
        raise InvalidInput(f"trainer.method.kind must be the config's method {config['method']!r}")
    inner = method.get("settings")
    settings = {**method, **(inner if isinstance(inner, dict) else {})}
    for key in METHOD_SETTINGS[config["method"]]:
        if key not in settings or settings[key] != config[key]:
            raise InvalidInput(f"trainer.method.{key} must be the config's {config[key]!r}")


def _checked_path(items: Any, n_params: int) -> list[list[float]]:
    limit = HISTORY_LIMIT + 1 if n_params <= PATH_MAX_PARAMS else 0
    if not isinstance(items, list) or len(items) > limit:
        raise InvalidInput(f"path must be a list of at most {limit} weight vectors")
    return [finite_array(p, (n_params,), f"path[{i}]").tolist() for i, p in enumerate(items)]


def _checked_history(items: Any, last_step: int) -> list[dict[str, Any]]:
    if not isinstance(items, list) or len(items) > HISTORY_LIMIT + 1:
        raise InvalidInput(f"history must be a list of at most {HISTORY_LIMIT + 1} records")
    out = []
    for i, h in enumerate(items):
        rec = _object(h, f"history[{i}]", RECORD_KEYS)
        step = int_field(rec["step"], f"history[{i}].step", 0, last_step)
        epoch = int_field(rec["epoch"], f"history[{i}].epoch", 0, MAX_COUNTER)
        losses = {}
        for key in ("train", "test"):
            v = rec[key]
            if v is not None and (
                isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v)
            ):
                raise InvalidInput(f"history[{i}].{key} must be a finite number or null")
            losses[key] = None if v is None else float(v)
        out.append({"step": step, "epoch": epoch, **losses})
    return out
