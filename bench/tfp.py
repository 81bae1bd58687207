"""Speed of the TensorFlow Playground profile's epoch against the native Trainer's.

Same data (TFP's circle from one seed, 250 training points, or its Gaussian regression,
600), same layer sizes, batch 10, both measured in the same run: epochs per second of
``TfpTrainer.run`` and of ``Trainer.run`` (SGD, tanh hidden layers; the native output is a
sigmoid with MSE for classification and linear for regression, the closest it has to TFP's
tanh and linear outputs; the same regularization), and their time ratio (the profile's
epoch over the native one's).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from app.data.tfp_link import parse_link
from app.nn import Network, Trainer, make_method
from app.training.tfp import TfpRun

CASES = {
    "default": "seed=bench&networkShape=4,2",
    "default L1": "seed=bench&networkShape=4,2&regularization=L1&regularizationRate=0.001",
    "largest": "seed=bench&networkShape=8,8,8,8,8,8",
    "largest L1": "seed=bench&networkShape=8,8,8,8,8,8&regularization=L1&regularizationRate=0.001",
    "regression": "seed=bench&problem=regression&regDataset=reg-gauss&networkShape=8,8,8",
}


def native_trainer(run: TfpRun) -> Trainer:
    s = run.settings
    regression = s.problem == "regression"
    config = {
        "inputs": len(s.features),
        "hidden": [{"units": u, "activation": s.activation} for u in s.network_shape],
        "output": "linear" if regression else "sigmoid",
        "loss": "mse",
        "regularization": {"kind": s.regularization.lower(), "rate": s.regularization_rate},
    }
    y = run.data.y_train if regression else (run.data.y_train > 0).astype(int)
    method = make_method({"kind": "sgd", "lr": s.learning_rate, "batch_size": int(s.batch_size)})
    return Trainer(Network.from_config(config, seed=0), run.X_train, y, method, seed=0)


def interleaved_rates(
    a: Callable[[], object], b: Callable[[], object], repeat: int = 10, rounds: int = 21
) -> tuple[float, float]:
    """Calls per second of ``a`` and of ``b``, each the best of ``rounds`` timings of
    ``repeat`` calls, the two timed in turn (first one, then the other) so that both see
    the same load. Timed in CPU time of the process (``time.process_time``), which
    the other work on a shared machine disturbs less than the wall clock."""
    best = [float("inf"), float("inf")]
    for r in range(rounds):
        order = ((0, a), (1, b)) if r % 2 == 0 else ((1, b), (0, a))
        for k, fn in order:
            t0 = time.process_time()
            for _ in range(repeat):
                fn()
            best[k] = min(best[k], time.process_time() - t0)
    return repeat / best[0], repeat / best[1]


def run() -> list[str]:
    lines = [
        "tfp profile vs native Trainer, machine: 2 shared cores, noisy; "
        "CPU time, best of 21 rounds of 10 epochs, taken in turn"
    ]
    for name, link in CASES.items():
        profile = TfpRun(parse_link(link))
        native = native_trainer(profile)
        ours, theirs = interleaved_rates(lambda p=profile: p.step(1), lambda t=native: t.run(1))
        lines.append(
            f"  {name:11s} {profile.X_train.shape[0]} points: epochs/s profile {ours:6.0f}  "
            f"native {theirs:6.0f}  profile/native time ratio {theirs / ours:.2f}"
        )
    return lines
