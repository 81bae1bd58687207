"""Property-based fuzzing of the live socket.

Whatever a client sends (garbage text, broken or extreme JSON, unknown commands, any field
of any command of the wrong type or out of range, random valid sequences), the connection
stays open and answers every message in order; a bad message is answered by an ``error``
carrying its ``id`` and leaves the session exactly as it was; every message the server
sends is strict JSON (so weights, losses and every other number are finite).

The invalid values are derived from the command models in ``app.api.schemas``: their
types and constraints are read from the models, and a value counts as invalid only when
this module's own reading of the rules (``accepts``) refuses it.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pytest
from extremes import EXTREME, HOLE, with_token
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from starlette.testclient import WebSocketTestSession

from app.api import schemas as w
from app.data import DATASETS, MAX_POINTS
from app.data.features import FEATURES
from app.main import create_app
from app.nn.activations import ACTIVATIONS
from app.nn.network import MAX_HIDDEN_LAYERS
from app.settings import Settings
from app.training.config import DEFAULTS, EFFECTS

DATA_KEYS = frozenset(k for k, e in EFFECTS.items() if e == "regenerate")

pytestmark = pytest.mark.timeout(120)

SETTINGS = Settings(allowed_hosts=("testserver",), messages_per_second=1e6, message_burst=10**6)
MAX_BYTES = SETTINGS.max_message_bytes
REPLIES = frozenset({"ack", "error", "state", "history", "export", "surface"})
READ_LIMIT = 2000  # messages read while waiting for one reply (frames may come between)

FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
)


def fuzz(examples: int, **more: Any) -> settings:
    return settings(FUZZ, max_examples=examples, **more)


COMMAND_MODELS: tuple[type[BaseModel], ...] = get_args(get_args(w.Command)[0])


# --- reading the server ---------------------------------------------------------------


def _refuse_constant(name: str) -> Any:
    raise AssertionError(f"the server sent {name}")


def _finite_float(text: str) -> float:
    value = float(text)
    assert math.isfinite(value), f"the server sent the number {text}"
    return value


def strict_loads(text: str) -> Any:
    """Parse what the server sent; NaN, Infinity or an overflowing number fail the test."""
    return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)


class Live:
    """One socket to a session: sends messages and reads the reply to each."""

    def __init__(self, ws: WebSocketTestSession, client: TestClient, session: str) -> None:
        self.ws = ws
        self.client = client
        self.session = session
        self.ids = itertools.count(1)

    def recv(self) -> dict[str, Any]:
        msg = strict_loads(self.ws.receive_text())
        assert isinstance(msg, dict) and isinstance(msg.get("type"), str), msg
        return msg

    def reply(self) -> dict[str, Any]:
        """The next reply (frames and points lists arriving meanwhile are skipped)."""
        for _ in range(READ_LIMIT):
            msg = self.recv()
            if msg["type"] in REPLIES:
                return msg
        raise AssertionError(f"no reply within {READ_LIMIT} messages")

    def send(self, text: str) -> dict[str, Any]:
        assert len(text.encode("utf-8")) <= MAX_BYTES, "a test message over the size limit"
        self.ws.send_text(text)
        return self.reply()

    def command(self, type_: str, **fields: Any) -> dict[str, Any]:
        cid = next(self.ids)
        reply = self.send(json.dumps({"type": type_, "id": cid, **fields}))
        assert reply.get("id") == cid, reply
        return reply

    def ok(self, type_: str, **fields: Any) -> dict[str, Any]:
        reply = self.command(type_, **fields)
        assert reply["type"] != "error", (type_, fields, reply)
        return reply

    def export(self) -> dict[str, Any]:
        doc: dict[str, Any] = self.ok("export")["document"]
        return doc

    def refused(
        self, message: dict[str, Any] | None = None, text: str | None = None
    ) -> dict[str, Any]:
        """Send a bad command ``message`` (given an id unless it has one) or any ``text``;
        expect an error carrying the id, when the server could read one."""
        exact = text is None
        if exact:
            assert isinstance(message, dict)
            message = {"id": next(self.ids), **message}
            text = json.dumps(message)
        else:
            try:
                message = json.loads(text)
            except (ValueError, RecursionError):
                message = None
        reply = self.send(text)
        assert reply["type"] == "error", (text[:300], reply)
        assert isinstance(reply.get("message"), str) and reply["message"]
        cid = message.get("id") if isinstance(message, dict) else None
        if exact and isinstance(cid, int | str) and not isinstance(cid, bool):
            assert reply.get("id") == cid, reply
        else:  # the server may not have been able to read the message at all
            assert reply.get("id") in (None, cid), reply
        return reply


@pytest.fixture
def live() -> Iterator[Live]:
    """A fresh app and a socket to a new session of its own."""
    with TestClient(create_app(SETTINGS)) as client, client.websocket_connect("/ws") as ws:
        hello = strict_loads(ws.receive_text())
        assert hello["type"] == "hello"
        yield Live(ws, client, hello["session"])


def unchanged(live: Live, send_all: Callable[[], None]) -> None:
    """``send_all`` sends only bad messages: the session's export is the same after."""
    before = live.export()
    send_all()
    assert live.export() == before


