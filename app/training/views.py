"""What the page draws, as plain values (NumPy arrays for the maps): a session's snapshot,
metrics, raw decision line, loss surface and state. Reads a session; changes nothing but
its caches."""

from __future__ import annotations

import copy
import functools
import math
import weakref
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from app.errors import InvalidInput
from app.nn import metrics as quality
from app.training.config import METHOD_SETTINGS, SURFACE_RESOLUTION
from app.training.tfp import settings_for

if TYPE_CHECKING:
    from app.training.session import Session

ROC_POINTS = 64


class Views:
    """What a session draws, as methods (``Session`` inherits them)."""

    @property
    def status(self) -> str:
        s = cast("Session", self)
        if s.trainer.diverged:
            return "diverged"
        return "training" if s.playing else "idle"

    def status_message(self) -> str:
        """Why the session stopped, when the weights diverged; empty otherwise."""
        s = cast("Session", self)
        if not s.trainer.diverged:
            return ""
        c = s.config
        rate = f"learning rate {c['lr']:g}" if "lr" in METHOD_SETTINGS[c["method"]] else "mutation"
        return (
            f"The weights blew up: the {rate} is too large for this network. "
            "Lower it and press Reset."
        )

    def snapshot(self, resolution: int | None = None) -> dict[str, Any]:
        """Everything the page draws (see ``snapshot``)."""
        return snapshot(cast("Session", self), resolution)

    def metrics(self) -> dict[str, Any]:
        """Quality on the training and the test set at the current threshold."""
        return metrics(cast("Session", self))

    def raw_line(self) -> dict[str, Any] | None:
        return raw_line(cast("Session", self))

    def loss_surface(
        self, resolution: int = 41, include: list[list[float]] | None = None
    ) -> dict[str, Any]:
        """The training loss over (w, b) (see ``loss_surface``)."""
        return loss_surface(cast("Session", self), resolution, include)

    def state(self) -> dict[str, Any]:
        """A summary: config, counters, status, losses, sizes (plain values)."""
        return state(cast("Session", self))

    def progress(self) -> dict[str, Any]:
        """Counters, status and losses: what every frame and every state carries."""
        return progress(cast("Session", self))


def snapshot(s: Session, resolution: int | None = None) -> dict[str, Any]:
    """Everything the page draws: maps of the output and of every neuron over the view
    (one batched pass), weights, the gradient of the training loss, losses, metrics,
    counters and status. Arrays are NumPy; the caller encodes them.

    ``maps (outputs + neurons, R^d)`` holds the output's rows, then every hidden neuron
    layer by layer; ``outputs`` says how many rows are the output's. ``dead`` (the TFP
    profile, once L1 has killed a link) marks the dead links, per layer shaped like ``W``;
    None otherwise. (In pieces: ``app.training.maps.snapshot_steps``.)"""
    from app.training import maps

    snap: dict[str, Any] = maps.finish(maps.snapshot_steps(s, resolution))
    return snap


def metrics(s: Session) -> dict[str, Any]:
    """Quality on the training and the test set at the current threshold."""
    out: dict[str, Any] = {"kind": s.kind}
    ev = s.evaluate()
    for name, y in (("train", s.y_train), ("test", s.y_test)):
        P = ev[name][1]
        if P is None:
            out[name] = None
        elif s.kind == "binary":
            report, (fpr, tpr, thr, auc) = quality.binary_summary(
                _positives(s, name, y), P[:, 0], s.config["threshold"]
            )
            idx = _roc_index(len(fpr))
            curve = np.empty((3, idx.size))
            for k, a in enumerate((fpr, tpr, thr)):
                a.take(idx, out=curve[k])
            f, t, th = np.round(curve, 4, out=curve).tolist()
            out[name] = {**report, "roc": {"fpr": f, "tpr": t, "thresholds": th, "auc": auc}}
        elif s.kind == "multiclass":
            out[name] = quality.multiclass_report(y, P)
        else:
            out[name] = quality.regression_report(y, P[:, 0])
    return out


# Each session's labels as booleans (True: the positive class) by set: the data version and
# the labels they were made from, and they.
_labels: weakref.WeakKeyDictionary[Any, dict[str, tuple[int, np.ndarray, np.ndarray]]] = (
    weakref.WeakKeyDictionary()
)


