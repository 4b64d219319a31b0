"""minimize's ``bounds``, as scipy takes them: a sequence of (low, high) pairs, one per
coordinate of x (flattened), with None for no bound, or a ``scipy.optimize.Bounds``."""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import numpy as np


class Box(NamedTuple):
    """Lower and upper bounds per coordinate of the flattened x (±inf: none)."""

    lower: np.ndarray
    upper: np.ndarray

    def contains(self, x: np.ndarray) -> bool:
        return bool(np.all(x >= self.lower) and np.all(x <= self.upper))


def _bound_side(values: Any, d: int, side: str, unbounded: float) -> np.ndarray:
    try:
        raw = np.array(values, dtype=object)
        flat = [unbounded if b is None else b for b in raw.reshape(-1)]
        arr: np.ndarray = np.array(flat, dtype=np.float64).reshape(raw.shape)
    except (TypeError, ValueError):
        raise TypeError(
            f"bounds: the {side} bounds must be numbers, None or ±inf, got {values!r}"
        ) from None
    if arr.ndim == 0:
        arr = np.full(d, float(arr))
    if arr.shape != (d,):
        raise ValueError(
            f"bounds: {arr.size} {side} bounds for x of {d} coordinates; give one per coordinate"
        )
    if np.isnan(arr).any():
        raise ValueError(
            f"bounds: the {side} bound of coordinate {int(np.flatnonzero(np.isnan(arr))[0])} "
            "is NaN; use None or ±inf for no bound"
        )
    return arr


def _is_scipy_bounds(bounds: Any) -> bool:
    return type(bounds).__name__ == "Bounds" and hasattr(bounds, "lb") and hasattr(bounds, "ub")


def box(bounds: Any, d: int) -> Box | None:
    """The bounds as a Box over d coordinates, or None when there are none (every
    coordinate unbounded). Low > high is refused, naming the coordinate."""
    if bounds is None:
        return None
    if _is_scipy_bounds(bounds):
        lower = _bound_side(bounds.lb, d, "lower", -np.inf)
        upper = _bound_side(bounds.ub, d, "upper", np.inf)
    else:
        if isinstance(bounds, (str, bytes, dict)):
            raise TypeError(
                "bounds must be a sequence of (low, high) pairs or scipy.optimize.Bounds, "
                f"got {type(bounds).__name__}"
            )
        try:
            pairs = list(bounds)
        except TypeError:
            raise TypeError(
                "bounds must be a sequence of (low, high) pairs or scipy.optimize.Bounds, "
                f"got {type(bounds).__name__}"
            ) from None
        if len(pairs) != d:
            raise ValueError(
                f"bounds has {len(pairs)} (low, high) pairs for x of {d} coordinates; "
                "give one pair per coordinate (None for no bound)"
            )
        for i, pair in enumerate(pairs):
            if isinstance(pair, (str, bytes)) or np.ndim(pair) != 1 or len(pair) != 2:
                raise ValueError(f"bounds[{i}] must be a (low, high) pair, got {pair!r}")
        lower = _bound_side([p[0] for p in pairs], d, "lower", -np.inf)
        upper = _bound_side([p[1] for p in pairs], d, "upper", np.inf)
    bad = np.flatnonzero(lower > upper)
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"bounds: coordinate {i} has low {lower[i]:g} > high {upper[i]:g} "
            f"({bad.size} coordinates have low > high)"
        )
    if np.all(lower == -np.inf) and np.all(upper == np.inf):
        return None
    return Box(lower, upper)


def start_inside(x0: np.ndarray, bounds: Box, stacklevel: int) -> np.ndarray:
    """x0 (flat) projected into the box, with a warning when it was outside (scipy's
    L-BFGS-B projects it too)."""
    inside = np.clip(x0, bounds.lower, bounds.upper)
    moved = np.flatnonzero(inside != x0)
    if moved.size:
        warnings.warn(
            f"x0 is outside the bounds in {moved.size} coordinates (the first: coordinate "
            f"{int(moved[0])}, {x0[moved[0]]:g} not in [{bounds.lower[moved[0]]:g}, "
            f"{bounds.upper[moved[0]]:g}]); starting from its projection into the box",
            UserWarning,
            stacklevel=stacklevel + 1,
        )
    return inside
