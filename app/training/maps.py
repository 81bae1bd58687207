"""A session's maps as the page draws them, computed in pieces.

``snapshot_steps`` is ``views.snapshot`` as a generator: every hidden neuron's map over the
full grid, in float64. ``drawn_steps`` is what a page that sent its view needs: the output
at the full resolution, every hidden neuron at the size the diagram draws it (the grid's
points at the centres of its pixels), the neuron the page looks at in full, from one float32
pass over the grid (``app.nn.grid``); the gradients, metrics and population only when
``details`` is asked for. Both yield between blocks of the grid and between the parts after
it, so that whoever drives many sessions can serve the others between the pieces; the
session must not change until they return.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import numpy as np

from app.nn import Network
from app.nn.grid import GridPass
from app.training import views
from app.training.tfp_model import TfpModel

if TYPE_CHECKING:
    from app.training.session import Session

Steps = Generator[None, None, dict[str, Any]]

# The pass each session last used (its buffers), kept while its network and grid stay.
_passes: weakref.WeakKeyDictionary[Any, tuple[tuple[Any, ...], GridPass]] = (
    weakref.WeakKeyDictionary()
)


def finish(steps: Generator[None, None, Any]) -> Any:
    """Run ``steps`` to the end in one go; its return value."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


@functools.lru_cache(maxsize=64)
def sample_points(r: int, side: int) -> np.ndarray:
    """Flat indices into an ``r × r`` grid (row-major) of the points at the centres of
    ``side × side`` pixels drawn over it: ``(side²,)``, ascending (read-only)."""
    idx = ((np.arange(side) + 0.5) * (r / side)).astype(np.intp)
    out = (idx[:, None] * r + idx[None, :]).ravel()
    out.flags.writeable = False
    return out


def _grid_pass(
    s: Session, r: int, sample: np.ndarray | None, focus: int | None, dtype: type[np.floating]
) -> GridPass:
    key = (r, s._data_version, None if sample is None else sample.size, focus, dtype)
    cached = _passes.get(s)
    if cached is not None and cached[0] == key and cached[1].net is s.net:
        return cached[1]
    assert isinstance(s.net, Network)
    gp = GridPass(s.net, s.grid_inputs(r), sample, focus, dtype)
    _passes[s] = (key, gp)
    return gp


def _details(s: Session) -> dict[str, Any]:
    grads = None
    if len(s.y_train):
        s.net.backprop(s.F_train, s.trainer.Y)
        grads = [(dW.copy(), db.copy()) for dW, db in s.net.grads]
    return {"gradients": grads, "metrics": views.metrics(s), "population": s.population()}


def _common(s: Session, r: int) -> dict[str, Any]:
    return {
        **views.progress(s),
        "resolution": r,
        "domain": [list(d) for d in s.spec.domain],
        "outputs": s.net.sizes[-1],
        "params": [(W.copy(), b.copy()) for W, b in s.net.params],
        "dead": s.net.dead_links() if isinstance(s.net, TfpModel) else None,
        "line": views.raw_line(s),
    }


def snapshot_steps(s: Session, resolution: int | None = None) -> Steps:
    """``views.snapshot`` in pieces: ``maps (outputs + neurons, R^d)`` in float64."""
    r = resolution or s.config["resolution"]
    if isinstance(s.net, Network):
        gp = _grid_pass(s, r, None, None, np.float64)
        yield from gp.steps()
        maps = np.concatenate([gp.output, gp.neurons])
    else:
        acts = s.net.activations(s.grid_inputs(r))
        maps = np.concatenate([acts[-1].T, *(a.T for a in acts[:-1])])
        yield
    details = _details(s)
    return {**_common(s, r), "maps": maps, **details}


def drawn_steps(
    s: Session, size: int, focus: int | None, details: bool, resolution: int | None = None
) -> Steps:
    """The snapshot a page that sent its view gets, in pieces (see the module docstring):
    ``drawn`` holds ``output (outputs, R^d)``, ``neurons (neurons, side^d)`` with ``side =
    min(size, R)`` for 2-D data (``R`` for 1-D), ``focus (R^d,)`` or None (``focus`` is an
    index among the hidden neurons; out of range means none) and ``side``. Without
    ``details``, ``gradients``, ``metrics`` and ``population`` are None."""
    r = resolution or s.config["resolution"]
    two_d = len(s.spec.domain) == 2
    side = min(size, r) if two_d else r
    sample = sample_points(r, side) if two_d else np.arange(r)
    neurons = sum(s.net.sizes[1:-1])
    focus = focus if focus is not None and 0 <= focus < neurons else None
    if isinstance(s.net, Network):
        gp = _grid_pass(s, r, sample, focus, np.float32)
        yield from gp.steps()
        if not gp.finite():  # float32 overflowed where float64 might not: once more
            gp = GridPass(s.net, s.grid_inputs(r), sample, focus, np.float64)
            yield from gp.steps()
        output, hidden, full = gp.output, gp.neurons, gp.focus_map
    else:
        acts = s.net.activations(s.grid_inputs(r))
        output = acts[-1].T.copy()  # the pass's buffers: training passes may reuse them
        H = np.concatenate([a.T for a in acts[:-1]], out=np.empty((neurons, len(acts[-1]))))
        hidden = H[:, sample]
        full = H[focus] if focus is not None else None
        yield
    drawn = {"output": output, "neurons": hidden, "focus": full, "side": side}
    extra = _details(s) if details else {"gradients": None, "metrics": None, "population": None}
    return {**_common(s, r), "drawn": drawn, **extra}
