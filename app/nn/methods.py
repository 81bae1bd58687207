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
epoch stops and reports ``diverged``; the network keeps its last finite weights. An epoch
may be cut into slices and carried on with the same numbers (``app.nn.epochs``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.errors import InvalidInput
from app.nn.descent import MAX_BATCH, GradientDescent
from app.nn.epochs import NEVER, EpochResult, Method
from app.nn.evolution import MAX_POPULATION, Evolution
from app.nn.network import Network
from app.nn.optimizers import OPTIMIZERS, make_optimizer

Array = np.ndarray

METHODS = (*OPTIMIZERS, "evolution")

__all__ = [
    "MAX_BATCH",
    "MAX_POPULATION",
    "METHODS",
    "EpochResult",
    "Evolution",
    "GradientDescent",
    "Method",
    "Trainer",
    "make_method",
    "rng_from_state",
    "rng_state",
]


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
        """Attach a training set (features derived and normalized); may be empty. The
        trainer keeps a copy: the methods lay out their work for the arrays they are given."""
        X = np.array(X, dtype=np.float64, order="C")
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
