"""The TensorFlow Playground profile against figures from TFP's own engine.

``tests/data/tfp/*.json`` were made by ``tests/data/tfp/make_reference.js``: TFP's nn.ts,
dataset.ts and state.ts compiled unchanged and run under node in the page's order. Each
file holds a link, the settings the page read from it, its train and test points, the
initial and final weights (with dead links) and the loss after every one of 200 epochs.
"""

from __future__ import annotations

import json
import math
import pickle
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from app.data.tfp import SeededRandom, new_seed, shuffle_order
from app.data.tfp_link import js_number, js_string, parse_link, to_link
from app.errors import InvalidInput
from app.nn.optimizers import Optimizer, make_optimizer
from app.nn.tfp import TfpNetwork, update_points
from app.training.tfp import (
    PROFILE_KEYS,
    TfpExport,
    TfpRun,
    config_from_settings,
    export_link,
)

DATA = Path(__file__).parent / "data" / "tfp"
LINKS = sorted(p.stem for p in DATA.glob("*.json"))
EPOCHS = 200


@cache
def reference(name: str) -> dict[str, Any]:
    return json.loads((DATA / f"{name}.json").read_text())


def page_layers(layers: list[list[list[float]]], run: TfpRun) -> list[np.ndarray]:
    """The page's ``[layer][node][incoming link]`` as our ``W[k] (from, to)``."""
    return [
        np.array(nodes, dtype=np.float64).reshape(w.shape[1], w.shape[0]).T
        for nodes, w in zip(layers, run.net.W, strict=True)
    ]


def test_the_stored_links_cover_what_the_page_offers() -> None:
    states = [reference(n)["state"] for n in LINKS]
    names = {s["dataset"] if s["problem"] == "classification" else s["regDataset"] for s in states}
    assert names == {"circle", "xor", "gauss", "spiral", "reg-plane", "reg-gauss"}
    assert {s["activation"] for s in states} == {"tanh", "relu", "sigmoid", "linear"}
    assert {s["regularization"] for s in states} == {"none", "L1", "L2"}
    assert {len(s["networkShape"]) for s in states} == set(range(7))
    sizes = [(len(reference(n)["train"]), reference(n)["state"]["batchSize"]) for n in LINKS]
    assert any(n % b == 0 for n, b in sizes) and any(n % b for n, b in sizes)
    assert set().union(*(s["features"] for s in states)) == {
        "x", "y", "xSquared", "ySquared", "xTimesY", "sinX", "sinY"
    }  # fmt: skip
    assert all(len(reference(n)["loss_train"]) == EPOCHS + 1 for n in LINKS)


@pytest.mark.parametrize("name", LINKS)
def test_a_link_reads_as_the_page_reads_it(name: str) -> None:
    ref = reference(name)
    s = parse_link("https://playground.tensorflow.org/#" + ref["link"])
    page = ref["state"]
    ours = {
        "problem": s.problem,
        "dataset": s.dataset,
        "regDataset": s.reg_dataset,
        "activation": s.activation,
        "regularization": s.regularization,
        "learningRate": s.learning_rate,
        "regularizationRate": s.regularization_rate,
        "batchSize": s.batch_size,
        "noise": s.noise,
        "percTrainData": s.perc_train_data,
        "networkShape": list(s.network_shape),
        "seed": s.seed,
        "initZero": s.init_zero,
        "features": list(s.features),
    }
    assert ours == page
    assert parse_link(to_link(s)) == s


@pytest.mark.parametrize("name", LINKS)
def test_the_same_points_and_initial_weights(name: str) -> None:
    ref = reference(name)
    run = TfpRun(parse_link(ref["link"]))
    points = run.points()
    for part in ("train", "test"):
        expected = np.array(ref[part], dtype=np.float64).reshape(-1, 3)
        assert points[part].shape == expected.shape
        assert_allclose(points[part], expected, rtol=0, atol=1e-12)
    for ours, page in zip(run.net.W, page_layers(ref["initial"]["weights"], run), strict=True):
        assert_array_equal(ours, page)
    for ours, page_b in zip(run.net.b, ref["initial"]["biases"], strict=True):
        assert_array_equal(ours, page_b)


@pytest.mark.parametrize("name", LINKS)
def test_the_same_loss_every_epoch_for_200_epochs(name: str) -> None:
    ref = reference(name)
    run = TfpRun(parse_link(ref["link"]))
    train, test = [run.loss_train], [run.loss_test]
    for _ in range(EPOCHS):
        run.step()
        train.append(run.loss_train)
        test.append(run.loss_test)
    assert_allclose(train, ref["loss_train"], rtol=0, atol=1e-9)
    assert_allclose(np.array(test, dtype=np.float64), ref["loss_test"], rtol=0, atol=1e-9)
    final = ref["final"]
    for ours, page in zip(run.net.W, page_layers(final["weights"], run), strict=True):
        assert_allclose(ours, page, rtol=0, atol=1e-9)
    for ours, page in zip(run.net.dead_links(), page_layers(final["dead"], run), strict=True):
        assert_array_equal(ours, page.astype(bool))