# --- the rules of the models, read from app.api.schemas --------------------------------

KINDS = ("null", "bool", "int", "float", "str", "list", "dict")


@dataclass(frozen=True)
class Alt:
    """One alternative a field accepts: a JSON kind with its constraints."""

    kind: str  # one of KINDS, or "any"
    lo: float | None = None
    hi: float | None = None
    min_len: int = 0
    max_len: int | None = None
    options: tuple[Any, ...] = ()
    items: tuple[Alt, ...] = ()


def alternatives(tp: Any, meta: tuple[Any, ...] = ()) -> tuple[Alt, ...]:
    """What a field annotated ``tp`` (with constraints ``meta``) accepts, strictly."""
    origin = get_origin(tp)
    if origin is Annotated:
        inner, *extra = get_args(tp)
        more = [m for e in extra for m in (e.metadata if isinstance(e, FieldInfo) else [e])]
        return alternatives(inner, (*meta, *more))
    if origin in (Union, types.UnionType):
        return tuple(a for arg in get_args(tp) for a in alternatives(arg, meta))
    c: dict[str, Any] = {}
    for m in meta:
        for name, key in (("ge", "lo"), ("le", "hi"), ("min_length", "min_len")):
            if getattr(m, name, None) is not None:
                c[key] = getattr(m, name)
        if getattr(m, "max_length", None) is not None:
            c["max_len"] = m.max_length
    if origin is Literal:
        return (Alt("str", options=get_args(tp)),)
    if origin is list:
        return (Alt("list", items=alternatives(get_args(tp)[0]), **c),)
    if origin is dict:
        return (Alt("dict"),)
    if tp is Any:
        return (Alt("any"),)
    kind = {int: "int", float: "float", bool: "bool", str: "str", type(None): "null"}[tp]
    return (Alt(kind, **c),)


def kind_of(v: Any) -> str:
    for kind, t in (
        ("null", type(None)),
        ("bool", bool),
        ("int", int),
        ("float", float),
        ("str", str),
        ("list", list),
        ("dict", dict),
    ):
        if isinstance(v, t):
            return kind
    raise TypeError(v)


def accepts(alt: Alt, v: Any) -> bool:
    k = kind_of(v)
    if alt.kind == "any":
        return True
    if k != alt.kind and not (alt.kind == "float" and k == "int"):  # strict: int → float only
        return False
    if k in ("int", "float"):
        return (alt.lo is None or v >= alt.lo) and (alt.hi is None or v <= alt.hi)
    if k == "str":
        return (not alt.options or v in alt.options) and (
            alt.max_len is None or len(v) <= alt.max_len
        )
    if k == "list":
        return (
            alt.min_len <= len(v)
            and (alt.max_len is None or len(v) <= alt.max_len)
            and all(any(accepts(a, x) for a in alt.items) for x in v)
        )
    return True


def accepted(alts: tuple[Alt, ...], v: Any) -> bool:
    return any(accepts(a, v) for a in alts)


def _valid(alt: Alt) -> st.SearchStrategy[Any]:
    if alt.kind == "int":
        return st.integers(
            -1000 if alt.lo is None else int(alt.lo),
            1000 if alt.hi is None else int(min(alt.hi, 1000)),
        )
    if alt.kind == "float":
        lo = -1e3 if alt.lo is None else alt.lo
        return st.floats(lo, 1e3 if alt.hi is None else alt.hi)
    if alt.kind == "str":
        return st.sampled_from(alt.options) if alt.options else st.text(max_size=8)
    if alt.kind == "list":
        top = max(alt.min_len, min(alt.max_len or 3, 3))
        return st.lists(valid(alt.items), min_size=alt.min_len, max_size=top)
    return {"null": st.none(), "bool": st.booleans(), "dict": st.just({})}.get(alt.kind, st.none())


def valid(alts: tuple[Alt, ...]) -> st.SearchStrategy[Any]:
    return st.one_of(*(_valid(a) for a in alts))


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
ANY_JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


