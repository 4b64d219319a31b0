"""Whole fits: 30 full-batch GD steps, and one epoch of mini-batch SGD, against the
NumPy reference loop (and scikit-learn's SGDRegressor when installed)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import fastgd
from fastgd import reference as ref

from .conftest import regression

GD_STEPS = 30


@pytest.fixture(scope="module")
def gd_problem():
    X, y = regression(500_000, 32, np.float64)
    lr = 0.1
    want = ref.fit_least_squares(
        X, y, optimizer="gd", lr=lr, max_iter=GD_STEPS, tol=None, fit_intercept=False, record=False
    )
    return X, y, lr, want


@pytest.mark.parametrize("gradient", ["stream", "gram"])
def test_gd_fastgd(benchmark, gd_problem, gradient):
    X, y, lr, want = gd_problem
    benchmark.group = f"GD {GD_STEPS} steps 500000x32 float64"
    benchmark.extra_info.update(role="fastgd")
    fit = benchmark(
        fastgd.fit_least_squares,
        X,
        y,
        optimizer="gd",
        lr=lr,
        max_iter=GD_STEPS,
        tol=None,
        fit_intercept=False,
        record=False,
        gradient=gradient,
    )
    assert fit.n_iter == GD_STEPS
    np.testing.assert_allclose(fit.coef, want.coef, rtol=1e-9, atol=1e-12)


def test_gd_numpy(benchmark, gd_problem):
    X, y, lr, want = gd_problem
    benchmark.group = f"GD {GD_STEPS} steps 500000x32 float64"
    benchmark.extra_info.update(role="baseline")
    fit = benchmark.pedantic(
        ref.fit_least_squares,
        args=(X, y),
        kwargs=dict(
            optimizer="gd", lr=lr, max_iter=GD_STEPS, tol=None, fit_intercept=False, record=False
        ),
        rounds=5,
    )
    np.testing.assert_array_equal(fit.coef, want.coef)


@pytest.fixture(scope="module")
def sgd_problem():
    return regression(200_000, 32, np.float64)


SGD_LR = {1: 1e-3, 32: 1e-2, 256: 1e-2}


def _sgd_kwargs(batch):
    return dict(
        optimizer="sgd",
        lr=SGD_LR[batch],
        batch_size=batch,
        max_iter=1,
        tol=None,
        random_state=0,
        record=False,
    )


@pytest.mark.parametrize("batch", [1, 32, 256])
def test_sgd_epoch_fastgd(benchmark, sgd_problem, batch):
    X, y = sgd_problem
    benchmark.group = f"SGD epoch batch {batch} 200000x32 float64"
    benchmark.extra_info.update(role="fastgd")
    fit = benchmark(fastgd.fit_least_squares, X, y, **_sgd_kwargs(batch))
    want = ref.fit_least_squares(X, y, **_sgd_kwargs(batch))
    np.testing.assert_allclose(fit.coef, want.coef, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("batch", [1, 32, 256])
def test_sgd_epoch_numpy(benchmark, sgd_problem, batch):
    X, y = sgd_problem
    benchmark.group = f"SGD epoch batch {batch} 200000x32 float64"
    benchmark.extra_info.update(role="baseline")
    fit = benchmark.pedantic(
        ref.fit_least_squares, args=(X, y), kwargs=_sgd_kwargs(batch), rounds=3 if batch == 1 else 5
    )
    assert fit.n_iter == 1
    assert np.isfinite(fit.coef).all()


def test_sgd_epoch_sklearn(benchmark, sgd_problem):
    linear_model = pytest.importorskip("sklearn.linear_model")
    from sklearn.exceptions import ConvergenceWarning

    X, y = sgd_problem
    benchmark.group = "SGD epoch batch 1 200000x32 float64"
    benchmark.extra_info.update(role="peer")

    def fit():
        # Single-sample SGD, constant learning rate, one epoch, shuffled, no penalty:
        # the same work as fastgd's batch_size=1 epoch. sklearn's loss is r^2/2,
        # so eta0 = 2 * lr takes the same steps.
        model = linear_model.SGDRegressor(
            learning_rate="constant",
            eta0=2 * SGD_LR[1],
            max_iter=1,
            tol=None,
            penalty=None,
            shuffle=True,
            random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return model.fit(X, y)

    model = benchmark(fit)
    mine = fastgd.fit_least_squares(X, y, **_sgd_kwargs(1))
    # Different shuffles, same algorithm: both land near each other after one epoch.
    np.testing.assert_allclose(model.coef_, mine.coef, atol=0.05)


NORMAL_GROUP = "normal equations 1000000x32 float64"


@pytest.fixture(scope="module")
def normal_problem():
    X, y = regression(1_000_000, 32, np.float64)
    return X, y, np.linalg.lstsq(X, y, rcond=None)[0]


def test_normal_equations_fastgd(benchmark, normal_problem):
    X, y, want = normal_problem
    benchmark.group = NORMAL_GROUP
    benchmark.extra_info.update(role="fastgd")
    coef = benchmark.pedantic(
        fastgd.normal_equations, args=(X, y), kwargs=dict(fit_intercept=False), rounds=5
    )
    np.testing.assert_allclose(coef, want, rtol=1e-10)


def test_normal_equations_lstsq(benchmark, normal_problem):
    X, y, want = normal_problem
    benchmark.group = NORMAL_GROUP
    benchmark.extra_info.update(role="baseline")
    coef = benchmark.pedantic(np.linalg.lstsq, args=(X, y), kwargs=dict(rcond=None), rounds=3)[0]
    np.testing.assert_array_equal(coef, want)
