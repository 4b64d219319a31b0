"""Pictures of descent (matplotlib, the ``plot`` extra; imported only when used).

Every function takes ``ax=None`` and returns what it drew on: with ``ax=None`` it
makes a new Figure without pyplot, so nothing leaks into pyplot's global state and
it works headless. Pass an Axes to compose several pictures.
"""

from __future__ import annotations

import re
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


def _label(r: MinimizeResult) -> str:
    return f"{r.optimizer} ({r.status}, {r.nit} steps)"


def _window(f: Objective, bounds: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    """The plot window: ``bounds`` ((x0, x1), (y0, y1)) when given, else the objective's."""
    if bounds is None:
        return (f.bounds[0], f.bounds[1])
    b = np.asarray(bounds, dtype=np.float64)
    if b.shape != (2, 2) or not np.all(np.isfinite(b)) or not np.all(b[:, 0] < b[:, 1]):
        raise ValueError(
            f"bounds must be ((x0, x1), (y0, y1)) with x0 < x1, y0 < y1, got {bounds!r}"
        )
    return ((float(b[0, 0]), float(b[0, 1])), (float(b[1, 0]), float(b[1, 1])))


def _grid(
    f: Objective, resolution: int, bounds: Any = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if f.dim not in (2, None):
        raise ValueError(
            f"{f.name} is {f.dim}-dimensional; contour and surface plots need 2 dimensions"
        )
    (x0, x1), (y0, y1) = _window(f, bounds)
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    X, Y = np.meshgrid(xs, ys)
    Z = f.values(np.column_stack([X.ravel(), Y.ravel()])).reshape(X.shape)
    return X, Y, Z


def _title(f: Objective) -> str:
    """The name and the formula, without its trailing remark, when it is short."""
    formula = re.sub(r" \([a-z][^()]*\)$", "", f.doc)
    return f"{f.name}: {formula}" if formula and len(formula) <= 40 else f.name


def contour(
    objective: str | Objective,
    results: MinimizeResult | Sequence[MinimizeResult] = (),
    ax: Any = None,
    levels: int = 30,
    resolution: int = 200,
    log_levels: bool | None = None,
    bounds: Any = None,
) -> Any:
    """Contour lines of a 2-D objective with the paths of one or more runs: a start
    marker (o), an end marker (x) and the known minima (*). ``bounds`` ((x0, x1),
    (y0, y1)) overrides the objective's plot window. Returns the Axes."""
    f = get(objective)
    runs = _results(results, 2, "contour")
    X, Y, Z = _grid(f, resolution, bounds)
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
    (x0, x1), (y0, y1) = _window(f, bounds)
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
    ax = _axes(ax)
    positive = True
    for r, name in zip(items, names, strict=False):
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
    ax.set_xlabel(unit)
    ax.set_ylabel("loss")
    ax.legend(loc="best", fontsize="small")
    return ax


def regression(
    X: Any,
    y: Any,
    fits: FitResult | Sequence[FitResult] = (),
    exact: tuple[Any, float] | None = None,
    ax: Any = None,
    labels: Sequence[str] | None = None,
    max_points: int = 2000,
) -> Any:
    """Data with one feature as points, the line of each fit, and the analytic
    solution ``exact = (coef, intercept)`` (from ``normal_equations(X, y,
    fit_intercept=True)``) dashed. At most ``max_points`` points are drawn (an even
    subsample). Returns the Axes."""
    Xa = np.asarray(X, dtype=np.float64)
    if Xa.ndim == 2 and Xa.shape[1] == 1:
        Xa = Xa[:, 0]
    if Xa.ndim != 1:
        raise ValueError(f"regression draws data with one feature; X has shape {np.shape(X)}")
    if Xa.size == 0:
        raise ValueError("X is empty: regression draws at least one data point")
    ya = np.asarray(y, dtype=np.float64)
    if ya.shape != Xa.shape:
        raise ValueError(f"y must have one value per row of X ({Xa.size}), got shape {ya.shape}")
    items = [fits] if isinstance(fits, FitResult) else list(fits)
    if not all(isinstance(r, FitResult) and r.coef.shape == (1,) for r in items):
        raise TypeError("fits must be FitResults of one-feature fits (fit_least_squares)")
    names = _labels(labels, len(items))
    ax = _axes(ax)
    every = max(1, Xa.size // max(1, max_points))
    ax.plot(Xa[::every], ya[::every], "o", markersize=3, alpha=0.35, color="gray", label="data")
    xs = np.array([Xa.min(), Xa.max()])
    for r, name in zip(items, names, strict=False):
        label = name or f"{r.optimizer} ({r.status}, {r.n_iter} epochs)"
        ax.plot(xs, r.coef[0] * xs + r.intercept, linewidth=1.8, label=label)
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
    if f.dim not in (1, None):
        raise ValueError(f"curve draws a 1-D objective; {f.name} is {f.dim}-dimensional")
    runs = _results(result, 1, "curve")
    if len(runs) != 1:
        raise ValueError(f"curve draws one run, got {len(runs)}")
    r = runs[0]
    lo, hi = f.bounds[0]
    lo, hi = min(lo, float(r.path.min())), max(hi, float(r.path.max()))
    xs = np.linspace(lo, hi, resolution)
    ax = _axes(ax)
    ax.plot(xs, f.values(xs[:, None]), color="black", linewidth=1.5, label=f.name)
    pts = r.path[:, 0]
    ax.plot(pts, r.losses, "o-", markersize=4, linewidth=0.8, color="tab:blue", label=_label(r))
    half = (hi - lo) / 10
    for x, fx in zip(pts[:tangents], r.losses[:tangents], strict=False):
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
    runs = _results(results, 2, "surface")
    X, Y, Z = _grid(f, resolution)
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
    objective: str | Objective,
    results: MinimizeResult | Sequence[MinimizeResult],
    path: str,
    frames: int = 60,
    fps: int = 15,
    resolution: int = 150,
    dpi: int = 100,
    bounds: Any = None,
) -> str:
    """Write an animation of several runs racing on one surface: a GIF (Pillow), or
    an MP4 when ``path`` ends in .mp4 and ffmpeg is available (on PATH, or from the
    imageio-ffmpeg package). Each frame shows every run up to the same step;
    ``bounds`` as in :func:`contour`. Returns the path written."""
    items = _results(results, 2, "animate")
    if not items:
        raise ValueError("results is empty: animate draws at least one run")
    if not isinstance(path, str) or not path.lower().endswith((".gif", ".mp4")):
        raise ValueError(f"path must end in .gif or .mp4, got {path!r}")
    frames = _positive_int(frames, "frames", 2)
    fps = _positive_int(fps, "fps", 1)
    mp4 = path.lower().endswith(".mp4")
    ffmpeg = _ffmpeg() if mp4 else None
    if mp4 and ffmpeg is None:
        raise RuntimeError("writing .mp4 needs ffmpeg (on PATH, or pip install imageio-ffmpeg)")
    images = _race_frames(objective, items, frames, resolution, dpi, bounds)
    if ffmpeg is not None:
        _write_mp4(images, path, fps, ffmpeg)
    else:
        _write_gif(images, path, fps)
    return path


def _positive_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _race_frames(
    objective: str | Objective,
    items: list[MinimizeResult],
    frames: int,
    resolution: int,
    dpi: int,
    bounds: Any,
) -> list[np.ndarray]:
    """RGB frames of the race. The contours are drawn once; each frame restores them
    and draws only the paths (matplotlib's blitting), ~50x faster than a full redraw."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.6, 4.4), dpi=dpi, layout="constrained")
    canvas: Any = FigureCanvasAgg(fig)  # Any: parts of the Agg canvas are untyped
    ax = fig.add_subplot()
    contour(objective, (), ax=ax, resolution=resolution, bounds=bounds)
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
    fig.legend(loc="outside right upper", fontsize="small")
    ax.set_title("step 0000000")  # reserve the title's space in the layout
    canvas.draw()
    fig.set_layout_engine("none")  # keep the layout fixed from here on
    ax.title.set_animated(True)
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    lead = max(items, key=lambda r: len(r.path))  # the run whose steps the title counts
    longest = len(lead.path)
    images = []
    # No more frames than recorded rows: a huge `frames` asks for nothing extra.
    for k in np.unique(np.linspace(1, longest, min(frames, longest)).astype(int)):
        canvas.restore_region(background)
        for r, line, head in zip(items, lines, heads, strict=False):
            upto = min(int(k), len(r.path))
            line.set_data(r.path[:upto, 0], r.path[:upto, 1])
            head.set_data([r.path[upto - 1, 0]], [r.path[upto - 1, 1]])
            ax.draw_artist(line)
            ax.draw_artist(head)
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
