"""fastgd.sgd_rows.fit_rows: scikit-learn's single-row SGD as a compiled engine.

Oracles: scikit-learn's SGDClassifier / SGDRegressor with shuffle=False (the same rows
in the same order, so the same arithmetic: equal to ~1e-9), and a NumPy loop written
from scikit-learn's _plain_sgd (``reference`` below) for what scikit-learn has no twin
of (the proximal l1, fastgd's shuffle, float32, the recorded losses, the adaptive rate).
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDClassifier, SGDRegressor

from fastgd import reference as ref
from fastgd import schedules
from fastgd._core import _testing
from fastgd._validation import CSR, csr_matrix
from fastgd.sgd_rows import RowsState, fit_rows

from .conftest import interrupt_child

CLASSIFICATION = ["log_loss", "hinge", "squared_hinge", "modified_huber", "perceptron"]
REGRESSION = ["squared_error", "huber", "epsilon_insensitive", "squared_epsilon_insensitive"]
PENALTIES = {"l2": 0.0, "l1": 1.0, "elasticnet": 0.15}


def classification_data(n: int = 120, d: int = 6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X[rng.random((n, d)) < 0.4] = 0.0  # zeros: CSR rows differ from dense rows
    y = np.where(X @ rng.standard_normal(d) + 0.3 * rng.standard_normal(n) > 0, 1.0, -1.0)
    return X, y


def regression_data(n: int = 120, d: int = 6, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X[rng.random((n, d)) < 0.4] = 0.0
    y = X @ rng.standard_normal(d) + 0.5 + 0.2 * rng.standard_normal(n)
    return X, y


def optimal(alpha: float) -> schedules.Schedule:
    """scikit-learn's "optimal" rate: 1 / (alpha (t0 + t)) with its t0 heuristic:
    typw = sqrt(1 / sqrt(alpha)), eta0 = typw / max(1, dloss(-typw, 1)) (= typw for every
    loss here: the derivative at y = 1, z = -typw is negative)."""
    typw = np.sqrt(1.0 / np.sqrt(alpha))
    eta0 = typw / max(1.0, float(ref.loss_derivative("hinge", -typw, 1.0)))
    return schedules.inverse_time(eta0, decay=alpha * eta0)


def sklearn_fit(est: Any, X: Any, y: np.ndarray, **kw: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kw)


def assert_rel(got: np.ndarray, want: np.ndarray, rel: float = 1e-9) -> None:
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    scale = max(np.abs(want).max(), 1e-300)
    assert np.abs(got - want).max() <= rel * scale, (got, want)


def reference(
    X: np.ndarray,
    y: np.ndarray,
    *,
    loss: str,
    schedule: schedules.Schedule,
    orders: list[np.ndarray],
    alpha: float = 1e-4,
    l1_ratio: float = 0.15,
    l1_method: str = "truncated",
    epsilon: float = 0.1,
    fit_intercept: bool = True,
    intercept_decay: float = 1.0,
    average: int = 0,
    sample_weight: np.ndarray | None = None,
    weight_pos: float = 1.0,
    weight_neg: float = 1.0,
    lr_scales: list[float] | None = None,
    rows_nonzeros: bool = False,
) -> tuple[np.ndarray, float, list[float]]:
    """scikit-learn's _plain_sgd + WeightVector in NumPy, one epoch per order. The
    truncated l1 and the lazy average touch every feature of a dense row, or only the
    stored nonzeros (rows_nonzeros, as for CSR)."""
    n, d = X.shape
    v, ws, b = np.zeros(d), 1.0, 0.0
    aw, a, bb, ab = np.zeros(d), 0.0, 1.0, 0.0
    q, u, t = np.zeros(d), 0.0, 0
    sw = np.ones(n) if sample_weight is None else sample_weight
    losses = []

    def fold() -> None:
        nonlocal ws, a, bb
        aw[:] = (aw + a * v) * (1.0 / bb)
        a, bb = 0.0, 1.0
        v[:] *= ws
        ws = 1.0

    for epoch, order in enumerate(orders):
        scale = 1.0 if lr_scales is None else lr_scales[epoch]
        total = 0.0
        for r in order:
            x = X[r]
            idx = np.flatnonzero(x) if rows_nonzeros else np.arange(d)
            yr = y[r]
            p = ws * float(x @ v) + b
            eta = schedules_value(schedule, t) * scale
            s = (weight_pos if yr > 0 else weight_neg) * sw[r]
            total += float(ref.loss_value(loss, p, yr, epsilon))  # unweighted, as scikit-learn
            dl = float(np.clip(ref.loss_derivative(loss, p, yr, epsilon), -1e12, 1e12))
            upd = -eta * dl * s
            if alpha > 0 and l1_ratio < 1:
                ws *= max(0.0, 1.0 - (1.0 - l1_ratio) * eta * alpha)
                if ws < 1e-9:
                    fold()
            if upd != 0.0:
                v[idx] += x[idx] * (upd / ws)
                if fit_intercept:
                    b += upd * intercept_decay
            t1 = t + 1
            if 0 < average <= t1:
                k = t1 - average + 1
                aw[idx] += (a * x[idx]) * (-upd / ws)
                if k > 1:
                    bb /= 1.0 - 1.0 / k
                a += (1.0 / k) * bb * ws
                ab += (b - ab) / k
            if alpha > 0 and l1_ratio > 0:
                if l1_method == "truncated":
                    u += l1_ratio * eta * alpha
                    for j in idx:
                        z = v[j]
                        if ws * z > 0:
                            v[j] = max(0.0, v[j] - (u + q[j]) / ws)
                        elif ws * z < 0:
                            v[j] = min(0.0, v[j] + (u - q[j]) / ws)
                        q[j] += ws * (v[j] - z)
                else:
                    thr = l1_ratio * alpha * eta / ws
                    v[:] = np.sign(v) * np.maximum(np.abs(v) - thr, 0.0)
            t = t1
        v[:] *= ws
        a /= ws
        ws = 1.0
        # scikit-learn's tol objective: the mean loss plus the penalty (at the epoch's end)
        losses.append(total / n + ref.penalty(v, alpha, l1_ratio)[0])
    if 0 < average <= t:
        return (aw + a * v) / bb, ab, losses
    return v.copy(), b, losses


def schedules_value(schedule: schedules.Schedule, t: int) -> float:
    return float(ref.schedule_value(schedule, t))


# --- against scikit-learn -------------------------------------------------------------


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("average", [0, 1, 10], ids=["plain", "average", "average10"])
@pytest.mark.parametrize("penalty", list(PENALTIES))
@pytest.mark.parametrize("loss", CLASSIFICATION)
def test_classifier_equals_sklearn(loss: str, penalty: str, average: int, sparse: bool) -> None:
    X, y = classification_data()
    alpha = 1e-3
    if loss == "squared_hinge":
        # With "optimal" (eta0 ~ 5.6) the squared hinge runs away to |w| ~ 1e13, where
        # rounding differences grow past 1e-9: a small constant rate instead.
        kw: dict[str, Any] = dict(learning_rate="constant", eta0=0.01)
        schedule = schedules.constant(0.01)
    else:
        kw = dict(learning_rate="optimal")
        schedule = optimal(alpha)
    est = SGDClassifier(
        loss=loss,
        penalty=penalty,
        alpha=alpha,
        l1_ratio=0.15,
        shuffle=False,
        max_iter=3,
        tol=None,
        average={0: False, 1: True}.get(average, average),
        **kw,
    )
    Xs = sp.csr_matrix(X) if sparse else X
    sklearn_fit(est, Xs, y)
    got = fit_rows(
        csr_matrix(Xs) if sparse else X,
        y,
        loss=loss,
        alpha=alpha,
        l1_ratio=PENALTIES[penalty],
        schedule=schedule,
        average=average,
        shuffle=False,
        max_iter=3,
        intercept_decay=0.01 if sparse else 1.0,  # scikit-learn's SPARSE_INTERCEPT_DECAY
    )
    assert got.status == ["max_iter"]
    assert got.t == 3 * X.shape[0] == est.t_ - 1
    assert_rel(got.coef[0], est.coef_[0])
    assert_rel(got.intercept, est.intercept_)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("penalty", list(PENALTIES))
@pytest.mark.parametrize("loss", REGRESSION)
def test_regressor_equals_sklearn(loss: str, penalty: str, sparse: bool) -> None:
    X, y = regression_data()
    alpha = 1e-3
    est = SGDRegressor(
        loss=loss,
        penalty=penalty,
        alpha=alpha,
        epsilon=0.2,
        shuffle=False,
        max_iter=4,
        tol=None,
        learning_rate="invscaling",
        eta0=0.02,
        power_t=0.3,
        average=5,
    )
    Xs = sp.csr_matrix(X) if sparse else X
    sklearn_fit(est, Xs, y)
    got = fit_rows(
        csr_matrix(Xs) if sparse else X,
        y,
        loss=loss,
        epsilon=0.2,
        alpha=alpha,
        l1_ratio=PENALTIES[penalty],
        schedule=schedules.inverse_scaling(0.02, power=0.3),
        average=5,
        shuffle=False,
        max_iter=4,
        intercept_decay=0.01 if sparse else 1.0,
    )
    assert_rel(got.coef[0], est.coef_)
    assert_rel(got.intercept, est.intercept_)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_weights_equal_sklearn(sparse: bool) -> None:
    """sample_weight times the class weight of the label's sign, as scikit-learn's
    weight_pos / weight_neg (class_weight={+1: 2, -1: 0.5})."""
    X, y = classification_data(seed=3)
    sw = np.random.default_rng(4).uniform(0.2, 2.0, X.shape[0])
    alpha = 1e-3
    est = SGDClassifier(
        loss="log_loss",
        penalty="elasticnet",
        alpha=alpha,
        shuffle=False,
        max_iter=3,
        tol=None,
        class_weight={1.0: 2.0, -1.0: 0.5},
        average=7,
    )
    Xs = sp.csr_matrix(X) if sparse else X
    sklearn_fit(est, Xs, y, sample_weight=sw)
    got = fit_rows(
        csr_matrix(Xs) if sparse else X,
        y,
        loss="log_loss",
        alpha=alpha,
        l1_ratio=0.15,
        schedule=optimal(alpha),
        average=7,
        shuffle=False,
        max_iter=3,
        sample_weight=sw,
        weight_pos=2.0,
        weight_neg=0.5,
        intercept_decay=0.01 if sparse else 1.0,
    )
    assert_rel(got.coef[0], est.coef_[0])
    assert_rel(got.intercept, est.intercept_)


def test_one_vs_rest_equals_sklearn() -> None:
    """K = 3 fits at once (Y as K rows of +-1), as SGDClassifier's one-vs-rest."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((150, 5))
    labels = np.argmax(X @ rng.standard_normal((5, 3)), axis=1)
    alpha = 1e-3
    est = SGDClassifier(loss="hinge", alpha=alpha, shuffle=False, max_iter=3, tol=None)
    sklearn_fit(est, X, labels)
    Y = np.where(labels[None, :] == np.arange(3)[:, None], 1.0, -1.0)
    got = fit_rows(
        X,
        Y,
        loss="hinge",
        alpha=alpha,
        l1_ratio=0.0,
        schedule=optimal(alpha),
        shuffle=False,
        max_iter=3,
    )
    assert_rel(got.coef, est.coef_)
    assert_rel(got.intercept, est.intercept_)
    assert list(got.n_iter) == [3, 3, 3]


