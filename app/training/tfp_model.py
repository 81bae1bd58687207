"""A session's network and trainer under the TensorFlow Playground profile.

``TfpModel`` wraps a :class:`app.nn.tfp.TfpNetwork` and ``TfpTraining`` a
:class:`app.nn.tfp.TfpTrainer` with the parts of ``Network`` and ``Trainer`` that a session,
its views and its export use, so that snapshots, frames, metrics and exports work the same
under either profile. Classification labels are the session's 0/1; the network sees the
page's ±1 and its tanh output ``o`` is shown as ``(o + 1) / 2`` (class 1 above ½, where
``o > 0``). Losses are the page's: mean ½(o − t)², no penalty.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.errors import InvalidInput
from app.nn.hyper import finite_array, float_field, int_field
from app.nn.network import MAX_PARAM_ABS
from app.nn.optimizers import Optimizer, make_optimizer
from app.nn.tfp import TfpNetwork, TfpTrainer

Array = np.ndarray
MAX_PENDING = 1_000_000  # bound on an imported epoch's position


@dataclass(frozen=True)
class TfpNetworkConfig:
    """What ``state()`` reports of the network: the page's shape and output."""

    inputs: int
    hidden: tuple[tuple[int, str], ...]
    output: str
    regularization: str
    rate: float
    loss: str = "half_mse"

    def to_dict(self) -> dict[str, Any]:
        return {
            "inputs": self.inputs,
            "hidden": [{"units": u, "activation": a} for u, a in self.hidden],
            "output": self.output,
            "loss": self.loss,
            "regularization": {"kind": self.regularization.lower(), "rate": self.rate},
        }


