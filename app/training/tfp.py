"""A TensorFlow Playground run: a link's settings, its seeded data and network, its training.

The page's order is kept: the seed starts one stream; the data are drawn, shuffled and
split from it; the network's weights follow from the same stream. Training visits the
training points in their stored order every epoch. What the page's buttons do is here too:
``reset`` draws fresh weights from where the stream stands (the data stay), ``regenerate``
takes a new seed from the stream and redraws the data (the network stays).

    run = TfpRun(parse_link("https://playground.tensorflow.org/#seed=0.54321&dataset=xor"))
    run.step(10)
    run.loss_train, run.loss_test, run.link()
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from app.data.tfp import NUM_SAMPLES, SeededRandom, TfpData, features, generate, new_seed
from app.data.tfp_link import TfpSettings, check, to_link
from app.errors import InvalidInput
from app.nn.tfp import OUTPUTS, TfpNetwork, TfpTrainer


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


class TfpRun:
    """Everything the page holds for one link; losses on the page's scale (½ MSE)."""

    def __init__(
        self,
        settings: TfpSettings,
        points: int | None = None,
        activations: tuple[str, ...] | None = None,
        loss: str = "half_mse",
    ) -> None:
        """``points``, per-layer ``activations`` and a ``loss`` other than the page's
        (``app.nn.tfp.LOSSES``) go beyond what a link can say; by default the link's."""
        if settings.seed is None:
            raise InvalidInput("seed: a run that reproduces the page needs the link's seed")
        self.settings = check(settings)
        self.n_points, self.activations, self.loss = points, activations, loss
        self.rng = SeededRandom(settings.seed)
        self.data = self._generate()
        self.net = self._build()
        self.iteration = 0
        self._attach()

    def _generate(self) -> TfpData:
        s = self.settings
        return generate(self.rng, s.problem, s.data_name, s.noise, s.perc_train_data, self.n_points)

    def _build(self) -> TfpNetwork:
        s = self.settings
        return TfpNetwork.build(
            s.sizes,
            self.activations or s.activation,
            OUTPUTS[s.problem],
            s.regularization,
            self.rng.random,
            s.init_zero,
            self.loss if s.problem == "classification" else "half_mse",
        )

    def _attach(self) -> None:
        s = self.settings
        self.X_train = features(self.data.X_train, s.features)
        self.X_test = features(self.data.X_test, s.features)
        self.trainer = TfpTrainer(
            self.net,
            self.X_train,
            self.data.y_train,
            s.learning_rate,
            s.regularization_rate,
            s.batch_size,
        )

    def step(self, epochs: int = 1) -> int:
        """Train ``epochs`` epochs (the page's step button, ``epochs`` times); stops early
        if the network diverges. Returns the epochs done."""
        done = self.trainer.run(epochs)
        self.iteration += done
        return done

    @property
    def diverged(self) -> bool:
        """Whether a weight or bias has overflowed (training then stops)."""
        return self.trainer.diverged

    @property
    def loss_train(self) -> float | None:
        """The training loss (mean ½(o − t)²); None if it is not a finite number."""
        return _finite(self.net.loss(self.X_train, self.data.y_train))

    @property
    def loss_test(self) -> float | None:
        """The test loss; None when there are no test points or it is not finite."""
        return _finite(self.net.loss(self.X_test, self.data.y_test))

    def reset(self) -> None:
        """The page's reset: new weights from the stream where it stands; same data."""
        self.net = self._build()
        self.iteration = 0
        self._attach()

    def regenerate(self) -> None:
        """The page's regenerate: a new seed from the stream, new data; same network."""
        seed = new_seed(self.rng.random())
        self.settings = replace(self.settings, seed=seed)
        self.rng = SeededRandom(seed)
        self.data = self._generate()
        self._attach()

    def set_rates(self, learning_rate: float, regularization_rate: float) -> None:
        """Change the rates mid-run, as the page does (weights and data kept)."""
        self.settings = check(
            replace(
                self.settings,
                learning_rate=learning_rate,
                regularization_rate=regularization_rate,
            )
        )
        self.trainer.lr, self.trainer.rate = learning_rate, regularization_rate

    def link(self) -> str:
        """The page's link for this run's settings and current seed."""
        return to_link(self.settings)

    def parameters(self) -> dict[str, Any]:
        """Weights ``[layer][from][to]``, biases ``[layer][node]`` and dead links, as lists."""
        return {
            "weights": [w.tolist() for w in self.net.W],
            "biases": [b.tolist() for b in self.net.b],
            "dead": [d.tolist() for d in self.net.dead_links()],
        }

    def points(self) -> dict[str, np.ndarray]:
        """Raw points and labels: ``train``/``test`` ``(n, 3)`` rows of x, y, label."""
        d = self.data
        return {
            "train": np.column_stack([d.X_train, d.y_train]),
            "test": np.column_stack([d.X_test, d.y_test]),
        }


# Between a session's flat config (the keys of app.training.session.DEFAULTS) and a link.
_DATASETS = {"circle": "circle", "xor": "xor", "gauss": "gauss", "spiral": "spiral"}
_REG_DATASETS = {"plane": "reg-plane", "gaussians": "reg-gauss"}
_FEATURES = {
    "x1": "x",
    "x2": "y",
    "x1_sq": "xSquared",
    "x2_sq": "ySquared",
    "x1_x2": "xTimesY",
    "sin_x1": "sinX",
    "sin_x2": "sinY",
}
_REGULARIZATIONS = {"none": "none", "l1": "L1", "l2": "L2"}
MAX_LAYERS, MAX_UNITS = 6, 8
"""The most the page's controls offer: hidden layers, neurons in one."""