def test_adaptive_divides_by_five_as_sklearn() -> None:
    """learning_rate="adaptive": with tol huge every epoch after the first counts as no
    improvement (the first sets the best loss), so with n_iter_no_change=1 the epochs run
    at eta0, eta0, eta0/5, eta0/25."""
    X, y = classification_data(seed=6)
    est = SGDClassifier(
        loss="log_loss",
        alpha=1e-3,
        learning_rate="adaptive",
        eta0=0.1,
        tol=1e6,
        n_iter_no_change=1,
        shuffle=False,
        max_iter=4,
    )
    sklearn_fit(est, X, y)
    got = fit_rows(
        X,
        y,
        loss="log_loss",
        alpha=1e-3,
        l1_ratio=0.0,
        schedule=schedules.constant(0.1),
        adaptive=True,
        tol=1e6,
        n_iter_no_change=1,
        shuffle=False,
        max_iter=4,
    )
    assert got.status == ["max_iter"]
    assert_rel(got.coef[0], est.coef_[0])
    order = [np.arange(X.shape[0])] * 4
    w, b, _ = reference(
        X,
        y,
        loss="log_loss",
        alpha=1e-3,
        l1_ratio=0.0,
        schedule=schedules.constant(0.1),
        orders=order,
        lr_scales=[1.0, 1.0, 0.2, 0.04],
    )
    assert_rel(got.coef[0], w)
    assert got.intercept[0] == pytest.approx(b, rel=1e-9)


