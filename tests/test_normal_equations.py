"""normal_equations: the Gram form when it is well conditioned, lstsq on X otherwise."""

from __future__ import annotations

import numpy as np
import pytest

from fastgd import _gram_solve
from fastgd.linear_regression import normal_equations


def lstsq_theta(X, y, fit_intercept):
    A = np.hstack([X, np.ones((X.shape[0], 1))]) if fit_intercept else X
    return np.linalg.lstsq(A.astype(np.float64), y, rcond=None)[0]


def theta_of(result, fit_intercept):
    return np.append(result[0], result[1]) if fit_intercept else result


def data(n=2000, d=8, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 2.0, d) + rng.uniform(-3, 3, d)
    y = X @ rng.standard_normal(d) + 3.0 + 0.5 * rng.standard_normal(n)
    return X, y


def rel_err(got, want):
    return np.abs(got - want).max() / np.abs(want).max()


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_well_conditioned_takes_the_gram_form_and_matches_lstsq(fit_intercept):
    X, y = data()
    assert _gram_solve.gram_solve(X, y, fit_intercept) is not None
    got = theta_of(normal_equations(X, y, fit_intercept=fit_intercept), fit_intercept)
    assert rel_err(got, lstsq_theta(X, y, fit_intercept)) < 1e-10


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_collinear_falls_back_to_the_minimum_norm_solution(fit_intercept):
    X, y = data(d=4)
    X = np.hstack([X, X[:, :1] * 2.0])  # rank deficient
    assert _gram_solve.gram_solve(X, y, fit_intercept) is None
    got = theta_of(normal_equations(X, y, fit_intercept=fit_intercept), fit_intercept)
    assert rel_err(got, lstsq_theta(X, y, fit_intercept)) < 1e-8


def test_ill_conditioned_falls_back_and_matches_lstsq():
    X, y = data(d=4, seed=1)
    rng = np.random.default_rng(2)
    X = np.hstack([X, X[:, :1] + 1e-6 * rng.standard_normal((X.shape[0], 1))])  # cond(X) ~ 1e6
    assert _gram_solve.gram_solve(X, y, False) is None
    got = normal_equations(X, y, fit_intercept=False)
    assert rel_err(got, lstsq_theta(X, y, False)) < 1e-8


def test_a_mean_that_dwarfs_the_spread_falls_back_with_the_intercept():
    # Centring from the Gram form would cancel ~14 digits: lstsq on centred X instead.
    X, y = data(d=3, seed=3)
    X[:, 0] += 1e7
    assert _gram_solve.gram_solve(X, y, True) is None
    coef, intercept = normal_equations(X, y, fit_intercept=True)
    Xc = X - X.mean(axis=0)
    want = np.linalg.lstsq(Xc, y - y.mean(), rcond=None)[0]
    assert rel_err(coef, want) < 1e-8
    assert intercept == pytest.approx(y.mean() - X.mean(axis=0) @ want, rel=1e-8)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_float32_is_solved_in_float64(fit_intercept):
    X, y = data(seed=4)
    X32 = X.astype(np.float32)
    assert _gram_solve.gram_solve(X32, y, fit_intercept) is not None
    got = theta_of(normal_equations(X32, y, fit_intercept=fit_intercept), fit_intercept)
    assert got.dtype == np.float64
    # The same float32 values in float64: no digits lost to float32 arithmetic.
    assert rel_err(got, lstsq_theta(X32.astype(np.float64), y, fit_intercept)) < 1e-10


def test_zero_column_falls_back():
    X, y = data(d=3, seed=5)
    X[:, 1] = 0.0
    assert _gram_solve.gram_solve(X, y, False) is None
    got = normal_equations(X, y, fit_intercept=False)
    assert got[1] == 0.0
    assert rel_err(got, lstsq_theta(X, y, False)) < 1e-10


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_inputs_are_not_modified(dtype):
    X, y = data(seed=6)
    X = X.astype(dtype)
    copies = X.copy(), y.copy()
    normal_equations(X, y)
    normal_equations(X, y, fit_intercept=False)
    np.testing.assert_array_equal(X, copies[0])
    np.testing.assert_array_equal(y, copies[1])