def _near(alt: Alt) -> list[st.SearchStrategy[Any]]:
    """Values of the alternative's own kind just outside its constraints."""
    out: list[st.SearchStrategy[Any]] = []
    finite = {"allow_nan": False, "allow_infinity": False}
    if alt.kind in ("int", "float"):
        if alt.lo is not None:
            out += [
                st.integers(max_value=math.ceil(alt.lo) - 1),
                st.floats(max_value=alt.lo, exclude_max=True, **finite),
            ]
        if alt.hi is not None:
            out += [
                st.integers(min_value=math.floor(alt.hi) + 1),
                st.floats(min_value=alt.hi, exclude_min=True, **finite),
            ]
    if alt.kind == "str":
        if alt.max_len is not None:
            out.append(st.text(min_size=alt.max_len + 1, max_size=alt.max_len + 8))
        if alt.options:
            out.append(st.text(max_size=12))
    if alt.kind == "list":
        item = valid(alt.items)
        if alt.min_len:
            out.append(st.lists(item, max_size=alt.min_len - 1))
        if alt.max_len is not None:
            n = alt.max_len + 1
            out.append(item.map(lambda x: [x] * n))
        pad = max(alt.min_len - 1, 0)
        out.append(
            st.tuples(invalid(alt.items), st.lists(item, min_size=pad, max_size=pad)).map(
                lambda t: [t[0], *t[1]]
            )
        )
    return out


def invalid(alts: tuple[Alt, ...]) -> st.SearchStrategy[Any]:
    """Values no alternative accepts: other kinds, or the right kind out of range."""
    near = [s for a in alts for s in _near(a)]
    return st.one_of(ANY_JSON, *near).filter(lambda v: not accepted(alts, v))


# The smallest well-formed body of every command (the session may still refuse some).
BASE: dict[str, dict[str, Any]] = {
    "add_point": {"x": [0.0, 0.0], "label": 0},
    "move_point": {"index": 0, "x": [0.0, 0.0]},
    "remove_point": {"index": 0},
    "set_points": {"x": [[0.0, 0.0]], "y": [0]},
    "load_dataset": {"dataset": "circle"},
    "config": {"changes": {}},
    "set_param": {"layer": 0, "kind": "bias", "index": [0], "value": 0.0},
    "import": {"document": {}},
    "hidden": {"layer": 1},
    "get_past": {"epoch": 0},
    "branch": {"epoch": 0},
}


def command_type(model: type[BaseModel]) -> str:
    value: str = get_args(model.model_fields["type"].annotation)[0]
    return value


def fields_of(model: type[BaseModel]) -> dict[str, tuple[Alt, ...]]:
    return {
        name: alternatives(f.annotation, tuple(f.metadata))
        for name, f in model.model_fields.items()
        if name != "type"
    }


def bad_field(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    """The command with one field (``id`` included) set to a value it does not accept."""
    kind = command_type(model)
    fields = fields_of(model)
    return st.sampled_from(sorted(fields)).flatmap(
        lambda name: invalid(fields[name]).map(
            lambda v: {"type": kind, **BASE.get(kind, {}), name: v}
        )
    )


@fuzz(200)
@given(data=st.data())
def test_the_rules_agree_with_the_models(data: st.DataObject) -> None:
    """This module's reading of a field's rules agrees with pydantic's validation."""
    model = data.draw(st.sampled_from(COMMAND_MODELS))
    kind = command_type(model)
    fields = fields_of(model)
    name = data.draw(st.sampled_from(sorted(fields)))
    value = data.draw(valid(fields[name]) | invalid(fields[name]) | ANY_JSON)
    try:
        w.COMMANDS.validate_python({"type": kind, **BASE.get(kind, {}), name: value})
    except ValidationError:
        assert not accepted(fields[name], value), (kind, name, value)
    else:
        assert accepted(fields[name], value), (kind, name, value)


# --- bad messages of every shape ---------------------------------------------------------


@pytest.mark.parametrize("model", COMMAND_MODELS, ids=command_type)
@fuzz(12)
@given(data=st.data())
def test_every_field_of_every_command_refused(
    live: Live, model: type[BaseModel], data: st.DataObject
) -> None:
    messages = data.draw(st.lists(bad_field(model), min_size=1, max_size=10))

    def send_all() -> None:
        for message in messages:
            live.refused(message)

    unchanged(live, send_all)


def _drop(message: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in message.items() if k != key}


def _required(model: type[BaseModel]) -> list[str]:
    return [n for n, f in model.model_fields.items() if f.is_required()]


@st.composite
def malformed_command(draw: st.DrawFn) -> dict[str, Any]:
    """A command of an unknown type, with an extra field, or missing a required one."""
    model = draw(st.sampled_from(COMMAND_MODELS))
    kind = command_type(model)
    message = {"type": kind, **BASE.get(kind, {})}
    how = draw(st.sampled_from(["unknown", "extra", "missing", "no type"]))
    if how == "unknown":
        other = draw(st.text(max_size=16) | ANY_JSON)
        return {**message, "type": other} if other not in w.COMMAND_TYPES else {"type": 0}
    if how == "extra":
        key = draw(st.text(min_size=1, max_size=10))
        return {**message, key: draw(ANY_JSON)} if key not in model.model_fields else {}
    if how == "missing" and len(_required(model)) > 1:
        return _drop(message, draw(st.sampled_from([n for n in _required(model) if n != "type"])))
    return _drop(message, "type")


def _truncations(text: str) -> st.SearchStrategy[str]:
    return st.integers(0, len(text) - 1).map(lambda n: text[:n])


JSONISH = st.text(alphabet='{}[]":,0123456789.eE+-truefalsnNIiy \\', max_size=60)
VALID_TEXT = st.sampled_from(COMMAND_MODELS).map(
    lambda m: json.dumps({"type": command_type(m), **BASE.get(command_type(m), {})})
)
NOT_AN_OBJECT = ANY_JSON.filter(lambda v: not isinstance(v, dict)).map(json.dumps)
GARBAGE = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=200),  # what a socket carries
    JSONISH,
    NOT_AN_OBJECT,
    VALID_TEXT.flatmap(_truncations),
)