def test_no_improvement_stops_as_sklearn() -> None:
    X, y = classification_data(seed=7)
    est = SGDClassifier(
        loss="hinge", alpha=1e-3, tol=1e6, n_iter_no_change=2, shuffle=False, max_iter=20
    )
    sklearn_fit(est, X, y)
    got = fit_rows(
        X,
        y,
        loss="hinge",
        alpha=1e-3,
        l1_ratio=0.0,
        schedule=optimal(1e-3),
        tol=1e6,
        n_iter_no_change=2,
        shuffle=False,
        max_iter=20,
    )
    assert got.status == ["no_improvement"]
    assert got.n_iter[0] == est.n_iter_ == 3
    assert_rel(got.coef[0], est.coef_[0])


# --- against the NumPy loop -------------------------------------------------------------


@pytest.mark.parametrize("average", [0, 3])
def test_proximal_l1_equals_reference(average: int) -> None:
    """The proximal l1 (soft-threshold every weight by eta alpha l1_ratio after each
    step) has no scikit-learn twin: the NumPy loop is the oracle."""
    X, y = regression_data(seed=8)
    sched = schedules.inverse_scaling(0.05, power=0.25)
    got = fit_rows(
        X,
        y,
        loss="huber",
        alpha=0.05,
        l1_ratio=0.6,
        l1_method="proximal",
        schedule=sched,
        average=average,
        shuffle=False,
        max_iter=3,
        record=True,
    )
    w, b, losses = reference(
        X,
        y,
        loss="huber",
        alpha=0.05,
        l1_ratio=0.6,
        l1_method="proximal",
        schedule=sched,
        average=average,
        orders=[np.arange(X.shape[0])] * 3,
    )
    assert_rel(got.coef[0], w)
    assert got.intercept[0] == pytest.approx(b, rel=1e-9)
    np.testing.assert_allclose(got.losses[0], losses, rtol=1e-9)
    assert (got.state.coef == 0).any()  # the proximal step makes exact zeros