class TfpModel:
    """A ``TfpNetwork`` seen as a session's network. ``classification``: labels 0/1 become
    ±1 targets and the output is shown as ``(o + 1) / 2``."""

    def __init__(self, net: TfpNetwork, classification: bool, rate: float) -> None:
        self.tfp, self.classification, self.rate = net, classification, rate
        self.grads: list[tuple[Array, Array]] = []

    # --- shape and parameters ----------------------------------------------------------

    @property
    def sizes(self) -> list[int]:
        return list(self.tfp.sizes)

    @property
    def layers(self) -> int:
        return len(self.tfp.W)

    @property
    def theta(self) -> Array:
        return self.tfp.theta

    @property
    def n_params(self) -> int:
        return int(self.tfp.theta.size)

    @property
    def params(self) -> list[tuple[Array, Array]]:
        return list(zip(self.tfp.W, self.tfp.b, strict=True))

    @property
    def regularization(self) -> str:
        return self.tfp.regularization

    @property
    def config(self) -> TfpNetworkConfig:
        n = self.tfp
        hidden = tuple(zip(n.sizes[1:-1], n.activations, strict=True))
        return TfpNetworkConfig(
            n.sizes[0], hidden, n.output, n.regularization, self.rate, n.loss_name
        )

    def penalty(self) -> float:
        return 0.0  # the page's loss has none (nor has the cross-entropy beyond it)

    def dead_links(self) -> list[Array] | None:
        """Which links L1 has killed, per layer shaped like ``W`` (copies); None if none."""
        if not self.tfp.dead.any():
            return None
        return [d.copy() for d in self.tfp.dead_links()]

    def set_param(self, layer: int, kind: str, index: tuple[int, ...], value: float) -> None:
        """Set one weight (``kind="weight"``, index (i, j)) or bias (``"bias"``, (j,)).
        A dead link takes the weight and stays dead, as on the page: the weight counts in
        every pass and training never changes it."""
        layer = int_field(layer, "layer", 0, self.layers - 1)
        if kind not in ("weight", "bias"):
            raise InvalidInput(f"kind must be 'weight' or 'bias'; got {kind!r}")
        v = float_field(value, "value", -MAX_PARAM_ABS, MAX_PARAM_ABS)
        target = self.tfp.W[layer] if kind == "weight" else self.tfp.b[layer]
        if not isinstance(index, list | tuple) or len(index) != target.ndim:
            raise InvalidInput(f"index must have {target.ndim} entries for a {kind}")
        idx = tuple(
            int_field(i, f"index[{k}]", 0, target.shape[k] - 1) for k, i in enumerate(index)
        )
        target[idx] = v

    # --- passes ------------------------------------------------------------------------

    def targets(self, y: Array) -> Array:
        """The page's targets ``(n,)``: ±1 for classification, the values for regression."""
        y = np.asarray(y, dtype=np.float64)
        return 2.0 * y - 1.0 if self.classification else y.copy()

    def _shown(self, out: Array) -> Array:
        return (out + 1.0) / 2.0 if self.classification else out.copy()

    def activations(self, X: Array) -> list[Array]:
        """Every layer's output ``[A_1 .. A_L]`` for ``X (n, inputs)``; the last (the
        output, ``(n, 1)``) as shown."""
        A = self.tfp.forward(np.ascontiguousarray(X, dtype=np.float64))[1][1:]
        return [*A[:-1], self._shown(A[-1])]

    def evaluate(self, X: Array, T: Array) -> tuple[float, Array]:
        """The page's loss (or the cross-entropy beyond it) for ``X (n, inputs)``, targets
        ``T (n,)``, and the output as shown ``(n, 1)``."""
        with np.errstate(over="ignore", invalid="ignore"):
            o = self.tfp.forward(X)[1][-1]
            return self.tfp.mean_loss(o[:, 0], T), self._shown(o)

    def backprop(self, X: Array, T: Array) -> None:
        """The mean derivative of the page's loss into ``grads``, leaving the examples
        the page has accumulated towards its next update untouched."""
        net = self.tfp
        saved, count = net.grad.copy(), net.count
        net.count = 0
        net.accumulate(X, T)
        n = max(X.shape[0], 1)
        mean = net.grad / n
        net.grad[...], net.count = saved, count
        W, b = net._views(mean)
        self.grads = list(zip(W, b, strict=True))

    def population_losses(self, pop: Array, X: Array, T: Array) -> Array:
        """The loss for each row ``[w, b]`` of ``pop (P, 2)`` of a network of one weight
        and a bias (what the loss surface draws), inputs ``X (n, 1)``, targets ``T (n,)``."""
        if self.n_params != 2:
            raise InvalidInput("the loss surface is drawn for a network of one input and a bias")
        with np.errstate(over="ignore", invalid="ignore"):
            Z = pop[:, :1] * X[:, 0][None, :] + pop[:, 1:]
            out = np.empty_like(Z)
            self.tfp._acts[-1].value(Z, out)
            return self.tfp.mean_losses(out, T)

    # --- export ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        n = self.tfp
        return {
            "theta": n.theta.tolist(),
            "dead": n.dead.tolist(),
            "accumulated": n.grad.tolist(),
            "count": n.count,
        }

    def load(self, d: Any, max_count: int) -> None:
        """Parameters, dead links and the accumulated derivatives from ``to_dict``."""
        n = self.tfp
        if not isinstance(d, dict) or set(d) != {"theta", "dead", "accumulated", "count"}:
            raise InvalidInput("network must hold theta, dead, accumulated and count")
        theta = finite_array(d["theta"], n.theta.shape, "network.theta")
        grad = finite_array(d["accumulated"], n.grad.shape, "network.accumulated")
        dead = d["dead"]
        if (
            not isinstance(dead, list)
            or len(dead) != n.dead.size
            or not all(isinstance(v, bool) for v in dead)
        ):
            raise InvalidInput(f"network.dead must be {n.dead.size} booleans")
        count = int_field(d["count"], "network.count", 0, max_count)
        n.theta[...], n.grad[...], n.dead[...], n.count = theta, grad, dead, count


