"""The fit plan: every decision about how a least-squares fit runs, made once.

:func:`plan_fit` checks fit_least_squares' (and GDRegressor's) settings and decides,
for n rows of d features:

- full batch or mini-batches (``batch_size`` None or >= n: full batch);
- the gradient mode, one name per concept: "stream" (read X every step), "gram"
  (form X^T X once, then O(p^2) a step) or "batch" (mini-batches);
- where the learning rate comes from: "given" (a number or a Schedule, the rule's
  own), "auto_full_batch" (1/L, L the largest eigenvalue of the Hessian) or
  "auto_mini_batch" (1/L_b, the expected smoothness of a b-row batch);
- the dtype of the computation (``_validation.float_dtype_of``: float32 and
  smaller floats compute in float32, everything else in float64);
- the optimality thresholds gtol and gtol_stop, and whether losses are recorded;
- which stopping rule ``tol`` is: the step-length rule (``n_iter_no_change`` None),
  or scikit-learn's loss-improvement rule with that patience (and, for the
  estimators' learning_rate="adaptive", the rate divided by 5 at each plateau).

The backends (in_memory.run_fit, chunked.fit_chunked) read the plan and never
re-decide. A backend that runs one epoch on part of the rows (a Dask chunk, a
memmap block, a partial_fit batch) asks the plan for that with
:meth:`FitPlan.one_epoch_on`.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from . import _core
from . import _validation as v
from .optimizer_names import resolve_optimizer
from .optimizers import Optimizer
from .schedules import Schedule

__all__ = [
    "DEFAULT_GTOL",
    "DEFAULT_GTOL_STOP",
    "GRADIENT_MODES",
    "FitPlan",
    "check_gram_memory",
    "default_gtol",
    "expected_smoothness",
    "plan_fit",
]

#: What ``gradient=`` takes; the plan resolves "auto" to "stream" or "gram".
GRADIENT_MODES = ("auto", "stream", "gram")
Gradient = Literal["stream", "gram", "batch"]
LrSource = Literal["given", "auto_full_batch", "auto_mini_batch"]

#: The default gtol of the optimality test behind "converged", by the dtype of the
#: computation. float32 gradients carry ~1e-7 relative rounding per term and a
#: float32 step stops moving theta near |theta| * 6e-8, so float32 gets a looser one.
DEFAULT_GTOL: dict[str, float] = {"float64": 1e-4, "float32": 1e-3}
#: With gtol=None the fit stops by the test alone (before tol fires) only at about
#: the rounding floor of the measure, so that a small tol still buys its digits
#: (stopping at DEFAULT_GTOL would leave coefficients ~1e-4 off where tol=1e-10 was
#: asked). A gtol given by the user is both thresholds.
DEFAULT_GTOL_STOP: dict[str, float] = {"float64": 1e-12, "float32": 1e-6}


def _dtype_key(dtype: np.dtype[Any]) -> str:
    return "float32" if np.dtype(dtype) == np.float32 else "float64"


def default_gtol(dtype: np.dtype[Any]) -> float:
    """The gtol used when gtol=None, for a fit computed in this dtype."""
    return DEFAULT_GTOL[_dtype_key(dtype)]


@dataclass(frozen=True)
class FitPlan:
    """How one fit runs: made by :func:`plan_fit`, read by every backend."""

    name: str  # the optimizer's display name
    rule: Optimizer  # the update rule with its hyperparameters (its lr when "given")
    n: int  # rows
    d: int  # features
    dtype: np.dtype[Any]  # of the computation: float32 or float64
    full_batch: bool
    batch_size: int | None  # rows per step of a mini-batch fit; None: full batch
    gradient: Gradient  # "stream", "gram" (full batch) or "batch" (mini-batches)
    requested_gradient: str  # what the caller asked: "auto", "stream" or "gram"
    lr_source: LrSource
    max_iter: int
    tol: float | None  # None: no early stop, exactly max_iter epochs
    fit_intercept: bool
    l2: float
    shuffle: str  # "none", "rows" or "blocks" (_validation.shuffle_mode)
    record: bool
    gtol: float  # "converged" at a stop by tol needs the optimality measure <= gtol
    gtol_stop: float  # the measure at which the fit stops by the test alone
    # None: tol is the step-length rule; an int >= 1: tol is scikit-learn's rule, the
    # epoch loss not lower than the best by tol for this many epochs in a row
    # (C++ loss_plateau.hpp), which then replaces the step-length rule.
    n_iter_no_change: int | None = None
    adaptive: bool = False  # with it: the rate divided by 5 at each plateau, stop below 1e-6

    @property
    def plateau_rule(self) -> bool:
        """scikit-learn's rule is the one that stops this fit (tol given, n_iter_no_change set)."""
        return self.tol is not None and self.n_iter_no_change is not None

    @property
    def p(self) -> int:
        """Parameters: d weights and the intercept when fitted."""
        return self.d + int(self.fit_intercept)

    @property
    def lr_auto(self) -> bool:
        return self.lr_source != "given"

    def auto_lr(self, L: float, L_max: float) -> float:
        """The learning rate "auto" picks from L (the Hessian's largest eigenvalue)
        and L_max (max_i 2(||x_i||^2 + intercept) + 2 l2): 1/L for full batch, 1/L_b
        for b-row mini-batches (the expected smoothness, Gower et al. 2019). With
        momentum beta on mini-batches, (1 - beta)/L_b: momentum multiplies the step by
        about 1/(1 - beta), and on noisy gradients that longer step diverges (full batch,
        1/L is inside the heavy ball's stable range, lr < 2(1 + beta)/L)."""
        scale = 1.0
        if self.lr_source == "auto_mini_batch":
            assert self.batch_size is not None
            L = expected_smoothness(L, L_max, self.n, self.batch_size)
            scale = 1.0 - float(self.rule.hyperparameters.get("momentum", 0.0) or 0.0)
        if not (L > 0.0 and math.isfinite(L)):
            raise ValueError("lr='auto' needs a non-zero X (the loss is flat); pass lr explicitly")
        return scale / L

    def rule_settings(self) -> tuple[dict[str, Any], Any]:
        """The rule's hyperparameters as the core reads them, and its schedule (or None):
        the step size travels in the settings' "lr" alone."""
        hyper = self.rule._core_hyper()
        schedule = hyper.pop("schedule", None)
        del hyper["lr"]
        return hyper, schedule

    def core_settings(self, lr: Any, seed: int, hyper: dict[str, Any]) -> dict[str, Any]:
        """The settings every compiled fit reads by key; ``lr`` is the step size as the
        caller resolved it (a number, a schedule's dict, or None for the core's 1/L)."""
        return {
            "gradient": self.gradient,
            "batch_size": self.batch_size if self.gradient == "batch" else None,
            "lr": lr,
            "max_iter": self.max_iter,
            "tol": self.tol,
            "fit_intercept": self.fit_intercept,
            "l2": self.l2,
            "shuffle": self.shuffle,
            "seed": seed,
            "record": self.record,
            "gtol": self.gtol,
            "gtol_stop": self.gtol_stop,
            "optimizer": self.rule.kind,
            "hyperparameters": hyper,
            "n_iter_no_change": self.n_iter_no_change,
            "adaptive": self.adaptive,
        }

    def with_lr(self, lr: float) -> FitPlan:
        """This plan with the learning rate fixed (found earlier: partial_fit's first
        batch, a chunked fit's whole data)."""
        return dataclasses.replace(self, lr_source="given", rule=_rule_with_lr(self.rule, lr))

    def with_lr_scale(self, scale: float) -> FitPlan:
        """This plan with its rule's rate times ``scale`` (a number, or a schedule's
        lr0 and eta_min: every value of it), a fresh rule: the adaptive rule's factor
        for the loops written in Python (fastgd.chunked), as the core's lr_at."""
        hyper = self.rule.hyperparameters
        lr = hyper["lr"]
        if isinstance(lr, Schedule):
            hyper["lr"] = dataclasses.replace(lr, lr0=lr.lr0 * scale, eta_min=lr.eta_min * scale)
        else:
            hyper["lr"] = lr * scale
        return dataclasses.replace(self, rule=type(self.rule)(**hyper))

    def rate_at(self, t: int) -> float:
        """The rule's rate (before any adaptive factor) at step t."""
        lr = self.rule.hyperparameters["lr"]
        return float(lr(t)) if isinstance(lr, Schedule) else float(lr)

    def one_epoch_on(self, n: int, record: bool = False) -> FitPlan:
        """The plan of exactly one epoch over n of the rows (a chunk, a block, a
        partial_fit batch): no stopping rule, and no optimality test (gtol=0) that
        could skip a step when those rows alone are at their optimum."""
        full_batch, gradient = _batching(n, self.p, self.batch_size, self.requested_gradient, 1)
        lr_source = _lr_source(self.lr_auto, full_batch)
        return dataclasses.replace(
            self,
            n=n,
            full_batch=full_batch,
            gradient=gradient,
            lr_source=lr_source,
            max_iter=1,
            tol=None,
            n_iter_no_change=None,
            adaptive=False,
            record=record,
            gtol=0.0,
            gtol_stop=0.0,
        )


