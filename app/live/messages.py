"""The messages between the server and a worker, one class each; they travel pickled over
the worker's pipe, in order.

Server → worker: ``Create``, ``Call``, ``Attach``, ``Detach``, ``Close``, ``Ping``, ``Stop``.
Worker → server: ``Done`` (a call's outcome) and, for a session that pages watch, ``Latest``
(its newest frame or points, as JSON text or bytes), ``Discard`` (drop an unsent one) and
``End`` (the session ended).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SHUTTING_DOWN = "server shutting down"  # the reason sessions end when the server stops


class _Message:
    """Pickles as its class and its fields' values, in order. (A frozen dataclass with slots
    otherwise pickles through Python code for each field, on both ends of the pipe: a few
    times the cost, for every frame.)"""

    __slots__ = ()
    __match_args__: tuple[str, ...]

    def __reduce__(self) -> tuple[type[_Message], tuple[Any, ...]]:
        return type(self), tuple([getattr(self, name) for name in self.__match_args__])


@dataclass(frozen=True, slots=True)
class Create(_Message):
    """Host a session, built in the worker from ``config`` (a configuration)."""

    sid: str
    config: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Call(_Message):
    """Run ``fn(session, *args)`` on the session's thread; the answer is ``Done(call_id)``."""

    sid: str
    call_id: int
    fn: Any
    args: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Attach(_Message):
    """Pages watch the session: send its frames and points."""

    sid: str


@dataclass(frozen=True, slots=True)
class Detach(_Message):
    """No page watches the session any more."""

    sid: str


@dataclass(frozen=True, slots=True)
class Close(_Message):
    sid: str
    reason: str


@dataclass(frozen=True, slots=True)
class Ping(_Message):
    """Answer ``Done(call_id)`` at once: the worker is up and reading."""

    call_id: int


@dataclass(frozen=True, slots=True)
class Stop(_Message):
    """End every session and the worker."""


@dataclass(frozen=True, slots=True)
class Done(_Message):
    """A call's outcome: its result, or (``ok`` false) the exception it raised."""

    call_id: int
    ok: bool
    value: Any


@dataclass(frozen=True, slots=True)
class Latest(_Message):
    sid: str
    slot: str
    data: str | bytes


@dataclass(frozen=True, slots=True)
class Discard(_Message):
    sid: str
    slot: str


@dataclass(frozen=True, slots=True)
class End(_Message):
    sid: str
    reason: str


ToWorker = Create | Call | Attach | Detach | Close | Ping | Stop
ToServer = Done | Latest | Discard | End
