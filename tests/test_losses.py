"""fastgd.loss_grad (scikit-learn's SGD losses and penalties in the fused row kernel)
against the NumPy reference, finite differences and exact identities."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse as scipy_sparse

import fastgd
from fastgd import reference as ref
from fastgd.losses import CLASSIFICATION_LOSSES, LOSSES, REGRESSION_LOSSES

RTOL = {np.dtype(np.float32): 2e-4, np.dtype(np.float64): 1e-10}
EPSILON = 0.3

# Where each loss's derivative jumps (margin m = y z for the classifiers, r = z - y
# for the regressors): float32 rounding of z may put a row on the other side, so
# the reference comparisons keep rows away from them.
JUMPS = {
    "epsilon_insensitive": ("r", (-EPSILON, EPSILON)),
    "hinge": ("m", (1.0,)),
    "perceptron": ("m", (0.0,)),
}

# (intercept, penalty, alpha, l1_ratio, weighted, rows)
CASES = {
    "plain": (0.0, None, 0.0, 0.15, False, False),
    "intercept-l2": (0.4, "l2", 0.05, 0.15, False, False),
    "elasticnet-weights": (-0.3, "elasticnet", 0.1, 0.4, True, False),
    "l1-weights-rows": (0.2, "l1", 0.02, 0.15, True, True),
}


def effective_l1_ratio(penalty, l1_ratio):
    return {None: 0.0, "l2": 0.0, "l1": 1.0, "elasticnet": l1_ratio}[penalty]


def make_data(loss, n, d, dtype, seed, intercept=0.0):
    """X, y (±1 for classifiers), w; rows near a jump of the derivative dropped."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(dtype)
    w = (rng.standard_normal(d) / np.sqrt(d)).astype(dtype)
    if loss in REGRESSION_LOSSES:
        y = (X.astype(np.float64) @ w + 0.5 * rng.standard_normal(n)).astype(dtype)
    else:
        y = np.where(rng.random(n) < 0.5, -1.0, 1.0).astype(dtype)
    if loss in JUMPS:
        z = X.astype(np.float64) @ w.astype(np.float64) + intercept
        kind, points = JUMPS[loss]
        t = z - y if kind == "r" else y * z
        keep = np.all([np.abs(t - p) > 1e-3 for p in points], axis=0)
        X, y = X[keep], y[keep]
    return np.ascontiguousarray(X), y, w


