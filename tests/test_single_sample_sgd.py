"""Plain single-sample SGD (optimizer="sgd", batch_size=1) runs many rows a kernel call,
w in registers when d is a whole number of vectors, four rows at a time without a
ridge (arch/least_squares_sgd_run.hpp): the same steps as the NumPy reference, for
every d, dtype, order, intercept, ridge and schedule. It also finds X's NaN and inf in
its first epoch (tests/catalogue.py has the error cases)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import fastgd
from fastgd import reference as ref
from fastgd import schedules

# d: 8, 16, 32, 64 are whole AVX-512 (and AVX2) registers of float64; 16, 32, 64 of
# float32; 5, 35 and 70 are not (w stays in memory), 70 is past the registers.
DIMS = [5, 8, 16, 32, 35, 64, 70]


def _problem(n, d, dtype, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(dtype)
    y = (X @ rng.standard_normal(d) + 0.3 + 0.1 * rng.standard_normal(n)).astype(dtype)
    return X, y


@pytest.mark.parametrize("d", DIMS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("shuffle", ["blocks", True, False], ids=["blocks", "rows", "in-order"])
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["icpt", "no-icpt"])
def test_matches_the_reference(d, dtype, shuffle, fit_intercept):
    X, y = _problem(1003, d, dtype)  # not a multiple of the group of four rows
    kw = dict(
        optimizer="sgd", lr=0.002, batch_size=1, max_iter=3, tol=None, shuffle=shuffle,
        random_state=5, fit_intercept=fit_intercept,
    )  # fmt: skip
    got = fastgd.fit_least_squares(X, y, **kw)
    want = ref.fit_least_squares(X, y, **kw)
    rtol = 1e-4 if dtype == np.float32 else 1e-11
    assert got.coef.dtype == dtype
    np.testing.assert_allclose(got.coef, want.coef, rtol=rtol, atol=rtol)
    assert got.intercept == pytest.approx(want.intercept, rel=rtol, abs=rtol)
    np.testing.assert_allclose(got.losses, want.losses, rtol=rtol)


@pytest.mark.parametrize("d", [8, 32, 35])
@pytest.mark.parametrize(
    "extra",
    [dict(l2=0.05), dict(lr=schedules.inverse_scaling(0.01, power=0.5)), dict(record=False)],
    ids=["ridge", "schedule", "no-record"],
)
def test_ridge_schedule_and_epoch_loss_match_the_reference(d, extra):
    X, y = _problem(777, d, np.float64, seed=1)
    kw = dict(optimizer="sgd", lr=0.003, batch_size=1, max_iter=2, tol=None, random_state=2)
    kw.update(extra)
    got = fastgd.fit_least_squares(X, y, **kw)
    want = ref.fit_least_squares(X, y, **kw)
    np.testing.assert_allclose(got.coef, want.coef, rtol=1e-11, atol=1e-11)
    assert got.intercept == pytest.approx(want.intercept, rel=1e-11, abs=1e-11)
    if kw.get("record", True):
        np.testing.assert_allclose(got.losses, want.losses, rtol=1e-11)


@pytest.mark.parametrize("d", [5, 32])
def test_a_divergence_on_finite_x_is_reported_not_refused(d):
    # The first epoch's non-finite residuals make the core read X: it is finite, so
    # the run is a divergence (a warning and status), not a ValueError.
    X, y = _problem(500, d, np.float64)
    X[7] *= 1e150
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastgd.DivergenceWarning)
        fit = fastgd.fit_least_squares(X, y, lr=1.0, batch_size=1, max_iter=3, tol=None)
    assert fit.status == "diverged"


def test_x_is_left_unchanged_when_its_nan_stops_the_fit():
    X, y = _problem(300, 32, np.float64)
    X[250, 3] = np.nan
    before = X.copy()
    with pytest.raises(ValueError, match="X contains 1 NaN or infinite value"):
        fastgd.fit_least_squares(X, y, lr=0.01, batch_size=1, shuffle="blocks")
    np.testing.assert_array_equal(X, before)


@pytest.mark.parametrize("d", [8, 32, 35])
@pytest.mark.parametrize("shuffle", ["blocks", False], ids=["blocks", "in-order"])
def test_gdregressor_plain_least_squares_matches_the_row_by_row_steps(d, shuffle):
    # penalty=None, a constant rate: the runs of arch/least_squares_sgd_run.hpp; with a
    # vanishing l2 (alpha = 1e-300: wscale's factor rounds to 1) the row-by-row loop.
    X, y = _problem(999, d, np.float64, seed=3)
    kw = dict(
        learning_rate="constant", eta0=0.004, batch_size=1, max_iter=3, tol=None,
        shuffle=shuffle, random_state=4,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = fastgd.GDRegressor(penalty=None, **kw).fit(X, y)
        rows = fastgd.GDRegressor(penalty="l2", alpha=1e-300, **kw).fit(X, y)
    np.testing.assert_allclose(fast.coef_, rows.coef_, rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(fast.intercept_, rows.intercept_, rtol=1e-11, atol=1e-11)
