"""Finite-difference gradients of a Python objective, as scipy's approx_derivative
takes them: "2-point" (forward, h = sqrt(eps) max(1, |x|)) or "3-point" (central,
h = eps^(1/3) max(1, |x|)), stepping inward at a bound. Compiled objectives have the
same schemes in C++ (finite_differences.hpp)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._bounds import Box

SCHEMES = ("2-point", "3-point")

_EPS = float(np.finfo(np.float64).eps)


def gradient(
    value: Callable[[np.ndarray], float],
    x: np.ndarray,
    f0: float,
    scheme: str,
    box: Box | None,
) -> tuple[np.ndarray, int]:
    """The gradient of ``value`` at the flat point x (where it is f0) and the number
    of evaluations it took (d for "2-point", 2d for "3-point")."""
    d = x.size
    lower = np.full(d, -np.inf) if box is None else box.lower
    upper = np.full(d, np.inf) if box is None else box.upper
    scale = np.maximum(1.0, np.abs(x))
    if scheme == "2-point":
        h = np.sqrt(_EPS) * scale
        h = np.where(x + h > upper, -h, h)  # backward where forward leaves the box
        h = (x + h) - x  # a step x + h represents exactly
        return (_values_along_axes(value, x, h) - f0) / h, d
    h = _EPS ** (1 / 3) * scale
    central = (x - h >= lower) & (x + h <= upper)
    # One-sided 3-point where a central step leaves the box: inward, 2h deep.
    sign = np.where(x + 2 * h <= upper, 1.0, -1.0)
    first = np.where(central, h, sign * h)
    second = np.where(central, -h, 2 * sign * h)
    first = (x + first) - x
    second = (x + second) - x
    f1 = _values_along_axes(value, x, first)
    f2 = _values_along_axes(value, x, second)
    grad = np.where(
        central,
        (f1 - f2) / (first - second),
        (-3.0 * f0 + 4.0 * f1 - f2) / (2.0 * first),
    )
    return grad, 2 * d


def _values_along_axes(
    value: Callable[[np.ndarray], float], x: np.ndarray, h: np.ndarray
) -> np.ndarray:
    """value(x + h_j e_j) for each j: a fresh point per call (the objective may keep
    it), never a d x d matrix of them."""
    out = np.empty(x.size)
    for j in range(x.size):
        p = x.copy()
        p[j] += h[j]
        out[j] = value(p)
    return out
