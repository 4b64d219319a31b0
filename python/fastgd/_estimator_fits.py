"""The compiled fits behind GDRegressor and GDClassifier, each called the same way:
one problem (a regression, one binary problem of one-vs-rest, or the multinomial)
in, an Outcome out. Which one runs is _linear_estimator.backend_of's choice."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from . import _validation as v
from ._linear_estimator import EpochCall, LinearGD, Outcome, Settings
from .chunked import chunks_of, fit_chunked
from .chunked_linear import fit_linear_chunked
from .fit_linear import auto_lr, run_linear
from .fit_plan import FitPlan, plan_fit
from .in_memory import run_fit
from .results import fit_message
from .schedules import Schedule, constant
from .sgd_rows import fit_rows
from .theta import unpack

Array = np.ndarray[Any, Any]
OnEpoch = Callable[[int, float, Array], bool]

#: scikit-learn's intercept decay for sparse X in single-row SGD (it damps the
#: intercept's updates, which every row touches while a weight is touched rarely).
SPARSE_INTERCEPT_DECAY = 0.01


class Problem(NamedTuple):
    """One fit to run: X (ndarray, CSR, Dask or memmap), its targets (real values,
    labels +-1, or class indices for the multinomial), K (1, or the multinomial's
    classes), weights (per row, class weights folded in) and where to start."""

    X: Any
    y: Array
    K: int
    sample_weight: Array | None
    coef_init: Array | None
    intercept_init: Any
    seed: int


def _plan(est: LinearGD, s: Settings, n: int, d: int, dtype: Any, lsq: bool) -> FitPlan:
    # The least-squares loop's objective is 2 J (mean r^2 + l2 ||w||^2 against
    # scikit-learn's mean r^2/2 + alpha/2 ||w||^2): its l2 is alpha, its tol 2 tol.
    scale = 2.0 if lsq else 1.0
    # With early stopping, tol is the held-out score's rule (the watcher's), not the loss's.
    tol = None if s.tol is None or est.early_stopping else scale * s.tol
    return plan_fit(
        n,
        d,
        dtype,
        optimizer=est.optimizer,
        lr=s.lr,
        momentum=est.momentum,
        batch_size=est.batch_size,
        max_iter=est.max_iter,
        tol=tol,
        fit_intercept=est.fit_intercept,
        l2=s.alpha * (1.0 - s.l1_ratio) if lsq else 0.0,
        shuffle=est.shuffle,
        record=True,
        gradient=est.gradient if lsq else "stream",
        optimizer_params=est.optimizer_params,
        gtol=est.gtol,
        n_iter_no_change=s.n_iter_no_change,
        adaptive=s.adaptive,
    )


def _theta0(p: Problem, fit_intercept: bool, dtype: Any) -> Array | None:
    """[coef, intercept] for the least-squares loop, or None (zeros)."""
    if p.coef_init is None and p.intercept_init is None:
        return None
    d = p.X.shape[1]
    coef = np.zeros(d, dtype) if p.coef_init is None else np.asarray(p.coef_init, dtype)
    b = (
        0.0
        if p.intercept_init is None or not fit_intercept
        else float(np.ravel(p.intercept_init)[0])
    )
    return np.concatenate([coef, [b] if fit_intercept else []]).astype(dtype)


def _for_call(plan: FitPlan, n: int, one_epoch: bool, lr: float | None) -> FitPlan:
    """partial_fit's plan: exactly one epoch, at the lr of the first batch if found."""
    if one_epoch:
        plan = plan.one_epoch_on(n, record=True)
    return plan if lr is None else plan.with_lr(lr)


def _outcome(fit: Any, state: Any, loss_scale: float = 1.0) -> Outcome:
    """A FitResult as an Outcome (losses times loss_scale: J from the loop's objective)."""
    losses = np.asarray(fit.losses) * loss_scale
    return Outcome(
        fit.coef, fit.intercept, losses, fit.n_iter, fit.status, fit.message, fit.lr, state
    )


