"""The evolutionary trainer: a genetic algorithm over whole parameter vectors, a generation
per epoch, its population evaluated in pieces when an epoch is sliced (see
``app.nn.epochs``)."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from app.errors import InvalidInput
from app.nn.epochs import NEVER, EpochResult
from app.nn.hyper import Hyper, finite_array
from app.nn.network import Network

Array = np.ndarray

MAX_POPULATION = 200
SLICE_PIECE_SECONDS = 0.002  # a piece of a sliced generation: a few between two deadlines


class Evolution:
    """A genetic algorithm over whole parameter vectors (no gradients)."""

    kind = "evolution"
    SETTINGS: dict[str, Hyper] = {
        "population": Hyper(50, 2, MAX_POPULATION, "int", "Population"),
        "sigma": Hyper(0.1, 1e-4, 10.0, "float", "Mutation σ", 0.01),
        "elite": Hyper(2, 0, MAX_POPULATION - 1, "int", "Elite"),
        "crossover": Hyper(False, kind="bool", label="Crossover"),
    }
    DEFAULTS: dict[str, Any] = {k: h.default for k, h in SETTINGS.items()}

    def __init__(self, **settings: Any) -> None:
        self._settings = dict(self.DEFAULTS)
        self.configure(**settings)
        self.population: Array | None = None  # the next generation, (P, n_params)
        self.evaluated: Array | None = None  # the last generation evaluated
        self.losses: Array | None = None  # its losses, (P,)
        self._theta_seen = np.empty(0)
        # The generation being evaluated: losses of its first ``_done`` members, the data.
        self._losses: Array | None = None
        self._done = 0
        self._data: Array | None = None
        self._piece = 1  # members evaluated in one piece of a sliced generation

    def configure(self, **settings: Any) -> None:
        new = dict(self._settings)
        for key, value in settings.items():
            if key in self.SETTINGS:
                new[key] = self.SETTINGS[key].check(value, key)
            elif key in ("batch_size", "lr"):
                continue  # gradient settings, kept by the session for the other methods
            else:
                raise InvalidInput(f"evolution has no setting {key!r}")
        if new["elite"] >= new["population"]:
            raise InvalidInput("elite must be smaller than population")
        if self._settings["population"] != new["population"]:
            self.population = None
            self.abandon()
        self._settings = new

    def settings(self) -> dict[str, Any]:
        return {"kind": self.kind, **self._settings}

    def reset(self) -> None:
        self.population = self.evaluated = self.losses = None
        self.abandon()

    def _seed(self, theta: Array, rng: np.random.Generator) -> Array:
        P = self._settings["population"]
        pop = theta + self._settings["sigma"] * rng.standard_normal((P, theta.shape[0]))
        pop[0] = theta
        return pop

    def epoch(self, net: Network, X: Array, Y: Array, rng: np.random.Generator) -> EpochResult:
        return self.advance(net, X, Y, rng, NEVER)

    def abandon(self) -> None:
        self._losses, self._done = None, 0

    @property
    def pending(self) -> bool:
        """Whether a generation is being evaluated (cut off at a deadline)."""
        return self._losses is not None

    def advance(
        self, net: Network, X: Array, Y: Array, rng: np.random.Generator, deadline: float
    ) -> EpochResult:
        """Evaluate the generation in pieces until the deadline; once every member has its
        loss, select and breed the next generation (the randomness is drawn when the
        generation starts and after it is evaluated, as in one piece)."""
        s = self._settings
        P, E = s["population"], s["elite"]
        pop = self.population
        if (
            pop is None
            or pop.shape[1] != net.n_params
            or not np.array_equal(self._theta_seen, net.theta)
        ):
            self.abandon()  # first run, or the weights were changed: a new population
            pop = self.population = self._seed(net.theta, rng)
            self._theta_seen = net.theta.copy()
        if self._losses is None or self._losses.shape[0] != P or self._data is not X:
            self._losses, self._done, self._data = np.empty(P), 0, X
        losses, clock = self._losses, time.perf_counter
        timed = deadline != NEVER
        while self._done < P:
            k = self._done
            # Pieces sized by the last one's time, so that one fits in what is left.
            m = P - k if not timed else max(1, min(P - k, self._piece))
            t0 = clock()
            losses[k : k + m] = net.population_losses(pop[k : k + m], X, Y)
            self._done = k + m
            if timed:
                now, per = clock(), (clock() - t0) / m
                self._piece = max(1, int(SLICE_PIECE_SECONDS / max(per, 1e-9)))
                if self._done < P and now >= deadline:
                    return EpochResult(0, 0, False, finished=False)
        self.abandon()
        order = np.argsort(losses, kind="stable")
        if not math.isfinite(losses[order[0]]):
            self.reset()
            return EpochResult(0, P, True)
        np.copyto(net.theta, pop[order[0]])
        self._theta_seen = net.theta.copy()
        self.evaluated, self.losses = pop, losses
        k = P - E
        winners = self._tournament(losses, k, rng)
        children = pop[winners]
        if s["crossover"]:
            mates = pop[self._tournament(losses, k, rng)]
            mask = rng.random(children.shape) < 0.5
            np.copyto(children, mates, where=mask)
        children += s["sigma"] * rng.standard_normal(children.shape)
        self.population = np.concatenate([pop[order[:E]], children])
        return EpochResult(1, P, False)

    @staticmethod
    def _tournament(losses: Array, k: int, rng: np.random.Generator, size: int = 3) -> Array:
        """Indices of ``k`` winners, each the best of ``size`` members drawn at random."""
        cand = rng.integers(0, losses.shape[0], size=(k, size))
        return cand[np.arange(k), np.argmin(losses[cand], axis=1)]

    def state_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            **self._settings,
            "population_state": None if self.population is None else self.population.tolist(),
            "theta_seen": self._theta_seen.tolist(),
        }

    def load_state_dict(self, d: dict[str, Any], n_params: int) -> None:
        keys = {"kind", *self.SETTINGS, "population_state", "theta_seen"}
        if not isinstance(d, dict) or set(d) != keys:
            raise InvalidInput(f"method must hold exactly {', '.join(sorted(keys))}")
        self.configure(**{k: d[k] for k in self.SETTINGS})
        seen = d["theta_seen"]
        n_seen = len(seen) if isinstance(seen, list) else -1
        self._theta_seen = finite_array(seen, (n_seen,), "method.theta_seen")
        state = d["population_state"]
        if state is None:
            self.population = self.evaluated = self.losses = None
            return
        P = self._settings["population"]
        self.population = finite_array(state, (P, n_params), "method.population_state")
