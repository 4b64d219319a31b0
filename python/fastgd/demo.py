"""The demo: the lecture end to end, as pictures and two tables.

``python -m fastgd demo [--out DIR]`` runs every scene below, writes its pictures to
DIR (PNGs and GIFs, when matplotlib is installed) and prints the linear-regression
table and a table of every descent run it drew.
"""

from __future__ import annotations

import functools
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from . import (
    SGD,
    Adagrad,
    Adam,
    DivergenceWarning,
    FitResult,
    MinimizeResult,
    Optimizer,
    RMSprop,
    fit_least_squares,
    fit_linear,
    minimize,
    normal_equations,
    objectives,
    race,
    sweep_lr,
)

DPI = 80  # small files: the README shows the committed copies

FILES = (
    "gd_1d.png",
    "gd_surfaces.png",
    "momentum.png",
    "regression.png",
    "classification.png",
    "local_minima.png",
    "divergence.png",
    "race_beale.gif",
    "race_beale.png",
    "race_rosenbrock.gif",
    "race_rosenbrock.png",
    "race_saddle.gif",
    "race_saddle.png",
    "lr_sweep.png",
)
"""Every file the demo writes (with matplotlib installed)."""


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def regression_table(
    *, n: int = 200_000, d: int = 10, seed: int = 0, out: TextIO | None = None
) -> list[dict[str, Any]]:
    """Fit one synthetic data set by every descent method and print how each compares
    with the analytic least-squares solution. Returns the table's rows."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 2.0, d)
    w_true = rng.standard_normal(d)
    y = X @ w_true + 3.0 + 0.5 * rng.standard_normal(n)

    (coef, intercept), t_exact = _timed(lambda: normal_equations(X, y, fit_intercept=True))
    exact_mse = float(np.mean((X @ coef + intercept - y) ** 2))

    methods: list[tuple[str, dict[str, Any]]] = [
        ("GD (lr=1/L, Gram form)", dict(optimizer="gd", lr="auto", gradient="gram")),
        ("GD (lr=1/L, streaming X)", dict(optimizer="gd", lr="auto", gradient="stream")),
        ("momentum (beta=0.9)", dict(optimizer="momentum", lr="auto", momentum=0.9)),
        ("Nesterov (beta=0.9)", dict(optimizer="nesterov", lr="auto", momentum=0.9)),
        ("SGD, mini-batch 32", dict(optimizer="sgd", lr="auto", batch_size=32, max_iter=20)),
        ("SGD, single sample", dict(optimizer="sgd", lr="auto", batch_size=1, max_iter=20)),
    ]
    rows: list[dict[str, Any]] = [
        dict(
            method="normal equations (analytic)",
            epochs="-",
            status="exact",
            mse=exact_mse,
            coef_err=0.0,
            icpt_err=0.0,
            ms=1e3 * t_exact,
        )
    ]
    for label, kw in methods:
        kw.setdefault("max_iter", 2000)
        fit, t = _timed(
            functools.partial(fit_least_squares, X, y, tol=1e-8, random_state=seed, **kw)
        )
        assert isinstance(fit, FitResult)
        rows.append(
            dict(
                method=label,
                epochs=fit.n_iter,
                status=fit.status,
                mse=float(fit.losses[-1]),
                coef_err=float(np.abs(fit.coef - coef).max()),
                icpt_err=abs(fit.intercept - intercept),
                ms=1e3 * t,
            )
        )

    lines = [
        f"Linear regression, n={n:,} samples, d={d} features, y = X w + 3 + noise",
        "",
        f"{'method':<30} {'epochs':>7} {'status':>10} {'MSE':>10} {'max|w-w*|':>10} {'|b-b*|':>9} {'time ms':>9}",
    ]
    for r in rows:
        lines.append(
            f"{r['method']:<30} {r['epochs']!s:>7} {r['status']:>10} {r['mse']:>10.5f} "
            f"{r['coef_err']:>10.2e} {r['icpt_err']:>9.2e} {r['ms']:>9.1f}"
        )
    lines += [
        "",
        "w* and b* are the analytic solution; SGD with a constant step hovers near it",
        "(its error shrinks with the learning rate), full-batch methods converge to it.",
    ]
    print("\n".join(lines), file=out)
    return rows


# --- the descent scenes -------------------------------------------------------------


@dataclass
class Run:
    """One descent run of a scene: a row of the demo's summary table."""

    picture: str
    result: MinimizeResult
    lr: float | None  # None: a line-search method (lbfgs), which takes no learning rate

    def row(self) -> str:
        r = self.result
        start = ", ".join(f"{v:.3g}" for v in r.path[0])
        x = ", ".join(f"{v:.3g}" for v in r.x)
        f = objectives.get(r.objective)
        minima = f.minima_at(r.x.size)
        near = (
            f"{min(float(np.linalg.norm(r.x - m)) for m in minima):.1e}"
            if minima and r.status != "diverged"
            else "-"
        )
        return (
            f"{self.picture:<18} {r.objective:<16} {r.optimizer:<9} "
            f"{'-' if self.lr is None else format(self.lr, '.3g'):>7} "
            f"{'(' + start + ')':<16} {r.status:<9} {r.nit:>5} {r.fun:>11.4g} "
            f"{'(' + x + ')':<22} {near:>8}"
        )


