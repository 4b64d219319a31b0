"""Bad input: a clear ValueError or TypeError naming the argument; nothing modified."""

from __future__ import annotations

import numpy as np
import pytest

import fastgd

X = np.arange(12.0).reshape(6, 2)
Y = np.arange(6.0)
W = np.zeros(2)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(X=np.arange(6.0)), ValueError, r"X must be a 2-D array.*reshape\(-1, 1\)"),
        (dict(X=np.zeros((2, 2, 2))), ValueError, "X must be a 2-D array"),
        (dict(X=X.astype(complex)), TypeError, "X must hold real numbers.*complex"),
        (dict(X=X.astype(object)), TypeError, "X must hold real numbers.*object"),
        (dict(X=np.array([["a", "b"]] * 6)), TypeError, "X must hold real numbers"),
        (dict(X=[[1, 2], [3]]), TypeError, "X could not be read as an array"),
        (dict(y=np.arange(5.0)), ValueError, "y has length 5 but X has n_samples = 6"),
        (dict(y=Y.reshape(6, 1)), ValueError, r"y must be a 1-D array, got shape \(6, 1\)"),
        (dict(w=np.zeros(3)), ValueError, "w has length 3 but X has n_features = 2"),
        (dict(reduction="avg"), ValueError, "reduction must be 'mean' or 'sum'"),
        (dict(l2=-1.0), ValueError, "l2 must be a finite number >= 0"),
        (dict(l2=float("nan")), ValueError, "l2 must be a finite number >= 0"),
        (dict(l2="big"), TypeError, "l2 must be a real number"),
        (dict(rows=[0, 6]), ValueError, r"rows must be in \[0, 6\)"),
        (dict(rows=[-1]), ValueError, r"rows must be in \[0, 6\)"),
        (dict(rows=[0.5]), TypeError, "rows must be a 1-D array of integers"),
        (dict(rows=[]), ValueError, "rows is empty"),
        (dict(X=np.zeros((0, 2)), y=np.zeros(0)), ValueError, "X is empty"),
    ],
)
def test_kernel_rejects(kwargs, error, match):
    args = dict(X=X, y=Y, w=W) | kwargs
    with pytest.raises(error, match=match):
        fastgd.least_squares_loss_grad(**args)


def test_kernel_sum_of_empty_is_zero():
    loss, grad = fastgd.least_squares_loss_grad(np.zeros((0, 2)), np.zeros(0), W, reduction="sum")
    assert loss == 0.0
    np.testing.assert_array_equal(grad, 0.0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(X=np.zeros((0, 2)), y=np.zeros(0)), ValueError, "X has no rows"),
        (dict(X=np.where(X == 3.0, np.nan, X)), ValueError, "X contains 1 NaN or infinite"),
        (dict(y=np.where(Y == 3.0, np.inf, Y)), ValueError, "y contains 1 NaN or infinite"),
        (dict(lr=0.0), ValueError, "lr must be a finite number > 0"),
        (dict(lr=-0.1), ValueError, "lr must be a finite number > 0"),
        (dict(lr=float("nan")), ValueError, "lr must be a finite number > 0"),
        (dict(lr=float("inf")), ValueError, "lr must be a finite number > 0"),
        (dict(lr="fast"), ValueError, "lr must be a number > 0 or 'auto'"),
        (dict(batch_size=0), ValueError, "batch_size must be >= 1"),
        (dict(batch_size=2.5), TypeError, "batch_size must be an integer"),
        (dict(batch_size=True), TypeError, "batch_size must be an integer"),
        (dict(max_iter=-1), ValueError, "max_iter must be >= 0"),
        (dict(max_iter=10.0), TypeError, "max_iter must be an integer"),
        (dict(max_iter=2**64), ValueError, "max_iter must be <= "),
        (dict(y=np.full(6, 1e200)), ValueError, "initial loss mean.* is not finite"),
        (dict(tol=-1e-3), ValueError, "tol must be a finite number >= 0"),
        (dict(l2=-1.0), ValueError, "l2 must be a finite number >= 0"),
        (
            dict(optimizer="adamm"),
            ValueError,
            "unknown optimizer 'adamm'; known: adadelta, adafactor, adagrad, adam, adamax, adamw, asgd, gd, lion, momentum",
        ),
        (dict(optimizer=3), TypeError, "optimizer must be a name"),
        (
            dict(optimizer=fastgd.Adam(lr=0.1), lr=0.5),
            ValueError,
            "lr=0.5 conflicts with the optimizer's lr=0.1",
        ),
        (dict(optimizer=fastgd.SGD(lr=0.0)), ValueError, "lr must be a finite number > 0"),
        (dict(optimizer="gd", batch_size=2), ValueError, "optimizer='gd' is full-batch"),
        (dict(optimizer="momentum", momentum=1.0), ValueError, r"momentum must be in \(0, 1\)"),
        (dict(optimizer="nesterov", momentum=0.0), ValueError, r"momentum must be in \(0, 1\)"),
        (dict(gradient="fast"), ValueError, "gradient must be one of"),
        (dict(gradient="gram", batch_size=2), ValueError, "gradient='gram' needs full-batch"),
        (dict(fit_intercept="yes"), TypeError, "fit_intercept must be True or False"),
        (dict(shuffle=1), ValueError, "shuffle must be True, False, 'rows' or 'blocks', got int 1"),
        (dict(random_state=-1), ValueError, "random_state must be in"),
        (dict(random_state="seed"), TypeError, "random_state must be None, an int"),
        (
            dict(lr="auto", X=np.zeros((6, 2)), fit_intercept=False),
            ValueError,
            "lr='auto' needs a non-zero X",
        ),
    ],
)
def test_fit_rejects(kwargs, error, match):
    args = dict(X=X, y=Y) | kwargs
    with pytest.raises(error, match=match):
        fastgd.fit_least_squares(**args)


