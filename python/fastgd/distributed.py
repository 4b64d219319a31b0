"""Linear regression on Dask arrays: the data stay on the workers, chunk by chunk.

fit_least_squares and GDRegressor send Dask arrays here (the ``dask`` extra). The
rows of X are split into chunks; the workers compute each chunk's part with the C++
kernels and the client adds the parts and takes the step, so X is never gathered.

- Full batch, ``gradient="stream"``: every step, each chunk returns its squared
  residual sum and gradient sum (one fused pass over the chunk); the client sums
  them and steps. The result equals the in-memory fit up to float rounding (the
  sums are added in another order).
- Full batch, ``gradient="gram"``: one pass builds X^T X, X^T y (per chunk, added
  up); the descent then runs on the client at O(d^2) a step.
- Mini-batches (SGD and the rest): local SGD with parameter averaging. Each round
  every chunk runs one epoch of mini-batch steps from the current parameters, with
  a fresh optimizer state and its own shuffle, and the new parameters are the
  chunks' results averaged with weights n_chunk / n. ``max_iter`` counts rounds.

Whatever scheduler is active runs the tasks: a ``dask.distributed.Client`` when one
exists, else Dask's default (threads).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from . import _core
from . import _validation as v
from .least_squares import least_squares_loss_grad
from .linear_regression import (
    FitResult,
    FitSettings,
    OptimizerState,
    _gram_is_faster,
    _message,
    expected_smoothness,
    run_fit,
)
from .optimizers import Optimizer


@dataclass
class _Stats:
    """Sums over all rows, added up from the chunks: what the Gram form, lr="auto"
    and the intercept's gradient need."""

    n: int
    colsum: np.ndarray  # sum of the rows of X
    ysum: float
    yy: float  # sum of y^2
    max_row_sq: float  # max ||x_i||^2
    xtx: np.ndarray | None  # X^T X (when asked for)
    xty: np.ndarray | None


def _chunk_stats(X: np.ndarray, y: np.ndarray, gram: bool) -> dict[str, Any]:
    X64 = X.astype(np.float64, copy=False)
    y64 = y.astype(np.float64, copy=False)
    return dict(
        n=X.shape[0],
        finite_x=bool(np.isfinite(X).all()),
        finite_y=bool(np.isfinite(y).all()),
        colsum=X64.sum(axis=0),
        ysum=float(y64.sum()),
        yy=float(y64 @ y64),
        max_row_sq=float(np.einsum("ij,ij->i", X64, X64).max(initial=0.0)),
        xtx=X64.T @ X64 if gram else None,
        xty=X64.T @ y64 if gram else None,
    )


def _chunk_sums(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> tuple[float, np.ndarray]:
    """||X w + b - y||^2 and 2 X^T (X w + b - y) over one chunk: one fused C++ pass."""
    target = y - y.dtype.type(b) if b != 0.0 else y
    loss, grad = least_squares_loss_grad(X, target, w, reduction="sum")
    return loss, grad.astype(np.float64)


def _chunk_epoch(
    X: np.ndarray, y: np.ndarray, settings: FitSettings, theta: np.ndarray, lr: float, seed: int
) -> np.ndarray:
    """One local epoch of mini-batch steps on a chunk, from theta, with a fresh state."""
    fit, _ = run_fit(
        np.ascontiguousarray(X), np.ascontiguousarray(y), settings, seed, theta0=theta, lr=lr
    )
    w = fit.coef.astype(theta.dtype)
    return np.append(w, theta.dtype.type(fit.intercept)) if settings.fit_intercept else w


class DaskData:
    """X and y as row chunks persisted on the cluster, and the per-chunk tasks."""

    def __init__(self, X: Any, y: Any) -> None:
        import dask
        import dask.array as da

        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features), got {X.ndim} dimensions")
        if X.dtype not in (np.float32, np.float64):
            if X.dtype.kind not in "fiub":
                raise TypeError(f"X must hold real numbers, got dtype {X.dtype}")
            X = X.astype(np.float64)
        X = X.rechunk({1: -1})  # whole rows in every chunk
        if v.is_dask_array(y):
            if y.ndim != 1:
                raise ValueError(f"y must be 1-D, got {y.ndim} dimensions")
        else:
            y = da.from_array(np.asarray(y).ravel() if np.ndim(y) == 2 else np.asarray(y))
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"X has n_samples = {X.shape[0]} but y has {y.shape[0]} values")
        y = y.astype(X.dtype).rechunk((X.chunks[0],))
        self.X, self.y = dask.persist(X, y)
        self.dtype = np.dtype(X.dtype)
        self.n, self.d = int(X.shape[0]), int(X.shape[1])
        self._x_parts = list(self.X.to_delayed().ravel())
        self._y_parts = list(self.y.to_delayed().ravel())
        if self.n == 0:
            raise ValueError("X has no rows (n_samples = 0)")

    def map(
        self, fn: Callable[..., Any], *args: Any, per_chunk: list[Any] | None = None
    ) -> list[Any]:
        """fn(X_chunk, y_chunk, *args[, per_chunk[k]]) on every chunk, on the workers."""
        import dask

        call = dask.delayed(fn, pure=True)
        tasks = [
            call(xp, yp, *args, *([] if per_chunk is None else [per_chunk[k]]))
            for k, (xp, yp) in enumerate(zip(self._x_parts, self._y_parts))
        ]
        return list(dask.compute(*tasks))

    def stats(self, gram: bool) -> _Stats:
        parts = self.map(_chunk_stats, gram)
        if not all(p["finite_x"] for p in parts):
            raise ValueError("X contains NaN or infinity")
        if not all(p["finite_y"] for p in parts):
            raise ValueError("y contains NaN or infinity")
        return _Stats(
            n=sum(p["n"] for p in parts),
            colsum=np.sum([p["colsum"] for p in parts], axis=0),
            ysum=sum(p["ysum"] for p in parts),
            yy=sum(p["yy"] for p in parts),
            max_row_sq=max(p["max_row_sq"] for p in parts),
            xtx=np.sum([p["xtx"] for p in parts], axis=0) if gram else None,
            xty=np.sum([p["xty"] for p in parts], axis=0) if gram else None,
        )

    @property
    def chunk_sizes(self) -> list[int]:
        return [int(c) for c in self.X.chunks[0]]