def test_shuffle_is_fastgd_permutation_and_losses_recorded() -> None:
    """shuffle=True visits rows in fastgd's permutation (seed, epoch); record=True gives
    each epoch's mean of s_i L_i as the rows were visited."""
    X, y = classification_data(seed=9)
    sw = np.random.default_rng(10).uniform(0.5, 1.5, X.shape[0])
    n = X.shape[0]
    got = fit_rows(
        X,
        y,
        loss="modified_huber",
        alpha=1e-3,
        schedule=optimal(1e-3),
        seed=11,
        max_iter=3,
        record=True,
        sample_weight=sw,
        weight_pos=1.5,
    )
    orders = [ref.permutation(11, e, n) for e in range(3)]
    np.testing.assert_array_equal(orders[1], _testing.permutation(11, 1, n))
    w, b, losses = reference(
        X,
        y,
        loss="modified_huber",
        alpha=1e-3,
        schedule=optimal(1e-3),
        orders=orders,
        sample_weight=sw,
        weight_pos=1.5,
    )
    assert_rel(got.coef[0], w)
    assert got.intercept[0] == pytest.approx(b, rel=1e-9)
    assert got.losses.shape == (1, 3)
    np.testing.assert_allclose(got.losses[0], losses, rtol=1e-9)


def test_csr_equals_dense_to_rounding() -> None:
    """Same settings, shuffled: the CSR fit (int32 and int64 indices) equals the dense
    fit on the same rows. The truncated l1 and the average touch only a CSR row's
    stored entries (as scikit-learn): with l2 only and no averaging, that is the same."""
    X, y = classification_data(n=300, d=20, seed=12)
    kw: dict[str, Any] = dict(
        loss="log_loss", alpha=1e-3, l1_ratio=0.0, schedule=optimal(1e-3), max_iter=3, seed=2
    )
    dense = fit_rows(X, y, **kw)
    A = sp.csr_matrix(X)
    assert csr_matrix(A).indices.dtype == np.int32
    for index in (np.int32, np.int64):
        # scipy keeps int32 indices when they fit: the int64 form is built directly.
        C = CSR(A.data, A.indices.astype(index), A.indptr.astype(index), A.shape)
        got = fit_rows(C, y, **kw)
        assert_rel(got.coef, dense.coef, rel=1e-10)
        assert got.intercept[0] == pytest.approx(dense.intercept[0], rel=1e-10)


