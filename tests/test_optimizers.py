"""Every update rule and option against the NumPy reference, the in-place contract,
state_dict round trips, hyperparameter checks, and convergence."""

from __future__ import annotations

import numpy as np
import pytest

import fastgd
from fastgd import reference as ref
from fastgd.optimizers import RULES

# One table drives the tests: (rule, hyperparameters).
TABLE = [
    ("sgd", dict(lr=0.05)),
    ("sgd", dict(lr=0.05, momentum=0.9)),
    ("sgd", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("sgd", dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.1)),
    ("sgd", dict(lr=0.05, maximize=True)),
    ("adam", dict(lr=0.01)),
    ("adam", dict(lr=0.01, amsgrad=True, weight_decay=0.05)),
    ("adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, maximize=True)),
    ("adamw", dict(lr=0.01)),
    ("adamw", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("adagrad", dict(lr=0.05)),
    ("adagrad", dict(lr=0.05, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.01)),
    ("rmsprop", dict(lr=0.01)),
    ("rmsprop", dict(lr=0.01, centered=True)),
    ("rmsprop", dict(lr=0.005, momentum=0.9, weight_decay=0.01)),
    ("rmsprop", dict(lr=0.005, centered=True, momentum=0.5, alpha=0.9)),
    ("adadelta", dict()),
    ("adadelta", dict(lr=0.5, rho=0.95, weight_decay=0.01)),
    ("adamax", dict(lr=0.01)),
    ("adamax", dict(lr=0.01, weight_decay=0.05, maximize=True)),
    ("nadam", dict(lr=0.01)),
    ("nadam", dict(lr=0.01, momentum_decay=0.01, weight_decay=0.05)),
    ("radam", dict(lr=0.01)),
    ("radam", dict(lr=0.01, weight_decay=0.05, betas=(0.9, 0.99))),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for name, kw in TABLE]


def _grad(p, t, dtype, scale):
    """A gradient with feedback and deterministic noise: a convex quadratic plus a wobble."""
    rng = np.random.default_rng(t)
    return (scale * (p - 1.0) + 0.3 * rng.standard_normal(p.size)).astype(dtype)


@pytest.mark.parametrize(("name", "kw"), TABLE, ids=IDS)
@pytest.mark.parametrize(
    ("n", "dtype"),
    # Short arrays test the vector tails; the long one the threaded split.
    [(37, np.float32), (37, np.float64), (300_001, np.float64)],
    ids=["37-f32", "37-f64", "300001-f64"],
)
def test_rule_matches_reference(name, kw, dtype, n):
    opt = RULES[name](**kw)
    oracle = ref.OptimizerReference(opt.kind, **opt._hyper)
    rng = np.random.default_rng(0)
    scale = np.linspace(0.5, 3.0, n)
    p = rng.standard_normal(n).astype(dtype)
    q = p.copy()
    steps = 120 if n < 1000 else 12
    for t in range(steps):
        opt.step(p, _grad(p, t, dtype, scale))
        oracle.step(q, _grad(q, t, dtype, scale))
    tol = 2e-4 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(p, q, rtol=tol, atol=tol)
    assert p.dtype == dtype


@pytest.mark.parametrize(("name", "kw"), TABLE, ids=IDS)
def test_state_dict_round_trip_continues_bit_identically(name, kw):
    rng = np.random.default_rng(1)
    p = rng.standard_normal(50)
    opt = RULES[name](**kw)
    for t in range(30):
        opt.step(p, _grad(p, t, np.float64, 1.0))
    saved = opt.state_dict()
    p2 = p.copy()
    clone = RULES[name](**kw)
    clone.load_state_dict(saved)
    for t in range(30, 60):
        opt.step(p, _grad(p, t, np.float64, 1.0))
        clone.step(p2, _grad(p2, t, np.float64, 1.0))
    np.testing.assert_array_equal(p, p2)
    # state_dict returns copies: stepping does not change a saved state.
    again = RULES[name](**kw)
    again.load_state_dict(saved)
    assert again.state_dict()["step"] == saved["step"] == 30


DESCENDING = [(name, kw) for name, kw in TABLE if not kw.get("maximize")]


@pytest.mark.parametrize(
    ("name", "kw"),
    DESCENDING,
    ids=[i for i, (_, kw) in zip(IDS, TABLE, strict=False) if not kw.get("maximize")],
)
def test_converges_on_a_convex_quadratic(name, kw):
    if name == "adagrad":
        kw = dict(kw, lr=1.0)  # its steps shrink like lr / sqrt(t)
    opt = RULES[name](**kw)
    p = np.full(8, 5.0)
    target = np.arange(8.0) / 4
    for _ in range(4000):
        opt.step(p, 2 * (p - target))
    wd = kw.get("weight_decay", 0.0)
    if name == "adamw":
        wd = 0.0  # decoupled decay pulls towards 0 by lr*wd per step: a small, known bias
        np.testing.assert_allclose(p, target, atol=0.2)
    elif wd == 0:
        np.testing.assert_allclose(p, target, atol=2e-2)
    else:
        # With coupled weight decay the minimum moves to target / (1 + wd/2).
        np.testing.assert_allclose(p, target / (1 + wd / 2), atol=2e-2)


def test_step_returns_params_and_updates_in_place():
    p = np.ones(4)
    out = fastgd.SGD(lr=0.5).step(p, np.ones(4))
    assert out is p
    np.testing.assert_array_equal(p, 0.5)


def test_in_place_contract():
    opt = fastgd.Adam()
    with pytest.raises(ValueError, match="C-contiguous"):
        opt.step(np.ones((4, 4))[:, 0], np.ones(4))
    ro = np.ones(3)
    ro.setflags(write=False)
    with pytest.raises(ValueError, match="read-only"):
        opt.step(ro, np.ones(3))
    with pytest.raises(TypeError, match="float32 or float64"):
        opt.step(np.ones(3, dtype=np.int64), np.ones(3))
    with pytest.raises(TypeError, match=r"numpy.ndarray"):
        opt.step([1.0, 2.0], [1.0, 1.0])
    with pytest.raises(ValueError, match=r"grad has shape \(2,\) but params has shape \(3,\)"):
        opt.step(np.ones(3), np.ones(2))
    with pytest.raises(TypeError, match="grad must hold real numbers"):
        opt.step(np.ones(3), np.array(["a", "b", "c"]))


def test_grad_of_another_dtype_or_layout_is_converted():
    a, b = np.ones(6, np.float32), np.ones(6, np.float32)
    fastgd.Adam(lr=0.1).step(a, np.arange(6.0))  # float64 grad for float32 params
    fastgd.Adam(lr=0.1).step(b, np.arange(6.0, dtype=np.float32))
    np.testing.assert_array_equal(a, b)
    c = np.ones(6)
    fastgd.Adam(lr=0.1).step(c, np.arange(12.0)[::2] / 2)  # strided grad
    assert np.isfinite(c).all()


@pytest.mark.parametrize("name", sorted(RULES))
def test_params_aliasing_grad(name):
    # grad is params itself: the result must be as if grad were a copy.
    p, q = np.linspace(-1, 1, 9), np.linspace(-1, 1, 9)
    a, b = RULES[name](), RULES[name]()
    for _ in range(3):
        a.step(p, p)
        b.step(q, q.copy())
    np.testing.assert_array_equal(p, q)


def test_shape_and_dtype_are_fixed_by_the_first_step_until_reset():
    opt = fastgd.Adam()
    opt.step(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="params has 4 elements but the optimizer state has 3"):
        opt.step(np.ones(4), np.ones(4))
    with pytest.raises(TypeError, match="differs from the optimizer state"):
        opt.step(np.ones(3, np.float32), np.ones(3, np.float32))
    opt.reset()
    opt.step(np.ones(4, np.float32), np.ones(4, np.float32))
    assert opt.state_dict()["state"]["exp_avg"].dtype == np.float32


def test_multidimensional_params_step_as_flat():
    p = np.ones((3, 4))
    fastgd.SGD(lr=0.5).step(p, np.ones((3, 4)))
    np.testing.assert_array_equal(p, 0.5)


@pytest.mark.parametrize(
    ("cls", "kw", "error", "match"),
    [
        (fastgd.SGD, dict(lr=-1.0), ValueError, "Invalid lr"),
        (fastgd.SGD, dict(lr=float("nan")), ValueError, "Invalid lr"),
        (fastgd.SGD, dict(lr="big"), TypeError, "lr must be a real number"),
        (fastgd.SGD, dict(momentum=-0.1), ValueError, "Invalid momentum"),
        (fastgd.SGD, dict(nesterov=True), ValueError, "Nesterov momentum requires a momentum > 0"),
        (
            fastgd.SGD,
            dict(nesterov=True, momentum=0.9, dampening=0.1),
            ValueError,
            "zero dampening",
        ),
        (fastgd.SGD, dict(weight_decay=-1e-3), ValueError, "Invalid weight_decay"),
        (fastgd.SGD, dict(nesterov=1), TypeError, "nesterov must be True or False"),
        (fastgd.Adam, dict(betas=(1.0, 0.999)), ValueError, "Invalid beta1"),
        (fastgd.Adam, dict(betas=(0.9, -0.1)), ValueError, "Invalid beta2"),
        (fastgd.Adam, dict(betas=0.9), TypeError, "betas must be a pair"),
        (fastgd.Adam, dict(eps=-1e-8), ValueError, "Invalid eps"),
        (fastgd.AdamW, dict(weight_decay=-0.1), ValueError, "Invalid weight_decay"),
        (fastgd.Adagrad, dict(lr_decay=-0.1), ValueError, "Invalid lr_decay"),
        (
            fastgd.Adagrad,
            dict(initial_accumulator_value=-1.0),
            ValueError,
            "Invalid initial_accumulator_value",
        ),
        (fastgd.RMSprop, dict(alpha=-0.5), ValueError, "Invalid alpha"),
        (fastgd.RMSprop, dict(momentum=-1.0), ValueError, "Invalid momentum"),
        (fastgd.Adadelta, dict(rho=1.5), ValueError, "Invalid rho"),
        (fastgd.Adamax, dict(betas=(0.9, 1.0)), ValueError, "Invalid beta2"),
        (fastgd.NAdam, dict(momentum_decay=-1.0), ValueError, "Invalid momentum_decay"),
        (fastgd.RAdam, dict(eps=float("inf")), ValueError, "Invalid eps"),
    ],
)
def test_hyperparameter_checks(cls, kw, error, match):
    with pytest.raises(error, match=match):
        cls(**kw)


def test_torch_defaults():
    assert fastgd.Adam().hyperparameters == dict(
        lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False
    )
    assert fastgd.AdamW().hyperparameters["weight_decay"] == 1e-2
    assert fastgd.Adagrad().hyperparameters["eps"] == 1e-10
    assert fastgd.RMSprop().hyperparameters["alpha"] == 0.99
    assert fastgd.Adadelta().hyperparameters["lr"] == 1.0
    assert fastgd.Adamax().hyperparameters["lr"] == 2e-3
    assert fastgd.NAdam().hyperparameters["momentum_decay"] == 4e-3
    assert repr(fastgd.SGD(lr=0.1)).startswith("SGD(lr=0.1, momentum=0.0")


def test_load_state_dict_rejects_mismatches():
    opt = fastgd.Adam()
    opt.step(np.ones(3), np.ones(3))
    good = opt.state_dict()
    with pytest.raises(ValueError, match="state is for 'adam', this optimizer is 'sgd'"):
        fastgd.SGD().load_state_dict(good)
    with pytest.raises(ValueError, match="hyperparameters"):
        fastgd.Adam(lr=0.5).load_state_dict(good)
    bad = dict(good, state={"exp_avg": good["state"]["exp_avg"]})
    with pytest.raises(ValueError, match="must have the arrays"):
        fastgd.Adam().load_state_dict(bad)
    bad = dict(good, state={"exp_avg": np.ones(3), "exp_avg_sq": np.ones(4)})
    with pytest.raises(ValueError, match="equal length"):
        fastgd.Adam().load_state_dict(bad)
    bad = dict(good, state={"exp_avg": np.ones(3, np.float32), "exp_avg_sq": np.ones(3)})
    with pytest.raises(ValueError, match="one float32 or float64 dtype"):
        fastgd.Adam().load_state_dict(bad)
    with pytest.raises(ValueError, match="missing"):
        fastgd.Adam().load_state_dict({"kind": "adam"})
    with pytest.raises(TypeError, match="must be a dict"):
        fastgd.Adam().load_state_dict([1, 2])


def test_lecture_momentum_equals_sgd_momentum_with_a_constant_rate():
    # v <- beta v + alpha g; theta <- theta - v   ==   SGD(lr=alpha, momentum=beta)
    alpha, beta = 0.1, 0.9
    theta, v = np.array([3.0, -2.0]), np.zeros(2)
    p = theta.copy()
    opt = fastgd.SGD(lr=alpha, momentum=beta)
    for _ in range(50):
        v = beta * v + alpha * (2 * theta)
        theta = theta - v
        opt.step(p, 2 * p)
    np.testing.assert_allclose(p, theta, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("rule", [fastgd.Adam, fastgd.Adamax, fastgd.NAdam, fastgd.RAdam])
def test_a_restored_state_continues_bit_identically_across_the_bias_power_resync(rule):
    # beta^t is a running product recomputed with pow every 256 steps; saving at
    # step 300 and going on past 512 must match the run that never stopped.
    rng = np.random.default_rng(2)
    p = rng.standard_normal(20)
    opt = rule(lr=1e-3)
    for t in range(300):
        opt.step(p, _grad(p, t, np.float64, 1.0))
    clone, p2 = rule(lr=1e-3), p.copy()
    clone.load_state_dict(opt.state_dict())
    for t in range(300, 600):
        opt.step(p, _grad(p, t, np.float64, 1.0))
        clone.step(p2, _grad(p2, t, np.float64, 1.0))
    np.testing.assert_array_equal(p, p2)
    # And the bias corrections stay within rounding of the reference's exact powers.
    ref_rule = ref.OptimizerReference(rule.kind, **rule(lr=1e-3)._hyper)
    q = rng.standard_normal(20)
    q_ref = q.copy()
    fresh = rule(lr=1e-3)
    for t in range(600):
        fresh.step(q, _grad(q, t, np.float64, 1.0))
        ref_rule.step(q_ref, _grad(q_ref, t, np.float64, 1.0))
    np.testing.assert_allclose(q, q_ref, rtol=1e-10, atol=1e-12)
