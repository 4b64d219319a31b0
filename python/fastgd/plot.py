"""Pictures of descent (matplotlib, the ``plot`` extra; imported only when used).

Every function takes ``ax=None`` and returns what it drew on: with ``ax=None`` it
makes a new Figure without pyplot, so nothing leaks into pyplot's global state and
it works headless. Pass an Axes to compose several pictures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .linear_regression import FitResult
from .minimize import MinimizeResult, SweepResult
from .objectives import Objective, get


def _axes(ax: Any, projection: str | None = None) -> Any:
    if ax is not None:
        return ax
    try:
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("fastgd.plot needs matplotlib: pip install 'fastgd[plot]'") from None
    fig = Figure(figsize=(6.4, 4.8), layout="constrained")
    return fig.add_subplot(projection=projection)


def _results(results: MinimizeResult | Sequence[MinimizeResult]) -> list[MinimizeResult]:
    items = [results] if isinstance(results, MinimizeResult) else list(results)
    if not all(isinstance(r, MinimizeResult) for r in items):
        raise TypeError("results must be a MinimizeResult or a sequence of them")
    for r in items:
        if r.path.size == 0:
            raise ValueError("a result has no path: run minimize with record=True")
    return items


def _label(r: MinimizeResult) -> str:
    return f"{r.optimizer} ({r.status}, {r.nit} steps)"


def _grid(f: Objective, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if f.dim not in (2, None):
        raise ValueError(
            f"{f.name} is {f.dim}-dimensional; contour and surface plots need 2 dimensions"
        )
    (x0, x1), (y0, y1) = f.bounds[0], f.bounds[1]
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    X, Y = np.meshgrid(xs, ys)
    Z = np.array([[f.value([a, b]) for a, b in zip(row_x, row_y)] for row_x, row_y in zip(X, Y)])
    return X, Y, Z


def contour(
    objective: str | Objective,
    results: MinimizeResult | Sequence[MinimizeResult] = (),
    ax: Any = None,
    levels: int = 30,
    resolution: int = 200,
    log_levels: bool | None = None,
) -> Any:
    """Contour lines of a 2-D objective with the paths of one or more runs: a start
    marker (o), an end marker (x) and the known minima (*). Returns the Axes."""
    f = get(objective)
    X, Y, Z = _grid(f, resolution)
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
    for r in _results(results):
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
    (x0, x1), (y0, y1) = f.bounds[0], f.bounds[1]
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel(r"$\theta_1$")
    ax.set_ylabel(r"$\theta_2$")
    ax.set_title(f"{f.name}: {f.doc}" if len(f.doc) < 60 else f.name)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize="small")
    return ax


def losses(
    results: MinimizeResult | FitResult | Sequence[MinimizeResult | FitResult],
    ax: Any = None,
    log: bool = True,
) -> Any:
    """The objective against the step (minimize) or epoch (fits), on a log scale
    when every value is positive. Returns the Axes."""
    items = [results] if isinstance(results, (MinimizeResult, FitResult)) else list(results)
    ax = _axes(ax)
    positive = True
    for r in items:
        if isinstance(r, MinimizeResult):
            values, label, unit = r.losses, _label(r), "step"
        elif isinstance(r, FitResult):
            values, label, unit = (
                r.losses,
                f"{r.optimizer} ({r.status}, {r.n_iter} epochs)",
                "epoch",
            )
        else:
            raise TypeError(f"results must be MinimizeResult or FitResult, got {type(r).__name__}")
        if values.size == 0:
            raise ValueError("a result has no losses: run it with record=True")
        positive &= bool(np.all(values > 0))
        ax.plot(np.arange(values.size), values, label=label)
    if log and positive:
        ax.set_yscale("log")
    ax.set_xlabel(unit)
    ax.set_ylabel("loss")
    ax.legend(loc="best", fontsize="small")
    return ax


def curve(
    objective: str | Objective,
    result: MinimizeResult,
    ax: Any = None,
    tangents: int = 5,
    resolution: int = 400,
) -> Any:
    """A 1-D objective with the iterates of one run on it and the tangent lines at
    the first few, as the lecture's 1-D visualiser shows them. Returns the Axes."""
    f = get(objective)
    r = _results(result)[0]
    if r.path.shape[1] != 1:
        raise ValueError(f"curve draws 1-D runs; this path has {r.path.shape[1]} coordinates")
    lo, hi = f.bounds[0]
    lo, hi = min(lo, float(r.path.min())), max(hi, float(r.path.max()))
    xs = np.linspace(lo, hi, resolution)
    ax = _axes(ax)
    ax.plot(xs, [f.value([x]) for x in xs], color="black", linewidth=1.5, label=f.name)
    pts = r.path[:, 0]
    ax.plot(pts, r.losses, "o-", markersize=4, linewidth=0.8, color="tab:blue", label=_label(r))
    half = (hi - lo) / 10
    for x, fx in zip(pts[:tangents], r.losses[:tangents]):
        slope = float(f.grad([x])[0])
        ax.plot(
            [x - half, x + half],
            [fx - slope * half, fx + slope * half],
            color="tab:orange",
            linewidth=1,
        )
    ax.set_xlabel(r"$\theta$")
    ax.set_ylabel(r"$J(\theta)$")
    ax.legend(loc="best", fontsize="small")
    return ax