def test_csr_truncated_l1_and_average_touch_stored_entries() -> None:
    X, y = classification_data(n=150, d=8, seed=13)
    kw: dict[str, Any] = dict(
        loss="hinge", alpha=2e-3, l1_ratio=0.5, schedule=optimal(2e-3), average=4
    )
    got = fit_rows(csr_matrix(sp.csr_matrix(X)), y, max_iter=2, seed=3, intercept_decay=0.5, **kw)
    orders = [ref.permutation(3, e, X.shape[0]) for e in range(2)]
    w, b, _ = reference(X, y, orders=orders, rows_nonzeros=True, intercept_decay=0.5, **kw)
    assert_rel(got.coef[0], w)
    assert got.intercept[0] == pytest.approx(b, rel=1e-9)


def test_float32_works() -> None:
    X, y = regression_data(n=200, seed=14)
    kw: dict[str, Any] = dict(
        loss="squared_error", alpha=1e-3, schedule=schedules.inverse_scaling(0.01), max_iter=3
    )
    f64 = fit_rows(X, y, **kw)
    f32 = fit_rows(X.astype(np.float32), y, **kw)
    assert f32.coef.dtype == np.float32
    assert f32.state.coef.dtype == np.float32
    assert_rel(f32.coef, f64.coef, rel=1e-4)
    assert f32.intercept[0] == pytest.approx(f64.intercept[0], rel=1e-4)
    c32 = fit_rows(csr_matrix(sp.csr_matrix(X.astype(np.float32))), y, **kw)
    assert c32.coef.dtype == np.float32
    assert_rel(c32.coef, f64.coef, rel=1e-4)


# --- threads, continuation, stopping ---------------------------------------------------


