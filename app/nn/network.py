"""Fully connected networks: inputs → 0..8 hidden layers of 1..16 units → an output unit.

All parameters live in one flat float64 vector ``theta``, laid out as every layer's
weights followed by every layer's biases; ``params`` holds ``(W, b)`` views into it, so
assigning into ``net.params[i][0][...]`` changes the network, an optimizer updates every
parameter in a couple of calls, and the weights (the only part regularized) are one
contiguous prefix. Gradients share the layout in ``grad``.

Shapes: ``X (n, inputs)``; layer l has ``W (fan_in, fan_out)`` and ``b (fan_out,)``;
the output is ``(n, 1)`` for sigmoid and linear units and ``(n, K)`` for softmax.
"""

from __future__ import annotations

import dataclasses
import math
from collections import OrderedDict
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from app.errors import InvalidInput
from app.nn.activations import Activation, get_activation
from app.nn.hyper import finite_array, float_field, int_field
from app.nn.losses import OUTPUTS, Loss, encode_targets, get_loss, output_value
from app.nn.raw import dot
from app.nn.regularization import MAX_REGULARIZATION_RATE, REGULARIZATIONS, Penalty

Array = np.ndarray

MAX_INPUTS = 7
MAX_HIDDEN_LAYERS = 8
MAX_UNITS = 16
MIN_CLASSES, MAX_CLASSES = 2, 6
MAX_PARAM_ABS = 1e6
_WORKSPACES = 6


@dataclass(frozen=True)
class Layer:
    units: int
    activation: str


@dataclass(frozen=True)
class NetworkConfig:
    """A validated network description; ``parse`` accepts the plain-dict form."""

    inputs: int
    hidden: tuple[Layer, ...]
    output: str = "sigmoid"
    classes: int = 2
    loss: str = "cross_entropy"
    regularization: str = "none"
    rate: float = 0.0

    @property
    def outputs(self) -> int:
        return self.classes if self.output == "softmax" else 1

    @property
    def sizes(self) -> list[int]:
        return [self.inputs, *(h.units for h in self.hidden), self.outputs]

    @classmethod
    def parse(cls, config: object) -> NetworkConfig:
        """Validate a config dict; every problem is a ValueError naming its field."""
        if not isinstance(config, dict):
            raise InvalidInput("config must be an object")
        known = {"inputs", "hidden", "output", "classes", "loss", "regularization"}
        extra = sorted(set(config) - known)
        if extra:
            raise InvalidInput(f"unknown config field(s): {', '.join(map(str, extra))}")
        inputs = int_field(config.get("inputs", 2), "inputs", 1, MAX_INPUTS)
        hidden_raw = config.get("hidden", [])
        if not isinstance(hidden_raw, list | tuple):
            raise InvalidInput("hidden must be a list of layers")
        if len(hidden_raw) > MAX_HIDDEN_LAYERS:
            raise InvalidInput(
                f"hidden must have at most {MAX_HIDDEN_LAYERS} layers; got {len(hidden_raw)}"
            )
        hidden = []
        for i, layer in enumerate(hidden_raw):
            if not isinstance(layer, dict) or not set(layer) <= {"units", "activation"}:
                raise InvalidInput(f"hidden[{i}] must be an object with units and activation")
            units = int_field(layer.get("units"), f"hidden[{i}].units", 1, MAX_UNITS)
            act = get_activation(layer.get("activation", "tanh"), f"hidden[{i}].activation")
            hidden.append(Layer(units, act.name))
        output = config.get("output", "sigmoid")
        if not isinstance(output, str) or output not in OUTPUTS:
            raise InvalidInput(f"output must be one of {', '.join(OUTPUTS)}; got {output!r}")
        if output == "softmax":
            classes = int_field(config.get("classes"), "classes", MIN_CLASSES, MAX_CLASSES)
        else:
            classes = 2 if output == "sigmoid" else 0
        default_loss = "mse" if output == "linear" else "cross_entropy"
        loss = config.get("loss", default_loss)
        get_loss(output, loss)
        reg = config.get("regularization") or {"kind": "none"}
        if not isinstance(reg, dict) or not set(reg) <= {"kind", "rate"}:
            raise InvalidInput("regularization must be an object with kind and rate")
        kind = reg.get("kind", "none")
        if not isinstance(kind, str) or kind not in REGULARIZATIONS:
            raise InvalidInput(
                f"regularization.kind must be one of {', '.join(REGULARIZATIONS)}; got {kind!r}"
            )
        rate = float_field(
            reg.get("rate", 0.0), "regularization.rate", 0.0, MAX_REGULARIZATION_RATE
        )
        return cls(inputs, tuple(hidden), output, classes, loss, kind, rate)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "inputs": self.inputs,
            "hidden": [{"units": h.units, "activation": h.activation} for h in self.hidden],
            "output": self.output,
            "loss": self.loss,
            "regularization": {"kind": self.regularization, "rate": self.rate},
        }
        if self.output == "softmax":
            d["classes"] = self.classes
        return d


