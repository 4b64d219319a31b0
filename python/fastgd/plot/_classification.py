"""Two-feature binary classification: the points of both classes and each fit's
decision boundary x . w + b = 0 at several epochs of its path, fading from the
first to the last (:func:`decision_boundary`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import FitResult
from ._common import _axes, _check_axes, _fit_label, _labels, _positive_int


def _two_features(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X (n, 2) as float64, y (n,) and its two classes, checked."""
    Xa = np.asarray(X, dtype=np.float64)
    if Xa.ndim != 2 or Xa.shape[1] != 2:
        raise ValueError(
            f"decision_boundary draws data with two features; X has shape {np.shape(X)}"
        )
    if Xa.shape[0] == 0:
        raise ValueError("X is empty: decision_boundary draws at least one data point")
    if not np.all(np.isfinite(Xa)):
        raise ValueError("X must be finite: decision_boundary cannot draw NaN or inf")
    ya = np.asarray(y)
    if ya.shape != (Xa.shape[0],):
        raise ValueError(
            f"y must have one label per row of X ({Xa.shape[0]}), got shape {ya.shape}"
        )
    classes = np.unique(ya)
    if classes.size != 2:
        raise ValueError(
            f"decision_boundary draws binary classification: y must hold two classes, "
            f"got {classes.size}"
        )
    return Xa, ya, classes


def _fit_path(r: Any) -> np.ndarray:
    """A binary two-feature fit's path as (rows, 3): (w1, w2, b) after each epoch."""
    path = getattr(r, "path", None)
    if path is None or np.size(path) == 0:
        raise ValueError("a fit has no path: fit with record=True (FitResult.path)")
    p = np.asarray(path, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 3:
        raise ValueError(
            "decision_boundary draws binary fits of two features: each path must have shape "
            f"(rows, 3) (w1, w2, intercept), got {p.shape}"
        )
    return p


def boundary_segment(
    w: np.ndarray, b: float, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """The two end points (xs, ys) of the line w . x + b = 0 across the box [lo, hi],
    solved for the coordinate with the larger weight; None when w is 0 (no line) or
    not finite."""
    w1, w2 = float(w[0]), float(w[1])
    if not (np.isfinite(w1) and np.isfinite(w2) and np.isfinite(b)) or (w1 == 0 and w2 == 0):
        return None
    if abs(w2) >= abs(w1):
        xs = np.array([lo[0], hi[0]])
        return xs, -(w1 * xs + b) / w2
    ys = np.array([lo[1], hi[1]])
    return -(w2 * ys + b) / w1, ys


def _epoch_rows(rows: int, count: int) -> np.ndarray:
    """Up to ``count`` rows of a path of ``rows``, spaced evenly in log(1 + epoch)
    (the boundary moves most in the first epochs), the first and the last included."""
    last = rows - 1
    picks = np.expm1(np.linspace(0.0, np.log1p(last), min(count, rows))).round().astype(int)
    return np.unique(np.clip(picks, 0, last))


def decision_boundary(
    X: Any,
    y: Any,
    fits: FitResult | Sequence[FitResult] = (),
    *,
    epochs: int = 6,
    ax: Any = None,
    labels: Sequence[str] | None = None,
    max_points: int = 2000,
) -> Any:
    """Points of two features coloured by their class, and the decision boundary
    x . w + b = 0 of each binary fit at ``epochs`` epochs of its path (evenly spaced
    in log(1 + epoch), as the boundary moves most at first; the start and the last
    included; ``fastgd.fit_linear(..., record=True)``), fading from the first to the
    last, which is drawn solid and named in the legend. Epochs where
    w = 0 (the usual start) have no line. At most ``max_points`` points are drawn (an
    even subsample); the window is the data's. Returns the Axes."""
    Xa, ya, classes = _two_features(X, y)
    items = [fits] if isinstance(fits, FitResult) else list(fits)
    if not all(isinstance(r, FitResult) for r in items):
        raise TypeError("fits must be FitResults of binary two-feature fits (fit_linear)")
    paths = [_fit_path(r) for r in items]
    names = _labels(labels, len(items))
    epochs = _positive_int(epochs, "epochs", 1)
    _check_axes(ax)
    ax = _axes(ax)
    every = max(1, Xa.shape[0] // max(1, max_points))
    for c, marker, colour in zip(classes, ("o", "s"), ("tab:blue", "tab:orange"), strict=True):
        pts = Xa[::every][ya[::every] == c]
        ax.scatter(
            pts[:, 0], pts[:, 1], s=12, marker=marker, alpha=0.5, color=colour, label=f"class {c}"
        )
    lo, hi = Xa.min(axis=0), Xa.max(axis=0)
    pad = 0.05 * np.where(hi > lo, hi - lo, 1.0)
    lo, hi = lo - pad, hi + pad
    colours = ("black", "tab:red", "tab:green", "tab:purple", "tab:brown")
    for k, (r, p, name) in enumerate(zip(items, paths, names, strict=True)):
        rows = _epoch_rows(p.shape[0], epochs)
        colour = colours[k % len(colours)]
        for j, row in enumerate(rows):
            segment = boundary_segment(p[row, :2], p[row, 2], lo, hi)
            if segment is None:
                continue
            last = row == rows[-1]
            fade = 0.15 + 0.85 * (j + 1) / rows.size
            ax.plot(
                *segment,
                color=colour,
                alpha=1.0 if last else fade,
                linewidth=2.0 if last else 1.0,
                linestyle="-" if last else "--",
                label=(name or _fit_label(r)) if last else None,
                gid=f"boundary:{k}:{row}",
            )
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.legend(loc="best", fontsize="small")
    return ax
