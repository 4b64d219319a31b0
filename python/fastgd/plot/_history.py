"""Values against time or against the learning rate: :func:`losses` (per step or
epoch) and :func:`sweep` (the final value per lr)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import FitResult, MinimizeResult, SweepResult
from ._common import _axes, _check_axes, _fit_label, _label, _labels


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