DOT_ROWS = 512  # see _Workspace.product


class _Workspace:
    """Preallocated per-layer buffers for batches of exactly ``n`` rows, with the forward
    and backward plans (parameter views, buffers and functions per layer) laid out once so
    the hot loops do no lookups."""

    __slots__ = ("Z", "A", "D", "dA", "ones", "product", "forward", "backward")

    def __init__(self, net: Network, n: int) -> None:
        sizes = net.sizes
        self.Z = [np.empty((n, k)) for k in sizes[1:]]  # pre-activations
        self.A = [np.empty((n, k)) for k in sizes[1:]]  # activations (last: the output)
        self.D = [np.empty((n, k)) for k in sizes[1:]]  # dLoss/dZ
        self.dA = [np.empty((n, k)) for k in sizes[1:-1]]  # dLoss/dA of hidden layers
        self.ones = np.ones(n)  # a bias's gradient is ones · D: a matrix product, not a sum
        # X · W: np.dot without its dispatch costs less on a few hundred rows, np.matmul on
        # more (the same numbers on the rows of a batch or a training set).
        self.product: Any = dot if n <= DOT_ROWS else np.matmul
        values = [a.value for a in net.hidden_activations] + [net.output_value]
        self.forward = [
            (W, b, f, Z, A)
            for (W, b), f, Z, A in zip(net.params, values, self.Z, self.A, strict=True)
        ]
        # Layers L..2 (each also passes the error back to the layer below); layer 1 apart,
        # since its input is the batch itself.
        self.backward = [
            (
                self.A[k - 1].T,
                self.D[k],
                *net.grads[k],
                net.params[k][0].T,
                self.dA[k - 1],
                net.hidden_activations[k - 1].derivative,
                self.Z[k - 1],
                self.A[k - 1],
                self.D[k - 1],
            )
            for k in range(len(sizes) - 2, 0, -1)
        ]


