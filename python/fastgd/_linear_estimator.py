"""What GDRegressor and GDClassifier share: their hyperparameters checked once, the
input checks (dense, sparse, Dask, memmap), the choice of the compiled fit that runs
a problem, the per-epoch watcher (callback, early stopping, progress) and the lock
that lets threads share an instance.

The fits behind them (each chosen by :func:`backend_of`):

* "rows": plain SGD one row at a time (optimizer "sgd", batch_size=1): scikit-learn's
  algorithm in C++ (fastgd.sgd_rows), O(nnz) steps on sparse rows, averaging,
  truncated-gradient l1;
* "least_squares": squared_error without an l1 part on dense data: the least-squares
  loop (Gram form, optimizer state kept between partial_fit calls, memmap and Dask
  chunks);
* "linear": everything else, fastgd.fit_linear's loop (every loss and penalty, every
  optimizer, full batch and mini-batches, sparse and Dask data).
"""

from __future__ import annotations

import math
import sys
import threading
import warnings
from collections.abc import Callable
from typing import Any, Literal, NamedTuple

import numpy as np

from . import _validation as v
from ._callbacks import IntermediateResult, adapt
from ._sklearn_compat import (
    HAVE_SKLEARN,
    ConvergenceWarning,
    NotFittedError,
    check_is_fitted,
    validate_data,
)
from ._step_size import step_size
from ._warnings import DivergenceWarning
from .losses import check_loss, penalty_weights, sample_weights

Array = np.ndarray[Any, Any]

#: Guards the lazy creation of each instance's lock.
_LOCK_MAKER = threading.Lock()

L1_METHODS = ("proximal", "truncated")


class Settings(NamedTuple):
    """An estimator's hyperparameters, checked, as the fits read them."""

    loss: str
    penalty: str | None
    alpha: float  # the penalty's weight (0 without a penalty)
    l1_ratio: float  # rho: l2 is alpha (1 - rho), l1 alpha rho
    epsilon: float
    lr: Any  # for the fit plan: a number, a Schedule, "auto" or None
    adaptive: bool  # learning_rate="adaptive"
    tol: float | None
    n_iter_no_change: int
    average: int  # 0: off; a >= 1: averaged from step a on
    l1_method: str


class Outcome(NamedTuple):
    """One fitted problem, whichever fit ran it."""

    coef: Array  # (d,), or (d, K) for the multinomial
    intercept: Any  # float, or K values
    losses: Array  # the objective J (scikit-learn's convention) per epoch
    n_iter: int
    status: str
    message: str
    lr: float
    state: Any  # what partial_fit continues from


def row_weights(sample_weight: Any, n: int, dtype: Any) -> Array | None:
    """sample_weight checked (n finite values >= 0), with at least one weight > 0."""
    sw = sample_weights(sample_weight, n, dtype)
    if sw is not None and not (sw > 0).any():
        raise ValueError("sample_weight must have at least one weight > 0: all weights are zero")
    return sw


def backend_of(est: Any, settings: Settings, sparse: bool, chunked: bool, weighted: bool) -> str:
    """Which compiled fit runs the problem (see the module's docstring)."""
    if est._single_row_sgd() and not chunked:
        return "rows"
    if settings.average:
        raise ValueError(
            "average (averaged SGD) needs optimizer='sgd' with batch_size=1, scikit-learn's "
            f"single-row SGD; got optimizer={est.optimizer!r}, batch_size={est.batch_size!r}"
        )
    if settings.l1_method == "truncated":
        raise ValueError(
            "l1_method='truncated' (scikit-learn's cumulative penalty) needs optimizer='sgd' "
            "with batch_size=1; other fits apply l1 by proximal steps (l1_method='proximal')"
        )
    lsq = settings.loss == "squared_error" and settings.alpha * settings.l1_ratio == 0.0
    if lsq and not sparse and not weighted:
        return "least_squares"
    return "linear"


