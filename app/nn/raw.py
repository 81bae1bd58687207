"""NumPy functions called without their ``__array_function__`` dispatch.

``np.dot`` first calls a Python dispatcher that looks for overrides among its arguments;
on the few-by-few arrays of a mini-batch that is half the call's cost. The training loops
only ever pass float64 ndarrays, so they call the function behind it (NumPy ≥ 1.25 names it
``_implementation``; the dispatching one stands in where it does not). Same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

dot: Callable[..., Any] = getattr(np.dot, "_implementation", np.dot)
