"""The session's timeline: snapshots taken as it trains, bounded, cleared on a rebuild, and
branching back to one of them."""

from __future__ import annotations

import numpy as np
import pytest

from app.errors import InvalidInput
from app.training import Session
from app.training.history import MAX_BYTES, branch, snapshot_at


def test_training_records_snapshots_within_the_budget() -> None:
    s = Session({"hidden": [{"units": 16}] * 8})
    s.timeline.max_bytes = 64 * s.net.theta.nbytes  # a small budget: thinning shows quickly
    s.step(300)
    assert s.timeline.epochs[0] == 0 and s.timeline.epochs[-1] <= 300
    assert s.timeline.nbytes <= s.timeline.max_bytes
    assert s.timeline.stride > 1
    assert Session().timeline.max_bytes == MAX_BYTES


def test_a_snapshot_is_the_weights_of_its_epoch() -> None:
    s = Session()
    s.step(4)
    at_four = s.net.theta.copy()
    s.step(3)
    epoch, theta = snapshot_at(s, 4)
    assert epoch == 4 and np.array_equal(theta, at_four)
    assert not np.array_equal(s.net.theta, at_four)


def test_reset_and_rebuild_clear_the_timeline() -> None:
    s = Session()
    s.step(5)
    s.reset()
    assert s.timeline.epochs == [0]
    s.step(5)
    s.configure({"hidden": [{"units": 3}]})
    assert s.timeline.epochs == [0]


def test_branch_restores_the_past_and_trains_on() -> None:
    s = Session()
    s.step(5)
    at_five = s.net.theta.copy()
    s.step(5)
    assert branch(s, 5) == 5
    assert np.array_equal(s.net.theta, at_five)
    assert s.trainer.epoch == 5 and s.history[-1]["epoch"] == 5
    assert s.timeline.epochs[-1] == 5
    s.step(2)
    assert s.trainer.epoch == 7


@pytest.mark.parametrize("epoch", [-1, True, 1.5])
def test_a_bad_epoch_is_refused(epoch: object) -> None:
    s = Session()
    with pytest.raises(InvalidInput):
        snapshot_at(s, epoch)  # type: ignore[arg-type]


def test_a_large_network_over_many_epochs_stays_within_two_mebibytes() -> None:
    """8 layers of 16 neurons (about 16 kB of parameters a snapshot) over 4000 epochs: the
    snapshots take at most 2 MiB, cover the whole run evenly and keep epoch 0."""
    s = Session({"hidden": [{"units": 16}] * 8, "points": 40, "batch_size": 20})
    assert s.timeline.max_bytes == MAX_BYTES == 2 * 1024 * 1024
    size = s.net.theta.nbytes
    assert size > 15_000
    s.step(4000)
    t = s.timeline
    assert t.nbytes <= MAX_BYTES
    assert len(t.epochs) > MAX_BYTES // size // 2  # thinned, not emptied
    assert t.epochs[0] == 0 and t.epochs[-1] > 4000 - 2 * t.stride
    gaps = {b - a for a, b in zip(t.epochs, t.epochs[1:], strict=False)}
    assert gaps == {t.stride}
    epoch, theta = snapshot_at(s, 1234)
    assert epoch <= 1234 < epoch + t.stride and theta.nbytes == size