class LinearGD:
    """Mixin of GDRegressor and GDClassifier (see the module's docstring)."""

    # The parameters every estimator here has (set by the subclasses' __init__).
    loss: str
    penalty: str | None
    alpha: float
    l1_ratio: float
    epsilon: float
    optimizer: Any
    lr: Any
    learning_rate: str | None
    eta0: float
    power_t: float
    batch_size: int | None
    max_iter: int
    tol: float | None
    n_iter_no_change: int
    fit_intercept: bool
    shuffle: bool | Literal["rows", "blocks"]
    random_state: Any
    early_stopping: bool
    validation_fraction: float
    warm_start: bool
    average: bool | int
    verbose: bool
    momentum: float | None
    optimizer_params: dict[str, Any] | None
    gradient: str
    callback: Callable[..., object] | None
    gtol: float | None
    l1_method: str

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

    # --- hyperparameters ---------------------------------------------------------------

    def _penalty_setting(self) -> tuple[str | None, float, float]:
        """(penalty, alpha, l1_ratio) as the objective reads them."""
        alpha, ratio = penalty_weights(self.penalty, self.alpha, self.l1_ratio)
        return self.penalty, alpha, ratio

    def _settings(self) -> Settings:
        loss = check_loss(self.loss)
        penalty, alpha, ratio = self._penalty_setting()
        epsilon = v.nonnegative(self.epsilon, "epsilon")
        # "optimal" reads alpha even without a penalty (as scikit-learn).
        alpha_for_rate = v.nonnegative(self.alpha, "alpha")
        lr, adaptive = step_size(
            self.learning_rate, self.eta0, self.power_t, self.lr, alpha_for_rate, loss, epsilon
        )
        tol = None if self.tol is None else v.nonnegative(self.tol, "tol")
        patience = v.integer(self.n_iter_no_change, "n_iter_no_change", 1)
        average = self.average
        if isinstance(average, (bool, np.bool_)):
            start = 1 if average else 0
        else:
            start = v.integer(average, "average", 0)
        method = self.l1_method
        if not isinstance(method, str) or method not in L1_METHODS:
            raise ValueError(f"l1_method must be one of {L1_METHODS}, got {v.describe(method)}")
        v.boolean(self.fit_intercept, "fit_intercept")
        v.shuffle_mode(self.shuffle)
        v.boolean(self.warm_start, "warm_start")
        return Settings(
            loss, penalty, alpha, ratio, epsilon, lr, adaptive, tol, patience, start, method
        )

    # --- data --------------------------------------------------------------------------

    def _single_row_sgd(self) -> bool:
        """Plain SGD one row at a time: scikit-learn's algorithm (fastgd.sgd_rows)."""
        return isinstance(self.optimizer, str) and self.optimizer == "sgd" and self.batch_size == 1

    def _over_chunks(self, X: Any, y: Any, early: bool) -> bool:
        """Whether the fit runs over row chunks: Dask input, or a memmap X, unless
        rows are held out (early stopping) or visited one at a time in random order
        (single-row SGD): then the memmap is read in place like any array."""
        if v.is_dask_array(X) or v.is_dask_array(y):
            return True
        return isinstance(X, np.memmap) and not (early or self._single_row_sgd())

    def _check_data(self, X: Any, y: Any, reset: bool, numeric_y: bool) -> tuple[Any, Any]:
        """(X, y): X as a C-contiguous float32 (kept) or float64 array, or a scipy.sparse
        CSR matrix (other sparse formats converted); y a 1-D array, numeric in X's dtype
        when numeric_y. n_features_in_ (and feature_names_in_) set when reset, checked
        otherwise."""
        name = type(self).__name__
        if y is None and reset:
            raise ValueError(f"{name} requires y to be passed, but the target y is None")
        v.refuse_sparse(y, "y", name)
        if v.is_sparse(X) and not type(X).__module__.startswith("scipy.sparse"):
            raise TypeError(
                f"{name}: X has tocsr() but is not a scipy.sparse matrix ({type(X).__name__}); "
                "pass a scipy.sparse matrix or a dense array"
            )
        X, y = v.native_byte_order(X), v.native_byte_order(y)
        dtypes = [np.float64, np.float32]
        if HAVE_SKLEARN:
            # X's NaN and inf (a dense X's values, a sparse X's stored values): fastgd's
            # threaded check below, not scikit-learn's one-thread pass (half an epoch of
            # single-row SGD on 10^6 x 32; 7 ms of a 90 ms epoch on a CSR of 1.2e7 values).
            finite = {"ensure_all_finite": False}
            if y is None:
                Xa = validate_data(
                    self, X, reset=reset, dtype=dtypes, accept_sparse="csr", **finite
                )  # fmt: skip
            else:
                Xa, y = validate_data(
                    self, X, y, reset=reset, dtype=dtypes, accept_sparse="csr",
                    y_numeric=numeric_y, **finite,
                )  # fmt: skip
        else:
            Xa = X.tocsr() if v.is_sparse(X) else v.design_matrix(X)
            self._check_features(X, Xa, reset)
            if y is not None:
                y = np.asarray(y)
                if y.ndim == 2 and y.shape[1] == 1:
                    warnings.warn(
                        "A column-vector y was passed when a 1d array was expected; it is raveled",
                        UserWarning,
                        stacklevel=4,
                    )
                    y = y.ravel()
        if not v.is_sparse(Xa):
            Xa = v.contiguous(Xa)
            v.require_finite(Xa, "X")
        elif not v.all_finite(Xa.data):
            raise ValueError("X contains NaN or infinity in its stored values")
        if Xa.shape[0] == 0:
            raise ValueError("X has no rows (n_samples = 0)")
        if y is None:
            return Xa, None
        if numeric_y:
            y = v.vector(y, "y", Xa.shape[0], Xa.dtype, "X has n_samples =")
            v.require_finite(y, "y")
        else:
            y = np.asarray(y)
            if y.ndim != 1 or y.shape[0] != Xa.shape[0]:
                raise ValueError(
                    f"y must be a 1-D array of {Xa.shape[0]} labels (one per row of X), "
                    f"got shape {y.shape}"
                )
        return Xa, y

    def _check_features(self, X: Any, Xa: Any, reset: bool) -> None:
        names = getattr(X, "columns", None)
        if reset:
            self.n_features_in_ = Xa.shape[1]
            if names is not None and all(isinstance(c, str) for c in names):
                self.feature_names_in_ = np.asarray(list(names), dtype=object)
        elif Xa.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {Xa.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input"
            )

    def _check_predict_X(self, X: Any) -> Any:
        """X for predict / decision_function: Dask (lazily, chunk by chunk), sparse or dense."""
        self._require_fitted()
        if v.is_dask_array(X):
            if X.ndim != 2 or X.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {X.shape[-1]} features, but {type(self).__name__} is expecting "
                    f"{self.n_features_in_} features as input"
                )
            return X
        return self._check_data(X, None, reset=False, numeric_y=True)[0]

    # --- fitted state ------------------------------------------------------------------

    def _require_fitted(self) -> None:
        if HAVE_SKLEARN:
            check_is_fitted(self, "coef_")
        elif not hasattr(self, "coef_"):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this estimator."
            )

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "coef_")

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()  # type: ignore[misc]
        tags.input_tags.sparse = True  # scipy.sparse X: CSR read in place, others converted
        return tags

    def _warn(self, outcome: Outcome, settings: Settings, stopped_early: bool) -> None:
        name = type(self).__name__
        if outcome.status == "diverged":
            warnings.warn(outcome.message, DivergenceWarning, stacklevel=4)
        elif outcome.status == "stalled":
            warnings.warn(f"{name}: {outcome.message}", ConvergenceWarning, stacklevel=4)
        elif outcome.status == "max_iter" and settings.tol is not None and not stopped_early:
            warnings.warn(
                f"{name}: {outcome.message}; increase max_iter or lr, or scale the features",
                ConvergenceWarning,
                stacklevel=4,
            )


