"""GDRegressor: linear regression by gradient descent with scikit-learn's estimator API.

With scikit-learn installed it is a full scikit-learn estimator (pipelines, grid
searches, ``check_estimator``); without it, the same class works on its own with a
small stand-in for BaseEstimator (get_params, set_params, score).
"""

from __future__ import annotations

import inspect
import math
import sys
import threading
import warnings
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from . import _validation as v
from ._warnings import DivergenceWarning
from .chunked import chunks_of, fit_chunked, is_chunked, with_known_chunks
from .fit_plan import FitPlan, plan_fit
from .in_memory import OptimizerState, run_fit
from .linear_regression import epoch_callback
from .optimizers import Optimizer
from .results import FitResult
from .schedules import Schedule
from .theta import pack, unpack

try:
    from sklearn.base import BaseEstimator, RegressorMixin
    from sklearn.exceptions import ConvergenceWarning, NotFittedError
    from sklearn.utils.validation import check_is_fitted, validate_data

    HAVE_SKLEARN = True
except ImportError:  # scikit-learn is optional: the stand-ins below do its part
    HAVE_SKLEARN = False

    class ConvergenceWarning(UserWarning):  # type: ignore[no-redef]
        """max_iter ended a fit before it converged (scikit-learn's, when installed)."""

    class NotFittedError(ValueError, AttributeError):  # type: ignore[no-redef]
        """The estimator is used before fit (scikit-learn's, when installed)."""

    class BaseEstimator:  # type: ignore[no-redef]
        """get_params / set_params from __init__'s signature, as scikit-learn's."""

        @classmethod
        def _get_param_names(cls) -> list[str]:
            sig = inspect.signature(cls.__init__)
            return sorted(p for p in sig.parameters if p != "self")

        def get_params(self, deep: bool = True) -> dict[str, Any]:
            return {name: getattr(self, name) for name in self._get_param_names()}

        def set_params(self, **params: Any) -> Any:
            valid = self._get_param_names()
            for key, value in params.items():
                if key not in valid:
                    raise ValueError(f"invalid parameter {key!r}; valid: {', '.join(valid)}")
                setattr(self, key, value)
            return self

        def __repr__(self) -> str:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
            return f"{type(self).__name__}({args})"

    class RegressorMixin:  # type: ignore[no-redef]
        """score() as the coefficient of determination R^2."""

        def score(self, X: ArrayLike, y: ArrayLike) -> float:
            y_true = np.asarray(y, dtype=np.float64)
            residual = float(np.sum((y_true - self.predict(X)) ** 2))  # type: ignore[attr-defined]
            total = float(np.sum((y_true - y_true.mean()) ** 2))
            return 1.0 - residual / total if total > 0 else 0.0