def run_least_squares(
    est: LinearGD,
    s: Settings,
    p: Problem,
    on_epoch: EpochCall | None,
    state: Any,
    lr: float | None,
    chunked: bool,
    one_epoch: bool,
) -> Outcome:
    """squared_error without l1: the least-squares loop, in memory or over chunks."""
    X = p.X
    n, d = int(X.shape[0]), int(X.shape[1])
    dtype = X.dtype if not chunked else v.float_dtype_of(X, "X")
    plan = _plan(est, s, n, d, dtype, lsq=True)
    plan = _for_call(plan, n, one_epoch, lr)
    theta0 = _theta0(p, plan.fit_intercept, dtype)
    halve = 0.5  # the loop's objective is 2 J
    if chunked:
        with contextlib.closing(chunks_of(X, p.y, dtype)) as chunks:
            fit = fit_chunked(
                chunks,
                plan,
                p.seed,
                theta0=theta0,
                on_epoch=_lsq_epoch(on_epoch, d, plan.fit_intercept),
            )
        new_state = None
    else:
        fit, new_state = run_fit(
            X,
            p.y,
            plan,
            p.seed,
            theta0=theta0,
            state=state,
            on_epoch=_lsq_epoch(on_epoch, d, plan.fit_intercept),
        )
    return _outcome(fit, new_state, loss_scale=halve)


def _lsq_epoch(on_epoch: EpochCall | None, d: int, fit_intercept: bool) -> OnEpoch | None:
    """The least-squares loop's on_epoch(epoch, 2 J, theta) as on_epoch(epoch, J, coef,
    intercept)."""
    if on_epoch is None:
        return None
    inner = on_epoch

    def call(epoch: int, loss: float, theta: Array) -> bool:
        coef, intercept = unpack(theta, d, fit_intercept)
        return inner(epoch, 0.5 * loss, coef, intercept)

    return call


def run_general(
    est: LinearGD,
    s: Settings,
    p: Problem,
    on_epoch: EpochCall | None,
    state: Any,
    lr: float | None,
    one_epoch: bool,
    chunked: bool,
) -> Outcome:
    """fit_linear's loop: every loss, penalty, optimizer; dense, sparse or Dask."""
    X = p.X
    n, d = int(X.shape[0]), int(X.shape[1])
    dtype = X.dtype if hasattr(X, "dtype") else np.dtype(np.float64)
    plan = _plan(est, s, n, d * p.K + p.K - 1, np.dtype(dtype), lsq=False)
    if chunked:  # Dask or memmap: fastgd.chunked_linear (fit, never partial_fit)
        return _run_chunked_linear(est, s, p, on_epoch)
    plan = _for_call(plan, n, one_epoch, lr)
    fit, new_state = run_linear(
        X,
        p.y,
        p.K,
        plan,
        loss=s.loss,
        alpha=s.alpha,
        l1_ratio=s.l1_ratio,
        epsilon=s.epsilon,
        sample_weight=p.sample_weight,
        seed=p.seed,
        coef_init=p.coef_init,
        intercept_init=p.intercept_init,
        on_epoch=on_epoch,
        state=state,
    )
    return _outcome(fit, new_state)


def _run_chunked_linear(
    est: LinearGD, s: Settings, p: Problem, on_epoch: EpochCall | None
) -> Outcome:
    """fit_linear's loop over row chunks (fastgd.chunked_linear)."""
    callback = None
    if on_epoch is not None:
        user = on_epoch

        def callback(result: Any) -> bool:
            return bool(user(result.nit, result.fun, result.coef, result.intercept))

    fit = fit_linear_chunked(
        p.X,
        p.y,
        loss=s.loss,
        penalty="elasticnet" if s.alpha > 0.0 else None,
        alpha=s.alpha,
        l1_ratio=s.l1_ratio,
        epsilon=s.epsilon,
        optimizer=est.optimizer,
        lr=s.lr,
        batch_size=est.batch_size,
        max_iter=est.max_iter,
        tol=None if s.tol is None or est.early_stopping else s.tol,
        fit_intercept=est.fit_intercept,
        sample_weight=p.sample_weight,
        shuffle=est.shuffle,
        random_state=p.seed,
        momentum=est.momentum,
        record=True,
        accelerate=None,
        coef_init=p.coef_init,
        intercept_init=p.intercept_init,
        callback=callback,
        gtol=est.gtol,
        n_iter_no_change=s.n_iter_no_change,
        adaptive=s.adaptive,
    )
    return _outcome(fit, None)


