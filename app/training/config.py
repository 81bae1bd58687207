"""The session's configuration, defined once: every setting's type, default, range or choices
and its effect, built from the registries (datasets, features, activations, losses,
regularizations, methods and their settings).

Every path that takes a configuration — the socket, HTTP, an import, a Python caller —
validates it here, strictly: a bool is not a number, ``"5"`` is not 5, ``5.0`` is not an
integer. A bad value raises ``InvalidInput`` naming the field; nothing is applied.

Effects of changing a setting:

- ``regenerate``: the points are generated anew (the network is rebuilt only if the problem
  type changes);
- ``reseed``: the points are generated anew and the network rebuilt with fresh weights;
- ``rebuild``: the network is rebuilt with fresh weights from the seed;
- ``keep``: training settings; the weights are kept;
- ``view``: nothing is rebuilt.

A new activation, optimizer (and its settings), dataset, feature or loss is one entry in its
registry; it appears here, and from here on the page, in the URL state, the HTTP API and its
schema, and in the protocol document, with no other edit.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from app.data import DATASETS, FEATURES, MAX_POINTS, validate_features
from app.errors import InvalidInput
from app.nn.activations import ACTIVATIONS
from app.nn.hyper import Hyper, float_field, int_field
from app.nn.losses import LOSSES
from app.nn.methods import MAX_BATCH, Evolution, GradientDescent, make_method
from app.nn.network import MAX_CLASSES, MAX_HIDDEN_LAYERS, MAX_UNITS, NetworkConfig
from app.nn.optimizers import OPTIMIZERS
from app.nn.regularization import MAX_REGULARIZATION_RATE, REGULARIZATIONS
from app.training.tfp import REFUSED, follow_problem, settings_for

Kind = Literal["int", "float", "bool", "choice", "text", "features", "layers"]
Effect = Literal["regenerate", "reseed", "rebuild", "keep", "view"]

MIN_CLASSES = 3  # the blobs: two classes are what the binary sets are for
MAX_SEED = 2**31 - 1
MAX_TEXT = 64  # characters of a text setting (TensorFlow Playground's seed)
PROFILES = ("native", "tfp")
MAX_RESOLUTION = 200
MAX_SPEED = 1000  # epochs per frame; 0 = as fast as the machine allows
MAX_FPS = 60
MAX_EPOCHS_PER_CALL = 10_000
SURFACE_RESOLUTION = (8, 101)
HISTORY_LIMIT = 2000  # loss records kept; past it the older half is thinned
PATH_MAX_PARAMS = 16  # weight paths are kept for networks this small (the lessons' neurons)
DEFAULT_ACTIVATION = "tanh"
OUTPUT_FOR_KIND = {"binary": "sigmoid", "multiclass": "softmax", "regression": "linear"}


@dataclass(frozen=True)
class Setting:
    """One configuration key. ``lo``/``hi`` bound numbers (and, for ``layers``, the number
    of layers); ``choices`` lists the names a ``choice``, ``features`` or layer activation
    may take; ``methods`` the training methods a method setting belongs to; ``presets`` the
    values the page offers in a list; ``slider`` the page's (min, max, step) for a range."""

    key: str
    kind: Kind
    default: Any
    effect: Effect
    label: str
    doc: str = ""
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    presets: tuple[float, ...] = ()
    step: float | None = None
    slider: tuple[float, float, float] | None = None

    def check(self, value: Any) -> Any:
        """``value`` checked and normalized; InvalidInput naming this key otherwise."""
        key = self.key
        if self.kind == "int":
            return int_field(value, key, int(self.lo or 0), int(self.hi or 0))
        if self.kind == "float":
            return float_field(value, key, float(self.lo or 0), float(self.hi or 0))
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise InvalidInput(f"{key} must be true or false; got {value!r}")
            return value
        if self.kind == "choice":
            if not isinstance(value, str) or value not in self.choices:
                raise InvalidInput(f"{key} must be one of {', '.join(self.choices)}; got {value!r}")
            return value
        if self.kind == "text":
            if not isinstance(value, str) or len(value) > MAX_TEXT:
                raise InvalidInput(f"{key} must be a text of at most {MAX_TEXT} characters")
            return value
        if self.kind == "features":
            if not isinstance(value, list) or not all(isinstance(f, str) for f in value):
                raise InvalidInput(f"{key} must be a list of feature names")
            unknown = [f for f in value if f not in self.choices]
            if unknown:
                raise InvalidInput(f"{key} has unknown name {unknown[0]!r}")
            return list(value)
        return self._check_layers(value)

    def _check_layers(self, value: Any) -> list[dict[str, Any]]:
        if not isinstance(value, list) or len(value) > int(self.hi or 0):
            raise InvalidInput(f"{self.key} must be a list of at most {self.hi:g} layers")
        out = []
        for i, layer in enumerate(value):
            field = f"{self.key}[{i}]"
            if not isinstance(layer, dict) or not set(layer) <= {"units", "activation"}:
                raise InvalidInput(f"{field} must be an object with units and activation")
            units = int_field(layer.get("units"), f"{field}.units", 1, MAX_UNITS)
            act = layer.get("activation", DEFAULT_ACTIVATION)
            if not isinstance(act, str) or act not in self.choices:
                raise InvalidInput(
                    f"{field}.activation must be one of {', '.join(self.choices)}; got {act!r}"
                )
            out.append({"units": units, "activation": act})
        return out

    def describe(self) -> dict[str, Any]:
        """The plain form the page, the HTTP API and the docs read."""
        d: dict[str, Any] = {
            "key": self.key,
            "kind": self.kind,
            "default": copy.deepcopy(self.default),
            "effect": self.effect,
            "label": self.label,
            "doc": self.doc,
        }
        for name in ("lo", "hi", "step", "slider"):
            if getattr(self, name) is not None:
                d[name] = getattr(self, name)
        for name in ("choices", "methods", "presets"):
            if getattr(self, name):
                d[name] = list(getattr(self, name))
        return d