@dataclass
class TfpExport:
    """A link for a session, or None if TFP has no such problem; ``beyond`` names each
    setting TFP cannot express or would run differently, by its config key."""

    link: str | None
    beyond: list[str]


PROFILE_KEYS = ("profile", "tfp_seed", "tfp_init_zero")
"""The keys a session config gains for the profile: "native" or "tfp", the link's seed and
its initZero."""


def config_from_settings(s: TfpSettings) -> dict[str, Any]:
    """A session config with a link's settings: DEFAULTS' keys plus PROFILE_KEYS (the
    TFP profile, ``TfpRun``, alone draws TFP's points and weights from the seed)."""
    regression = s.problem == "regression"
    table = {v: k for k, v in (_REG_DATASETS if regression else _DATASETS).items()}
    features = {v: k for k, v in _FEATURES.items()}
    return {
        "dataset": table[s.data_name],
        "points": 1200 if regression else 500,
        "noise": s.noise / 100,
        "train_ratio": s.perc_train_data / 100,
        "features": [features[f] for f in s.features],
        "normalize": False,
        "hidden": [{"units": u, "activation": s.activation} for u in s.network_shape],
        "loss": "mse",
        "regularization": {v: k for k, v in _REGULARIZATIONS.items()}[s.regularization],
        "regularization_rate": s.regularization_rate,
        "method": "sgd",
        "lr": s.learning_rate,
        "batch_size": int(s.batch_size) if s.batch_size == int(s.batch_size) else s.batch_size,
        "profile": "tfp",
        "tfp_seed": s.seed,
        "tfp_init_zero": s.init_zero,
    }


REFUSED = {
    "dataset": "TensorFlow Playground's data come from its own generators and seed, and it "
    "has none for this dataset",
    "method": "the evolutionary method has no gradient steps to take at the page's updates",
}
"""What the tfp profile cannot run at all, by config key, and why. Every other setting
beyond TFP runs on the page's data, weights and batching (see docs/tfp.md)."""


def follow_problem(current: dict[str, Any], new: dict[str, Any], changes: Any) -> None:
    """Under the profile, a dataset of the other problem (classification, regression)
    brings the page's point count for it, unless the changes name the points."""
    if new.get("profile") != "tfp" or "points" in changes:
        return
    problems = [
        "regression" if c.get("dataset") in _REG_DATASETS else "classification"
        for c in (current, new)
    ]
    if problems[0] != problems[1] and current.get("points") == NUM_SAMPLES[problems[0]]:
        new["points"] = NUM_SAMPLES[problems[1]]


def export_link(config: dict[str, Any]) -> TfpExport:
    """The link that opens a session's settings in TensorFlow Playground.

    ``config`` is the session's flat config with PROFILE_KEYS. Under the TFP profile the
    link reproduces the run; under the native one it carries the settings and ``beyond``
    says that the run will differ ("profile": points, weights, batching, loss).
    """
    settings, beyond = settings_for(config)
    return TfpExport(None if settings is None else to_link(settings), beyond)


def settings_for(config: dict[str, Any]) -> tuple[TfpSettings | None, list[str]]:
    """The link settings closest to a session's flat config (None if TFP has no such
    problem) and, by config key, what TFP cannot express or would run differently."""
    beyond: list[str] = []
    tfp = config.get("profile", "native") == "tfp"
    tfp_seed = config.get("tfp_seed")
    name = config["dataset"]
    if name in _DATASETS:
        problem, dataset, reg_dataset = "classification", _DATASETS[name], "reg-plane"
    elif name in _REG_DATASETS:
        problem, dataset, reg_dataset = "regression", "circle", _REG_DATASETS[name]
    else:
        return None, ["dataset"]
    hidden = config["hidden"]
    activations = {layer["activation"] for layer in hidden} or {"tanh"}
    activation = activations.pop() if len(activations) == 1 else "tanh"
    if activations or activation not in ("relu", "tanh", "sigmoid", "linear"):
        beyond.append("hidden.activation")
    if len(hidden) > MAX_LAYERS or any(layer["units"] > MAX_UNITS for layer in hidden):
        beyond.append("hidden")
    features = [_FEATURES[f] for f in config["features"] if f in _FEATURES]
    if len(features) < len(config["features"]):
        beyond.append("features")
    if config.get("normalize"):
        beyond.append("normalize")
    if config["regularization"] not in _REGULARIZATIONS:
        beyond.append("regularization")
    if config["method"] != "sgd":
        beyond.append("method")
    if not tfp:
        beyond.append("profile")  # native points, weights, batching and loss
    if config["loss"] != "mse" and problem == "classification":
        beyond.append("loss")
    if config["noise"] > 0.5:
        beyond.append("noise")
    if tfp and config["points"] != NUM_SAMPLES[problem]:
        beyond.append("points")
    settings = TfpSettings(
        problem=problem,
        dataset=dataset,
        reg_dataset=reg_dataset,
        activation=activation,
        regularization=_REGULARIZATIONS.get(config["regularization"], "none"),
        learning_rate=float(config["lr"]),
        regularization_rate=float(config["regularization_rate"]),
        batch_size=config["batch_size"],
        noise=round(config["noise"] * 100, 12),
        perc_train_data=round(config["train_ratio"] * 100, 12),
        network_shape=tuple(min(layer["units"], MAX_UNITS) for layer in hidden[:MAX_LAYERS]),
        seed=tfp_seed if tfp and tfp_seed else str(config["seed"]),
        init_zero=tfp and bool(config.get("tfp_init_zero", False)),
        features=tuple(
            f
            for f in ("x", "y", "xSquared", "ySquared", "xTimesY", "sinX", "sinY")
            if f in features
        ),
    )
    return settings, beyond