def surface(
    objective: str | Objective,
    results: MinimizeResult | Sequence[MinimizeResult] = (),
    ax: Any = None,
    resolution: int = 80,
) -> Any:
    """The 2-D objective as a 3-D surface with each run's path drawn on it.
    Returns the (3-D) Axes."""
    f = get(objective)
    X, Y, Z = _grid(f, resolution)
    ax = _axes(ax, projection="3d")
    ax.plot_surface(X, Y, Z, cmap="viridis", alpha=0.6, linewidth=0, antialiased=True)
    for r in _results(results):
        ax.plot(
            r.path[:, 0], r.path[:, 1], r.losses, ".-", markersize=2, linewidth=1.5, label=_label(r)
        )
    ax.set_xlabel(r"$\theta_1$")
    ax.set_ylabel(r"$\theta_2$")
    ax.set_zlabel(r"$J(\theta)$")
    ax.set_title(f.name)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", fontsize="small")
    return ax


def animate(
    objective: str | Objective,
    results: MinimizeResult | Sequence[MinimizeResult],
    path: str,
    frames: int = 60,
    fps: int = 15,
    resolution: int = 150,
) -> str:
    """Write an animation of several runs racing on one surface: a GIF (Pillow), or
    an MP4 when ``path`` ends in .mp4 and ffmpeg is available. Each frame shows every
    run up to the same step. Returns the path written."""
    from matplotlib import animation
    from matplotlib.figure import Figure

    items = _results(results)
    if not isinstance(path, str) or not path.lower().endswith((".gif", ".mp4")):
        raise ValueError(f"path must end in .gif or .mp4, got {path!r}")
    if frames < 2:
        raise ValueError(f"frames must be >= 2, got {frames}")
    fig = Figure(figsize=(6.4, 4.8), layout="constrained")
    ax = fig.add_subplot()
    contour(objective, (), ax=ax, resolution=resolution)
    longest = max(len(r.path) for r in items)
    steps = np.unique(np.linspace(1, longest, frames).astype(int))
    lines = [ax.plot([], [], ".-", markersize=2, linewidth=1.5, label=_label(r))[0] for r in items]
    heads = [ax.plot([], [], "o", color=line.get_color(), markersize=6)[0] for line in lines]
    ax.legend(loc="best", fontsize="small")

    def draw(k: int) -> list[Any]:
        for r, line, head in zip(items, lines, heads):
            upto = min(k, len(r.path))
            line.set_data(r.path[:upto, 0], r.path[:upto, 1])
            head.set_data([r.path[upto - 1, 0]], [r.path[upto - 1, 1]])
        ax.set_title(f"step {k - 1}")
        return lines + heads

    movie = animation.FuncAnimation(fig, draw, frames=steps, blit=False)
    writer: Any
    if path.lower().endswith(".mp4"):
        if not animation.FFMpegWriter.isAvailable():
            raise RuntimeError("writing .mp4 needs ffmpeg on PATH; write a .gif instead")
        writer = animation.FFMpegWriter(fps=fps)
    else:
        writer = animation.PillowWriter(fps=fps)
    movie.save(path, writer=writer)
    return path


def sweep(result: SweepResult, ax: Any = None) -> Any:
    """Final value against the learning rate (log-log where positive), with the runs
    that diverged marked by red crosses along the top. Returns the Axes."""
    if not isinstance(result, SweepResult):
        raise TypeError(
            f"result must be a SweepResult from fastgd.sweep_lr, got {type(result).__name__}"
        )
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
