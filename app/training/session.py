"""A training session: a dataset, a network, a training method and their history.

Knows nothing of sockets or JSON: configuration comes in as plain dicts, checked against
``app.training.config`` (a bad change raises ``InvalidInput`` naming the field and leaves
the session as it was); snapshots go out as plain dicts holding NumPy arrays
(``app.training.views``); ``app.training.export`` writes and reads the whole session.

The configuration is one flat dict (``config.SETTINGS`` defines every key and the effect of
changing it, which ``configure`` reports): data settings regenerate the points, network
settings rebuild the network with fresh weights, training settings (the method, its
settings, regularization) keep the weights, view settings rebuild nothing.
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from app.data import DATASETS, Standardizer, feature_matrix, generate, split_mask
from app.data import tfp as tfp_data
from app.errors import InvalidInput
from app.nn.methods import Evolution, Trainer
from app.nn.network import Network
from app.nn.regularization import Penalty
from app.training import config as conf
from app.training import export as exports
from app.training import views
from app.training.config import (
    DEFAULTS,
    EFFECTS,
    MAX_EPOCHS_PER_CALL,
    METHOD_SETTINGS,
    PATH_MAX_PARAMS,
    network_config,
    validate_config,
)
from app.training.editing import PointEdits
from app.training.history import Timeline
from app.training.records import Records
from app.training.tfp import TfpRun, settings_for
from app.training.tfp_model import TfpModel, TfpTraining


@dataclass
class Changes:
    """What a configure call did (sent back to the client)."""

    regenerated: bool = False
    rebuilt: bool = False
    keys: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"regenerated": self.regenerated, "rebuilt": self.rebuilt, "keys": self.keys}


class Session(PointEdits, Records, views.Views):
    """Everything one playground page works on. Not thread-safe: one owner drives it."""

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        if config is not None and not isinstance(config, dict):
            raise InvalidInput("config must be an object")
        config = dict(config or {})
        ds = config.get("dataset", DEFAULTS["dataset"])
        if isinstance(ds, str) and ds in DATASETS and "features" not in config:
            config["features"] = conf.default_features(DATASETS[ds].inputs)
        cfg = validate_config({**DEFAULTS, **config})
        self.config = cfg
        self.playing = False
        self.version = 0  # bumped by every change: a frame is due only when it moved
        self.points_version = 0
        self._grid_cache: dict[tuple[int, int], np.ndarray] = {}
        self._data_version = 0
        self._forget_losses()
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

    @property
    def tfp(self) -> bool:
        """Whether the session runs TensorFlow Playground's profile (``app.training.tfp``):
        its points, weights, batching, update rule and loss."""
        return bool(self.config["profile"] == "tfp")

    def _tfp_run(self) -> TfpRun:
        """A fresh run of the page's for the config: its data, then its weights (with the
        config's point count, layer sizes, activations and loss, even beyond the page's)."""
        c = self.config
        settings, _ = settings_for(c)
        assert settings is not None  # validate_config refuses what TFP cannot run
        hidden = c["hidden"]
        return TfpRun(
            replace(settings, network_shape=tuple(layer["units"] for layer in hidden)),
            points=c["points"],
            activations=tuple(layer["activation"] for layer in hidden),
            loss="cross_entropy" if c["loss"] == "cross_entropy" else "half_mse",
        )

    def _tfp_optimizer(self) -> tuple[str, dict[str, Any]]:
        """The config's method and its settings, as ``TfpTraining.set_optimizer`` takes
        them (``"sgd"`` is the page's own step)."""
        m = self.config["method"]
        return m, {k: self.config[k] for k in METHOD_SETTINGS[m] if k != "batch_size"}

    def _seeds(self) -> list[np.random.SeedSequence]:
        """Independent streams for data, split, initial weights and training. A data seed
        other than 0 draws data and split from ``(seed, data_seed)``: new points, the same
        weights."""
        seeds = np.random.SeedSequence(self.config["seed"]).spawn(4)
        if self.config["data_seed"]:
            data = np.random.SeedSequence([self.config["seed"], self.config["data_seed"]])
            seeds[:2] = data.spawn(2)
        return seeds

    def _generate_points(self) -> None:
        c = self.config
        if self.tfp:
            d = self._tfp_run().data
            self.X_raw = np.vstack([d.X_train, d.X_test])
            y = np.concatenate([d.y_train, d.y_test])
            self.y = (y > 0).astype(np.int64) if self.kind == "binary" else y
            self.is_test = np.arange(len(y)) >= len(d.y_train)
            self.points_version += 1
            return
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
        c = self.config
        self.net: Network | TfpModel
        self.trainer: Trainer | TfpTraining
        if self.tfp:
            model = TfpModel(self._tfp_run().net, self.kind == "binary", c["regularization_rate"])
            self.net = model
            self.trainer = TfpTraining(model, c["lr"], c["regularization_rate"], c["batch_size"])
            self.trainer.set_optimizer(*self._tfp_optimizer())
        else:
            _, _, init_seed, train_seed = self._seeds()
            self.net = Network(
                network_config(c, self.kind, self.classes), np.random.default_rng(init_seed)
            )
            # The training set is attached by _refresh_data.
            self.trainer = Trainer(
                self.net, None, None, conf.method_for(c), np.random.default_rng(train_seed)
            )
        self.history: list[dict[str, Any]] = []
        self.path: list[list[float]] = []
        self.timeline = Timeline()  # thinned parameter snapshots, to look back and branch
        self.timeline.record(0, self.net.theta)
        self._refresh_data()
        self._record()

    def _refresh_data(self) -> None:
        """Derive features, fit the standardizer and hand the training set to the trainer."""
        feats = self.config["features"]
        F = self._features(self.X_raw) if len(self.y) else np.zeros((0, len(feats)))
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

    def _features(self, X: np.ndarray) -> np.ndarray:
        """The network's inputs for raw points (the page's own under the TFP profile)."""
        if self.tfp:
            settings, _ = settings_for(self.config)
            assert settings is not None
            return tfp_data.features(X, settings.features)
        return feature_matrix(X, self.config["features"])

    # --- configuration ----------------------------------------------------------------

    def configure(self, changes: dict[str, Any]) -> Changes:
        """Apply a partial config; returns what was regenerated or rebuilt."""
        if not isinstance(changes, dict):
            raise InvalidInput("config must be an object")
        new = conf.merge(self.config, changes)
        validate_config(new)
        keys = sorted(k for k in new if new[k] != self.config[k])
        effects = {EFFECTS[k] for k in keys}
        old, old_spec = self.config, self.spec
        self.config = new
        result = Changes(keys=keys)
        new_spec = self.spec
        problem_changed = new_spec.kind != old_spec.kind or (
            new_spec.kind == "multiclass" and new["classes"] != old["classes"]
        )
        if self.tfp or old["profile"] == "tfp":
            self._configure_tfp(old, keys, effects, result)
            self.version += 1
            return result
        if effects & {"regenerate", "reseed"}:
            self._generate_points()
            result.regenerated = True
        if problem_changed or effects & {"rebuild", "reseed"}:
            self._build_network()
            result.rebuilt = True
        else:
            if {"regularization", "regularization_rate"} & set(keys):
                assert isinstance(self.net, Network)
                self.net.regularize(Penalty(new["regularization"], new["regularization_rate"]))
            if {"method", *METHOD_SETTINGS[new["method"]]} & set(keys):
                self._apply_method(old)
            if result.regenerated:
                self._refresh_data()
            self.trainer.diverged = False
        self.version += 1
        return result

    def _configure_tfp(
        self, old: dict[str, Any], keys: list[str], effects: set[conf.Effect], result: Changes
    ) -> None:
        """A change under (or into, or out of) the TFP profile. Its data and weights come
        from one stream: any change of data or network draws both anew from the seed."""
        c = self.config
        if old["profile"] != c["profile"] or effects & {"regenerate", "reseed", "rebuild"}:
            self._generate_points()
            self._build_network()
            result.regenerated = result.rebuilt = True
            return
        if isinstance(self.trainer, TfpTraining) and "keep" in effects:
            self.trainer.set_rates(
                c["lr"], c["regularization_rate"], c["batch_size"], settings_regularization(c)
            )
            self.trainer.set_optimizer(*self._tfp_optimizer())
            self.trainer.diverged = False

    def _apply_method(self, old: dict[str, Any]) -> None:
        """Switch or retune the method, keeping the weights (and the optimizer state when
        only its settings changed)."""
        c = self.config
        assert isinstance(self.trainer, Trainer)
        if c["method"] != old["method"]:
            self.trainer.set_method(conf.method_for(c))
        else:
            self.trainer.method.configure(**{k: c[k] for k in METHOD_SETTINGS[c["method"]]})

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
            raise InvalidInput("epochs must be an integer")
        if not 1 <= epochs <= MAX_EPOCHS_PER_CALL:
            raise InvalidInput(f"epochs must be from 1 to {MAX_EPOCHS_PER_CALL}; got {epochs}")
        if not len(self.y_train):
            raise InvalidInput("points: there are no training points to learn from")
        if self.trainer.diverged:
            return 0
        each = self.net.n_params <= PATH_MAX_PARAMS  # small enough to keep every epoch's weights
        trainer, clock = self.trainer, time.perf_counter
        done = 0
        deadline = clock() + seconds
        while done < epochs:
            # An epoch may be cut off at the deadline; the next slice carries on with it.
            if trainer.work(deadline):
                done += 1
                if trainer.epoch % self.timeline.stride == 0:
                    self.timeline.record(trainer.epoch, self.net.theta)
                if each:
                    self._record()
            elif trainer.diverged:
                break
            if done < epochs and clock() >= deadline:
                if (yield):  # told to stop (``send(True)``): the epochs done stand
                    break
                deadline = clock() + seconds
        if (done < epochs or not each) and (done or trainer.diverged):
            self._record()
        self.version += 1
        return done

    def play(self) -> None:
        """Train on every frame from now on (refused with nothing to learn from)."""
        if not len(self.y_train):
            raise InvalidInput("points: there are no training points to learn from")
        if self.trainer.diverged:
            raise InvalidInput("the network diverged: lower the learning rate or press Reset")
        self.playing = True
        self.version += 1

    def pause(self) -> None:
        self.playing = False
        self.version += 1

    def touch(self) -> None:
        """Mark the session changed: a frame is due."""
        self.version += 1

    def reset(self) -> None:
        """New weights from the seed (same seed, same weights), counters and history cleared."""
        self._build_network()
        self.version += 1

    def set_param(self, layer: int, kind: str, index: list[int], value: float) -> None:
        self.net.set_param(layer, kind, tuple(index), value)
        self.trainer.diverged = False
        self.timeline.record(self.trainer.epoch, self.net.theta)
        self._record()
        self.version += 1

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
            F = self._features(self.grid(r))
            self._grid_cache = {key: self.standardizer.apply(F, out=F)}
        return self._grid_cache[key]

    def population(self) -> np.ndarray | None:
        m = self.trainer.method
        if isinstance(m, Evolution) and m.evaluated is not None:
            return m.evaluated.copy()
        return None

    def point_arrays(self) -> dict[str, Any]:
        return {"x": self.X_raw, "y": self.y, "test": self.is_test, "version": self.points_version}

    # --- export / import (app.training.export) -----------------------------------------

    def export(self) -> dict[str, Any]:
        """The whole session as plain JSON-ready values; ``Session.from_export`` restores it
        exactly, and training on from there gives the same numbers."""
        return exports.export(self)

    @classmethod
    def from_export(cls, doc: Any) -> Session:
        """Rebuild a session from ``export()``; InvalidInput if anything does not fit."""
        session = exports.restore(cls, doc)
        return session


def settings_regularization(config: dict[str, Any]) -> str:
    """The page's name for the config's regularization."""
    return {"none": "none", "l1": "L1", "l2": "L2"}[config["regularization"]]
