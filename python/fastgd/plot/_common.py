"""What every picture shares: the Axes to draw on, the checks of results and of
integer options, and the legend labels of runs and fits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import MinimizeResult


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


def _positive_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _labels(labels: Sequence[str] | None, count: int) -> list[str | None]:
    if labels is None:
        return [None] * count
    out = list(labels)
    if len(out) != count or not all(isinstance(s, str) for s in out):
        raise ValueError(f"labels must be {count} strings, one per result, got {labels!r}")
    return list(out)
