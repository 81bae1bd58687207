"""A training session: a dataset, a network, a training method and their history.

Knows nothing of sockets or JSON: configuration comes in as plain dicts, snapshots go out as
plain dicts holding NumPy arrays, and every change is validated before any of it is applied
(a bad change raises ``ValueError`` naming the field and leaves the session as it was).

The configuration is one flat dict (``DEFAULTS`` lists every key). Changing a key has one of
four effects, reported by ``configure``:

- data (``dataset``, ``points``, ``noise``, ``classes``, ``train_ratio``): the points are
  generated anew; the network is rebuilt only if the problem type changes;
- network (``features``, ``normalize``, ``hidden``, ``loss``, ``seed``): the network is
  rebuilt with fresh weights from the seed (``seed`` also regenerates the data);
- training (``method``, its settings, ``batch_size``, ``regularization``,
  ``regularization_rate``): the weights are kept;
- view (``threshold``, ``speed``, ``resolution``, ``fps``): nothing is rebuilt.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.data import DATASETS, MAX_POINTS, Standardizer, feature_matrix, generate, split_mask
from app.data.features import FEATURES, validate_features
from app.nn import metrics
from app.nn.methods import Evolution, GradientDescent, Trainer, make_method
from app.nn.network import MAX_HIDDEN_LAYERS, Network, NetworkConfig

EXPORT_VERSION = 1
MAX_RESOLUTION = 200
MAX_SPEED = 1000  # epochs per frame; 0 = as fast as the machine allows
MAX_FPS = 60
MAX_EPOCHS_PER_CALL = 10_000
HISTORY_LIMIT = 2000
PATH_MAX_PARAMS = 16  # weight paths are kept for networks this small (the lessons' neurons)
ROC_POINTS = 64

DEFAULTS: dict[str, Any] = {
    "dataset": "circle",
    "points": 500,
    "noise": 0.0,
    "classes": 3,
    "train_ratio": 0.5,
    "seed": 0,
    "features": ["x1", "x2"],
    "normalize": False,
    "hidden": [{"units": 4, "activation": "tanh"}, {"units": 2, "activation": "tanh"}],
    "loss": "cross_entropy",
    "regularization": "none",
    "regularization_rate": 0.0,
    "method": "sgd",
    "lr": 0.03,
    "batch_size": 10,
    "momentum": 0.9,
    "beta1": 0.9,
    "beta2": 0.999,
    "population": 50,
    "sigma": 0.1,
    "elite": 2,
    "crossover": False,
    "threshold": 0.5,
    "speed": 1,
    "resolution": 50,
    "fps": 30,
}

DATA_KEYS = frozenset({"dataset", "points", "noise", "classes", "train_ratio"})
NETWORK_KEYS = frozenset({"features", "normalize", "hidden", "loss", "seed"})
METHOD_KEYS = frozenset(
    {"method", "lr", "batch_size", "momentum", "beta1", "beta2", "population", "sigma",
     "elite", "crossover"}
)  # fmt: skip
REGULARIZATION_KEYS = frozenset({"regularization", "regularization_rate"})
VIEW_KEYS = frozenset({"threshold", "speed", "resolution", "fps"})
METHOD_SETTINGS: dict[str, tuple[str, ...]] = {
    "sgd": ("lr", "batch_size"),
    "momentum": ("lr", "batch_size", "momentum"),
    "adam": ("lr", "batch_size", "beta1", "beta2"),
    "evolution": ("population", "sigma", "elite", "crossover"),
}
_OUTPUT_FOR_KIND = {"binary": "sigmoid", "multiclass": "softmax", "regression": "linear"}


def _number(cfg: dict[str, Any], key: str, lo: float, hi: float, integer: bool = False) -> None:
    v = cfg[key]
    ok_type = isinstance(v, int) if integer else isinstance(v, int | float)
    if isinstance(v, bool) or not ok_type or not math.isfinite(v) or not lo <= v <= hi:
        kind = "an integer" if integer else "a number"
        raise ValueError(f"{key} must be {kind} from {lo:g} to {hi:g}; got {v!r}")


def validate_config(cfg: dict[str, Any]) -> dict[str, Any]:
    """Check a complete flat config; returns a normalized deep copy. ValueError names the
    field at fault."""
    cfg = copy.deepcopy(cfg)
    unknown = sorted(set(cfg) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown setting(s): {', '.join(unknown)}")
    if cfg["dataset"] not in DATASETS:
        raise ValueError(f"dataset must be one of {', '.join(DATASETS)}; got {cfg['dataset']!r}")
    spec = DATASETS[cfg["dataset"]]
    _number(cfg, "points", 1, MAX_POINTS, integer=True)
    _number(cfg, "noise", 0.0, 1.0)
    _number(cfg, "classes", 3, 6, integer=True)
    _number(cfg, "train_ratio", 0.1, 0.9)
    _number(cfg, "seed", 0, 2**31 - 1, integer=True)
    feats = cfg["features"]
    if not isinstance(feats, list) or not all(isinstance(f, str) for f in feats):
        raise ValueError("features must be a list of feature names")
    validate_features(feats, spec.inputs)
    cfg["features"] = [f for f in FEATURES if f in feats]  # canonical order
    if not isinstance(cfg["normalize"], bool):
        raise ValueError("normalize must be true or false")
    if not isinstance(cfg["crossover"], bool):
        raise ValueError("crossover must be true or false")
    hidden = cfg["hidden"]
    if not isinstance(hidden, list) or len(hidden) > MAX_HIDDEN_LAYERS:
        raise ValueError(f"hidden must be a list of at most {MAX_HIDDEN_LAYERS} layers")
    cfg["hidden"] = [
        {"units": layer.get("units"), "activation": layer.get("activation", "tanh")}
        if isinstance(layer, dict)
        else layer
        for layer in hidden
    ]
    if cfg["loss"] not in ("cross_entropy", "mse"):
        raise ValueError(f"loss must be cross_entropy or mse; got {cfg['loss']!r}")
    if cfg["regularization"] not in ("none", "l1", "l2"):
        raise ValueError(f"regularization must be none, l1 or l2; got {cfg['regularization']!r}")
    if cfg["method"] not in METHOD_SETTINGS:
        raise ValueError(
            f"method must be one of {', '.join(METHOD_SETTINGS)}; got {cfg['method']!r}"
        )
    _number(cfg, "threshold", 0.0, 1.0)
    _number(cfg, "speed", 0, MAX_SPEED, integer=True)
    _number(cfg, "resolution", 8, MAX_RESOLUTION, integer=True)
    _number(cfg, "fps", 1, MAX_FPS, integer=True)
    # The network and methods validate the rest with their own messages; every method's
    # settings are checked, not only the current method's, so none is ever out of range.
    network_config(cfg, spec.kind, cfg["classes"])
    for method in METHOD_SETTINGS:
        _method_from({**cfg, "method": method})
    return cfg


def network_config(cfg: dict[str, Any], kind: str, classes: int) -> NetworkConfig:
    output = _OUTPUT_FOR_KIND[kind]
    d: dict[str, Any] = {
        "inputs": len(cfg["features"]),
        "hidden": cfg["hidden"],
        "output": output,
        "loss": "mse" if output == "linear" else cfg["loss"],
        "regularization": {"kind": cfg["regularization"], "rate": cfg["regularization_rate"]},
    }
    if output == "softmax":
        d["classes"] = classes
    return NetworkConfig.parse(d)


def _method_from(cfg: dict[str, Any]) -> GradientDescent | Evolution:
    kind = cfg["method"]
    return make_method({"kind": kind, **{k: cfg[k] for k in METHOD_SETTINGS[kind]}})


@dataclass
class Changes:
    """What a configure call did (sent back to the client)."""

    regenerated: bool = False
    rebuilt: bool = False
    keys: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"regenerated": self.regenerated, "rebuilt": self.rebuilt, "keys": self.keys}


class Session:
    """Everything one playground page works on. Not thread-safe: one owner drives it."""

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        config = dict(config or {})
        spec = DATASETS.get(config.get("dataset", DEFAULTS["dataset"]))
        if spec is not None and spec.inputs == 1 and "features" not in config:
            config["features"] = ["x1"]  # the only feature one-dimensional data has
        cfg = validate_config({**DEFAULTS, **config})
        self.config = cfg
        self.playing = False
        self.version = 0  # bumped by every change: a frame is due only when it moved
        self.points_version = 0
        self._grid_cache: dict[tuple[int, int], np.ndarray] = {}
        self._data_version = 0
        self._eval_key: tuple[Any, ...] | None = None
        self._eval: dict[str, tuple[float | None, np.ndarray | None]] = {}
        self._generate_points()
        self._build_network()

    # --- construction ------------------------------------------------------------------

    @property
    def spec(self) -> Any:
        return DATASETS[self.config["dataset"]]

    @property
    def kind(self) -> str:
        return str(self.spec.kind)

    @property
    def classes(self) -> int:
        return {"binary": 2, "multiclass": self.config["classes"], "regression": 0}[self.kind]

    def _seeds(self) -> list[np.random.SeedSequence]:
        """Independent streams for data, split, initial weights and training."""
        return np.random.SeedSequence(self.config["seed"]).spawn(4)

    def _generate_points(self) -> None:
        c = self.config
        data_seed, split_seed, _, _ = self._seeds()
        ds = generate(
            c["dataset"],
            n=c["points"],
            noise=c["noise"],
            classes=c["classes"],
            seed=np.random.default_rng(data_seed),
        )
        self.X_raw, self.y = ds.X, ds.y
        self.is_test = split_mask(len(ds.y), c["train_ratio"], np.random.default_rng(split_seed))
        self.points_version += 1

    def _build_network(self) -> None:
        """Fresh network and method from the seed; clears counters and history."""
        _, _, init_seed, train_seed = self._seeds()
        self.net = Network(
            network_config(self.config, self.kind, self.classes), np.random.default_rng(init_seed)
        )
        # The training set is attached by _refresh_data.
        self.trainer = Trainer(
            self.net, None, None, _method_from(self.config), np.random.default_rng(train_seed)
        )
        self.history: list[dict[str, Any]] = []
        self.path: list[list[float]] = []
        self._refresh_data()
        self._record()

    def _refresh_data(self) -> None:
        """Derive features, fit the standardizer and hand the training set to the trainer."""
        feats = self.config["features"]
        F = feature_matrix(self.X_raw, feats) if len(self.y) else np.zeros((0, len(feats)))
        train = ~self.is_test
        if self.config["normalize"] and train.any():
            self.standardizer = Standardizer.fit(F[train])
        else:
            self.standardizer = Standardizer.identity(len(feats))
        self.F = self.standardizer.apply(F)
        self.F_train, self.y_train = self.F[train], self.y[train]
        self.F_test, self.y_test = self.F[self.is_test], self.y[self.is_test]
        self.Y_test = self.net.targets(self.y_test)
        self.trainer.set_data(self.F_train, self.y_train)
        self._data_version += 1
        self.version += 1

    # --- configuration ----------------------------------------------------------------

    def configure(self, changes: dict[str, Any]) -> Changes:
        """Apply a partial config; returns what was regenerated or rebuilt."""
        if not isinstance(changes, dict):
            raise ValueError("config must be an object")
        new = {**self.config, **changes}
        old_spec = self.spec
        if "dataset" in changes and DATASETS.get(new["dataset"]) is not None:
            inputs = DATASETS[new["dataset"]].inputs
            if inputs != old_spec.inputs and "features" not in changes:
                new["features"] = ["x1"] if inputs == 1 else ["x1", "x2"]
        new = validate_config(new)
        keys = sorted(k for k in new if new[k] != self.config[k])
        old = self.config
        self.config = new
        result = Changes(keys=keys)
        new_spec = self.spec
        problem_changed = new_spec.kind != old_spec.kind or (
            new_spec.kind == "multiclass" and new["classes"] != old["classes"]
        )
        if (DATA_KEYS | {"seed"}) & set(keys):
            self._generate_points()
            result.regenerated = True
        if problem_changed or NETWORK_KEYS & set(keys):
            self._build_network()
            result.rebuilt = True
        else:
            if REGULARIZATION_KEYS & set(keys):
                theta = self.net.theta.copy()
                self.net = Network(network_config(new, self.kind, self.classes), 0)
                np.copyto(self.net.theta, theta)
                self.trainer.net = self.net
            if METHOD_KEYS & set(keys):
                self._apply_method(old)
            if result.regenerated or REGULARIZATION_KEYS & set(keys):
                self._refresh_data()
            self.trainer.diverged = False
        self.version += 1
        return result

    def _apply_method(self, old: dict[str, Any]) -> None:
        """Switch or retune the method, keeping the weights (and the optimizer state when
        only its settings changed)."""
        c = self.config
        if c["method"] != old["method"]:
            self.trainer.set_method(_method_from(c))
        else:
            self.trainer.method.configure(**{k: c[k] for k in METHOD_SETTINGS[c["method"]]})

    # --- points -----------------------------------------------------------------------

    def _check_point(self, x: Any, label: Any) -> tuple[np.ndarray, int | float]:
        spec = self.spec
        if not isinstance(x, list | tuple) or len(x) != spec.inputs:
            raise ValueError(f"x must be a list of {spec.inputs} coordinate(s)")
        for i, (v, (lo, hi)) in enumerate(zip(x, spec.domain, strict=True)):
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise ValueError(f"x[{i}] must be a finite number; got {v!r}")
            if not lo <= v <= hi:
                raise ValueError(f"x[{i}] must lie in the view, {lo:g} to {hi:g}; got {v}")
        if self.kind == "regression":
            if isinstance(label, bool) or not isinstance(label, int | float):
                raise ValueError(f"label must be a number; got {label!r}")
            if not math.isfinite(label) or abs(label) > 1e6:
                raise ValueError(f"label must be a finite number within ±1e6; got {label!r}")
            return np.asarray(x, dtype=np.float64), float(label)
        if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < self.classes:
            raise ValueError(f"label must be a class from 0 to {self.classes - 1}; got {label!r}")
        return np.asarray(x, dtype=np.float64), int(label)

    def _check_index(self, index: Any) -> int:
        n = len(self.y)
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n:
            raise ValueError(f"index must be a point index from 0 to {n - 1}; got {index!r}")
        return index

    def add_point(self, x: list[float], label: int | float, test: bool = False) -> int:
        """Add a point (in the view's raw coordinates) to the training or test set; returns
        its index."""
        return self.add_points([(x, label, test)])[0]

    def add_points(self, points: list[tuple[list[float], int | float, bool]]) -> list[int]:
        """Add several points, all checked before any is added; returns their indexes."""
        if len(self.y) + len(points) > MAX_POINTS:
            raise ValueError(f"points: a session holds at most {MAX_POINTS} points")
        checked = []
        for x, label, test in points:
            if not isinstance(test, bool):
                raise ValueError("test must be true or false")
            checked.append((*self._check_point(x, label), test))
        if not checked:
            return []
        n = len(self.y)
        self.X_raw = np.vstack([self.X_raw, np.asarray([c[0] for c in checked])])
        self.y = np.append(self.y, np.asarray([c[1] for c in checked], dtype=self.y.dtype))
        self.is_test = np.append(self.is_test, [c[2] for c in checked])
        self._points_changed()
        return list(range(n, len(self.y)))

    def move_point(self, index: int, x: list[float]) -> None:
        i = self._check_index(index)
        xa, _ = self._check_point(x, self.y[i].item())
        self.X_raw = self.X_raw.copy()
        self.X_raw[i] = xa
        self._points_changed()

    def remove_point(self, index: int) -> None:
        i = self._check_index(index)
        keep = np.arange(len(self.y)) != i
        self.X_raw, self.y, self.is_test = self.X_raw[keep], self.y[keep], self.is_test[keep]
        self._points_changed()

    def clear_points(self) -> None:
        self.X_raw = self.X_raw[:0]
        self.y, self.is_test = self.y[:0], self.is_test[:0]
        self._points_changed()

    def set_points(self, X: Any, y: Any, test: Any = None) -> None:
        """Replace every point (CSV upload, import); all checked before any is applied."""
        Xa = np.asarray(X, dtype=np.float64) if len(X) else np.zeros((0, self.spec.inputs))
        if Xa.ndim != 2 or Xa.shape[1] != self.spec.inputs or len(Xa) > MAX_POINTS:
            raise ValueError(f"points must be at most {MAX_POINTS} rows of {self.spec.inputs}")
        if len(y) != len(Xa):
            raise ValueError("labels must have one entry per point")
        mask = np.zeros(len(Xa), dtype=bool) if test is None else np.asarray(test)
        if mask.size == 0:  # an empty list has no dtype of its own
            mask = mask.astype(bool)
        if mask.shape != (len(Xa),) or mask.dtype != bool:
            raise ValueError("test must be one true/false per point")
        checked = [
            self._check_point(list(map(float, x)), lab) for x, lab in zip(Xa, y, strict=True)
        ]
        ys = np.asarray([lab for _, lab in checked])
        self.X_raw = Xa.copy()
        self.y = ys.astype(np.float64 if self.kind == "regression" else np.int64)
        self.is_test = mask.copy()
        self._points_changed()

    def _points_changed(self) -> None:
        self.points_version += 1
        self._refresh_data()

    # --- training ---------------------------------------------------------------------

    def step(self, epochs: int = 1) -> int:
        """Train ``epochs`` epochs (stops early on divergence) and record the losses."""
        run = self.steps(epochs, math.inf)
        while True:
            try:
                next(run)
            except StopIteration as stop:
                done: int = stop.value
                return done

    def steps(self, epochs: int, seconds: float) -> Generator[None, bool | None, int]:
        """``step(epochs)`` in slices of about ``seconds``: yields between slices, so that a
        caller can do other work, and returns the epochs done. The numbers are the same.
        ``send(True)`` instead of ``next`` stops it there."""
        if isinstance(epochs, bool) or not isinstance(epochs, int):
            raise ValueError("epochs must be an integer")
        if not 1 <= epochs <= MAX_EPOCHS_PER_CALL:
            raise ValueError(f"epochs must be from 1 to {MAX_EPOCHS_PER_CALL}; got {epochs}")
        if not len(self.y_train):
            raise ValueError("points: there are no training points to learn from")
        if self.trainer.diverged:
            return 0
        each = self.net.n_params <= PATH_MAX_PARAMS  # small enough to keep every epoch's weights
        done = 0
        deadline = time.perf_counter() + seconds
        while done < epochs and self.trainer.run(1):
            done += 1
            if each:
                self._record()
            if done < epochs and time.perf_counter() >= deadline:
                if (yield):  # told to stop (``send(True)``): the epochs done stand
                    break
                deadline = time.perf_counter() + seconds
        if done < epochs or not each:
            self._record()
        self.version += 1
        return done

    def reset(self) -> None:
        """New weights from the seed (same seed, same weights), counters and history cleared."""
        self._build_network()
        self.version += 1

    def set_param(self, layer: int, kind: str, index: list[int], value: float) -> None:
        self.net.set_param(layer, kind, tuple(index), value)
        self.trainer.diverged = False
        self._record()
        self.version += 1

    @property
    def status(self) -> str:
        if self.trainer.diverged:
            return "diverged"
        return "training" if self.playing else "idle"

    def status_message(self) -> str:
        if self.trainer.diverged:
            c = self.config
            rate = f"learning rate {c['lr']:g}" if c["method"] != "evolution" else "mutation"
            return (
                f"The weights blew up: the {rate} is too large for this network. "
                "Lower it and press Reset."
            )
        return ""

    def _evaluate(self) -> dict[str, tuple[float | None, np.ndarray | None]]:
        """Loss (with penalty; None if not finite) and outputs on the training and the test
        set from one forward pass each, kept until the weights, network or data change."""
        net = self.net
        key = (net, net.theta.tobytes(), self._data_version)
        if self._eval_key == key:
            return self._eval
        out: dict[str, tuple[float | None, np.ndarray | None]] = {}
        penalty = net.penalty()
        for name, F, Y in (
            ("train", self.F_train, self.trainer.Y),
            ("test", self.F_test, self.Y_test),
        ):
            if not len(F):
                out[name] = (None, None)
                continue
            ws = net._forward(F)
            loss = float(net.loss_fn.value(ws.Z[-1], ws.A[-1], Y)) + penalty
            out[name] = (_finite_or_none(loss), ws.A[-1].copy())
        self._eval_key, self._eval = key, out
        return out

    def losses(self) -> tuple[float | None, float | None]:
        """Training and test loss (with penalty) at the current weights; None if no points."""
        ev = self._evaluate()
        return ev["train"][0], ev["test"][0]

    def _record(self) -> None:
        train, test = self.losses()
        if train is None and len(self.y_train):
            self.trainer.diverged = True
        t = self.trainer
        self.history.append({"step": t.step, "epoch": t.epoch, "train": train, "test": test})
        if self.net.n_params <= PATH_MAX_PARAMS:
            self.path.append(self.net.theta.tolist())
        if len(self.history) > HISTORY_LIMIT:  # thin the past, keep the newest
            self.history = self.history[:-1:2] + self.history[-1:]
            self.path = self.path[:-1:2] + self.path[-1:]

    # --- what the page draws -----------------------------------------------------------

    def grid(self, resolution: int | None = None) -> np.ndarray:
        """Raw coordinates of the view's grid: (R², 2) row-major from the bottom-left for
        2-D data, (R, 1) for 1-D data."""
        r = resolution or self.config["resolution"]
        axes = [np.linspace(lo, hi, r) for lo, hi in self.spec.domain]
        if len(axes) == 1:
            return axes[0][:, None]
        gx, gy = np.meshgrid(axes[0], axes[1])
        return np.column_stack([gx.ravel(), gy.ravel()])

    def grid_inputs(self, resolution: int | None = None) -> np.ndarray:
        """The grid as network inputs (features derived, normalized); cached until the data,
        features or resolution change."""
        r = resolution or self.config["resolution"]
        key = (r, self._data_version)
        if key not in self._grid_cache:
            F = feature_matrix(self.grid(r), self.config["features"])
            self._grid_cache = {key: self.standardizer.apply(F, out=F)}
        return self._grid_cache[key]

    def snapshot(self, resolution: int | None = None) -> dict[str, Any]:
        """Everything the page draws: maps of the output and of every neuron over the view
        (one batched pass), weights, the gradient of the training loss, losses, metrics,
        counters and status. Arrays are NumPy; the caller encodes them.

        ``maps (outputs + neurons, R^d)`` holds the output's rows, then every hidden neuron
        layer by layer; ``outputs`` says how many rows are the output's."""
        r = resolution or self.config["resolution"]
        progress = self._progress()
        grads = None
        if len(self.y_train):
            self.net.backprop(self.F_train, self.trainer.Y)
            grads = [(dW.copy(), db.copy()) for dW, db in self.net.grads]
        # Last: the grid's activations live in buffers that a pass over as many points reuses.
        acts = self.net.activations(self.grid_inputs(r))
        return {
            **progress,
            "resolution": r,
            "domain": [list(d) for d in self.spec.domain],
            "maps": np.concatenate(
                [acts[-1].T, *(a.T for a in acts[:-1])],
                out=np.empty((sum(self.net.sizes[1:]), acts[-1].shape[0])),
            ),
            "outputs": acts[-1].shape[1],
            "params": [(W.copy(), b.copy()) for W, b in self.net.params],
            "gradients": grads,
            "metrics": self.metrics(),
            "line": self.raw_line(),
            "population": self.population(),
        }

    def metrics(self) -> dict[str, Any]:
        """Quality on the training and the test set at the current threshold."""
        out: dict[str, Any] = {"kind": self.kind}
        ev = self._evaluate()
        for name, y in (("train", self.y_train), ("test", self.y_test)):
            P = ev[name][1]
            if P is None:
                out[name] = None
            elif self.kind == "binary":
                p = P[:, 0]
                rep: dict[str, Any] = metrics.binary_report(y, p, self.config["threshold"])
                fpr, tpr, thr, auc = metrics.roc(y, p)
                idx = np.unique(np.linspace(0, len(fpr) - 1, min(len(fpr), ROC_POINTS)).astype(int))
                rep["roc"] = {
                    "fpr": np.round(fpr[idx], 4).tolist(),
                    "tpr": np.round(tpr[idx], 4).tolist(),
                    "thresholds": np.round(thr[idx], 4).tolist(),
                    "auc": auc,
                }
                out[name] = rep
            elif self.kind == "multiclass":
                out[name] = metrics.multiclass_report(y, P)
            else:
                out[name] = metrics.regression_report(y, P[:, 0])
        return out

    def raw_line(self) -> dict[str, Any] | None:
        """For a network with no hidden layer on linear features, its boundary in raw units:
        w·x + b = 0 (the output's 0.5 level for a sigmoid unit)."""
        feats = self.config["features"]
        if self.net.layers != 1 or self.kind != "binary" or not set(feats) <= {"x1", "x2"}:
            return None
        W, b = self.standardizer.to_raw(*self.net.params[0])
        w = [0.0] * self.spec.inputs
        for j, f in enumerate(feats):
            w[0 if f == "x1" else 1] = float(W[j, 0])
        return {"w": w, "b": float(b[0])}

    def loss_surface(
        self, resolution: int = 41, include: list[list[float]] | None = None
    ) -> dict[str, Any]:
        """The training loss over a grid of (w, b) for a network of one input and a bias:
        ``loss (R, R)`` with rows along ``b`` and columns along ``w``, framing the weight path,
        the evolutionary population if any, and the points ``include`` (e.g. another
        training's population) with a margin. Non-finite losses are None."""
        if self.net.n_params != 2:
            raise ValueError("the loss surface is drawn for a network of one input and a bias")
        if not isinstance(resolution, int) or not 8 <= resolution <= 101:
            raise ValueError(f"resolution must be from 8 to 101; got {resolution!r}")
        if not len(self.y_train):
            raise ValueError("points: there are no training points")
        seen = [np.asarray(self.path).reshape(-1, 2), self.net.theta[None, :], np.zeros((1, 2))]
        pop = self.population()
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
        losses = self.net.population_losses(grid, self.F_train, self.trainer.Y)
        rows = losses.reshape(resolution, resolution).tolist()
        loss = [[v if math.isfinite(v) else None for v in row] for row in rows]
        return {"w": ws.tolist(), "b": bs.tolist(), "loss": loss, "path": self.path}

    def population(self) -> np.ndarray | None:
        m = self.trainer.method
        if isinstance(m, Evolution) and m.evaluated is not None:
            return m.evaluated.copy()
        return None

    def point_arrays(self) -> dict[str, Any]:
        return {"x": self.X_raw, "y": self.y, "test": self.is_test, "version": self.points_version}

    def state(self) -> dict[str, Any]:
        """A summary: config, counters, status, losses, sizes (plain values)."""
        return {
            "config": copy.deepcopy(self.config),
            "kind": self.kind,
            "classes": self.classes,
            "inputs": self.spec.inputs,
            "domain": [list(d) for d in self.spec.domain],
            "network": self.net.config.to_dict(),
            "sizes": self.net.sizes,
            "points": {"train": int(len(self.y_train)), "test": int(len(self.y_test))},
            **self._progress(),
        }

    def _progress(self) -> dict[str, Any]:
        """Counters, status and losses: what every frame and every state carries."""
        t = self.trainer
        train, test = self.losses()
        return {
            "step": t.step,
            "epoch": t.epoch,
            "evaluations": t.evaluations,
            "status": self.status,
            "message": self.status_message(),
            "loss": {"train": train, "test": test},
        }

    # --- export / import --------------------------------------------------------------

    def export(self) -> dict[str, Any]:
        """The whole session as plain JSON-ready values; ``Session.from_export`` restores it
        exactly, and training on from there gives the same numbers."""
        return {
            "version": EXPORT_VERSION,
            "config": copy.deepcopy(self.config),
            "points": {
                "x": self.X_raw.tolist(),
                "y": self.y.tolist(),
                "test": self.is_test.tolist(),
            },
            "network": self.net.to_dict(),
            "trainer": self.trainer.state_dict(),
            "history": copy.deepcopy(self.history),
            "path": copy.deepcopy(self.path),
        }

    @classmethod
    def from_export(cls, doc: Any) -> Session:
        """Rebuild a session from ``export()``; ValueError if anything does not fit."""
        if not isinstance(doc, dict) or doc.get("version") != EXPORT_VERSION:
            raise ValueError(f"document must be a session export of version {EXPORT_VERSION}")
        try:
            s = cls(doc["config"])
            pts = doc["points"]
            s.set_points(pts["x"], pts["y"], pts.get("test"))
            net = Network.from_dict(doc["network"])
            if net.config != s.net.config:
                raise ValueError("network does not match the config")
            np.copyto(s.net.theta, net.theta)
            s.trainer.load_state_dict(doc["trainer"])
            s.history = _checked_history(doc.get("history", []))
            s.path = _checked_path(doc.get("path", []))
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"document is missing or has a malformed part: {exc}") from exc
        s.version += 1
        return s


def _finite_or_none(v: float | None) -> float | None:
    return v if v is not None and math.isfinite(v) else None


def _checked_path(items: Any) -> list[list[float]]:
    path = [list(map(float, p)) for p in items]
    if not all(math.isfinite(v) for p in path for v in p):
        raise ValueError("path must be a list of finite weight vectors")
    return path


def _checked_history(items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list) or len(items) > HISTORY_LIMIT + 1:
        raise ValueError("history must be a list of loss records")
    out = []
    for h in items:
        rec = {
            "step": int(h["step"]),
            "epoch": int(h["epoch"]),
            "train": _finite_or_none(None if h.get("train") is None else float(h["train"])),
            "test": _finite_or_none(None if h.get("test") is None else float(h["test"])),
        }
        out.append(rec)
    return out
