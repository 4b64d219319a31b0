"""The 1-D view's requests: sample a typed f(x), and take gradient-descent steps on
it with ``fastgd.minimize`` (the page sends the current theta and learning rate, so
the rate may change between steps)."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import payload
from .formula import parse
from .limits import MAX_FORMULA_LENGTH, MAX_GRID, MAX_STEPS
from .quiet import finite_or_none, quietly

__all__ = ["curve", "step"]

RANGE = 1e6
"""The largest |x| the 1-D view takes (start, plot window)."""


def curve(body: dict[str, Any]) -> dict[str, Any]:
    """f and f' sampled on ``n`` points of [lo, hi], and the derivative as text."""
    formula = parse(payload.text(body, "formula", max_length=MAX_FORMULA_LENGTH))
    lo = payload.number(body, "lo", low=-RANGE, high=RANGE)
    hi = payload.number(body, "hi", low=-RANGE, high=RANGE)
    if not lo < hi:
        raise payload.BadRequest(f"lo must be below hi, got lo={lo:g}, hi={hi:g}")
    n = payload.integer(body, "n", low=2, high=MAX_GRID)
    xs = np.linspace(lo, hi, n)
    return {
        "x": xs.tolist(),
        "f": finite_or_none(formula.on_grid(xs)),
        "expression": str(formula.expression),
        "derivative": str(formula.gradient[0]),
    }


def step(body: dict[str, Any]) -> dict[str, Any]:
    """``steps`` gradient-descent steps of f from ``theta`` with rate ``lr``: exactly
    ``fastgd.minimize(f, [theta], method="gd", lr=lr, max_iter=steps, jac=True)``."""
    from .. import minimize

    formula = parse(payload.text(body, "formula", max_length=MAX_FORMULA_LENGTH))
    theta = payload.number(body, "theta", low=-RANGE, high=RANGE)
    lr = payload.number(body, "lr", positive=True, high=1e6)
    steps = payload.integer(body, "steps", low=1, high=MAX_STEPS)
    formula.require_finite_at([theta])
    try:
        result = quietly(
            lambda: minimize(
                formula.value_and_grad, [theta], method="gd", lr=lr, max_iter=steps, jac=True
            )
        )
    except ValueError as exc:  # not finite at theta, ...
        raise payload.BadRequest(str(exc)) from None
    path = result.path[:, 0]
    with np.errstate(all="ignore"):
        slopes = formula.derivative_on_grid(path)
    return {
        "theta": finite_or_none(path),
        "f": finite_or_none(result.losses),
        "df": finite_or_none(slopes),
        "status": result.status,
        "message": result.message,
        "nit": result.nit,
    }