def _rule_with_lr(rule: Optimizer, lr: float) -> Optimizer:
    """A fresh rule with these hyperparameters and lr (a schedule is kept)."""
    hyper = rule.hyperparameters
    if isinstance(hyper["lr"], (int, float)):
        hyper["lr"] = lr
    return type(rule)(**hyper)


def _gram_is_faster(n: int, p: int, max_iter: int) -> bool:
    # Building the Gram form cost about p/5 streamed passes over X for p < 64 and
    # p/11 for p >= 128 on the development machine (2 cores, AVX2); each streamed
    # step is one pass, each Gram step O(p^2). p/8 splits the difference.
    if n < 2 * p or p > 1024:
        return False
    return p / 8.0 < max_iter + 1


def _batching(
    n: int, p: int, batch_size: int | None, requested: str, max_iter: int
) -> tuple[bool, Gradient]:
    """(full batch?, gradient mode) for n rows: the one rule."""
    full_batch = batch_size is None or batch_size >= n
    if not full_batch:
        return False, "batch"
    if requested == "auto":
        return True, "gram" if _gram_is_faster(n, p, max_iter) else "stream"
    return True, "gram" if requested == "gram" else "stream"


def _lr_source(lr_auto: bool, full_batch: bool) -> LrSource:
    """Where the learning rate comes from: the one rule."""
    if not lr_auto:
        return "given"
    return "auto_full_batch" if full_batch else "auto_mini_batch"


