"""Speed of the NumPy core against a hand-written floor, measured in the same run.

Prints, for the default network (2 → 4 → 2 → 1, tanh, batch 10, 250 points) and the
largest (6 hidden layers of 8): epochs per second of ``Trainer.run`` and of a minimal
NumPy loop making the same matrix calls into preallocated buffers (the floor), the time to
evaluate a 100×100 grid for the output and every neuron, and generations per second of
the evolutionary trainer (population 50).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from app.data import generate
from app.nn import Network, Trainer, make_method

NETWORKS = {
    "default": [4, 2],
    "largest": [8] * 6,
}


def best_rate(fn: Callable[[], object], repeat: int, rounds: int = 5) -> float:
    """Calls per second of ``fn``: the best of ``rounds`` timings of ``repeat`` calls."""
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, time.perf_counter() - t0)
    return repeat / best


def make_net(hidden: list[int]) -> Network:
    return Network.from_config(
        {
            "inputs": 2,
            "hidden": [{"units": u, "activation": "tanh"} for u in hidden],
            "output": "sigmoid",
            "loss": "cross_entropy",
        },
        seed=0,
    )


def circle_data() -> tuple[np.ndarray, np.ndarray]:
    ds = generate("circle", n=250, noise=0.0, seed=0)
    return ds.X / 6.0, ds.y


def floor_epoch_fn(hidden: list[int], X: np.ndarray, y: np.ndarray) -> Callable[[], None]:
    """A minimal SGD epoch in plain NumPy: the calls any implementation must make."""
    sizes = [2, *hidden, 1]
    rng = np.random.default_rng(0)
    shapes = list(zip(sizes[:-1], sizes[1:], strict=True))
    nw = sum(a * b for a, b in shapes)
    theta = rng.normal(0, 0.5, nw + sum(b for _, b in shapes))
    grad = np.zeros_like(theta)
    buf = np.empty_like(theta)

    def views(flat: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        out, wo, bo = [], 0, nw
        for a, b in shapes:
            out.append((flat[wo : wo + a * b].reshape(a, b), flat[bo : bo + b]))
            wo, bo = wo + a * b, bo + b
        return out

    params, grads = views(theta), views(grad)
    n, bs, L = X.shape[0], 10, len(shapes)
    Z = [np.empty((bs, b)) for _, b in shapes]
    A = [np.empty((bs, b)) for _, b in shapes]
    D = [np.empty((bs, b)) for _, b in shapes]
    dA = [np.empty((bs, b)) for _, b in shapes[:-1]]
    Xs, Ys = np.empty_like(X), np.empty((n, 1))
    Y = y.reshape(-1, 1).astype(float)
    batches = [(Xs[i : i + bs], Ys[i : i + bs]) for i in range(0, n, bs)]
    fwd = list(zip(params, Z, A, strict=True))
    bwd = [
        (A[k - 1].T, D[k], *grads[k], params[k][0].T, dA[k - 1], A[k - 1], D[k - 1])
        for k in range(L - 1, 0, -1)
    ]
    matmul, add, multiply, subtract, tanh = np.matmul, np.add, np.multiply, np.subtract, np.tanh
    reduce = np.add.reduce
    lr, inv = 0.03, 1.0 / bs

    def epoch() -> None:
        perm = rng.permutation(n)
        np.take(X, perm, axis=0, out=Xs)
        np.take(Y, perm, axis=0, out=Ys)
        for Xb, Yb in batches:
            prev = Xb
            for (W, b), Zk, Ak in fwd:
                matmul(prev, W, out=Zk)
                add(Zk, b, out=Zk)
                tanh(Zk, out=Ak)
                prev = Ak
            out = A[-1]  # sigmoid = (tanh(z/2) + 1) / 2
            multiply(Z[-1], 0.5, out=out)
            tanh(out, out=out)
            multiply(out, 0.5, out=out)
            add(out, 0.5, out=out)
            subtract(out, Yb, out=D[-1])
            multiply(D[-1], inv, out=D[-1])
            for At, Dk, dW, db, Wt, dAk, Ap, Dp in bwd:
                matmul(At, Dk, out=dW)
                reduce(Dk, axis=0, out=db)
                matmul(Dk, Wt, out=dAk)
                multiply(Ap, Ap, out=Dp)
                subtract(1.0, Dp, out=Dp)
                multiply(Dp, dAk, out=Dp)
            matmul(Xb.T, D[0], out=grads[0][0])
            reduce(D[0], axis=0, out=grads[0][1])
            multiply(grad, lr, out=buf)
            subtract(theta, buf, out=theta)

    return epoch


def floor_grid_fn(hidden: list[int], G: np.ndarray) -> Callable[[], None]:
    sizes = [2, *hidden, 1]
    rng = np.random.default_rng(0)
    layers = [
        (rng.normal(size=(a, b)), rng.normal(size=b), np.empty((G.shape[0], b)))
        for a, b in zip(sizes[:-1], sizes[1:], strict=True)
    ]

    def grid() -> None:
        prev = G
        for W, b, Zk in layers:
            np.matmul(prev, W, out=Zk)
            np.add(Zk, b, out=Zk)
            np.tanh(Zk, out=Zk)
            prev = Zk

    return grid


def grid_points(res: int = 100) -> np.ndarray:
    u = np.linspace(-1.0, 1.0, res)
    gx, gy = np.meshgrid(u, u)
    return np.column_stack([gx.ravel(), gy.ravel()])


def run() -> list[str]:
    X, y = circle_data()
    G = grid_points()
    lines = ["core (NumPy), machine: 2 shared cores, noisy; best of 5 rounds"]
    for name, hidden in NETWORKS.items():
        net = make_net(hidden)
        trainer = Trainer(net, X, y, make_method({"kind": "sgd", "lr": 0.03}), seed=0)
        ours = best_rate(lambda t=trainer: t.run(1), 40)
        floor = best_rate(floor_epoch_fn(hidden, X, y), 40)
        grid_ours = 1e3 / best_rate(lambda n=net: n.activations(G), 50)
        grid_floor = 1e3 / best_rate(floor_grid_fn(hidden, G), 50)
        lines += [
            f"  {name:8s} epochs/s: ours {ours:7.0f}  floor {floor:7.0f}  "
            f"floor/ours time ratio {floor / ours:.2f}",
            f"  {name:8s} grid 100x100, output + every neuron: ours {grid_ours:.3f} ms  "
            f"floor {grid_floor:.3f} ms  ratio {grid_ours / grid_floor:.2f}",
        ]
    net = make_net(NETWORKS["default"])
    evo = Trainer(net, X, y, make_method({"kind": "evolution", "population": 50}), seed=0)
    gens = best_rate(lambda: evo.run(1), 100)
    lines.append(f"  default  evolution, population 50: {gens:.0f} generations/s")
    return lines
