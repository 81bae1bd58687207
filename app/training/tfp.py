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
from dataclasses import replace
from typing import Any

import numpy as np

from app.data.tfp import SeededRandom, TfpData, features, generate, new_seed
from app.data.tfp_link import TfpSettings, check, to_link
from app.errors import InvalidInput
from app.nn.tfp import OUTPUTS, TfpNetwork, TfpTrainer


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


class TfpRun:
    """Everything the page holds for one link; losses on the page's scale (½ MSE)."""

    def __init__(self, settings: TfpSettings) -> None:
        if settings.seed is None:
            raise InvalidInput("seed: a run that reproduces the page needs the link's seed")
        self.settings = check(settings)
        self.rng = SeededRandom(settings.seed)
        self.data = self._generate()
        self.net = self._build()
        self.iteration = 0
        self._attach()

    def _generate(self) -> TfpData:
        s = self.settings
        return generate(self.rng, s.problem, s.data_name, s.noise, s.perc_train_data)

    def _build(self) -> TfpNetwork:
        s = self.settings
        return TfpNetwork.build(
            s.sizes,
            s.activation,
            OUTPUTS[s.problem],
            s.regularization,
            self.rng.random,
            s.init_zero,
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
