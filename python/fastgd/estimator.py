"""GDRegressor: a linear regression under any of scikit-learn's SGD regression losses
and penalties, fitted by gradient descent in C++, with scikit-learn's estimator API.

With scikit-learn installed it is a full scikit-learn estimator (pipelines, grid
searches, ``check_estimator``); without it, the same class works on its own with a
small stand-in for BaseEstimator (get_params, set_params, score).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from . import _validation as v
from ._estimator_fits import Problem, solve
from ._linear_estimator import (
    EpochWatcher,
    LinearGD,
    Outcome,
    Settings,
    backend_of,
    row_weights,
)
from ._sklearn_compat import BaseEstimator, RegressorMixin
from .chunked import with_known_chunks
from .losses import REGRESSION_LOSSES
from .optimizers import Optimizer
from .schedules import Schedule

__all__ = ["GDRegressor"]


class GDRegressor(LinearGD, RegressorMixin, BaseEstimator):  # type: ignore[misc]
    r"""Linear regression fitted by gradient descent in C++, under any of
    scikit-learn's SGD regression losses and penalties.

    Minimises scikit-learn's SGD objective

    .. math:: J(w, b) = \frac1n \sum_i s_i L(x_i \cdot w + b, y_i) + \alpha R(w),
       \quad R(w) = \frac{1 - \rho}{2}\|w\|^2 + \rho \|w\|_1

    (squared_error is r^2 / 2; the intercept never penalised) with any of fastgd's
    update rules, full batch, in mini-batches, or one row at a time, the whole loop in
    C++. ``GDRegressor()`` is plain least squares by full-batch gradient descent (the
    lecture's method; scikit-learn's SGDRegressor defaults to penalty="l2" and
    single-row SGD: ``GDRegressor(penalty="l2", batch_size=1, learning_rate="invscaling")``
    is that).

    Parameters
    ----------
    optimizer : str or fastgd.Optimizer, default "sgd"
        "gd", "sgd", "momentum", "nesterov", "adam", "adamw", "adagrad", "rmsprop",
        "adadelta", "adamax", "nadam", "radam", "rprop", "asgd", "lion", "adafactor",
        or an instance such as ``fastgd.Adam(lr=0.01)``. "sgd" with batch_size=None is
        full-batch gradient descent; with batch_size=1 it is scikit-learn's single-row
        SGD (lazy l2 scaling, O(nnz) steps on sparse rows, ``average``, truncated l1).
    lr : float, Schedule, "auto" or None, default "auto"
        The learning rate (a number or a fastgd.schedules Schedule). "auto": 1/L for
        the lecture's methods by name (GD, SGD, momentum, Nesterov; for mini-batches
        the expected smoothness of a batch), torch.optim's default for the adaptive
        ones, an instance's own lr for an instance; None: the optimizer's own. Leave it
        at "auto" when giving ``learning_rate``.
    batch_size : int or None, default None
        None: full batch. An int: mini-batches of that many rows (1: single-row SGD).
    max_iter : int, default 1000
        Epochs.
    tol : float or None, default 1e-3
        scikit-learn's rule: stop when the loss has not improved by tol for
        ``n_iter_no_change`` epochs in a row (``status_`` "no_improvement"); with
        ``early_stopping`` the held-out R^2 instead. Full-batch fits also stop
        "converged" as soon as the first-order optimality test passes (``gtol``).
        None: no early stop at all, max_iter epochs.
    fit_intercept : bool, default True
    l2 : float or None, default None
        Deprecated: ``penalty="l2", alpha=l2`` (the same minimiser).
    shuffle : bool or {"rows", "blocks"}, default True
        The order of the rows in each epoch (mini-batches and single rows): True or
        "rows" a new full shuffle every epoch; "blocks" blocks of contiguous rows
        shuffled, and the rows within each block (read at memory bandwidth; see
        :func:`fastgd.fit_least_squares`); False in order.
    random_state : int, numpy Generator, numpy RandomState or None
        Seed of the shuffles and of the validation split.
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the rows and stop when their R^2 has not
        improved by ``tol`` for ``n_iter_no_change`` epochs; the coefficients of the
        epoch with the best R^2 are kept.
    validation_fraction : float, default 0.1
    n_iter_no_change : int, default 5
    warm_start : bool, default False
        fit() starts from the last fit's coefficients instead of zeros.
    verbose : bool, default False
        A progress bar per epoch with the loss (tqdm when installed, else a line
        every tenth of max_iter on stderr).
    momentum : float or None, default None
        The momentum of a named optimizer that has one: beta of "momentum" and
        "nesterov" (None: 0.9), torch.optim's momentum of "sgd" (in [0, 1)) and
        "rmsprop" (None: none). Refused (ValueError at fit) with "gd", the rules
        without one ("adam": its betas play that role, via ``optimizer_params``) and
        an instance (it carries its own).
    optimizer_params : dict or None
        A named optimizer's other hyperparameters, by torch.optim's names, e.g.
        ``{"betas": (0.9, 0.99), "amsgrad": True}``.
    gradient : {"auto", "stream", "gram"}, default "auto"
        Full-batch least squares only: how the gradient is computed (see
        fit_least_squares).
    callback : callable or None
        scipy's ``callback(intermediate_result)`` after every epoch (nit, fun, x,
        coef, intercept); returning True stops. The old ``callback(epoch, loss,
        coef)`` still works, with a DeprecationWarning.
    gtol : float or None, default None
        The first-order optimality test behind ``status_`` "converged" (see
        fit_least_squares): None is 1e-4 for float64 and 1e-3 for float32.
    loss : str, default "squared_error"
        "squared_error", "huber", "epsilon_insensitive" or
        "squared_epsilon_insensitive" (scikit-learn's definitions).
    penalty : {None, "l2", "l1", "elasticnet"}, default None
    alpha : float, default 0.0001
        The penalty's weight (and the scale of learning_rate="optimal").
    l1_ratio : float, default 0.15
        The elastic net's mixing rho.
    epsilon : float, default 0.1
        The width of huber and the epsilon-insensitive losses.
    learning_rate : {None, "constant", "optimal", "invscaling", "adaptive"}, default None
        scikit-learn's step-size names, for any optimizer (fastgd._step_size has the
        table): "constant" is eta0, "invscaling" eta0 / (t + 1)^power_t, "optimal"
        1 / (alpha (t0 + t)), "adaptive" eta0 divided by 5 whenever the loss stops
        improving by tol for n_iter_no_change epochs (the fit then ends when the rate
        is below 1e-6). t counts steps. None: ``lr`` sets the step size.
    eta0 : float, default 0.01
    power_t : float, default 0.25
    average : bool or int, default False
        Averaged SGD (single-row SGD only): True averages the weights of every step,
        an int a averages from step a on; ``coef_`` is the average.
    l1_method : {"proximal", "truncated"}, default "proximal"
        How the l1 part is applied: a soft-threshold after every step (proximal
        gradient: the exact lasso / elastic net at full batch), or scikit-learn's
        cumulative truncated gradient (single-row SGD only; O(nnz) per step).

    Attributes
    ----------
    coef_ : ndarray (n_features,), float32 for float32 X, else float64
    intercept_ : float
    n_iter_ : int
        Epochs run by the last fit (partial_fit: the calls so far).
    loss_curve_ : ndarray
        The objective J per epoch (the initial one first, for the fits that record
        it); for single-row SGD, the mean loss over each epoch's steps, as
        scikit-learn tracks it.
    lr_ : float
        The learning rate used ("auto" resolved; a schedule's first rate).
    status_ : str
        "converged" (the optimality test passed), "no_improvement" (the tol rule),
        "stalled", "max_iter", "diverged" or "stopped" (early stopping, callback).
    validation_scores_ : ndarray
        R^2 on the held-out rows per epoch (early_stopping only).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        When X had string column names (a pandas DataFrame).

    Notes
    -----
    One instance may be shared between threads: fit, partial_fit, predict and
    score hold a per-instance lock, so concurrent calls run one after the other,
    as in some serial order. The lock is neither a parameter nor pickled.
    """

    _partial_calls: int
    loss_curve_: np.ndarray

    def __init__(
        self,
        optimizer: str | Optimizer = "sgd",
        lr: float | Schedule | Literal["auto"] | None = "auto",
        batch_size: int | None = None,
        max_iter: int = 1000,
        tol: float | None = 1e-3,
        fit_intercept: bool = True,
        l2: float | None = None,
        shuffle: bool | Literal["rows", "blocks"] = True,
        random_state: int | np.random.Generator | np.random.RandomState | None = None,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 5,
        warm_start: bool = False,
        verbose: bool = False,
        momentum: float | None = None,
        optimizer_params: dict[str, Any] | None = None,
        gradient: str = "auto",
        callback: Callable[..., object] | None = None,
        gtol: float | None = None,
        *,
        loss: str = "squared_error",
        penalty: str | None = None,
        alpha: float = 0.0001,
        l1_ratio: float = 0.15,
        epsilon: float = 0.1,
        learning_rate: str | None = None,
        eta0: float = 0.01,
        power_t: float = 0.25,
        average: bool | int = False,
        l1_method: str = "proximal",
    ) -> None:
        self.optimizer = optimizer
        self.lr = lr
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.l2 = l2
        self.shuffle = shuffle
        self.random_state = random_state
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.verbose = verbose
        self.momentum = momentum
        self.optimizer_params = optimizer_params
        self.gradient = gradient
        self.callback = callback
        self.gtol = gtol
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.epsilon = epsilon
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.average = average
        self.l1_method = l1_method

    # --- hyperparameters ---------------------------------------------------------------

    def _penalty_setting(self) -> tuple[str | None, float, float]:
        if self.l2 is None:
            return super()._penalty_setting()
        if self.penalty is not None:
            raise ValueError(
                f"give the penalty as penalty={self.penalty!r} with alpha, or as the "
                "deprecated l2, not both"
            )
        warnings.warn(
            "GDRegressor(l2=...) is deprecated: use penalty='l2', alpha=... (the same minimiser)",
            DeprecationWarning,
            stacklevel=5,
        )
        return "l2", v.nonnegative(self.l2, "l2"), 0.0

    def _regression_settings(self) -> Settings:
        s = self._settings()
        if s.loss not in REGRESSION_LOSSES:
            raise ValueError(
                f"loss={s.loss!r} is a classification loss; GDRegressor takes "
                f"{', '.join(map(repr, REGRESSION_LOSSES))} (use GDClassifier to classify)"
            )
        return s

    # --- fitting -------------------------------------------------------------------

    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        coef_init: ArrayLike | None = None,
        intercept_init: ArrayLike | float | None = None,
    ) -> GDRegressor:
        """Fit on all of X and y, max_iter epochs at most. Returns self. X may be
        dense, scipy.sparse, a Dask array (fitted where its chunks live) or a memmap
        (streamed in row blocks)."""
        with self._lock():
            return self._fit(X, y, sample_weight, coef_init, intercept_init)

    def _fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any,
        coef_init: Any,
        intercept_init: Any,
    ) -> GDRegressor:
        s = self._regression_settings()
        early = v.boolean(self.early_stopping, "early_stopping")
        chunked = self._over_chunks(X, y, early)
        if chunked:
            X, y = with_known_chunks(X, y)  # boolean indexing leaves NaN sizes
            if not hasattr(X, "ndim") or X.ndim != 2:
                raise TypeError("with a Dask y, X must be a 2-D Dask array too")
            if early:
                raise ValueError("early_stopping is not available for Dask arrays")
            self.n_features_in_ = int(X.shape[1])
            Xa, ya = X, y
            dtype = v.float_dtype_of(X, "X")
        else:
            Xa, ya = self._check_data(X, y, reset=True, numeric_y=True)
            dtype = Xa.dtype
        n, d = int(Xa.shape[0]), int(Xa.shape[1])
        sw = row_weights(sample_weight, n, dtype)
        coef0, b0 = self._starting_point(coef_init, intercept_init, d, dtype)
        seed = v.seed_from(self.random_state)
        sparse = v.is_sparse(Xa)
        backend = backend_of(self, s, sparse, chunked, sw is not None)
        watcher = EpochWatcher(self, s, v.integer(self.max_iter, "max_iter", 0))
        if early:
            train, val = watcher.split(n, seed)
            X_val, y_val = Xa[val], ya[val].astype(np.float64)
            watcher.score = lambda coef, b: _r2(X_val, y_val, coef, b)
            Xa, ya = _rows(Xa, train), np.ascontiguousarray(ya[train])
            sw = None if sw is None else np.ascontiguousarray(sw[train])
        problem = Problem(
            v.csr_matrix(Xa, finite_checked=True) if sparse else Xa, ya, 1, sw, coef0, b0, seed
        )
        try:
            outcomes, state = solve(
                self, s, backend, problem, watcher.on_epoch_or_none(), None, None, False, chunked
            )
        finally:
            watcher.close()
        out = outcomes[0]
        coef, intercept = out.coef, out.intercept
        if watcher.best is not None:  # early stopping keeps the best epoch's, as MLP does
            coef, intercept = watcher.best[0], float(watcher.best[1])
        self._set(out, coef, intercept, state, backend)
        self.n_iter_ = out.n_iter
        self.loss_curve_ = np.asarray(out.losses, dtype=np.float64)
        self._partial_calls = 0  # a partial_fit after fit continues from this fit
        if watcher.early:
            self.validation_scores_ = np.array(watcher.scores)
            self.best_validation_score_ = max(watcher.scores, default=-np.inf)
        self._warn(out, s, watcher.stopped_early)
        return self

    def _starting_point(
        self, coef_init: Any, intercept_init: Any, d: int, dtype: Any
    ) -> tuple[Any, Any]:
        """(coef, intercept) to start from: the arguments, else the last fit's with
        warm_start, else None (zeros)."""
        if coef_init is None and intercept_init is None:
            if (
                v.boolean(self.warm_start, "warm_start")
                and getattr(self, "coef_", None) is not None
            ) and self.coef_.shape == (d,):
                return self.coef_.astype(dtype), self.intercept_
            return None, None
        coef = None
        if coef_init is not None:
            coef = v.as_array(coef_init, "coef_init")
            if coef.shape != (d,):
                raise ValueError(f"coef_init must have shape ({d},), got {coef.shape}")
            coef = coef.astype(dtype)
            v.require_finite(coef, "coef_init")
        b = None
        if intercept_init is not None:
            if not v.boolean(self.fit_intercept, "fit_intercept"):
                raise ValueError("intercept_init needs fit_intercept=True")
            bi = v.as_array(intercept_init, "intercept_init")
            if bi.size != 1:
                raise ValueError(f"intercept_init must be one number, got shape {bi.shape}")
            b = float(bi.ravel()[0])
            if not np.isfinite(b):
                raise ValueError("intercept_init must be finite")
        return coef, b

    def _set(self, out: Outcome, coef: Any, intercept: Any, state: Any, backend: str) -> None:
        self.coef_ = np.asarray(coef)
        self.intercept_ = float(intercept)
        self.lr_ = out.lr
        self.status_ = out.status
        self._state = state
        self._backend = backend

    def partial_fit(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> GDRegressor:
        """One epoch over this batch of rows, continuing from the coefficients and the
        optimizer state of earlier calls: for data that arrive in pieces or do not fit
        in memory. lr="auto" is found on the first batch and kept. Returns self."""
        with self._lock():
            return self._partial_fit(X, y, sample_weight)

    def _partial_fit(self, X: Any, y: Any, sample_weight: Any) -> GDRegressor:
        if v.is_dask_array(X) or v.is_dask_array(y):
            raise TypeError(
                "partial_fit takes in-memory batches; for a Dask array use fit, or pass its "
                "chunks one by one (X.blocks[k].compute())"
            )
        s = self._regression_settings()
        first = not hasattr(self, "coef_")
        Xa, ya = self._check_data(X, y, reset=first, numeric_y=True)
        n = Xa.shape[0]
        sw = row_weights(sample_weight, n, Xa.dtype)
        sparse = v.is_sparse(Xa)
        backend = backend_of(self, s, sparse, False, sw is not None)
        if not first and backend != self._backend:
            raise ValueError(
                f"this batch needs another fit ({backend}) than the earlier ones "
                f"({self._backend}): keep sample_weight and sparse/dense input the same "
                "in every partial_fit call"
            )
        calls = 0 if first else self._partial_calls
        # A different shuffle per call: the seed advanced by the golden ratio per call.
        seed = (v.seed_from(self.random_state) + calls * 0x9E3779B97F4A7C15) % 2**64
        coef0 = None if first else self.coef_
        b0 = None if first or not self.fit_intercept else self.intercept_
        keep_lr = None if first or not _is_auto(s.lr) else self.lr_
        problem = Problem(
            v.csr_matrix(Xa, finite_checked=True) if sparse else Xa, ya, 1, sw, coef0, b0, seed
        )
        outcomes, state = solve(
            self, s, backend, problem, None, None if first else self._state, keep_lr, True, False
        )
        out = outcomes[0]
        self._set(out, out.coef, out.intercept, state, backend)
        self._partial_calls = calls + 1
        self.n_iter_ = self._partial_calls
        previous = np.empty(0) if first else self.loss_curve_
        self.loss_curve_ = np.append(previous, np.asarray(out.losses)[-1:])
        if out.status == "diverged":
            self._warn(out, s, False)
        return self

    # --- predicting --------------------------------------------------------------------

    def predict(self, X: ArrayLike) -> np.ndarray:
        """``X @ coef_ + intercept_``."""
        with self._lock():
            Xa = self._check_predict_X(X)
            if v.is_dask_array(Xa):
                return Xa @ self.coef_ + self.intercept_
            return np.asarray(Xa @ self.coef_) + self.coef_.dtype.type(self.intercept_)

    def score(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """The coefficient of determination R^2 of predict(X) against y."""
        with self._lock():
            if sample_weight is None:
                return float(super().score(X, y))
            return float(super().score(X, y, sample_weight=sample_weight))


def _is_auto(lr: Any) -> bool:
    return isinstance(lr, str) and lr == "auto"


def _rows(X: Any, rows: np.ndarray) -> Any:
    """Those rows of X (dense: C-contiguous; sparse: CSR)."""
    return X[rows] if v.is_sparse(X) else v.contiguous(X[rows])


def _r2(X: Any, y: np.ndarray, coef: np.ndarray, intercept: Any) -> float:
    """R^2 of X @ coef + intercept against y (the held-out score)."""
    pred = np.asarray(X @ coef.astype(np.float64)) + float(intercept)
    residual = float(np.sum((pred - y) ** 2))
    total = float(np.sum((y - y.mean()) ** 2))
    return 1.0 - residual / total if total > 0 else -residual
