"""Learning-rate schedules: values against their formulas (the reference), use in
step() and inside the fits, and argument checks."""

from __future__ import annotations

import dataclasses
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
    pytest.param(sch.inverse_time(0.1, decay=0.05), id="inverse_time"),
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
    # scikit-learn's "optimal": 1 / (alpha (t0 + t)) with alpha = 1e-4, t0 = 1000
    optimal = sch.inverse_time(1 / (1e-4 * 1000), decay=1 / 1000)
    assert optimal(0) == pytest.approx(10.0)
    assert optimal(500) == pytest.approx(1 / (1e-4 * 1500))
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


# --- issue 11: every schedule is checked, in Python and again in C++ ---------------------

BAD_FIELDS = [
    (
        dict(kind="step", lr0=0.1, step_size=0),
        ValueError,
        "schedule step_size must be a finite number > 0",
    ),
    (dict(kind="step", lr0=0.1, step_size=float("inf")), ValueError, "step_size"),
    (
        dict(kind="constant", lr0=float("nan")),
        ValueError,
        "schedule lr0 must be a finite number > 0",
    ),
    (dict(kind="constant", lr0=0.0), ValueError, "schedule lr0 must be a finite number > 0"),
    (dict(kind="constant", lr0=-1.0), ValueError, "lr0"),
    (dict(kind="constant", lr0=10**400), ValueError, "lr0 must be a finite number"),
    (dict(kind="constant", lr0="0.1"), TypeError, "schedule lr0 must be a real number"),
    (dict(kind="constant", lr0=True), TypeError, "schedule lr0 must be a real number"),
    (
        dict(kind="cosine", lr0=0.1, t_max=0),
        ValueError,
        "schedule t_max must be a finite number > 0",
    ),
    (dict(kind="cosine", lr0=0.1, t_max=10, eta_min=-0.01), ValueError, "schedule eta_min"),
    (dict(kind="cosine", lr0=0.1, t_max=10, eta_min=0.5), ValueError, "must not exceed lr0"),
    (
        dict(kind="exponential", lr0=0.1, gamma=-0.5),
        ValueError,
        r"schedule gamma must be in \(0, 1\]",
    ),
    (dict(kind="exponential", lr0=0.1, gamma=0.0), ValueError, r"gamma must be in \(0, 1\]"),
    (dict(kind="exponential", lr0=0.1, gamma=1.5), ValueError, r"gamma must be in \(0, 1\]"),
    (dict(kind="step", lr0=0.1, gamma=float("nan")), ValueError, "gamma"),
    (dict(kind="inverse_scaling", lr0=0.1, power=-1.0), ValueError, "schedule power must be"),
    (dict(kind="inverse_time", lr0=0.1, decay=-1.0), ValueError, "schedule decay must be"),
    (dict(kind="constant", lr0=0.1, warmup_steps=-3), ValueError, "schedule warmup_steps"),
    (
        dict(kind="constant", lr0=0.1, start_factor=1.5),
        ValueError,
        r"start_factor must be in \[0, 1\]",
    ),
    (dict(kind="linear", lr0=0.1), ValueError, "unknown schedule kind 'linear'"),
    (dict(kind=10**30, lr0=0.1), TypeError, "schedule kind must be one of"),
    (dict(kind=None, lr0=0.1), TypeError, "schedule kind must be one of"),
]


@pytest.mark.parametrize(("fields", "error", "match"), BAD_FIELDS)
def test_a_schedule_built_directly_is_checked(fields, error, match):
    with pytest.raises(error, match=match) as info:
        sch.Schedule(**fields)
    assert "Unable to cast" not in str(info.value)


def test_schedule_of_a_huge_int_is_a_clear_error():
    # The examples: 10**30 as a schedule's kind, lr0 or step once leaked
    # pybind11's text ("incompatible function arguments").
    for make, error, match in [
        (lambda: sch.Schedule(10**30), TypeError, "lr0"),  # Python's own: a missing argument
        (lambda: sch.Schedule(10**30, 0.1), TypeError, "schedule kind must be one of constant"),
        (lambda: sch.Schedule("constant", 10**400), ValueError, "schedule lr0 must be a finite"),
        (lambda: sch.constant(0.1)(10**30), ValueError, "t must be an integer >= 0"),
        (lambda: sch.step(0.1, step_size=10**400), ValueError, "step_size must be a finite"),
    ]:
        with pytest.raises(error, match=match) as info:
            make()
        assert "incompatible function arguments" not in str(info.value)
        assert "Unable to cast" not in str(info.value)


