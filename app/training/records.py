"""What a session records of its training: the loss on the training and the test set at
the current weights, the outputs that go with it, and the loss history (with the weight
path of the smallest networks), appended once per recorded epoch and thinned past
``HISTORY_LIMIT``. ``Session`` inherits these methods.

The losses come from one forward pass over both sets (the native network's in the stacked
layout, ``app.nn.stacked.SetLosses``, which also gives the outputs), kept until the
weights, the network or the data change.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from app.nn.network import Network
from app.nn.stacked import SetLosses
from app.training.config import HISTORY_LIMIT, PATH_MAX_PARAMS

if TYPE_CHECKING:
    from app.training.session import Session

Outputs = dict[str, tuple[float | None, np.ndarray | None]]


class Records:
    """A session's losses and loss history, as methods (see the module docstring)."""

    def _forget_losses(self) -> None:
        """Start with nothing kept (called once, when the session is made)."""
        self._eval_key: tuple[Any, ...] | None = None
        self._eval: Outputs = {}
        self._losses_key: tuple[Any, ...] | None = None
        self._losses: tuple[float | None, float | None] = (None, None)
        self._sets: tuple[tuple[Network, int], SetLosses] | None = None  # for the losses

    def _weights_key(self) -> tuple[Any, ...]:
        s = cast("Session", self)
        net = s.net
        return (net, net.regularization, net.theta.tobytes(), s._data_version)

    def evaluate(self) -> Outputs:
        """Loss (as ``losses``) and outputs ``(rows, outputs)`` on the training and the
        test set (None for an empty set), kept until the weights, network or data change."""
        s = cast("Session", self)
        key = self._weights_key()
        if self._eval_key == key:
            return self._eval
        losses = self.losses()
        if isinstance(s.net, Network):
            assert self._sets is not None  # laid out by losses
            outputs = self._sets[1].outputs()  # from the pass that gave the losses
        else:
            sets = ((s.F_train, s.trainer.Y), (s.F_test, s.Y_test))
            outputs = [s.net.evaluate(F, Y)[1] if len(F) else None for F, Y in sets]
        # An empty set has neither (its loss is None).
        out: Outputs = {
            name: (loss, output)
            for name, loss, output in zip(("train", "test"), losses, outputs, strict=True)
        }
        self._eval_key, self._eval = key, out
        return out

    def losses(self) -> tuple[float | None, float | None]:
        """Training and test loss (with penalty) at the current weights; None if not finite
        or no points. One forward pass over both sets, kept until the weights, network or
        data change."""
        s = cast("Session", self)
        key = self._weights_key()
        if self._losses_key == key:
            return self._losses
        net = s.net
        sets = ((s.F_train, s.trainer.Y), (s.F_test, s.Y_test))
        data: list[float | None]
        if isinstance(net, Network):
            if self._sets is None or self._sets[0] != (net, s._data_version):
                F, Y = (np.concatenate(parts) for parts in zip(*sets, strict=True))
                self._sets = (
                    (net, s._data_version),
                    SetLosses(net, F, Y, (len(s.F_train), len(s.F_test))),
                )
            data = self._sets[1].losses()
        else:
            data = [net.evaluate(F, Y)[0] if len(F) else None for F, Y in sets]
        penalty = net.penalty()
        train, test = (None if d is None else _finite_or_none(d + penalty) for d in data)
        self._losses_key, self._losses = key, (train, test)
        return train, test

    def _record(self) -> None:
        """Append the current losses to the history (and the weights to the path of a small
        network); losses that are not finite mark the training diverged."""
        s = cast("Session", self)
        train, test = self.losses()
        if train is None and len(s.y_train):
            s.trainer.diverged = True
        t = s.trainer
        s.history.append({"step": t.step, "epoch": t.epoch, "train": train, "test": test})
        if s.net.n_params <= PATH_MAX_PARAMS:
            s.path.append(s.net.theta.tolist())
        if len(s.history) > HISTORY_LIMIT:  # thin the past, keep the newest
            s.history = s.history[:-1:2] + s.history[-1:]
            s.path = s.path[:-1:2] + s.path[-1:]


def _finite_or_none(v: float | None) -> float | None:
    return v if v is not None and math.isfinite(v) else None
