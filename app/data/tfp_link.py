"""TensorFlow Playground links: the settings a ``playground.tensorflow.org/#…`` hash holds.

Parsed as the page parses its hash: ``name=value`` pairs split on ``&`` (a later pair wins;
text after a second ``=`` is dropped), blank values ignored, unknown names and choices
ignored (the default stays), numbers read as JavaScript's ``Number()`` reads them, booleans
true unless ``false``, the seed kept verbatim. Values the page would accept but could not
run (NaN, a layer of 2.5 neurons) raise :class:`~app.errors.InvalidInput` naming the field.
The page's defaults fill in what a link leaves out; a link without a seed gets ``None``
(the page would draw one at random).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

from app.errors import InvalidInput

SITE = "https://playground.tensorflow.org/"
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
REGULARIZATIONS = ("none", "L1", "L2")
DATASETS = ("circle", "xor", "gauss", "spiral")
REG_DATASETS = ("reg-plane", "reg-gauss")
PROBLEMS = ("classification", "regression")
FEATURES = ("x", "y", "xSquared", "ySquared", "xTimesY", "sinX", "sinY")
"""The input features the page trains on, in its order (``cosX``/``cosY`` have no effect)."""


@dataclass(frozen=True)
class TfpSettings:
    """Everything in a link that decides a run; field defaults are the page's."""

    problem: str = "classification"
    dataset: str = "circle"
    reg_dataset: str = "reg-plane"
    activation: str = "tanh"
    regularization: str = "none"
    learning_rate: float = 0.03
    regularization_rate: float = 0.0
    batch_size: float = 10
    noise: float = 0
    perc_train_data: float = 50
    network_shape: tuple[int, ...] = (4, 2)
    seed: str | None = None
    features: tuple[str, ...] = ("x", "y")
    init_zero: bool = False
    show_test_data: bool = False
    discretize: bool = False
    extra: dict[str, str] = field(default_factory=dict, compare=False)
    """Other names the page keeps in its hash (cosX, collectStats, tutorial, …), verbatim."""

    @property
    def data_name(self) -> str:
        """The generator in use: ``dataset`` or ``reg_dataset`` by problem."""
        return self.dataset if self.problem == "classification" else self.reg_dataset

    @property
    def sizes(self) -> list[int]:
        """The network's layer sizes: ``[features, *network_shape, 1]``."""
        return [len(self.features), *self.network_shape, 1]


_CHOICES = {
    "activation": ("activation", ACTIVATIONS),
    "regularization": ("regularization", REGULARIZATIONS),
    "dataset": ("dataset", DATASETS),
    "regDataset": ("reg_dataset", REG_DATASETS),
    "problem": ("problem", PROBLEMS),
}
_NUMBERS = {
    "learningRate": "learning_rate",
    "regularizationRate": "regularization_rate",
    "batchSize": "batch_size",
    "noise": "noise",
    "percTrainData": "perc_train_data",
}
_BOOLEANS = {"initZero": "init_zero", "showTestData": "show_test_data", "discretize": "discretize"}
_OTHER = ("cosX", "cosY", "collectStats", "tutorial", "hideText")
_JS_SPACE = " \t\n\v\f\r\u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff" + "".join(
    chr(c) for c in range(0x2000, 0x200B)
)
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_RADIX = re.compile(r"0([xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)")


def js_number(text: str) -> float:
    """JavaScript's ``Number(text)`` (NaN for what it cannot read)."""
    s = text.strip(_JS_SPACE)
    if s == "":
        return 0.0
    if _DECIMAL.fullmatch(s):
        return float(s)
    if _RADIX.fullmatch(s):
        return float(int(s, 0))
    if s in ("Infinity", "+Infinity", "-Infinity"):
        return -math.inf if s[0] == "-" else math.inf
    return math.nan


def js_string(x: float) -> str:
    """JavaScript's ``String(x)`` for a finite number."""
    if x == int(x) and abs(x) < 2**53:
        return str(int(x))
    r = repr(float(x))
    if "e" not in r:
        return r.removesuffix(".0")
    mantissa, exp = r.split("e")
    e = int(exp)
    if -7 < e < 21:
        digits = mantissa.replace(".", "").lstrip("-")
        sign = "-" if x < 0 else ""
        return (
            sign + "0." + "0" * (-e - 1) + digits
            if e < 0
            else sign + digits + "0" * (e - len(digits) + 1)
        )
    return f"{mantissa}e{'+' if e > 0 else '-'}{abs(e)}"


