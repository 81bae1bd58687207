"""Output units and losses, registered by wire name.

An output unit maps the last layer's pre-activation ``Z (n, k)`` to the network's
output ``A (n, k)``: probabilities for ``sigmoid`` (k = 1) and ``softmax`` (k = K),
the value itself for ``linear``. A loss is paired with an output and gives

- ``value(Z, A, Y) -> (...)``: the data loss, the mean over samples (and, for MSE, over
  outputs too). Arrays may carry leading axes (the evolutionary trainer stacks a whole
  population as ``(P, n, k)``); the result then has those leading axes.
- ``delta(Z, A, Y, out, scale=1)``: ``scale``·dLoss/dZ for one ``(n, k)`` batch, written
  into ``out`` (training folds plain SGD's learning rate into it).
- ``train_target(Y)`` and ``train_delta(Z, A, T, out, factor)``: the same delta for training,
  from the logits ``Z`` and the target ``T = train_target(Y)`` prepared once per training
  set; ``A`` is scratch for the output; ``factor = train_factor(scale, n, k)``, prepared
  once per batch size and scale (a 0-d array costs a NumPy call less than a Python float).
  Sigmoid with cross-entropy never computes the output: σ(z) − y = (tanh(z/2) − (2y − 1))/2,
  so ``T = 2y − 1``.

``Y (n, k)`` is the target encoded for the output: a 0/1 column for sigmoid, one-hot
rows for softmax, the target column for linear (see ``encode_targets``).

Cross-entropy with a sigmoid is computed from the pre-activation,
mean(softplus(z) − y·z), so it never takes log(0) nor overflows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from app.errors import InvalidInput
from app.nn.activations import ACTIVATIONS

Array = np.ndarray

Delta = Callable[[Array, Array, Array, Array, float], Array]  # (Z, A, Y, out, scale)
TrainDelta = Callable[[Array, Array, Array, Array, Array | float], Array]  # (Z, A, T, out, factor)
TrainFactor = Callable[[float, int, int], float]  # (scale, n, k) -> factor

OUTPUTS = ("sigmoid", "softmax", "linear")
LOSS_NAMES = ("cross_entropy", "mse")


def softmax(z: Array, out: Array) -> Array:
    """Row-wise softmax over the last axis of ``z (..., k)``, into ``out``."""
    np.subtract(z, z.max(axis=-1, keepdims=True), out=out)
    np.exp(out, out=out)
    np.divide(out, out.sum(axis=-1, keepdims=True), out=out)
    return out


_OUTPUT_VALUE: dict[str, Callable[[Array, Array], Array]] = {
    "sigmoid": ACTIVATIONS["sigmoid"].value,
    "softmax": softmax,
    "linear": ACTIVATIONS["linear"].value,
}


def output_value(output: str, z: Array, out: Array) -> Array:
    """Apply the output unit ``output`` to ``z (..., n, k)`` into ``out``."""
    return _OUTPUT_VALUE[output](z, out)


# --- data-loss values: (..., n, k) -> (...) --------------------------------------------


def mean(x: Array) -> Array:
    """The mean over the last two axes: ``np.mean``'s sum and division, without the Python
    layers around them (the same numbers). A loss's value is the mean of its ``terms``."""
    return np.add.reduce(x, axis=(-2, -1)) / (x.shape[-2] * x.shape[-1])


def _bce_terms(Z: Array, A: Array, Y: Array) -> Array:
    loss = np.logaddexp(0.0, Z)
    loss -= Y * Z
    return loss


def _bce_value(Z: Array, A: Array, Y: Array) -> Array:
    return mean(_bce_terms(Z, A, Y))


def _softmax_ce_value(Z: Array, A: Array, Y: Array) -> Array:
    shifted = Z - Z.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return -np.sum(log_p * Y, axis=(-2, -1)) / Z.shape[-2]


def _mse_terms(Z: Array, A: Array, Y: Array) -> Array:
    d = A - Y
    np.multiply(d, d, out=d)
    return d


def _mse_value(Z: Array, A: Array, Y: Array) -> Array:
    return mean(_mse_terms(Z, A, Y))


Value = Callable[[Array, Array, Array], Array]  # (Z, A, Y) -> a value or its terms
_TERMS: dict[Value, Value] = {_bce_value: _bce_terms, _mse_value: _mse_terms}


# --- deltas dL/dZ for one (n, k) batch --------------------------------------------------


def _prob_minus_target_delta(Z: Array, A: Array, Y: Array, out: Array, scale: float = 1.0) -> Array:
    # sigmoid + BCE and softmax + CE share dL/dZ = (A − Y) / n.
    np.subtract(A, Y, out=out)
    np.multiply(out, scale / Z.shape[0], out=out)
    return out


def _linear_mse_delta(Z: Array, A: Array, Y: Array, out: Array, scale: float = 1.0) -> Array:
    np.subtract(A, Y, out=out)
    np.multiply(out, 2.0 * scale / out.size, out=out)
    return out


def _sigmoid_mse_delta(Z: Array, A: Array, Y: Array, out: Array, scale: float = 1.0) -> Array:
    # dL/dA = 2(A − Y)/(n·k); dA/dZ = A(1 − A).
    np.subtract(A, Y, out=out)
    np.multiply(out, 2.0 * scale / out.size, out=out)
    np.multiply(out, A, out=out)
    np.multiply(out, 1.0 - A, out=out)
    return out


