"""Speed of the NumPy core against a hand-written floor, measured in the same run.

Prints, for the default network (2 → 4 → 2 → 1, tanh, batch 10, 250 points), 6 hidden
layers of 8 and the largest (8 hidden layers of 16):

- epochs per second of ``Trainer.run`` and of a minimal NumPy loop making the classic
  matrix calls into preallocated buffers (the floor);
- the CPU time of an epoch as a live page trains it: one slice of ``Session.steps`` at the
  defaults (500 points, half of them for training), with what the session does after the
  epoch (the loss on both sets, the history, the timeline), and the training alone; and
  what a frame asks of the session at new weights (``evaluate``: the losses and outputs of
  both sets; the training set's gradient), best of 11 rounds, the three in turns;
- the time to evaluate a 100×100 grid for the output and every neuron;
- generations per second of the evolutionary trainer (population 50).

With ``BENCH_AGAINST=<another checkout>`` it also times the session's epoch of that
checkout and of this one in turns, each in a fresh process (several rounds, best CPU time of
each), and prints the ratio: a before/after comparison measured in one sitting.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from app.data import generate
from app.nn import Network, Trainer, make_method

NETWORKS = {
    "default": [4, 2],
    "6 x 8": [8] * 6,
    "8 x 16": [16] * 8,
}
EPOCHS_TIMED = {"default": 100, "6 x 8": 40, "8 x 16": 30}  # per round: 50 ms or so each
ROOT = Path(__file__).resolve().parents[1]
SLICE_SECONDS = 0.008  # a live worker's slice: an epoch of these networks fits in one

# Run in a fresh process with a checkout's root as the first argument: the CPU time of one
# epoch of a default session with the given hidden layers, trained as a live page trains it
# (one slice of ``Session.steps``, bookkeeping included), and of the training alone. Only
# interfaces every version has: it times old checkouts too.
SESSION_EPOCH = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from app.training.session import Session

hidden, seconds, repeat = json.loads(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
s = Session({"hidden": [{"units": u, "activation": "tanh"} for u in hidden]})
trainer = s.trainer

def epoch():
    run = s.steps(1, seconds)
    try:
        next(run)
        run.send(True)
    except StopIteration:
        pass

def cpu(fn):
    t0 = time.process_time()
    for _ in range(repeat):
        fn()
    return (time.process_time() - t0) / repeat * 1e3

sign = [1.0]

def frame():
    # What a frame asks of the session at new weights (a nudge of one bias: the caches
    # miss): the losses and outputs of both sets, and the training set's gradient.
    sign[0] = -sign[0]
    s.net.theta[-1] += sign[0] * 1e-9
    s.evaluate()
    s.net.backprop(s.F_train, trainer.Y)

for _ in range(repeat):
    epoch()
best = {"session": float("inf"), "training": float("inf"), "frame": float("inf")}
for _ in range(11):  # in turns, so that a busy moment of the machine hits each
    best["session"] = min(best["session"], cpu(epoch))
    best["training"] = min(best["training"], cpu(lambda: trainer.run(1)))
    best["frame"] = min(best["frame"], cpu(frame))
print(json.dumps(best))
"""


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


def session_epoch(root: Path, hidden: list[int], repeat: int) -> dict[str, float]:
    """CPU ms of a session's epoch and of its training alone, measured in a fresh process
    on the checkout at ``root``."""
    out = subprocess.run(
        [sys.executable, "-c", SESSION_EPOCH, str(root), json.dumps(hidden),
         str(SLICE_SECONDS), str(repeat)],
        cwd=root, capture_output=True, text=True, check=True, timeout=600,
    )  # fmt: skip
    figures: dict[str, float] = json.loads(out.stdout)
    return figures


def compared(against: Path, rounds: int = 5) -> list[str]:
    """The session's epoch here and in ``against``, in turns, best of ``rounds`` each."""
    lines = [f"  session epoch, this checkout against {against} ({rounds} rounds in turns):"]
    for name, hidden in NETWORKS.items():
        repeat = EPOCHS_TIMED[name]
        best: dict[str, dict[str, float]] = {"new": {}, "old": {}}
        for _ in range(rounds):
            for side, root in (("old", against), ("new", ROOT)):
                for key, value in session_epoch(root, hidden, repeat).items():
                    best[side][key] = min(value, best[side].get(key, float("inf")))
        old, new = best["old"], best["new"]
        lines.append(
            f"  {name:8s} session epoch {old['session']:.3f} -> {new['session']:.3f} ms "
            f"(old/new {old['session'] / new['session']:.2f}); training alone "
            f"{old['training']:.3f} -> {new['training']:.3f} ms "
            f"(old/new {old['training'] / new['training']:.2f}); a frame's losses, outputs "
            f"and gradient {old['frame']:.3f} -> {new['frame']:.3f} ms "
            f"(old/new {old['frame'] / new['frame']:.2f})"
        )
    return lines


def run() -> list[str]:
    X, y = circle_data()
    G = grid_points()
    lines = ["core (NumPy), machine: 2 shared cores, noisy; best of 5 rounds (CPU: of 11)"]
    for name, hidden in NETWORKS.items():
        net = make_net(hidden)
        trainer = Trainer(net, X, y, make_method({"kind": "sgd", "lr": 0.03}), seed=0)
        ours = best_rate(lambda t=trainer: t.run(1), 40)
        floor = best_rate(floor_epoch_fn(hidden, X, y), 40)
        live = session_epoch(ROOT, hidden, EPOCHS_TIMED[name])
        grid_ours = 1e3 / best_rate(lambda n=net: n.activations(G), 50)
        grid_floor = 1e3 / best_rate(floor_grid_fn(hidden, G), 50)
        lines += [
            f"  {name:8s} epochs/s: ours {ours:7.0f}  floor {floor:7.0f}  "
            f"floor/ours time ratio {floor / ours:.2f}",
            f"  {name:8s} session epoch (CPU): {live['session']:.3f} ms, of which training "
            f"{live['training']:.3f} ms and bookkeeping "
            f"{live['session'] - live['training']:.3f} ms; a frame's losses, outputs and "
            f"gradient {live['frame']:.3f} ms",
            f"  {name:8s} grid 100x100, output + every neuron: ours {grid_ours:.3f} ms  "
            f"floor {grid_floor:.3f} ms  ratio {grid_ours / grid_floor:.2f}",
        ]
    net = make_net(NETWORKS["default"])
    evo = Trainer(net, X, y, make_method({"kind": "evolution", "population": 50}), seed=0)
    gens = best_rate(lambda: evo.run(1), 100)
    lines.append(f"  default  evolution, population 50: {gens:.0f} generations/s")
    against = os.environ.get("BENCH_AGAINST")
    if against:
        lines += compared(Path(against).resolve())
    return lines