@fuzz(40)
@given(texts=st.lists(GARBAGE, min_size=1, max_size=15))
def test_garbage_text_refused(live: Live, texts: list[str]) -> None:
    def send_all() -> None:
        for text in texts:
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict) and parsed.get("type") in w.COMMAND_TYPES:
                continue  # a truncation can leave a whole command: not garbage
            live.refused(text=text)

    unchanged(live, send_all)


@fuzz(40)
@given(messages=st.lists(malformed_command(), min_size=1, max_size=15))
def test_unknown_extra_and_missing_fields_refused(
    live: Live, messages: list[dict[str, Any]]
) -> None:
    def send_all() -> None:
        for message in messages:
            live.refused(message)

    unchanged(live, send_all)


def test_extreme_json_alone_refused(live: Live) -> None:
    def send_all() -> None:
        for token in EXTREME.values():
            live.refused(text=token)
            live.refused(text=f"[{token}]")

    unchanged(live, send_all)


@pytest.mark.parametrize("model", COMMAND_MODELS, ids=command_type)
def test_extreme_json_in_every_field_refused(live: Live, model: type[BaseModel]) -> None:
    kind = command_type(model)
    base = {"type": kind, "id": 7, **BASE.get(kind, {})}
    holes = [
        {**base, name: hole}
        for name in ("type", "id", *fields_of(model))
        for hole in (HOLE, [HOLE], {"v": HOLE})
    ]
    if kind == "config":
        holes += [{**base, "changes": {key: HOLE}} for key in DEFAULTS]
    if kind == "import":
        holes += [{**base, "document": {"version": 1, "config": {key: HOLE}}} for key in DEFAULTS]
        holes += [{**base, "document": {"version": HOLE}}]

    def send_all() -> None:
        for message in holes:
            for token in EXTREME.values():
                live.refused(text=with_token(message, token))

    unchanged(live, send_all)


# --- values the models accept but the session refuses ------------------------------------