def test_reset_and_regenerate_draw_from_the_stream_as_the_page_does() -> None:
    ref = reference("default_circle")
    run = TfpRun(parse_link(ref["link"]))
    run.step(EPOCHS)
    run.reset()
    for ours, page in zip(
        run.net.W, page_layers(ref["buttons"]["reset_weights"], run), strict=True
    ):
        assert_array_equal(ours, page)
    before = [w.copy() for w in run.net.W]
    run.regenerate()
    regen = ref["buttons"]["regenerate"]
    assert run.settings.seed == regen["seed"] and f"seed={regen['seed']}&" in run.link()
    assert_allclose(run.points()["train"], regen["train"], rtol=0, atol=1e-12)
    for ours, kept in zip(run.net.W, before, strict=True):
        assert_array_equal(ours, kept)
    losses = []
    for _ in range(5):
        run.step()
        losses.append(run.loss_train)
    assert_allclose(losses, regen["loss_train"], rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    ("seed", "first"),
    [
        ("hello.", 0.9282578795792454),
        ("", 0.23144008215179881),
        ("é€😀", 0.8490074788251994),
        ("x" * 300 + "yz", 0.7832066137260364),
    ],
)
def test_the_seeded_stream_is_seedrandoms(seed: str, first: float) -> None:
    assert SeededRandom(seed).random() == first


def test_the_second_draw_too() -> None:
    rng = SeededRandom("hello.")
    rng.random()
    assert rng.random() == 0.3752569768646784


@pytest.mark.parametrize(
    ("u", "text"), [(0.015625, "0.01563"), (0.123455, "0.12345"), (0.999996, "1.00000")]
)
def test_a_new_seed_is_written_as_to_fixed_5_writes_it(u: float, text: str) -> None:
    assert new_seed(u) == text


def test_the_shuffle_is_a_permutation() -> None:
    order = shuffle_order(SeededRandom("s"), 50)
    assert sorted(order.tolist()) == list(range(50))
    assert order.tolist() != list(range(50))


def test_updates_fall_every_batch_size_examples_of_an_epoch() -> None:
    assert update_points(25, 10) == [9, 19]
    assert update_points(20, 10) == [9, 19]
    assert update_points(5, 10) == []
    assert update_points(3, 1) == [0, 1, 2]


def test_leftover_examples_join_the_next_epochs_first_update() -> None:
    X = np.array([[1.0], [2.0], [3.0]])
    y = np.array([1.0, -1.0, 1.0])

    def net() -> TfpNetwork:
        return TfpNetwork([np.array([[0.5]])], [np.array([0.1])], "tanh", "linear")

    from app.nn.tfp import TfpTrainer

    carried = net()
    TfpTrainer(carried, X, y, 0.1, 0.0, 2).run(2)
    by_hand = net()
    by_hand.accumulate(X[:2], y[:2])
    by_hand.update(0.1, 0.0)
    by_hand.accumulate(X[2:], y[2:])
    by_hand.accumulate(X[:1], y[:1])  # one example left over + the next epoch's two
    by_hand.accumulate(X[1:2], y[1:2])
    by_hand.update(0.1, 0.0)
    by_hand.accumulate(X[2:], y[2:])
    assert_allclose(carried.theta, by_hand.theta, rtol=0, atol=1e-15)
    assert carried.count == by_hand.count == 1


def test_an_l1_step_across_zero_kills_the_link_for_good() -> None:
    net = TfpNetwork([np.array([[0.01, 0.8]])], [np.array([0.0, 0.0])], "tanh", "linear", "L1")
    net.accumulate(np.zeros((1, 1)), np.zeros(1))  # zero data gradient: only L1 moves
    net.update(1.0, 0.05)
    assert net.W[0][0, 0] == 0.0 and net.dead_links()[0][0, 0]
    assert net.W[0][0, 1] == pytest.approx(0.75)
    net.accumulate(np.ones((1, 1)), np.full(1, 5.0))
    net.update(1.0, 0.05)
    assert net.W[0][0, 0] == 0.0
    assert net.W[0][0, 1] != pytest.approx(0.7)


def test_a_network_survives_pickling_with_its_views() -> None:
    run = TfpRun(parse_link("seed=p&networkShape=3,2&regularization=L1"))
    run.step(3)
    copy = pickle.loads(pickle.dumps(run.net))
    assert_array_equal(copy.predict(run.X_train), run.net.predict(run.X_train))
    assert_array_equal(copy.dead, run.net.dead)
    copy.W[0][0, 0] = 42.0
    assert copy.theta[0] == 42.0 and run.net.theta[0] != 42.0


def test_all_points_in_training_leave_no_test_loss() -> None:
    run = TfpRun(parse_link("seed=1&percTrainData=100"))
    assert run.loss_test is None and math.isfinite(run.loss_train)