def plan_fit(
    n: int,
    d: int,
    dtype: np.dtype[Any],
    *,
    optimizer: Any,
    lr: Any,
    momentum: Any,
    batch_size: Any,
    max_iter: Any,
    tol: Any,
    fit_intercept: Any,
    l2: Any,
    shuffle: Any,
    record: Any,
    gradient: Any,
    optimizer_params: dict[str, Any] | None = None,
    gtol: Any = None,
    n_iter_no_change: Any = None,
    adaptive: Any = False,
) -> FitPlan:
    """Check a fit's settings (for n rows, d features, computed in ``dtype``) and
    decide how it runs. Each error names its argument.

    ``n_iter_no_change``: None keeps ``tol`` the step-length rule; an int >= 1 makes
    it scikit-learn's loss-improvement rule with that patience. ``adaptive`` (the
    estimators' learning_rate="adaptive") needs the latter."""
    name, rule, lr_auto = resolve_optimizer(optimizer, lr, momentum, optimizer_params)
    batch: int | None = None if batch_size is None else v.integer(batch_size, "batch_size", 1)
    if gradient not in GRADIENT_MODES:
        raise ValueError(f"gradient must be one of {GRADIENT_MODES}, got {gradient!r}")
    max_iter_ = v.integer(max_iter, "max_iter", 0, maximum=2**63 - 1)
    tol_ = None if tol is None else v.nonnegative(tol, "tol")
    fit_intercept_ = v.boolean(fit_intercept, "fit_intercept")
    full_batch, mode = _batching(n, d + int(fit_intercept_), batch, gradient, max_iter_)
    if name == "gd" and not full_batch:
        raise ValueError(
            f"optimizer='gd' is full-batch gradient descent; use optimizer='sgd' for batch_size={batch}"
        )
    if gradient == "gram" and not full_batch:
        raise ValueError("gradient='gram' needs full-batch descent (batch_size=None)")
    l2_ = v.nonnegative(l2, "l2")
    shuffle_ = v.shuffle_mode(shuffle)
    record_ = v.boolean(record, "record")
    gtol_ = None if gtol is None else v.nonnegative(gtol, "gtol")
    patience = (
        None if n_iter_no_change is None else v.integer(n_iter_no_change, "n_iter_no_change", 1)
    )
    adaptive_ = v.boolean(adaptive, "adaptive")
    if adaptive_ and patience is None:
        raise ValueError(
            "learning_rate='adaptive' lowers the rate when the loss stops improving: it needs "
            "n_iter_no_change (an int >= 1), got None"
        )
    dtype = np.dtype(dtype)
    lr_source = _lr_source(lr_auto, full_batch)
    return FitPlan(
        name=name,
        rule=rule,
        n=n,
        d=d,
        dtype=dtype,
        full_batch=full_batch,
        batch_size=batch,
        gradient=mode,
        requested_gradient=gradient,
        lr_source=lr_source,
        max_iter=max_iter_,
        tol=tol_,
        fit_intercept=fit_intercept_,
        l2=l2_,
        shuffle=shuffle_,
        record=record_,
        gtol=default_gtol(dtype) if gtol_ is None else gtol_,
        gtol_stop=DEFAULT_GTOL_STOP[_dtype_key(dtype)] if gtol_ is None else gtol_,
        n_iter_no_change=patience,
        adaptive=adaptive_,
    )


