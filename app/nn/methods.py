"""Training methods behind one interface, and the ``Trainer`` that drives them.

A method trains a network for one epoch on ``X (n, inputs)`` and encoded targets
``Y (n, outputs)`` and reports ``EpochResult(updates, evaluations, diverged)``:

- ``GradientDescent``: shuffled mini-batches (batch size 1..n), each one backprop pass
  and one update by any optimizer of ``OPTIMIZERS``. An epoch is ⌈n/batch⌉
  updates.
- ``Evolution``: one generation over the whole training set. The population
  ``(P, n_params)`` is evaluated in one batched pass, the best member becomes the
  network's weights; the next generation keeps the ``elite`` best and fills the rest with
  tournament winners (optionally uniform crossover) plus Gaussian mutation of scale
  ``sigma``. An epoch is one generation.

Divergence: a step whose weights come out non-finite (or overflow θ·θ) is undone, the
epoch stops and reports ``diverged``; the network keeps its last finite weights.

An epoch can be cut into slices: ``advance(net, X, Y, rng, deadline)`` works until the epoch
ends or ``time.perf_counter()`` passes ``deadline`` (checked between mini-batches, or between
pieces of the population), and the next call carries on with the same epoch. The numbers
are those of the unsplit epoch: the shuffle (or the population) is drawn once, when the
epoch starts. A change of data, batch size or method drops an epoch in progress.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from app.errors import InvalidInput
from app.nn.hyper import Hyper, finite_array, int_field
from app.nn.network import Network
from app.nn.optimizers import OPTIMIZERS, Optimizer, make_optimizer, within_bounds

Array = np.ndarray

METHODS = (*OPTIMIZERS, "evolution")
MAX_BATCH = 10_000
MAX_POPULATION = 200
NEVER = math.inf  # a deadline that does not cut an epoch
MAX_PENDING = 1_000_000  # bound on an imported epoch's position and shuffle
SLICE_PIECE_SECONDS = 0.002  # a piece of a sliced generation: a few between two deadlines


@dataclass(frozen=True)
class EpochResult:
    updates: int  # parameter updates made (mini-batches or generations)
    evaluations: int  # loss evaluations spent (one per batch, one per population member)
    diverged: bool
    finished: bool = True  # False: cut off at the deadline, the epoch goes on next time


class Method(Protocol):
    kind: str

    def epoch(self, net: Network, X: Array, Y: Array, rng: np.random.Generator) -> EpochResult:
        """Train ``net`` for one epoch on ``X (n, inputs)``, ``Y (n, outputs)``."""
        ...

    def advance(
        self, net: Network, X: Array, Y: Array, rng: np.random.Generator, deadline: float
    ) -> EpochResult:
        """Train on in the current epoch (or start one) until it ends or
        ``time.perf_counter()`` passes ``deadline``; at least one piece of work is done."""
        ...

    def abandon(self) -> None:
        """Drop the epoch in progress, if any."""
        ...

    @property
    def pending(self) -> bool:
        """Whether an epoch is in progress."""
        ...

    def configure(self, **settings: Any) -> None: ...

    def settings(self) -> dict[str, Any]: ...

    def reset(self) -> None: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, d: dict[str, Any], n_params: int) -> None: ...


class GradientDescent:
    """Mini-batch gradient descent with a pluggable optimizer."""

    SETTINGS: dict[str, Hyper] = {"batch_size": Hyper(10, 1, MAX_BATCH, "int", "Batch size")}

    def __init__(self, optimizer: Optimizer, batch_size: int = 10) -> None:
        self.optimizer = optimizer
        self.batch_size = int_field(batch_size, "batch_size", 1, MAX_BATCH)
        self._Xs = self._Ys = self._backup = np.empty((0, 0))
        # The epoch in progress: the next sample's position in the shuffled order (None:
        # none in progress), the order (None: unshuffled) and the data it shuffled.
        self._at: int | None = None
        self._order: Array | None = None
        self._data: Array | None = None

    @property
    def kind(self) -> str:
        return self.optimizer.name

    def configure(self, **settings: Any) -> None:
        settings = dict(settings)
        batch = settings.pop("batch_size", self.batch_size)
        batch = int_field(batch, "batch_size", 1, MAX_BATCH)
        self.optimizer.configure(**settings)
        if batch != self.batch_size:
            self.abandon()
        self.batch_size = batch

    def settings(self) -> dict[str, Any]:
        return {"kind": self.kind, "batch_size": self.batch_size, **self.optimizer.settings}

    def reset(self) -> None:
        self.optimizer.reset()
        self.abandon()

    def epoch(self, net: Network, X: Array, Y: Array, rng: np.random.Generator) -> EpochResult:
        return self.advance(net, X, Y, rng, NEVER)

    def abandon(self) -> None:
        self._at, self._order = None, None

    @property
    def pending(self) -> bool:
        """Whether an epoch is in progress (cut off at a deadline)."""
        return self._at is not None

    def _start(self, net: Network, X: Array, Y: Array, rng: np.random.Generator) -> None:
        """Begin an epoch: shuffle ``X``, ``Y`` into the buffers (unless one batch holds
        every sample)."""
        n = X.shape[0]
        if self._Xs.shape != X.shape or self._Ys.shape != Y.shape:
            self._Xs, self._Ys = np.empty_like(X), np.empty_like(Y)
        if self._backup.shape != net.theta.shape:
            self._backup = np.empty_like(net.theta)
        self._order = None
        if min(self.batch_size, n) < n:
            self._order = rng.permutation(n)
            self._shuffle(X, Y)
        self._at, self._data = 0, X

    def _shuffle(self, X: Array, Y: Array) -> None:
        assert self._order is not None
        np.take(X, self._order, axis=0, out=self._Xs)
        np.take(Y, self._order, axis=0, out=self._Ys)

    def advance(
        self, net: Network, X: Array, Y: Array, rng: np.random.Generator, deadline: float
    ) -> EpochResult:
        n = X.shape[0]
        if self._at is not None and (self._data is not X or self._backup.shape != net.theta.shape):
            self.abandon()  # the data or the network changed under the epoch
        if self._at is None:
            self._start(net, X, Y, rng)
        assert self._at is not None
        bs = min(self.batch_size, n)
        Xs, Ys = (X, Y) if self._order is None else (self._Xs, self._Ys)
        theta, grad, backup = net.theta, net.grad, self._backup
        backprop, update, copyto = net.backprop, self.optimizer.update, np.copyto
        clock, timed = time.perf_counter, deadline != NEVER
        updates = 0
        for start in range(self._at, n, bs):
            copyto(backup, theta)
            backprop(Xs[start : start + bs], Ys[start : start + bs])
            update(theta, grad)
            if not within_bounds(theta):
                np.copyto(theta, backup)
                self.optimizer.reset()
                self.abandon()
                return EpochResult(updates, updates + 1, True)
            updates += 1
            if timed and start + bs < n and clock() >= deadline:
                self._at = start + bs
                return EpochResult(updates, updates, False, finished=False)
        self.abandon()
        return EpochResult(updates, updates, False)

    def _pending_state(self) -> dict[str, Any] | None:
        if self._at is None or self._order is None:
            return None  # an unshuffled epoch is one batch: never in progress
        return {"at": self._at, "order": self._order.tolist()}

    def _load_pending(self, d: Any) -> None:
        """An epoch in progress from ``_pending_state``'s form: where it stands and its
        shuffle (a permutation; checked against the data when it resumes)."""
        self.abandon()
        if d is None:
            return
        if not isinstance(d, dict) or set(d) != {"at", "order"}:
            raise InvalidInput("method.pending must hold exactly at, order")
        at = int_field(d["at"], "method.pending.at", 1, MAX_PENDING)
        order = d["order"]
        if not isinstance(order, list) or not at < len(order) <= MAX_PENDING:
            raise InvalidInput("method.pending.order must be a list of sample indexes beyond at")
        if any(isinstance(i, bool) or not isinstance(i, int) for i in order):
            raise InvalidInput("method.pending.order must hold integers")
        if sorted(order) != list(range(len(order))):
            raise InvalidInput("method.pending.order must be a permutation")
        self._at, self._order = at, np.asarray(order, dtype=np.intp)

    def resume_on(self, net: Network, X: Array, Y: Array) -> None:
        """After a load: attach the epoch in progress to the data it shuffled (dropped if
        it does not fit them)."""
        if self._at is None or self._order is None or self._data is not None:
            return
        n = X.shape[0]
        if self._order.shape[0] != n or self.batch_size >= n:
            self.abandon()
            return
        self._Xs, self._Ys = np.empty_like(X), np.empty_like(Y)
        self._backup = np.empty_like(net.theta)
        self._shuffle(X, Y)
        self._data = X

    def state_dict(self) -> dict[str, Any]:
        """The method's state; ``pending`` (only while an epoch is in progress) says where
        it stands, so that training on after an import gives the same numbers."""
        d = {"kind": self.kind, "batch_size": self.batch_size, **self.optimizer.state_dict()}
        if (pending := self._pending_state()) is not None:
            d["pending"] = pending
        return d

    def load_state_dict(self, d: dict[str, Any], n_params: int) -> None:
        keys = {"kind", "batch_size", "settings", "t", "state"}
        if not isinstance(d, dict) or not keys <= set(d) <= keys | {"pending"}:
            raise InvalidInput(
                "method must hold exactly kind, batch_size, settings, t, state (and pending)"
            )
        batch = int_field(d["batch_size"], "batch_size", 1, MAX_BATCH)
        self.optimizer.load_state_dict(d, n_params)
        self.batch_size = batch
        self._load_pending(d.get("pending"))


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


def make_method(spec: dict[str, Any]) -> GradientDescent | Evolution:
    """A method from its plain-dict spec, e.g. ``{"kind": "adam", "lr": 0.01,
    "batch_size": 10}`` or ``{"kind": "evolution", "population": 50, "sigma": 0.1}``."""
    if not isinstance(spec, dict):
        raise InvalidInput("method must be an object with a kind")
    settings = dict(spec)
    kind = settings.pop("kind", "sgd")
    if kind == "evolution":
        return Evolution(**settings)
    if kind not in OPTIMIZERS:
        raise InvalidInput(f"method kind must be one of {', '.join(METHODS)}; got {kind!r}")
    batch = settings.pop("batch_size", 10)
    return GradientDescent(make_optimizer(kind, **settings), batch)


class Trainer:
    """One network, one training set, one method; counts updates, epochs and evaluations.

    ``X (n, inputs)`` are the network's inputs (features already derived and normalized);
    ``y (n,)`` the labels. All randomness (shuffling, mutation) comes from ``seed``.
    """

    def __init__(
        self,
        net: Network,
        X: Array | None,
        y: Array | None,
        method: GradientDescent | Evolution,
        seed: int | np.random.Generator = 0,
    ) -> None:
        self.net = net
        self.method = method
        self.rng = np.random.default_rng(seed)
        self.step = 0
        self.epoch = 0
        self.evaluations = 0
        self.diverged = False
        if X is None or y is None:
            X, y = np.zeros((0, net.sizes[0])), np.zeros(0)
        self.set_data(X, y)

    def set_data(self, X: Array, y: Array) -> None:
        """Attach a training set (features derived and normalized); may be empty."""
        X = np.ascontiguousarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.net.sizes[0]:
            raise InvalidInput(f"X must have shape (n, {self.net.sizes[0]}); got {X.shape}")
        Y = self.net.targets(y)
        if Y.shape[0] != X.shape[0]:
            raise InvalidInput(f"y must have {X.shape[0]} entries; got {Y.shape[0]}")
        self.X, self.Y = X, Y
        self.method.abandon()  # an epoch in progress shuffled other data

    def set_method(self, method: GradientDescent | Evolution) -> None:
        self.method = method

    def run(self, epochs: int = 1) -> int:
        """Train up to ``epochs`` epochs; stops early on divergence. Returns epochs done.
        An epoch left in progress by ``work`` is the first one finished."""
        done = 0
        while done < epochs and self.work():
            done += 1
        return done

    def work(self, deadline: float = NEVER) -> bool:
        """Train on in the current epoch until it ends (True) or ``time.perf_counter()``
        passes ``deadline`` (False: the next call carries on with the same numbers); False
        too once diverged."""
        if self.X.shape[0] == 0:
            raise InvalidInput("there are no training points to learn from")
        if self.diverged:
            return False
        r = self.method.advance(self.net, self.X, self.Y, self.rng, deadline)
        self.step += r.updates
        self.evaluations += r.evaluations
        if r.diverged:
            self.diverged = True
            return False
        if r.finished:
            self.epoch += 1
        return r.finished

    @property
    def in_epoch(self) -> bool:
        """Whether an epoch was cut off at a deadline and is still to be finished."""
        return self.method.pending

    def loss(self) -> float:
        """The training loss (with penalty) at the current weights."""
        return self.net.loss_encoded(self.X, self.Y)

    def state_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "epoch": self.epoch,
            "evaluations": self.evaluations,
            "diverged": self.diverged,
            "rng": rng_state(self.rng),
            "method": self.method.state_dict(),
        }

    def load_state_dict(self, d: dict[str, Any]) -> None:
        """Counters, random state and method state from ``state_dict``'s form, checked."""
        m = d["method"]
        if not isinstance(m, dict):
            raise InvalidInput("trainer.method must be an object")
        spec = {"kind": m.get("kind"), **{k: v for k, v in m.items() if k in Evolution.SETTINGS}}
        if isinstance(m.get("settings"), dict):
            spec.update(m["settings"])
        if "batch_size" in m:
            spec["batch_size"] = m["batch_size"]
        method = make_method(spec)
        method.load_state_dict(m, self.net.n_params)
        counters = {k: d.get(k, 0) for k in ("step", "epoch", "evaluations")}
        for k, v in counters.items():
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise InvalidInput(f"{k} must be a non-negative integer")
        diverged = d.get("diverged", False)
        if not isinstance(diverged, bool):
            raise InvalidInput("diverged must be true or false")
        self.rng = rng_from_state(d["rng"])
        if isinstance(method, GradientDescent):
            method.resume_on(self.net, self.X, self.Y)
        self.method = method
        self.step, self.epoch, self.evaluations = (counters[k] for k in counters)
        self.diverged = diverged