def _softmax_mse_delta(Z: Array, A: Array, Y: Array, out: Array, scale: float = 1.0) -> Array:
    # dL/dA = 2(A − Y)/(n·K); through the softmax Jacobian: A ⊙ (g − Σ g⊙A).
    np.subtract(A, Y, out=out)
    np.multiply(out, 2.0 * scale / out.size, out=out)
    inner = np.sum(out * A, axis=1, keepdims=True)
    np.subtract(out, inner, out=out)
    np.multiply(out, A, out=out)
    return out


# --- the deltas training takes, from the logits and a prepared target --------------------


def _bce_train_target(Y: Array) -> Array:
    return 2.0 * Y - 1.0


def _bce_train_factor(scale: float, n: int, k: int) -> float:
    return 0.5 * scale / n


_HALF = np.array(0.5)  # a 0-d array: no conversion of a Python float on every call


def _bce_train_delta(Z: Array, A: Array, T: Array, out: Array, factor: Array | float) -> Array:
    # σ(z) − y = (tanh(z/2) − (2y − 1))/2, the target T = 2y − 1 prepared; A is not needed.
    np.multiply(Z, _HALF, out=out)
    np.tanh(out, out=out)
    np.subtract(out, T, out=out)
    np.multiply(out, factor, out=out)
    return out


def _linear_train_factor(scale: float, n: int, k: int) -> float:
    return 2.0 * scale / (n * k)


def _linear_train_delta(Z: Array, A: Array, T: Array, out: Array, factor: Array | float) -> Array:
    # The output is the logit itself.
    np.subtract(Z, T, out=out)
    np.multiply(out, factor, out=out)
    return out


def _scale_factor(scale: float, n: int, k: int) -> float:
    return scale


def _through_output(output: str, delta: Delta) -> TrainDelta:
    """The training delta of a loss that needs the output's value: the value into ``A``,
    then ``delta`` on the target as encoded."""
    value = _OUTPUT_VALUE[output]

    def train_delta(Z: Array, A: Array, T: Array, out: Array, factor: Array | float) -> Array:
        value(Z, A)
        return delta(Z, A, T, out, float(factor))

    return train_delta


def _same(Y: Array) -> Array:
    return Y


@dataclass(frozen=True)
class Loss:
    """A data loss for one output unit: its value and its gradient w.r.t. the logits, and
    that gradient as training computes it (see the module docstring)."""

    output: str
    name: str
    value: Callable[[Array, Array, Array], Array]
    delta: Delta
    train_target: Callable[[Array], Array]
    train_delta: TrainDelta
    train_factor: TrainFactor
    # ``value``'s terms, one per sample and output (its value is their ``mean``), for a
    # loss that is such a mean; None otherwise.
    terms: Callable[[Array, Array, Array], Array] | None


def _loss(
    output: str, name: str, value: Callable[[Array, Array, Array], Array], delta: Delta
) -> Loss:
    terms = _TERMS.get(value)
    if (output, name) == ("sigmoid", "cross_entropy"):
        return Loss(
            output, name, value, delta, _bce_train_target, _bce_train_delta, _bce_train_factor,
            terms,
        )  # fmt: skip
    if output == "linear":
        return Loss(
            output, name, value, delta, _same, _linear_train_delta, _linear_train_factor, terms
        )
    return Loss(
        output, name, value, delta, _same, _through_output(output, delta), _scale_factor, terms
    )


LOSSES: dict[tuple[str, str], Loss] = {
    (entry.output, entry.name): entry
    for entry in (
        _loss("sigmoid", "cross_entropy", _bce_value, _prob_minus_target_delta),
        _loss("softmax", "cross_entropy", _softmax_ce_value, _prob_minus_target_delta),
        _loss("sigmoid", "mse", _mse_value, _sigmoid_mse_delta),
        _loss("softmax", "mse", _mse_value, _softmax_mse_delta),
        _loss("linear", "mse", _mse_value, _linear_mse_delta),
    )
}


def get_loss(output: str, loss: str) -> Loss:
    """The registered (output, loss) pair; ValueError naming the field otherwise."""
    if not isinstance(output, str) or output not in OUTPUTS:
        raise InvalidInput(f"output must be one of {', '.join(OUTPUTS)}; got {output!r}")
    if not isinstance(loss, str) or loss not in LOSS_NAMES:
        raise InvalidInput(f"loss must be one of {', '.join(LOSS_NAMES)}; got {loss!r}")
    if (output, loss) not in LOSSES:
        raise InvalidInput(f"loss {loss!r} does not go with a {output} output; use 'mse'")
    return LOSSES[(output, loss)]


def encode_targets(y: Array, output: str, classes: int) -> Array:
    """Targets ``y (n,)`` as the ``(n, k)`` float64 matrix the losses compare with.

    Checks that labels fit the output: 0/1 for sigmoid, 0..K−1 for softmax, finite
    floats for linear; raises ValueError naming ``y`` otherwise.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise InvalidInput(f"y must have shape (n,); got {y.shape}")
    if y.dtype.kind not in "biuf":
        raise InvalidInput(f"y must be numeric; got dtype {y.dtype}")
    yf = y.astype(np.float64)
    if not np.all(np.isfinite(yf)):
        raise InvalidInput("y must be finite")
    if output == "linear":
        return yf.reshape(-1, 1).copy()
    k = 2 if output == "sigmoid" else classes
    if np.any(yf != np.round(yf)) or np.any(yf < 0) or np.any(yf >= k):
        raise InvalidInput(f"y must hold class ids 0..{k - 1} for a {output} output")
    if output == "sigmoid":
        return yf.reshape(-1, 1).copy()
    Y = np.zeros((y.shape[0], classes))
    Y[np.arange(y.shape[0]), yf.astype(np.int64)] = 1.0
    return Y
