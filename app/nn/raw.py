"""NumPy functions called without their ``__array_function__`` dispatch.

``np.dot`` and ``np.copyto`` first call a Python dispatcher that looks for overrides among
their arguments; on the few-by-few arrays of a mini-batch that is half a call's cost. The
training loops only ever pass float64 ndarrays, so they call the function behind it (NumPy
≥ 1.25 names it ``_implementation``; the dispatching one stands in where it does not). Same
numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

dot: Callable[..., Any] = getattr(np.dot, "_implementation", np.dot)
copyto: Callable[..., Any] = getattr(np.copyto, "_implementation", np.copyto)