def case_kwargs(case, n, seed):
    intercept, penalty, alpha, l1_ratio, weighted, use_rows = CASES[case]
    rng = np.random.default_rng(seed + 1)
    kw = dict(intercept=intercept, penalty=penalty, alpha=alpha, l1_ratio=l1_ratio, epsilon=EPSILON)
    if weighted:
        kw["sample_weight"] = rng.random(n) * 2.0
    if use_rows:
        kw["rows"] = rng.integers(0, n, size=max(1, n // 2))
    return kw


def reference_of(loss, X, y, w, kw):
    sw = kw.get("sample_weight")
    return ref.loss_grad(
        X.astype(np.float64),
        y.astype(np.float64),
        w.astype(np.float64),
        loss,
        intercept=kw["intercept"],
        alpha=kw["alpha"] if kw["penalty"] else 0.0,
        l1_ratio=effective_l1_ratio(kw["penalty"], kw["l1_ratio"]),
        sample_weight=None if sw is None else np.asarray(sw, X.dtype).astype(np.float64),
        rows=kw.get("rows"),
        epsilon=kw["epsilon"],
    )


def assert_close(loss, X, got, want, sw=None):
    """got = (value, grad_w, grad_b) against want, to the dtype's rounding of the
    absolute terms summed."""
    rtol = RTOL[got[1].dtype]
    s = np.ones(X.shape[0]) if sw is None else np.asarray(sw, np.float64)
    Xa = np.abs(X.astype(np.float64))
    # dL/dz is at most of the order of |z| + |y| + 1 for every loss here.
    bound = s * (Xa.sum(axis=1) + 2.0) * 4.0
    scale_g = float((Xa.T @ bound).max()) / X.shape[0] + 1.0
    scale_l = float(np.sum(s * (Xa.sum(axis=1) + 2.0) ** 2)) / X.shape[0] + 1.0
    np.testing.assert_allclose(got[0], want[0], rtol=rtol, atol=rtol * scale_l)
    np.testing.assert_allclose(got[1], want[1], rtol=rtol, atol=rtol * scale_g)
    np.testing.assert_allclose(got[2], want[2], rtol=rtol, atol=rtol * scale_g)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("loss", list(LOSSES))
def test_loss_matches_reference(loss, dtype, case):
    X, y, w = make_data(loss, 600, 7, dtype, seed=3, intercept=CASES[case][0])
    kw = case_kwargs(case, X.shape[0], seed=3)
    got = fastgd.loss_grad(X, y, w, loss=loss, **kw)
    assert isinstance(got[0], float)
    assert isinstance(got[2], float)
    assert got[1].dtype == dtype
    assert got[1].shape == w.shape
    assert_close(loss, X, got, reference_of(loss, X, y, w, kw), kw.get("sample_weight"))


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("loss", list(LOSSES))
def test_narrow_rows_match_reference(loss, dtype, case):
    """Every width of the dense rows-in-order kernel across the lanes (d <= 8: a
    register of rows at a time, columns by shuffles), the widths of the narrow-rows kernel
    (up to 4 registers a row: 32 doubles or 64 floats with AVX-512, whose loads run
    into the next row), the first widths past each, and row counts that leave a tail
    of fewer rows than a register (and one row only)."""
    for d in [*range(1, 18), 23, 31, 32, 33, 47, 48, 63, 64, 65]:
        for n in (1, 203):
            X, y, w = make_data(loss, n, d, dtype, seed=d, intercept=CASES[case][0])
            if X.shape[0] == 0:
                continue
            kw = case_kwargs(case, X.shape[0], seed=d)
            got = fastgd.loss_grad(X, y, w, loss=loss, **kw)
            want = reference_of(loss, X, y, w, kw)
            assert_close(loss, X, got, want, kw.get("sample_weight"))


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("loss", list(LOSSES))
def test_wide_rows_match_reference(loss, dtype, case):
    """Rows of 1-9 KB: up to 8 KB a block's dots read its rows in order, past that the
    gradient terms and the next block's dots share one sweep over the columns (257,
    1025 and 2100 values: both kinds in each dtype, with and without a
    vector or scalar tail); row counts that end on a full block, leave a tail of rows,
    or give one block."""
    for d in (257, 1025, 2100):
        for n in (4, 8, 37, 64):
            X, y, w = make_data(loss, n, d, dtype, seed=d + n, intercept=CASES[case][0])
            if X.shape[0] == 0:
                continue
            kw = case_kwargs(case, X.shape[0], seed=d)
            got = fastgd.loss_grad(X, y, w, loss=loss, **kw)
            assert_close(loss, X, got, reference_of(loss, X, y, w, kw), kw.get("sample_weight"))


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("loss", list(LOSSES))
def test_gradient_matches_finite_differences(loss, case):
    X, y, w = make_data(loss, 80, 5, np.float64, seed=5, intercept=CASES[case][0])
    kw = case_kwargs(case, X.shape[0], seed=5)
    if loss in JUMPS:  # keep the central differences off the jumps: step 1e-7
        pass
    value, g, gb = fastgd.loss_grad(X, y, w, loss=loss, **kw)
    h = 1e-7 if loss in JUMPS else 1e-6

    def f(w_, b_):
        return fastgd.loss_grad(X, y, w_, loss=loss, **{**kw, "intercept": b_})[0]

    b = kw["intercept"]
    for j in range(w.size):
        e = np.zeros_like(w)
        e[j] = h
        fd = (f(w + e, b) - f(w - e, b)) / (2 * h)
        assert g[j] == pytest.approx(fd, rel=1e-5, abs=1e-6), j
    fd_b = (f(w, b + h) - f(w, b - h)) / (2 * h)
    assert gb == pytest.approx(fd_b, rel=1e-5, abs=1e-6)
    assert value == pytest.approx(reference_of(loss, X, y, w, kw)[0], rel=1e-12)


def test_squared_error_is_half_the_least_squares_loss():
    rng = np.random.default_rng(7)
    X, y, w = rng.standard_normal((300, 6)), rng.standard_normal(300), rng.standard_normal(6)
    value, g, gb = fastgd.loss_grad(X, y, w, loss="squared_error", intercept=0.7)
    ls, lg = fastgd.least_squares_loss_grad(X, y, w, intercept=0.7)
    assert value == pytest.approx(ls / 2, rel=1e-12)
    np.testing.assert_allclose(g, lg[:6] / 2, rtol=1e-10, atol=1e-13)
    assert gb == pytest.approx(lg[6] / 2, rel=1e-10)


def test_labels_zero_one_are_minus_one_plus_one():
    rng = np.random.default_rng(8)
    X, w = rng.standard_normal((50, 3)), rng.standard_normal(3)
    y01 = rng.integers(0, 2, 50)
    ypm = np.where(y01 == 1, 1.0, -1.0)
    for loss in CLASSIFICATION_LOSSES:
        a = fastgd.loss_grad(X, y01, w, loss=loss)
        b = fastgd.loss_grad(X, ypm, w, loss=loss)
        assert a[0] == b[0]
        assert np.array_equal(a[1], b[1])
        assert a[2] == b[2]
    assert (
        fastgd.loss_grad(X, y01.astype(bool), w, loss="hinge")[0]
        == fastgd.loss_grad(X, ypm, w, loss="hinge")[0]
    )


def strided(a):
    """The same values, not contiguous: loss_grad then checks y in Python."""
    b = np.empty(2 * a.size, a.dtype)
    b[::2] = a
    return b[::2]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_targets_checked_in_the_kernel_as_in_python(dtype, threads):
    # y in the compute dtype and contiguous is checked chunk by chunk as the kernel
    # reads it (linear_loss.hpp, y_check): the same results and the same errors as
    # the checks in Python, wherever the bad value is (first, middle, last chunk).
    rng = np.random.default_rng(41)
    n = 70_001
    X = rng.standard_normal((n, 2)).astype(dtype)
    w = np.array([0.3, -0.2], dtype)
    labels = np.where(rng.random(n) < 0.5, -1.0, 1.0).astype(dtype)
    targets = rng.standard_normal(n).astype(dtype)
    before = fastgd.get_num_threads()
    fastgd.set_num_threads(threads)
    try:
        for loss in LOSSES:
            y = labels if loss in CLASSIFICATION_LOSSES else targets
            fast = fastgd.loss_grad(X, y, w, loss=loss, intercept=0.1)
            slow = fastgd.loss_grad(X, strided(y), w, loss=loss, intercept=0.1)
            assert fast[0] == slow[0]
            assert np.array_equal(fast[1], slow[1])
            assert fast[2] == slow[2]
            bad_values = (
                [np.nan, np.inf, -np.inf]
                if loss in REGRESSION_LOSSES
                else [np.nan, 0.5, 2.0, -0.0, np.inf]
            )
            match = (
                "y contains 1 NaN or infinite"
                if loss in REGRESSION_LOSSES
                else "y must hold binary labels"
            )
            for at in (0, n // 2, n - 1):
                for bad in bad_values:
                    y_bad = y.copy()
                    y_bad[at] = bad
                    with pytest.raises(ValueError, match=match):
                        fastgd.loss_grad(X, y_bad, w, loss=loss)
        # {0, 1} labels in the compute dtype fail the kernel's check, then are converted.
        y01 = (labels > 0).astype(dtype)
        for loss in CLASSIFICATION_LOSSES:
            a = fastgd.loss_grad(X, y01, w, loss=loss)
            b = fastgd.loss_grad(X, labels, w, loss=loss)
            assert a[0] == b[0]
            assert np.array_equal(a[1], b[1])
    finally:
        fastgd.set_num_threads(before)


def test_core_y_check_returns_none_when_y_fails():
    from fastgd import _core

    X = np.ones((600, 1))
    y = np.ones(600)
    w = np.ones(1)
    args = (None, None, LOSSES["hinge"], 0.1, 0.0, 0.0)
    assert _core.linear_loss_grad(X, y, w, 0.0, *args, 2) is not None
    y[599] = 0.0
    assert _core.linear_loss_grad(X, y, w, 0.0, *args, 2) is None
    assert _core.linear_loss_grad(X, y, w, 0.0, *args, 1) is not None  # finite
    assert _core.linear_loss_grad(X, y, w, 0.0, *args) is not None  # no check
    with pytest.raises(ValueError, match="y_check needs rows=None"):
        _core.linear_loss_grad(X, y, w, 0.0, None, np.arange(3), *args[2:], 2)
    with pytest.raises(ValueError, match="y_check must be 0, 1 or 2"):
        _core.linear_loss_grad(X, y, w, 0.0, *args, 3)


def test_integer_sample_weights_equal_repeated_rows():
    # (1/n) sum s_i L_i: weight 2 on row 0 is row 0 twice, over n + 1 rows.
    rng = np.random.default_rng(9)
    X, y, w = rng.standard_normal((40, 4)), rng.standard_normal(40), rng.standard_normal(4)
    sw = np.ones(40)
    sw[0] = 2.0
    for loss in ("huber", "log_loss"):
        yy = y if loss == "huber" else np.sign(y)
        a = fastgd.loss_grad(X, yy, w, loss=loss, sample_weight=sw)
        b = fastgd.loss_grad(X, yy, w, loss=loss, rows=np.r_[0, np.arange(40)])
        assert a[0] * 40 == pytest.approx(b[0] * 41, rel=1e-12)
        np.testing.assert_allclose(a[1] * 40, b[1] * 41, rtol=1e-11, atol=1e-13)
    zero = fastgd.loss_grad(X, y, w, sample_weight=np.zeros(40), penalty="l2", alpha=0.5)
    assert zero[0] == pytest.approx(0.5 * 0.5 * float(w @ w), rel=1e-12)  # only alpha R(w) is left
    np.testing.assert_allclose(zero[1], 0.5 * w, rtol=1e-12)
    assert zero[2] == 0.0


def test_penalties_have_scikit_learns_meaning():
    rng = np.random.default_rng(10)
    X, y, w = rng.standard_normal((30, 4)), rng.standard_normal(30), rng.standard_normal(4)
    base = fastgd.loss_grad(X, y, w)
    # penalty=None ignores alpha; "l2" ignores l1_ratio; "l1" is l1_ratio = 1.
    assert fastgd.loss_grad(X, y, w, penalty=None, alpha=3.0)[0] == base[0]
    l2 = fastgd.loss_grad(X, y, w, penalty="l2", alpha=0.2, l1_ratio=0.9)
    assert l2[0] == pytest.approx(base[0] + 0.1 * float(w @ w), rel=1e-12)
    np.testing.assert_allclose(l2[1], base[1] + 0.2 * w, rtol=1e-12)
    l1 = fastgd.loss_grad(X, y, w, penalty="l1", alpha=0.2)
    assert l1[0] == pytest.approx(base[0] + 0.2 * np.abs(w).sum(), rel=1e-12)
    np.testing.assert_allclose(l1[1], base[1] + 0.2 * np.sign(w), rtol=1e-12)
    en = fastgd.loss_grad(X, y, w, penalty="elasticnet", alpha=0.2, l1_ratio=1.0)
    assert en[0] == l1[0]
    assert np.array_equal(en[1], l1[1])
    # l1's subgradient at 0 is 0; the intercept is never penalised.
    w0 = np.zeros(4)
    a = fastgd.loss_grad(X, y, w0, penalty="l1", alpha=5.0, intercept=2.0)
    b = fastgd.loss_grad(X, y, w0, intercept=2.0)
    assert a[0] == b[0]
    assert np.array_equal(a[1], b[1])
    assert a[2] == b[2]


def test_log_loss_is_stable_for_large_margins():
    X = np.array([[1.0], [1.0], [-1.0]])
    y = np.array([1.0, -1.0, 1.0])
    value, g, gb = fastgd.loss_grad(X, y, np.array([1e4]), loss="log_loss")
    # rows: m = 1e4 (loss ~0), m = -1e4 (loss 1e4), m = -1e4 (loss 1e4).
    assert value == pytest.approx(2e4 / 3, rel=1e-12)
    assert np.isfinite(g).all()
    assert np.isfinite(gb)
    assert g[0] == pytest.approx((1.0 + 1.0) / 3 * 1.0, rel=1e-12)  # -y x at the saturated rows
    value, _, _ = fastgd.loss_grad(X[:1], y[:1], np.array([40.0]), loss="log_loss")
    assert value == pytest.approx(np.exp(-40.0), rel=1e-12)  # log1p, not log(1 + tiny)


LOG_LOSS_MARGINS = [
    # 0 and tiny; about ln2 / 2 (where exp's reduction flips k); about -log(sqrt 2 - 1)
    # (where log1p's reduction flips); moderate; exp(-m) near and below the smallest
    # normal double (the vector exp flushes those to 0).
    *(0.0, 1e-300, 1e-17, 1e-8, 0.3, 0.3465, 0.3467, 0.5, 0.8813, 0.8815, 1.0, 2.5),
    *(10.0, 36.7, 40.0, 300.0, 707.9, 708.1, 745.2, 800.0, 1e4),
]


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_log_loss_at_margins_across_the_range(dtype, sparse):
    # Each margin fills 64 rows, so they go through the kernel's blocks of rows
    # (evaluated a register at a time; CSR: 64 rows) on every instruction set, not
    # only its row-by-row tail.
    for m in LOG_LOSS_MARGINS:
        for sign in (1.0, -1.0):
            for label in (1.0, -1.0):
                z = np.float64(dtype(sign * m))  # the margin as X holds it
                X = np.full((64, 1), z, dtype)
                y = np.full(64, label, dtype)
                got = fastgd.loss_grad(
                    scipy_sparse.csr_matrix(X) if sparse else X,
                    y,
                    np.ones(1, dtype),
                    loss="log_loss",
                )
                t = label * z
                e = math.exp(-abs(t))
                value = math.log1p(e) + max(-t, 0.0)
                deriv = -label * (e if t > 0 else 1.0) / (1.0 + e)
                where = f"z={z} y={label}"
                # float32 rows may be evaluated in float (the log loss's float lanes):
                # float's precision, and its subnormals' absolute spacing.
                rel_v, abs_v = (1e-14, 1e-300) if dtype == np.float64 else (1e-6, 1e-44)
                assert got[0] == pytest.approx(value, rel=rel_v, abs=abs_v), where
                # dL/dz is rounded to X's dtype before it multiplies x.
                deriv_t, tiny = float(dtype(deriv)), float(np.finfo(dtype).tiny)
                rel_g = 1e-14 if dtype == np.float64 else 1e-6
                assert got[1][0] == pytest.approx(deriv_t * z, rel=rel_g, abs=tiny), where
                assert got[2] == pytest.approx(deriv_t, rel=rel_g, abs=tiny), where


def test_each_loss_at_written_out_points():
    # (loss, z, y, value, derivative), from scikit-learn's definitions by hand.
    table = [
        ("squared_error", 3.0, 1.0, 2.0, 2.0),
        ("huber", 3.0, 1.0, 0.3 * 2.0 - 0.045, 0.3),
        ("huber", 1.1, 1.0, 0.005, 0.1),
        ("epsilon_insensitive", 0.0, 1.0, 0.7, -1.0),
        ("epsilon_insensitive", 1.2, 1.0, 0.0, 0.0),
        ("squared_epsilon_insensitive", 2.0, 1.0, 0.49, 1.4),
        ("log_loss", 0.0, 1.0, np.log(2.0), -0.5),
        ("hinge", 0.5, 1.0, 0.5, -1.0),
        ("hinge", 1.0, -1.0, 2.0, 1.0),
        ("hinge", 2.0, 1.0, 0.0, 0.0),
        ("squared_hinge", 0.5, 1.0, 0.25, -1.0),
        ("modified_huber", 0.5, 1.0, 0.25, -1.0),
        ("modified_huber", -2.0, 1.0, 8.0, -4.0),
        ("modified_huber", 1.5, 1.0, 0.0, 0.0),
        ("perceptron", -0.5, 1.0, 0.5, -1.0),
        ("perceptron", 0.5, 1.0, 0.0, 0.0),
    ]
    for loss, z, y, value, deriv in table:
        got = fastgd.loss_grad(
            np.array([[1.0]]), np.array([y]), np.array([z]), loss=loss, epsilon=EPSILON
        )
        assert got[0] == pytest.approx(value, rel=1e-12, abs=1e-15), loss
        assert got[1][0] == pytest.approx(deriv, rel=1e-12, abs=1e-15), loss
        assert got[2] == pytest.approx(deriv, rel=1e-12, abs=1e-15), loss
        assert float(ref.loss_value(loss, z, y, EPSILON)) == pytest.approx(
            value, rel=1e-12, abs=1e-15
        )
        assert float(ref.loss_derivative(loss, z, y, EPSILON)) == pytest.approx(
            deriv, rel=1e-12, abs=1e-15
        )


# --- multinomial --------------------------------------------------------------------


def multinomial_data(n, d, K, dtype, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(dtype)
    W = rng.standard_normal((d, K)).astype(dtype)
    return X, rng.integers(0, K, n), W, rng.standard_normal(K).astype(dtype)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_multinomial_matches_reference(dtype, case):
    X, y, W, b = multinomial_data(700, 9, 4, dtype, seed=11)
    kw = case_kwargs(case, 700, seed=11)
    kw.pop("epsilon")
    kw["intercept"] = b
    got = fastgd.loss_grad(X, y, W, loss="log_loss", **kw)
    assert got[1].shape == (9, 4)
    assert got[2].shape == (4,)
    assert got[1].dtype == dtype
    assert got[2].dtype == dtype
    sw = kw.get("sample_weight")
    want = ref.multinomial_loss_grad(
        X.astype(np.float64),
        y,
        W.astype(np.float64),
        b.astype(np.float64),
        alpha=kw["alpha"] if kw["penalty"] else 0.0,
        l1_ratio=effective_l1_ratio(kw["penalty"], kw["l1_ratio"]),
        sample_weight=None if sw is None else np.asarray(sw, dtype).astype(np.float64),
        rows=kw.get("rows"),
    )
    rtol = RTOL[np.dtype(dtype)]
    scale = float(np.abs(X.astype(np.float64)).sum(axis=1).max()) * 3.0 + 1.0
    np.testing.assert_allclose(got[0], want[0], rtol=rtol, atol=rtol * scale)
    np.testing.assert_allclose(got[1], want[1], rtol=rtol, atol=rtol * scale)
    np.testing.assert_allclose(got[2], want[2], rtol=rtol, atol=rtol * scale)


def test_multinomial_gradient_matches_finite_differences():
    X, y, W, b = multinomial_data(60, 4, 3, np.float64, seed=12)
    sw = np.random.default_rng(13).random(60)
    kw = dict(loss="log_loss", penalty="elasticnet", alpha=0.05, l1_ratio=0.3, sample_weight=sw)
    _, gW, gb = fastgd.loss_grad(X, y, W, intercept=b, **kw)
    h = 1e-6
    for j in range(4):
        for k in range(3):
            E = np.zeros_like(W)
            E[j, k] = h
            fd = (
                fastgd.loss_grad(X, y, W + E, intercept=b, **kw)[0]
                - fastgd.loss_grad(X, y, W - E, intercept=b, **kw)[0]
            ) / (2 * h)
            assert gW[j, k] == pytest.approx(fd, rel=1e-6, abs=1e-8)
    for k in range(3):
        e = np.zeros(3)
        e[k] = h
        fd = (
            fastgd.loss_grad(X, y, W, intercept=b + e, **kw)[0]
            - fastgd.loss_grad(X, y, W, intercept=b - e, **kw)[0]
        ) / (2 * h)
        assert gb[k] == pytest.approx(fd, rel=1e-6, abs=1e-8)


def test_two_class_multinomial_is_the_binary_log_loss():
    # softmax over (0, z) is the logistic model: class 1 <-> +1.
    rng = np.random.default_rng(14)
    X, w, y = rng.standard_normal((90, 5)), rng.standard_normal(5), rng.integers(0, 2, 90)
    W = np.column_stack([np.zeros(5), w])
    multi = fastgd.loss_grad(X, y, W, loss="log_loss", intercept=np.array([0.0, 0.4]))
    binary = fastgd.loss_grad(X, y, w, loss="log_loss", intercept=0.4)
    assert multi[0] == pytest.approx(binary[0], rel=1e-12)
    np.testing.assert_allclose(multi[1][:, 1], binary[1], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(multi[1][:, 0], -binary[1], rtol=1e-10, atol=1e-14)
    assert multi[2][1] == pytest.approx(binary[2], rel=1e-10)


def test_multinomial_is_stable_for_large_scores():
    X = np.array([[1.0], [1.0]])
    W = np.array([[1000.0, -1000.0, 0.0]])
    value, gW, gb = fastgd.loss_grad(X, np.array([0, 1]), W, loss="log_loss")
    assert value == pytest.approx(1000.0, rel=1e-12)  # row 1 misses by 2000: loss 2000
    assert np.isfinite(gW).all()
    assert np.isfinite(gb).all()


# --- determinism and dispatch ---------------------------------------------------------


def big_problem(loss, dtype=np.float64):
    rng = np.random.default_rng(15)
    n, d = 40_000, 16  # three tasks of fixed rows, more than the serial threshold
    X = rng.standard_normal((n, d)).astype(dtype)
    if loss == "multinomial":
        return X, rng.integers(0, 5, n), rng.standard_normal((d, 5)).astype(dtype)
    y = rng.standard_normal(n) if loss in REGRESSION_LOSSES else np.sign(rng.standard_normal(n))
    return X, y.astype(dtype), rng.standard_normal(d).astype(dtype) / 4


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("loss", [*LOSSES, "multinomial"])
def test_bitwise_identical_for_one_and_two_threads(loss, dtype):
    X, y, w = big_problem(loss, dtype)
    sw = np.random.default_rng(16).random(X.shape[0])
    name = "log_loss" if loss == "multinomial" else loss
    results = []
    for threads in (1, 2):
        fastgd.set_num_threads(threads)
        results.append(
            fastgd.loss_grad(X, y, w, loss=name, sample_weight=sw, penalty="l2", alpha=0.01)
        )
    (a0, a1, a2), (b0, b1, b2) = results
    assert a0 == b0
    assert a1.tobytes() == b1.tobytes()
    assert np.asarray(a2).tobytes() == np.asarray(b2).tobytes()


def test_every_instruction_set_gives_the_same_answer():
    code = textwrap.dedent(
        """
        import json, numpy as np, fastgd
        from fastgd.losses import LOSSES, REGRESSION_LOSSES
        rng = np.random.default_rng(0)
        X = rng.standard_normal((3001, 37)); w = rng.standard_normal(37) / 6
        yr = rng.standard_normal(3001); yb = np.sign(rng.standard_normal(3001))
        sw = rng.random(3001)
        out = {"arch": fastgd.simd_arch()}
        for d in (37, 5):  # 5: the narrow rows' kernel across the lanes
            for loss in LOSSES:
                y = yr if loss in REGRESSION_LOSSES else yb
                Xd, wd = X[:, :d], w[:d]
                v, g, b = fastgd.loss_grad(Xd, y, wd, loss=loss, intercept=0.1, sample_weight=sw)
                v32, g32, _ = fastgd.loss_grad(Xd.astype(np.float32), y, wd, loss=loss)
                out[f"{loss}/{d}"] = [v, b, *g.tolist(), v32, *g32.tolist()]
        W = rng.standard_normal((37, 4)) / 6
        v, g, b = fastgd.loss_grad(X, rng.integers(0, 4, 3001), W, loss="log_loss")
        out["multinomial"] = [v, *b.tolist(), *g.ravel().tolist()]
        print(json.dumps(out))
        """
    )
    runs = {}
    for arch in ("baseline", "avx2", "avx512"):
        env = dict(os.environ, FASTGD_ARCH=arch)
        proc = subprocess.run(
            [sys.executable, "-c", code],
            check=False,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        out = json.loads(proc.stdout)
        runs[out.pop("arch")] = out
    assert "baseline" in runs
    base = runs["baseline"]
    for got in runs.values():
        for loss, values in got.items():
            values, want = np.array(values), np.array(base[loss])
            if loss == "multinomial":
                np.testing.assert_allclose(values, want, rtol=1e-9, atol=1e-12, err_msg=loss)
                continue
            n64 = 2 + int(loss.split("/")[1])
            np.testing.assert_allclose(
                values[:n64], want[:n64], rtol=1e-9, atol=1e-12, err_msg=loss
            )
            np.testing.assert_allclose(values[n64:], want[n64:], rtol=1e-4, atol=1e-5, err_msg=loss)


# --- properties ---------------------------------------------------------------------


@settings(max_examples=120)
@given(
    loss=st.sampled_from(list(LOSSES)),
    n=st.integers(1, 60),
    d=st.integers(1, 40),  # past 15: the narrow-rows kernels (up to 4 registers a row)
    dtype=st.sampled_from([np.float32, np.float64]),
    case=st.sampled_from(sorted(CASES)),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_shape_matches_the_reference(loss, n, d, dtype, case, seed):
    X, y, w = make_data(loss, n, d, dtype, seed, intercept=CASES[case][0])
    if X.shape[0] == 0:
        return
    kw = case_kwargs(case, X.shape[0], seed)
    got = fastgd.loss_grad(X, y, w, loss=loss, **kw)
    assert_close(loss, X, got, reference_of(loss, X, y, w, kw), kw.get("sample_weight"))


@settings(max_examples=60)
@given(
    n=st.integers(1, 50),
    d=st.integers(1, 6),
    K=st.integers(1, 6),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_multinomial_shape_matches_the_reference(n, d, K, dtype, seed):
    X, y, W, b = multinomial_data(n, d, K, dtype, seed)
    got = fastgd.loss_grad(X, y, W, loss="log_loss", intercept=b)
    want = ref.multinomial_loss_grad(
        X.astype(np.float64), y, W.astype(np.float64), b.astype(np.float64)
    )
    rtol = RTOL[np.dtype(dtype)]
    scale = float(np.abs(X.astype(np.float64)).sum(axis=1).max()) * 3.0 + 1.0
    np.testing.assert_allclose(got[0], want[0], rtol=rtol, atol=rtol * scale)
    np.testing.assert_allclose(got[1], want[1], rtol=rtol, atol=rtol * scale)
    np.testing.assert_allclose(got[2], want[2], rtol=rtol, atol=rtol * scale)


# --- refusals (more in tests/catalogue.py) --------------------------------------------


def test_bad_inputs_name_the_argument():
    rng = np.random.default_rng(17)
    X, y, w = rng.standard_normal((10, 3)), np.sign(rng.standard_normal(10)), rng.standard_normal(3)
    with pytest.raises(ValueError, match="loss must be one of"):
        fastgd.loss_grad(X, y, w, loss="log")
    with pytest.raises(ValueError, match=r"y must hold binary labels"):
        fastgd.loss_grad(X, np.arange(10), w, loss="hinge")
    with pytest.raises(ValueError, match=r"sample_weight must be finite and >= 0"):
        fastgd.loss_grad(X, y, w, sample_weight=-np.ones(10))
    with pytest.raises(ValueError, match=r"sample_weight must be a 1-D array of 10"):
        fastgd.loss_grad(X, y, w, sample_weight=np.ones(9))
    with pytest.raises(ValueError, match=r"penalty must be None"):
        fastgd.loss_grad(X, y, w, penalty="ridge")
    with pytest.raises(ValueError, match=r"l1_ratio must be in \[0, 1\]"):
        fastgd.loss_grad(X, y, w, penalty="elasticnet", l1_ratio=1.5)
    with pytest.raises(ValueError, match=r"w has shape \(4,\)"):
        fastgd.loss_grad(X, y, np.ones(4))
    with pytest.raises(ValueError, match=r"is for loss='log_loss'"):
        fastgd.loss_grad(X, y, np.ones((3, 2)), loss="hinge")
    with pytest.raises(ValueError, match=r"y must hold class indices in \[0, 2\)"):
        fastgd.loss_grad(X, np.arange(10), np.ones((3, 2)), loss="log_loss")
    with pytest.raises(ValueError, match=r"rows must be in \[0, 10\)"):
        fastgd.loss_grad(X, y, w, rows=[0, 10])
    with pytest.raises(ValueError, match="rows is empty"):
        fastgd.loss_grad(X, y, w, rows=np.array([], np.int64))
    with pytest.raises(ValueError, match=r"intercept must be a number or 2 values"):
        fastgd.loss_grad(
            X, np.zeros(10, int), np.ones((3, 2)), loss="log_loss", intercept=[1.0, 2.0, 3.0]
        )


def test_sparse_sample_weight_is_refused():
    # Sparse X is accepted since issue 14 section 4 (tests/test_sparse.py).
    sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match="sample_weight is a sparse matrix"):
        fastgd.loss_grad(
            np.ones((5, 3)),
            np.zeros(5),
            np.zeros(3),
            sample_weight=sparse.csr_matrix(np.ones((1, 5))),
        )