def _positives(s: Session, name: str, y: np.ndarray) -> np.ndarray:
    """``y == 1`` for the binary labels ``y (n,)`` of set ``name``, kept while the session's
    data stay the same (labels that are not all 0 or 1 come back as they are, to be
    refused)."""
    kept = _labels.setdefault(s, {})
    got = kept.get(name)
    if got is not None and got[0] == s._data_version and got[1] is y:
        return got[2]
    if not np.all((y == 0) | (y == 1)):
        return y
    positive = np.asarray(y == 1, dtype=np.bool_)
    positive.flags.writeable = False
    kept[name] = (s._data_version, y, positive)
    return positive


@functools.lru_cache(maxsize=256)
def _roc_index(n: int) -> np.ndarray:
    """Up to ``ROC_POINTS`` indexes spread evenly over a curve of ``n`` points, first and
    last included (read-only)."""
    idx = np.unique(np.linspace(0, n - 1, min(n, ROC_POINTS)).astype(int))
    idx.flags.writeable = False
    return idx


def raw_line(s: Session) -> dict[str, Any] | None:
    """For a network with no hidden layer on linear features, its boundary in raw units:
    w·x + b = 0 (the output's 0.5 level for a sigmoid unit)."""
    feats = s.config["features"]
    if s.net.layers != 1 or s.kind != "binary" or not set(feats) <= {"x1", "x2"}:
        return None
    W, b = s.standardizer.to_raw(*s.net.params[0])
    w = [0.0] * s.spec.inputs
    for j, f in enumerate(feats):
        w[0 if f == "x1" else 1] = float(W[j, 0])
    return {"w": w, "b": float(b[0])}


def loss_surface(
    s: Session, resolution: int = 41, include: list[list[float]] | None = None
) -> dict[str, Any]:
    """The training loss over a grid of (w, b) for a network of one input and a bias:
    ``loss (R, R)`` with rows along ``b`` and columns along ``w``, framing the weight path,
    the evolutionary population if any, and the points ``include`` (e.g. another
    training's population) with a margin. Non-finite losses are None."""
    if s.net.n_params != 2:
        raise InvalidInput("the loss surface is drawn for a network of one input and a bias")
    lo, hi = SURFACE_RESOLUTION
    if (
        isinstance(resolution, bool)
        or not isinstance(resolution, int)
        or not lo <= resolution <= hi
    ):
        raise InvalidInput(f"resolution must be from {lo} to {hi}; got {resolution!r}")
    if not len(s.y_train):
        raise InvalidInput("points: there are no training points")
    seen = [np.asarray(s.path).reshape(-1, 2), s.net.theta[None, :], np.zeros((1, 2))]
    pop = s.population()
    if pop is not None:
        seen.append(pop)
    if include:
        extra = np.asarray(include, dtype=np.float64).reshape(-1, 2)
        seen.append(extra[np.all(np.isfinite(extra) & (np.abs(extra) < 1e4), axis=1)])
    pts = np.concatenate(seen)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centre, half = (lo + hi) / 2, np.maximum((hi - lo) * 0.6, 1.0)
    ws = np.linspace(centre[0] - half[0], centre[0] + half[0], resolution)
    bs = np.linspace(centre[1] - half[1], centre[1] + half[1], resolution)
    Wg, Bg = np.meshgrid(ws, bs)
    grid = np.column_stack([Wg.ravel(), Bg.ravel()])  # layout [W (1×1), b]
    losses = s.net.population_losses(grid, s.F_train, s.trainer.Y)
    rows = losses.reshape(resolution, resolution).tolist()
    loss = [[v if math.isfinite(v) else None for v in row] for row in rows]
    return {"w": ws.tolist(), "b": bs.tolist(), "loss": loss, "path": s.path}


def state(s: Session) -> dict[str, Any]:
    """A summary: config, counters, status, losses, sizes (plain values); ``beyond_tfp``
    names, under the tfp profile, the settings in use that TensorFlow Playground cannot
    reproduce (``app.training.tfp.settings_for``)."""
    return {
        "config": copy.deepcopy(s.config),
        "kind": s.kind,
        "classes": s.classes,
        "inputs": s.spec.inputs,
        "domain": [list(d) for d in s.spec.domain],
        "network": s.net.config.to_dict(),
        "sizes": s.net.sizes,
        "points": {"train": int(len(s.y_train)), "test": int(len(s.y_test))},
        "beyond_tfp": settings_for(s.config)[1] if s.tfp else [],
        **progress(s),
    }


def progress(s: Session) -> dict[str, Any]:
    """Counters, status and losses: what every frame and every state carries."""
    t = s.trainer
    train, test = s.losses()
    return {
        "step": t.step,
        "epoch": t.epoch,
        "evaluations": t.evaluations,
        "status": s.status,
        "message": s.status_message(),
        "loss": {"train": train, "test": test},
    }