class _Objective:
    """Loss and gradient of the mean squared error (+ l2 on w) over all chunks."""

    def __init__(self, data: DaskData, stats: _Stats, settings: FitSettings, mode: str) -> None:
        self.data, self.s, self.f, self.mode = data, stats, settings, mode
        self.d = data.d

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        d, n, f = self.d, self.s.n, self.f
        t = theta.astype(np.float64)
        w, b = t[:d], (t[d] if f.fit_intercept else 0.0)
        if self.mode == "gram":
            assert self.s.xtx is not None
            assert self.s.xty is not None
            xtx_w = self.s.xtx @ w
            # ||Xw + b - y||^2 expanded over the sums.
            sq = (
                w @ xtx_w
                + 2 * b * (self.s.colsum @ w)
                + n * b * b
                - 2 * (w @ self.s.xty)
                - 2 * b * self.s.ysum
                + self.s.yy
            )
            grad_w = 2 * (xtx_w + b * self.s.colsum - self.s.xty)
        else:
            parts = self.data.map(_chunk_sums, theta[:d], float(b))
            sq = sum(p[0] for p in parts)
            grad_w = np.sum([p[1] for p in parts], axis=0)
        residual_sum = self.s.colsum @ w + n * b - self.s.ysum
        loss = sq / n + f.l2 * float(w @ w)
        grad = grad_w / n + 2 * f.l2 * w
        if f.fit_intercept:
            grad = np.append(grad, 2 * residual_sum / n)
        return float(loss), grad


def _lipschitz(stats: _Stats, fit_intercept: bool, l2: float) -> float:
    """L from A^T A (A = [X, 1]) by the in-memory fits' own power iteration, so a Dask
    fit with lr="auto" takes the same learning rate as the in-memory one."""
    assert stats.xtx is not None
    G = stats.xtx
    if fit_intercept:
        G = np.block([[G, stats.colsum[:, None]], [stats.colsum[None, :], np.array([[stats.n]])]])
    return _core.gram_lipschitz(
        np.ascontiguousarray(G, dtype=np.float64), stats.xtx.shape[0], stats.n, l2
    )


def fit_least_squares_dask(
    X: Any,
    y: Any,
    settings: FitSettings,
    seed: int,
    theta0: np.ndarray | None = None,
    on_epoch: Callable[[int, float, np.ndarray], Any] | None = None,
) -> tuple[FitResult, OptimizerState | None]:
    """fit_least_squares on Dask arrays (see the module's notes for the schemes)."""
    data = DaskData(X, y)
    f = settings
    n, d = data.n, data.d
    full_batch = f.batch is None or f.batch >= n
    p = d + int(f.fit_intercept)
    if not full_batch:
        mode = "batch"
    elif f.gradient == "auto":
        mode = "gram" if _gram_is_faster(n, p, f.max_iter) else "stream"
    else:
        mode = f.gradient
    stats = data.stats(gram=mode == "gram" or f.lr_auto)
    lr = f.rule.lr
    if f.lr_auto:
        L = _lipschitz(stats, f.fit_intercept, f.l2)
        if full_batch:
            lr = 1.0 / L
        else:
            L_max = 2.0 * (stats.max_row_sq + float(f.fit_intercept)) + 2.0 * f.l2
            lr = 1.0 / expected_smoothness(L, L_max, n, f.batch or n)
    theta = np.zeros(p, dtype=data.dtype) if theta0 is None else theta0.astype(data.dtype)
    objective = _Objective(data, stats, f, "gram" if mode == "gram" else "stream")
    if mode == "batch":
        return _local_sgd(data, objective, f, seed, theta, lr, on_epoch), None
    return _full_batch(objective, f, theta, lr, mode, on_epoch), None


