"""The grid's float32 pass for drawing against the network's own float64 pass."""

from __future__ import annotations

import numpy as np
import pytest

from app.nn import ACTIVATIONS, Network
from app.nn.grid import BLOCK_CELLS, GridPass

# float32 keeps about 7 digits; a map is drawn at one byte a cell (1/255 of its range).
TOLERANCE = 1e-5


def grid(n: int = 1600, inputs: int = 2) -> np.ndarray:
    return np.random.default_rng(1).uniform(-2.0, 2.0, size=(n, inputs))


def hidden_maps(net: Network, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    acts = net.activations(X)
    return acts[-1].T.copy(), np.concatenate([a.T for a in acts[:-1]])


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("output", ["sigmoid", "softmax", "linear"])
def test_the_float32_pass_matches_the_network_within_tolerance(
    activation: str, output: str
) -> None:
    config = {
        "inputs": 3,
        "hidden": [{"units": 5, "activation": activation}, {"units": 3, "activation": "tanh"}],
        "output": output,
        **({"classes": 4} if output == "softmax" else {}),
    }
    net = Network.from_config(config, seed=3)
    X = grid(inputs=3)
    sample = np.arange(0, len(X), 7)
    gp = GridPass(net, X, sample, focus=6).run()
    out, H = hidden_maps(net, X)
    scale = max(1.0, float(np.abs(H).max()), float(np.abs(out).max()))
    assert gp.output.dtype == np.float32
    np.testing.assert_allclose(gp.output, out, atol=TOLERANCE * scale, rtol=0)
    np.testing.assert_allclose(gp.neurons, H[:, sample], atol=TOLERANCE * scale, rtol=0)
    assert gp.focus_map is not None
    np.testing.assert_allclose(gp.focus_map, H[6], atol=TOLERANCE * scale, rtol=0)


def test_blocks_cover_the_grid_and_give_the_one_block_result() -> None:
    net = Network.from_config(
        {"inputs": 2, "hidden": [{"units": 16, "activation": "tanh"}] * 8}, seed=0
    )
    X = grid(n=200 * 200)
    sample = np.sort(np.random.default_rng(2).choice(len(X), 300, replace=False))
    gp = GridPass(net, X, sample, focus=100)
    width = sum(net.sizes[1:])
    assert gp.block * width <= BLOCK_CELLS  # each piece a bounded amount of work
    pieces = sum(1 for _ in gp.steps())
    assert pieces == -(-len(X) // gp.block) > 1
    whole = GridPass(net, X, sample, focus=100, dtype=np.float64)
    whole.block = len(X)
    whole.run()
    np.testing.assert_allclose(gp.output, whole.output, atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(gp.neurons, whole.neurons, atol=TOLERANCE, rtol=0)
    assert gp.focus_map is not None and whole.focus_map is not None
    np.testing.assert_allclose(gp.focus_map, whole.focus_map, atol=TOLERANCE, rtol=0)


def test_the_pass_follows_the_weights_and_says_when_float32_overflows() -> None:
    net = Network.from_config({"inputs": 2, "hidden": [{"units": 4, "activation": "relu"}] * 6})
    X = grid(n=100)
    gp = GridPass(net, X).run()
    assert gp.finite()
    net.theta[: net.n_weights] = 1e6  # every layer multiplies by 4e6: past float32's range
    gp.run()
    assert not gp.finite()
    exact = GridPass(net, X, dtype=np.float64).run()
    assert exact.finite()
    np.testing.assert_allclose(exact.output, net.forward(X).T)


def test_a_sample_in_any_order_gives_those_points_maps() -> None:
    net = Network.from_config(
        {"inputs": 2, "hidden": [{"units": 6, "activation": "tanh"}] * 3}, seed=4
    )
    X = grid(n=900)
    sample = np.array([899, 3, 450, 3, 0, 17])  # unsorted, one point twice
    gp = GridPass(net, X, sample, focus=7)
    gp.block = 256  # the sampled points and the others over several blocks
    gp.run()
    out, H = hidden_maps(net, X)
    np.testing.assert_allclose(gp.output, out, atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(gp.neurons, H[:, sample], atol=TOLERANCE, rtol=0)
    assert gp.focus_map is not None
    np.testing.assert_allclose(gp.focus_map, H[7], atol=TOLERANCE, rtol=0)
