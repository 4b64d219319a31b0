"""The objective a picture draws and its plot window: a registered name, an Objective,
or a Python callable with ``bounds=``."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..objectives import Objective, get

ObjectiveLike = str | Objective | Callable[[np.ndarray], Any]
"""What the pictures of an objective take: a registered name, an Objective, or a
callable ``x -> (value, grad)`` or ``x -> value`` (with ``bounds=``)."""

Bounds = Sequence[Sequence[float]]


def _example_bounds(dim: int) -> str:
    return "((-2, 2),)" if dim == 1 else "((-2, 2), (-2, 2))"


def _window(bounds: Any, dim: int) -> tuple[tuple[float, float], ...]:
    """``bounds`` checked: ``dim`` pairs (low, high) of finite numbers, low < high (for
    one dimension a bare pair (low, high) too)."""
    expected = (
        "(low, high) or ((low, high),) with low < high"
        if dim == 1
        else "((x0, x1), (y0, y1)) with x0 < x1, y0 < y1"
    )
    try:
        b = np.asarray(bounds, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"bounds must be {expected}, got {bounds!r}") from None
    if dim == 1 and b.shape == (2,):
        b = b[None, :]
    if b.shape != (dim, 2) or not np.all(np.isfinite(b)) or not np.all(b[:, 0] < b[:, 1]):
        raise ValueError(f"bounds must be {expected}, got {bounds!r}")
    return tuple((float(lo), float(hi)) for lo, hi in b)


def _from_callable(
    fn: Callable[[np.ndarray], Any], window: tuple[tuple[float, float], ...]
) -> Objective:
    """An unregistered Objective for a callable: it is called once, at the window's
    centre, to learn whether it returns (value, grad) or a value."""
    name = getattr(fn, "__name__", "callable")
    centre = np.array([(lo + hi) / 2 for lo, hi in window])
    out = fn(centre)
    if isinstance(out, tuple):
        if len(out) != 2:
            raise TypeError(
                f"{name}: a callable objective returns a value or a tuple (value, grad), "
                f"got a tuple of {len(out)}"
            )

        def value(x: np.ndarray) -> Any:
            return fn(x)[0]

        def grad(x: np.ndarray) -> Any:
            return fn(x)[1]

        return Objective(name, value, grad, len(window), window, (), -math.inf, "")
    return Objective(name, fn, None, len(window), window, (), -math.inf, "")


def _objective(
    objective: ObjectiveLike, bounds: Any, dim: int, what: str
) -> tuple[Objective, tuple[tuple[float, float], ...]]:
    """The objective to draw and its plot window: ``bounds`` when given, else the
    registered objective's own (a callable has none: ``bounds`` is then required)."""
    if isinstance(objective, (str, Objective)):
        f = get(objective)
        if f.dim not in (dim, None):
            raise ValueError(
                f"{what} draws a 1-D objective; {f.name} is {f.dim}-dimensional"
                if dim == 1
                else f"{f.name} is {f.dim}-dimensional; contour and surface plots need 2 dimensions"
            )
        if bounds is None:
            return f, tuple(f.bounds[:dim])
        return f, _window(bounds, dim)
    if not callable(objective):
        raise TypeError(
            "objective must be a registered name, an Objective, or a callable "
            f"x -> (value, grad) or x -> value, got {type(objective).__name__}"
        )
    if bounds is None:
        raise ValueError(
            f"bounds is required with a callable objective: it has no plot window of its own. "
            f"Pass bounds={_example_bounds(dim)}, one (low, high) pair per dimension"
        )
    window = _window(bounds, dim)
    return _from_callable(objective, window), window


def _grid(
    f: Objective, window: tuple[tuple[float, float], ...], resolution: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    (x0, x1), (y0, y1) = window
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    X, Y = np.meshgrid(xs, ys)
    Z = f.values(np.column_stack([X.ravel(), Y.ravel()])).reshape(X.shape)
    return X, Y, Z


def _title(f: Objective) -> str:
    """The name and the formula, without its trailing remark, when it is short."""
    formula = re.sub(r" \([a-z][^()]*\)$", "", f.doc)
    return f"{f.name}: {formula}" if formula and len(formula) <= 40 else f.name
