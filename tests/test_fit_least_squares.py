"""Linear regression by GD, SGD, momentum and Nesterov: against the NumPy reference
(same shuffles, same steps) and against the analytic solution."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fastgd
from fastgd import reference as ref

from .conftest import make_plan, make_regression

METHODS = [
    pytest.param("gd", None, 0.05, id="gd"),
    pytest.param("sgd", None, 0.05, id="sgd-full"),
    pytest.param("sgd", 1, 0.002, id="sgd-1"),
    pytest.param("sgd", 32, 0.02, id="sgd-32"),
    pytest.param("momentum", None, 0.02, id="momentum"),
    pytest.param("momentum", 16, 0.005, id="momentum-16"),
    pytest.param("nesterov", None, 0.02, id="nesterov"),
    pytest.param("nesterov", 64, 0.01, id="nesterov-64"),
]


@pytest.mark.parametrize(("optimizer", "batch_size", "lr"), METHODS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["icpt", "no-icpt"])
def test_fit_matches_reference(optimizer, batch_size, lr, dtype, fit_intercept):
    X, y, _ = make_regression(300, 5, dtype=dtype, intercept=1.5)
    kw = dict(
        optimizer=optimizer,
        lr=lr,
        batch_size=batch_size,
        max_iter=25,
        tol=0.0,
        fit_intercept=fit_intercept,
        l2=0.01,
        random_state=7,
    )
    # gtol=0: every one of the 25 epochs, as the reference (which has no optimality test).
    got = fastgd.fit_least_squares(X, y, gradient="stream", gtol=0.0, **kw)
    want = ref.fit_least_squares(X, y, **kw)
    rtol = 1e-4 if dtype == np.float32 else 1e-11
    assert got.coef.dtype == dtype
    assert got.n_iter == want.n_iter == 25
    assert got.status == want.status == "max_iter"
    np.testing.assert_allclose(got.coef, want.coef, rtol=rtol, atol=rtol)
    assert got.intercept == pytest.approx(want.intercept, rel=rtol, abs=rtol)
    np.testing.assert_allclose(got.losses, want.losses, rtol=rtol)
    assert len(got.losses) == 26


@pytest.mark.parametrize(("optimizer", "batch_size", "lr"), METHODS)
def test_converges_to_the_analytic_solution(optimizer, batch_size, lr):
    X, y, _ = make_regression(400, 4, noise=0.0, intercept=-0.7, seed=3)
    coef, intercept = fastgd.normal_equations(X, y, fit_intercept=True)
    # Noise-free data: every method, even constant-step SGD, reaches the exact fit.
    fit = fastgd.fit_least_squares(
        X,
        y,
        optimizer=optimizer,
        lr=lr,
        batch_size=batch_size,
        max_iter=3000,
        tol=1e-10,
        gtol=1e-9,  # the accuracy checked below (the default 1e-4 stops sooner)
        random_state=0,
    )
    assert fit.status == "converged", fit.message
    assert fit.success
    np.testing.assert_allclose(fit.coef, coef, atol=1e-6)
    assert fit.intercept == pytest.approx(intercept, abs=1e-6)
    assert fit.losses[-1] < 1e-10
    assert fit.n_iter < 3000


@pytest.mark.parametrize("batch_size", [None, 1, 8])
def test_lr_auto_converges_without_tuning(batch_size):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((500, 3)) * [1.0, 10.0, 100.0] + 50.0  # badly scaled, uncentred
    y = X @ [1.0, -0.5, 0.02] + 3.0
    fit = fastgd.fit_least_squares(
        X, y, lr="auto", batch_size=batch_size, max_iter=50, random_state=0
    )
    assert fit.status in ("converged", "max_iter")
    assert (
        np.all(np.diff(fit.losses[:3]) < 0)
        if batch_size is None
        else fit.losses[-1] < fit.losses[0]
    )
    assert np.isfinite(fit.coef).all()
    L = 1.0 / fit.lr
    assert L > 0


def test_lr_auto_is_one_over_L():
    X, y, _ = make_regression(200, 3, seed=4)
    fit = fastgd.fit_least_squares(X, y, lr="auto", fit_intercept=False, max_iter=1)
    H = 2.0 / 200 * X.T @ X
    assert fit.lr == pytest.approx(1.0 / np.linalg.eigvalsh(H).max(), rel=1e-3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("optimizer", ["gd", "momentum", "nesterov"])
def test_gram_and_stream_agree(optimizer, dtype):
    X, y, _ = make_regression(2000, 7, dtype=dtype, intercept=0.5, seed=5)
    kw = dict(optimizer=optimizer, lr=0.05, max_iter=60, tol=0.0, l2=0.1)
    stream = fastgd.fit_least_squares(X, y, gradient="stream", **kw)
    gram = fastgd.fit_least_squares(X, y, gradient="gram", **kw)
    assert (stream.gradient, gram.gradient) == ("stream", "gram")
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(gram.coef, stream.coef, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(gram.losses, stream.losses, rtol=rtol * 10)


def test_gradient_auto_picks_gram_for_tall_data_and_stream_for_wide():
    X, y, _ = make_regression(5000, 8)
    assert fastgd.fit_least_squares(X, y, max_iter=100).gradient == "gram"
    Xw, yw, _ = make_regression(50, 200)
    assert fastgd.fit_least_squares(Xw, yw, max_iter=5, lr=1e-3).gradient == "stream"
    assert fastgd.fit_least_squares(X, y, batch_size=10, max_iter=2).gradient == "batch"


def test_same_seed_same_result_and_other_seed_differs():
    X, y, _ = make_regression(300, 4)
    a = fastgd.fit_least_squares(X, y, batch_size=7, max_iter=5, tol=None, random_state=11)
    b = fastgd.fit_least_squares(X, y, batch_size=7, max_iter=5, tol=None, random_state=11)
    c = fastgd.fit_least_squares(X, y, batch_size=7, max_iter=5, tol=None, random_state=12)
    np.testing.assert_array_equal(a.coef, b.coef)
    np.testing.assert_array_equal(a.losses, b.losses)
    assert not np.array_equal(a.coef, c.coef)


def test_generator_random_state_is_accepted():
    X, y, _ = make_regression(100, 2)
    fit = fastgd.fit_least_squares(
        X, y, batch_size=5, max_iter=3, random_state=np.random.default_rng(1)
    )
    assert np.isfinite(fit.coef).all()


def test_fits_are_bitwise_identical_across_thread_counts():
    X, y, _ = make_regression(150_000, 12, seed=8)
    out = []
    for k in (1, 2, 4):
        fastgd.set_num_threads(k)
        out.append(
            (
                fastgd.fit_least_squares(X, y, lr=0.1, max_iter=10, tol=None, gradient="stream"),
                fastgd.fit_least_squares(
                    X, y, lr=0.01, batch_size=4096, max_iter=2, tol=None, random_state=3
                ),
            )
        )
    for full, mini in out[1:]:
        np.testing.assert_array_equal(full.coef, out[0][0].coef)
        np.testing.assert_array_equal(full.losses, out[0][0].losses)
        np.testing.assert_array_equal(mini.coef, out[0][1].coef)


def test_shuffle_false_visits_rows_in_order():
    X, y, _ = make_regression(50, 3)
    got = fastgd.fit_least_squares(
        X, y, batch_size=10, shuffle=False, max_iter=4, tol=None, lr=0.02
    )
    want = ref.fit_least_squares(X, y, batch_size=10, shuffle=False, max_iter=4, tol=None, lr=0.02)
    np.testing.assert_allclose(got.coef, want.coef, rtol=1e-12)


M64 = 2**64 - 1


def _mix64(z: int) -> int:
    """Independent oracle in Python ints: SplitMix64's output function."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def _feistel_order(seed: int, epoch: int, n: int) -> list[int]:
    """Independent oracle: the documented shuffle, one element at a time."""
    bits = 2
    while (1 << bits) < n:
        bits += 2
    half, mask = bits // 2, (1 << (bits // 2)) - 1
    state = _mix64((seed + 0x9E3779B97F4A7C15 * (epoch + 1)) & M64)
    keys = [_mix64((state + 0x9E3779B97F4A7C15 * (k + 1)) & M64) for k in range(4)]

    def encrypt(x: int) -> int:
        left, right = x >> half, x & mask
        for key in keys:
            left, right = right, left ^ (_mix64(right ^ key) & mask)
        return (left << half) | right

    order = []
    for i in range(n):
        x = encrypt(i)
        while x >= n:
            x = encrypt(x)
        order.append(x)
    return order


