"""Numerical faults end in a reported status and a warning, never in NaN parameters
reported as a success: float32 overflow, subnormal data, extreme learning rates,
infinite or NaN gradients and values, 0/0 in an update rule."""

from __future__ import annotations

import numpy as np
import pytest

import fastgd

from .conftest import make_regression


def _no_nan_success(status: str, *arrays: np.ndarray) -> None:
    finite = all(np.isfinite(a).all() for a in arrays)
    assert finite or status == "diverged", (status, arrays)


@pytest.mark.parametrize("batch_size", [None, 1, 16])
def test_float32_overflow_is_reported_as_divergence(batch_size):
    X, y, _ = make_regression(200, 3, dtype=np.float32)
    X = X * np.float32(1e17)
    y = y * np.float32(1e17)
    with pytest.warns(fastgd.DivergenceWarning, match="diverged"):
        fit = fastgd.fit_least_squares(
            X, y, optimizer="sgd", lr=1.0, batch_size=batch_size, max_iter=20, random_state=0
        )
    assert fit.status == "diverged"
    assert not fit.success
    _no_nan_success(fit.status, fit.coef)


def test_subnormal_data_fit_without_faults():
    X, y, _ = make_regression(200, 3, dtype=np.float32)
    tiny = np.float32(1e-41)  # subnormal in float32
    Xs, ys = X * tiny, y * tiny
    assert np.any((np.abs(Xs) > 0) & (np.abs(Xs) < np.finfo(np.float32).tiny))
    # The gradient scales with tiny^2 (1e-82): it underflows, theta cannot move, and
    # that is reported as stalled (not as "converged", which it once was).
    with pytest.warns(fastgd.StalledWarning, match="standardize X"):
        fit = fastgd.fit_least_squares(Xs, ys, optimizer="gd", lr=0.1, max_iter=50)
    assert fit.status == "stalled"
    assert not fit.success
    assert np.isfinite(fit.coef).all()
    assert np.isfinite(fit.losses).all()


@pytest.mark.parametrize("lr", [1e300, 1e30])
def test_a_huge_learning_rate_diverges_with_a_warning(lr):
    X, y, _ = make_regression(100, 3)
    with pytest.warns(fastgd.DivergenceWarning, match="learning rate is likely too large"):
        fit = fastgd.fit_least_squares(X, y, optimizer="gd", lr=lr, max_iter=100)
    assert fit.status == "diverged"
    with pytest.warns(fastgd.DivergenceWarning):
        r = fastgd.minimize("rosenbrock", [-1.0, 1.0], lr=lr, max_iter=100)
    assert r.status == "diverged"
    assert not np.isnan(r.fun)


def test_a_tiny_learning_rate_stops_with_finite_parameters():
    X, y, _ = make_regression(100, 3)
    fit = fastgd.fit_least_squares(X, y, optimizer="gd", lr=1e-300, max_iter=10, tol=None)
    assert fit.status == "max_iter"
    assert np.isfinite(fit.coef).all()
    assert fit.losses[-1] == pytest.approx(fit.losses[0])


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(lambda x: (float(x @ x), np.array([np.inf, 0.0])), id="inf-gradient"),
        pytest.param(lambda x: (float(x @ x), np.array([np.nan, 0.0])), id="nan-gradient"),
        pytest.param(lambda x: (np.nan, 2 * x), id="nan-value"),
        pytest.param(lambda x: (np.inf, 2 * x), id="inf-value"),
    ],
)
def test_non_finite_gradients_and_values_end_diverged(bad):
    # Non-finite at x0: no step can be taken, the objective is at fault (issue 15).
    with pytest.raises(ValueError, match="at x0"):
        fastgd.minimize(bad, [1.0, 2.0], optimizer="adam", lr=0.1, max_iter=50)

    def bad_after_the_start(x):
        return (5.0, np.array([1.0, 1.0])) if x[0] == 1.0 else bad(x)

    # Non-finite after some steps: the run diverged.
    with pytest.warns(fastgd.DivergenceWarning):
        r = fastgd.minimize(
            bad_after_the_start, [1.0, 2.0], jac=True, optimizer="adam", lr=0.1, max_iter=50
        )
    assert r.status == "diverged"
    assert not r.success


def test_zero_over_zero_in_a_rule_is_reported():
    # Adam with eps=0 at a zero gradient divides 0 by 0 (as torch.optim does).
    with pytest.warns(fastgd.DivergenceWarning):
        r = fastgd.minimize(
            "sphere", [0.0, 0.0], optimizer=fastgd.Adam(lr=0.1, eps=0.0), max_iter=5
        )
    assert r.status == "diverged"
    # A zero column has a zero gradient from the first step: 0/0 there. (At an exact
    # optimum, y = 0 from theta = 0, the optimality test passes before any step.)
    X = np.column_stack([np.ones(10), np.zeros(10)])
    with pytest.warns(fastgd.DivergenceWarning):
        fit = fastgd.fit_least_squares(X, np.ones(10), optimizer=fastgd.Adam(lr=0.1, eps=0.0))
    assert fit.status == "diverged"
    _no_nan_success(fit.status, fit.coef)


def test_callback_seeing_nan_is_never_called_with_a_success():
    X, y, _ = make_regression(100, 3)
    statuses = []
    with pytest.warns(fastgd.DivergenceWarning):
        fit = fastgd.fit_least_squares(
            X,
            y,
            optimizer="gd",
            lr=1e10,
            max_iter=50,
            callback=lambda intermediate_result: statuses.append(intermediate_result.fun),
        )
    assert fit.status == "diverged"
    assert all(
        np.isfinite(statuses)
    )  # the diverged epoch is reported by the status, not the callback


def test_a_tiny_first_loss_is_not_mistaken_for_a_blow_up():
    # Found by hypothesis: y ~ 1e-58 makes the first loss 1e-116, and one ordinary
    # Adam step of 1e-3 raised it past 10^12 times that.
    fit = fastgd.fit_least_squares(
        [[0.0]], [1.07e-58], optimizer="adam", lr=1e-3, max_iter=3, tol=None
    )
    assert fit.status == "max_iter"


@pytest.mark.parametrize("lr", [1e-300, 5e-324])
@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adam"])
def test_minimize_with_a_vanishing_learning_rate_stalls_with_finite_values(lr, optimizer):
    # The lecture's stopping rule fires at once (the step is ~0), far from the
    # minimum at (1, 1): the result says "stalled", never "converged".
    with pytest.warns(fastgd.StalledWarning, match="stalled after 1 steps"):
        r = fastgd.minimize("rosenbrock", [-1.0, 1.0], optimizer=optimizer, lr=lr, max_iter=100)
    assert r.status == "stalled"
    assert not r.success
    assert np.isfinite(r.x).all()
    assert np.isfinite(r.fun)
    assert r.fun == pytest.approx(4.0)  # f(-1, 1) = 4: nothing moved


def test_a_subnormal_gradient_at_a_minimum_still_converges():
    # Near the bowl's minimum the gradient is subnormal and the test passes: a true
    # convergence is not mistaken for a stall.
    r = fastgd.minimize("bowl", [1e-310, -1e-310], lr=0.1, max_iter=10)
    assert r.status == "converged"
    assert r.grad_norm <= r.gradient_threshold
