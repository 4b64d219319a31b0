"""Run fastgd without its warnings: the explorer reports a run's status in the page,
so DivergenceWarning and StalledWarning would only fill the server's log."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

__all__ = ["finite_or_none", "quietly"]

T = TypeVar("T")

# catch_warnings changes process-wide state: one run at a time changes it.
_LOCK = threading.Lock()


def quietly(run: Callable[[], T]) -> T:
    """``run()`` with fastgd's run-status warnings silenced (others still raise)."""
    from .._warnings import DivergenceWarning, StalledWarning

    with _LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        warnings.simplefilter("ignore", StalledWarning)
        return run()


def finite_or_none(values: np.ndarray) -> list[Any]:
    """A JSON-safe (nested) list of the array's shape: JSON has no NaN or infinity,
    the page shows None as 'diverged' or 'undefined'."""
    array = np.asarray(values, dtype=np.float64)
    out = array.astype(object)  # Python floats, and room for None
    out[~np.isfinite(array)] = None
    result: list[Any] = out.tolist()
    return result
