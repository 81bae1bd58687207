"""Training in slices: an epoch (mini-batches), a generation (pieces of the population) or a
TensorFlow Playground epoch (its updates) cut off at a deadline and carried on later gives
the numbers of the unsplit run, bit for bit, also across an export and import."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from app.data.tfp_link import parse_link
from app.nn.methods import Evolution, GradientDescent, Trainer, rng_state
from app.nn.network import Network, NetworkConfig
from app.nn.optimizers import make_optimizer
from app.training import Session
from app.training.tfp import config_from_settings

PAST = 0.0  # a deadline already passed: every call does one piece of work and stops


def data(n: int = 60, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2))
    return X, (X[:, 0] * X[:, 1] > 0).astype(float)


def trainer(method: GradientDescent | Evolution) -> Trainer:
    X, y = data()
    hidden = [{"units": 5, "activation": "tanh"}, {"units": 3, "activation": "tanh"}]
    net = Network(NetworkConfig.parse({"inputs": 2, "hidden": hidden}), rng=0)
    return Trainer(net, X, y, method, seed=7)


def sliced(t: Trainer, epochs: int) -> int:
    """Train ``epochs`` epochs one piece of work per call; how many calls it took."""
    calls = done = 0
    while done < epochs:
        done += t.work(PAST)
        calls += 1
    return calls


def same(a: Trainer, b: Trainer) -> None:
    assert_array_equal(a.net.theta, b.net.theta)
    assert (a.step, a.epoch, a.evaluations) == (b.step, b.epoch, b.evaluations)
    assert rng_state(a.rng) == rng_state(b.rng)


@pytest.mark.parametrize("batch", [1, 7, 60])
def test_an_epoch_cut_into_mini_batches_gives_the_unsplit_weights(batch: int) -> None:
    whole = trainer(GradientDescent(make_optimizer("adam", lr=0.03), batch))
    split = trainer(GradientDescent(make_optimizer("adam", lr=0.03), batch))
    assert whole.run(4) == 4
    calls = sliced(split, 4)
    assert calls == 4 * -(-60 // batch)  # one mini-batch per call
    same(whole, split)


def test_a_cut_epoch_is_carried_on_by_run_and_counts_its_updates() -> None:
    whole = trainer(GradientDescent(make_optimizer("sgd", lr=0.1), 5))
    split = trainer(GradientDescent(make_optimizer("sgd", lr=0.1), 5))
    whole.run(2)
    assert not split.work(PAST) and split.in_epoch
    assert (split.epoch, split.step) == (0, 1)
    assert split.run(2) == 2 and not split.in_epoch
    same(whole, split)


def test_new_data_drops_the_epoch_in_progress() -> None:
    t = trainer(GradientDescent(make_optimizer("sgd", lr=0.1), 5))
    t.work(PAST)
    X, y = data(40, seed=2)
    t.set_data(X, y)
    assert not t.in_epoch
    assert t.run(1) == 1 and t.step == 1 + 8


@pytest.mark.parametrize("crossover", [False, True])
def test_a_generation_evaluated_in_pieces_gives_the_unsplit_one(crossover: bool) -> None:
    settings = {"population": 30, "sigma": 0.2, "elite": 3, "crossover": crossover}
    whole, split = trainer(Evolution(**settings)), trainer(Evolution(**settings))
    whole.run(5)
    calls = sliced(split, 5)
    assert calls > 5  # the generations were cut
    same(whole, split)
    assert_array_equal(whole.method.population, split.method.population)


def test_weights_set_during_a_generation_start_a_new_one() -> None:
    t = trainer(Evolution(population=30))
    t.work(PAST)
    assert t.in_epoch
    t.net.theta[0] += 1.0
    theta = t.net.theta.copy()
    while not t.work(PAST):
        pass
    assert t.method.evaluated is not None
    assert_array_equal(t.method.evaluated[0], theta)  # the population grew from them


def slices(s: Session, epochs: int, seconds: float = 0.0) -> int:
    run = s.steps(epochs, seconds)
    count = 0
    while True:
        try:
            next(run)
            count += 1
        except StopIteration as stop:
            assert stop.value == epochs
            return count


HEAVY: dict[str, Any] = {"hidden": [{"units": 6, "activation": "tanh"}] * 3, "batch_size": 1}


@pytest.mark.parametrize(
    "config",
    [HEAVY, {"method": "evolution", "population": 40}, {"batch_size": 3, "method": "rmsprop"}],
)
def test_a_session_stepped_in_slices_matches_one_step(config: dict[str, Any]) -> None:
    whole, split = Session(config), Session(config)
    whole.step(3)
    assert slices(split, 3) > 3
    assert_array_equal(whole.net.theta, split.net.theta)
    assert whole.history == split.history
    assert whole.export() == split.export()


def test_an_export_in_the_middle_of_an_epoch_trains_on_identically() -> None:
    whole, split = Session(HEAVY), Session(HEAVY)
    whole.step(2)
    run = split.steps(2, 0.0)
    for _ in range(7):  # part of the first epoch
        next(run)
    run.close()
    assert split.trainer.in_epoch and split.trainer.epoch == 0
    doc = json.loads(json.dumps(split.export()))
    assert doc["trainer"]["method"]["pending"]["at"] > 0
    restored = Session.from_export(doc)
    assert restored.trainer.in_epoch
    restored.step(2)
    assert_array_equal(whole.net.theta, restored.net.theta)
    assert restored.trainer.step == whole.trainer.step
    again = Session.from_export(json.loads(json.dumps(restored.export())))
    assert again.export() == restored.export()


@pytest.mark.parametrize(
    "pending",
    [
        {"at": 3},
        {"at": 0, "order": [1, 0, 2]},
        {"at": 3, "order": [1, 0, 2]},
        {"at": 1, "order": [0, 0, 2]},
        {"at": 1, "order": [0, 1.0, 2]},
        {"at": True, "order": [0, 1, 2]},
    ],
)
def test_a_bad_epoch_in_progress_is_refused(pending: dict[str, Any]) -> None:
    s = Session()
    s.step(1)
    doc = s.export()
    doc["trainer"]["method"]["pending"] = pending
    with pytest.raises(ValueError, match="pending"):
        Session.from_export(doc)


def test_an_epoch_in_progress_that_does_not_fit_the_points_is_dropped() -> None:
    s = Session({"batch_size": 1})
    doc = s.export()
    n = len(s.y_train)
    doc["trainer"]["method"]["pending"] = {"at": 2, "order": list(range(n + 1))}
    restored = Session.from_export(doc)
    assert not restored.trainer.in_epoch


TFP_LINK = (
    "https://playground.tensorflow.org/#activation=relu&batchSize=1&dataset=xor"
    "&regularization=L1&learningRate=0.03&regularizationRate=0.001&noise=0"
    "&networkShape=4,2&seed=0.54321&percTrainData=50"
)


def test_a_tfp_epoch_cut_into_its_updates_gives_the_unsplit_run() -> None:
    config = config_from_settings(parse_link(TFP_LINK))
    whole, split = Session(config), Session(config)
    whole.step(3)
    assert slices(split, 3) > 3
    assert_array_equal(whole.net.theta, split.net.theta)
    assert whole.losses() == split.losses()
    assert whole.trainer.step == split.trainer.step


def test_a_tfp_export_in_the_middle_of_an_epoch_trains_on_identically() -> None:
    config = config_from_settings(parse_link(TFP_LINK))
    whole, split = Session(config), Session(config)
    whole.step(2)
    run = split.steps(2, 0.0)
    for _ in range(5):  # part of the first epoch
        next(run)
    run.close()
    assert split.trainer.in_epoch and split.trainer.epoch == 0
    doc = json.loads(json.dumps(split.export()))
    assert doc["trainer"]["method"]["pending"] == 5
    restored = Session.from_export(doc)
    restored.step(2)
    assert_array_equal(whole.net.theta, restored.net.theta)
    assert restored.trainer.step == whole.trainer.step
    doc["trainer"]["method"]["pending"] = 10**5
    with pytest.raises(ValueError, match="pending"):
        Session.from_export(doc)
