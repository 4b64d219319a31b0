"""Linear regression by gradient descent (C++ loops) and by the normal equations.

fit_least_squares checks its arguments, makes the fit plan (fastgd.fit_plan) and
hands it to a backend: the in-memory C++ loop (fastgd.in_memory) or the row-chunk
one for Dask arrays and memmaps (fastgd.chunked).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike

from . import _validation as v
from ._callbacks import IntermediateResult, adapt
from ._gram_solve import gram_solve
from ._warnings import DivergenceWarning, StalledWarning
from .chunked import chunks_of, fit_chunked, is_chunked, with_known_chunks
from .fit_plan import DEFAULT_GTOL, DEFAULT_GTOL_STOP, FitPlan, default_gtol, plan_fit
from .in_memory import run_fit
from .optimizer_names import OPTIMIZER_NAMES
from .optimizers import Optimizer
from .results import FitResult
from .schedules import Schedule
from .theta import pack, unpack

__all__ = [  # re-exported here for older imports: minimize, reference, demo, __main__
    "DEFAULT_GTOL",
    "DEFAULT_GTOL_STOP",
    "OPTIMIZER_NAMES",
    "DivergenceWarning",
    "FitPlan",
    "FitResult",
    "StalledWarning",
    "default_gtol",
    "fit_least_squares",
    "normal_equations",
]


def fit_least_squares(
    X: ArrayLike,
    y: ArrayLike,
    *,
    optimizer: str | Optimizer = "sgd",
    lr: float | Schedule | Literal["auto"] | None = None,
    batch_size: int | None = None,
    max_iter: int = 1000,
    tol: float | None = 1e-6,
    fit_intercept: bool = True,
    l2: float = 0.0,
    shuffle: bool | Literal["rows", "blocks"] = True,
    random_state: int | np.random.Generator | np.random.RandomState | None = None,
    momentum: float | None = None,
    record: bool = True,
    gradient: Literal["auto", "stream", "gram"] = "auto",
    coef_init: ArrayLike | None = None,
    intercept_init: float | None = None,
    callback: Callable[..., object] | None = None,
    gtol: float | None = None,
    n_iter_no_change: int | None = None,
) -> FitResult:
    r"""Fit linear regression by gradient descent, the whole loop in C++.

    Minimises :math:`J(w, b) = \frac1n \sum_i (x_i \cdot w + b - y_i)^2 + l_2 \|w\|^2`
    from :math:`w = 0, b = 0` (or ``coef_init``, ``intercept_init``).

    Parameters
    ----------
    X : array_like, shape (n, d)
        float32 stays float32; other real dtypes become float64. No NaN or inf.
        A Dask array is fitted where its chunks live, a numpy.memmap is streamed in
        row blocks without loading it (see fastgd.chunked).
    y : array_like, shape (n,)
    optimizer : str or Optimizer
        The lecture's methods: "gd" and "sgd" take plain steps
        :math:`\theta \leftarrow \theta - \alpha \nabla J` ("gd" only full batch);
        "momentum" is the heavy ball
        :math:`v \leftarrow \beta v + \alpha \nabla J,\ \theta \leftarrow \theta - v`,
        "nesterov" its look-ahead variant (both as torch.optim.SGD with ``momentum=beta``).
        The family since: "adam", "adamw", "adagrad", "rmsprop", "adadelta", "adamax",
        "nadam", "radam", "rprop", "asgd", "adafactor" with torch.optim's defaults,
        "lion" (optax's, lr 1e-4), or an instance such as
        ``fastgd.Adam(lr=0.05, amsgrad=True)`` carrying its hyperparameters (its own
        state is neither used nor changed; its lr is the fit's learning rate).
    lr : float > 0, Schedule, "auto" or None
        Learning rate :math:`\alpha`, a number or a ``fastgd.schedules`` Schedule
        (e.g. ``schedules.cosine(0.1, t_max=100)``). None (the default): the
        optimizer's own (an instance's lr; 0.01 for "gd", "sgd", "momentum",
        "nesterov"; torch.optim's default for the others). "auto": for the
        lecture's methods by name, 1/L, L the largest eigenvalue of the Hessian
        found by power iteration (for mini-batches, the expected smoothness of a
        batch), so the descent converges without tuning; the rules that scale their
        own steps (Adam, RMSprop, ...) take torch.optim's default lr and an
        instance keeps its own, so "auto" works with every optimizer.
    batch_size : int >= 1 or None
        None: full batch (gradient descent). An int: mini-batch SGD with that many
        rows per step (1: single-sample SGD); ``batch_size >= n`` is full batch.
    max_iter : int >= 0
        Maximum number of epochs (full passes over the data).
    tol : float >= 0 or None
        The lecture's stopping rule: stop when an epoch changes theta = [w, b] by
        less than ``tol`` in Euclidean norm. A stop by ``tol`` is "converged" only
        when the optimality test (``gtol``) passes there, else "stalled" (with a
        StalledWarning). None: no early stop at all, by any rule (exactly
        ``max_iter`` epochs). With ``n_iter_no_change``, ``tol`` is scikit-learn's
        loss-improvement rule instead (below).
    fit_intercept : bool
        Learn the bias b (otherwise b = 0).
    l2 : float >= 0
        Ridge penalty on w (not on b).
    shuffle : bool or {"rows", "blocks"}
        The order of the rows in each epoch (mini-batch only). True or "rows": a new
        full shuffle every epoch. "blocks": blocks of contiguous rows (about 256 KB of
        X, 256 to 4096 rows) in a new shuffled order every epoch, the rows shuffled
        within each block; X is then read at memory bandwidth instead of one cache and
        TLB miss per row (batch 1 on 10^6 x 32: several times faster an epoch), with
        SGD's convergence as long as neighbouring rows are not alike (rows sorted by
        target, label or time need "rows"). False: rows in order.
    random_state : None, int, numpy.random.Generator or numpy.random.RandomState
        Seed of the shuffles. The same seed gives the same result on every platform.
    momentum : float or None
        The momentum of a named optimizer that has one: :math:`\beta` in (0, 1) for
        "momentum" and "nesterov" (None: 0.9); torch.optim's momentum for "sgd" (in
        [0, 1): ``optimizer="sgd", momentum=0.5`` is ``fastgd.SGD(momentum=0.5)``, the
        heavy ball on mini-batches) and "rmsprop"; None: the rule's own (none).
        Refused (ValueError) with "gd" (plain gradient descent: use "momentum"), with
        the rules that have none ("adam" and its family: their betas play that role,
        via ``optimizer_params``), and with an instance, which carries its own.
    record : bool
        Record the full-data loss after every epoch (mini-batch: one extra pass per
        epoch), and theta beside it (``FitResult.path``).
    gradient : {"auto", "stream", "gram"}
        Full batch only: "stream" reads X every step; "gram" forms X^T X and X^T y once
        (in one pass) and then costs O(d^2) a step; "auto" picks the faster.
    coef_init : array_like (d,), optional
        Start from these weights instead of 0.
    intercept_init : float, optional
        Start from this bias instead of 0 (needs ``fit_intercept``).
    callback : callable, optional
        scipy's ``callback(intermediate_result)`` after every epoch, with the named
        fields nit (epochs so far), fun (the loss), x (a copy of theta = [w, b]),
        coef and intercept; returning True or raising StopIteration stops the fit
        (status "stopped"); other exceptions propagate. The old positional
        ``callback(epoch, loss, coef)`` still works, with a DeprecationWarning.
    gtol : float >= 0 or None
        The first-order optimality test behind "converged". With A = [X, 1] (columns
        :math:`a_j`), the residual :math:`r = A\theta - y` and g the gradient of J,
        it passes when

        .. math:: \max_j \frac{|g_j|}{\frac2n \|a_j\| \max(\|y_c\|, \|r\|) + 2 l_2 |\theta_j|} \le gtol,

        :math:`y_c` being y centred when the intercept is fitted (else y), zero
        columns skipped. Without l2 this says the residual is orthogonal to every
        column of X up to ``gtol`` relative to the spread of y: it does not change
        when a column of X or y is rescaled (or y shifted), so an ill-conditioned X
        cannot fool it. The test runs where the full gradient is at hand (every
        full-batch step, every recorded epoch; a mini-batch fit that records
        nothing runs it once, with one pass over X, when it stops by ``tol``).
        None: "converged" needs 1e-4 for float64 and 1e-3 for float32
        (``DEFAULT_GTOL``), and the fit stops by the test alone, before ``tol``
        fires, only at 1e-12 / 1e-6 (``DEFAULT_GTOL_STOP``, about the rounding
        floor), so ``tol`` still decides how many digits you get. A number: both;
        the fit stops ("converged") as soon as the test passes. Unless ``tol`` is
        None, which runs exactly ``max_iter`` epochs.
    n_iter_no_change : int >= 1 or None
        None (the default): ``tol`` is the step-length rule above. An int: ``tol`` is
        scikit-learn's SGD rule instead: after each epoch, an epoch loss that is not
        below the best so far minus ``tol`` counts one (a lower one resets the
        count), and ``n_iter_no_change`` such epochs in a row end the fit with status
        "no_improvement" (no warning: it is the rule asked for; the optimality test
        is not required by it). The epoch loss is the full objective J after the
        epoch when it is at hand (full batch, or ``record=True``), else the mean of
        the epoch's mini-batch losses (each taken before its step, plus the l2 term
        at the epoch's end), as scikit-learn's mean training loss. The optimality
        test still ends a fit "converged" where the full gradient is at hand. Over
        Dask or memmap chunks the epoch loss is always the full J (computed there
        every epoch).

    Returns
    -------
    FitResult

    Warns
    -----
    DivergenceWarning
        When the run diverged, with the learning rate that would be safe.
    StalledWarning
        When the run stalled (a short step without a passing optimality test),
        with what to do.
    """
    v.refuse_sparse(X, "X", "fit_least_squares")
    v.refuse_sparse(y, "y", "fit_least_squares")
    chunked = is_chunked(X, y)
    if chunked:
        # Dask arrays stay on the cluster, a memmap is streamed: fastgd.chunked. Boolean
        # indexing leaves NaN chunk sizes, computed first.
        X, y = with_known_chunks(X, y)
        Xc: Any = X
        if not hasattr(Xc, "shape") or len(Xc.shape) != 2:
            raise TypeError("with a Dask y, X must be a 2-D Dask array too")
        n, d = int(Xc.shape[0]), int(Xc.shape[1])
        dtype = v.float_dtype_of(Xc, "X")
    else:
        Xa = v.design_matrix(X)
        n, d = Xa.shape
        ya = v.vector(y, "y", n, Xa.dtype, "X has n_samples =")
        if n == 0:
            raise ValueError("X has no rows (n_samples = 0)")
        v.require_finite(ya, "y")
        dtype = Xa.dtype

    plan = plan_fit(
        n,
        d,
        dtype,
        optimizer=optimizer,
        lr=lr,
        momentum=momentum,
        batch_size=batch_size,
        max_iter=max_iter,
        tol=tol,
        fit_intercept=fit_intercept,
        l2=l2,
        shuffle=shuffle,
        record=record,
        gradient=gradient,
        gtol=gtol,
        n_iter_no_change=n_iter_no_change,
    )
    seed = v.seed_from(random_state)
    on_epoch = epoch_callback(callback, d, plan.fit_intercept)
    theta0 = _initial_theta(coef_init, intercept_init, d, plan.fit_intercept, dtype)

    if chunked:
        with contextlib.closing(chunks_of(X, y, dtype)) as chunks:
            fit = fit_chunked(chunks, plan, seed, theta0=theta0, on_epoch=on_epoch)
    else:
        # NaN and inf in X: the core looks for them (single-sample SGD while its first
        # epoch reads the rows, a pass of their own saved), unless X is read here first.
        x_checked = plan.lr_source == "auto_mini_batch"
        if x_checked:
            v.require_finite(Xa, "X")
        fit, _ = run_fit(Xa, ya, plan, seed, theta0=theta0, on_epoch=on_epoch, x_checked=x_checked)
    if fit.status == "diverged":
        warnings.warn(fit.message, DivergenceWarning, stacklevel=2)
    elif fit.status == "stalled":
        warnings.warn(fit.message, StalledWarning, stacklevel=2)
    return fit


def _initial_theta(
    coef_init: ArrayLike | None,
    intercept_init: float | None,
    d: int,
    fit_intercept: bool,
    dtype: np.dtype[Any],
) -> np.ndarray | None:
    """[w0, b0] for the core, or None to start from zeros."""
    if coef_init is None and intercept_init is None:
        return None
    coef = np.zeros(d, dtype)
    if coef_init is not None:
        coef = v.vector(coef_init, "coef_init", d, dtype, "X has n_features =")
    intercept = 0.0
    if intercept_init is not None:
        if not fit_intercept:
            raise ValueError("intercept_init needs fit_intercept=True")
        intercept = v.real_number(intercept_init, "intercept_init")
    theta = pack(coef, intercept, fit_intercept, dtype)
    v.require_finite(theta, "coef_init and intercept_init")
    return theta


def epoch_callback(
    callback: Callable[..., object] | None, d: int, fit_intercept: bool
) -> Callable[[int, float, np.ndarray], bool] | None:
    """The core's on_epoch(epoch, loss, theta) for a user's callback: scipy's
    callback(intermediate_result) (nit, fun, x = theta, coef, intercept), or the old
    callback(epoch, loss, coef) with a DeprecationWarning (fastgd._callbacks)."""
    call = adapt(callback, lambda cb, r: cb(r.nit, r.fun, r.coef), "callback(epoch, loss, coef)")
    if call is None:
        return None
    user = call

    def on_epoch(epoch: int, loss: float, theta: np.ndarray) -> bool:
        coef, intercept = unpack(theta, d, fit_intercept)
        result = IntermediateResult(
            nit=int(epoch), fun=float(loss), x=theta.copy(), coef=coef, intercept=intercept
        )
        return user(result)

    return on_epoch


@overload
def normal_equations(
    X: ArrayLike, y: ArrayLike, *, fit_intercept: Literal[True] = ...
) -> tuple[np.ndarray, float]: ...
@overload
def normal_equations(
    X: ArrayLike, y: ArrayLike, *, fit_intercept: Literal[False]
) -> np.ndarray: ...
def normal_equations(
    X: ArrayLike, y: ArrayLike, *, fit_intercept: bool = True
) -> np.ndarray | tuple[np.ndarray, float]:
    r"""The analytic least-squares solution, the lecture's :math:`w = (X^T X)^{-1} X^T y`.

    Solved from the Gram form when that is safe: :math:`A^T A` and :math:`A^T y`
    (:math:`A = X`, or :math:`[X, 1]` with the intercept) in one threaded pass in
    float64 (float32 X too), then a symmetric eigendecomposition of :math:`A^T A`
    with its columns scaled to unit norm (never an explicit inverse). Forming
    :math:`A^T A` squares the condition number, so when the scaled
    :math:`A^T A` is singular or its condition number exceeds 1e8 (about 8 digits
    lost; a collinear or rank-deficient X, or a column whose mean dwarfs its
    spread), it falls back to NumPy's SVD-based ``lstsq`` on X itself (centred
    with the intercept), which returns the minimum-norm solution when X is rank
    deficient.

    ``fit_intercept`` defaults to True, as in fit_least_squares and GDRegressor.

    Returns
    -------
    (coef, intercept) : tuple
        when ``fit_intercept=True`` (coef an ndarray (d,) in float64);
    coef : ndarray (d,) in float64
        when ``fit_intercept=False``.
    """
    v.refuse_sparse(X, "X", "normal_equations")
    v.refuse_sparse(y, "y", "normal_equations")
    Xa = v.design_matrix(X)
    n = Xa.shape[0]
    ya = v.vector(y, "y", n, np.dtype(np.float64), "X has n_samples =")
    if n == 0:
        raise ValueError("X has no rows (n_samples = 0)")
    v.require_finite(Xa, "X")
    v.require_finite(ya, "y")
    intercept = v.boolean(fit_intercept, "fit_intercept")
    theta = gram_solve(Xa, ya, intercept)
    if theta is not None:
        return (theta[:-1], float(theta[-1])) if intercept else theta
    X64 = Xa.astype(np.float64, copy=False)
    if not intercept:
        return np.linalg.lstsq(X64, ya, rcond=None)[0]
    x_mean = X64.mean(axis=0)
    y_mean = float(ya.mean())
    coef = np.linalg.lstsq(X64 - x_mean, ya - y_mean, rcond=None)[0]
    return coef, y_mean - float(x_mean @ coef)
