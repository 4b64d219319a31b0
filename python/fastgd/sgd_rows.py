"""scikit-learn's single-row SGD as a compiled engine (internal; the estimators use it
for ``optimizer="sgd"`` with ``batch_size=1``).

The algorithm is scikit-learn's ``_plain_sgd`` with its ``WeightVector``
(cpp/include/fastgd/arch/sgd_rows_epoch.hpp), written as fastgd's own C++: per row,
p = wscale (x . v) + b; eta = schedule(t) times the adaptive factor; the loss's
derivative, clipped to [-1e12, 1e12]; update = -eta dloss s_i (s_i the sample weight
times the class weight of y_i's sign); the l2 part as a lazy scale of the weights; v +=
(update / wscale) x over the row's nonzeros; b += update * intercept_decay; averaging in
Bottou's lazy form from step ``average`` on; the l1 part; t += 1. A step costs O(nnz of
the row) (the proximal l1, which soft-thresholds every weight after each step, is O(d)).

Differences from scikit-learn, on purpose: the shuffle is fastgd's seeded permutation
(permutation.hpp), not scikit-learn's; the objective that ``tol`` watches is scikit-learn's,
the epoch's mean of L_i (without the weights) plus the penalty, but the penalty taken at
the epoch's end weights (scikit-learn adds it at every step); the no-improvement count and the
adaptive factor restart with each call (as scikit-learn's ``partial_fit``); wscale is
folded into the weights after every epoch while the lazy average stays lazy across epochs
and calls (scikit-learn folds both at the end of each call), so two calls of
``max_iter=1`` equal one of ``max_iter=2`` bit for bit. (With the truncated l1 and
averaging, scikit-learn's ``partial_fit`` differs from its ``fit`` because of that fold;
fastgd gives ``fit``'s result either way.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, NamedTuple

import numpy as np

from . import _core
from . import _validation as v
from .losses import CLASSIFICATION_LOSSES, LOSSES, check_loss, sample_weights
from .schedules import Schedule

__all__ = ["RowsFit", "RowsState", "fit_rows"]

Array = np.ndarray[Any, Any]


class RowsState(NamedTuple):
    """Everything a later call needs to continue exactly where a fit stopped."""

    coef: Array  # (K, d) the plain weights (wscale folded in), X's dtype
    intercept: Array  # (K,) float64
    avg_coef: Array  # (K, d) the lazy average's aw: the average is (aw + avg_a coef) / avg_b
    avg_a: Array  # (K,) float64
    avg_b: Array  # (K,) float64
    avg_intercept: Array  # (K,) float64
    q: Array  # (K, d) the truncated l1's per-feature penalty applied so far
    u: Array  # (K,) float64: the truncated l1's cumulative penalty
    t: int  # steps so far (the schedule's t; scikit-learn's t_ - 1)
    epoch: int  # epochs so far (the next shuffle's epoch index)


class RowsFit(NamedTuple):
    coef: Array  # (K, d) in X's dtype; the averaged weights when average is on
    intercept: Array  # (K,)
    losses: Array  # (K, epochs run) float64; empty rows when record=False
    n_iter: Array  # (K,) epochs run by each fit
    status: list[str]  # per fit: "no_improvement", "max_iter", "diverged", "stopped"
    t: int  # steps so far (for the next call's schedule)
    state: RowsState


def _per_fit(value: Any, K: int, name: str, default: float) -> list[float]:
    """None (default), one number for every fit, or K numbers; finite and >= 0."""
    if value is None:
        return [default] * K
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return [v.nonnegative(value, name)] * K
    arr = v.as_array(value, name)
    if arr.ndim != 1 or arr.shape[0] != K:
        raise ValueError(
            f"{name} must be a number, or one number per fit ({K} fits), got shape {arr.shape}"
        )
    return [v.nonnegative(x.item(), name) for x in arr]


def _seeds(seed: Any, K: int) -> list[int]:
    if isinstance(seed, (Sequence, np.ndarray)) and not isinstance(seed, (str, bytes)):
        seeds = list(seed)
        if len(seeds) != K:
            raise ValueError(
                f"seed must be an int, or one int per fit ({K} fits), got {len(seeds)}"
            )
        return [v.integer(s, "seed", 0, 2**64 - 1) for s in seeds]
    return [v.integer(seed, "seed", 0, 2**64 - 1)] * K


def _targets(Y: Any, n: int, dtype: np.dtype[Any], loss: str) -> Array:
    v.refuse_sparse(Y, "Y", "fit_rows")
    ya = v.as_array(Y, "Y")
    if ya.dtype.kind not in "fiub":
        raise TypeError(f"Y must hold real numbers, got dtype {ya.dtype}")
    if ya.ndim == 1:
        ya = ya[None, :]
    if ya.ndim != 2 or ya.shape[1] != n or ya.shape[0] < 1:
        raise ValueError(
            f"Y must have shape ({n},) or (K, {n}) (one target per row of X), got {np.shape(Y)}"
        )
    with np.errstate(over="ignore"):
        out = v.contiguous(ya, dtype)
    v.require_finite(out, "Y")
    if loss in CLASSIFICATION_LOSSES and not ((out == 1) | (out == -1)).all():
        raise ValueError(
            f"Y must hold labels -1 or +1 for loss={loss!r} (one-vs-rest: +1 for the class, "
            "-1 for the rest)"
        )
    return out


def _start(
    state: RowsState | None,
    coef_init: Any,
    intercept_init: Any,
    K: int,
    d: int,
    dtype: np.dtype[Any],
) -> tuple[dict[str, Array], int, int]:
    """The C++ init dict, the step count and the epoch count to start from."""
    zeros_kd = np.zeros((K, d), dtype)
    if state is not None:
        if coef_init is not None or intercept_init is not None:
            raise ValueError("pass state or coef_init/intercept_init, not both")
        if not isinstance(state, RowsState):
            raise TypeError(f"state must be a RowsState, got {type(state).__name__}")
        arrays = {}
        for name, shape, dt in (
            ("coef", (K, d), dtype),
            ("intercept", (K,), np.float64),
            ("avg_coef", (K, d), dtype),
            ("avg_a", (K,), np.float64),
            ("avg_b", (K,), np.float64),
            ("avg_intercept", (K,), np.float64),
            ("q", (K, d), dtype),
            ("u", (K,), np.float64),
        ):
            a = getattr(state, name)
            if not isinstance(a, np.ndarray) or a.shape != shape or a.dtype != dt:
                raise ValueError(
                    f"state.{name} must be an array of shape {shape} and dtype {np.dtype(dt)} "
                    "(the state of a fit with the same X and number of fits)"
                )
            arrays[name] = np.ascontiguousarray(a)
        return (
            arrays,
            v.integer(state.t, "state.t", 0),
            v.integer(state.epoch, "state.epoch", 0),
        )
    coef = zeros_kd.copy()
    if coef_init is not None:
        c = v.as_array(coef_init, "coef_init")
        if not (c.shape == (K, d) or (K == 1 and c.shape == (d,))):
            raise ValueError(f"coef_init must have shape ({K}, {d}), got {c.shape}")
        with np.errstate(over="ignore"):
            coef = v.contiguous(c.reshape(K, d), dtype).copy()
        v.require_finite(coef, "coef_init")
    intercept = np.zeros(K)
    if intercept_init is not None:
        b = v.as_array(intercept_init, "intercept_init")
        if b.size != K or b.ndim > 1:
            raise ValueError(f"intercept_init must have {K} value(s), got shape {b.shape}")
        intercept = v.contiguous(b.reshape(K), np.float64).copy()
        v.require_finite(intercept, "intercept_init")
    init = {
        "coef": coef,
        "intercept": intercept,
        "avg_coef": zeros_kd,
        "avg_a": np.zeros(K),
        "avg_b": np.ones(K),
        "avg_intercept": np.zeros(K),
        "q": zeros_kd,
        "u": np.zeros(K),
    }
    return init, 0, 0


def fit_rows(
    X: Any,
    Y: Any,
    *,
    loss: str,
    epsilon: float = 0.1,
    alpha: float = 0.0001,
    l1_ratio: float = 0.15,
    l1_method: str = "truncated",
    schedule: Schedule,
    adaptive: bool = False,
    fit_intercept: bool = True,
    intercept_decay: float = 1.0,
    average: int | bool = 0,
    tol: float | None = None,
    n_iter_no_change: int = 5,
    max_iter: int = 5,
    shuffle: bool | Literal["rows", "blocks"] = True,
    seed: int | Sequence[int] = 0,
    sample_weight: Any = None,
    weight_pos: Any = None,
    weight_neg: Any = None,
    record: bool = False,
    state: RowsState | None = None,
    coef_init: Any = None,
    intercept_init: Any = None,
    on_epoch: Callable[[int, float, Array, float], bool] | None = None,
    n_threads: int | None = None,
) -> RowsFit:
    """K single-row SGD fits over the rows of X (scikit-learn's algorithm; see the module).

    X: a C-contiguous float32/float64 ndarray (n, d) or a ``_validation.CSR``. Y: (n,)
    targets (regression) or labels +-1, or (K, n) for K one-vs-rest fits, each with its
    own seed (one int for all, or K), weight_pos and weight_neg. ``schedule`` gives the
    rate at the global step t (continued from ``state``); ``adaptive`` divides it by 5
    when the epoch loss stops improving (scikit-learn's "adaptive", with tol).
    ``average``: 0 off, a >= 1 averages from (1-based) step a on (True is 1); the returned
    coef/intercept are then the averaged ones once a steps were taken, as scikit-learn.
    ``on_epoch(epoch, loss, coef, intercept)`` -> True stops (K == 1 only); loss is the
    epoch's mean of L_i plus the penalty at the epoch's end (what tol watches). The fits run over ``n_threads`` threads (None: fastgd's
    setting); results do not depend on the thread count.
    """
    loss_ = check_loss(loss)
    if isinstance(X, v.CSR):
        n, d = X.shape
        dtype = X.data.dtype
        if dtype not in (np.float32, np.float64) or X.indices.dtype not in (np.int32, np.int64):
            raise TypeError("X must be a CSR of float32/float64 data and int32/int64 indices")
        if X.indptr.dtype != X.indices.dtype or X.indptr.shape != (n + 1,):
            raise ValueError("X's indptr must have n + 1 offsets of the indices' dtype")
    elif isinstance(X, np.ndarray):
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (n, d), got shape {X.shape}")
        if X.dtype not in (np.float32, np.float64):
            raise TypeError(f"X must be float32 or float64, got dtype {X.dtype}")
        if not X.flags.c_contiguous:
            raise ValueError("X must be C-contiguous (np.ascontiguousarray(X))")
        n, d = X.shape
        dtype = X.dtype
    else:
        raise TypeError(
            f"X must be a float32/float64 ndarray or a _validation.CSR, got {type(X).__name__}"
        )
    if n == 0:
        raise ValueError("X has no rows: single-row SGD needs at least one")
    Yc = _targets(Y, n, dtype, loss_)
    K = Yc.shape[0]
    if not isinstance(schedule, Schedule):
        raise TypeError(
            f"schedule must be a fastgd.schedules.Schedule, got {type(schedule).__name__}"
        )
    if not isinstance(l1_method, str) or l1_method not in ("truncated", "proximal"):
        raise ValueError(
            f"l1_method must be 'truncated' or 'proximal', got {v.describe(l1_method)}"
        )
    l1r = v.real_number(l1_ratio, "l1_ratio")
    if not 0.0 <= l1r <= 1.0:
        raise ValueError(f"l1_ratio must be in [0, 1], got {v.describe(l1_ratio)}")
    if isinstance(average, (bool, np.bool_)):
        average_ = 1 if average else 0
    else:
        average_ = v.integer(average, "average", 0)
    if tol is not None:
        tol = v.nonnegative(tol, "tol")
    if on_epoch is not None:
        if not callable(on_epoch):
            raise TypeError(f"on_epoch must be callable, got {type(on_epoch).__name__}")
        if K != 1:
            raise ValueError(f"on_epoch is for one fit only; Y holds {K}")
    threads = 0 if n_threads is None else v.integer(n_threads, "n_threads", 1, 2**31 - 1)
    settings = {
        "loss": LOSSES[loss_],
        "epsilon": v.nonnegative(epsilon, "epsilon"),
        "alpha": v.nonnegative(alpha, "alpha"),
        "l1_ratio": l1r,
        "l1_method": l1_method,
        "schedule": schedule.as_dict(),
        "adaptive": v.boolean(adaptive, "adaptive"),
        "fit_intercept": v.boolean(fit_intercept, "fit_intercept"),
        "intercept_decay": v.nonnegative(intercept_decay, "intercept_decay"),
        "average": average_,
        "tol": tol,
        "n_iter_no_change": v.integer(n_iter_no_change, "n_iter_no_change", 1),
        "max_iter": v.integer(max_iter, "max_iter", 1),
        "shuffle": v.shuffle_mode(shuffle),
        "record": v.boolean(record, "record"),
        "n_threads": threads,
        "seeds": _seeds(seed, K),
        "weight_pos": _per_fit(weight_pos, K, "weight_pos", 1.0),
        "weight_neg": _per_fit(weight_neg, K, "weight_neg", 1.0),
    }
    sw = sample_weights(sample_weight, n, dtype)
    init, t0, epoch0 = _start(state, coef_init, intercept_init, K, d, dtype)
    settings["t"] = t0
    settings["epoch"] = epoch0
    callback = None
    if on_epoch is not None:
        user = on_epoch

        def callback(epoch: int, value: float, coef: Array, b: float) -> bool:
            return bool(user(epoch, value, coef, b))

    if isinstance(X, v.CSR):
        out = _core.sgd_rows_csr(
            X.data, X.indices, X.indptr, d, Yc, sw, settings=settings, init=init, callback=callback
        )
    else:
        out = _core.sgd_rows_dense(X, Yc, sw, settings=settings, init=init, callback=callback)
    n_iter = np.asarray(out["n_iter"], np.int64)
    t_end = int(np.max(out["t"]))
    new_state = RowsState(
        coef=out["coef"],
        intercept=out["intercept"],
        avg_coef=out["avg_coef"],
        avg_a=out["avg_a"],
        avg_b=out["avg_b"],
        avg_intercept=out["avg_intercept"],
        q=out["q"],
        u=out["u"],
        t=t_end,
        epoch=epoch0 + int(n_iter.max()),
    )
    averaged = 0 < average_ <= t_end  # scikit-learn: average <= t_ - 1
    coef = out["average"] if averaged else new_state.coef.copy()
    intercept = new_state.avg_intercept.copy() if averaged else new_state.intercept.copy()
    width = int(n_iter.max()) if record else 0
    losses = np.full((K, width), np.nan)
    if record:
        for k, row in enumerate(out["losses"]):
            losses[k, : len(row)] = row
    return RowsFit(
        coef=coef,
        intercept=intercept,
        losses=losses,
        n_iter=n_iter,
        status=list(out["status"]),
        t=t_end,
        state=new_state,
    )