def rng_state(rng: np.random.Generator) -> dict[str, Any]:
    """The generator's state with its big integers as strings (JSON- and JS-safe)."""
    st = rng.bit_generator.state
    return _ints_to_str(st)


def rng_from_state(state: Any) -> np.random.Generator:
    """A PCG64 generator from ``rng_state``'s form; InvalidInput if it is anything else."""
    ok = (
        isinstance(state, dict)
        and set(state) == {"bit_generator", "state", "has_uint32", "uinteger"}
        and state["bit_generator"] == "PCG64"
        and isinstance(state["state"], dict)
        and set(state["state"]) == {"state", "inc"}
        and all(_is_uint128(v) for v in (*state["state"].values(), state["uinteger"]))
        and state["has_uint32"] in ("0", "1")
    )
    if not ok:
        raise InvalidInput("rng must be a PCG64 generator state from an export")
    bg = np.random.PCG64()
    bg.state = {
        "bit_generator": "PCG64",
        "state": {"state": int(state["state"]["state"]), "inc": int(state["state"]["inc"])},
        "has_uint32": int(state["has_uint32"]),
        "uinteger": int(state["uinteger"]),
    }
    return np.random.Generator(bg)


def _is_uint128(v: object) -> bool:
    return isinstance(v, str) and v.isascii() and v.isdigit() and len(v) <= 39 and int(v) < 2**128


def _ints_to_str(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _ints_to_str(x) for k, x in v.items()}
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return str(v)
    return v