def test_replace_is_checked_and_fields_are_floats():
    s = sch.Schedule("step", 1, step_size=3, gamma=1)
    assert s == sch.step(1.0, step_size=3, gamma=1.0)
    assert isinstance(s.lr0, float)
    assert isinstance(s.step_size, float)
    assert [s(t) for t in range(4)] == [1.0, 1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="schedule gamma"):
        dataclasses.replace(s, gamma=2.0)


@pytest.mark.parametrize(
    ("schedule", "match", "error"),
    [
        ({"kind": "step", "lr0": 0.1, "step_size": 0.0}, "schedule step_size must be", ValueError),
        ({"kind": "constant", "lr0": float("nan")}, "schedule lr0 must be", ValueError),
        ({"kind": "constant", "lr0": 0.0}, "schedule lr0 must be", ValueError),
        ({"kind": "cosine", "lr0": 0.1, "t_max": 0.0}, "schedule t_max must be", ValueError),
        (
            {"kind": "cosine", "lr0": 0.1, "eta_min": 0.2},
            "schedule eta_min must be <= lr0",
            ValueError,
        ),
        (
            {"kind": "exponential", "lr0": 0.1, "gamma": -0.5},
            r"schedule gamma must be in \(0, 1\]",
            ValueError,
        ),
        ({"kind": "inverse_scaling", "lr0": 0.1, "power": -1.0}, "schedule power", ValueError),
        ({"kind": "inverse_time", "lr0": 0.1, "decay": float("inf")}, "schedule decay", ValueError),
        (
            {"kind": "constant", "lr0": 0.1, "start_factor": 2.0},
            "schedule start_factor",
            ValueError,
        ),
        (
            {"kind": "constant", "lr0": 10**400},
            "schedule lr0 must be a finite real number",
            ValueError,
        ),
        ({"kind": "constant", "lr0": "0.1"}, "schedule lr0 must be a real number", TypeError),
        ({"kind": "constant", "lr0": True}, "schedule lr0 must be a real number", TypeError),
        (
            {"kind": "constant", "lr0": 0.1, "typo": 1.0},
            "unknown schedule field 'typo'",
            ValueError,
        ),
        ({"kind": 10**30, "lr0": 0.1}, r"schedule\['kind'\] must be", TypeError),
        ({"kind": "linear", "lr0": 0.1}, "unknown schedule 'linear'", ValueError),
        ({"lr0": 0.1}, r"schedule\['kind'\]", TypeError),
        ([1, 2], "schedule must be a dict", TypeError),
    ],
)
def test_the_core_checks_a_schedule_that_bypasses_python(schedule, match, error):
    for call in (
        lambda: fastgd._core.schedule_at({"lr": 0.1, "schedule": schedule}, 0),
        lambda: fastgd._core.Optimizer("sgd", {"lr": 0.1, "schedule": schedule}),
    ):
        with pytest.raises(error, match=match) as info:
            call()
        assert "Unable to cast" not in str(info.value)
        assert "incompatible function arguments" not in str(info.value)


def test_a_schedule_mutated_after_its_checks_is_refused_by_the_core():
    s = sch.exponential(0.1, gamma=0.9)
    object.__setattr__(s, "gamma", -0.5)  # bypasses the frozen dataclass and its checks
    with pytest.raises(ValueError, match=r"schedule gamma must be in \(0, 1\]"):
        fastgd.SGD(lr=s)
    with pytest.raises(ValueError, match=r"schedule gamma"):
        fastgd.fit_least_squares(np.ones((4, 1)), np.ones(4), optimizer=fastgd.SGD(lr=s))


def test_rates_are_positive_and_finite_for_every_checked_schedule():
    # Whatever a schedule passes its checks with gives rates in (0, lr0] for the first
    # steps of interest (a decay may reach 0 only in the limit).
    for s in [p.values[0] for p in SCHEDULES]:
        rates = [s(t) for t in range(1, 200)]
        assert all(math.isfinite(r) and r >= 0 for r in rates)
        assert max(rates) <= max(s.lr0, s(0)) * (1 + 1e-12)


def test_t_beyond_the_core_range_is_a_value_error():
    with pytest.raises(ValueError, match="t must be an integer >= 0"):
        sch.constant(0.1)(2**70)
    assert sch.constant(0.1)(2**62) == 0.1


def test_constant_zero_is_refused_but_a_plain_zero_lr_stays_allowed():
    # Decision (issue 11): a schedule's lr0 must be > 0; a plain lr=0 is torch's
    # frozen optimizer, allowed in step() and refused by the fits.
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        sch.constant(0.0)
    p = np.ones(3)
    fastgd.SGD(lr=0.0).step(p, np.ones(3))
    np.testing.assert_array_equal(p, 1.0)
