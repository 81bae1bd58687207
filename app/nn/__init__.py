"""The NumPy core: networks, losses, optimizers, the evolutionary trainer and metrics.

Imports only NumPy and the standard library; everything returns plain arrays and dicts.

    from app.nn import Network
    net = Network.from_config({"inputs": 2, "hidden": [{"units": 4, "activation": "tanh"}],
                               "output": "sigmoid", "loss": "cross_entropy"}, seed=0)
    loss, grads = net.loss_and_gradients(X, y)
"""

from app.nn.activations import ACTIVATIONS, Activation
from app.nn.losses import LOSSES, OUTPUTS, Loss
from app.nn.methods import (
    METHODS,
    EpochResult,
    Evolution,
    GradientDescent,
    Method,
    Trainer,
    make_method,
)
from app.nn.network import (
    MAX_CLASSES,
    MAX_HIDDEN_LAYERS,
    MAX_INPUTS,
    MAX_UNITS,
    Network,
    NetworkConfig,
)
from app.nn.optimizers import OPTIMIZERS, SGD, Adam, Momentum, Optimizer, make_optimizer

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "MAX_CLASSES",
    "MAX_HIDDEN_LAYERS",
    "MAX_INPUTS",
    "MAX_UNITS",
    "METHODS",
    "OPTIMIZERS",
    "OUTPUTS",
    "SGD",
    "Activation",
    "Adam",
    "EpochResult",
    "Evolution",
    "GradientDescent",
    "Loss",
    "Method",
    "Momentum",
    "Network",
    "NetworkConfig",
    "Optimizer",
    "Trainer",
    "make_method",
    "make_optimizer",
]