def test_fits_over_threads_bitwise_equal() -> None:
    rng = np.random.default_rng(15)
    X = rng.standard_normal((200, 6))
    Y = np.where(rng.standard_normal((3, 200)) > 0, 1.0, -1.0)
    kw: dict[str, Any] = dict(
        loss="log_loss",
        alpha=1e-3,
        l1_ratio=0.3,
        schedule=optimal(1e-3),
        average=2,
        max_iter=3,
        seed=[1, 2, 3],
        weight_pos=[1.0, 2.0, 0.5],
        weight_neg=[1.0, 0.5, 2.0],
    )
    one = fit_rows(X, Y, n_threads=1, **kw)
    two = fit_rows(X, Y, n_threads=2, **kw)
    np.testing.assert_array_equal(one.coef, two.coef)
    np.testing.assert_array_equal(one.intercept, two.intercept)
    for k in range(3):  # each fit is the fit of its own labels, seed and class weights
        alone = fit_rows(
            X,
            Y[k],
            **{
                **kw,
                "seed": k + 1,
                "weight_pos": kw["weight_pos"][k],
                "weight_neg": kw["weight_neg"][k],
            },
        )
        np.testing.assert_array_equal(alone.coef[0], one.coef[k])


def gathered_csr(
    dtype: Any = np.float64, index_dtype: Any = np.int32, seed: int = 21
) -> tuple[CSR, np.ndarray, np.ndarray]:
    """A CSR whose epochs one fit gathers on a second thread (sgd_rows_gather.hpp;
    checked by the tests): 3000 rows of ~60 values in 2^14 columns, labels +-1 and
    regression targets."""
    rng = np.random.default_rng(seed)
    n, d = 3000, 2**14
    A = sp.random(n, d, density=60 / d, format="csr", random_state=rng, dtype=np.float64)
    A.data = rng.exponential(1.0, A.nnz)
    target = A @ rng.standard_normal(d)
    X = CSR(
        A.data.astype(dtype),
        A.indices.astype(index_dtype),
        A.indptr.astype(index_dtype),
        A.shape,
    )
    nbytes = X.data.nbytes + X.indices.nbytes
    assert _testing.sgd_rows_gathers(2, n, nbytes)
    assert not _testing.sgd_rows_gathers(1, n, nbytes)
    return X, np.where(target > 0, 1.0, -1.0).astype(dtype), target.astype(dtype)


GATHERED_SETTINGS = {
    "log_loss-weights-elasticnet-average": dict(
        loss="log_loss",
        alpha=1e-3,
        l1_ratio=0.3,
        schedule=optimal(1e-3),
        average=100,
        weight_pos=2.0,
        weight_neg=0.5,
        sample_weight="random",
    ),
    "hinge-in-order": dict(loss="hinge", schedule=optimal(1e-4), shuffle=False),
    "huber-proximal-l1": dict(
        loss="huber",
        alpha=1e-3,
        l1_ratio=1.0,
        l1_method="proximal",
        schedule=schedules.inverse_scaling(0.01, 0.25),
        targets=True,
    ),
}


@pytest.mark.parametrize("settings", list(GATHERED_SETTINGS), ids=list(GATHERED_SETTINGS))
@pytest.mark.parametrize(
    ("dtype", "index_dtype"),
    [(np.float64, np.int32), (np.float32, np.int64)],
    ids=["f64-i32", "f32-i64"],
)
def test_rows_gathered_on_a_second_thread_give_the_one_thread_fit(
    settings: str, dtype: Any, index_dtype: Any
) -> None:
    """One fit's CSR epochs gathered on the pool's worker step through the same rows
    with the same arithmetic as on one thread: the same fit bit for bit, state and
    recorded losses included."""
    X, labels, targets = gathered_csr(dtype, index_dtype)
    kw: dict[str, Any] = dict(GATHERED_SETTINGS[settings])
    y = targets if kw.pop("targets", False) else labels
    if kw.get("sample_weight") == "random":
        kw["sample_weight"] = np.random.default_rng(22).random(y.size).astype(dtype) + 0.5
    kw.update(max_iter=3, record=True, seed=7)
    one = fit_rows(X, y, n_threads=1, **kw)
    two = fit_rows(X, y, n_threads=2, **kw)
    assert one.coef.tobytes() == two.coef.tobytes()
    assert one.intercept.tobytes() == two.intercept.tobytes()
    assert one.losses.tobytes() == two.losses.tobytes()
    assert one.t == two.t == 3 * y.size
    for a, b in zip(one.state, two.state, strict=True):
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes()


