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
    # issue 13: decoupled weight decay on Adam, NAdam, RAdam; Rprop, ASGD, Lion, Adafactor
    ("adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("nadam", dict(lr=0.01, weight_decay=0.05, decoupled_weight_decay=True)),
    ("radam", dict(lr=0.01, weight_decay=0.05, decoupled_weight_decay=True, maximize=True)),
    ("rprop", dict()),
    ("rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-4, 1.0), maximize=True)),
    ("asgd", dict(lr=0.05)),
    ("asgd", dict(lr=0.05, lambd=1e-2, alpha=0.5, t0=20, weight_decay=0.05)),
    ("lion", dict(lr=0.01)),
    ("lion", dict(lr=0.01, betas=(0.8, 0.95), weight_decay=0.1, maximize=True)),
    ("adafactor", dict()),
    ("adafactor", dict(lr=0.05, beta2_decay=-0.5, eps=(1e-20, 1e-2), d=1.5, weight_decay=0.05)),
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
    if name == "asgd":
        wd += kw.get("lambd", 1e-4)  # ASGD's lambd decays theta as an L2 term of lambd/2 |theta|^2
    decoupled = kw.get("decoupled_weight_decay") or name in ("adamw", "adafactor", "lion")
    if decoupled and (wd or name == "adamw"):
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
    # Issue 13: decoupled_weight_decay is an option of Adam (as torch 2.13's param_groups show).
    assert fastgd.Adam().hyperparameters == dict(
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        amsgrad=False,
        maximize=False,
        decoupled_weight_decay=False,
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


# --- issue 11: state belongs to its array, byte order, refused calls, hostile states --------

CONFIGS = [(name, kw) for name, kw in TABLE if name != "sgd" or kw.get("momentum")]


def _state_equal(a, b):
    assert a.keys() == b.keys()
    for key in a:
        if key == "state":
            assert a["state"].keys() == b["state"].keys()
            for name in a["state"]:
                assert a["state"][name].dtype == b["state"][name].dtype
                np.testing.assert_array_equal(a["state"][name], b["state"][name])
        else:
            assert a[key] == b[key], key


def test_the_state_belongs_to_the_array_it_was_made_for():
    a, b = np.ones(4), np.ones(4)
    opt = fastgd.Adam(lr=0.1)
    opt.step(a, np.ones(4))
    before, b_before = opt.state_dict(), b.copy()
    with pytest.raises(ValueError, match="make one optimizer per array"):
        opt.step(b, np.full(4, 2.0))
    np.testing.assert_array_equal(b, b_before)
    _state_equal(opt.state_dict(), before)
    # A view of the same memory with the same shape is the same params.
    opt.step(a[:], np.ones(4))
    opt.step(np.asarray(a), np.ones(4))
    assert opt.state_dict()["step"] == 3
    # Another shape of the same memory is not: its moments would be misread.
    m = np.ones((2, 2))
    opt2 = fastgd.SGD(lr=0.1, momentum=0.9)
    opt2.step(m, np.ones((2, 2)))
    with pytest.raises(ValueError, match="one optimizer per array"):
        opt2.step(m.reshape(4), np.ones(4))
    # reset() unbinds; after load_state_dict the next step binds.
    opt.reset()
    opt.step(b, np.ones(4))
    saved = opt.state_dict()
    clone = fastgd.Adam(lr=0.1)
    clone.load_state_dict(saved)
    c = b.copy()
    clone.step(c, np.ones(4))
    with pytest.raises(ValueError, match="one optimizer per array"):
        clone.step(b, np.ones(4))


def test_a_new_array_at_a_freed_arrays_address_is_another_array():
    # NumPy reuses a freed block for the next array of that size (here, nearly every
    # time): matched by address alone, such an array would pass some of the time.
    opt = fastgd.Adam(lr=0.1)
    a = np.ones(4)
    address = a.ctypes.data
    opt.step(a, np.ones(4))
    del a
    reused = 0
    for _ in range(200):
        b = np.ones(4)
        reused += b.ctypes.data == address
        with pytest.raises(ValueError, match="one optimizer per array"):
            opt.step(b, np.ones(4))
        np.testing.assert_array_equal(b, 1.0)
        del b
    assert opt.state_dict()["step"] == 1
    # Memory owned by something other than an ndarray is matched by address.
    raw = np.frombuffer(bytearray(32))
    sgd = fastgd.SGD(lr=0.5, momentum=0.5)
    sgd.step(raw, np.ones(4))
    sgd.step(raw[:], np.ones(4))
    np.testing.assert_array_equal(raw, -0.5 - 0.75)
    print(f"address reused {reused} times out of 200")  # what the check above covered


def test_two_arrays_with_two_optimizers_match_the_reference():
    # The case that once updated b with a's moments: now each array has its own.
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal(5), rng.standard_normal(5)
    qa, qb = a.copy(), b.copy()
    oa, ob = fastgd.Adam(lr=0.1), fastgd.Adam(lr=0.1)
    ra = ref.OptimizerReference("adam", **oa._hyper)
    rb = ref.OptimizerReference("adam", **ob._hyper)
    for _ in range(5):
        oa.step(a, 2 * a)
        ob.step(b, -3 * b)
        ra.step(qa, 2 * qa)
        rb.step(qb, -3 * qb)
    np.testing.assert_allclose(a, qa, rtol=1e-12)
    np.testing.assert_allclose(b, qb, rtol=1e-12)


@pytest.mark.parametrize("code", ["f8", "f4"])
def test_byte_swapped_params_are_refused_and_grads_converted(code):
    swapped = np.dtype(code).newbyteorder("S")
    p = np.ones(4, swapped)
    before = p.copy()
    with pytest.raises(TypeError, match=r"newbyteorder\('='\)"):
        fastgd.SGD(lr=0.1).step(p, np.ones(4, swapped))
    np.testing.assert_array_equal(p, before)
    # The example, done as the message says: the native answer 0.9.
    q = p.astype(p.dtype.newbyteorder("="))
    fastgd.SGD(lr=0.1).step(q, np.ones(4, swapped))
    np.testing.assert_allclose(q, 0.9, rtol=1e-6)
    r, s = np.linspace(-1, 1, 7).astype(code), np.linspace(-1, 1, 7).astype(code)
    g = np.arange(7.0).astype(code)
    fastgd.Adam(lr=0.1).step(r, g.astype(swapped))
    fastgd.Adam(lr=0.1).step(s, g)
    np.testing.assert_array_equal(r, s)


def test_byte_swapped_inputs_give_the_native_answer_everywhere():
    """Every public entry point reading arrays: '>f8'/'>f4' (byte-swapped on this
    machine) must give exactly what native input gives."""
    import warnings

    rng = np.random.default_rng(0)
    for code in ("f8", "f4"):
        swapped = np.dtype(code).newbyteorder("S")
        X = rng.standard_normal((40, 3)).astype(code)
        y = (X @ np.array([1.0, 2.0, 3.0]) + 0.5).astype(code)
        w = np.array([0.1, 0.2, 0.3], code)
        Xs, ys, ws = X.astype(swapped), y.astype(swapped), w.astype(swapped)
        calls = {
            "least_squares_loss_grad": lambda X, y, w: fastgd.least_squares_loss_grad(
                X, y, w, l2=0.1
            ),
            "least_squares_loss_grad rows": lambda X, y, w: fastgd.least_squares_loss_grad(
                X, y, w, reduction="sum", rows=np.array([0, 3, 5]).astype(">i8")
            ),
            "fit_least_squares": lambda X, y, w: (
                fastgd.fit_least_squares(X, y, lr=0.05, max_iter=30).coef
            ),
            "fit_least_squares adam batches": lambda X, y, w: (
                fastgd.fit_least_squares(
                    X, y, optimizer="adam", lr=0.05, batch_size=8, max_iter=3, random_state=0
                ).coef
            ),
            "normal_equations": lambda X, y, w: fastgd.normal_equations(X, y),
            "minimize": lambda X, y, w: (
                fastgd.minimize("sphere", w, optimizer=fastgd.Adam(lr=0.1), max_iter=20).x
            ),
            "objective value and grad": lambda X, y, w: fastgd.objectives.get(
                "rosenbrock"
            ).value_and_grad(w[:2]),
        }
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name, call in calls.items():
                native, swapped_out = call(X, y, w), call(Xs, ys, ws)
                if not isinstance(native, tuple):
                    native, swapped_out = (native,), (swapped_out,)
                for a, b in zip(native, swapped_out, strict=True):
                    np.testing.assert_array_equal(
                        np.asarray(a), np.asarray(b), err_msg=f"{name} {code}"
                    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "refuse",
    [
        pytest.param(lambda opt, p: opt.step(p, np.ones(p.size + 1)), id="grad-shape"),
        pytest.param(lambda opt, p: opt.step(p, np.array(["a"] * p.size)), id="grad-strings"),
        pytest.param(lambda opt, p: opt.step(p, None), id="grad-None"),
        pytest.param(lambda opt, p: opt.step(p, p.astype(complex)), id="grad-complex"),
        pytest.param(lambda opt, p: opt.step(p.copy(), np.ones(p.size)), id="another-array"),
        pytest.param(lambda opt, p: opt.step(p.astype(np.int64), p), id="params-int"),
        pytest.param(
            lambda opt, p: opt.step(
                p.astype(np.float32 if p.dtype == np.float64 else np.float64), p
            ),
            id="params-other-dtype",
        ),
        pytest.param(
            lambda opt, p: opt.step(p.astype(p.dtype.newbyteorder("S")), p), id="params-swapped"
        ),
        pytest.param(lambda opt, p: opt.step(np.ones(p.size + 2, p.dtype), p), id="params-size"),
        pytest.param(
            lambda opt, p: opt.step(np.lib.stride_tricks.as_strided(p, writeable=False), p),
            id="params-read-only-view",
        ),
        pytest.param(
            lambda opt, p: opt.load_state_dict(dict(opt.state_dict(), step=-1)), id="load"
        ),
    ],
)
def test_a_refused_call_changes_nothing(refuse, dtype):
    for name, kw in CONFIGS:
        p = np.linspace(-1, 1, 9).astype(dtype)
        opt = RULES[name](**kw)
        for t in range(3):
            opt.step(p, _grad(p, t, dtype, 1.0))
        before, p_before = opt.state_dict(), p.copy()
        with pytest.raises((TypeError, ValueError)) as info:
            refuse(opt, p)
        assert "pybind11" not in str(info.value)
        assert "Unable to cast" not in str(info.value)
        np.testing.assert_array_equal(p, p_before)
        _state_equal(opt.state_dict(), before)
        # And the next step is the one the refused call would not have disturbed.
        twin = RULES[name](**kw)
        twin.load_state_dict(before)
        q = p.copy()
        opt.step(p, _grad(p, 3, dtype, 1.0))
        twin.step(q, _grad(q, 3, dtype, 1.0))
        np.testing.assert_array_equal(p, q)


def test_a_nan_grad_is_the_callers_data_and_is_stepped():
    # As torch: NaN in, NaN out, where it was; no error, no silent fix-up.
    p = np.zeros(3)
    fastgd.SGD(lr=0.1).step(p, np.array([1.0, np.nan, 1.0]))
    assert np.isnan(p[1])
    assert p[0] == p[2] == -0.1


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "kw"), TABLE, ids=IDS)
def test_pickle_and_deepcopy_continue_bit_identically(name, kw, dtype, how):
    import copy
    import pickle

    p = np.linspace(-1, 1, 11).astype(dtype)
    opt = RULES[name](**kw)
    for t in range(7):
        opt.step(p, _grad(p, t, dtype, 1.0))
    clone = pickle.loads(pickle.dumps(opt)) if how == "pickle" else copy.deepcopy(opt)
    saved = clone.state_dict()
    assert saved["dtype"] == np.dtype(dtype).name
    for arr in saved["state"].values():
        assert arr.dtype == dtype
    q = p.copy()
    for t in range(7, 20):
        opt.step(p, _grad(p, t, dtype, 1.0))
        clone.step(q, _grad(q, t, dtype, 1.0))
    np.testing.assert_array_equal(p, q)
    assert q.dtype == dtype


def test_the_base_class_is_abstract():
    for make in (lambda: fastgd.Optimizer(), lambda: fastgd.Optimizer(lr=0.1)):
        with pytest.raises(TypeError, match=r"Optimizer is an abstract base class.*Adam.*SGD"):
            make()


def _adam_state(**over):
    opt = fastgd.Adam(lr=0.1)
    opt.step(np.ones(4), np.ones(4))
    return dict(opt.state_dict(), **over)


def _nadam_state(**over):
    opt = fastgd.NAdam()
    opt.step(np.ones(4), np.ones(4))
    return dict(opt.state_dict(), **over)


HOSTILE = [
    (
        fastgd.Adam,
        lambda: _adam_state(step=2**64 - 1),
        r"state\['step'\] must be an integer in \[0, 2\*\*53\]",
    ),
    (fastgd.Adam, lambda: _adam_state(step=2**70), r"state\['step'\] must be an integer"),
    (fastgd.Adam, lambda: _adam_state(step=np.uint64(2**64 - 1)), r"state\['step'\]"),
    (fastgd.Adam, lambda: _adam_state(step=1.0), r"state\['step'\] must be an integer"),
    (fastgd.Adam, lambda: _adam_state(step=True), r"state\['step'\] must be an integer"),
    (fastgd.Adam, lambda: _adam_state(kind=["adam"]), "state is for"),
    (fastgd.Adam, lambda: _adam_state(hyperparameters=np.ones(3)), "hyperparameters"),
    (fastgd.Adam, lambda: _adam_state(hyperparameters=None), "hyperparameters"),
    (fastgd.Adam, lambda: _adam_state(extra=1), "unknown keys"),
    (fastgd.Adam, lambda: _adam_state(mu_product=0.5), "mu_product'] is NAdam's"),
    (
        fastgd.Adam,
        lambda: _adam_state(dtype="int32"),
        r"state\['dtype'\] must be 'float32' or 'float64'",
    ),
    (fastgd.Adam, lambda: _adam_state(dtype="float32"), "share one float32 or float64 dtype"),
    (fastgd.Adam, lambda: _adam_state(dtype=object()), r"state\['dtype'\]"),
    (fastgd.Adam, lambda: _adam_state(size=5), "equal length"),
    (fastgd.Adam, lambda: _adam_state(size=0), "equal length"),
    (fastgd.Adam, lambda: _adam_state(size=-1), r"state\['size'\] must be an integer >= 0"),
    (fastgd.Adam, lambda: _adam_state(size=2**70), "equal length"),
    (fastgd.Adam, lambda: _adam_state(size="4"), r"state\['size'\]"),
    (
        fastgd.Adam,
        lambda: _adam_state(state={"exp_avg": np.zeros(4), "exp_avg_sq": -np.ones(4)}),
        r"state\['state'\]\['exp_avg_sq'\] must be >= 0",
    ),
    (
        fastgd.Adam,
        lambda: _adam_state(state={"exp_avg": np.full(4, np.nan), "exp_avg_sq": np.ones(4)}),
        r"state\['state'\]\['exp_avg'\] must be finite",
    ),
    (
        fastgd.Adam,
        lambda: _adam_state(state={"exp_avg": np.zeros(4), "exp_avg_sq": np.full(4, np.inf)}),
        r"\['exp_avg_sq'\] must be finite",
    ),
    (
        fastgd.Adam,
        lambda: _adam_state(state={"exp_avg": np.zeros(4, complex), "exp_avg_sq": np.ones(4)}),
        "float32 or float64 array",
    ),
    (
        fastgd.Adam,
        lambda: _adam_state(state={"exp_avg": "abcd", "exp_avg_sq": np.ones(4)}),
        "float32 or float64 array",
    ),
    (
        fastgd.Adam,
        lambda: _adam_state(state={"exp_avg": np.zeros(()), "exp_avg_sq": np.ones(4)}),
        "must be 1-D",
    ),
    (
        fastgd.Adam,
        lambda: _adam_state(state={"exp_avg": np.zeros(4), "exp_avg_sq": np.ones(4), "x": 1}),
        "must have the arrays",
    ),
    (
        fastgd.NAdam,
        lambda: _nadam_state(mu_product=float("nan")),
        r"mu_product'\] must be a finite number in \[0, 1\]",
    ),
    (fastgd.NAdam, lambda: _nadam_state(mu_product=float("inf")), r"mu_product'\] must be"),
    (fastgd.NAdam, lambda: _nadam_state(mu_product=1.5), r"mu_product'\] must be"),
    (fastgd.NAdam, lambda: _nadam_state(mu_product=-0.1), r"mu_product'\] must be"),
    (fastgd.NAdam, lambda: _nadam_state(mu_product=10**400), r"mu_product'\] must be"),
    (fastgd.NAdam, lambda: _nadam_state(mu_product="0.5"), r"mu_product'\] must be a real number"),
    (
        fastgd.NAdam,
        lambda: {k: val for k, val in _nadam_state().items() if k != "mu_product"},
        r"mu_product'\] .* is missing",
    ),
    (
        fastgd.SGD,
        lambda: {
            "kind": "sgd",
            "hyperparameters": fastgd.SGD().hyperparameters,
            "step": 3,
            "state": {},
        },
        r"state\['dtype'\]",
    ),
]


@pytest.mark.parametrize(("cls", "make", "match"), HOSTILE)
def test_hostile_state_dicts_are_refused_and_change_nothing(cls, make, match):
    opt = cls(lr=0.1) if cls is fastgd.Adam else cls()
    p = np.linspace(-1, 1, 4)
    for _ in range(2):
        opt.step(p, p.copy())
    before = opt.state_dict()
    with pytest.raises(ValueError, match=match) as info:
        opt.load_state_dict(make())
    assert "Unable to cast" not in str(info.value)
    _state_equal(opt.state_dict(), before)
    opt.step(p, p.copy())  # still bound to p
    assert opt.state_dict()["step"] == 3


@pytest.mark.parametrize("cls", [fastgd.Adam, fastgd.SGD, fastgd.NAdam])
def test_empty_params_step_and_their_state_round_trips(cls):
    opt, p = cls(), np.ones(0)
    opt.step(p, np.ones(0))
    opt.step(p, np.ones(0))
    saved = opt.state_dict()
    assert (saved["step"], saved["size"]) == (2, 0)
    clone = cls()
    clone.load_state_dict(saved)
    _state_equal(clone.state_dict(), saved)


def test_state_arrays_not_in_a_dict_are_a_type_error():
    opt = fastgd.Adam(lr=0.1)
    with pytest.raises(TypeError, match=r"state\['state'\] must be a dict of arrays"):
        opt.load_state_dict(_adam_state(state=[1, 2]))
    assert opt.state_dict()["step"] == 0


def test_state_arrays_of_another_byte_order_or_layout_load_as_the_same_values():
    opt = fastgd.Adam(lr=0.1)
    p = np.linspace(-1, 1, 6)
    opt.step(p, p.copy())
    saved = opt.state_dict()
    swapped = dict(saved, state={k: a.astype(">f8") for k, a in saved["state"].items()})
    clone = fastgd.Adam(lr=0.1)
    clone.load_state_dict(swapped)
    _state_equal(clone.state_dict(), saved)


def test_the_core_refuses_hostile_states_too():
    # What the Python layer checks, the core checks again (a state can reach it from
    # a pickle or a fit's tuple): no NaN, no wrap-around, never pybind11's text.
    core = fastgd._core.Optimizer("nadam", fastgd.NAdam()._core_hyper())
    ok = [np.zeros(3), np.ones(3)]
    for args, match in [
        ((2**53 + 1, 0.5, ok, "float64", 3), "state\\['step'\\]"),
        ((3, float("nan"), ok, "float64", 3), "mu_product"),
        ((3, 0.5, [np.zeros(3), -np.ones(3)], "float64", 3), ">= 0"),
        ((3, 0.5, [np.zeros(3), np.ones(3, np.float32)], "float64", 3), "dtype"),
        ((3, 0.5, ok, "float16", 3), "float32' or 'float64"),
        ((3, 0.5, [np.zeros(4), np.ones(3)], "float64", 3), "size"),
        ((0, 1.0, ok, "float64", 3), "arrays but step 0"),
    ]:
        with pytest.raises(ValueError, match=match):
            core.load_state(*args)
        assert core.state() is None


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: fastgd.SGD(lr=10**400), ValueError, "lr must be a finite number"),
        (lambda: fastgd.SGD(lr=1 + 2j), TypeError, "lr must be a real number"),
        (lambda: fastgd.SGD(lr=None), TypeError, "lr must be a real number"),
        (lambda: fastgd.SGD(lr=np.array([0.1])), TypeError, "lr must be a real number"),
        (lambda: fastgd.Adam(betas=(0.9, "x")), TypeError, "beta2 must be a real number"),
        (lambda: fastgd.Adam(betas=None), TypeError, "betas must be a pair"),
        (lambda: fastgd.Adam(amsgrad="yes"), TypeError, "amsgrad must be True or False"),
        (lambda: fastgd.RMSprop(centered=None), TypeError, "centered must be True or False"),
        (lambda: fastgd.Adagrad(eps=10**5000), ValueError, "eps must be a finite number"),
        (
            lambda: fastgd._core.Optimizer("adam", {"lr": "x"}),
            TypeError,
            "lr must be a real number",
        ),
        (
            lambda: fastgd._core.Optimizer("adam", {"lr": 10**400}),
            ValueError,
            "lr must be a finite",
        ),
        (
            lambda: fastgd._core.Optimizer("adam", {"beta1": 1.5}),
            ValueError,
            r"beta1 must be in \[0, 1\)",
        ),
        (lambda: fastgd._core.Optimizer("adam", {"eps": float("nan")}), ValueError, "eps must be"),
        (
            lambda: fastgd._core.Optimizer("sgd", {"nesterov": 1}),
            TypeError,
            "nesterov must be True or False",
        ),
        (
            lambda: fastgd._core.Optimizer("sgd", {"lr": -1.0}),
            ValueError,
            "lr must be a finite number >= 0",
        ),
        (lambda: fastgd._core.Optimizer("lbfgs", {}), ValueError, "unknown update rule"),
        (
            lambda: fastgd._core.Optimizer("adam", {"lr": 10**5000}),
            ValueError,
            "lr must be a finite real number, got <int too large to print>",
        ),
    ],
)
def test_no_pybind11_text_from_hyperparameters(make, error, match):
    with pytest.raises(error, match=match) as info:
        make()
    assert "Unable to cast" not in str(info.value)
    assert "incompatible function arguments" not in str(info.value)


