"""fit_linear: a linear model under any of scikit-learn's SGD losses and penalties
by gradient descent, the whole loop in C++ (fit_linear.hpp).

It checks its arguments, makes the fit plan (fastgd.fit_plan, as fit_least_squares),
encodes the labels, picks the learning rate and hands everything to the core.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from . import _core
from . import _validation as v
from ._callbacks import IntermediateResult, adapt
from ._namespace import public_dir
from ._warnings import DivergenceWarning, StalledWarning
from .chunked import is_chunked
from .fit_plan import FitPlan, plan_fit
from .in_memory import OptimizerState
from .losses import LOSSES, REGRESSION_LOSSES, check_loss, penalty_weights, sample_weights
from .optimizers import Optimizer
from .results import FitResult, fit_message, path_of
from .schedules import Schedule

__all__ = ["fit_linear"]

__dir__ = public_dir(__all__)

Array = np.ndarray[Any, Any]

#: An upper bound of each loss's second derivative in z (the multinomial's: 1/2):
#: the curvature lr="auto" scales the least-squares L by. The non-smooth losses
#: (hinge, epsilon_insensitive, perceptron) have none; "auto" uses 1 for them.
_CURVATURE = {
    "squared_error": 1.0,
    "huber": 1.0,
    "epsilon_insensitive": 1.0,
    "squared_epsilon_insensitive": 2.0,
    "log_loss": 0.25,
    "hinge": 1.0,
    "squared_hinge": 2.0,
    "modified_huber": 2.0,
    "perceptron": 1.0,
}


def _labels(y: ArrayLike, n: int, loss: str, dtype: np.dtype[Any]) -> tuple[Array, Array]:
    """(the labels for the core, the classes): binary losses get {-1, +1} (the
    smaller class -1), the multinomial class indices."""
    if hasattr(y, "__dask_graph__"):
        raise TypeError("y is a Dask array; fit_linear takes NumPy arrays")
    try:
        ya = np.asarray(y)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"y could not be read as an array of labels: {exc}") from None
    if ya.ndim != 1 or ya.shape[0] != n:
        raise ValueError(
            f"y must be a 1-D array of {n} labels (one per row of X), got shape {ya.shape}"
        )
    if ya.dtype.kind == "f" and not np.isfinite(ya).all():
        raise ValueError(f"y must hold class labels for loss={loss!r}; it holds NaN or inf")
    if ya.dtype.kind not in "biufUS":
        raise TypeError(
            f"y must hold class labels (numbers or strings) for loss={loss!r}, got dtype {ya.dtype}"
        )
    classes, index = np.unique(ya, return_inverse=True)
    if classes.size < 2:
        raise ValueError(
            f"y has one class only ({classes[0].item()!r} for every row): loss={loss!r} "
            "needs at least two classes"
        )
    if classes.size > 2:
        if loss != "log_loss":
            shown = ", ".join(repr(c.item()) for c in classes[:5])
            raise ValueError(
                f"y has {classes.size} classes ({shown}{', ...' if classes.size > 5 else ''}) but "
                f"loss={loss!r} is binary: pass two classes, or loss='log_loss' (the multinomial)"
            )
        return index.astype(np.int64), classes
    return np.where(index == 1, 1.0, -1.0).astype(dtype), classes


def fit_linear(
    X: ArrayLike,
    y: ArrayLike,
    *,
    loss: str = "squared_error",
    penalty: str | None = None,
    alpha: float = 0.0,
    l1_ratio: float = 0.15,
    epsilon: float = 0.1,
    optimizer: str | Optimizer = "sgd",
    lr: float | Schedule | Literal["auto"] | None = "auto",
    batch_size: int | None = None,
    max_iter: int = 1000,
    tol: float | None = 1e-6,
    fit_intercept: bool = True,
    sample_weight: ArrayLike | None = None,
    shuffle: bool | Literal["rows", "blocks"] = True,
    random_state: int | np.random.Generator | np.random.RandomState | None = None,
    momentum: float | None = None,
    record: bool = True,
    accelerate: bool | None = None,
    coef_init: ArrayLike | None = None,
    intercept_init: ArrayLike | float | None = None,
    callback: Callable[..., object] | None = None,
    gtol: float | None = None,
    n_iter_no_change: int | None = None,
) -> FitResult:
    r"""Fit a linear model under one of scikit-learn's SGD losses by gradient descent,
    the whole loop in C++.

    Minimises scikit-learn's SGD objective

    .. math:: J(w, b) = \frac1n \sum_i s_i L(x_i \cdot w + b, y_i) + \alpha R(w),
       \quad R(w) = \frac{1 - \rho}{2}\|w\|^2 + \rho \|w\|_1

    (the losses of ``fastgd.losses``; the intercept never penalised) from w = 0, b = 0
    (or ``coef_init``, ``intercept_init``). ``loss="log_loss"`` with more than two
    classes in y is the multinomial (softmax) fit, with coef of shape (d, K).

    Parameters
    ----------
    X : array_like or scipy.sparse matrix/array, shape (n, d)
        float32 stays float32; other real dtypes become float64. No NaN or inf.
        A Dask array (X, y, sample_weight) or a numpy.memmap is fitted over its
        row chunks, where they live (fastgd.chunked_linear).
        Sparse X: see the Notes.
    y : array_like, shape (n,)
        Regression losses: real targets. Binary losses: any two classes (the smaller
        in sort order becomes -1, the other +1: coef is the second class's, as
        scikit-learn). ``log_loss`` with more classes: the multinomial, classes in
        sort order (the columns of coef).
    loss : str
        One of ``fastgd.losses.LOSSES``.
    penalty : {None, "l2", "l1", "elasticnet"}
        R as scikit-learn's: None is alpha = 0, "l2" is rho = 0, "l1" is rho = 1,
        "elasticnet" is rho = ``l1_ratio``.
    alpha, l1_ratio : float
        The penalty's weight (>= 0) and mixing (in [0, 1]).
    epsilon : float >= 0
        The width of huber, epsilon_insensitive and squared_epsilon_insensitive.
    optimizer, lr, batch_size, max_iter, tol, n_iter_no_change, fit_intercept, shuffle, random_state, momentum, record, callback, gtol
        As :func:`fastgd.fit_least_squares` (with ``n_iter_no_change``, tol is
        scikit-learn's rule on J: the full objective after each epoch when recorded
        or full batch, else the mean of the epoch's mini-batch objectives, each
        taken before its step), except that lr defaults to "auto":
        1/L with L = c max(s) lambda_max((1/n) A^T A) + alpha (1 - rho), an upper
        bound of the smooth part's smoothness (c the loss's curvature bound: 1 for
        squared_error and huber, 1/4 log_loss, 1/2 the multinomial, 2 for the
        squared hinges and squared_epsilon_insensitive; the non-smooth hinge,
        epsilon_insensitive and perceptron take c = 1), and for mini-batches the
        expected smoothness of a batch.
    sample_weight : array_like of n values >= 0, optional
        s_i (default 1). The mean still divides by n (scikit-learn's SGD objective).
    accelerate : bool or None
        Full-batch plain gradient descent ("gd", or "sgd" without momentum) only:
        True is FISTA with gradient restart, False the plain (proximal) step,
        None (default) FISTA when the penalty has an l1 part.
    coef_init : array_like (d,) or (d, K), optional
    intercept_init : float, or K values for the multinomial, optional

    Returns
    -------
    FitResult
        coef of shape (d,), or (d, K) for the multinomial (then intercept is an
        array of K values); losses are J after every epoch; optimality is the
        first-order test below.

    Notes
    -----
    **l1 by proximal steps.** After every step of the rule on the smooth part of J,
    the weights are soft-thresholded, ``w <- sign(w) max(|w| - lr alpha rho, 0)``
    (never the intercept). Full batch with plain steps this is proximal gradient
    descent (ISTA; FISTA with restart when accelerated), which converges to the
    exact lasso / elastic-net solution. Mini-batch SGD applies the same
    soft-threshold after each step (not scikit-learn's cumulative truncated
    gradient); it leaves exact zeros but, at a constant lr, only reaches a
    neighbourhood of the solution.

    **"converged"** needs the first-order optimality test: with g the gradient of
    the smooth part and G its minimum-norm subgradient of J (under l1, for w_j = 0:
    ``max(0, |g_j| - alpha rho)``; else ``g_j + alpha rho sign(w_j)``),
    ``max_j |G_j| / (rms(a_j) c_y + alpha (1 - rho) |w_j|) <= gtol``, with a_j column j
    of [X, 1] and c_y the rms of y centred (regression) or 1 (classification).
    The non-smooth losses rarely pass it at a kink: they end "stalled" or
    "max_iter", honestly.

    **Sparse X.** Any scipy.sparse matrix or array: canonical float32/float64 CSR is
    read in place (data, indices and indptr handed to C++ as they are, int32 or int64
    indices: no copy); CSC, COO, the other formats and non-canonical CSR are
    converted to canonical CSR once (a copy; the caller's matrix is never changed).
    Every loss, penalty, optimizer, full batch and mini-batch; the results equal the
    dense fit's to rounding. Each pass over the rows costs O(nnz) (z_i from a row's
    nonzeros, the gradient accumulated over nonzeros only), but each step of the
    rule (and the proximal l1 step) updates all d weights, O(d): fine for mini-batches
    and full batch, not for single-row SGD on wide data. lr="auto" takes L by power
    iteration on [X, 1]^T [X, 1] over the CSR rows. y and sample_weight stay dense.
    """
    given = dict(locals())  # the arguments, for a fit over row chunks
    if is_chunked(X, y) or v.is_dask_array(sample_weight):  # Dask, memmap: chunked_linear
        from .chunked_linear import fit_linear_chunked

        return fit_linear_chunked(**given)
    loss_, alpha_, ratio, eps, accelerate = checked_options(
        y, sample_weight, loss, penalty, alpha, l1_ratio, epsilon, accelerate
    )
    Xa = v.design_or_csr(X)
    n, d = Xa.shape
    if n == 0:
        raise ValueError("X has no rows (n_samples = 0)")
    dtype = Xa.dtype
    classes: Array | None = None
    if loss_ in REGRESSION_LOSSES:
        ya = v.vector(y, "y", n, dtype, "X has n_samples =")
        v.require_finite(ya, "y")
        K = 1
    else:
        ya, classes = _labels(y, n, loss_, dtype)
        K = classes.size if classes.size > 2 else 1
    sw = sample_weights(sample_weight, n, dtype)
    plan = linear_plan(
        n,
        d,
        K,
        dtype,
        optimizer=optimizer,
        lr=lr,
        momentum=momentum,
        batch_size=batch_size,
        max_iter=max_iter,
        tol=tol,
        fit_intercept=fit_intercept,
        shuffle=shuffle,
        record=record,
        gtol=gtol,
        n_iter_no_change=n_iter_no_change,
    )
    fit, _state = run_linear(
        Xa,
        ya,
        K,
        plan,
        loss=loss_,
        alpha=alpha_,
        l1_ratio=ratio,
        epsilon=eps,
        sample_weight=sw,
        seed=v.seed_from(random_state),
        coef_init=coef_init,
        intercept_init=intercept_init,
        on_epoch=_epoch_callback(callback, d, K),
        accelerate=accelerate,
    )
    warn_outcome(fit, stacklevel=2)
    return fit


# --- what the in-memory fit (run_linear) and the chunked one (chunked_linear) share ---


def checked_options(
    y: Any,
    sample_weight: Any,
    loss: Any,
    penalty: Any,
    alpha: Any,
    l1_ratio: Any,
    epsilon: Any,
    accelerate: Any,
) -> tuple[str, float, float, float, bool | None]:
    """(loss, alpha, l1_ratio, epsilon, accelerate) checked, sparse y and weights refused."""
    for value, name in ((y, "y"), (sample_weight, "sample_weight")):
        v.refuse_sparse(value, name, "fit_linear")
    loss_ = check_loss(loss)
    alpha_, ratio = penalty_weights(penalty, alpha, l1_ratio)
    eps = v.nonnegative(epsilon, "epsilon")
    if accelerate is not None:
        accelerate = v.boolean(accelerate, "accelerate")
    return loss_, alpha_, ratio, eps, accelerate


def linear_plan(n: int, d: int, K: int, dtype: np.dtype[Any], **settings: Any) -> FitPlan:
    """The fit plan of a linear model with K weight columns (the settings as
    fit_linear names them)."""
    return plan_fit(
        n,
        d * K + K - 1,  # parameters beyond the intercept, for the plan's choices
        dtype,
        l2=0.0,
        gradient="stream",
        **settings,
    )


def fista_for(plan: FitPlan, hyper: dict[str, Any], accelerate: bool | None, l1: float) -> bool:
    """Whether the full-batch loop accelerates (FISTA with restart): asked for, or by
    default when the penalty has an l1 part; only plain full-batch gradient descent can."""
    plain = plan.full_batch and plan.rule.kind == "sgd" and not hyper.get("momentum", 0.0)
    if accelerate and not plain:
        raise ValueError(
            "accelerate=True (FISTA) is for full-batch plain gradient descent: "
            "optimizer='gd' (or 'sgd' without momentum) and batch_size=None"
        )
    return plain and (accelerate if accelerate is not None else l1 > 0.0)


def smoothness(
    loss: str,
    K: int,
    max_sw: float,
    alpha: float,
    l1_ratio: float,
    half_L: float,
    max_row_sq: float,
    fit_intercept: bool,
) -> tuple[float, float]:
    """(L, L_max) for lr="auto": the smooth part's smoothness from half_L, an upper
    bound of lambda_max((1/n) A^T A), and a batch's worst case from the largest
    ||x_i||^2 (see fit_linear's docstring)."""
    curvature = _CURVATURE[loss] if K == 1 else 0.5
    smooth_l2 = alpha * (1.0 - l1_ratio)
    icpt = 1.0 if fit_intercept else 0.0
    L = curvature * max_sw * half_L + smooth_l2
    return L, curvature * max_sw * (max_row_sq + icpt) + smooth_l2


def derivative_scale(loss: str, K: int, y_centred_sq: float, n: int) -> float:
    """The optimality test's scale of a regression loss's derivative: the rms of y
    (centred with an intercept); 1 for classification."""
    if K > 1 or loss not in REGRESSION_LOSSES:
        return 1.0
    rms = float(np.sqrt(y_centred_sq / n))
    return rms if rms > 0.0 else 1.0


def linear_result(
    theta: Array,
    losses: Array,
    path: Any,
    n_iter: int,
    status: str,
    optimality: float,
    lr_value: float,
    plan: FitPlan,
    d: int,
    K: int,
) -> FitResult:
    """The FitResult of a linear-model fit from what its loop returned."""
    message = fit_message(
        status,
        n_iter,
        plan.tol,
        plan.max_iter,
        lr_value,
        optimality,
        plan.gtol,
        plan.n_iter_no_change,
    )
    if status == "diverged":
        message += "; the learning rate is likely too large (lr='auto' picks a safe one)"
    coef, intercept = _unpack(theta, d, K)
    rows = np.asarray(path, dtype=np.float64)
    return FitResult(
        coef,
        intercept,
        losses,
        n_iter,
        status,
        message,
        lr_value,
        plan.name,
        plan.gradient,
        optimality,
        path=path_of(rows, d, True) if K == 1 else rows,
    )


def warn_outcome(fit: FitResult, stacklevel: int) -> None:
    """A DivergenceWarning or a StalledWarning when the fit ended so."""
    if fit.status == "diverged":
        warnings.warn(fit.message, DivergenceWarning, stacklevel=stacklevel + 1)
    elif fit.status == "stalled":
        warnings.warn(fit.message, StalledWarning, stacklevel=stacklevel + 1)


def auto_lr(
    X: Array | v.CSR,
    plan: FitPlan,
    loss: str,
    K: int,
    sample_weight: Array | None,
    alpha: float,
    l1_ratio: float,
) -> float:
    """lr="auto" for a linear-model fit: 1/L with L = c max(s) lambda_max((1/n) A^T A)
    + alpha (1 - rho) for full batch, the expected smoothness of a batch otherwise
    (see fit_linear's docstring)."""
    max_sw = 1.0 if sample_weight is None else float(sample_weight.max())
    if isinstance(X, v.CSR):
        n, d = X.shape
        L2, row_max = _core.csr_lipschitz(*X[:3], n, d, plan.fit_intercept)
    else:
        L2 = _core.least_squares_lipschitz(X, plan.fit_intercept, 0.0)
        row_max = np.einsum("ij,ij->i", X, X, dtype=np.float64).max()
    L, L_max = smoothness(
        loss, K, max_sw, alpha, l1_ratio, 0.5 * float(L2), float(row_max), plan.fit_intercept
    )
    return plan.auto_lr(L, L_max)


def run_linear(
    Xa: Array | v.CSR,
    ya: Array,
    K: int,
    plan: FitPlan,
    *,
    loss: str,
    alpha: float,
    l1_ratio: float,
    epsilon: float,
    sample_weight: Array | None,
    seed: int,
    coef_init: Any = None,
    intercept_init: Any = None,
    on_epoch: Callable[..., bool] | None = None,
    accelerate: bool | None = None,
    state: Any = None,
) -> tuple[FitResult, Any]:
    """The fit on checked inputs (X, its targets: real values, labels +-1, or K > 1
    class indices) as the plan says, and the rule's state after it (to continue
    from, as partial_fit does). on_epoch(epoch, loss, coef, intercept) -> bool stops
    when true. Warns nothing: the caller decides."""
    n, d = Xa.shape
    dtype = Xa.dtype
    hyper, schedule = plan.rule_settings()
    fista = fista_for(plan, hyper, accelerate, alpha * l1_ratio)

    lr_value: float
    if plan.lr_source == "given":
        lr_value = float(plan.rule.lr)
    else:
        lr_value = auto_lr(Xa, plan, loss, K, sample_weight, alpha, l1_ratio)

    scale = 1.0
    if K == 1 and loss in REGRESSION_LOSSES:
        centred = ya - ya.mean() if plan.fit_intercept else ya
        scale = derivative_scale(loss, K, float(np.sum(np.square(centred, dtype=np.float64))), n)

    lr_setting = schedule if schedule is not None and plan.lr_source == "given" else lr_value
    settings = {
        **plan.core_settings(lr_setting, seed, hyper),
        "loss": LOSSES[loss],
        "epsilon": epsilon,
        "alpha": alpha,
        "l1_ratio": l1_ratio,
        "accelerate": bool(fista),
        "derivative_scale": scale,
    }
    theta0 = _initial_theta(coef_init, intercept_init, d, K, plan.fit_intercept, dtype)
    callback = _theta_epoch(on_epoch, d, K)
    if isinstance(Xa, v.CSR):
        out = _core.fit_linear_csr(
            *Xa[:3],
            n,
            d,
            ya,
            settings,
            max(1, K),
            sample_weight,
            theta0=theta0,
            state=state,
            callback=callback,
        )
    else:
        out = _core.fit_linear(
            Xa,
            ya,
            settings,
            max(1, K),
            sample_weight,
            theta0=theta0,
            state=state,
            callback=callback,
        )
    fit = linear_result(
        out["theta"],
        out["losses"],
        out["path"],
        int(out["n_iter"]),
        out["status"],
        float(out["optimality"]),
        lr_value,
        plan,
        d,
        K,
    )
    return fit, OptimizerState(**out["state"])


def _theta_epoch(
    on_epoch: Callable[..., bool] | None, d: int, K: int
) -> Callable[[int, float, Array], bool] | None:
    """The core's on_epoch(epoch, loss, theta) for on_epoch(epoch, loss, coef, intercept)."""
    if on_epoch is None:
        return None
    inner = on_epoch

    def call(epoch: int, loss: float, theta: Array) -> bool:
        coef, intercept = _unpack(theta, d, K)
        return bool(inner(epoch, loss, coef, intercept))

    return call


def _unpack(theta: Array, d: int, K: int) -> tuple[Array, Any]:
    """(coef, intercept): (d,) and a float, or (d, K) and K values."""
    if K == 1:
        return theta[:d].copy(), float(theta[d])
    return theta[: d * K].reshape(d, K).copy(), theta[d * K :].copy()


def _initial_theta(
    coef_init: ArrayLike | None,
    intercept_init: ArrayLike | float | None,
    d: int,
    K: int,
    fit_intercept: bool,
    dtype: np.dtype[Any],
) -> Array | None:
    """[W, b] for the core (always K intercept slots), or None to start from zeros."""
    if coef_init is None and intercept_init is None:
        return None
    shape = (d,) if K == 1 else (d, K)
    coef = np.zeros(shape, dtype)
    if coef_init is not None:
        c = v.as_array(coef_init, "coef_init")
        if c.shape != shape:
            raise ValueError(f"coef_init must have shape {shape}, got {c.shape}")
        coef = c.astype(dtype)
    b = np.zeros(K, dtype)
    if intercept_init is not None:
        if not fit_intercept:
            raise ValueError("intercept_init needs fit_intercept=True")
        bi = v.as_array(intercept_init, "intercept_init")
        if bi.ndim == 0:
            bi = np.full(K, bi.item())
        if bi.shape != (K,):
            raise ValueError(f"intercept_init must be a number or {K} values, got shape {bi.shape}")
        b = bi.astype(dtype)
    theta = np.concatenate([coef.ravel(), b]).astype(dtype)
    v.require_finite(theta, "coef_init and intercept_init")
    return theta


def _epoch_callback(
    callback: Callable[..., object] | None, d: int, K: int
) -> Callable[[int, float, Array, Any], bool] | None:
    """on_epoch(epoch, loss, coef, intercept) for scipy's callback(intermediate_result)
    (x = theta = [coef, intercept], flattened)."""
    call = adapt(callback, lambda cb, r: cb(r.nit, r.fun, r.coef), "callback(epoch, loss, coef)")
    if call is None:
        return None
    user = call

    def on_epoch(epoch: int, loss: float, coef: Array, intercept: Any) -> bool:
        x = np.concatenate([coef.ravel(), np.atleast_1d(intercept).astype(coef.dtype)])
        result = IntermediateResult(
            nit=int(epoch), fun=float(loss), x=x, coef=coef, intercept=intercept
        )
        return user(result)

    return on_epoch