@pytest.mark.parametrize(
    ("link", "field"),
    [
        ("seed=1&learningRate=abc", "learningRate"),
        ("seed=1&learningRate=Infinity", "learningRate"),
        ("seed=1&networkShape=2.5", "networkShape"),
        ("seed=1&networkShape=4,0", "networkShape"),
        ("seed=1&networkShape", "networkShape"),
        ("seed=1&batchSize=0", "batchSize"),
        ("seed=1&percTrainData=0", "percTrainData"),
        ("seed=1&regularizationRate=-1", "regularizationRate"),
    ],
)
def test_a_link_the_page_could_not_run_names_its_field(link: str, field: str) -> None:
    with pytest.raises(InvalidInput, match=field):
        parse_link(link)


def test_a_run_needs_the_links_seed() -> None:
    with pytest.raises(InvalidInput, match="seed"):
        TfpRun(parse_link("https://playground.tensorflow.org/#dataset=xor"))


def test_the_page_s_reading_rules() -> None:
    s = parse_link("#dataset=nope&dataset=xor&noise=0x10&seed=a=b&x=false&y=&sinX=1&activation=")
    assert s.dataset == "xor"  # a later pair wins; unknown choices keep the default
    assert s.noise == 16  # JavaScript's Number() reads hex
    assert s.seed == "a"  # text after a second "=" is dropped
    assert s.features == ("y", "sinX")  # blank keeps the default; anything but "false" is on
    assert s.activation == "tanh"
    assert parse_link("https://playground.tensorflow.org/").seed is None


def test_a_diverging_run_stops_and_shows_no_loss() -> None:
    run = TfpRun(parse_link("seed=d&problem=regression&activation=relu&learningRate=10&noise=50"))
    done = run.step(50)
    assert run.diverged and done < 50
    assert run.loss_train is None
    assert run.step(5) == 0


@pytest.mark.parametrize("name", LINKS)
def test_a_link_becomes_a_session_config_and_back(name: str) -> None:
    from app.training.session import DEFAULTS, validate_config

    s = parse_link(reference(name)["link"])
    config = config_from_settings(s)
    profile = {k: config.pop(k) for k in PROFILE_KEYS}
    config = validate_config({**DEFAULTS, **config})
    out = export_link({**config, **profile})
    assert out.beyond == []
    assert out.link is not None
    back = parse_link(out.link)
    if not s.network_shape:  # without hidden layers the activation has no effect nor key
        back = replace(back, activation=s.activation)
    assert back == s


def test_a_native_session_exports_its_settings_and_names_what_differs() -> None:
    from app.training.session import DEFAULTS

    out = export_link(DEFAULTS)
    assert out.link is not None
    s = parse_link(out.link)
    assert (s.dataset, s.network_shape, s.learning_rate, s.batch_size) == (
        "circle",
        (4, 2),
        0.03,
        10,
    )
    assert out.beyond == ["profile", "loss"]
    custom = {
        **DEFAULTS,
        "method": "adam",
        "normalize": True,
        "hidden": [{"units": 9, "activation": "leaky_relu"}, {"units": 2, "activation": "tanh"}],
    }
    assert export_link({**custom, "profile": "tfp", "tfp_seed": "0.5"}).beyond == [
        "hidden.activation", "hidden", "normalize", "method", "loss"
    ]  # fmt: skip
    assert export_link({**DEFAULTS, "dataset": "moons"}) == TfpExport(None, ["dataset"])


@pytest.mark.parametrize(
    ("x", "text"),
    [  # as node's String(x) writes them
        (0.03, "0.03"),
        (1e-5, "0.00001"),
        (3e-6, "0.000003"),
        (1.5e-6, "0.0000015"),
        (1e-7, "1e-7"),
        (-1.5e-7, "-1.5e-7"),
        (0.1 + 0.2, "0.30000000000000004"),
        (100.0, "100"),
        (9007199254740994.0, "9007199254740994"),
        (123456789012345680000.0, "123456789012345680000"),
        (1.5e21, "1.5e+21"),
        (5e-324, "5e-324"),
    ],
)
def test_numbers_in_a_link_are_written_as_javascript_writes_them(x: float, text: str) -> None:
    assert js_string(x) == text
    assert js_number(text) == x


def _trained(link: str, epochs: int, optimizer: Optimizer | None = None) -> TfpRun:
    run = TfpRun(parse_link(link))
    run.trainer.optimizer = optimizer
    run.step(epochs)
    return run


def test_the_pages_step_is_plain_sgd_on_the_mean_derivative() -> None:
    link = "seed=0.54321&networkShape=4,2"
    page, sgd = _trained(link, 20), _trained(link, 20, make_optimizer("sgd", lr=0.03))
    assert_allclose(sgd.net.theta, page.net.theta, rtol=0, atol=1e-12)


def test_adam_trains_under_the_profile_and_kills_no_link() -> None:
    link = "seed=0.54321&dataset=xor&regularization=L1&regularizationRate=0.003"
    before = TfpRun(parse_link(link)).loss_train
    run = _trained(link, 30, make_optimizer("adam", lr=0.01))
    assert run.loss_train is not None and before is not None
    assert run.loss_train < before / 2
    assert not run.net.dead.any()