EpochCall = Callable[[int, float, Array, Any], bool]


class EpochWatcher:
    """What runs after each epoch of a fit, on_epoch(epoch, loss, coef, intercept):
    the user's callback (scipy's callback(intermediate_result)), early stopping on a
    held-out set, and the progress display. None of it when none is asked for, so the
    fit never takes the GIL back. ``score(coef, intercept)`` is the held-out score
    (R^2 or accuracy), set by the estimator when early stopping."""

    def __init__(self, est: LinearGD, settings: Settings, max_iter: int) -> None:
        self.user = adapt(
            est.callback, lambda cb, r: cb(r.nit, r.fun, r.coef), "callback(epoch, loss, coef)"
        )
        self.verbose = v.boolean(est.verbose, "verbose")
        self.early = v.boolean(est.early_stopping, "early_stopping")
        self.name = type(est).__name__
        self.max_iter = max_iter
        self.tol = settings.tol
        self.scores: list[float] = []
        self.best: tuple[Array, Any] | None = None
        self.stopped_early = False
        self.fraction: float = 0.1
        self.patience = settings.n_iter_no_change
        self.bar: Any = None
        self.every = max(1, max_iter // 10)
        self.score: Callable[[Array, Any], float] | None = None
        if self.early:
            fraction = v.real_number(est.validation_fraction, "validation_fraction")
            if not 0.0 < fraction < 1.0:
                raise ValueError(
                    f"validation_fraction must be in (0, 1), got {est.validation_fraction!r}"
                )
            self.fraction = fraction

    def restart(self) -> None:
        """Forget the scores: the next problem (one-vs-rest) starts its own count."""
        self.scores, self.best, self.stopped_early = [], None, False

    def split(self, n: int, seed: int, labels: Array | None = None) -> tuple[Array, Array]:
        """(training rows, held-out rows): validation_fraction of the rows at random
        (by seed); stratified by class when labels are given, as scikit-learn."""
        n_val = math.ceil(self.fraction * n)
        if n_val < 1 or n - n_val < 1:
            raise ValueError(
                f"early_stopping needs rows on both sides of validation_fraction={self.fraction}: "
                f"n_samples = {n} is too few"
            )
        rng = np.random.default_rng(seed)
        if labels is None:
            order = rng.permutation(n)
            return np.sort(order[n_val:]), np.sort(order[:n_val])
        held: list[Array] = []
        for c in np.unique(labels):
            rows = rng.permutation(np.flatnonzero(labels == c))
            take = min(rows.size - 1, max(1, round(self.fraction * rows.size)))
            held.append(rows[:take])
        val = np.sort(np.concatenate(held))
        if val.size == 0:
            raise ValueError(
                f"early_stopping could not hold out validation_fraction={self.fraction} of "
                f"n_samples = {n} rows with every class on both sides"
            )
        return np.setdiff1d(np.arange(n), val), val

    def on_epoch_or_none(self) -> EpochCall | None:
        if self.user is None and not self.early and not self.verbose:
            return None
        if self.verbose and self.bar is None:
            self.bar = _progress(self.max_iter, self.name)
        return self.on_epoch

    def on_epoch(self, epoch: int, loss: float, coef: Array, intercept: Any) -> bool:
        stop = False
        if self.early:
            stop = self._no_longer_improving(coef, intercept)
        if self.verbose:
            self._show(epoch, loss)
        if self.user is not None:
            b = np.atleast_1d(np.asarray(intercept, dtype=np.float64))
            result = IntermediateResult(
                nit=int(epoch),
                fun=float(loss),
                x=np.concatenate([np.ravel(coef).astype(np.float64), b]),
                coef=np.array(coef, copy=True),
                intercept=intercept,
            )
            if self.user(result):
                stop = True
        return stop

    def _no_longer_improving(self, coef: Array, intercept: Any) -> bool:
        assert self.score is not None
        self.scores.append(self.score(coef, intercept))
        if self.scores[-1] >= max(self.scores):
            self.best = (np.array(coef, copy=True), np.array(intercept, copy=True))
        tol = 0.0 if self.tol is None else self.tol
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
            print(f"{self.name} epoch {epoch}/{self.max_iter}  loss {loss:.6g}", file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _progress(total: int, name: str) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=name, unit="epoch")
