"""Pictures of descent (matplotlib, the ``plot`` extra; imported only when used).

Every function returns what it drew on (an Axes; ``animate`` the path written).

- ``ax=None`` (the default): the figure is made through pyplot
  (``plt.figure()``), as pandas and seaborn make theirs, so the picture shows in a
  notebook and with ``plt.show()``. Close it with ``plt.close(ax.figure)`` when done.
- ``ax=`` an Axes: the picture is drawn on it and pyplot is never imported. Build the
  Axes from ``matplotlib.figure.Figure().add_subplot()`` to draw on a server or in a
  thread (pyplot's global state is neither), or to compose several pictures.

The objective of :func:`contour`, :func:`surface`, :func:`curve` and :func:`animate`
is a registered name, an Objective, or a Python callable, as :func:`fastgd.minimize`
takes one: ``x -> (value, grad)`` (a tuple) or ``x -> value``; where a picture needs
a gradient (the tangents of :func:`curve`) and the callable gives none, central
differences stand in. A callable has no plot window of its own: pass ``bounds=``,
one ``(low, high)`` pair per dimension, e.g. ``bounds=((-2, 2), (-1, 3))``.

Legends name each run's optimizer and learning rate, its status and step count,
e.g. ``adam lr=0.05 (converged, 120 steps)`` (the lr where the result carries one).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import FitResult, MinimizeResult, SweepResult
from .objectives import Objective, get

__all__ = [
    "animate",
    "contour",
    "curve",
    "losses",
    "regression",
    "regression_contour",
    "surface",
    "sweep",
]


def __dir__() -> list[str]:
    # The pictures only: the imports plot works with (np, re, Any, ...) stay
    # importable but out of dir() and tab completion.
    return sorted(__all__)


ObjectiveLike = str | Objective | Callable[[np.ndarray], Any]
"""What the pictures of an objective take: a registered name, an Objective, or a
callable ``x -> (value, grad)`` or ``x -> value`` (with ``bounds=``)."""

Bounds = Sequence[Sequence[float]]


def _axes(ax: Any, projection: str | None = None) -> Any:
    """``ax`` itself, or a new Axes on a pyplot figure (shown by ``plt.show()`` and by
    notebooks) when it is None. Called after every check, so a refused call leaves
    no figure behind in pyplot."""
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("fastgd.plot needs matplotlib: pip install 'fastgd[plot]'") from None
    fig = plt.figure(figsize=(6.4, 4.8), layout="constrained")
    return fig.add_subplot(projection=projection)


def _check_axes(ax: Any, projection: str | None = None) -> None:
    """``ax`` is None or a matplotlib Axes (a 3-D one for ``projection="3d"``)."""
    if ax is None:
        return
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        raise TypeError(
            f"ax must be a matplotlib Axes or None (a new pyplot figure), got {type(ax).__name__}"
        )
    if projection == "3d" and getattr(ax, "name", "") != "3d":
        raise ValueError(
            "ax must be a 3-D Axes for a surface: fig.add_subplot(projection='3d'), "
            f"got a {getattr(ax, 'name', '?')!r} Axes"
        )


def _results(
    results: MinimizeResult | Sequence[MinimizeResult], dim: int | None = None, what: str = ""
) -> list[MinimizeResult]:
    """The results as a list, each with a recorded path of ``dim`` coordinates."""
    if isinstance(results, MinimizeResult):
        items = [results]
    else:
        try:
            items = list(results)
        except TypeError:
            raise TypeError(
                f"results must be a MinimizeResult or a sequence of them, got {type(results).__name__}"
            ) from None
    if not all(isinstance(r, MinimizeResult) for r in items):
        raise TypeError("results must be a MinimizeResult or a sequence of them")
    for r in items:
        path = np.asarray(r.path)
        if path.size == 0:
            raise ValueError("a result has no path: run minimize with record=True")
        if path.ndim != 2:
            raise ValueError(f"a result's path must be 2-D (steps, d), got shape {path.shape}")
        if dim is not None and path.shape[1] != dim:
            raise ValueError(
                f"{what} draws {dim}-D runs; the {r.optimizer} run on {r.objective} is "
                f"{path.shape[1]}-dimensional"
            )
    return items


def _lr_text(result: Any) -> str:
    """`` lr=0.05`` for a result that carries its learning rate (a schedule by its
    kind and start), else nothing."""
    lr = getattr(result, "lr", None)
    if lr is None:
        return ""
    if isinstance(lr, (int, float, np.integer, np.floating)) and not isinstance(lr, bool):
        return f" lr={float(lr):g}"
    kind, lr0 = getattr(lr, "kind", None), getattr(lr, "lr0", None)
    if isinstance(kind, str) and isinstance(lr0, (int, float)):
        return f" lr={kind}({lr0:g})"
    return f" lr={lr}"


def _name(r: MinimizeResult) -> str:
    """A run while it runs: the optimizer and its learning rate."""
    return f"{r.optimizer}{_lr_text(r)}"


def _label(r: MinimizeResult) -> str:
    """A run that has ended: ``adam lr=0.05 (converged, 120 steps)``."""
    return f"{_name(r)} ({r.status}, {r.nit} steps)"


def _fit_label(r: Any) -> str:
    return f"{r.optimizer}{_lr_text(r)} ({r.status}, {r.n_iter} epochs)"


# --- the objective and its window ---------------------------------------------------


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


def _positive_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


# --- the pictures -------------------------------------------------------------------


def contour(
    objective: ObjectiveLike,
    results: MinimizeResult | Sequence[MinimizeResult] = (),
    *,
    ax: Any = None,
    levels: int = 30,
    resolution: int = 200,
    log_levels: bool | None = None,
    bounds: Bounds | None = None,
) -> Any:
    """Contour lines of a 2-D objective with the paths of one or more runs: a start
    marker (o), an end marker (x) and the known minima (*).

    ``objective`` is a name, an Objective or a callable (see the module's notes);
    ``bounds`` ((x0, x1), (y0, y1)) is the plot window (required for a callable,
    else it overrides the objective's). ``log_levels`` (default: when the values
    span more than 1e3 and the objective is known to be bounded below; a callable
    is not known to be, so pass ``log_levels=True`` for a steep one) spaces the
    levels logarithmically above the minimum. Returns the Axes."""
    f, window = _objective(objective, bounds, 2, "contour")
    runs = _results(results, 2, "contour")
    _check_axes(ax)
    resolution = _positive_int(resolution, "resolution", 2)
    X, Y, Z = _grid(f, window, resolution)
    ax = _axes(ax)
    finite = np.isfinite(Z) & (-np.inf < Z)
    z_min = float(Z[finite].min())
    if log_levels is None:
        log_levels = f.min_value > -np.inf and float(Z[finite].max()) - z_min > 1e3
    if log_levels:
        shifted = Z - z_min + 1e-3
        ax.contour(
            X,
            Y,
            shifted,
            levels=np.logspace(np.log10(shifted.min()), np.log10(shifted.max()), levels),
            cmap="viridis",
            linewidths=0.8,
        )
    else:
        ax.contour(X, Y, Z, levels=levels, cmap="viridis", linewidths=0.8)
    for r in runs:
        path = r.path
        line = ax.plot(path[:, 0], path[:, 1], ".-", markersize=2, linewidth=1.2, label=_label(r))[
            0
        ]
        ax.plot(path[0, 0], path[0, 1], "o", color=line.get_color(), markersize=6)
        ax.plot(path[-1, 0], path[-1, 1], "x", color=line.get_color(), markersize=8, mew=2)
    if f.minima:
        m = np.array(f.minima)
        ax.plot(
            m[:, 0],
            m[:, 1],
            "*",
            color="red",
            markersize=12,
            label="known minima",
            linestyle="none",
        )
    (x0, x1), (y0, y1) = window
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel(r"$\theta_1$")
    ax.set_ylabel(r"$\theta_2$")
    ax.set_title(_title(f))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize="small")
    return ax


def _labels(labels: Sequence[str] | None, count: int) -> list[str | None]:
    if labels is None:
        return [None] * count
    out = list(labels)
    if len(out) != count or not all(isinstance(s, str) for s in out):
        raise ValueError(f"labels must be {count} strings, one per result, got {labels!r}")
    return list(out)


def losses(
    results: MinimizeResult | FitResult | Sequence[MinimizeResult | FitResult],
    *,
    ax: Any = None,
    log: bool = True,
    labels: Sequence[str] | None = None,
) -> Any:
    """The objective against the step (minimize) or epoch (fits), on a log scale
    (symmetric log when some values are not positive; ``log=False``: linear).
    ``labels`` replaces the legend entries.
    Returns the Axes."""
    items = [results] if isinstance(results, (MinimizeResult, FitResult)) else list(results)
    if not items:
        raise ValueError("results is empty: give one or more MinimizeResult or FitResult")
    names = _labels(labels, len(items))
    series = []
    for r in items:
        if isinstance(r, MinimizeResult):
            series.append((r.losses, _label(r), "step"))
        elif isinstance(r, FitResult):
            series.append((r.losses, _fit_label(r), "epoch"))
        else:
            raise TypeError(f"results must be MinimizeResult or FitResult, got {type(r).__name__}")
        if r.losses.size == 0:
            raise ValueError("a result has no losses: run it with record=True")
    _check_axes(ax)
    ax = _axes(ax)
    positive = True
    for (values, label, _), name in zip(series, names, strict=True):
        positive &= bool(np.all(values > 0))
        ax.plot(np.arange(values.size), values, label=name or label)
    if log:
        # Log where every value is positive; else symmetric log, so an unbounded
        # descent (values to -1e12) does not flatten the rest into a line.
        if positive:
            ax.set_yscale("log")
        else:
            from matplotlib.ticker import SymmetricalLogLocator

            ax.set_yscale("symlog", linthresh=1.0)
            # A label every third decade: every decade crowds a range like -1e12 .. 1.
            ax.yaxis.set_major_locator(SymmetricalLogLocator(base=1000.0, linthresh=1.0))
    ax.set_xlabel(series[-1][2])
    ax.set_ylabel("loss")
    ax.legend(loc="best", fontsize="small")
    return ax


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


def curve(
    objective: ObjectiveLike,
    result: MinimizeResult,
    *,
    ax: Any = None,
    tangents: int = 5,
    resolution: int = 400,
    bounds: Bounds | tuple[float, float] | None = None,
) -> Any:
    """A 1-D objective with the iterates of one run on it and the tangent lines at
    the first few, as the lecture's 1-D visualiser shows them.

    ``objective`` is a name, an Objective or a callable (see the module's notes).
    ``bounds`` (low, high) is the window; without it, the objective's window widened
    to hold every iterate (a callable needs ``bounds``). Returns the Axes."""
    f, window = _objective(objective, bounds, 1, "curve")
    runs = _results(result, 1, "curve")
    if len(runs) != 1:
        raise ValueError(f"curve draws one run, got {len(runs)}")
    r = runs[0]
    tangents = _positive_int(tangents, "tangents", 0)
    resolution = _positive_int(resolution, "resolution", 2)
    _check_axes(ax)
    lo, hi = window[0]
    if bounds is None:
        lo, hi = min(lo, float(r.path.min())), max(hi, float(r.path.max()))
    xs = np.linspace(lo, hi, resolution)
    curve_values = f.values(xs[:, None])
    pts = r.path[:, 0]
    half = (hi - lo) / 10
    slopes = [float(f.grad([x])[0]) for x in pts[:tangents]]
    ax = _axes(ax)
    ax.plot(xs, curve_values, color="black", linewidth=1.5, label=f.name)
    ax.plot(pts, r.losses, "o-", markersize=4, linewidth=0.8, color="tab:blue", label=_label(r))
    for x, fx, slope in zip(pts, r.losses, slopes, strict=False):
        ax.plot(
            [x - half, x + half],
            [fx - slope * half, fx + slope * half],
            color="tab:orange",
            linewidth=1,
        )
    if bounds is not None:
        ax.set_xlim(lo, hi)
    ax.set_xlabel(r"$\theta$")
    ax.set_ylabel(r"$J(\theta)$")
    ax.legend(loc="best", fontsize="small")
    return ax


def surface(
    objective: ObjectiveLike,
    results: MinimizeResult | Sequence[MinimizeResult] = (),
    *,
    ax: Any = None,
    resolution: int = 80,
    bounds: Bounds | None = None,
) -> Any:
    """The 2-D objective as a 3-D surface with each run's path drawn on it.
    ``objective`` and ``bounds`` as in :func:`contour`; ``ax`` must be a 3-D Axes.
    Returns the (3-D) Axes."""
    f, window = _objective(objective, bounds, 2, "surface")
    runs = _results(results, 2, "surface")
    _check_axes(ax, "3d")
    resolution = _positive_int(resolution, "resolution", 2)
    X, Y, Z = _grid(f, window, resolution)
    ax = _axes(ax, projection="3d")
    ax.plot_surface(X, Y, Z, cmap="viridis", alpha=0.55, linewidth=0, antialiased=True, zorder=1)
    # mplot3d sorts artists by depth and would hide the paths under the surface:
    # draw in the order given instead, paths last.
    ax.computed_zorder = False
    for k, r in enumerate(runs):
        color = f"C{(k + 3) % 10}"  # red first: it stands out on viridis
        ax.plot(
            r.path[:, 0],
            r.path[:, 1],
            r.losses,
            ".-",
            color=color,
            markersize=3,
            linewidth=2,
            label=_label(r),
            zorder=10 + k,
        )
        ax.scatter(*r.path[0], r.losses[0], color=color, s=30, zorder=20 + k)
    ax.set_xlabel(r"$\theta_1$")
    ax.set_ylabel(r"$\theta_2$")
    ax.set_zlabel(r"$J(\theta)$")
    ax.set_title(f.name)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", fontsize="small")
    return ax


def animate(
    objective: ObjectiveLike,
    results: MinimizeResult | Sequence[MinimizeResult],
    path: str,
    *,
    frames: int = 60,
    fps: int = 15,
    resolution: int = 150,
    dpi: int = 100,
    bounds: Bounds | None = None,
) -> str:
    """Write an animation of several runs racing on one surface: a GIF (Pillow), or
    an MP4 when ``path`` ends in .mp4 and ffmpeg is available (on PATH, or from the
    imageio-ffmpeg package). Each frame shows every run up to the same step; the
    legend names each run's optimizer and lr, and adds its status and step count
    from the frame where the run ends. ``objective`` and ``bounds`` as in
    :func:`contour`. Draws on its own Figure, never through pyplot. Returns the path
    written."""
    f, window = _objective(objective, bounds, 2, "animate")
    items = _results(results, 2, "animate")
    if not items:
        raise ValueError("results is empty: animate draws at least one run")
    if not isinstance(path, str) or not path.lower().endswith((".gif", ".mp4")):
        raise ValueError(f"path must end in .gif or .mp4, got {path!r}")
    frames = _positive_int(frames, "frames", 2)
    fps = _positive_int(fps, "fps", 1)
    resolution = _positive_int(resolution, "resolution", 2)
    dpi = _positive_int(dpi, "dpi", 1)
    mp4 = path.lower().endswith(".mp4")
    ffmpeg = _ffmpeg() if mp4 else None
    if mp4 and ffmpeg is None:
        raise RuntimeError("writing .mp4 needs ffmpeg (on PATH, or pip install imageio-ffmpeg)")
    images = _race_frames(f, window, items, frames, resolution, dpi)
    if ffmpeg is not None:
        _write_mp4(images, path, fps, ffmpeg)
    else:
        _write_gif(images, path, fps)
    return path


def _race_frames(
    f: Objective,
    window: tuple[tuple[float, float], ...],
    items: list[MinimizeResult],
    frames: int,
    resolution: int,
    dpi: int,
) -> list[np.ndarray]:
    """RGB frames of the race. The contours are drawn once; each frame restores them
    and draws only the paths, the legend and the title (matplotlib's blitting), ~50x
    faster than a full redraw."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.6, 4.4), dpi=dpi, layout="constrained")
    canvas: Any = FigureCanvasAgg(fig)  # Any: parts of the Agg canvas are untyped
    ax = fig.add_subplot()
    contour(f, (), ax=ax, resolution=resolution, bounds=window)
    lines = [
        ax.plot([], [], ".-", markersize=2, linewidth=1.5, label=_label(r), animated=True)[0]
        for r in items
    ]
    heads = [
        ax.plot([], [], "o", color=line.get_color(), markersize=6, animated=True)[0]
        for line in lines
    ]
    legend = ax.get_legend()
    if legend is not None:  # contour's "known minima" goes in the figure legend
        legend.remove()
    handles, labels = ax.get_legend_handles_labels()
    runs_first = [handles.index(line) for line in lines]
    others = [k for k in range(len(handles)) if k not in runs_first]
    order = runs_first + others
    # Lay the figure out with the final, longest labels ...
    fig_legend = fig.legend(
        [handles[k] for k in order],
        [labels[k] for k in order],
        loc="outside right upper",
        fontsize="small",
    )
    ax.set_title("step 0000000")  # reserve the title's space in the layout
    canvas.draw()
    fig.set_layout_engine("none")  # keep the layout fixed from here on
    # ... then pin the legend's top-left corner there, so that the shorter labels of
    # runs still running keep it beside the axes, and redraw it in every frame.
    corner = fig.transFigure.inverted().transform(fig_legend.get_window_extent().corners()[1])
    fig_legend.set_loc("upper left")
    fig_legend.set_bbox_to_anchor(tuple(corner), transform=fig.transFigure)
    fig_legend.set_animated(True)
    texts = fig_legend.get_texts()[: len(items)]
    ax.title.set_animated(True)
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    lead = max(items, key=lambda r: len(r.path))  # the run whose steps the title counts
    longest = len(lead.path)
    images = []
    # No more frames than recorded rows: a huge `frames` asks for nothing extra.
    for k in np.unique(np.linspace(1, longest, min(frames, longest)).astype(int)):
        canvas.restore_region(background)
        for r, line, head, text in zip(items, lines, heads, texts, strict=True):
            upto = min(int(k), len(r.path))
            line.set_data(r.path[:upto, 0], r.path[:upto, 1])
            head.set_data([r.path[upto - 1, 0]], [r.path[upto - 1, 1]])
            # The status only once the run has ended in the animation.
            text.set_text(_label(r) if upto == len(r.path) else _name(r))
            ax.draw_artist(line)
            ax.draw_artist(head)
        fig.draw_artist(fig_legend)
        ax.set_title(f"step {_step(lead, int(k) - 1)}")
        ax.draw_artist(ax.title)
        canvas.blit(fig.bbox)
        images.append(np.asarray(canvas.buffer_rgba())[..., :3].copy())
    return images


def _step(r: MinimizeResult, row: int) -> int:
    """The step a recorded row shows: rows are x0, every record_every-th iterate and
    the last."""
    if row == len(r.path) - 1:
        return r.nit
    return row * max(1, r.record_every)


def _write_gif(images: list[np.ndarray], path: str, fps: int) -> None:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("writing a GIF needs Pillow: pip install 'fastgd[plot]'") from None
    # One palette (from the last, fullest frame) for all frames: unchanged pixels keep
    # their index, so Pillow stores only what changed between frames.
    palette = Image.fromarray(images[-1]).quantize(colors=128)
    frames = [Image.fromarray(im).quantize(palette=palette) for im in images]
    # Hold the last frame for a second so the end of the race can be seen.
    durations = [round(1000 / fps)] * (len(frames) - 1) + [1000]
    frames[0].save(
        path, save_all=True, append_images=frames[1:], duration=durations, loop=0, optimize=True
    )


def _ffmpeg() -> str | None:
    import shutil

    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg
    except ImportError:
        return None
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def _write_mp4(images: list[np.ndarray], path: str, fps: int, ffmpeg: str) -> None:
    import subprocess

    h, w = images[0].shape[:2]
    cmd = [ffmpeg, "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24"]
    cmd += ["-s", f"{w}x{h}", "-r", str(fps), "-i", "-"]
    # H.264 in yuv420p needs even sides; pad by a pixel where one is odd.
    cmd += ["-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-pix_fmt", "yuv420p", path]
    frames = b"".join(im.tobytes() for im in images)
    done = subprocess.run(cmd, input=frames, capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ffmpeg failed writing {path}: {done.stderr.decode(errors='replace')}")


def sweep(result: SweepResult, *, ax: Any = None) -> Any:
    """Final value against the learning rate (log-log where positive), with the runs
    that diverged marked by red crosses along the top. Returns the Axes."""
    if not isinstance(result, SweepResult):
        raise TypeError(
            f"result must be a SweepResult from fastgd.sweep_lr, got {type(result).__name__}"
        )
    _check_axes(ax)
    ax = _axes(ax)
    ok = ~result.diverged
    ax.plot(result.lrs[ok], result.final[ok], "o-", label="final value")
    ax.set_xscale("log")
    if np.all(result.final[ok] > 0):
        ax.set_yscale("log")
    if result.diverged.any():
        top = float(np.max(result.final[ok])) if ok.any() else 1.0
        ax.plot(
            result.lrs[result.diverged],
            np.full(int(result.diverged.sum()), top),
            "x",
            color="red",
            markersize=9,
            mew=2,
            linestyle="none",
            label="diverged",
        )
    ax.set_xlabel("learning rate")
    ax.set_ylabel("final value")
    ax.legend(loc="best", fontsize="small")
    return ax
