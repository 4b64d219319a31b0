"""The in-memory backend of the least-squares fit: one call into the C++ loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from . import _core
from . import _validation as v
from .fit_plan import FitPlan, check_gram_memory
from .results import FitResult, fit_message, path_of
from .theta import unpack

__all__ = ["OptimizerState", "run_fit"]


class OptimizerState(NamedTuple):
    """An update rule's state after a fit, to continue from (partial_fit, chunked
    memmap epochs): what Optimizer.state_dict() holds for the rule."""

    step: int  # steps taken
    mu_product: float  # NAdam's product of momentum factors (1.0 for other rules)
    arrays: list[np.ndarray]  # the rule's state vectors (moments, ...), in the fit's dtype
    size: int  # parameters
    eta: float = 0.0  # ASGD's step size of the next step (0.0 for other rules)
    mu: float = 1.0  # ASGD's averaging weight of the next step (1.0 for other rules)


def _lipschitz(Xa: np.ndarray, fit_intercept: bool, l2: float) -> float:
    return float(_core.least_squares_lipschitz(Xa, fit_intercept, l2))


def _max_row_smoothness(Xa: np.ndarray, fit_intercept: bool, l2: float) -> float:
    """L_max = max_i 2(||x_i||^2 + intercept) + 2 l2: the largest single-row smoothness."""
    row_sq = np.einsum("ij,ij->i", Xa, Xa, dtype=np.float64)
    return 2.0 * (float(row_sq.max()) + (1.0 if fit_intercept else 0.0)) + 2.0 * l2


def run_fit(
    Xa: np.ndarray,
    ya: np.ndarray,
    plan: FitPlan,
    seed: int,
    theta0: np.ndarray | None = None,
    state: OptimizerState | None = None,
    on_epoch: Callable[[int, float, np.ndarray], Any] | None = None,
    x_checked: bool = True,
) -> tuple[FitResult, OptimizerState]:
    """The fit on checked arrays (X float32/64 C-contiguous, y of X's dtype) as the
    plan says: the core call and its result, and the rule's state after it (to
    continue from, as partial_fit does). ``on_epoch(epoch, loss, theta)`` sees
    theta = [w, b]. Warns nothing: the caller decides. ``x_checked=False``: X may
    hold NaN or inf, which the core looks for (in the first epoch of single-sample
    SGD, without a pass of its own) and which raise require_finite's ValueError."""
    lr: float | None = None  # None: 1/L, found in the core (from the Gram form when it builds one)
    if plan.lr_source == "auto_mini_batch":
        L = _lipschitz(Xa, plan.fit_intercept, plan.l2)
        lr = plan.auto_lr(L, _max_row_smoothness(Xa, plan.fit_intercept, plan.l2))
    elif plan.lr_source == "given":
        lr = plan.rule.lr
    if plan.gradient == "gram":
        check_gram_memory(plan.p, plan.n)
    hyper, schedule = plan.rule_settings()
    settings = plan.core_settings(
        schedule if schedule is not None and lr is not None else lr, seed, hyper
    )
    settings["verify_x_finite"] = not x_checked
    out = _core.fit_least_squares(Xa, ya, settings, theta0=theta0, state=state, callback=on_epoch)
    if not out["x_finite"]:
        v.require_finite(Xa, "X")  # raises, counting the bad values
        raise ValueError("X contains NaN or infinite value(s); remove or impute them first")
    theta, n_iter, status, optimality = (
        out["theta"],
        out["n_iter"],
        out["status"],
        out["optimality"],
    )
    if out["lr"] is not None:
        lr = out["lr"]
    assert lr is not None
    if status == "diverged" and n_iter == 0 and theta0 is None:
        raise ValueError(
            f"the initial loss mean(y^2) is not finite in {Xa.dtype}: y is too large to square; rescale X and y"
        )
    message = fit_message(
        status, n_iter, plan.tol, plan.max_iter, lr, optimality, plan.gtol, plan.n_iter_no_change
    )
    if status == "diverged":
        L = _lipschitz(Xa, plan.fit_intercept, plan.l2)
        safe = f"full-batch GD on this data is stable for lr < 2/L = {2.0 / L:.3g}" if L > 0 else ""
        message += f"; the learning rate is likely too large: {safe} (lr='auto' picks a safe one)"
    coef, intercept = unpack(theta, plan.d, plan.fit_intercept)
    fit = FitResult(
        coef,
        intercept,
        out["losses"],
        int(n_iter),
        status,
        message,
        lr,
        plan.name,
        plan.gradient,
        float(optimality),
        path=path_of(out["path"], plan.d, plan.fit_intercept),
    )
    return fit, OptimizerState(**out["state"])