# The fuzzed session has the default config: the circle (binary, inputs in [-6, 6]²),
# 500 points, a network of sizes [2, 4, 2, 1].
BAD_CONFIG: dict[str, list[Any]] = {
    "dataset": ["", "nope", 1, None, ["circle"]],
    "points": [0, -1, MAX_POINTS + 1, 1.5, "10", True, None],
    "noise": [-0.1, 1.01, "0", None, True],
    "classes": [2, 7, 3.5, "3"],
    "train_ratio": [0.0, 0.05, 0.95, 1, "0.5"],
    "seed": [-1, 2**31, 0.5, "1"],
    "data_seed": [-1, 2**31, 0.5, "1"],
    "features": [[], ["x3"], ["x1", "x1"], "x1", [1], None],
    "normalize": [1, "true", None],
    "hidden": [
        [{"units": 0}],
        [{"units": 17}],
        [{"units": 2, "activation": "nope"}],
        [1],
        "4",
        [{"units": 1}] * 9,
        None,
    ],
    "loss": ["nope", 1, None],
    "regularization": ["l3", None, 1],
    "regularization_rate": [-0.1, 10.5, "0"],
    "method": ["sgd2", None, 1],
    "lr": [0, 1e-6, 10.5, -1, "0.1"],
    "batch_size": [0, 10_001, 1.5],
    "momentum": [-0.1, 1.0, "0.9"],
    "beta1": [-0.1, 1.0],
    "beta2": [-0.1, 1.0],
    "population": [1, 201, 2.5],
    "sigma": [0, 1e-5, 11],
    "elite": [-1, 200, 1.5],
    "crossover": [1, "yes", None],
    "threshold": [-0.1, 1.1, "0.5"],
    "speed": [-1, 1001, 1.5],
    "resolution": [7, 201, 50.5],
    "fps": [0, 61, 30.5],
    "nope": [1],
}
OUTSIDE = st.one_of(st.floats(6.0, 1e6, exclude_min=True), st.floats(-1e6, -6.0, exclude_max=True))
INSIDE = st.floats(-6.0, 6.0)
POINT_OUT = st.one_of(
    st.tuples(OUTSIDE, INSIDE).map(list),
    st.tuples(INSIDE, OUTSIDE).map(list),
    st.tuples(INSIDE).map(list),  # one coordinate for two-dimensional data
)
LABEL_OUT = st.one_of(st.integers(2, 10**6), st.integers(max_value=-1), st.floats(0.1, 0.9))
CONFIG_OUT = st.sampled_from([(k, v) for k, vs in BAD_CONFIG.items() for v in vs])
SESSION_REFUSES = st.one_of(
    st.builds(lambda x: {"type": "add_point", "x": x, "label": 0}, POINT_OUT),
    st.builds(lambda lab: {"type": "add_point", "x": [0.0, 0.0], "label": lab}, LABEL_OUT),
    st.builds(
        lambda i: {"type": "move_point", "index": i, "x": [0.0, 0.0]}, st.integers(500, 10**12)
    ),
    st.builds(lambda x: {"type": "move_point", "index": 0, "x": x}, POINT_OUT),
    st.builds(lambda i: {"type": "remove_point", "index": i}, st.integers(500, 10**12)),
    st.builds(lambda x: {"type": "set_points", "x": [x], "y": [0]}, POINT_OUT),
    st.builds(lambda lab: {"type": "set_points", "x": [[0.0, 0.0]], "y": [lab]}, LABEL_OUT),
    st.just({"type": "set_points", "x": [[0.0, 0.0]], "y": [0, 1]}),
    st.just({"type": "set_points", "x": [[0.0, 0.0]], "y": [0], "test": [True, False]}),
    st.builds(lambda kv: {"type": "config", "changes": {kv[0]: kv[1]}}, CONFIG_OUT),
    st.builds(
        lambda kv: {"type": "load_dataset", "dataset": "circle", kv[0]: kv[1]},
        CONFIG_OUT.filter(lambda kv: kv[0] in DATA_KEYS - {"dataset"} and (kv[1] is not None)),
    ),
    st.builds(
        lambda d: {"type": "load_dataset", "dataset": d},
        st.text(max_size=10).filter(lambda d: d not in DATASETS),
    ),
    st.builds(
        lambda layer, k: {
            "type": "set_param",
            "layer": layer,
            "kind": k,
            "index": [0] if k == "bias" else [0, 0],
            "value": 1.0,
        },
        st.integers(3, 10**9),
        st.sampled_from(["weight", "bias"]),
    ),
    st.builds(
        lambda i, j: {
            "type": "set_param",
            "layer": 0,
            "kind": "weight",
            "index": [i, j],
            "value": 1.0,
        },
        st.integers(0, 50),
        st.integers(0, 50),
    ).filter(lambda m: not (m["index"][0] < 2 and m["index"][1] < 4)),
    st.builds(
        lambda idx: {"type": "set_param", "layer": 1, "kind": "bias", "index": idx, "value": 1.0},
        st.sampled_from([[2], [0, 0], [100]]),
    ),
    st.builds(lambda r: {"type": "get_surface", "resolution": r}, st.integers(8, 101)),
    st.builds(lambda n: {"type": "hidden", "layer": n}, st.integers(MAX_HIDDEN_LAYERS + 1, 100)),
    st.builds(
        lambda doc: {"type": "import", "document": doc},
        st.dictionaries(st.text(max_size=8), ANY_JSON, max_size=4),
    ),
    st.builds(lambda v: {"type": "import", "document": {"version": v}}, ANY_JSON),
)


@fuzz(60)
@given(messages=st.lists(SESSION_REFUSES, min_size=1, max_size=10))
def test_values_the_session_refuses(live: Live, messages: list[dict[str, Any]]) -> None:
    def send_all() -> None:
        for message in messages:
            live.refused(message)

    unchanged(live, send_all)


# --- imports: all or nothing ---------------------------------------------------------------

ODD = ["nan", "-1", str(2**200), None]  # numbers in strings, out of range, missing
ODD_VALUES = st.one_of(
    st.sampled_from([*ODD, "inf", "-1e999", "", 2**70, -1, 1e300, 0.5, {}, []]), ANY_JSON
)


def _walk(data: st.DataObject, doc: Any) -> tuple[Any, Any]:
    """A random container in ``doc`` and a key or index in it."""
    node = doc
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        key = data.draw(st.sampled_from(keys))
        child = node[key]
        if not (isinstance(child, dict | list) and child) or data.draw(st.booleans()):
            return node, key
        node = child