def row_schedule(
    est: LinearGD, s: Settings, p: Problem, lr: float | None
) -> tuple[Schedule, float]:
    """The single-row fit's step size as a schedule, and the number it reports as lr_."""
    if lr is not None:
        return constant(lr), lr
    if isinstance(s.lr, Schedule):
        return s.lr, s.lr(0)
    n, d = int(p.X.shape[0]), int(p.X.shape[1])
    plan = _plan(est, s, n, d, np.dtype(p.X.dtype), lsq=False)
    if plan.lr_source == "given":
        value = float(plan.rule.lr)
    else:
        value = auto_lr(p.X, plan, s.loss, 1, p.sample_weight, s.alpha, s.l1_ratio)
    return constant(value), value


def run_rows(
    est: LinearGD,
    s: Settings,
    p: Problem,
    labels: Array,
    weight_pos: Array | None,
    weight_neg: Array | None,
    on_epoch: EpochCall | None,
    state: Any,
    lr: float | None,
    one_epoch: bool,
) -> tuple[list[Outcome], Any]:
    """Plain SGD one row at a time (fastgd.sgd_rows), K problems in one call when
    labels has K rows (one-vs-rest)."""
    schedule, lr_value = row_schedule(est, s, p, lr)
    sparse = isinstance(p.X, v.CSR)
    max_iter = 1 if one_epoch else v.integer(est.max_iter, "max_iter", 0)
    rows = fit_rows(
        p.X,
        labels,
        loss=s.loss,
        epsilon=s.epsilon,
        alpha=s.alpha,
        l1_ratio=s.l1_ratio,
        l1_method=s.l1_method,
        schedule=schedule,
        adaptive=s.adaptive,
        fit_intercept=est.fit_intercept,
        intercept_decay=SPARSE_INTERCEPT_DECAY if sparse else 1.0,
        average=s.average,
        tol=None if one_epoch else s.tol,
        n_iter_no_change=s.n_iter_no_change,
        max_iter=max_iter,
        shuffle=est.shuffle,
        # One-vs-rest: a shuffle of its own per problem, as scikit-learn.
        seed=p.seed if labels.ndim == 1 else [p.seed + k for k in range(labels.shape[0])],
        sample_weight=p.sample_weight,
        weight_pos=weight_pos,
        weight_neg=weight_neg,
        record=True,
        state=state,
        # A state continues the fit (its plain weights; coef_ may be their average).
        coef_init=None if state is not None else p.coef_init,
        intercept_init=None if state is not None else p.intercept_init,
        on_epoch=on_epoch,
    )
    outcomes = []
    for k in range(rows.coef.shape[0]):
        status = rows.status[k]
        message = fit_message(
            status,
            int(rows.n_iter[k]),
            s.tol,
            max_iter,
            lr_value,
            n_iter_no_change=s.n_iter_no_change,
        )
        outcomes.append(
            Outcome(
                rows.coef[k],
                float(rows.intercept[k]),
                rows.losses[k],
                int(rows.n_iter[k]),
                status,
                message,
                lr_value,
                None,
            )
        )
    return outcomes, rows.state


def solve(
    est: LinearGD,
    s: Settings,
    backend: str,
    p: Problem,
    on_epoch: EpochCall | None,
    state: Any,
    lr: float | None,
    one_epoch: bool,
    chunked: bool,
    labels: Array | None = None,
    weight_pos: Array | None = None,
    weight_neg: Array | None = None,
) -> tuple[list[Outcome], Any]:
    """Run problem p on the chosen fit; for "rows", labels may hold K rows of +-1
    labels (K one-vs-rest problems in one call). Returns the outcomes (one per
    problem) and the state to continue from. lr: the learning rate found by an
    earlier call (partial_fit), or None; one_epoch: exactly one epoch (partial_fit)."""
    if backend == "rows":
        y = p.y if labels is None else labels
        return run_rows(est, s, p, y, weight_pos, weight_neg, on_epoch, state, lr, one_epoch)
    if backend == "least_squares":
        out = run_least_squares(est, s, p, on_epoch, state, lr, chunked, one_epoch)
    else:
        out = run_general(est, s, p, on_epoch, state, lr, one_epoch, chunked)
    return [out], out.state