def test_normal_equations_rejects():
    with pytest.raises(ValueError, match="y has length 5"):
        fastgd.normal_equations(X, np.zeros(5))
    with pytest.raises(ValueError, match="X contains"):
        fastgd.normal_equations(np.full((3, 1), np.nan), np.zeros(3))


def test_set_num_threads_rejects():
    with pytest.raises(ValueError, match="k must be >= 1"):
        fastgd.set_num_threads(0)
    with pytest.raises(TypeError, match="k must be an integer"):
        fastgd.set_num_threads(1.5)
    with pytest.raises(ValueError, match="k must be <= 4096"):
        fastgd.set_num_threads(2**40)


def test_set_num_threads_roundtrip():
    fastgd.set_num_threads(3)
    assert fastgd.get_num_threads() == 3
    fastgd.set_num_threads(None)
    assert fastgd.get_num_threads() >= 1


def test_user_arrays_are_never_modified():
    rng = np.random.default_rng(0)
    Xf = np.asfortranarray(rng.standard_normal((50, 3)).astype(np.float32))
    y = rng.standard_normal(50)
    copies = (Xf.copy(), y.copy())
    fastgd.fit_least_squares(Xf, y, batch_size=5, max_iter=3)
    fastgd.fit_least_squares(Xf, y, lr="auto", max_iter=3)
    fastgd.normal_equations(Xf, y, fit_intercept=True)
    np.testing.assert_array_equal(Xf, copies[0])
    np.testing.assert_array_equal(y, copies[1])


def test_read_only_inputs_are_fine():
    Xr = X.copy()
    Xr.setflags(write=False)
    fit = fastgd.fit_least_squares(Xr, Y, max_iter=2)
    assert fit.n_iter == 2


def test_dtypes_follow_x():
    fit32 = fastgd.fit_least_squares(X.astype(np.float32), Y, max_iter=2, lr=1e-3)
    assert fit32.coef.dtype == np.float32
    fit_int = fastgd.fit_least_squares(X.astype(np.int64), Y.astype(np.int64), max_iter=2, lr=1e-3)
    assert fit_int.coef.dtype == np.float64
    fit16 = fastgd.fit_least_squares(X.astype(np.float16), Y, max_iter=2, lr=1e-3)
    assert fit16.coef.dtype == np.float32


def test_edge_shapes_fit():
    # No features: only the intercept is learned (the mean of y).
    fit = fastgd.fit_least_squares(
        np.zeros((5, 0)), [1.0, 2.0, 3.0, 4.0, 5.0], lr=0.2, max_iter=500, tol=1e-12
    )
    assert fit.coef.shape == (0,)
    assert fit.intercept == pytest.approx(3.0)
    # No features, no intercept: nothing to learn, converged at once.
    fit = fastgd.fit_least_squares(
        np.zeros((3, 0)), [1.0, 2.0, 3.0], fit_intercept=False, max_iter=5
    )
    assert fit.status == "converged"
    # One row.
    fit = fastgd.fit_least_squares(
        [[2.0]], [4.0], batch_size=1, lr=0.1, max_iter=200, fit_intercept=False
    )
    assert fit.coef[0] == pytest.approx(2.0)
    # batch_size larger than n is full batch.
    assert fastgd.fit_least_squares(X, Y, batch_size=10**12, max_iter=2).gradient in (
        "stream",
        "gram",
    )


def test_huge_finite_values_are_not_mistaken_for_inf():
    # Their sum overflows to inf; the exact check must still accept them.
    Xh = np.full((4, 2), 1e308)
    Xh[:, 1] = 1.0
    fit = fastgd.fit_least_squares(Xh, np.ones(4), lr=1e-3, max_iter=0, fit_intercept=False)
    assert fit.status == "max_iter"


def test_nan_in_the_middle_of_a_large_array_is_found():
    Xl = np.ones((100_000, 8), np.float32)
    Xl[54_321, 3] = np.nan
    with pytest.raises(ValueError, match="X contains 1 NaN"):
        fastgd.fit_least_squares(Xl, np.ones(100_000))
