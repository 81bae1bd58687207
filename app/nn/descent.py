"""Mini-batch gradient descent with any optimizer of ``OPTIMIZERS``, its epochs resumable
after a deadline (see ``app.nn.epochs``); the steps themselves are ``app.nn.minibatch``'s."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.errors import InvalidInput
from app.nn.epochs import MAX_PENDING, NEVER, EpochResult
from app.nn.hyper import Hyper, int_field
from app.nn.minibatch import MiniBatches
from app.nn.network import Network
from app.nn.optimizers import Optimizer

Array = np.ndarray

MAX_BATCH = 10_000


class GradientDescent:
    """Mini-batch gradient descent with a pluggable optimizer."""

    SETTINGS: dict[str, Hyper] = {"batch_size": Hyper(10, 1, MAX_BATCH, "int", "Batch size")}

    def __init__(self, optimizer: Optimizer, batch_size: int = 10) -> None:
        self.optimizer = optimizer
        self.batch_size = int_field(batch_size, "batch_size", 1, MAX_BATCH)
        self._batches: MiniBatches | None = None  # laid out for the last network and data
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

    def _laid_out(self, net: Network, X: Array, Y: Array) -> MiniBatches:
        """The mini-batches of ``net`` on ``X``, ``Y`` (laid out again if anything changed)."""
        batches = self._batches
        if batches is None or not batches.fits(net, X, Y, self.batch_size):
            batches = self._batches = MiniBatches(net, X, Y, self.batch_size)
        return batches

    def _start(self, net: Network, X: Array, Y: Array, rng: np.random.Generator) -> None:
        """Begin an epoch: shuffle the samples (unless one batch holds every one)."""
        batches = self._laid_out(net, X, Y)
        self._order = None
        if batches.shuffles:
            self._order = rng.permutation(X.shape[0])
            batches.shuffle(self._order)
        self._at, self._data = 0, X

    def advance(
        self, net: Network, X: Array, Y: Array, rng: np.random.Generator, deadline: float
    ) -> EpochResult:
        if self._at is not None and (
            self._data is not X
            or self._batches is None
            or not self._batches.fits(net, X, Y, self.batch_size)
        ):
            self.abandon()  # the data or the network changed under the epoch
        if self._at is None:
            self._start(net, X, Y, rng)
        assert self._at is not None and self._batches is not None
        at = self._at // self.batch_size
        stop, diverged = self._batches.run(at, self.optimizer, deadline)
        updates = stop - at
        if diverged:
            self.optimizer.reset()
            self.abandon()
            return EpochResult(updates, updates + 1, True)
        if stop < len(self._batches):
            self._at = stop * self.batch_size
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
        if at % self.batch_size:
            raise InvalidInput("method.pending.at must be a multiple of batch_size")
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
        self._laid_out(net, X, Y).shuffle(self._order)
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