class TfpTraining:
    """A ``TfpTrainer`` seen as a session's trainer: the page's epochs and updates; with an
    ``optimizer`` (beyond the page) that optimizer's step at the page's update points."""

    method: Any = None  # no evolutionary population to show

    def __init__(
        self,
        model: TfpModel,
        lr: float,
        rate: float,
        batch_size: float,
        optimizer: Optimizer | None = None,
    ) -> None:
        self.model, self.lr, self.rate, self.batch_size = model, lr, rate, batch_size
        self.optimizer = optimizer
        self.epoch = 0
        self.step = 0
        self.diverged = False
        self.X = np.zeros((0, model.sizes[0]))
        self.Y = np.zeros(0)
        self._trainer: TfpTrainer | None = None

    @property
    def evaluations(self) -> int:
        return self.step

    def set_data(self, X: Array, y: Array) -> None:
        """Attach the training set (0/1 or regression labels), in the order trained on."""
        self.X = np.ascontiguousarray(X, dtype=np.float64)
        self.Y = self.model.targets(y)
        self._trainer = None

    def set_rates(self, lr: float, rate: float, batch_size: float, regularization: str) -> None:
        self.lr, self.rate, self.batch_size = lr, rate, batch_size
        self.model.tfp.regularization = regularization
        self.model.rate = rate
        self._trainer = None

    def set_optimizer(self, kind: str, settings: dict[str, Any]) -> None:
        """The page's step (``"sgd"``) or an optimizer's; the same optimizer retuned keeps
        its state (momentum, moments)."""
        if kind == "sgd":
            self.optimizer = None
        elif self.optimizer is not None and self.optimizer.name == kind:
            self.optimizer.configure(**settings)
        else:
            self.optimizer = make_optimizer(kind, **settings)
        self._trainer = None

    def run(self, epochs: int = 1) -> int:
        done = 0
        while done < epochs and not self.diverged and self.work():
            done += 1
        return done

    def work(self, deadline: float = math.inf) -> bool:
        """Train on in the current epoch until it ends (True) or ``time.perf_counter()``
        passes ``deadline`` (False; the next call carries on)."""
        if self.X.shape[0] == 0:
            raise InvalidInput("there are no training points to learn from")
        t = self._trainer
        if t is None:
            t = self._trainer = self._new_trainer()
        t.diverged = self.diverged
        before = t.updates
        finished = t.advance(deadline)
        self.step += t.updates - before
        self.epoch += finished
        self.diverged = t.diverged
        return finished

    def _new_trainer(self) -> TfpTrainer:
        """An epoch's run from its start, with the session's rates and optimizer."""
        return TfpTrainer(
            self.model.tfp, self.X, self.Y, self.lr, self.rate, self.batch_size, self.optimizer
        )

    @property
    def in_epoch(self) -> bool:
        return self._trainer is not None and self._trainer._at > 0

    def state_dict(self) -> dict[str, Any]:
        """Counters and rates; ``method.pending`` (only in the middle of an epoch): the
        number of its updates already made, so that an import finishes it."""
        method = self._method_state()
        if self._trainer is not None and self._trainer._at > 0:
            method["pending"] = self._trainer._at
        return {
            "step": self.step,
            "epoch": self.epoch,
            "evaluations": self.step,
            "diverged": self.diverged,
            "rng": None,
            "method": method,
        }

    def _method_state(self) -> dict[str, Any]:
        opt = self.optimizer
        if opt is None:
            return {"kind": "sgd", "lr": self.lr, "batch_size": self.batch_size}
        return {"kind": opt.name, "batch_size": self.batch_size, **opt.state_dict()}

    def load_state_dict(self, d: dict[str, Any]) -> None:
        """Counters and the optimizer's state from ``state_dict``'s form (the method's kind
        and settings checked by the caller); no random state."""
        if d["rng"] is not None:
            raise InvalidInput("trainer.rng must be null under the tfp profile")
        pending = d["method"].get("pending", 0) if isinstance(d["method"], dict) else 0
        pending = int_field(pending, "trainer.method.pending", 0, MAX_PENDING)
        if self.optimizer is not None:
            m = {k: v for k, v in d["method"].items() if k != "pending"}
            if set(m) != {"kind", "batch_size", "settings", "t", "state"}:
                raise InvalidInput("method must hold exactly kind, batch_size, settings, t, state")
            self.optimizer.load_state_dict(m, self.model.n_params)
        self.step, self.epoch, self.diverged = d["step"], d["epoch"], d["diverged"]
        self._trainer = None
        if pending:
            t = self._new_trainer()
            if pending >= len(t._runs):
                raise InvalidInput("trainer.method.pending must be inside an epoch")
            t._at, self._trainer = pending, t