def _rule_with_lr(rule: Optimizer, lr: float) -> Optimizer:
    """A fresh rule with these hyperparameters and lr (a schedule is kept)."""
    hyper = rule.hyperparameters
    if isinstance(hyper["lr"], (int, float)):
        hyper["lr"] = lr
    return type(rule)(**hyper)


def _full_batch(
    objective: _Objective,
    f: FitSettings,
    theta: np.ndarray,
    lr: float,
    mode: str,
    on_epoch: Callable[[int, float, np.ndarray], Any] | None,
) -> FitResult:
    rule = _rule_with_lr(f.rule, lr)
    loss, grad = objective(theta)
    losses = [loss]
    run = _Run(loss)
    status, n_iter = "max_iter", 0
    if run.blew_up(loss, theta):
        status = "diverged"
    else:
        for epoch in range(1, f.max_iter + 1):
            previous = theta.copy()
            rule.step(theta, grad.astype(theta.dtype))
            loss, grad = objective(theta)
            n_iter = epoch
            if f.record:
                losses.append(loss)
            if run.blew_up(loss, theta):
                status = "diverged"
                break
            if on_epoch is not None and on_epoch(epoch, loss, theta.copy()):
                status = "stopped"
                break
            if np.linalg.norm((theta - previous).astype(np.float64)) < f.tol:
                status = "converged"
                break
    return _result(theta, losses if f.record else [], n_iter, status, f, lr, mode, objective.d)


def _local_sgd(
    data: DaskData,
    objective: _Objective,
    f: FitSettings,
    seed: int,
    theta: np.ndarray,
    lr: float,
    on_epoch: Callable[[int, float, np.ndarray], Any] | None,
) -> FitResult:
    one_epoch = replace(f, max_iter=1, tol=-1.0, record=False)
    weights = np.array(data.chunk_sizes, dtype=np.float64) / data.n
    loss = objective(theta)[0]
    losses = [loss]
    run = _Run(loss)
    status, n_iter = "max_iter", 0
    if run.blew_up(loss, theta):
        status = "diverged"
    for r in range(1, f.max_iter + 1 if status == "max_iter" else 1):
        # Each chunk's shuffle differs by round and by chunk.
        seeds = [(seed + (r * 1009 + k) * 0x9E3779B97F4A7C15) % 2**64 for k in range(len(weights))]
        results = data.map(_chunk_epoch, one_epoch, theta, lr, per_chunk=seeds)
        previous = theta
        theta = np.sum([w * t.astype(np.float64) for w, t in zip(weights, results)], axis=0).astype(
            previous.dtype
        )
        loss = objective(theta)[0]
        n_iter = r
        if f.record:
            losses.append(loss)
        if run.blew_up(loss, theta):
            status = "diverged"
            break
        if on_epoch is not None and on_epoch(r, loss, theta.copy()):
            status = "stopped"
            break
        if np.linalg.norm((theta - previous).astype(np.float64)) < f.tol:
            status = "converged"
            break
    return _result(theta, losses if f.record else [], n_iter, status, f, lr, "batch", data.d)


class _Run:
    """The divergence rule of the in-memory fit: a loss or theta not finite, or a loss
    above 10^12 times the first."""

    def __init__(self, loss0: float) -> None:
        self.limit = 1e12 * (loss0 if loss0 > 0 else 1.0)

    def blew_up(self, loss: float, theta: np.ndarray) -> bool:
        return not (np.isfinite(loss) and loss <= self.limit and np.isfinite(theta).all())


def _result(
    theta: np.ndarray,
    losses: list[float],
    n_iter: int,
    status: str,
    f: FitSettings,
    lr: float,
    mode: str,
    d: int,
) -> FitResult:
    message = _message(status, n_iter, f.tol, f.max_iter, lr)
    intercept = float(theta[d]) if f.fit_intercept else 0.0
    return FitResult(
        theta[:d].copy(), intercept, np.array(losses), n_iter, status, message, lr, f.name, mode
    )