@pytest.mark.parametrize(
    "grad",
    [
        None,
        "abc",
        np.array([{}] * 3),
        np.ones(3, complex),
        [1, 2, 10**400],
        [[1.0], [2.0, 3.0]],
        object(),
    ],
    ids=["None", "str", "objects", "complex", "huge-int", "ragged", "object"],
)
def test_no_pybind11_text_from_grads(grad):
    p = np.ones(3)
    with pytest.raises((TypeError, ValueError)) as info:
        fastgd.Adam().step(p, grad)
    text = str(info.value)
    assert "grad" in text
    assert "Unable to cast" not in text
    assert "incompatible function arguments" not in text
    np.testing.assert_array_equal(p, 1.0)


@pytest.mark.parametrize(("betas", "steps"), [((0.9, 0.999), 3000), ((0.0, 0.9), 1)])
def test_nadam_mu_product_of_zero_is_a_valid_state(betas, steps):
    # The product of momentum factors underflows to 0 (after ~3000 steps with the
    # defaults, at once with beta1 = 0): [0, 1] is the valid range, not (0, 1].
    opt, p = fastgd.NAdam(betas=betas), np.linspace(-1, 1, 5)
    for _ in range(steps):
        opt.step(p, p.copy())
    saved = opt.state_dict()
    assert 0.0 <= saved["mu_product"] < 1e-300
    clone, q = fastgd.NAdam(betas=betas), p.copy()
    clone.load_state_dict(saved)
    for _ in range(3):
        opt.step(p, p.copy())
        clone.step(q, q.copy())
    np.testing.assert_array_equal(p, q)
