"""An objective with the paths of runs on it: :func:`contour`, :func:`curve` and
:func:`surface`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import MinimizeResult
from ._common import _axes, _check_axes, _label, _positive_int, _results
from ._objective import Bounds, ObjectiveLike, _grid, _objective, _title


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

    ``objective`` is a name, an Objective or a callable (see the notes of :mod:`fastgd.plot`);
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

    ``objective`` is a name, an Objective or a callable (see the notes of :mod:`fastgd.plot`).
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
