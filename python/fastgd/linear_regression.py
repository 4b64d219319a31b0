"""Linear regression by gradient descent (C++ loops) and by the normal equations."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike

from . import _core
from . import _validation as v
from .optimizers import RULES, SGD, Optimizer
from .schedules import Schedule

#: The lecture's descent methods, by name: (momentum used?, nesterov?).
LECTURE_METHODS: dict[str, tuple[bool, bool]] = {
    "gd": (False, False),
    "sgd": (False, False),
    "momentum": (True, False),
    "nesterov": (True, True),
}
#: Every optimizer name fit_least_squares takes.
OPTIMIZER_NAMES = sorted(set(LECTURE_METHODS) | set(RULES))
DEFAULT_LR = 0.01


def resolve_optimizer(optimizer: Any, lr: Any, momentum: Any) -> tuple[str, Optimizer, bool]:
    """(display name, the rule with its hyperparameters, lr is "auto") from what
    fit_least_squares was given. The rule's lr is the fit's learning rate."""
    lr_auto = isinstance(lr, str)
    if lr_auto and lr != "auto":
        raise ValueError(f"lr must be a number > 0 or 'auto', got {lr!r}")
    if isinstance(optimizer, Optimizer):
        name = type(optimizer).__name__.lower()
        hyper = optimizer.hyperparameters
        if name == "sgd" and hyper["momentum"] > 0:  # name it as the lecture does
            name = "nesterov" if hyper["nesterov"] else "momentum"
        if not lr_auto and lr != DEFAULT_LR and float(lr) != optimizer.lr:
            raise ValueError(
                f"lr={lr!r} conflicts with the optimizer's lr={optimizer.lr!r}; set the learning rate in one place"
            )
        rule = optimizer
    elif isinstance(optimizer, str):
        name = optimizer.lower()
        if name not in OPTIMIZER_NAMES:
            raise ValueError(
                f"unknown optimizer {optimizer!r}; known: {', '.join(OPTIMIZER_NAMES)}"
            )
        rule_lr = 1.0 if lr_auto else v.positive(lr, "lr")  # the lr is set per fit below
        if name in LECTURE_METHODS:
            uses_momentum, nesterov = LECTURE_METHODS[name]
            beta = 0.0
            if uses_momentum:
                beta = v.real_number(momentum, "momentum")
                if not 0.0 < beta < 1.0:
                    raise ValueError(
                        f"momentum must be in (0, 1) for optimizer={name!r}, got {momentum!r}"
                    )
            rule = SGD(lr=rule_lr, momentum=beta, nesterov=nesterov)
        else:
            rule = RULES[name](lr=rule_lr)
    else:
        raise TypeError(
            f"optimizer must be a name ({', '.join(OPTIMIZER_NAMES)}) or a fastgd optimizer instance, "
            f"got {type(optimizer).__name__}"
        )
    if lr_auto and rule.kind != "sgd":
        raise ValueError(
            f"lr='auto' (1/L) is for gradient descent with or without momentum; {name} scales its own "
            "steps: pass lr as a number"
        )
    if not lr_auto and not isinstance(rule.hyperparameters["lr"], Schedule) and not rule.lr > 0:
        raise ValueError(f"lr must be a finite number > 0, got {rule.lr!r}")
    return name, rule, lr_auto


GRADIENT_MODES = ("auto", "stream", "gram")


class DivergenceWarning(RuntimeWarning):
    """A descent stopped because the loss or the parameters blew up."""


@dataclass
class FitResult:
    """The outcome of :func:`fit_least_squares`.

    Attributes
    ----------
    coef : ndarray, shape (d,)
        Fitted weights, in the dtype of the computation (float32 or float64).
    intercept : float
        Fitted bias (0.0 when ``fit_intercept=False``).
    losses : ndarray
        The mean squared error (plus the l2 penalty) over all rows: the initial
        loss, then one after every epoch. Empty when ``record=False``.
    n_iter : int
        Epochs run (for full-batch methods, steps).
    status : {"converged", "max_iter", "diverged"}
    message : str
    lr : float
        The learning rate used (the one ``lr="auto"`` picked, if so).
    optimizer : str
    gradient : {"stream", "gram", "batch"}
        How gradients were computed: streaming X, from the Gram form, or per mini-batch.
    """

    coef: np.ndarray
    intercept: float
    losses: np.ndarray
    n_iter: int
    status: str
    message: str
    lr: float
    optimizer: str
    gradient: str

    @property
    def success(self) -> bool:
        """True when the run converged by the tolerance."""
        return self.status == "converged"

    def predict(self, X: ArrayLike) -> np.ndarray:
        """X @ coef + intercept."""
        Xa = v.design_matrix(X)
        if Xa.shape[1] != self.coef.shape[0]:
            raise ValueError(
                f"X has {Xa.shape[1]} columns but the fit has {self.coef.shape[0]} coefficients"
            )
        return Xa @ self.coef + self.intercept


def _gram_is_faster(n: int, p: int, max_iter: int) -> bool:
    # Building the Gram form cost about p/5 streamed passes over X for p < 64 and
    # p/11 for p >= 128 on the development machine (2 cores, AVX2); each streamed
    # step is one pass, each Gram step O(p^2). p/8 splits the difference.
    if n < 2 * p or p > 1024:
        return False
    return p / 8.0 < max_iter + 1


def _lipschitz(Xa: np.ndarray, fit_intercept: bool, l2: float) -> float:
    return float(_core.least_squares_lipschitz(Xa, fit_intercept, l2))


def _auto_lr(Xa: np.ndarray, fit_intercept: bool, l2: float, batch: int | None) -> float:
    """1/L for full batch; for mini-batches of b rows, 1/L_b with the expected
    smoothness L_b = n(b-1)/(b(n-1)) L + (n-b)/(b(n-1)) L_max (Gower et al. 2019),
    L_max = max_i 2(||x_i||^2 + intercept) + 2 l2."""
    n = Xa.shape[0]
    L = _lipschitz(Xa, fit_intercept, l2)
    if batch is not None and batch < n and n > 1:
        row_sq = np.einsum("ij,ij->i", Xa, Xa, dtype=np.float64)
        L_max = 2.0 * (float(row_sq.max()) + (1.0 if fit_intercept else 0.0)) + 2.0 * l2
        b = batch
        L = n * (b - 1) / (b * (n - 1)) * L + (n - b) / (b * (n - 1)) * L_max
    if not (L > 0.0 and math.isfinite(L)):
        raise ValueError("lr='auto' needs a non-zero X (the loss is flat); pass lr explicitly")
    return 1.0 / L


def _message(status: str, n_iter: int, tol: float, max_iter: int, lr: float) -> str:
    if status == "converged":
        return f"converged: theta changed by less than tol={tol:g} in epoch {n_iter}"
    if status == "max_iter":
        return f"reached max_iter={max_iter} epochs before theta changed by less than tol={tol:g}"
    return f"diverged in epoch {n_iter}: the loss or theta became infinite, NaN or exploded with lr={lr:g}"


def fit_least_squares(
    X: ArrayLike,
    y: ArrayLike,
    optimizer: str | Optimizer = "sgd",
    lr: float | Literal["auto"] = DEFAULT_LR,
    batch_size: int | None = None,
    max_iter: int = 1000,
    tol: float | None = 1e-6,
    fit_intercept: bool = True,
    l2: float = 0.0,
    shuffle: bool = True,
    random_state: Any = None,
    momentum: float = 0.9,
    record: bool = True,
    gradient: Literal["auto", "stream", "gram"] = "auto",
) -> FitResult:
    r"""Fit linear regression by gradient descent, the whole loop in C++.

    Minimises :math:`J(w, b) = \frac1n \sum_i (x_i \cdot w + b - y_i)^2 + l_2 \|w\|^2`
    from :math:`w = 0, b = 0`.

    Parameters
    ----------
    X : array_like, shape (n, d)
        float32 stays float32; other real dtypes become float64. No NaN or inf.
    y : array_like, shape (n,)
    optimizer : str or Optimizer
        The lecture's methods: "gd" and "sgd" take plain steps
        :math:`\theta \leftarrow \theta - \alpha \nabla J` ("gd" only full batch);
        "momentum" is the heavy ball
        :math:`v \leftarrow \beta v + \alpha \nabla J,\ \theta \leftarrow \theta - v`,
        "nesterov" its look-ahead variant (both as torch.optim.SGD with ``momentum=beta``).
        The family since: "adam", "adamw", "adagrad", "rmsprop", "adadelta", "adamax",
        "nadam", "radam" with torch.optim's defaults, or an instance such as
        ``fastgd.Adam(lr=0.05, amsgrad=True)`` carrying its hyperparameters (its own
        state is neither used nor changed; its lr is the fit's learning rate).
    lr : float > 0 or "auto"
        Learning rate :math:`\alpha` for a named optimizer. "auto" (gradient descent
        with or without momentum only) uses 1/L, L the largest eigenvalue of the
        Hessian found by power iteration (for mini-batches, the expected smoothness
        of a batch), so the descent converges without tuning.
    batch_size : int >= 1 or None
        None: full batch (gradient descent). An int: mini-batch SGD with that many
        rows per step (1: single-sample SGD); ``batch_size >= n`` is full batch.
    max_iter : int >= 0
        Maximum number of epochs (full passes over the data).
    tol : float >= 0 or None
        Stop ("converged") when an epoch changes theta = [w, b] by less than ``tol``
        in Euclidean norm. None never stops early.
    fit_intercept : bool
        Learn the bias b (otherwise b = 0).
    l2 : float >= 0
        Ridge penalty on w (not on b).
    shuffle : bool
        Reshuffle rows every epoch (mini-batch only).
    random_state : None, int or numpy.random.Generator
        Seed of the shuffles. The same seed gives the same result on every platform.
    momentum : float in [0, 1)
        :math:`\beta` for "momentum" and "nesterov".
    record : bool
        Record the full-data loss after every epoch (mini-batch: one extra pass per epoch).
    gradient : {"auto", "stream", "gram"}
        Full batch only: "stream" reads X every step; "gram" forms X^T X and X^T y once
        (in one pass) and then costs O(d^2) a step; "auto" picks the faster.

    Returns
    -------
    FitResult

    Warns
    -----
    DivergenceWarning
        When the run diverged, with the learning rate that would be safe.
    """
    Xa = v.design_matrix(X)
    n, d = Xa.shape
    ya = v.vector(y, "y", n, Xa.dtype, "X has n_samples =")
    if n == 0:
        raise ValueError("X has no rows (n_samples = 0)")
    v.require_finite(Xa, "X")
    v.require_finite(ya, "y")

    name, rule, lr_auto = resolve_optimizer(optimizer, lr, momentum)

    batch: int | None = None if batch_size is None else v.integer(batch_size, "batch_size", 1)
    if name == "gd" and batch is not None and batch < n:
        raise ValueError(
            f"optimizer='gd' is full-batch gradient descent; use optimizer='sgd' for batch_size={batch}"
        )
    full_batch = batch is None or batch >= n
    max_iter_ = v.integer(max_iter, "max_iter", 0, maximum=2**63 - 1)
    tol_ = -1.0 if tol is None else v.nonnegative(tol, "tol")
    fit_intercept_ = v.boolean(fit_intercept, "fit_intercept")
    l2_ = v.nonnegative(l2, "l2")
    shuffle_ = v.boolean(shuffle, "shuffle")
    record_ = v.boolean(record, "record")
    if gradient not in GRADIENT_MODES:
        raise ValueError(f"gradient must be one of {GRADIENT_MODES}, got {gradient!r}")
    if gradient == "gram" and not full_batch:
        raise ValueError("gradient='gram' needs full-batch descent (batch_size=None)")

    seed = v.seed_from(random_state)
    # Full batch: the core finds 1/L itself (from the Gram form when it builds one).
    auto_in_core = lr_auto and full_batch
    lr_ = (
        0.0 if auto_in_core else (_auto_lr(Xa, fit_intercept_, l2_, batch) if lr_auto else rule.lr)
    )

    p = d + int(fit_intercept_)
    if not full_batch:
        mode = "batch"
    elif gradient == "auto":
        mode = "gram" if _gram_is_faster(n, p, max_iter_) else "stream"
    else:
        mode = gradient

    theta, losses, n_iter, status, lr_ = _core.fit_least_squares(
        Xa,
        ya,
        lr_,
        0 if full_batch or batch is None else batch,
        max_iter_,
        tol_,
        fit_intercept_,
        l2_,
        shuffle_,
        seed,
        record_,
        mode == "gram",
        rule.kind,
        rule._core_hyper(),
        auto_in_core,
    )
    if status == "diverged" and n_iter == 0:
        raise ValueError(
            f"the initial loss mean(y^2) is not finite in {Xa.dtype}: y is too large to square; rescale X and y"
        )
    message = _message(status, n_iter, tol_, max_iter_, lr_)
    if status == "diverged":
        L = _lipschitz(Xa, fit_intercept_, l2_)
        safe = f"full-batch GD on this data is stable for lr < 2/L = {2.0 / L:.3g}" if L > 0 else ""
        message += f"; the learning rate is likely too large: {safe} (lr='auto' picks a safe one)"
        warnings.warn(message, DivergenceWarning, stacklevel=2)
    coef = theta[:d].copy()
    intercept = float(theta[d]) if fit_intercept_ else 0.0
    return FitResult(coef, intercept, losses, int(n_iter), status, message, lr_, name, mode)


@overload
def normal_equations(
    X: ArrayLike, y: ArrayLike, fit_intercept: Literal[False] = ...
) -> np.ndarray: ...
@overload
def normal_equations(
    X: ArrayLike, y: ArrayLike, fit_intercept: Literal[True]
) -> tuple[np.ndarray, float]: ...
def normal_equations(
    X: ArrayLike, y: ArrayLike, fit_intercept: bool = False
) -> np.ndarray | tuple[np.ndarray, float]:
    r"""The analytic least-squares solution, the lecture's :math:`w = (X^T X)^{-1} X^T y`.

    Computed stably: NumPy's SVD-based ``lstsq`` on X itself (never the explicit
    inverse of :math:`X^T X`, which squares the condition number). When X is rank
    deficient, returns the minimum-norm solution.

    Returns
    -------
    coef : ndarray (d,) in float64
        when ``fit_intercept=False``;
    (coef, intercept) : tuple
        when ``fit_intercept=True`` (X and y are centred, the intercept recovered).
    """
    Xa = v.design_matrix(X)
    n = Xa.shape[0]
    ya = v.vector(y, "y", n, np.dtype(np.float64), "X has n_samples =")
    if n == 0:
        raise ValueError("X has no rows (n_samples = 0)")
    v.require_finite(Xa, "X")
    v.require_finite(ya, "y")
    X64 = Xa.astype(np.float64, copy=False)
    if not v.boolean(fit_intercept, "fit_intercept"):
        return np.linalg.lstsq(X64, ya, rcond=None)[0]
    x_mean = X64.mean(axis=0)
    y_mean = float(ya.mean())
    coef = np.linalg.lstsq(X64 - x_mean, ya - y_mean, rcond=None)[0]
    return coef, y_mean - float(x_mean @ coef)
