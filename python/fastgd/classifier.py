"""GDClassifier: a linear classifier under any of scikit-learn's SGD classification
losses and penalties, fitted by gradient descent in C++, with scikit-learn's API."""

from __future__ import annotations

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
from ._sklearn_compat import HAVE_SKLEARN, BaseEstimator, ClassifierMixin
from .chunked import with_known_chunks
from .losses import REGRESSION_LOSSES
from .optimizers import Optimizer
from .schedules import Schedule

__all__ = ["GDClassifier"]

Array = np.ndarray[Any, Any]

#: The losses with probability estimates (predict_proba), as scikit-learn.
PROBABILISTIC_LOSSES = ("log_loss", "modified_huber")
MULTI_CLASS = ("ovr", "multinomial")


class GDClassifier(LinearGD, ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    r"""A linear classifier fitted by gradient descent in C++, under any of
    scikit-learn's SGD classification losses and penalties.

    Minimises scikit-learn's SGD objective for each problem

    .. math:: J(w, b) = \frac1n \sum_i s_i L(y_i (x_i \cdot w + b)) + \alpha R(w),
       \quad R(w) = \frac{1 - \rho}{2}\|w\|^2 + \rho \|w\|_1

    with labels y_i in {-1, +1} inside (the intercept never penalised). Two classes
    are one problem (the second class in sort order is +1). More classes are either
    one-vs-rest (``multi_class="ovr"``, scikit-learn's way: one binary problem per
    class, class k +1 against the rest) or, for log_loss, the multinomial
    (``multi_class="multinomial"``: one softmax problem, W of shape d x K).

    Parameters
    ----------
    loss : str, default "log_loss"
        "log_loss", "hinge", "squared_hinge", "modified_huber" or "perceptron".
    penalty : {None, "l2", "l1", "elasticnet"}, default "l2"
        As scikit-learn's SGDClassifier (its default too): it keeps the weights
        bounded on separable data.
    alpha, l1_ratio, epsilon, optimizer, lr, learning_rate, eta0, power_t, batch_size,
    max_iter, tol, n_iter_no_change, fit_intercept, shuffle, random_state,
    early_stopping, validation_fraction, warm_start, average, verbose, momentum,
    optimizer_params, callback, gtol, l1_method
        As :class:`fastgd.GDRegressor` (early stopping scores accuracy on the held-out
        rows, stratified by class). ``power_t`` defaults to 0.5 as in SGDClassifier.
        ``gradient`` exists for the parameter API only (the Gram form is least
        squares').
    multi_class : {"ovr", "multinomial"}, default "ovr"
    class_weight : dict, "balanced" or None
        Weights per class, multiplying sample_weight: a dict class -> weight, or
        "balanced", n / (n_classes * count(class)). For one-vs-rest, problem k weighs
        its +1 rows by class k's weight and the rest by 1 (as scikit-learn).

    Attributes
    ----------
    classes_ : ndarray
    coef_ : ndarray (1, n_features) for two classes, (n_classes, n_features) otherwise
    intercept_ : ndarray (1,) or (n_classes,)
    n_iter_ : int
        Epochs of the longest problem's fit.
    loss_curve_ : ndarray, or a list of them (one per problem, one-vs-rest)
    lr_ : float
    status_ : str, or a list of them (one per problem, one-vs-rest)
    n_features_in_, feature_names_in_
        As GDRegressor.
    """

    _partial_calls: int

    def __init__(
        self,
        loss: str = "log_loss",
        *,
        penalty: str | None = "l2",
        alpha: float = 0.0001,
        l1_ratio: float = 0.15,
        epsilon: float = 0.1,
        optimizer: str | Optimizer = "sgd",
        lr: float | Schedule | Literal["auto"] | None = "auto",
        learning_rate: str | None = None,
        eta0: float = 0.01,
        power_t: float = 0.5,
        batch_size: int | None = None,
        max_iter: int = 1000,
        tol: float | None = 1e-3,
        n_iter_no_change: int = 5,
        fit_intercept: bool = True,
        shuffle: bool | Literal["rows", "blocks"] = True,
        random_state: int | np.random.Generator | np.random.RandomState | None = None,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        warm_start: bool = False,
        average: bool | int = False,
        verbose: bool = False,
        momentum: float | None = None,
        optimizer_params: dict[str, Any] | None = None,
        gradient: str = "auto",
        callback: Callable[..., object] | None = None,
        gtol: float | None = None,
        l1_method: str = "proximal",
        multi_class: str = "ovr",
        class_weight: dict[Any, float] | str | None = None,
    ) -> None:
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.epsilon = epsilon
        self.optimizer = optimizer
        self.lr = lr
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.fit_intercept = fit_intercept
        self.shuffle = shuffle
        self.random_state = random_state
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.warm_start = warm_start
        self.average = average
        self.verbose = verbose
        self.momentum = momentum
        self.optimizer_params = optimizer_params
        self.gradient = gradient
        self.callback = callback
        self.gtol = gtol
        self.l1_method = l1_method
        self.multi_class = multi_class
        self.class_weight = class_weight

    # --- hyperparameters ---------------------------------------------------------------

    def _classification_settings(self) -> tuple[Settings, bool]:
        """(the settings, whether more than two classes are one multinomial problem)."""
        s = self._settings()
        if s.loss in REGRESSION_LOSSES:
            raise ValueError(
                f"loss={s.loss!r} is a regression loss; GDClassifier takes log_loss, hinge, "
                "squared_hinge, modified_huber or perceptron (use GDRegressor to regress)"
            )
        if not isinstance(self.multi_class, str) or self.multi_class not in MULTI_CLASS:
            raise ValueError(
                f"multi_class must be 'ovr' or 'multinomial', got {v.describe(self.multi_class)}"
            )
        multinomial = self.multi_class == "multinomial"
        if multinomial and s.loss != "log_loss":
            raise ValueError(
                f"multi_class='multinomial' is the softmax of log_loss; loss={s.loss!r} is "
                "binary: use multi_class='ovr'"
            )
        return s, multinomial

    def _class_weights(self, classes: Array, index: Array) -> Array:
        """One weight per class (class_weight expanded; 1 where not given)."""
        cw = self.class_weight
        K = classes.size
        if cw is None:
            return np.ones(K)
        if isinstance(cw, str):
            if cw != "balanced":
                raise ValueError(f"class_weight must be a dict, 'balanced' or None, got {cw!r}")
            counts = np.bincount(index, minlength=K).astype(np.float64)
            if (counts == 0).any():
                raise ValueError(
                    "class_weight='balanced' needs every class in y; "
                    f"{classes[counts == 0].tolist()} have no rows"
                )
            return index.size / (K * counts)
        if not isinstance(cw, dict):
            raise TypeError(
                f"class_weight must be a dict, 'balanced' or None, got {type(cw).__name__}"
            )
        out = np.ones(K)
        known = {c.item() if hasattr(c, "item") else c: k for k, c in enumerate(classes)}
        for label, weight in cw.items():
            key = label.item() if hasattr(label, "item") else label
            if key not in known:
                raise ValueError(
                    f"class_weight has class {label!r}, which is not in the classes "
                    f"{classes.tolist()}"
                )
            w = v.real_number(weight, f"class_weight[{label!r}]")
            if not (np.isfinite(w) and w >= 0):
                raise ValueError(f"class_weight[{label!r}] must be finite and >= 0, got {weight!r}")
            out[known[key]] = w
        return out

    # --- labels -------------------------------------------------------------------------

    def _encode(self, y: Array, classes: Array) -> Array:
        """The class index of each label (every label must be one of classes)."""
        if classes.size == 2 and classes.dtype.kind in "fiub":
            # Two numeric classes: two comparisons, a fifth of searchsorted's time.
            positive = y == classes[1]
            bad = ~(positive | (y == classes[0]))
            index = positive.astype(np.intp)
        else:
            index = np.clip(np.searchsorted(classes, y), 0, classes.size - 1)
            bad = classes[index] != y
        if bad.any():
            raise ValueError(
                f"y has labels not in classes {classes.tolist()}: {np.unique(y[bad])[:5].tolist()}"
            )
        return index

    @staticmethod
    def _check_targets(y: Array) -> None:
        if HAVE_SKLEARN:
            from sklearn.utils.multiclass import check_classification_targets

            check_classification_targets(y)
        elif y.dtype.kind == "f" and not np.all(np.isfinite(y)):
            raise ValueError("y must hold class labels; it holds NaN or inf")
        elif y.dtype.kind == "f" and not np.all(y == np.round(y)):
            raise ValueError("Unknown label type: continuous; y must hold class labels")

    # --- fitting -------------------------------------------------------------------

    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        coef_init: ArrayLike | None = None,
        intercept_init: ArrayLike | None = None,
    ) -> GDClassifier:
        """Fit on all of X and y, max_iter epochs at most per problem. Returns self."""
        with self._lock():
            return self._fit(X, y, sample_weight, coef_init, intercept_init, None, False)

    def partial_fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        classes: ArrayLike | None = None,
        sample_weight: ArrayLike | None = None,
    ) -> GDClassifier:
        """One epoch over this batch, continuing from earlier calls. The first call
        needs ``classes`` (every class that will ever be seen), as scikit-learn."""
        with self._lock():
            return self._fit(X, y, sample_weight, None, None, classes, True)

    def _fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any,
        coef_init: Any,
        intercept_init: Any,
        classes: Any,
        partial: bool,
    ) -> GDClassifier:
        s, multinomial = self._classification_settings()
        first = not partial or not hasattr(self, "coef_")
        early = v.boolean(self.early_stopping, "early_stopping") and not partial
        chunked = self._over_chunks(X, y, early)
        if chunked and partial:
            raise TypeError(
                "partial_fit takes in-memory batches; for a Dask array use fit, or pass its "
                "chunks one by one (X.blocks[k].compute())"
            )
        if chunked:
            X, y = with_known_chunks(X, y)
            if early:
                raise ValueError("early_stopping is not available for Dask arrays")
            self.n_features_in_ = int(X.shape[1])
            Xa, ya = X, np.asarray(y.compute() if v.is_dask_array(y) else y)
            dtype = v.float_dtype_of(X, "X")
        else:
            Xa, ya = self._check_data(X, y, reset=first, numeric_y=False)
            dtype = Xa.dtype
        self._check_targets(ya)
        if partial and first:
            if classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit (every class "
                    "that any batch will hold)"
                )
            self.classes_ = np.unique(np.asarray(classes))
        elif partial and classes is not None:
            if not np.array_equal(np.unique(np.asarray(classes)), self.classes_):
                raise ValueError(
                    f"classes={np.asarray(classes).tolist()} is not the classes of the first "
                    f"partial_fit call, {self.classes_.tolist()}"
                )
        elif not partial:
            self.classes_ = np.unique(ya)
        classes_ = self.classes_
        if classes_.size < 2:
            raise ValueError(
                f"y has one class only ({classes_[0].item()!r}): a classifier needs at least two"
            )
        index = self._encode(ya, classes_)
        n, d = int(Xa.shape[0]), int(Xa.shape[1])
        K = classes_.size
        sw = row_weights(sample_weight, n, dtype)
        cw = self._class_weights(classes_, index)
        seed = v.seed_from(self.random_state)
        if partial:
            calls = 0 if first else self._partial_calls
            seed = (seed + calls * 0x9E3779B97F4A7C15) % 2**64
        sparse = v.is_sparse(Xa)
        start_coef, start_b = self._starting_point(
            coef_init, intercept_init, d, K, dtype, multinomial, partial
        )
        watcher = EpochWatcher(self, s, 1 if partial else v.integer(self.max_iter, "max_iter", 0))
        if early:
            train, val = watcher.split(n, seed, index)
            X_val, idx_val = Xa[val], index[val]
            Xa = Xa[train] if sparse else v.contiguous(Xa[train])
            index = index[train]
            sw = None if sw is None else np.ascontiguousarray(sw[train])
            n = index.size
        X_core = v.csr_matrix(Xa, finite_checked=True) if sparse else Xa
        # Class weights fold into the row weights, except on single-row SGD, which
        # takes them per problem as scikit-learn (weight_pos, weight_neg).
        problems = self._problems(K, multinomial)
        weighted = sw is not None or not np.all(cw == 1.0)
        backend = backend_of(self, s, sparse, chunked, weighted and not self._single_row_sgd())
        if not first and backend != self._backend:
            raise ValueError(
                f"this batch needs another fit ({backend}) than the earlier ones "
                f"({self._backend}): keep sample_weight and sparse/dense input the same"
            )
        keep_lr = None if first or not (isinstance(s.lr, str) and s.lr == "auto") else self.lr_
        state = None if first else self._state
        try:
            outcomes, state = self._solve_all(
                s,
                backend,
                problems,
                X_core,
                index,
                K,
                sw,
                cw,
                dtype,
                seed,
                watcher,
                start_coef,
                start_b,
                state,
                keep_lr,
                partial,
                chunked,
                (X_val, idx_val) if early else None,
            )
        finally:
            watcher.close()
        self._store(outcomes, multinomial, K, d, dtype, state, backend, partial, first)
        self._warn_all(outcomes, s, watcher.stopped_early, partial)
        return self

    @staticmethod
    def _problems(K: int, multinomial: bool) -> list[int]:
        """The problems to fit: [-1] for the multinomial, [1] for two classes (class 1
        is +1), [0, ..., K-1] for one-vs-rest."""
        if multinomial and K > 2:
            return [-1]
        if K == 2:
            return [1]
        return list(range(K))

    def _starting_point(
        self,
        coef_init: Any,
        intercept_init: Any,
        d: int,
        K: int,
        dtype: Any,
        multinomial: bool,
        partial: bool,
    ) -> tuple[Array | None, Array | None]:
        """(coef (rows, d), intercept (rows,)) to start from, or None for zeros."""
        rows = 1 if K == 2 else K
        if coef_init is None and intercept_init is None:
            keep = partial or v.boolean(self.warm_start, "warm_start")
            coef = getattr(self, "coef_", None)
            if keep and coef is not None and coef.shape == (rows, d):
                return coef.astype(dtype), np.asarray(self.intercept_, dtype)
            return None, None
        coef = np.zeros((rows, d), dtype)
        if coef_init is not None:
            c = v.as_array(coef_init, "coef_init")
            if c.shape not in ((rows, d),) + (((d,),) if rows == 1 else ()):
                raise ValueError(f"coef_init must have shape ({rows}, {d}), got {c.shape}")
            coef = c.reshape(rows, d).astype(dtype)
            v.require_finite(coef, "coef_init")
        b = np.zeros(rows, dtype)
        if intercept_init is not None:
            if not v.boolean(self.fit_intercept, "fit_intercept"):
                raise ValueError("intercept_init needs fit_intercept=True")
            bi = v.as_array(intercept_init, "intercept_init")
            if bi.size != rows:
                raise ValueError(f"intercept_init must have {rows} values, got shape {bi.shape}")
            b = bi.ravel().astype(dtype)
            v.require_finite(b, "intercept_init")
        return coef, b

    def _solve_all(
        self,
        s: Settings,
        backend: str,
        problems: list[int],
        X: Any,
        index: Array,
        K: int,
        sw: Array | None,
        cw: Array,
        dtype: Any,
        seed: int,
        watcher: EpochWatcher,
        start_coef: Array | None,
        start_b: Array | None,
        state: Any,
        keep_lr: float | None,
        partial: bool,
        chunked: bool,
        held_out: tuple[Any, Array] | None,
    ) -> tuple[list[Outcome], Any]:
        if problems == [-1]:  # the multinomial: one problem, class indices
            if held_out is not None:
                Xv, iv = held_out
                watcher.score = lambda W, b: float(np.mean(np.argmax(Xv @ W + b, axis=1) == iv))
            row_w = cw[index] if sw is None else sw * cw[index]
            weights = None if np.all(row_w == 1.0) else np.ascontiguousarray(row_w, dtype)
            p = Problem(
                X,
                index.astype(np.int64),
                K,
                weights,
                None if start_coef is None else start_coef.T.copy(),
                start_b,
                seed,
            )
            return solve(
                self, s, backend, p, watcher.on_epoch_or_none(), state, keep_lr, partial, chunked
            )
        labels = np.stack([np.where(index == k, 1.0, -1.0).astype(dtype) for k in problems])
        pos = np.array([cw[k] for k in problems])
        neg = np.array([cw[0] if len(problems) == 1 else 1.0 for _ in problems])
        if backend == "rows" and (
            held_out is None and watcher.user is None and not watcher.verbose
        ):
            p = Problem(X, labels[0], 1, sw, start_coef, start_b, seed)
            return solve(
                self, s, backend, p, None, state, keep_lr, partial, chunked, labels, pos, neg
            )
        outcomes: list[Outcome] = []
        states: list[Any] = []
        for j, k in enumerate(problems):
            y = labels[j]
            if held_out is not None:
                Xv, iv = held_out
                yv = np.where(iv == k, 1.0, -1.0)
                watcher.score = lambda w, b, Xv=Xv, yv=yv: float(
                    np.mean(np.where(np.asarray(Xv @ w) + float(b) > 0, 1.0, -1.0) == yv)
                )
            watcher.restart()
            coef0 = None if start_coef is None else start_coef[j]
            b0 = None if start_b is None else float(start_b[j])
            sub_state = None if state is None else state[j]
            if backend == "rows":
                p = Problem(X, y, 1, sw, coef0, b0, seed + j)
                outs, st = solve(
                    self,
                    s,
                    backend,
                    p,
                    watcher.on_epoch_or_none(),
                    sub_state,
                    keep_lr,
                    partial,
                    chunked,
                    y[None, :],
                    pos[j : j + 1],
                    neg[j : j + 1],
                )
            else:
                row_w = np.where(y > 0, pos[j], neg[j])
                if sw is not None:
                    row_w = row_w * sw
                weights = None if np.all(row_w == 1.0) else np.ascontiguousarray(row_w, dtype)
                p = Problem(X, y, 1, weights, coef0, b0, seed + j)
                outs, st = solve(
                    self,
                    s,
                    backend,
                    p,
                    watcher.on_epoch_or_none(),
                    sub_state,
                    keep_lr,
                    partial,
                    chunked,
                )
            out = outs[0]
            if watcher.best is not None:
                out = out._replace(coef=watcher.best[0], intercept=float(watcher.best[1]))
            outcomes.append(out)
            states.append(st)
        return outcomes, states

    def _store(
        self,
        outcomes: list[Outcome],
        multinomial: bool,
        K: int,
        d: int,
        dtype: Any,
        state: Any,
        backend: str,
        partial: bool,
        first: bool,
    ) -> None:
        if multinomial and K > 2:
            out = outcomes[0]
            self.coef_ = np.ascontiguousarray(np.asarray(out.coef).T, dtype)
            self.intercept_ = np.asarray(out.intercept, dtype).reshape(K)
        else:
            self.coef_ = np.stack([np.asarray(o.coef, dtype).reshape(d) for o in outcomes])
            self.intercept_ = np.array([float(o.intercept) for o in outcomes], dtype)
        self.lr_ = outcomes[0].lr
        self._state = state
        self._backend = backend
        single = len(outcomes) == 1
        statuses = [o.status for o in outcomes]
        curves = [np.asarray(o.losses, dtype=np.float64) for o in outcomes]
        if partial:
            calls = 0 if first else self._partial_calls
            self._partial_calls = calls + 1
            self.n_iter_ = self._partial_calls
            last = [c[-1:] for c in curves]
            if first:
                self.loss_curve_ = last[0] if single else last
            elif single:
                self.loss_curve_ = np.append(self.loss_curve_, last[0])
            else:
                self.loss_curve_ = [
                    np.append(a, b) for a, b in zip(self.loss_curve_, last, strict=False)
                ]
        else:
            self._partial_calls = 0
            self.n_iter_ = max(o.n_iter for o in outcomes)
            self.loss_curve_ = curves[0] if single else curves
        self.status_ = statuses[0] if single else statuses

    def _warn_all(
        self, outcomes: list[Outcome], s: Settings, stopped_early: bool, partial: bool
    ) -> None:
        for out in outcomes:
            if partial and out.status != "diverged":
                continue
            self._warn(out, s, stopped_early)
            if out.status in ("diverged", "stalled", "max_iter"):
                break  # one warning per fit

    # --- predicting --------------------------------------------------------------------

    def decision_function(self, X: ArrayLike) -> Array:
        """x . w + b per row: (n,) for two classes (> 0: classes_[1]), else (n, K)."""
        with self._lock():
            Xa = self._check_predict_X(X)
            scores = Xa @ self.coef_.T + self.intercept_
            return scores.ravel() if self.coef_.shape[0] == 1 else scores

    def predict(self, X: ArrayLike) -> Array:
        """The class of each row: the sign of the score, or its argmax."""
        with self._lock():
            scores = np.asarray(self.decision_function(X))
            if scores.ndim == 1:
                return self.classes_[(scores > 0).astype(np.intp)]
            return self.classes_[np.argmax(scores, axis=1)]

    @property
    def predict_proba(self) -> Callable[[ArrayLike], Array]:
        """Class probabilities (n, K), for log_loss and modified_huber only (an
        AttributeError otherwise, as scikit-learn): log_loss's sigmoid (one-vs-rest:
        normalised over the classes) or softmax (multinomial); modified_huber's
        (clip(score, -1, 1) + 1) / 2, normalised."""
        if self.loss not in PROBABILISTIC_LOSSES:
            raise AttributeError(
                f"probability estimates are not available for loss={self.loss!r} "
                f"(only for {', '.join(map(repr, PROBABILISTIC_LOSSES))})"
            )
        return self._predict_proba

    @property
    def predict_log_proba(self) -> Callable[[ArrayLike], Array]:
        """log of predict_proba (same losses)."""
        proba = self.predict_proba

        def log_proba(X: ArrayLike) -> Array:
            with np.errstate(divide="ignore"):
                return np.log(proba(X))

        return log_proba

    def _predict_proba(self, X: ArrayLike) -> Array:
        with self._lock():
            scores = np.asarray(self.decision_function(X), dtype=np.float64)
            multinomial = self.multi_class == "multinomial" and scores.ndim == 2
            if self.loss == "log_loss":
                if multinomial:
                    z = scores - scores.max(axis=1, keepdims=True)
                    e = np.exp(z)
                    return e / e.sum(axis=1, keepdims=True)
                p = 0.5 * (1.0 + np.tanh(0.5 * scores))  # the sigmoid, without overflow
            else:
                p = (np.clip(scores, -1.0, 1.0) + 1.0) / 2.0
            if p.ndim == 1:
                return np.column_stack([1.0 - p, p])
            total = p.sum(axis=1, keepdims=True)
            uniform = total == 0.0  # modified_huber: every class at -1 or below
            out = np.where(uniform, 1.0 / p.shape[1], p / np.where(uniform, 1.0, total))
            return out