def mutate(data: st.DataObject, doc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(1, 3))):
        node, key = _walk(data, doc)
        how = data.draw(st.sampled_from(["replace", "delete", "empty", "grow"]))
        if how == "delete":
            del node[key]
        elif how == "empty" and isinstance(node[key], list | dict):
            node[key] = type(node[key])()
        elif how == "grow" and isinstance(node[key], list) and node[key]:
            node[key].append(copy.deepcopy(node[key][-1]))
        else:
            node[key] = data.draw(ODD_VALUES)
        if not doc:
            break
    return doc


def leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths to every entry of ``value`` (lists: their first and last entries only)."""
    if isinstance(value, dict):
        keys: list[Any] = list(value)
    elif isinstance(value, list):
        keys = sorted({0, len(value) - 1}) if value else []
    else:
        keys = []
    for k in keys:
        yield (*path, k)
        yield from leaves(value[k], (*path, k))


def replaced(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    node = doc
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return doc


def _trained(live: Live, **config: Any) -> dict[str, Any]:
    live.ok("config", changes={"points": 24, **config})
    live.ok("step", epochs=3)
    return live.export()


@pytest.fixture
def exports(live: Live) -> list[dict[str, Any]]:
    """Export documents of small trained sessions, each method's state in one."""
    return [
        _trained(live, method="adam", hidden=[{"units": 2, "activation": "relu"}]),
        _trained(live, method="evolution", population=6, elite=1, hidden=[]),
        _trained(live, dataset="blobs", method="momentum", normalize=True),
    ]


def test_import_with_any_entry_replaced(live: Live, exports: list[dict[str, Any]]) -> None:
    """Every entry of export documents (but the config, checked like any config change)
    replaced by odd values: each import is refused, or taken whole and the session can be
    exported, read and imported back."""
    current = live.export()
    for doc in exports[:2]:
        for path in leaves({k: v for k, v in doc.items() if k != "config"}):
            for value in ODD:
                reply = live.command("import", document=replaced(doc, path, value))
                if reply["type"] == "error":
                    continue
                assert reply["type"] == "ack", reply
                current = live.export()
                live.ok("get_history")
                live.ok("import", document=current)
                assert live.export() == current
    assert live.export() == current


@fuzz(60)
@given(data=st.data())
def test_import_is_all_or_nothing(
    live: Live, exports: list[dict[str, Any]], data: st.DataObject
) -> None:
    """A mutated export document is either refused, leaving the session as it was, or
    taken whole: what is exported next is strict JSON and imports back unchanged."""
    doc = mutate(data, data.draw(st.sampled_from(exports)))
    before = live.export()
    reply = live.command("import", document=doc)
    if reply["type"] == "error":
        assert live.export() == before
        return
    assert reply["type"] == "ack", reply
    after = live.export()
    live.ok("import", document=after)
    assert live.export() == after


# --- a model of the session, driven by valid and invalid commands ---------------------------

FEATURE_NAMES = list(FEATURES)
HIDDEN = st.lists(
    st.fixed_dictionaries(
        {"units": st.integers(1, 5), "activation": st.sampled_from(sorted(ACTIVATIONS))}
    ),
    max_size=3,
)
VALID_CONFIG: dict[str, st.SearchStrategy[Any]] = {
    "dataset": st.sampled_from(sorted(DATASETS)),
    "points": st.integers(1, 60),
    "noise": st.floats(0.0, 1.0),
    "classes": st.integers(3, 6),
    "train_ratio": st.floats(0.1, 0.9),
    "seed": st.integers(0, 2**31 - 1),
    "data_seed": st.integers(0, 2**31 - 1),
    "normalize": st.booleans(),
    "hidden": HIDDEN,
    "loss": st.sampled_from(["cross_entropy", "mse"]),
    "regularization": st.sampled_from(["none", "l1", "l2"]),
    "regularization_rate": st.floats(0.0, 0.1),
    "method": st.sampled_from(["sgd", "momentum", "adam", "evolution"]),
    "lr": st.floats(1e-4, 0.3),
    "batch_size": st.integers(1, 64),
    "momentum": st.floats(0.0, 0.99),
    "beta1": st.floats(0.0, 0.99),
    "beta2": st.floats(0.9, 0.9999),
    "population": st.integers(6, 30),
    "sigma": st.floats(0.01, 1.0),
    "elite": st.integers(0, 5),
    "crossover": st.booleans(),
    "threshold": st.floats(0.0, 1.0),
    "speed": st.integers(0, 20),
    "resolution": st.integers(8, 40),
    "fps": st.integers(1, 60),
}
ANY_BAD = st.sampled_from(COMMAND_MODELS).flatmap(bad_field) | malformed_command()


