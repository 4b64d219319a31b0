"""One-feature least squares: the data with each fit's line (:func:`regression`) and
the cost J(w, b) with each fit's (coef, intercept) path (:func:`regression_contour`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import FitResult
from ._common import _axes, _check_axes, _fit_label, _labels, _positive_int


def _one_feature(X: Any, y: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
    """X of one feature (n,) or (n, 1) and y (n,), as float64 vectors."""
    Xa = np.asarray(X, dtype=np.float64)
    if Xa.ndim == 2 and Xa.shape[1] == 1:
        Xa = Xa[:, 0]
    if Xa.ndim != 1:
        raise ValueError(f"{what} draws data with one feature; X has shape {np.shape(X)}")
    if Xa.size == 0:
        raise ValueError(f"X is empty: {what} draws at least one data point")
    ya = np.asarray(y, dtype=np.float64)
    if ya.shape != Xa.shape:
        raise ValueError(f"y must have one value per row of X ({Xa.size}), got shape {ya.shape}")
    if not (np.all(np.isfinite(Xa)) and np.all(np.isfinite(ya))):
        raise ValueError(f"X and y must be finite: {what} cannot draw NaN or inf")
    return Xa, ya


def regression(
    X: Any,
    y: Any,
    fits: FitResult | Sequence[FitResult] = (),
    *,
    exact: tuple[Any, float] | None = None,
    ax: Any = None,
    labels: Sequence[str] | None = None,
    max_points: int = 2000,
) -> Any:
    """Data with one feature as points, the line of each fit, and the analytic
    solution ``exact = (coef, intercept)`` (from ``normal_equations(X, y,
    fit_intercept=True)``) dashed. At most ``max_points`` points are drawn (an even
    subsample). Returns the Axes."""
    Xa, ya = _one_feature(X, y, "regression")
    items = [fits] if isinstance(fits, FitResult) else list(fits)
    if not all(isinstance(r, FitResult) and r.coef.shape == (1,) for r in items):
        raise TypeError("fits must be FitResults of one-feature fits (fit_least_squares)")
    names = _labels(labels, len(items))
    _check_axes(ax)
    ax = _axes(ax)
    every = max(1, Xa.size // max(1, max_points))
    ax.plot(Xa[::every], ya[::every], "o", markersize=3, alpha=0.35, color="gray", label="data")
    xs = np.array([Xa.min(), Xa.max()])
    for r, name in zip(items, names, strict=False):
        ax.plot(xs, r.coef[0] * xs + r.intercept, linewidth=1.8, label=name or _fit_label(r))
    if exact is not None:
        coef, intercept = exact
        slope = float(np.ravel(coef)[0])
        ax.plot(
            xs,
            slope * xs + float(intercept),
            "--",
            color="black",
            linewidth=1.5,
            label=f"analytic: y = {slope:.3g} x + {float(intercept):.3g}",
        )
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(loc="best", fontsize="small")
    return ax


def _cost(
    x: np.ndarray, y: np.ndarray
) -> tuple[Callable[[np.ndarray, np.ndarray], np.ndarray], float, float, float]:
    """J(w, b) = mean((w x + b - y)^2) of one-feature data, its minimiser (w*, b*)
    and minimum J*. In centred form, J = var(x) (w - w*)^2 + (w mean(x) + b -
    mean(y))^2 + J*, which stays exact near the minimum where expanding the square
    would cancel."""
    mx, my = float(x.mean()), float(y.mean())
    u, v = x - mx, y - my
    suu, suv, svv = float(u @ u) / x.size, float(u @ v) / x.size, float(v @ v) / x.size
    w_star = suv / suu if suu > 0 else 0.0  # one distinct x: any w, take 0
    j_star = max(svv - w_star * suv, 0.0)
    b_star = my - w_star * mx

    def J(W: np.ndarray, B: np.ndarray) -> np.ndarray:
        return suu * (W - w_star) ** 2 + (W * mx + B - my) ** 2 + j_star

    return J, w_star, b_star, j_star


def _fit_path(r: Any) -> np.ndarray:
    """A fit's (coef, intercept) path as (rows, 2), checked."""
    path = getattr(r, "path", None)
    if path is None or np.size(path) == 0:  # record=False keeps an empty path
        raise ValueError(
            "a fit has no (coef, intercept) path: fit with record=True (FitResult.path)"
        )
    p = np.asarray(path, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] == 0 or p.shape[1] != 2:
        raise ValueError(
            "regression_contour draws one-feature fits: each path must have shape (rows, 2) "
            f"(coef, intercept), got {p.shape}"
        )
    return p


