"""Run fastgd without its warnings: the explorer reports a run's status in the page,
so DivergenceWarning and StalledWarning would only fill the server's log."""

from __future__ import annotations

import math
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
    """A JSON-safe list (nested for a grid): JSON has no NaN or infinity, the page
    shows None as 'diverged' or leaves a grid cell blank."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim > 1:
        return [finite_or_none(row) for row in array]
    return [v if math.isfinite(v) else None for v in array.tolist()]
