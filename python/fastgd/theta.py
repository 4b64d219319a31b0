"""theta = [coef, intercept]: the one packing of a linear model's parameters that the
C++ fits step (the intercept last, present only when it is fitted)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["pack", "unpack"]


def pack(
    coef: np.ndarray, intercept: float, fit_intercept: bool, dtype: np.dtype[Any]
) -> np.ndarray:
    """[coef, intercept] in dtype (coef alone without an intercept); a new array."""
    w = np.asarray(coef).astype(dtype)
    return np.append(w, dtype.type(intercept)) if fit_intercept else w


def unpack(theta: np.ndarray, d: int, fit_intercept: bool) -> tuple[np.ndarray, float]:
    """(a copy of coef, intercept) from theta (intercept 0.0 when not fitted)."""
    return theta[:d].copy(), float(theta[d]) if fit_intercept else 0.0