class GDRegressor(RegressorMixin, BaseEstimator):  # type: ignore[misc]
    r"""Least-squares linear regression fitted by gradient descent in C++.

    Minimises :math:`\frac1n \sum_i (x_i \cdot w + b - y_i)^2 + l_2 \|w\|^2` with any
    of fastgd's update rules, full batch or in mini-batches, the whole loop in C++.

    Parameters
    ----------
    optimizer : str or fastgd.Optimizer, default "sgd"
        "gd", "sgd", "momentum", "nesterov", "adam", "adamw", "adagrad", "rmsprop",
        "adadelta", "adamax", "nadam", "radam", "rprop", "asgd", "lion", "adafactor",
        or an instance such as
        ``fastgd.Adam(lr=0.01)``. The default is fit_least_squares' ("sgd": full-batch
        gradient descent with batch_size=None, the same steps as "gd", and
        mini-batches with a batch_size).
    lr : float, Schedule, "auto" or None, default "auto"
        The learning rate (a number or a fastgd.schedules Schedule). "auto": 1/L for
        the lecture's methods by name (GD, SGD, momentum, Nesterov), torch.optim's
        default for the adaptive ones, an instance's own lr for an instance (as in
        fit_least_squares); None: the optimizer's own.
    batch_size : int or None, default None
        None: full batch. An int: mini-batches of that many rows.
    max_iter : int, default 1000
        Epochs.
    tol : float or None, default 1e-6
        Stop when an epoch moves [w, b] by less than tol; with ``early_stopping``,
        the least improvement of the validation score that counts.
    fit_intercept : bool, default True
    l2 : float, default 0.0
        Ridge penalty on w.
    shuffle : bool, default True
        Reshuffle the rows every epoch (mini-batches).
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
    momentum : float, default 0.9
        beta of "momentum" and "nesterov".
    optimizer_params : dict or None
        A named optimizer's other hyperparameters, by torch.optim's names, e.g.
        ``{"betas": (0.9, 0.99), "amsgrad": True}``.
    gradient : {"auto", "stream", "gram"}, default "auto"
        Full batch only: how the gradient is computed (see fit_least_squares).
    callback : callable or None
        scipy's ``callback(intermediate_result)`` after every epoch (nit, fun, x,
        coef, intercept); returning True stops. The old ``callback(epoch, loss,
        coef)`` still works, with a DeprecationWarning.
    gtol : float or None, default None
        The first-order optimality test behind status_ "converged" (see
        fit_least_squares): None is 1e-4 for float64 and 1e-3 for float32. A fit
        whose steps became shorter than tol without passing it is "stalled" and
        warns a ConvergenceWarning.

    Attributes
    ----------
    coef_ : ndarray (n_features,), float32 for float32 X, else float64
    intercept_ : float
    n_iter_ : int
        Epochs run by the last fit (partial_fit: the calls so far).
    loss_curve_ : ndarray
        The training loss: the initial one, then one per epoch.
    lr_ : float
        The learning rate used ("auto" resolved).
    status_ : str
        "converged" (the optimality test passed), "stalled" (steps shorter than tol
        without it), "max_iter", "diverged" or "stopped" (early stopping, callback).
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

    # Set by fit / partial_fit (annotated here for the type checker only).
    _partial_calls: int
    loss_curve_: np.ndarray

    def __init__(
        self,
        optimizer: str | Optimizer = "sgd",
        lr: float | Schedule | Literal["auto"] | None = "auto",
        batch_size: int | None = None,
        max_iter: int = 1000,
        tol: float | None = 1e-6,
        fit_intercept: bool = True,
        l2: float = 0.0,
        shuffle: bool = True,
        random_state: int | np.random.Generator | np.random.RandomState | None = None,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 5,
        warm_start: bool = False,
        verbose: bool = False,
        momentum: float = 0.9,
        optimizer_params: dict[str, Any] | None = None,
        gradient: str = "auto",
        callback: Callable[..., object] | None = None,
        gtol: float | None = None,
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

    # --- sharing between threads ------------------------------------------------------

    def _lock(self) -> threading.RLock:
        """This instance's lock, made on first use (never in __init__, which may set
        only parameters). Reentrant: score calls predict, a callback may predict."""
        lock = self.__dict__.get("_call_lock")
        if lock is None:
            with _LOCK_MAKER:
                lock = self.__dict__.get("_call_lock")
                if lock is None:
                    lock = threading.RLock()
                    self.__dict__["_call_lock"] = lock
        return lock

    def __getstate__(self) -> dict[str, Any]:
        parent = getattr(super(), "__getstate__", None)
        state = dict(parent() if parent is not None else self.__dict__)
        state.pop("_call_lock", None)  # a lock cannot be pickled; a copy makes its own
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        state.pop("_call_lock", None)
        parent = getattr(super(), "__setstate__", None)
        if parent is not None:
            parent(state)
        else:
            self.__dict__.update(state)

    # --- fitting -------------------------------------------------------------------

    def fit(self, X: ArrayLike, y: ArrayLike) -> GDRegressor:
        """Fit on all of X and y, max_iter epochs at most. Returns self. Dask arrays
        are fitted where their chunks live, a memmap streamed in row blocks
        (fastgd.chunked)."""
        with self._lock():
            return self._fit(X, y)

    def _fit(self, X: ArrayLike, y: ArrayLike) -> GDRegressor:
        v.refuse_sparse(X, "X", "GDRegressor.fit")
        v.refuse_sparse(y, "y", "GDRegressor.fit")
        # Early stopping needs rows held out: a memmap is then read into memory.
        if is_chunked(X, y) and not (isinstance(X, np.memmap) and self.early_stopping):
            return self._fit_chunked(X, y)
        Xa, ya = self._check_data(X, y, reset=True)
        plan = self._plan(Xa.shape[0], Xa.shape[1], Xa.dtype)
        seed = v.seed_from(self.random_state)
        theta0 = None
        if self.warm_start and hasattr(self, "coef_") and self.coef_.shape == (Xa.shape[1],):
            theta0 = self._theta(plan.fit_intercept, Xa.dtype)
        watcher = _EpochWatcher(self, plan)
        if v.boolean(self.early_stopping, "early_stopping"):
            Xa, ya = watcher.hold_out(Xa, ya, seed)
            # The plan of the rows left for training (full batch and gradient depend on n).
            plan = self._plan(Xa.shape[0], Xa.shape[1], Xa.dtype)
        try:
            fit, state = run_fit(
                Xa, ya, plan, seed, theta0=theta0, on_epoch=watcher.on_epoch_or_none()
            )
        finally:
            watcher.close()
        if watcher.best_theta is not None:  # early stopping keeps the best epoch's, as MLP does
            fit.coef, fit.intercept = unpack(watcher.best_theta, plan.d, plan.fit_intercept)
        self._set_fit(fit, state)
        if watcher.early:
            self.validation_scores_ = np.array(watcher.scores)
            self.best_validation_score_ = max(watcher.scores, default=-np.inf)
        self._warn(fit, plan, watcher.stopped_early)
        return self

    def _fit_chunked(self, X: Any, y: Any) -> GDRegressor:
        """fit on a Dask array or a memmap: over row chunks (fastgd.chunked)."""
        X, y = with_known_chunks(X, y)  # boolean indexing leaves NaN sizes
        if not hasattr(X, "ndim") or X.ndim != 2:
            raise TypeError("with a Dask y, X must be a 2-D Dask array too")
        if v.boolean(self.early_stopping, "early_stopping"):
            raise ValueError("early_stopping is not available for Dask arrays")
        dtype = v.float_dtype_of(X, "X")
        plan = self._plan(int(X.shape[0]), int(X.shape[1]), dtype)
        watcher = _EpochWatcher(self, plan)
        theta0 = None
        if self.warm_start and hasattr(self, "coef_") and self.coef_.shape == (X.shape[1],):
            theta0 = self._theta(plan.fit_intercept, dtype)
        try:
            fit = fit_chunked(
                chunks_of(X, y, dtype),
                plan,
                v.seed_from(self.random_state),
                theta0=theta0,
                on_epoch=watcher.on_epoch_or_none(),
            )
        finally:
            watcher.close()
        self.n_features_in_ = int(X.shape[1])
        self._set_fit(fit, None)
        self._warn(fit, plan, False)
        return self

    def partial_fit(self, X: ArrayLike, y: ArrayLike) -> GDRegressor:
        """One epoch over this batch of rows, continuing from the coefficients and the
        optimizer state of earlier calls: for data that arrive in pieces or do not fit
        in memory. lr="auto" is found on the first batch and kept. Returns self."""
        with self._lock():
            return self._partial_fit(X, y)

    def _partial_fit(self, X: ArrayLike, y: ArrayLike) -> GDRegressor:
        v.refuse_sparse(X, "X", "GDRegressor.partial_fit")
        v.refuse_sparse(y, "y", "GDRegressor.partial_fit")
        if v.is_dask_array(X) or v.is_dask_array(y):
            raise TypeError(
                "partial_fit takes in-memory batches; for a Dask array use fit, or pass its "
                "chunks one by one (X.blocks[k].compute())"
            )
        first = not hasattr(self, "coef_")
        Xa, ya = self._check_data(X, y, reset=first)
        # Exactly one epoch: no stopping rule, and gtol=0 so that no optimality test
        # skips the step (a test needs the whole data set, which partial_fit never sees).
        n = Xa.shape[0]
        plan = self._plan(n, Xa.shape[1], Xa.dtype).one_epoch_on(n, record=True)
        if not first:
            plan = plan.with_lr(self.lr_)  # lr="auto" is found on the first batch and kept
        calls = 0 if first else self._partial_calls
        # A different shuffle per call: the seed advanced by the golden ratio per call.
        seed = (v.seed_from(self.random_state) + calls * 0x9E3779B97F4A7C15) % 2**64
        fit, state = run_fit(
            Xa,
            ya,
            plan,
            seed,
            theta0=None if first else self._theta(plan.fit_intercept, Xa.dtype),
            state=None if first else self._optimizer_state,
        )
        self._set_fitted(fit, state)
        self._partial_calls = calls + 1
        self.n_iter_ = self._partial_calls
        previous = np.empty(0) if first else self.loss_curve_
        self.loss_curve_ = np.append(previous, fit.losses[-1:])
        if fit.status == "diverged":
            warnings.warn(fit.message, DivergenceWarning, stacklevel=2)
        return self

    def predict(self, X: ArrayLike) -> np.ndarray:
        """X @ coef_ + intercept_."""
        with self._lock():
            return self._predict(X)

    def score(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """The coefficient of determination R^2 of predict(X) against y."""
        with self._lock():
            if sample_weight is None:
                return float(super().score(X, y))
            return float(super().score(X, y, sample_weight=sample_weight))

    def _predict(self, X: ArrayLike) -> np.ndarray:
        self._require_fitted()
        v.refuse_sparse(X, "X", "GDRegressor.predict")
        if v.is_dask_array(X):  # lazily, chunk by chunk
            Xd: Any = X
            if Xd.ndim != 2 or Xd.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {Xd.shape[-1]} features, but GDRegressor is expecting "
                    f"{self.n_features_in_} features as input"
                )
            return Xd @ self.coef_ + self.intercept_
        Xa = self._check_data(X, None, reset=False)[0]
        return Xa @ self.coef_ + self.coef_.dtype.type(self.intercept_)

    # --- helpers ---------------------------------------------------------------------

    def _plan(self, n: int, d: int, dtype: np.dtype[Any]) -> FitPlan:
        return plan_fit(
            n,
            d,
            dtype,
            optimizer=self.optimizer,
            lr=self.lr,
            momentum=self.momentum,
            batch_size=self.batch_size,
            max_iter=self.max_iter,
            tol=self.tol,
            fit_intercept=self.fit_intercept,
            l2=self.l2,
            shuffle=self.shuffle,
            record=True,  # loss_curve_
            gradient=self.gradient,
            optimizer_params=self.optimizer_params,
            gtol=self.gtol,
        )

    def _theta(self, fit_intercept: bool, dtype: np.dtype[Any]) -> np.ndarray:
        return pack(self.coef_, self.intercept_, fit_intercept, dtype)

    def _set_fit(self, fit: FitResult, state: OptimizerState | None) -> None:
        """What fit (in memory or over chunks) leaves: the result, its epochs and losses."""
        self._set_fitted(fit, state)
        self._partial_calls = 0  # a partial_fit after fit continues from this fit
        self.n_iter_ = fit.n_iter
        self.loss_curve_ = fit.losses

    def _set_fitted(self, fit: FitResult, state: OptimizerState | None) -> None:
        self.coef_ = fit.coef
        self.intercept_ = fit.intercept
        self.lr_ = fit.lr
        self.status_ = fit.status
        self._optimizer_state = state

    def _warn(self, fit: FitResult, plan: FitPlan, stopped_early: bool) -> None:
        if fit.status == "diverged":
            warnings.warn(fit.message, DivergenceWarning, stacklevel=3)
        elif fit.status == "stalled":
            warnings.warn(f"GDRegressor: {fit.message}", ConvergenceWarning, stacklevel=3)
        elif fit.status == "max_iter" and plan.tol is not None and not stopped_early:
            warnings.warn(
                f"GDRegressor: {fit.message}; increase max_iter or lr, or scale the features",
                ConvergenceWarning,
                stacklevel=3,
            )

    def _require_fitted(self) -> None:
        if HAVE_SKLEARN:
            check_is_fitted(self, "coef_")
        elif not hasattr(self, "coef_"):
            raise NotFittedError(
                "This GDRegressor instance is not fitted yet. Call 'fit' with appropriate "
                "arguments before using this estimator."
            )

    def _check_data(self, X: ArrayLike, y: ArrayLike | None, reset: bool) -> tuple[Any, Any]:
        """(X, y) as C-contiguous float32 (kept) or float64 arrays, y in X's dtype;
        n_features_in_ (and feature_names_in_) set when reset, checked otherwise."""
        v.refuse_sparse(X, "X", "GDRegressor")
        if y is None and reset:
            raise ValueError("GDRegressor requires y to be passed, but the target y is None")
        X, y = v.native_byte_order(X), v.native_byte_order(y)
        if HAVE_SKLEARN:
            if y is None:
                Xa = validate_data(self, X, reset=reset, dtype=[np.float64, np.float32])
                return v.contiguous(Xa), None
            Xa, ya = validate_data(
                self, X, y, reset=reset, dtype=[np.float64, np.float32], y_numeric=True
            )
        else:
            Xa = v.design_matrix(X)
            v.require_finite(Xa, "X")
            self._check_features(X, Xa, reset)
            if y is None:
                return Xa, None
            ya = np.asarray(y)
            if ya.ndim == 2 and ya.shape[1] == 1:
                warnings.warn(
                    "A column-vector y was passed when a 1d array was expected; it is raveled",
                    UserWarning,
                    stacklevel=3,
                )
                ya = ya.ravel()
        Xa = v.contiguous(Xa)
        ya = v.vector(ya, "y", Xa.shape[0], Xa.dtype, "X has n_samples =")
        v.require_finite(ya, "y")
        if Xa.shape[0] == 0:
            raise ValueError("X has no rows (n_samples = 0)")
        return Xa, ya

    def _check_features(self, X: Any, Xa: np.ndarray, reset: bool) -> None:
        names = getattr(X, "columns", None)
        if reset:
            self.n_features_in_ = Xa.shape[1]
            if names is not None and all(isinstance(c, str) for c in names):
                self.feature_names_in_ = np.asarray(list(names), dtype=object)
        elif Xa.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {Xa.shape[1]} features, but GDRegressor is expecting "
                f"{self.n_features_in_} features as input"
            )

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "coef_")


#: Guards the lazy creation of each instance's lock (GDRegressor._lock).
_LOCK_MAKER = threading.Lock()


class _EpochWatcher:
    """What runs after each epoch of a fit: the user's callback, early stopping on a
    held-out set, and the progress display. None of it when none is asked for, so
    the fit never takes the GIL back."""

    def __init__(self, est: GDRegressor, plan: FitPlan) -> None:
        self.user = epoch_callback(est.callback, plan.d, plan.fit_intercept)
        self.verbose = v.boolean(est.verbose, "verbose")
        self.early = bool(est.early_stopping)
        self.plan = plan
        self.d = plan.d
        self.scores: list[float] = []
        self.best_theta: np.ndarray | None = None
        self.stopped_early = False
        self.fraction = est.validation_fraction
        self.patience = est.n_iter_no_change
        self.bar: Any = None
        self.every = max(1, plan.max_iter // 10)
        self.X_val: np.ndarray | None = None
        self.y_val: np.ndarray | None = None
        if self.early:
            fraction = v.real_number(self.fraction, "validation_fraction")
            if not 0.0 < fraction < 1.0:
                raise ValueError(f"validation_fraction must be in (0, 1), got {self.fraction!r}")
            self.fraction = fraction
            self.patience = v.integer(self.patience, "n_iter_no_change", 1)

    def hold_out(self, X: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Split off validation_fraction of the rows (at random, by seed); returns the rest."""
        n = X.shape[0]
        n_val = math.ceil(self.fraction * n)
        if n_val < 1 or n - n_val < 1:
            raise ValueError(
                f"early_stopping needs rows on both sides of validation_fraction={self.fraction}: "
                f"n_samples = {n} is too few"
            )
        order = np.random.default_rng(seed).permutation(n)
        val, train = np.sort(order[:n_val]), np.sort(order[n_val:])
        self.X_val, self.y_val = X[val], y[val].astype(np.float64)
        return v.contiguous(X[train]), v.contiguous(y[train])

    def on_epoch_or_none(self) -> Callable[[int, float, np.ndarray], bool] | None:
        if self.user is None and not self.early and not self.verbose:
            return None
        if self.verbose:
            self.bar = _progress(self.plan.max_iter)
        return self.on_epoch

    def on_epoch(self, epoch: int, loss: float, theta: np.ndarray) -> bool:
        stop = False
        if self.early:
            stop = self._no_longer_improving(theta)
        if self.verbose:
            self._show(epoch, loss)
        if self.user is not None and self.user(epoch, loss, theta):
            stop = True
        return stop

    def _no_longer_improving(self, theta: np.ndarray) -> bool:
        assert self.X_val is not None
        assert self.y_val is not None
        coef, b = unpack(theta, self.d, self.plan.fit_intercept)
        w = coef.astype(np.float64)
        residual = float(np.sum((self.X_val @ w + b - self.y_val) ** 2))
        total = float(np.sum((self.y_val - self.y_val.mean()) ** 2))
        self.scores.append(1.0 - residual / total if total > 0 else -residual)
        if self.scores[-1] >= max(self.scores):
            self.best_theta = theta.copy()
        tol = 0.0 if self.plan.tol is None else self.plan.tol
        best_before = max(self.scores[: -self.patience], default=-np.inf)
        recent = self.scores[-self.patience :]
        if len(self.scores) > self.patience and max(recent) < best_before + tol:
            self.stopped_early = True
        return self.stopped_early

    def _show(self, epoch: int, loss: float) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{loss:.6g}", refresh=False)
        elif epoch % self.every == 0 or epoch == 1:
            print(f"epoch {epoch}/{self.plan.max_iter}  loss {loss:.6g}", file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _progress(total: int) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc="GDRegressor", unit="epoch")