def test_splitmix64_known_answer():
    # SplitMix64 seeded with 0 first outputs 0xE220A8397B1DCDAF (Vigna's reference code).
    assert _mix64(0x9E3779B97F4A7C15) == 0xE220A8397B1DCDAF


@pytest.mark.parametrize("n", [1, 2, 3, 5, 17, 1000, 4096, 4097, 70_001])
def test_permutation_compiled_reference_and_oracle_agree(n):
    seed, epoch = 42, 3
    p_ref = ref.permutation(seed, epoch, n)
    p_core = fastgd._core._testing.permutation(seed, epoch, n)
    np.testing.assert_array_equal(p_core, p_ref)
    assert np.array_equal(np.sort(p_ref), np.arange(n))
    if n <= 5000:
        assert p_ref.tolist() == _feistel_order(seed, epoch, n)
    if n > 10:
        assert not np.array_equal(ref.permutation(seed, 0, n), ref.permutation(seed, 1, n))


def test_permutation_golden_values():
    # The shuffle is part of the results' reproducibility: it must never change.
    assert ref.permutation(0, 0, 10).tolist() == GOLDEN


GOLDEN = [8, 6, 0, 1, 9, 5, 3, 7, 4, 2]


def test_permutation_looks_random():
    # Each row lands in each tenth of the order about equally often over many epochs.
    n, epochs = 100, 400
    hits = np.zeros((n, 10))
    for e in range(epochs):
        p = ref.permutation(7, e, n)
        hits[p, np.arange(n) * 10 // n] += 1
    expected = epochs / 10
    assert np.abs(hits - expected).max() < 6 * np.sqrt(expected)


def test_max_iter_zero_returns_the_start():
    X, y, _ = make_regression(20, 2)
    fit = fastgd.fit_least_squares(X, y, max_iter=0)
    assert fit.n_iter == 0
    assert fit.status == "max_iter"
    np.testing.assert_array_equal(fit.coef, 0.0)
    assert fit.losses.shape == (1,)
    assert fit.losses[0] == pytest.approx(np.mean(y**2))


def test_record_false_keeps_no_losses():
    X, y, _ = make_regression(20, 2)
    assert fastgd.fit_least_squares(X, y, record=False, batch_size=4, max_iter=3).losses.shape == (
        0,
    )


@pytest.mark.parametrize("batch_size", [None, 4])
def test_divergence_is_reported_with_a_safe_learning_rate(batch_size):
    X, y, _ = make_regression(100, 3)
    with pytest.warns(fastgd.DivergenceWarning, match=r"lr < 2/L = [0-9.]+"):
        fit = fastgd.fit_least_squares(X, y, lr=50.0, batch_size=batch_size, max_iter=1000)
    assert fit.status == "diverged"
    assert not fit.success
    assert fit.n_iter < 1000
    assert "too large" in fit.message


def test_predict():
    X, y, _ = make_regression(100, 3, noise=0.0, intercept=1.0)
    fit = fastgd.fit_least_squares(X, y, lr="auto", max_iter=5000, tol=1e-12, gtol=1e-10)
    np.testing.assert_allclose(fit.predict(X), y, atol=1e-6)
    with pytest.raises(ValueError, match="X has 2 columns but the fit has 3"):
        fit.predict(X[:, :2])


def test_normal_equations_against_lstsq_and_reference():
    X, y, _ = make_regression(200, 5, seed=9)
    w = fastgd.normal_equations(X, y, fit_intercept=False)
    np.testing.assert_allclose(w, np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-12)
    np.testing.assert_allclose(w, ref.normal_equations(X, y), rtol=1e-10)
    coef, b = fastgd.normal_equations(X, y, fit_intercept=True)
    rcoef, rb = ref.normal_equations(X, y, fit_intercept=True)
    np.testing.assert_allclose(coef, rcoef, rtol=1e-10)
    assert b == pytest.approx(rb, rel=1e-10, abs=1e-12)


def test_normal_equations_is_stable_where_the_explicit_inverse_is_not():
    # Columns nearly collinear: cond(X^T X) ~ 1e16 ruins (X^T X)^-1; lstsq on X does not.
    rng = np.random.default_rng(10)
    t = rng.standard_normal(100)
    X = np.column_stack([t, t + 1e-8 * rng.standard_normal(100)])
    y = X @ [1.0, 2.0]
    w = fastgd.normal_equations(X, y, fit_intercept=False)
    np.testing.assert_allclose(X @ w, y, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    n=st.integers(1, 120),
    d=st.integers(1, 9),
    dtype=st.sampled_from([np.float32, np.float64]),
    layout=st.sampled_from(["C", "F", "strided"]),
    optimizer=st.sampled_from(["sgd", "momentum", "nesterov"]),
    batch=st.one_of(st.none(), st.integers(1, 150)),
    fit_intercept=st.booleans(),
    shuffle=st.booleans(),
)
def test_fit_property_against_reference(
    data, n, d, dtype, layout, optimizer, batch, fit_intercept, shuffle
):
    elems = st.floats(-1, 1, width=32)
    X = data.draw(hnp.arrays(np.float64, (n, d), elements=elems)).astype(dtype)
    y = data.draw(hnp.arrays(np.float64, (n,), elements=elems)).astype(dtype)
    if layout == "F":
        X = np.asfortranarray(X)
    elif layout == "strided":
        X = np.repeat(X, 2, axis=1)[:, ::2]
    lr = 0.05 / (d + 1)  # below 1/L for any batch of rows in [-1, 1]^d
    kw = dict(
        optimizer=optimizer,
        lr=lr,
        batch_size=batch,
        max_iter=4,
        tol=None,
        fit_intercept=fit_intercept,
        shuffle=shuffle,
        random_state=5,
        momentum=0.5,
    )
    # gtol=0: the reference's epochs (it has no optimality test); only an exactly zero
    # gradient (X = 0 and y = 0 can be drawn) passes it, and ends the fit there.
    got = fastgd.fit_least_squares(X, y, gradient="stream", gtol=0.0, **kw)
    if got.status == "converged":
        assert got.optimality == 0.0
        assert np.all(got.coef == 0)
        assert got.intercept == 0.0
        return
    want = ref.fit_least_squares(np.ascontiguousarray(X), y, **kw)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    assert got.status == want.status
    np.testing.assert_allclose(got.coef, want.coef, rtol=tol, atol=tol)
    assert got.intercept == pytest.approx(want.intercept, rel=tol, abs=tol)
    np.testing.assert_allclose(got.losses, want.losses, rtol=tol, atol=tol)


RULE_FITS = [
    pytest.param("adam", None, 0.05, id="adam-full"),
    pytest.param("adamw", 16, 0.02, id="adamw-16"),
    pytest.param("adagrad", None, 0.5, id="adagrad-full"),
    pytest.param("rmsprop", 8, 0.005, id="rmsprop-8"),
    pytest.param("adadelta", None, 1.0, id="adadelta-full"),
    pytest.param("adamax", 32, 0.02, id="adamax-32"),
    pytest.param("nadam", None, 0.05, id="nadam-full"),
    pytest.param("radam", 4, 0.01, id="radam-4"),
]


@pytest.mark.parametrize(("optimizer", "batch_size", "lr"), RULE_FITS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_every_rule_fits_like_the_reference(optimizer, batch_size, lr, dtype):
    X, y, _ = make_regression(200, 4, dtype=dtype, intercept=1.0, seed=2)
    kw = dict(
        optimizer=optimizer,
        lr=lr,
        batch_size=batch_size,
        max_iter=15,
        tol=None,
        l2=0.01,
        random_state=3,
    )
    got = fastgd.fit_least_squares(X, y, gradient="stream", **kw)
    want = ref.fit_least_squares(X, y, **kw)
    tol = 2e-4 if dtype == np.float32 else 1e-9
    assert got.optimizer == optimizer
    np.testing.assert_allclose(got.coef, want.coef, rtol=tol, atol=tol)
    np.testing.assert_allclose(got.losses, want.losses, rtol=tol, atol=tol)


@pytest.mark.parametrize(
    "name", ["adam", "adamw", "adagrad", "rmsprop", "adamax", "nadam", "radam"]
)
def test_every_rule_reaches_the_analytic_solution(name):
    X, y, _ = make_regression(300, 3, noise=0.0, intercept=0.5, seed=4)
    coef, intercept = fastgd.normal_equations(X, y, fit_intercept=True)
    lr = {"adagrad": 0.5, "rmsprop": 0.001, "nadam": 0.01}.get(name, 0.02)
    opt = fastgd.optimizers.RULES[name](lr=lr, **({"weight_decay": 0.0} if name == "adamw" else {}))
    fit = fastgd.fit_least_squares(X, y, optimizer=opt, max_iter=20_000, tol=1e-9, gtol=1e-7)
    # With a constant step, RMSprop and NAdam hover near the minimum (their normalised
    # steps do not shrink with the gradient); the others converge.
    atol = 2e-3 if name in ("rmsprop", "nadam") else 1e-4
    np.testing.assert_allclose(fit.coef, coef, atol=atol)
    assert fit.intercept == pytest.approx(intercept, abs=atol)


def test_an_instance_carries_its_hyperparameters_and_is_left_untouched():
    X, y, _ = make_regression(100, 3)
    opt = fastgd.Adam(lr=0.05, amsgrad=True, betas=(0.8, 0.99))
    by_instance = fastgd.fit_least_squares(X, y, optimizer=opt, max_iter=10, tol=None)
    want = ref.fit_least_squares(X, y, optimizer=opt, max_iter=10, tol=None)
    np.testing.assert_allclose(by_instance.coef, want.coef, rtol=1e-10)
    assert by_instance.lr == 0.05
    assert opt.state_dict()["step"] == 0


@pytest.mark.parametrize(
    ("name", "make", "batch_size"),
    [
        ("sgd", lambda m: fastgd.SGD(lr=0.01, momentum=m), 16),
        ("sgd", lambda m: fastgd.SGD(lr=0.01, momentum=m), None),
        ("rmsprop", lambda m: fastgd.RMSprop(lr=0.01, momentum=m), 16),
    ],
)
def test_an_explicit_momentum_is_the_named_rules_momentum(name, make, batch_size):
    X, y, _ = make_regression(200, 3)
    kw = dict(lr=0.01, batch_size=batch_size, max_iter=15, tol=None, random_state=3)
    named = fastgd.fit_least_squares(X, y, optimizer=name, momentum=0.5, **kw)
    kw.pop("lr")
    instance = fastgd.fit_least_squares(X, y, optimizer=make(0.5), **kw)
    np.testing.assert_array_equal(named.path, instance.path)
    np.testing.assert_array_equal(named.losses, instance.losses)
    without = fastgd.fit_least_squares(X, y, optimizer=make(0.0), **kw)
    assert not np.array_equal(named.path, without.path)  # the momentum made a difference
    # the estimator passes it on the same way
    est = fastgd.GDRegressor(
        optimizer=name,
        momentum=0.5,
        lr=0.01,
        batch_size=batch_size,
        max_iter=15,
        tol=None,
        random_state=3,
    ).fit(X, y)
    np.testing.assert_array_equal(est.coef_, instance.coef)


@pytest.mark.parametrize(("optimizer", "batch_size", "lr"), METHODS)
def test_two_halves_from_coef_init_and_the_state_equal_one_fit(optimizer, batch_size, lr):
    """Ten epochs, then ten more from where they ended (theta and the rule's state),
    equal twenty at once: what warm starts and partial_fit build on. Shuffles are
    keyed by epoch, so the second half runs without shuffling (each half restarts
    its epoch count); the same holds for the one long fit."""
    from fastgd.in_memory import run_fit

    X, y, _ = make_regression(200, 4, intercept=0.5)
    plan = make_plan(
        200,
        4,
        X.dtype,
        optimizer=optimizer,
        lr=lr,
        batch_size=batch_size,
        max_iter=20,
        tol=None,
        shuffle=False,
        gradient="stream",
    )
    whole, _ = run_fit(X, y, plan, 0)
    import dataclasses

    half = dataclasses.replace(plan, max_iter=10)
    first, state = run_fit(X, y, half, 0)
    theta0 = np.append(first.coef, first.intercept)
    second, _ = run_fit(X, y, half.with_lr(first.lr), 0, theta0=theta0, state=state)
    np.testing.assert_array_equal(second.coef, whole.coef)
    assert second.intercept == whole.intercept
    np.testing.assert_array_equal(second.losses, whole.losses[10:])


def test_coef_init_and_intercept_init_start_the_descent():
    X, y, _ = make_regression(200, 3, intercept=2.0)
    coef, intercept = fastgd.normal_equations(X, y, fit_intercept=True)
    fit = fastgd.fit_least_squares(
        X, y, optimizer="gd", lr=0.01, max_iter=5, coef_init=coef, intercept_init=intercept
    )
    assert fit.losses[0] == pytest.approx(np.mean((X @ coef + intercept - y) ** 2))
    np.testing.assert_allclose(fit.coef, coef, atol=1e-6)
    cold = fastgd.fit_least_squares(X, y, optimizer="gd", lr=0.01, max_iter=5)
    assert cold.losses[0] == pytest.approx(np.mean(y**2))
    # Mini-batch runs compute the initial loss from theta, not mean(y^2).
    sgd = fastgd.fit_least_squares(
        X,
        y,
        optimizer="sgd",
        lr=0.01,
        batch_size=8,
        max_iter=1,
        coef_init=coef,
        intercept_init=intercept,
    )
    assert sgd.losses[0] == pytest.approx(fit.losses[0])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(coef_init=[1.0, 2.0]), ValueError, "coef_init"),
        (dict(coef_init=[np.nan, 0.0, 0.0]), ValueError, "coef_init"),
        (dict(intercept_init="a"), TypeError, "intercept_init"),
        (dict(intercept_init=1.0, fit_intercept=False), ValueError, "intercept_init needs"),
        (dict(callback=3), TypeError, "callback must be callable"),
    ],
)
def test_init_and_callback_arguments_are_checked(kwargs, error, match):
    X, y, _ = make_regression(50, 3)
    with pytest.raises(error, match=match):
        fastgd.fit_least_squares(X, y, **kwargs)


