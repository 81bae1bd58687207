"""Gradient-descent optimizers over a flat parameter vector.

Each optimizer is a small object with ``update(theta, grad)`` that changes ``theta (p,)``
in place from ``grad (p,)``; its state (velocity, moments, step count) lives in arrays of
the same length. Conventions (the tests check the first steps by hand):

- ``sgd``:       θ ← θ − lr·g
- ``momentum``:  v ← μ·v + g;  θ ← θ − lr·v
- ``rmsprop``:   v ← ρv + (1−ρ)g²;  θ ← θ − lr·g/(√v + ε)
- ``adam``:      m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  t ← t+1;
                 θ ← θ − lr·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)

Changing a setting (``configure``) keeps the state; ``reset`` clears it. Training calls
``step(theta, scaled)`` with the gradient already multiplied by ``grad_scale``: the learning
rate for ``sgd`` (whose step is then one subtraction), 1 for the others.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from app.errors import InvalidInput
from app.nn.hyper import Hyper, finite_array, int_field

Array = np.ndarray

MIN_LR, MAX_LR = 1e-5, 10.0


class Optimizer(ABC):
    """Base class: settings (validated by ``SETTINGS``) and named state arrays."""

    name: ClassVar[str] = ""
    # Every setting, its default and range: the session's configuration and the page's
    # controls are built from these; ``exposed`` False keeps a setting at its default.
    SETTINGS: ClassVar[dict[str, Hyper]] = {
        "lr": Hyper(0.03, MIN_LR, MAX_LR, label="Learning rate")
    }
    HIDDEN: ClassVar[frozenset[str]] = frozenset()
    STATE: ClassVar[tuple[str, ...]] = ()
    # True when ``step(theta, scaled)`` is θ ← θ − scaled and t ← t + 1: training may then
    # subtract by itself and add the count of its steps to ``t`` at the end.
    subtracts: ClassVar[bool] = False

    def __init__(self, **settings: float) -> None:
        self.settings = {k: float(h.default) for k, h in self.SETTINGS.items()}
        self.configure(**settings)
        self.t = 0
        self.state: dict[str, Array] = {}
        self._buf = np.empty(0)

    def configure(self, **settings: Any) -> None:
        """Change settings (all validated before any is applied); the state is kept."""
        new = dict(self.settings)
        for key, value in settings.items():
            if key not in self.SETTINGS:
                raise InvalidInput(f"{self.name} has no setting {key!r}")
            new[key] = self.SETTINGS[key].check(value, key)
        self.settings = new

    @property
    def lr(self) -> float:
        return self.settings["lr"]

    def reset(self) -> None:
        self.t = 0
        self.state = {}

    def _ready(self, p: int) -> None:
        """Size the scratch buffer and the state for ``p`` parameters (fresh state if the
        network changed size or the state was reset)."""
        if self._buf.shape[0] == p and len(self.state) == len(self.STATE):
            return
        self._buf = np.empty(p)
        if len(self.state) != len(self.STATE) or any(a.shape[0] != p for a in self.state.values()):
            self.state = {k: np.zeros(p) for k in self.STATE}
            self.t = 0

    @abstractmethod
    def update(self, theta: Array, grad: Array) -> None:
        """Change ``theta`` in place by one step along ``grad``."""

    @property
    def grad_scale(self) -> float:
        """A factor training may fold into the gradient it hands ``step`` (into the output
        layer's error, a handful of numbers, rather than every parameter): 1 but for plain
        SGD, whose step is the gradient times the learning rate."""
        return 1.0

    def step(self, theta: Array, scaled: Array) -> None:
        """``update`` from the gradient already multiplied by ``grad_scale``."""
        self.update(theta, scaled)

    def state_dict(self) -> dict[str, Any]:
        return {
            "kind": self.name,
            "settings": dict(self.settings),
            "t": self.t,
            "state": {k: v.tolist() for k, v in self.state.items()},
        }

    def load_state_dict(self, d: dict[str, Any], n_params: int) -> None:
        settings = d.get("settings")
        if not isinstance(settings, dict) or set(settings) != set(self.SETTINGS):
            raise InvalidInput(f"optimizer.settings must hold exactly {', '.join(self.SETTINGS)}")
        self.configure(**settings)
        state = d.get("state")
        if not isinstance(state, dict) or (state and set(state) != set(self.STATE)):
            raise InvalidInput(f"optimizer.state must be empty or hold {', '.join(self.STATE)}")
        arrays = {
            key: finite_array(value, (n_params,), f"optimizer.state.{key}")
            for key, value in state.items()
        }
        t = int_field(d.get("t"), "optimizer.t", 0, 2**53)
        self.state = arrays
        self.t = t if arrays or not self.STATE else 0


class SGD(Optimizer):
    name = "sgd"
    subtracts = True

    def update(self, theta: Array, grad: Array) -> None:
        self._ready(theta.shape[0])
        np.multiply(grad, self.settings["lr"], out=self._buf)
        np.subtract(theta, self._buf, out=theta)
        self.t += 1

    @property
    def grad_scale(self) -> float:
        return self.settings["lr"]

    def step(self, theta: Array, scaled: Array) -> None:
        np.subtract(theta, scaled, out=theta)
        self.t += 1


class Momentum(Optimizer):
    name = "momentum"
    SETTINGS = {
        **Optimizer.SETTINGS,
        "momentum": Hyper(0.9, 0.0, 0.999, label="Momentum", step=0.05),
    }
    STATE = ("velocity",)

    def update(self, theta: Array, grad: Array) -> None:
        self._ready(theta.shape[0])
        v = self.state["velocity"]
        np.multiply(v, self.settings["momentum"], out=v)
        np.add(v, grad, out=v)
        np.multiply(v, self.settings["lr"], out=self._buf)
        np.subtract(theta, self._buf, out=theta)
        self.t += 1


class Adam(Optimizer):
    name = "adam"
    SETTINGS = {
        **Optimizer.SETTINGS,
        "lr": Hyper(0.01, MIN_LR, MAX_LR, label="Learning rate"),
        "beta1": Hyper(0.9, 0.0, 0.999, label="β₁", step=0.01),
        "beta2": Hyper(0.999, 0.0, 0.99999, label="β₂", step=0.001),
        "eps": Hyper(1e-8, 1e-12, 1e-3, label="ε"),
    }
    HIDDEN = frozenset({"eps"})
    STATE = ("m", "v")

    def update(self, theta: Array, grad: Array) -> None:
        self._ready(theta.shape[0])
        s, m, v, buf = self.settings, self.state["m"], self.state["v"], self._buf
        b1, b2 = s["beta1"], s["beta2"]
        self.t += 1
        np.multiply(m, b1, out=m)
        np.multiply(grad, 1.0 - b1, out=buf)
        np.add(m, buf, out=m)
        np.multiply(v, b2, out=v)
        np.multiply(grad, grad, out=buf)
        np.multiply(buf, 1.0 - b2, out=buf)
        np.add(v, buf, out=v)
        # θ −= lr·m̂/(√v̂ + ε), with the bias corrections folded into two scalars.
        np.multiply(v, 1.0 / (1.0 - b2**self.t), out=buf)
        np.sqrt(buf, out=buf)
        np.add(buf, s["eps"], out=buf)
        np.divide(m, buf, out=buf)
        np.multiply(buf, s["lr"] / (1.0 - b1**self.t), out=buf)
        np.subtract(theta, buf, out=theta)


class RMSProp(Optimizer):
    """v ← ρv + (1−ρ)g²;  θ ← θ − lr·g / (√v + ε)"""

    name = "rmsprop"
    SETTINGS = {
        **Optimizer.SETTINGS,
        "rho": Hyper(0.9, 0.0, 0.999, label="ρ", step=0.01),
        "eps": Hyper(1e-8, 1e-12, 1e-3, label="ε"),
    }
    HIDDEN = frozenset({"eps"})
    STATE = ("v",)

    def update(self, theta: Array, grad: Array) -> None:
        self._ready(theta.shape[0])
        s, v, buf = self.settings, self.state["v"], self._buf
        np.multiply(v, s["rho"], out=v)
        np.multiply(grad, grad, out=buf)
        np.multiply(buf, 1.0 - s["rho"], out=buf)
        np.add(v, buf, out=v)
        np.sqrt(v, out=buf)
        np.add(buf, s["eps"], out=buf)
        np.divide(grad, buf, out=buf)
        np.multiply(buf, s["lr"], out=buf)
        np.subtract(theta, buf, out=theta)
        self.t += 1


OPTIMIZERS: dict[str, type[Optimizer]] = {o.name: o for o in (SGD, Momentum, Adam, RMSProp)}


def make_optimizer(kind: str, **settings: float) -> Optimizer:
    if kind not in OPTIMIZERS:
        raise InvalidInput(f"optimizer must be one of {', '.join(OPTIMIZERS)}; got {kind!r}")
    return OPTIMIZERS[kind](**settings)


DIVERGED_NORM2 = 1e12  # θ·θ above this (per parameter), or not a number, counts as diverged
