"""The fused kernel against the NumPy reference, over shapes, dtypes and layouts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fastgd
from fastgd import _core
from fastgd import reference as ref

from .conftest import RTOL


def assert_matches_reference(X, y, w, **kw):
    loss, grad = fastgd.least_squares_loss_grad(X, y, w, **kw)
    Xr = np.ascontiguousarray(X, dtype=grad.dtype)
    want_loss, want_grad = ref.least_squares_loss_grad(
        Xr.astype(np.float64), np.asarray(y, np.float64), np.asarray(w, np.float64), **kw
    )
    rtol = RTOL[grad.dtype]
    # Rounding scales with the absolute terms summed: |X|^T (|X||w| + |y|).
    Xa = np.abs(Xr.astype(np.float64))
    abs_r = Xa @ np.abs(np.asarray(w, np.float64)) + np.abs(np.asarray(y, np.float64))
    m = len(kw["rows"]) if "rows" in kw else Xr.shape[0]
    norm = 1.0 if kw.get("reduction", "mean") == "sum" else 1.0 / max(m, 1)
    grad_scale = 2 * norm * (Xa.T @ abs_r).max(initial=0.0)
    loss_scale = norm * float(abs_r @ abs_r)
    # Subnormal results are exact only to a few steps of the dtype's smallest subnormal;
    # a residual rounded there is multiplied by 2|x| in the gradient (X=[[2.5, 2.5]] with
    # w=[1e-45, 1e-45] in float32 is off by 20 steps, all below 3e-44).
    tiny = 4 * float(np.finfo(grad.dtype).smallest_subnormal)
    tiny_grad = tiny * (1.0 + 2.0 * norm * float(Xa.sum(axis=1).max(initial=0.0)) * Xa.shape[0])
    np.testing.assert_allclose(loss, want_loss, rtol=rtol, atol=rtol * loss_scale + tiny)
    np.testing.assert_allclose(grad, want_grad, rtol=rtol, atol=rtol * grad_scale + tiny_grad)
    return loss, grad


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize(
    ("n", "d"), [(1, 1), (3, 5), (7, 1), (257, 33), (1000, 64), (5000, 3), (300, 1000)]
)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_kernel_matches_reference(dtype, n, d, reduction):
    rng = np.random.default_rng(n * 1000 + d)
    X = rng.standard_normal((n, d)).astype(dtype)
    y = rng.standard_normal(n).astype(dtype)
    w = rng.standard_normal(d).astype(dtype)
    loss, grad = assert_matches_reference(X, y, w, reduction=reduction, l2=0.3)
    assert grad.dtype == dtype
    assert isinstance(loss, float)


def test_mean_and_sum_differ_by_n():
    rng = np.random.default_rng(1)
    X, y, w = rng.standard_normal((40, 3)), rng.standard_normal(40), rng.standard_normal(3)
    lm, gm = fastgd.least_squares_loss_grad(X, y, w, reduction="mean")
    ls, gs = fastgd.least_squares_loss_grad(X, y, w, reduction="sum")
    np.testing.assert_allclose(ls, 40 * lm, rtol=1e-12)
    np.testing.assert_allclose(gs, 40 * gm, rtol=1e-12)
    np.testing.assert_allclose(
        ls, np.sum((X @ w - y) ** 2), rtol=1e-12
    )  # the lecture's ||Xw - y||^2


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(2)
    X, y, w = rng.standard_normal((30, 4)), rng.standard_normal(30), rng.standard_normal(4)
    _, g = fastgd.least_squares_loss_grad(X, y, w, l2=0.5)
    h = 1e-6
    for j in range(4):
        e = np.zeros(4)
        e[j] = h
        fd = (
            fastgd.least_squares_loss_grad(X, y, w + e, l2=0.5)[0]
            - fastgd.least_squares_loss_grad(X, y, w - e, l2=0.5)[0]
        ) / (2 * h)
        assert g[j] == pytest.approx(fd, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("layout", ["C", "F", "strided", "int", "bool"])
def test_layouts_and_dtypes_give_the_same_answer(layout):
    rng = np.random.default_rng(3)
    base = rng.integers(-3, 4, size=(300, 12)).astype(np.float64)
    y = rng.standard_normal(300)
    w = rng.standard_normal(12)
    expected = fastgd.least_squares_loss_grad(base, y, w)
    if layout == "F":
        X = np.asfortranarray(base)
    elif layout == "strided":
        big = np.zeros((600, 24))
        big[::2, ::2] = base
        X = big[::2, ::2]
    elif layout == "int":
        X = base.astype(np.int32)
    else:
        base = (base > 0).astype(np.float64)
        expected = fastgd.least_squares_loss_grad(base, y, w)
        X = base > 0
    loss, grad = fastgd.least_squares_loss_grad(X, y, w)
    assert grad.dtype == np.float64
    assert loss == expected[0]
    np.testing.assert_array_equal(grad, expected[1])


def test_float32_accumulates_accurately():
    # 10^6 rows of float32: a naive float32 running sum drifts by ~1e-3 relative.
    rng = np.random.default_rng(4)
    X = rng.standard_normal((1_000_000, 4)).astype(np.float32)
    y = (X @ np.array([1, -2, 0.5, 3], np.float32) + 1.0).astype(np.float32)
    w = np.zeros(4, np.float32)
    loss, grad = fastgd.least_squares_loss_grad(X, y, w)
    want_loss, want_grad = ref.least_squares_loss_grad(
        X.astype(np.float64), y.astype(np.float64), w.astype(np.float64)
    )
    assert loss == pytest.approx(want_loss, rel=1e-6)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-5)


def test_bitwise_identical_for_any_thread_count():
    rng = np.random.default_rng(5)
    for dtype in (np.float32, np.float64):
        X = rng.standard_normal((200_003, 17)).astype(dtype)
        y = rng.standard_normal(200_003).astype(dtype)
        w = rng.standard_normal(17).astype(dtype)
        results = []
        for k in (1, 2, 3, 7):
            fastgd.set_num_threads(k)
            results.append(fastgd.least_squares_loss_grad(X, y, w))
        for loss, grad in results[1:]:
            assert loss == results[0][0]
            np.testing.assert_array_equal(grad, results[0][1])


def test_mini_batch_rows():
    rng = np.random.default_rng(6)
    X, y, w = rng.standard_normal((100, 5)), rng.standard_normal(100), rng.standard_normal(5)
    rows = np.array([3, 3, 99, 0, 42])
    loss, grad = fastgd.least_squares_loss_grad(X, y, w, rows=rows)
    want = fastgd.least_squares_loss_grad(X[rows], y[rows], w)
    assert loss == pytest.approx(want[0], rel=1e-14)
    np.testing.assert_allclose(grad, want[1], rtol=1e-14)


def test_nan_propagates_in_the_raw_kernel():
    X = np.ones((4, 2))
    X[1, 1] = np.nan
    loss, grad = fastgd.least_squares_loss_grad(X, np.zeros(4), np.ones(2))
    assert np.isnan(loss)
    assert np.isnan(grad).all()


def test_zero_features():
    loss, grad = fastgd.least_squares_loss_grad(
        np.zeros((3, 0)), np.array([1.0, 2.0, 2.0]), np.zeros(0)
    )
    assert loss == pytest.approx(3.0)
    assert grad.shape == (0,)


def test_inputs_are_not_modified():
    rng = np.random.default_rng(7)
    X, y, w = rng.standard_normal((50, 3)), rng.standard_normal(50), rng.standard_normal(3)
    copies = [a.copy() for a in (X, y, w)]
    fastgd.least_squares_loss_grad(X, y, w, l2=1.0)
    for a, c in zip((X, y, w), copies, strict=False):
        np.testing.assert_array_equal(a, c)


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    n=st.integers(1, 300),
    d=st.integers(0, 40),
    dtype=st.sampled_from([np.float32, np.float64]),
    order=st.sampled_from(["C", "F"]),
)
def test_kernel_property(data, n, d, dtype, order):
    elems = st.floats(-100, 100, width=32)
    X = data.draw(hnp.arrays(dtype, (n, d), elements=elems))
    X = np.asarray(X, order=order)
    y = data.draw(hnp.arrays(dtype, (n,), elements=elems))
    w = data.draw(hnp.arrays(dtype, (d,), elements=st.floats(-10, 10, width=32)))
    assert_matches_reference(X, y, w)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_narrow_rows_every_width(dtype):
    # Rows of up to four vector registers take the narrow kernel, whose loads run
    # into the next row (masked off): every width, chunk edges (256 rows) and a tail.
    rng = np.random.default_rng(8)
    for d in range(1, 66):
        X = rng.standard_normal((1031, d)).astype(dtype)
        y = rng.standard_normal(1031).astype(dtype)
        w = rng.standard_normal(d).astype(dtype)
        assert_matches_reference(X, y, w)
        # The intercept as its own parameter, against a column of ones.
        theta = np.append(w, dtype(0.5))
        loss, grad = _core.least_squares_loss_grad(X, y, theta, None, True, 0.0, True)
        ones = np.hstack([X, np.ones((1031, 1), dtype)])
        want_loss, want_grad = fastgd.least_squares_loss_grad(ones, y, theta)
        tol = RTOL[np.dtype(dtype)]
        assert loss == pytest.approx(want_loss, rel=tol)
        np.testing.assert_allclose(grad, want_grad, rtol=tol, atol=tol * np.abs(want_grad).max())