class Network:
    """A fully connected network with a flat parameter vector (see the module docstring)."""

    def __init__(self, config: NetworkConfig, rng: np.random.Generator | int = 0) -> None:
        self.config = config
        self.sizes = config.sizes
        self.hidden_activations: list[Activation] = [
            get_activation(h.activation) for h in config.hidden
        ]
        self.loss_fn: Loss = get_loss(config.output, config.loss)
        self.output_value = partial(output_value, config.output)
        shapes = list(zip(self.sizes[:-1], self.sizes[1:], strict=True))
        self.n_weights = sum(fi * fo for fi, fo in shapes)
        self.n_params = self.n_weights + sum(fo for _, fo in shapes)
        self.theta = np.zeros(self.n_params)
        self.grad = np.zeros(self.n_params)
        self.params: list[tuple[Array, Array]] = self._views(self.theta)
        self.grads: list[tuple[Array, Array]] = self._views(self.grad)
        self.regularization = Penalty(config.regularization, config.rate)
        self._penalty_buf = np.empty(self.n_weights)
        self._workspaces: OrderedDict[int, _Workspace] = OrderedDict()
        self.initialize(rng)

    # --- construction ------------------------------------------------------------------

    @classmethod
    def from_config(cls, config: dict[str, Any], seed: np.random.Generator | int = 0) -> Network:
        """Build and initialize a network from its plain-dict config (see README)."""
        return cls(NetworkConfig.parse(config), seed)

    def _views(self, flat: Array) -> list[tuple[Array, Array]]:
        """(W, b) views into a flat vector laid out as [W1..WL, b1..bL]."""
        views, w_off, b_off = [], 0, self.n_weights
        for fi, fo in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            W = flat[w_off : w_off + fi * fo].reshape(fi, fo)
            b = flat[b_off : b_off + fo]
            views.append((W, b))
            w_off += fi * fo
            b_off += fo
        return views

    def initialize(self, rng: np.random.Generator | int = 0) -> None:
        """Fresh weights: Glorot normal before tanh/sigmoid/linear and the output unit,
        He normal before the ReLU family; biases zero. Same seed, same weights."""
        rng = np.random.default_rng(rng)
        inits = [a.init for a in self.hidden_activations] + ["glorot"]
        for (W, b), init in zip(self.params, inits, strict=True):
            fi, fo = W.shape
            std = math.sqrt(2.0 / fi) if init == "he" else math.sqrt(2.0 / (fi + fo))
            W[...] = rng.normal(0.0, std, size=W.shape)
            b[...] = 0.0

    def __getstate__(self) -> dict[str, Any]:
        """Pickle everything but the views: ``params``, ``grads`` and the workspaces are laid
        out again over the flat vectors on loading (a pickled view would be a copy)."""
        state = self.__dict__.copy()
        for name in ("params", "grads", "_workspaces"):
            del state[name]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.params = self._views(self.theta)
        self.grads = self._views(self.grad)
        self._workspaces = OrderedDict()

    @property
    def layers(self) -> int:
        """Number of weight layers (hidden layers + the output layer)."""
        return len(self.params)

    def copy(self) -> Network:
        other = Network(self.config, 0)
        np.copyto(other.theta, self.theta)
        return other

    def set_param(self, layer: int, kind: str, index: tuple[int, ...], value: float) -> None:
        """Set one weight (``kind="weight"``, index (i, j)) or bias (``"bias"``, (j,))."""
        layer = int_field(layer, "layer", 0, self.layers - 1)
        if kind not in ("weight", "bias"):
            raise InvalidInput(f"kind must be 'weight' or 'bias'; got {kind!r}")
        v = float_field(value, "value", -MAX_PARAM_ABS, MAX_PARAM_ABS)
        W, b = self.params[layer]
        target = W if kind == "weight" else b
        if not isinstance(index, list | tuple) or len(index) != target.ndim:
            raise InvalidInput(f"index must have {target.ndim} entries for a {kind}")
        idx = tuple(
            int_field(i, f"index[{k}]", 0, target.shape[k] - 1) for k, i in enumerate(index)
        )
        target[idx] = v

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": self.config.to_dict(),
            "params": [{"W": W.tolist(), "b": b.tolist()} for W, b in self.params],
        }

    @classmethod
    def from_dict(cls, d: object) -> Network:
        """A network from ``to_dict``'s form, every part checked (unknown keys refused)."""
        if not isinstance(d, dict) or set(d) != {"config", "params"}:
            raise InvalidInput("network must be an object with config and params")
        net = cls(NetworkConfig.parse(d["config"]), 0)
        params = d["params"]
        if not isinstance(params, list) or len(params) != net.layers:
            raise InvalidInput(f"params must list {net.layers} layers")
        for i, ((W, b), p) in enumerate(zip(net.params, params, strict=True)):
            if not isinstance(p, dict) or set(p) != {"W", "b"}:
                raise InvalidInput(f"params[{i}] must be an object with W and b")
            W[...] = finite_array(p["W"], W.shape, f"params[{i}].W")
            b[...] = finite_array(p["b"], b.shape, f"params[{i}].b")
        return net

    # --- evaluation -------------------------------------------------------------------

    def _workspace(self, n: int) -> _Workspace:
        ws = self._workspaces.get(n)
        if ws is None:
            ws = self._workspaces[n] = _Workspace(self, n)
            if len(self._workspaces) > _WORKSPACES:
                self._workspaces.popitem(last=False)
        return ws

    def _check_X(self, X: Array) -> Array:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise InvalidInput(f"X must have shape (n, {self.sizes[0]}); got {X.shape}")
        return X

    def _forward(self, X: Array) -> _Workspace:
        """Forward pass into the workspace for ``len(X)`` rows; returns it."""
        ws = self._workspaces.get(X.shape[0]) or self._workspace(X.shape[0])
        prev, product = X, ws.product
        for W, b, f, Z, A in ws.forward:
            product(prev, W, Z)
            np.add(Z, b, out=Z)
            f(Z, A)
            prev = A
        return ws

    def activations(self, X: Array) -> list[Array]:
        """Every layer's output for ``X (n, inputs)`` from one pass: ``[A_1 .. A_L]``, each
        ``(n, units)``, the last being the network output. The arrays are reused by the
        next call with the same ``n``: copy them to keep them."""
        return self._forward(self._check_X(X)).A

    def forward(self, X: Array) -> Array:
        """Network output ``(n, outputs)``: probabilities for sigmoid/softmax units."""
        return self._forward(self._check_X(X)).A[-1].copy()

    def penalty(self) -> float:
        """The regularization term at the current weights (see ``app.nn.regularization``)."""
        return self.regularization.value(self.theta[: self.n_weights])

    def regularize(self, penalty: Penalty) -> None:
        """Change the regularization; the weights stay as they are."""
        self.regularization = penalty
        self.config = dataclasses.replace(
            self.config, regularization=penalty.kind, rate=penalty.rate
        )

    def targets(self, y: Array) -> Array:
        """``y (n,)`` encoded as the ``(n, outputs)`` matrix the loss compares with."""
        return encode_targets(y, self.config.output, self.config.classes)

    def loss(self, X: Array, y: Array) -> float:
        """Data loss (mean over samples) plus the regularization penalty."""
        return self.loss_encoded(self._check_X(X), self.targets(y))

    def evaluate(self, X: Array, Y: Array) -> tuple[float, Array]:
        """The data loss (no penalty) and the output ``(n, outputs)`` (a fresh array) for
        ``X (n, inputs)`` and encoded targets ``Y (n, outputs)``, from one pass."""
        ws = self._forward(X)
        return float(self.loss_fn.value(ws.Z[-1], ws.A[-1], Y)), ws.A[-1].copy()

    def loss_encoded(self, X: Array, Y: Array) -> float:
        ws = self._forward(X)
        return float(self.loss_fn.value(ws.Z[-1], ws.A[-1], Y)) + self.penalty()

    def backprop(self, X: Array, Y: Array) -> _Workspace:
        """Gradient of the loss for ``X (n, inputs)`` and encoded targets ``Y (n, outputs)``
        into ``self.grad`` (regularization included). The hot path: no checks, no copies."""
        ws = self._forward(X)
        multiply, ones, product = np.multiply, ws.ones, ws.product
        self.loss_fn.delta(ws.Z[-1], ws.A[-1], Y, ws.D[-1], 1.0)
        for At, D, dW, db, Wt, dA, derivative, Zp, Ap, Dp in ws.backward:
            dot(At, D, dW)
            dot(ones, D, db)
            product(D, Wt, dA)
            derivative(Zp, Ap, Dp)
            multiply(Dp, dA, out=Dp)
        dW, db = self.grads[0]
        dot(X.T, ws.D[0], dW)
        dot(ones, ws.D[0], db)
        if self.regularization.active:
            n = self.n_weights
            self.regularization.add_gradient(self.theta[:n], self.grad[:n], self._penalty_buf)
        return ws

    def loss_and_gradients(self, X: Array, y: Array) -> tuple[float, list[tuple[Array, Array]]]:
        """``(loss, grads)``: the loss with its penalty, and ``[(dW, db), ...]`` shaped like
        ``params`` (fresh arrays, safe to keep)."""
        X = self._check_X(X)
        Y = self.targets(y)
        if Y.shape[0] != X.shape[0]:
            raise InvalidInput(f"y must have {X.shape[0]} entries; got {Y.shape[0]}")
        ws = self.backprop(X, Y)
        loss = float(self.loss_fn.value(ws.Z[-1], ws.A[-1], Y)) + self.penalty()
        return loss, self._views(self.grad.copy())

    # --- populations (the evolutionary trainer) ---------------------------------------

    def population_losses(self, pop: Array, X: Array, Y: Array) -> Array:
        """Loss of every parameter vector in ``pop (P, n_params)`` on ``X (n, inputs)``,
        ``Y (n, outputs)``, in one batched pass: layer l computes ``(P, n, fo)`` at once.
        Non-finite losses come back as +inf."""
        P = pop.shape[0]
        w_off, b_off = 0, self.n_weights
        A: Array = X
        last = self.layers - 1
        Z = A
        for k, (fi, fo) in enumerate(zip(self.sizes[:-1], self.sizes[1:], strict=True)):
            W = pop[:, w_off : w_off + fi * fo].reshape(P, fi, fo)
            b = pop[:, b_off : b_off + fo].reshape(P, 1, fo)
            Z = np.matmul(A, W)
            Z += b
            A = np.empty_like(Z)
            if k < last:
                self.hidden_activations[k].value(Z, A)
            else:
                output_value(self.config.output, Z, A)
            w_off += fi * fo
            b_off += fo
        with np.errstate(all="ignore"):
            losses = self.loss_fn.value(Z, A, Y)
            if self.regularization.active:
                losses = losses + self.regularization.values(pop[:, : self.n_weights])
        return np.where(np.isfinite(losses), losses, np.inf)