def _hash(link: str) -> str:
    if "#" in link:
        return link.split("#", 1)[1]
    if "://" in link:
        return ""
    return link


def parse_link(link: str) -> TfpSettings:
    """The settings of a TFP link (a full URL, ``#…`` or the bare hash)."""
    pairs: dict[str, str | None] = {}
    for item in _hash(link).split("&"):
        parts = item.split("=")
        pairs[parts[0]] = parts[1] if len(parts) > 1 else None

    def given(name: str) -> str | None:
        value = pairs.get(name)
        return value if value is not None and value.strip(_JS_SPACE) != "" else None

    values: dict[str, object] = {}
    for name, (attr, choices) in _CHOICES.items():
        value = given(name)
        if value in choices:
            values[attr] = value
    for name, attr in _NUMBERS.items():
        value = given(name)
        if value is not None:
            number = js_number(value)
            if not math.isfinite(number):
                raise InvalidInput(f"{name}: {value!r} is not a finite number")
            values[attr] = number
    for name, attr in _BOOLEANS.items():
        value = given(name)
        if value is not None:
            values[attr] = value != "false"
    seed = given("seed")
    if seed is not None:
        values["seed"] = pairs["seed"]
    if "networkShape" in pairs:
        values["network_shape"] = _shape(pairs["networkShape"])
    on = {"x": True, "y": True}
    for name in FEATURES:
        value = given(name)
        if value is not None:
            on[name] = value != "false"
    values["features"] = tuple(name for name in FEATURES if on.get(name, False))
    values["extra"] = {k: v for k in _OTHER if (v := given(k)) is not None}
    return check(TfpSettings(**values))  # type: ignore[arg-type]


def _shape(value: str | None) -> tuple[int, ...]:
    if value is None:
        raise InvalidInput("networkShape: needs a value (e.g. networkShape=4,2)")
    if value.strip(_JS_SPACE) == "":
        return ()
    units = []
    for part in value.split(","):
        n = js_number(part)
        if not (math.isfinite(n) and n == int(n) and n >= 1):
            raise InvalidInput(f"networkShape: {part!r} is not a whole number of neurons ≥ 1")
        units.append(int(n))
    return tuple(units)


def check(s: TfpSettings) -> TfpSettings:
    """``s`` if it is a run the page can make; otherwise InvalidInput naming the field."""
    if s.learning_rate < 0:
        raise InvalidInput("learningRate: must be ≥ 0")
    if s.regularization_rate < 0:
        raise InvalidInput("regularizationRate: must be ≥ 0")
    if s.batch_size < 1:
        raise InvalidInput("batchSize: must be ≥ 1")
    if s.noise < 0:
        raise InvalidInput("noise: must be ≥ 0")
    if not 0 < s.perc_train_data <= 100:
        raise InvalidInput("percTrainData: must be in (0, 100]")
    return s


def to_link(s: TfpSettings, seed: str | None = None) -> str:
    """The page's link for ``s``, its names in the page's own order."""
    seed = seed if seed is not None else s.seed
    on = set(s.features)
    flag = {name: "true" if name in on else "false" for name in FEATURES}
    items = [
        ("activation", s.activation),
        ("regularization", s.regularization),
        ("batchSize", js_string(s.batch_size)),
        ("dataset", s.dataset),
        ("regDataset", s.reg_dataset),
        ("learningRate", js_string(s.learning_rate)),
        ("regularizationRate", js_string(s.regularization_rate)),
        ("noise", js_string(s.noise)),
        ("networkShape", ",".join(str(n) for n in s.network_shape)),
        ("seed", seed),
        ("showTestData", str(s.show_test_data).lower()),
        ("discretize", str(s.discretize).lower()),
        ("percTrainData", js_string(s.perc_train_data)),
        ("x", flag["x"]),
        ("y", flag["y"]),
        ("xTimesY", flag["xTimesY"]),
        ("xSquared", flag["xSquared"]),
        ("ySquared", flag["ySquared"]),
        ("cosX", "false"),
        ("sinX", flag["sinX"]),
        ("cosY", "false"),
        ("sinY", flag["sinY"]),
        ("collectStats", "false"),
        ("problem", s.problem),
        ("initZero", str(s.init_zero).lower()),
        ("hideText", "false"),
    ]
    return SITE + "#" + "&".join(f"{k}={v}" for k, v in items if v is not None)


def with_seed(s: TfpSettings, seed: str) -> TfpSettings:
    """``s`` with another seed."""
    return replace(s, seed=seed)
