"""Learning-rate schedules: values against their formulas (the reference), use in
step() and inside the fits, and argument checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fastgd
from fastgd import reference as ref
from fastgd import schedules as sch

from .conftest import make_regression

SCHEDULES = [
    pytest.param(sch.constant(0.1), id="constant"),
    pytest.param(sch.inverse_scaling(0.1, power=0.5), id="inverse_scaling"),
    pytest.param(sch.step(0.1, step_size=7, gamma=0.5), id="step"),
    pytest.param(sch.exponential(0.1, gamma=0.97), id="exponential"),
    pytest.param(sch.cosine(0.1, t_max=40, eta_min=0.01), id="cosine"),
    pytest.param(
        sch.warmup(sch.cosine(0.1, t_max=30), steps=10, start_factor=0.1), id="warmup-cosine"
    ),
    pytest.param(sch.warmup(sch.exponential(0.2, gamma=0.9), steps=5), id="warmup-exponential"),
]


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_values_match_the_formulas(schedule):
    for t in range(80):
        assert schedule(t) == pytest.approx(ref.schedule_value(schedule, t), rel=1e-12)


def test_known_values():
    assert sch.inverse_scaling(1.0, power=0.25)(15) == pytest.approx(16**-0.25)
    assert sch.step(1.0, step_size=10, gamma=0.1)(9) == 1.0
    assert sch.step(1.0, step_size=10, gamma=0.1)(10) == pytest.approx(0.1)
    assert sch.cosine(1.0, t_max=10)(10) == pytest.approx(0.0, abs=1e-15)
    assert sch.cosine(1.0, t_max=10)(25) == pytest.approx(0.0, abs=1e-15)  # stays at eta_min
    w = sch.warmup(sch.constant(1.0), steps=4, start_factor=0.0)
    assert [w(t) for t in range(6)] == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0, 1.0])
    assert math.isclose(sch.exponential(2.0, 0.5)(3), 0.25)


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("name", ["sgd", "adam", "rmsprop"])
def test_step_uses_the_schedule(schedule, name):
    opt = fastgd.optimizers.RULES[name](lr=schedule)
    oracle = ref.OptimizerReference(opt.kind, **opt._hyper)
    p, q = np.linspace(-1, 1, 11), np.linspace(-1, 1, 11)
    for _ in range(60):
        opt.step(p, 2 * p + 0.1)
        oracle.step(q, 2 * q + 0.1)
    np.testing.assert_allclose(p, q, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("batch_size", [None, 16])
def test_fits_use_the_schedule(batch_size):
    X, y, _ = make_regression(200, 3, intercept=1.0)
    opt = fastgd.SGD(lr=sch.warmup(sch.exponential(0.05, gamma=0.999), steps=20), momentum=0.5)
    kw = dict(optimizer=opt, batch_size=batch_size, max_iter=10, tol=None, random_state=0)
    got = fastgd.fit_least_squares(X, y, **kw)
    want = ref.fit_least_squares(X, y, **kw)
    np.testing.assert_allclose(got.coef, want.coef, rtol=1e-10)
    # A schedule that starts at 0 for 20 steps and decays differs from a constant rate.
    const = fastgd.fit_least_squares(
        X,
        y,
        optimizer=fastgd.SGD(lr=0.05, momentum=0.5),
        batch_size=batch_size,
        max_iter=10,
        tol=None,
        random_state=0,
    )
    assert not np.allclose(got.coef, const.coef)


def test_lecture_momentum_differs_from_torch_momentum_once_the_rate_changes():
    # v <- beta v + alpha_t g: the velocity keeps old rates; torch's buffer keeps gradients.
    schedule = sch.exponential(0.1, gamma=0.8)
    theta, v = np.array([3.0]), np.zeros(1)
    p = theta.copy()
    opt = fastgd.SGD(lr=schedule, momentum=0.9)
    for t in range(20):
        v = 0.9 * v + schedule(t) * 2 * theta
        theta = theta - v
        opt.step(p, 2 * p)
    assert not np.allclose(p, theta)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: sch.constant(-1.0), ValueError, "lr must be a finite number > 0"),
        (lambda: sch.exponential(0.1, gamma=0.0), ValueError, r"gamma must be in \(0, 1\]"),
        (lambda: sch.step(0.1, step_size=0), ValueError, "step_size must be a finite number > 0"),
        (lambda: sch.cosine(0.1, t_max=10, eta_min=0.2), ValueError, "must not exceed lr0"),
        (lambda: sch.inverse_scaling("a"), TypeError, "lr0 must be a real number"),
        (lambda: sch.warmup(0.1, steps=3), TypeError, "schedule must be a Schedule"),
        (
            lambda: sch.warmup(sch.constant(0.1), steps=3, start_factor=2.0),
            ValueError,
            r"start_factor must be in \[0, 1\]",
        ),
        (
            lambda: sch.warmup(sch.warmup(sch.constant(0.1), 3), 3),
            ValueError,
            "already has a warmup",
        ),
        (lambda: sch.constant(0.1)(-1), ValueError, "t must be an integer >= 0"),
    ],
)
def test_checks(make, error, match):
    with pytest.raises(error, match=match):
        make()
