"""The linear-regression view's requests: points generated on a line with noise,
a fit of y = w x + b by ``fastgd.fit_least_squares`` (GD, SGD with a batch size,
momentum) from a given (w, b), the analytic line by ``fastgd.normal_equations``, and
the loss J(w, b) on a grid for its contour."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import payload
from .limits import MAX_GRID, MAX_POINTS, MAX_REGRESSION_EPOCHS
from .quiet import finite_or_none, quietly

__all__ = ["METHODS", "fit", "generate", "loss_grid"]

METHODS = ["gd", "sgd", "momentum"]
RANGE = 1e6
TRUE_SLOPE, TRUE_INTERCEPT = 1.5, -0.5
"""The line the generated points scatter around."""


def generate(body: dict[str, Any]) -> dict[str, Any]:
    """``n`` points x ~ U(-2, 2), y = 1.5 x - 0.5 + noise * N(0, 1), seeded."""
    n = payload.integer(body, "n", low=2, high=MAX_POINTS)
    noise = payload.number(body, "noise", low=0.0, high=100.0)
    seed = payload.integer(body, "seed", low=0, high=2**32 - 1, default=0)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, n)
    y = TRUE_SLOPE * x + TRUE_INTERCEPT + noise * rng.standard_normal(n)
    return {"x": x.tolist(), "y": y.tolist()}


def _points(body: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    x = np.array(payload.numbers(body, "x", max_length=MAX_POINTS))
    y = np.array(payload.numbers(body, "y", length=x.size))
    if x.size < 2:
        raise payload.BadRequest(f"give at least 2 points, got {x.size}")
    if np.abs(x).max() > RANGE or np.abs(y).max() > RANGE:
        raise payload.BadRequest(f"coordinates must be at most {RANGE:g} in size")
    return x, y


def fit(body: dict[str, Any]) -> dict[str, Any]:
    """``epochs`` epochs of ``fastgd.fit_least_squares`` on the points from (w0, b0),
    recorded: the (w, b) path, the loss J after each epoch, and the analytic line."""
    from .. import fit_least_squares, normal_equations

    x, y = _points(body)
    method = payload.choice(body, "method", METHODS)
    lr = payload.number(body, "lr", positive=True, high=1e6)
    epochs = payload.integer(body, "epochs", low=1, high=MAX_REGRESSION_EPOCHS)
    w0 = payload.number(body, "w0", low=-RANGE, high=RANGE)
    b0 = payload.number(body, "b0", low=-RANGE, high=RANGE)
    # None: fit_least_squares' default (0.9 for "momentum"); given with "gd" it is
    # refused there (a 400), never silently dropped.
    momentum = payload.optional_number(body, "momentum", low=0.0, high=0.999)
    seed = payload.integer(body, "seed", low=0, high=2**32 - 1, default=0)
    batch_size = None
    if method == "sgd":
        batch_size = payload.integer(body, "batch_size", low=1, high=MAX_POINTS)
    X = x.reshape(-1, 1)
    result = quietly(
        lambda: fit_least_squares(
            X,
            y,
            optimizer=method,
            lr=lr,
            batch_size=batch_size,
            max_iter=epochs,
            tol=None,
            momentum=momentum,
            random_state=seed,
            coef_init=[w0],
            intercept_init=b0,
            record=True,
        )
    )
    coef, intercept = normal_equations(X, y)
    return {
        "w": finite_or_none(result.path[:, 0]),
        "b": finite_or_none(result.path[:, 1]),
        "loss": finite_or_none(result.losses),
        "status": result.status,
        "message": result.message,
        "analytic": {"w": float(coef[0]), "b": float(intercept)},
    }


def loss_grid(body: dict[str, Any]) -> dict[str, Any]:
    """J(w, b) = mean((w x + b - y)^2) on an n x n grid of [w0, w1] x [b0, b1], from
    the points' moments (for the picture only)."""
    x, y = _points(body)
    w_lo, w_hi, b_lo, b_hi = payload.window(body, RANGE, ("w", "b"))
    n = payload.integer(body, "n", low=2, high=MAX_GRID)
    ws, bs = np.linspace(w_lo, w_hi, n), np.linspace(b_lo, b_hi, n)
    w, b = np.meshgrid(ws, bs)
    sxx, sx, sxy, sy, syy = (x * x).mean(), x.mean(), (x * y).mean(), y.mean(), (y * y).mean()
    j = w * w * sxx + 2 * w * b * sx + b * b - 2 * w * sxy - 2 * b * sy + syy
    return {"w": ws.tolist(), "b": bs.tolist(), "z": finite_or_none(j), "n": n}