@pytest.mark.parametrize("batch_size", [None, 1, 16])
def test_callback_sees_every_epoch_and_can_stop_the_fit(batch_size):
    X, y, _ = make_regression(120, 3, intercept=1.0)
    seen = []

    def watch(intermediate_result):
        r = intermediate_result
        seen.append((r.nit, r.fun, r.coef))
        np.testing.assert_array_equal(r.x, np.append(r.coef, r.intercept))
        return r.nit == 4

    fit = fastgd.fit_least_squares(
        X,
        y,
        optimizer="sgd",
        lr=0.01,
        batch_size=batch_size,
        max_iter=50,
        callback=watch,
        random_state=0,
    )
    assert fit.status == "stopped"
    assert fit.n_iter == 4
    assert "stopped by the callback" in fit.message
    assert [e for e, _, _ in seen] == [1, 2, 3, 4]
    np.testing.assert_allclose([loss for _, loss, _ in seen], fit.losses[1:])
    np.testing.assert_array_equal(seen[-1][2], fit.coef)
    assert seen[-1][2].shape == (3,)


def test_callback_exceptions_propagate():
    X, y, _ = make_regression(60, 2)

    def boom(intermediate_result):
        raise RuntimeError("from the callback")

    with pytest.raises(RuntimeError, match="from the callback"):
        fastgd.fit_least_squares(X, y, optimizer="sgd", lr=0.01, batch_size=4, callback=boom)