def _method_settings() -> list[Setting]:
    """The methods' settings: batch size for every gradient method, each optimizer's
    exposed settings (a name shared by several optimizers is one setting, with the first
    one's default), the evolutionary trainer's."""
    gradient = tuple(OPTIMIZERS)
    found: dict[str, tuple[Hyper, list[str]]] = {
        k: (h, list(gradient)) for k, h in GradientDescent.SETTINGS.items()
    }
    for name, opt in OPTIMIZERS.items():
        for key, h in opt.SETTINGS.items():
            if key not in opt.HIDDEN:
                found.setdefault(key, (h, []))[1].append(name)
    for key, h in Evolution.SETTINGS.items():
        found.setdefault(key, (h, []))[1].append(Evolution.kind)
    out = []
    for key, (h, methods) in found.items():
        out.append(
            Setting(
                key,
                h.kind,
                h.default,
                "keep",
                h.label or key,
                f"{h.label or key} ({', '.join(methods)})"
                + ("; below population" if key == "elite" else ""),
                lo=None if h.kind == "bool" else h.lo,
                hi=None if h.kind == "bool" else h.hi,
                methods=tuple(methods),
                presets=_PRESETS.get(key, ()),
                step=h.step or (1 if h.kind == "int" else None),
            )
        )
    return out


_PRESETS: dict[str, tuple[float, ...]] = {
    "lr": (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10),
}
_CLASSIFICATION_LOSSES = tuple(dict.fromkeys(loss for out, loss in LOSSES if out != "linear"))