def expected_smoothness(L: float, L_max: float, n: int, b: int) -> float:
    """The smoothness of a b-row mini-batch gradient in expectation (Gower et al. 2019):
    between the full Hessian's L (b = n) and the largest single-row one L_max (b = 1)."""
    if b >= n or n < 2:
        return L
    return n * (b - 1) / (b * (n - 1)) * L + (n - b) / (b * (n - 1)) * L_max


def _available_memory() -> float:
    """Bytes this process could still get: MemAvailable (Linux), else the physical
    memory (sysconf), else unknown (inf)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024.0
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return math.inf


#: A Gram form above this size is refused when it is also larger than X itself.
GRAM_LIMIT_BYTES = 1 << 30


def check_gram_memory(p: int, n: int) -> None:
    """Refuse a Gram form before asking for it when it cannot fit in memory, or when
    it is over 1 GiB and larger than X itself (fewer rows than parameters: each
    Gram step would cost more than streaming X, and the memory buys nothing)."""
    need = float(_core.gram_bytes(p, n))
    if need > GRAM_LIMIT_BYTES and need > 8.0 * n * p:
        raise MemoryError(
            f"gradient='gram' needs the Gram form X^T X of {p} parameters, about "
            f"{_human_bytes(need)}: more than X itself ({n} rows), so every step would "
            "cost more than reading X; pass gradient='stream' (it needs no extra memory)"
        )
    have = _available_memory()
    if need > have:
        raise MemoryError(
            f"gradient='gram' needs the Gram form X^T X of {p} parameters, about "
            f"{_human_bytes(need)}, but only {_human_bytes(have)} of memory is available; "
            "pass gradient='stream' (it reads X every step and needs no extra memory)"
        )


def _human_bytes(b: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if b < 1024.0 or unit == "TiB":
            return f"{b:.0f} {unit}" if unit == "bytes" else f"{b:.1f} {unit}"
        b /= 1024.0
    return f"{b:.1f} TiB"
