"""Activation functions: value/derivative pairs registered by their wire name.

Every function writes into a caller-supplied ``out`` array of the same shape as its
input, so the training loop and the grid evaluation allocate nothing per step.
``derivative(z, a, out)`` receives both the pre-activation ``z`` and the activation
``a = f(z)``, and uses whichever makes f'(z) cheapest.

Adding an activation is one ``Activation(...)`` entry in ``ACTIVATIONS`` plus its test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from app.errors import InvalidInput

Array = np.ndarray
Value = Callable[[Array, Array], Array]
Derivative = Callable[[Array, Array, Array], Array]

LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    """f and f' over arrays of any shape; ``init`` names the weight initialization it suits."""

    name: str
    value: Value
    derivative: Derivative
    init: str  # "glorot" or "he"

    def __call__(self, z: Array) -> Array:
        return self.value(z, np.empty_like(z))

    def grad(self, z: Array) -> Array:
        """f'(z), allocating; the training loop uses ``derivative`` with buffers instead."""
        return self.derivative(z, self(z), np.empty_like(z))


def _linear(z: Array, out: Array) -> Array:
    np.copyto(out, z)
    return out


def _linear_d(z: Array, a: Array, out: Array) -> Array:
    out.fill(1.0)
    return out


def _sigmoid(z: Array, out: Array) -> Array:
    # 1/(1+e^-z) written through tanh: no overflow for any finite z.
    np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    np.multiply(out, 0.5, out=out)
    np.add(out, 0.5, out=out)
    return out


# A 0-d array: no conversion of a Python float on every call of the training's derivatives
# (which run in float64, as it is).
_ONE = np.array(1.0)


def _sigmoid_d(z: Array, a: Array, out: Array) -> Array:
    np.subtract(_ONE, a, out=out)
    np.multiply(out, a, out=out)
    return out


_tanh: Value = np.tanh  # np.tanh(z, out) is already the form: no call in between


def _tanh_d(z: Array, a: Array, out: Array) -> Array:
    np.multiply(a, a, out=out)
    np.subtract(_ONE, out, out=out)
    return out


def _relu(z: Array, out: Array) -> Array:
    return np.maximum(z, 0.0, out=out)


def _relu_d(z: Array, a: Array, out: Array) -> Array:
    return np.greater(z, 0.0, out=out)


def _leaky_relu(z: Array, out: Array) -> Array:
    np.multiply(z, LEAKY_SLOPE, out=out)
    return np.maximum(z, out, out=out)


def _leaky_relu_d(z: Array, a: Array, out: Array) -> Array:
    np.greater(z, 0.0, out=out)
    np.multiply(out, 1.0 - LEAKY_SLOPE, out=out)
    np.add(out, LEAKY_SLOPE, out=out)
    return out


def _elu(z: Array, out: Array) -> Array:
    # ELU with α = 1: z for z > 0, e^z − 1 otherwise; expm1(min(z, 0)) never overflows.
    np.minimum(z, 0.0, out=out)
    np.expm1(out, out=out)
    return np.maximum(out, z, out=out)


def _elu_d(z: Array, a: Array, out: Array) -> Array:
    np.minimum(z, 0.0, out=out)
    return np.exp(out, out=out)


def _softplus(z: Array, out: Array) -> Array:
    return np.logaddexp(z, 0.0, out=out)


def _softplus_d(z: Array, a: Array, out: Array) -> Array:
    return _sigmoid(z, out)


def _swish(z: Array, out: Array) -> Array:
    # x·σ(x), σ through tanh: no overflow for any finite z.
    _sigmoid(z, out)
    return np.multiply(out, z, out=out)


def _swish_d(z: Array, a: Array, out: Array) -> Array:
    # σ(z)·(1 + z·(1 − σ(z))) = σ(z) + a·(1 − σ(z)), with a = z·σ(z).
    _sigmoid(z, out)
    np.subtract(1.0, out, out=out)
    np.multiply(out, a, out=out)
    s = _sigmoid(z, np.empty_like(z))
    return np.add(out, s, out=out)


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("linear", _linear, _linear_d, "glorot"),
        Activation("sigmoid", _sigmoid, _sigmoid_d, "glorot"),
        Activation("tanh", _tanh, _tanh_d, "glorot"),
        Activation("relu", _relu, _relu_d, "he"),
        Activation("leaky_relu", _leaky_relu, _leaky_relu_d, "he"),
        Activation("elu", _elu, _elu_d, "he"),
        Activation("softplus", _softplus, _softplus_d, "he"),
        Activation("swish", _swish, _swish_d, "he"),
    )
}


def get_activation(name: object, field: str = "activation") -> Activation:
    """The registered activation called ``name``; ValueError naming ``field`` otherwise."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise InvalidInput(f"{field} must be one of {', '.join(ACTIVATIONS)}; got {name!r}")
    return ACTIVATIONS[name]