@pytest.mark.parametrize("where", [0, 1500, 2999], ids=["first-row", "middle", "last-row"])
@pytest.mark.parametrize("kind", ["index", "offsets"])
def test_rows_gathered_refuse_out_of_range_indices_and_offsets(where: int, kind: str) -> None:
    """The gathering thread checks every row as it copies it: a bad row anywhere in the
    epoch stops the fit with a ValueError (no read out of bounds), on two threads as on one."""
    X, y, _ = gathered_csr()
    indices, indptr = X.indices.copy(), X.indptr.copy()
    if kind == "index":
        indices[indptr[where]] = X.shape[1]
    else:
        indptr[where + 1] = indptr[-1] + 1
    bad = CSR(X.data, indices, indptr, X.shape)
    for threads in (1, 2):
        with pytest.raises(ValueError, match="out of range"):
            fit_rows(bad, y, loss="hinge", schedule=optimal(1e-4), n_threads=threads)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_two_calls_equal_one(sparse: bool) -> None:
    """Two calls of max_iter=1 with the state equal one call of max_iter=2, bit for bit
    (the schedule's t and the shuffle's epoch continue; the lazy average and the l1
    penalties are in the state)."""
    X, y = classification_data(seed=16)
    Xs: Any = csr_matrix(sp.csr_matrix(X)) if sparse else X
    kw: dict[str, Any] = dict(
        loss="log_loss", alpha=1e-2, l1_ratio=0.5, schedule=optimal(1e-2), average=50, seed=5
    )
    both = fit_rows(Xs, y, max_iter=2, **kw)
    first = fit_rows(Xs, y, max_iter=1, **kw)
    assert isinstance(first.state, RowsState)
    assert first.state.t == X.shape[0]
    assert first.state.epoch == 1
    second = fit_rows(Xs, y, max_iter=1, state=first.state, **kw)
    np.testing.assert_array_equal(second.coef, both.coef)
    np.testing.assert_array_equal(second.intercept, both.intercept)
    for a, b in zip(second.state, both.state, strict=True):
        np.testing.assert_array_equal(a, b)
    assert second.t == both.t == 2 * X.shape[0]


def test_divergence_is_reported() -> None:
    """A loss that overflows ends the fit with "diverged" (scikit-learn raises instead).
    With the loss computed (record=True) this does not depend on rounding: without it,
    only weights that became inf or NaN count (the derivative is clipped at 1e12)."""
    X, y = regression_data(seed=17)
    got = fit_rows(
        X * 1e150,
        y,
        loss="squared_error",
        alpha=0.0,
        schedule=schedules.constant(10.0),
        max_iter=5,
        record=True,
    )
    assert got.status == ["diverged"]
    assert got.n_iter[0] == 1
    assert not np.isfinite(got.losses[0, 0])


def test_on_epoch_stops_and_sees_the_loss() -> None:
    X, y = classification_data(seed=18)
    seen: list[tuple[int, float]] = []

    def on_epoch(epoch: int, loss: float, coef: np.ndarray, b: float) -> bool:
        seen.append((epoch, loss))
        assert coef.shape == (X.shape[1],)
        assert isinstance(b, float)
        return epoch == 2

    got = fit_rows(
        X, y, loss="hinge", schedule=optimal(1e-4), max_iter=5, on_epoch=on_epoch, record=True
    )
    assert got.status == ["stopped"]
    assert got.n_iter[0] == 2
    assert [e for e, _ in seen] == [1, 2]
    np.testing.assert_allclose(got.losses[0], [loss for _, loss in seen])


def test_on_epoch_error_propagates() -> None:
    X, y = classification_data(seed=19)

    def boom(*_: Any) -> bool:
        raise RuntimeError("from the callback")

    with pytest.raises(RuntimeError, match="from the callback"):
        fit_rows(X, y, loss="hinge", schedule=optimal(1e-4), on_epoch=boom)