def _settings() -> dict[str, Setting]:
    settings = [
        Setting("dataset", "choice", "circle", "regenerate", "Dataset",
                "a preset dataset", choices=tuple(DATASETS)),
        Setting("points", "int", 500, "regenerate", "Points", "how many points are generated",
                lo=1, hi=MAX_POINTS, slider=(10, MAX_POINTS, 10)),
        Setting("noise", "float", 0.0, "regenerate", "Noise", "0 (none) to 1",
                lo=0.0, hi=1.0, slider=(0.0, 1.0, 0.05)),
        Setting("classes", "int", MIN_CLASSES, "regenerate", "Blob classes",
                "classes of the multiclass data", lo=MIN_CLASSES, hi=MAX_CLASSES,
                slider=(MIN_CLASSES, MAX_CLASSES, 1)),
        Setting("train_ratio", "float", 0.5, "regenerate", "Train/test ratio",
                "share of the points used for training", lo=0.1, hi=0.9,
                slider=(0.1, 0.9, 0.1)),
        Setting("seed", "int", 0, "reseed", "Seed",
                "the random seed of data, weights and training", lo=0, hi=MAX_SEED),
        Setting("data_seed", "int", 0, "regenerate", "Data seed",
                "draws the points anew (Regenerate) without touching the weights; "
                "0: the points of the seed above", lo=0, hi=MAX_SEED),
        Setting("profile", "choice", "native", "reseed", "Profile",
                "native, or tfp: TensorFlow Playground's data, weights, training and loss",
                choices=PROFILES),
        Setting("tfp_seed", "text", "", "reseed", "TensorFlow Playground seed",
                "the link's seed= text (profile tfp; empty: the seed above)"),
        Setting("tfp_init_zero", "bool", False, "rebuild", "Zero initial weights",
                "TensorFlow Playground's initZero (profile tfp)"),
        Setting("features", "features", ["x1", "x2"], "rebuild", "Features",
                "the network's inputs (one-dimensional data: x1 only)",
                choices=tuple(FEATURES)),
        Setting("normalize", "bool", False, "rebuild", "Normalize",
                "standardize the inputs on the training set"),
        Setting("hidden", "layers",
                [{"units": 4, "activation": "tanh"}, {"units": 2, "activation": "tanh"}],
                "rebuild", "Hidden layers", "units and activation of each hidden layer",
                lo=0, hi=MAX_HIDDEN_LAYERS, choices=tuple(ACTIVATIONS)),
        Setting("loss", "choice", "cross_entropy", "rebuild", "Loss",
                "regression always uses mse", choices=_CLASSIFICATION_LOSSES),
        Setting("regularization", "choice", "none", "keep", "Regularization",
                "penalty on the weights", choices=REGULARIZATIONS),
        Setting("regularization_rate", "float", 0.0, "keep", "Rate",
                "the penalty's factor", lo=0.0, hi=MAX_REGULARIZATION_RATE,
                presets=(0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)),
        Setting("method", "choice", "sgd", "keep", "Optimizer", "the training method",
                choices=(*OPTIMIZERS, Evolution.kind)),
        *_method_settings(),
        Setting("threshold", "float", 0.5, "view", "Threshold",
                "binary decision threshold for the metrics", lo=0.0, hi=1.0,
                slider=(0.0, 1.0, 0.01)),
        Setting("speed", "int", 1, "view", "Speed",
                "epochs per frame while playing; 0 = as fast as possible", lo=0, hi=MAX_SPEED,
                presets=(1, 3, 10, 30, 100, 0)),
        Setting("resolution", "int", 50, "view", "Grid", "the maps' grid size",
                lo=8, hi=MAX_RESOLUTION, presets=(25, 50, 100)),
        Setting("fps", "int", 30, "view", "Frames per second", "frames sent per second",
                lo=1, hi=MAX_FPS),
    ]  # fmt: skip
    return {s.key: s for s in settings}


SETTINGS: dict[str, Setting] = _settings()
DEFAULTS: dict[str, Any] = {k: s.default for k, s in SETTINGS.items()}
METHOD_SETTINGS: dict[str, tuple[str, ...]] = {
    m: tuple(k for k, s in SETTINGS.items() if m in s.methods) for m in SETTINGS["method"].choices
}
EFFECTS: dict[str, Effect] = {k: s.effect for k, s in SETTINGS.items()}
LIMITS: dict[str, int] = {
    "points": MAX_POINTS,
    "seed": MAX_SEED,
    "hidden_layers": MAX_HIDDEN_LAYERS,
    "units": MAX_UNITS,
    "batch_size": MAX_BATCH,
    "epochs_per_call": MAX_EPOCHS_PER_CALL,
    "resolution": MAX_RESOLUTION,
    "surface_resolution_min": SURFACE_RESOLUTION[0],
    "surface_resolution_max": SURFACE_RESOLUTION[1],
}