def features_for(data: st.DataObject, inputs: int) -> list[str]:
    if inputs == 1:
        return ["x1"]
    chosen = data.draw(st.sets(st.sampled_from(FEATURE_NAMES), min_size=1, max_size=4))
    return [f for f in FEATURE_NAMES if f in chosen]


def n_train(n: int, ratio: float) -> int:
    """The training side of a fresh split (as ``split_mask`` documents it)."""
    return min(max(round(n * ratio), 1), n - 1) if n >= 2 else n


class SessionModel(RuleBasedStateMachine):
    """What the session must hold after each command, kept from the commands alone."""

    live: Live
    baseline: dict[str, Any]

    @initialize()
    def start(self) -> None:
        self.live.ok("import", document=self.baseline)
        self.config: dict[str, Any] = copy.deepcopy(self.baseline["config"])
        self.test: list[bool] = list(self.baseline["points"]["test"])
        self.playing = False
        self.status = "idle"
        # Since the last play, the session may have stopped by itself: it diverged (which a
        # config change or a weight set by hand clears) or had nothing to learn from.
        self.may_stop = False

    # what the model knows

    @property
    def spec(self) -> Any:
        return DATASETS[self.config["dataset"]]

    @property
    def train(self) -> int:
        return self.test.count(False)

    def sizes(self) -> list[int]:
        kind = self.spec.kind
        out = self.config["classes"] if kind == "multiclass" else 1
        return [len(self.config["features"]), *(h["units"] for h in self.config["hidden"]), out]

    def point(self, data: st.DataObject) -> list[float]:
        return [data.draw(st.floats(lo, hi)) for lo, hi in self.spec.domain]

    def label(self, data: st.DataObject) -> int | float:
        kind = self.spec.kind
        if kind == "regression":
            return data.draw(st.floats(-1e3, 1e3) | st.integers(-1000, 1000))
        return data.draw(st.integers(0, 1 if kind == "binary" else self.config["classes"] - 1))

    def learn_split(self) -> None:
        """Points were generated anew: their split is random, its size is not."""
        self.test = list(self.live.export()["points"]["test"])
        n = self.config["points"]
        assert len(self.test) == n
        assert self.train == n_train(n, self.config["train_ratio"])

    # points

    @rule(data=st.data(), test=st.booleans())
    def add_point(self, data: st.DataObject, test: bool) -> None:
        reply = self.live.command(
            "add_point", x=self.point(data), label=self.label(data), test=test
        )
        if len(self.test) >= MAX_POINTS:
            assert reply["type"] == "error", reply
            return
        assert reply["type"] == "ack" and reply["index"] == len(self.test), reply
        self.test.append(test)

    @rule(data=st.data())
    def move_point(self, data: st.DataObject) -> None:
        index = data.draw(st.integers(0, len(self.test) + 2))
        reply = self.live.command("move_point", index=index, x=self.point(data))
        assert reply["type"] == ("ack" if index < len(self.test) else "error"), reply

    @rule(data=st.data())
    def remove_point(self, data: st.DataObject) -> None:
        index = data.draw(st.integers(0, len(self.test) + 2))
        reply = self.live.command("remove_point", index=index)
        assert reply["type"] == ("ack" if index < len(self.test) else "error"), reply
        if index < len(self.test):
            del self.test[index]

    @rule()
    def clear_points(self) -> None:
        self.live.ok("clear_points")
        self.test = []

    @rule(data=st.data())
    def set_points(self, data: st.DataObject) -> None:
        n = data.draw(st.integers(0, 12))
        x = [self.point(data) for _ in range(n)]
        y = [self.label(data) for _ in range(n)]
        test = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
        self.live.ok("set_points", x=x, y=y, test=test)
        self.test = test

    # settings

    @rule(data=st.data(), how=st.sampled_from(["config", "load_dataset"]))
    def configure(self, data: st.DataObject, how: str) -> None:
        if how == "config":
            chosen = data.draw(st.sets(st.sampled_from(sorted(VALID_CONFIG)), max_size=4))
        else:
            chosen = {"dataset"} | data.draw(st.sets(st.sampled_from(sorted(DATA_KEYS))))
        changes = {k: data.draw(VALID_CONFIG[k]) for k in sorted(chosen)}
        inputs = DATASETS[changes.get("dataset", self.config["dataset"])].inputs
        if how == "config" and data.draw(st.booleans()):
            changes["features"] = features_for(data, inputs)
        new = {**self.config, **changes}
        if inputs != self.spec.inputs and "features" not in changes:
            new["features"] = ["x1"] if inputs == 1 else ["x1", "x2"]
        if how == "config":
            reply = self.live.ok("config", changes=changes)
        else:
            reply = self.live.ok("load_dataset", **changes)
        keys_changed = {k for k in new if new[k] != self.config[k]}
        assert set(reply["changes"]["keys"]) == keys_changed, (changes, reply["changes"])
        regenerated = bool(keys_changed & (DATA_KEYS | {"seed"}))
        assert reply["changes"]["regenerated"] == regenerated
        assert reply["state"]["config"] == new
        self.config = new
        self.may_stop = self.may_stop or self.playing
        if regenerated:
            self.learn_split()

    @rule(data=st.data())
    def set_param(self, data: st.DataObject) -> None:
        sizes = self.sizes()
        layer = data.draw(st.integers(0, len(sizes) - 1))  # the last is one too many
        kind = data.draw(st.sampled_from(["weight", "bias"]))
        shape = (
            (sizes[layer], sizes[min(layer + 1, len(sizes) - 1)])
            if kind == "weight"
            else (sizes[min(layer + 1, len(sizes) - 1)],)
        )
        index = [data.draw(st.integers(0, n)) for n in shape]  # n itself is out of range
        value = data.draw(st.floats(-5.0, 5.0) | st.sampled_from([-1e6, 1e6, 0.0]))
        reply = self.live.command("set_param", layer=layer, kind=kind, index=index, value=value)
        fits = layer < len(sizes) - 1 and all(i < n for i, n in zip(index, shape, strict=True))
        assert reply["type"] == ("ack" if fits else "error"), (sizes, layer, kind, index, reply)
        self.may_stop = self.may_stop or (self.playing and fits)

    # training

    @rule(epochs=st.integers(1, 5))
    def step(self, epochs: int) -> None:
        reply = self.live.command("step", epochs=epochs)
        self.playing = False
        if not self.train:
            assert reply["type"] == "error", reply
            return
        assert reply["type"] == "ack", reply
        assert 0 <= reply["epochs"] <= epochs
        assert reply["epochs"] == epochs or reply["state"]["status"] == "diverged"

    @rule()
    def play(self) -> None:
        reply = self.live.command("play")
        if not self.train:
            assert reply["type"] == "error", reply
        elif self.playing:  # training meanwhile may have diverged
            assert reply["type"] == "ack" or "diverged" in reply["message"], reply
        else:
            assert reply["type"] == ("error" if self.status == "diverged" else "ack"), reply
        self.playing = reply["type"] == "ack"
        self.may_stop = False

    @rule()
    def pause(self) -> None:
        self.live.ok("pause")
        self.playing = False

    @rule()
    def reset(self) -> None:
        self.live.ok("reset")
        self.playing = False
        self.status = "idle"

    # reading and round trips

    @rule()
    def history(self) -> None:
        reply = self.live.ok("get_history")
        assert reply["type"] == "history" and reply["history"]

    @rule()
    def surface(self) -> None:
        reply = self.live.command("get_surface", resolution=8)
        fits = self.sizes() == [1, 1] and self.train > 0
        assert reply["type"] == ("surface" if fits else "error"), reply

    @rule()
    def export_import(self) -> None:
        self.live.ok("pause")
        self.playing = False
        doc = self.live.export()
        message = json.dumps({"type": "import", "id": 0, "document": doc})
        if len(message.encode()) <= MAX_BYTES:
            self.live.ok("import", document=doc)
        else:  # too big for one socket message: the same through the HTTP API
            r = self.live.client.post(f"/api/sessions/{self.live.session}/import", json=doc)
            assert r.status_code == 200, r.text
        assert self.live.export() == doc

    @rule(message=ANY_BAD)
    def bad_message(self, message: dict[str, Any]) -> None:
        def send() -> None:
            self.live.refused(message)

        if self.playing:  # the export changes as it trains
            send()
        else:
            unchanged(self.live, send)

    @invariant()
    def matches_the_model(self) -> None:
        state = self.live.ok("get_state")["state"]
        assert state["points"] == {"train": self.train, "test": len(self.test) - self.train}
        assert state["config"] == self.config
        assert state["sizes"] == self.sizes()
        for value in state["loss"].values():
            assert value is None or isinstance(value, int | float)  # finite: strict JSON
        if not self.train:
            assert state["loss"]["train"] is None
        self.may_stop = self.may_stop or (self.playing and not self.train)
        if state["status"] != "training" and self.playing:
            assert state["status"] == "diverged" or self.may_stop, state
            self.playing = False
        assert state["status"] != "training" or self.playing
        self.status = state["status"]


def test_session_model(live: Live) -> None:
    live.ok("config", changes={"points": 40, "hidden": [{"units": 3, "activation": "tanh"}]})
    SessionModel.live = live
    SessionModel.baseline = live.export()
    run_state_machine_as_test(
        SessionModel,
        settings=fuzz(20, stateful_step_count=40),
    )