def test_inputs_not_modified() -> None:
    X, y = classification_data(seed=20)
    sw = np.ones(X.shape[0])
    coef0 = np.full((1, X.shape[1]), 0.1)
    copies = [a.copy() for a in (X, y, sw, coef0)]
    got = fit_rows(
        X,
        y,
        loss="log_loss",
        schedule=optimal(1e-4),
        sample_weight=sw,
        coef_init=coef0,
        intercept_init=0.3,
    )
    for a, b in zip((X, y, sw, coef0), copies, strict=True):
        np.testing.assert_array_equal(a, b)
    state = got.state
    saved = [np.copy(a) for a in state]
    fit_rows(X, y, loss="log_loss", schedule=optimal(1e-4), state=state)
    for a, b in zip(state, saved, strict=True):
        np.testing.assert_array_equal(a, b)


CTRL_C_SCRIPT = """
import sys, time
import numpy as np
import scipy.sparse as sp
from fastgd import schedules
from fastgd._validation import csr_matrix
from fastgd.sgd_rows import fit_rows
rng = np.random.default_rng(0)
X = rng.standard_normal((100_000, 16))
Y = np.where(rng.standard_normal((%d, 100_000)) > 0, 1.0, -1.0)
Xf = csr_matrix(sp.csr_matrix(X)) if %r else X
print("ready", flush=True)
start = time.perf_counter()
try:
    fit_rows(Xf, Y, loss="log_loss", schedule=schedules.constant(1e-4), max_iter=10**6, n_threads=2)
except KeyboardInterrupt:
    print(f"interrupted {time.perf_counter() - start:.3f}", flush=True)
    sys.exit(0)
print("finished without interruption", flush=True)
sys.exit(1)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child needs POSIX")
@pytest.mark.parametrize(
    ("K", "sparse"), [(1, False), (1, True), (2, False)], ids=["dense", "csr", "two-fits"]
)
def test_ctrl_c_stops_fit_rows(K: int, sparse: bool) -> None:
    """Ctrl-C reaches the loop (every fit, on every thread) within the poller's ~20 ms."""
    returncode, out, err, latency = interrupt_child(CTRL_C_SCRIPT % (K, sparse))
    assert returncode == 0, (out, err)
    assert out.startswith("interrupted")
    assert latency < 5.0  # generous: the loop checks every ~20 ms


def test_every_instruction_set_agrees() -> None:
    """FASTGD_ARCH caps the dispatch: each compiled copy of the epoch gives the same fit
    to rounding (and the engine reports the copy it uses)."""
    code = """
import numpy as np, scipy.sparse as sp
from fastgd import schedules
from fastgd._core import _testing
from fastgd._validation import csr_matrix
from fastgd.sgd_rows import fit_rows
rng = np.random.default_rng(0)
X = rng.standard_normal((500, 37)); X[rng.random(X.shape) < 0.5] = 0
y = np.where(X @ rng.standard_normal(37) > 0, 1.0, -1.0)
kw = dict(loss="log_loss", alpha=1e-3, schedule=schedules.inverse_time(0.1, 1e-3), average=3, max_iter=2)
a = fit_rows(X, y, **kw).coef[0]
b = fit_rows(csr_matrix(sp.csr_matrix(X)), y, **kw).coef[0]
c = fit_rows(X.astype(np.float32), y, **kw).coef[0]
print(_testing.sgd_rows_arch(), *a, *b, *c)
"""
    rows = {}
    for arch in ("baseline", "avx2", "avx512"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            env=dict(os.environ, FASTGD_ARCH=arch),
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout.split()
        rows[out[0]] = np.array([float(x) for x in out[1:]])
    assert "baseline" in rows
    base = rows["baseline"]
    for values in rows.values():
        np.testing.assert_allclose(values[:74], base[:74], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(values[74:], base[74:], rtol=1e-4, atol=1e-5)