HEADER = (
    f"{'picture':<18} {'objective':<16} {'optimizer':<9} {'lr':>7} {'start':<16} "
    f"{'status':<9} {'steps':>5} {'final f':>11} {'final x':<22} {'to min':>8}"
)


def _figure(cols: int, rows: int = 1) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(4.2 * cols, 3.6 * rows), layout="constrained")


def _panels(cols: int) -> tuple[Any, list[Any]]:
    """A figure with one row of ``cols`` plain Axes."""
    fig = _figure(cols)
    return fig, list(fig.subplots(1, cols, squeeze=False)[0])


def _save(fig: Any, out: Path, name: str) -> Path:
    """Save as PNG, in 256 colours when Pillow is there (a third of the size)."""
    import io

    path = out / name
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=DPI, format="png")
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with the plot extra
        path.write_bytes(buffer.getvalue())
        return path
    with Image.open(buffer) as im:
        im.convert("RGB").quantize(colors=256).save(path, optimize=True)
    return path


class Scenes:
    """The lecture's pictures, one method per file; each returns the runs it drew."""

    def __init__(self, out: Path, draw: bool):
        self.out = out
        self.draw = draw
        self.files: list[Path] = []

    def _keep(self, fig: Any, name: str) -> None:
        self.files.append(_save(fig, self.out, name))

    def gd_1d(self) -> list[Run]:
        """GD on a 1-D parabola with a small and a large step, and a start that ends in a
        local minimum; the curve, the iterates and their tangent lines."""
        cases = [
            ("sphere", -4.0, 0.1, "lr = 0.1: steady steps downhill"),
            ("sphere", -4.0, 0.85, "lr = 0.85: overshoots, zig-zags in"),
            ("styblinski_tang", 4.5, 0.02, "a start that ends in a local minimum"),
        ]
        runs = [
            Run("gd_1d.png", minimize(name, [x0], optimizer="gd", lr=lr, max_iter=40, tol=1e-8), lr)
            for name, x0, lr, _ in cases
        ]
        if self.draw:
            from . import plot

            fig, axes = _panels(3)
            for ax, run, (_, _, _, title) in zip(axes, runs, cases, strict=False):
                plot.curve(run.result.objective, run.result, ax=ax, tangents=3)
                ax.set_title(title, fontsize="medium")
            fig.suptitle("Gradient descent in one dimension: theta <- theta - lr J'(theta)")
            self._keep(fig, "gd_1d.png")
        return runs

    def lecture_surfaces(self) -> list[Run]:
        """GD on the lecture's bowl, cos_valley and egg_crate: surfaces above, contours below."""
        cases = [("bowl", [1.8, 1.2]), ("cos_valley", [0.4, 1.8]), ("egg_crate", [0.5, 2.9])]
        runs = [
            Run("gd_surfaces.png", minimize(name, x0, optimizer="gd", lr=0.1, max_iter=300), 0.1)
            for name, x0 in cases
        ]
        if self.draw:
            from . import plot

            fig = _figure(3, 2)
            for k, run in enumerate(runs):
                name = run.result.objective
                plot.surface(name, run.result, ax=fig.add_subplot(2, 3, k + 1, projection="3d"))
                plot.contour(name, run.result, ax=fig.add_subplot(2, 3, k + 4))
            fig.suptitle("Gradient descent (lr = 0.1) on the lecture's surfaces")
            self._keep(fig, "gd_surfaces.png")
        return runs

    def momentum(self) -> list[Run]:
        """A long narrow valley: GD zig-zags across it, momentum and Nesterov run along it."""
        x0 = [-1.8, 0.9]
        # GD's step is near its limit 2/L = 0.02, so it zig-zags across the valley;
        # momentum's smaller step gathers speed along it.
        specs = [("gd", 0.019), ("momentum", 0.005), ("nesterov", 0.005)]
        # Stop when the gradient test passes (grtol): momentum's velocity turns around
        # at the end of each swing, so a short step alone (tol) can end it far from the
        # bottom, as "stalled". momentum and nesterov take their default beta, 0.9.
        results = [
            minimize(
                "narrow_valley",
                x0,
                optimizer=name,
                lr=lr,
                max_iter=300,
                tol=1e-6,
                grtol=1e-6,
            )
            for name, lr in specs
        ]
        runs = [Run("momentum.png", r, lr) for r, (_, lr) in zip(results, specs, strict=False)]
        if self.draw:
            from . import plot

            fig, axes = _panels(2)
            plot.contour("narrow_valley", results, ax=axes[0])
            plot.losses(results, ax=axes[1])
            axes[1].set_title("the value per step")
            self._keep(fig, "momentum.png")
        return runs

    def regression(self, seed: int) -> list[FitResult]:
        """Linear regression of one feature by GD, SGD and momentum beside the normal
        equations: the fitted lines over the data, the lecture's J(w, b) contour with
        each fit's (coef, intercept) path, and the loss per epoch."""
        rng = np.random.default_rng(seed)
        x = rng.uniform(0.0, 10.0, 100)
        y = 2.5 * x + 4.0 + 2.0 * rng.standard_normal(100)
        X = x[:, None]
        specs: list[tuple[str, dict[str, Any]]] = [
            ("GD", dict(optimizer="gd", max_iter=1000)),
            ("SGD, one sample", dict(optimizer="sgd", batch_size=1, max_iter=30)),
            ("momentum", dict(optimizer="momentum", max_iter=1000)),
        ]
        fits = [
            fit_least_squares(X, y, lr="auto", tol=1e-8, random_state=seed, **kw) for _, kw in specs
        ]
        labels = [
            f"{label} lr={f.lr:.3g} ({f.status}, {f.n_iter} epochs)"
            for (label, _), f in zip(specs, fits, strict=False)
        ]
        if self.draw:
            self._keep(regression_picture(X, y, fits, labels=labels), "regression.png")
        return fits

    def classification(self, seed: int) -> list[FitResult]:
        """Logistic regression of two overlapping Gaussian blobs by full-batch GD and
        by SGD on mini-batches of 8: each fit's decision boundary x . w + b = 0 moving
        over the epochs (fading from early to late), and the loss per epoch of both."""
        X, y = two_blobs(seed)
        specs: list[tuple[str, dict[str, Any]]] = [
            ("GD, full batch", dict(optimizer="gd", max_iter=1000)),
            ("SGD, batches of 8", dict(optimizer="sgd", batch_size=8, max_iter=30)),
        ]
        fits = [
            fit_linear(
                X, y, loss="log_loss", lr="auto", tol=1e-8, random_state=seed, record=True, **kw
            )
            for _, kw in specs
        ]
        labels = [
            f"{label} lr={f.lr:.3g} ({f.status}, {f.n_iter} epochs)"
            for (label, _), f in zip(specs, fits, strict=False)
        ]
        if self.draw:
            self._keep(classification_picture(X, y, fits, labels=labels), "classification.png")
        return fits

    def local_minima(self) -> list[Run]:
        """Several starts on egg_crate and himmelblau: where GD ends depends on where it
        starts (and a start on egg_crate's peak at the origin, where the gradient is
        zero, never moves)."""
        cases: list[tuple[str, list[list[float]], float]] = [
            ("egg_crate", [[-3.0, 3.0], [0.3, -0.4], [-2.5, -0.5], [2.0, 0.2], [0.0, 0.0]], 0.1),
            ("himmelblau", [[0.0, 0.0], [-1.0, 1.5], [-1.0, -1.0], [1.5, -4.5], [-4.5, 4.5]], 0.01),
        ]
        runs = []
        for name, starts, lr in cases:
            results = race(name, starts, ["gd"], lr=lr, max_iter=500, tol=1e-8)
            runs += [Run("local_minima.png", r, lr) for r in results]
        if self.draw:
            from . import plot

            fig, axes = _panels(2)
            for ax, (name, _, _) in zip(axes, cases, strict=False):
                drawn = [r.result for r in runs if r.result.objective == name]
                plot.contour(name, drawn, ax=ax)
                ax.get_legend().remove()
                ax.set_title(f"{name}: {len(drawn)} starts, GD", fontsize="medium")
            fig.suptitle("Local minima: the start decides the end (o start, x end, * minima)")
            self._keep(fig, "local_minima.png")
        return runs

    def divergence(self) -> list[Run]:
        """Runaway: the dome has no minimum, and on the bowl a step above 2/L overshoots
        further every time; both end "diverged", never NaN."""
        dome = minimize("dome", [0.2, 0.1], optimizer="gd", lr=0.1, max_iter=500)
        bowl = minimize("bowl", [1.5, 1.0], optimizer="gd", lr=1.05, max_iter=500)
        runs = [Run("divergence.png", dome, 0.1), Run("divergence.png", bowl, 1.05)]
        if self.draw:
            from . import plot

            fig, axes = _panels(3)
            plot.contour("dome", dome, ax=axes[0])
            axes[0].set_title("dome: unbounded below", fontsize="medium")
            plot.contour("bowl", bowl, ax=axes[1])
            axes[1].set_title("bowl, lr = 1.05 > 2/L = 1", fontsize="medium")
            for run, label in zip(runs, ["dome", "bowl, lr = 1.05"], strict=False):
                r = run.result
                axes[2].semilogy(np.linalg.norm(r.path, axis=1), label=f"{label} ({r.status})")
            axes[2].set_xlabel("step")
            axes[2].set_ylabel(r"$\|\theta\|$")
            axes[2].set_title("the iterates run away geometrically", fontsize="medium")
            axes[2].legend(fontsize="small")
            self._keep(fig, "divergence.png")
        return runs

    def optimizer_race(
        self,
        name: str,
        x0: Sequence[float],
        opts: Sequence[Optimizer | str],
        max_iter: int,
        bounds: Any = None,
    ) -> list[Run]:
        """Optimizers (instances, or "lbfgs" and the other line-search methods) from one
        start: a GIF of the race and a still of where each ended, with its values."""
        results = race(name, x0, opts, max_iter=max_iter, tol=1e-10)
        runs = [
            Run(f"race_{name}.gif", r, None if isinstance(o, str) else o.lr)
            for r, o in zip(results, opts, strict=False)
        ]
        if self.draw:
            from . import plot

            self.files.append(
                Path(
                    plot.animate(
                        name,
                        results,
                        str(self.out / f"race_{name}.gif"),
                        frames=50,
                        fps=12,
                        resolution=120,
                        dpi=DPI,
                        bounds=bounds,
                    )
                )
            )
            fig, axes = _panels(2)
            plot.contour(name, results, ax=axes[0], bounds=bounds)
            axes[0].get_legend().remove()  # the same entries as the losses' legend
            plot.losses(results, ax=axes[1])
            self._keep(fig, f"race_{name}.png")
        return runs

    def lr_sweep(self) -> list[Run]:
        """GD on the narrow valley over learning rates 1e-3 .. 0.05: the final value falls
        as the rate grows, until 2/L = 0.02, where every run diverges."""
        lrs = np.geomspace(1e-3, 0.05, 24)
        result = sweep_lr("narrow_valley", [-1.8, 0.9], lrs, optimizer="gd", max_iter=100)
        if self.draw:
            from . import plot

            fig, axes = _panels(1)
            plot.sweep(result, ax=axes[0])
            axes[0].axvline(0.02, color="gray", linestyle=":", label="2/L = 0.02")
            axes[0].legend(fontsize="small")
            axes[0].set_title("narrow_valley, GD, 100 steps", fontsize="medium")
            self._keep(fig, "lr_sweep.png")
        picks = [0, len(lrs) // 2, len(lrs) - 1]
        return [Run("lr_sweep.png", result.results[k], float(lrs[k])) for k in picks]


def regression_picture(X: Any, y: Any, fits: Sequence[FitResult], *, labels: Sequence[str]) -> Any:
    """The regression scene's figure: the data with each fit's line and the analytic
    one; the J(w, b) contour with each fit's (coef, intercept) path when the fits
    carry one (``FitResult.path``, recorded with ``record=True``); the loss per
    epoch. Returns the Figure (drawn without pyplot)."""
    from . import plot

    with_paths = all(getattr(f, "path", None) is not None for f in fits)
    fig, axes = _panels(3 if with_paths else 2)
    exact = normal_equations(X, y, fit_intercept=True)
    plot.regression(X, y, fits, exact=exact, ax=axes[0], labels=labels)
    axes[0].set_title("least squares: y = w x + b")
    if with_paths:
        plot.regression_contour(X, y, fits, ax=axes[1], labels=labels)
        axes[1].get_legend().remove()  # the same entries as the other two legends
        axes[1].set_title(
            "J(w, b) and each fit's path (o start, x end, * minimum)", fontsize="medium"
        )
    plot.losses(fits, ax=axes[-1], labels=labels)
    axes[-1].set_ylabel("mean squared error")
    return fig


def two_blobs(seed: int, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """The classification scene's data: n points of two features, half of class 0
    around (-1, 0) and half of class 1 around (1, 0), both spread along the diagonal
    (covariance [[2, 1.6], [1.6, 2]]), shuffled; seeded. The classes overlap (the log
    loss has a finite minimum), and the best boundary runs along the diagonal, far
    from the first step's direction (the difference of the means): the boundary
    turns as the descent goes on."""
    rng = np.random.default_rng(seed)
    half = n // 2
    centres = np.array([[-1.0, 0.0], [1.0, 0.0]])
    spread = np.linalg.cholesky(np.array([[2.0, 1.6], [1.6, 2.0]]))
    y = np.repeat([0, 1], [half, n - half])
    X = centres[y] + rng.standard_normal((n, 2)) @ spread.T
    order = rng.permutation(n)
    return X[order], y[order]


def classification_picture(
    X: Any, y: Any, fits: Sequence[FitResult], *, labels: Sequence[str]
) -> Any:
    """The classification scene's figure: one panel per fit with the points and its
    decision boundary at several epochs of its path (``plot.decision_boundary``),
    and the loss per epoch of every fit. Returns the Figure (drawn without pyplot)."""
    from . import plot

    fig, axes = _panels(len(fits) + 1)
    for ax, fit, label in zip(axes, fits, labels, strict=False):
        plot.decision_boundary(X, y, fit, ax=ax, labels=[label])
        ax.set_title(label.split(" lr=")[0] + ": the boundary over the epochs", fontsize="medium")
    plot.losses(fits, ax=axes[-1], labels=labels)
    axes[-1].set_ylabel("mean log loss")
    fig.suptitle("Logistic regression: x . w + b = 0 moves as GD and SGD descend")
    return fig


def _racers(scale: float) -> list[Optimizer]:
    return [
        SGD(lr=scale),
        SGD(lr=scale, momentum=0.9),
        SGD(lr=scale, momentum=0.9, nesterov=True),
        Adagrad(lr=0.5),
        RMSprop(lr=0.01),
        Adam(lr=0.05),
    ]


def run(
    out_dir: str | Path = "fastgd-demo",
    *,
    n: int = 200_000,
    d: int = 10,
    seed: int = 0,
    stream: TextIO | None = None,
    progress: TextIO | None = None,
) -> list[Path]:
    """Run the demo: print the tables to ``stream``, one progress line per scene to
    ``progress``, and write the pictures to ``out_dir`` (created if missing) when
    matplotlib is installed. Returns the files written."""
    try:
        import matplotlib  # noqa: F401

        draw = True
    except ImportError:
        draw = False
    out = Path(out_dir)
    if draw:
        out.mkdir(parents=True, exist_ok=True)
    scenes = Scenes(out, draw)
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("GD in one dimension", scenes.gd_1d),
        ("GD on the lecture's surfaces", scenes.lecture_surfaces),
        ("momentum in a narrow valley", scenes.momentum),
        ("linear regression, one feature", lambda: scenes.regression(seed)),
        ("classification, two features", lambda: scenes.classification(seed)),
        ("local minima", scenes.local_minima),
        ("divergence", scenes.divergence),
        (
            "race on beale",
            lambda: scenes.optimizer_race(
                "beale", [1.0, 1.5], _racers(1e-3), 2000, bounds=((-0.5, 4.0), (-1.0, 2.0))
            ),
        ),
        (
            "race on rosenbrock, with lbfgs",
            lambda: scenes.optimizer_race(
                "rosenbrock",
                [-1.2, 1.0],
                [SGD(lr=1e-3), SGD(lr=1e-3, momentum=0.9), Adam(lr=0.02), "lbfgs"],
                5000,
                bounds=((-2.0, 2.0), (-1.0, 3.0)),
            ),
        ),
        (
            "race on saddle",
            lambda: scenes.optimizer_race("saddle", [-1.9, 1e-3], _racers(0.01), 300),
        ),
        ("learning-rate sweep", scenes.lr_sweep),
    ]
    runs: list[Run] = []
    start = time.perf_counter()
    for k, (label, scene) in enumerate(steps, 1):
        before = len(scenes.files)
        with warnings.catch_warnings():  # the demo shows divergence on purpose
            warnings.simplefilter("ignore", DivergenceWarning)
            made, seconds = _timed(scene)
        runs += [r for r in made if isinstance(r, Run)]
        wrote = ", ".join(p.name for p in scenes.files[before:]) or "no pictures"
        print(
            f"[{k}/{len(steps) + 1}] {label:<32} {seconds:5.1f} s  {wrote}",
            file=progress,
            flush=True,
        )
    _, seconds = _timed(lambda: regression_table(n=n, d=d, seed=seed, out=stream))
    print(
        f"[{len(steps) + 1}/{len(steps) + 1}] {'linear regression, the table':<32} "
        f"{seconds:5.1f} s",
        file=progress,
        flush=True,
    )
    print(file=stream)
    print("Descent runs drawn in the pictures", file=stream)
    print(file=stream)
    print(HEADER, file=stream)
    for r in runs:
        print(r.row(), file=stream)
    total = time.perf_counter() - start
    if draw:
        names = ", ".join(p.name for p in scenes.files)
        print(f"\nwrote {len(scenes.files)} files to {out}/ in {total:.1f} s: {names}", file=stream)
    else:
        print(
            "\nno pictures: matplotlib is not installed (pip install 'fastgd[plot]')", file=stream
        )
    return scenes.files