def default_features(inputs: int) -> list[str]:
    """The features a dataset of ``inputs`` coordinates starts with."""
    return ["x1"] if inputs == 1 else ["x1", "x2"]


def validate(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Check a complete configuration; returns a normalized deep copy (features in their
    canonical order). InvalidInput names the field at fault."""
    if not isinstance(cfg, Mapping):
        raise InvalidInput("config must be an object")
    unknown = sorted(str(k) for k in set(cfg) - set(SETTINGS))
    if unknown:
        raise InvalidInput(f"unknown setting(s): {', '.join(unknown)}")
    missing = sorted(set(SETTINGS) - set(cfg))
    if missing:
        raise InvalidInput(f"missing setting(s): {', '.join(missing)}")
    out = {k: s.check(copy.deepcopy(cfg[k])) for k, s in SETTINGS.items()}
    validate_features(out["features"], DATASETS[out["dataset"]].inputs)
    out["features"] = [f for f in FEATURES if f in out["features"]]
    if out["elite"] >= out["population"]:
        raise InvalidInput("elite must be smaller than population")
    if out["profile"] == "tfp":
        _check_tfp(out)
    return out


def _check_tfp(cfg: dict[str, Any]) -> None:
    """Under the TFP profile the run is the page's data, weights and batching: what it
    cannot run at all (``tfp.REFUSED``) is refused, naming the key and why. The rest of
    what TFP cannot express runs, and the state names it (``beyond_tfp``)."""
    _, beyond = settings_for(cfg)
    refused = [key for key in beyond if key == "dataset"]
    if cfg["method"] == Evolution.kind:
        refused.append("method")
    if refused:
        raise InvalidInput(f"{refused[0]}: not under the tfp profile: {REFUSED[refused[0]]}")


def merge(current: Mapping[str, Any], changes: Any) -> dict[str, Any]:
    """``current`` with ``changes`` applied and validated. A dataset of another dimension
    brings its default features unless the changes name them."""
    if not isinstance(changes, Mapping):
        raise InvalidInput("config must be an object")
    new = {**current, **changes}
    ds = changes.get("dataset")
    if isinstance(ds, str) and ds in DATASETS and "features" not in changes:
        inputs = DATASETS[ds].inputs
        if inputs != DATASETS[current["dataset"]].inputs:
            new["features"] = default_features(inputs)
    follow_problem(dict(current), new, changes)
    return validate(new)


def validate_config(cfg: dict[str, Any]) -> dict[str, Any]:
    """Check a complete flat config; returns a normalized deep copy (see
    ``config.validate``); also checks that the network and every method can be built."""
    cfg = validate(cfg)
    spec = DATASETS[cfg["dataset"]]
    network_config(cfg, spec.kind, cfg["classes"])
    for method in METHOD_SETTINGS:
        method_for({**cfg, "method": method})
    return cfg


def network_config(cfg: dict[str, Any], kind: str, classes: int) -> NetworkConfig:
    output = OUTPUT_FOR_KIND[kind]
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


def method_for(cfg: dict[str, Any]) -> GradientDescent | Evolution:
    kind = cfg["method"]
    return make_method({"kind": kind, **{k: cfg[k] for k in METHOD_SETTINGS[kind]}})


def page_config() -> dict[str, Any]:
    """What the page is built from: ``{defaults, limits, choices, methods, datasets,
    settings}`` (``datasets``: each preset's kind, inputs and whether it needs Normalize)."""
    return {
        "defaults": copy.deepcopy(DEFAULTS),
        "limits": dict(LIMITS),
        "choices": {
            "dataset": list(SETTINGS["dataset"].choices),
            "features": list(FEATURES),
            "activation": list(ACTIVATIONS),
            "loss": list(SETTINGS["loss"].choices),
            "regularization": list(REGULARIZATIONS),
            "method": list(SETTINGS["method"].choices),
        },
        "methods": {m: list(keys) for m, keys in METHOD_SETTINGS.items()},
        "datasets": {
            name: {"kind": spec.kind, "inputs": spec.inputs, "normalize": spec.normalize}
            for name, spec in DATASETS.items()
        },
        "settings": [s.describe() for s in SETTINGS.values()],
    }