def regression_contour(
    X: Any,
    y: Any,
    fits: Any = (),
    *,
    ax: Any = None,
    labels: Sequence[str] | None = None,
    levels: int = 25,
    resolution: int = 200,
) -> Any:
    r"""The lecture's cost surface of a one-feature regression,
    :math:`J(w, b) = \frac1n \sum_i (w x_i + b - y_i)^2` (the mean squared error
    that :func:`fastgd.fit_least_squares` minimises, without its l2 term), as
    contour lines over (w, b), with the (coef, intercept) path of each fit: start
    (o), end (x) and the least-squares minimum (*).

    ``fits`` are FitResults recorded with ``record=True`` (their ``path``: rows of
    (coef, intercept), the start first). The window covers the minimum and every
    finite point of the paths. Levels are spaced logarithmically above the minimum,
    so the narrow valley of a badly scaled feature shows. Returns the Axes."""
    xa, ya = _one_feature(X, y, "regression_contour")
    if isinstance(fits, FitResult) or hasattr(fits, "path"):
        items = [fits]
    else:
        try:
            items = list(fits)
        except TypeError:
            raise TypeError(
                f"fits must be a FitResult or a sequence of them, got {type(fits).__name__}"
            ) from None
    for r in items:
        if not (isinstance(r, FitResult) or hasattr(r, "path")):
            raise TypeError(
                "fits must be FitResults of one-feature fits (fit_least_squares with "
                f"record=True), got {type(r).__name__}"
            )
    paths = [_fit_path(r) for r in items]
    names = _labels(labels, len(items))
    levels = _positive_int(levels, "levels", 2)
    resolution = _positive_int(resolution, "resolution", 2)
    _check_axes(ax)
    J, w_star, b_star, j_star = _cost(xa, ya)
    points = np.vstack([[[w_star, b_star]], *(p[np.all(np.isfinite(p), axis=1)] for p in paths)])
    lo, hi = points.min(axis=0), points.max(axis=0)
    span = hi - lo
    pad = 0.15 * np.where(span > 0, span, np.maximum(1.0, np.abs(hi)))
    lo, hi = lo - pad, hi + pad
    W, B = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    Z = J(W, B)
    ax = _axes(ax)
    top = float(Z.max()) - j_star
    floor = max(top * 1e-6, 1e-12 * max(1.0, j_star))
    if top > floor:
        ax.contour(
            W,
            B,
            Z,
            levels=j_star + np.geomspace(floor, top, levels),
            cmap="viridis",
            linewidths=0.8,
        )
    for r, p, name in zip(items, paths, names, strict=True):
        line = ax.plot(
            p[:, 0], p[:, 1], ".-", markersize=3, linewidth=1.2, label=name or _fit_label(r)
        )[0]
        ax.plot(p[0, 0], p[0, 1], "o", color=line.get_color(), markersize=6)
        ax.plot(p[-1, 0], p[-1, 1], "x", color=line.get_color(), markersize=8, mew=2)
    ax.plot(
        [w_star],
        [b_star],
        "*",
        color="red",
        markersize=12,
        linestyle="none",
        label=f"minimum: w = {w_star:.3g}, b = {b_star:.3g}",
    )
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("w (coef)")
    ax.set_ylabel("b (intercept)")
    ax.set_title(r"$J(w, b) = \frac{1}{n}\sum_i (w x_i + b - y_i)^2$")
    ax.legend(loc="best", fontsize="small")
    return ax
