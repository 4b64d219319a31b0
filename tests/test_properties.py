"""Property tests over the public API: random hyperparameters, shapes, dtypes and
layouts against the NumPy reference and against invariants (hypothesis; CI runs a
fixed, derandomised profile, see conftest.py)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fastgd
from fastgd import reference as ref
from fastgd.optimizers import RULES

unit = st.floats(0.0, 0.99)
positive_lr = st.floats(1e-4, 0.5)
dtypes = st.sampled_from([np.float32, np.float64])


@st.composite
def rules(draw: st.DrawFn) -> fastgd.Optimizer:
    name = draw(st.sampled_from(sorted(RULES)))
    kw: dict = dict(lr=draw(positive_lr), weight_decay=draw(st.sampled_from([0.0, 0.01, 0.1])))
    if name == "sgd":
        kw["momentum"] = draw(unit)
        kw["nesterov"] = kw["momentum"] > 0 and draw(st.booleans())
        kw["dampening"] = 0.0 if kw["nesterov"] else draw(unit)
    elif name in ("adam", "adamw", "adamax", "nadam", "radam"):
        kw["betas"] = (draw(unit), draw(st.floats(0.5, 0.999)))
        kw["eps"] = draw(st.sampled_from([1e-8, 1e-6, 1e-3]))
        if name in ("adam", "adamw"):
            kw["amsgrad"] = draw(st.booleans())
    elif name == "rmsprop":
        kw.update(
            alpha=draw(st.floats(0.5, 0.999)), momentum=draw(unit), centered=draw(st.booleans())
        )
    elif name == "adagrad":
        kw.update(lr_decay=draw(st.sampled_from([0.0, 0.01])), initial_accumulator_value=draw(unit))
    elif name == "adadelta":
        kw.update(rho=draw(st.floats(0.5, 0.99)))
    elif name == "rprop":  # issue 13's rules; Rprop has no weight decay (as torch)
        del kw["weight_decay"]
        kw.update(
            etas=(draw(st.floats(0.1, 0.9)), draw(st.floats(1.05, 2.0))),
            step_sizes=(draw(st.sampled_from([0.0, 1e-6, 1e-3])), draw(st.floats(0.01, 50.0))),
        )
    elif name == "asgd":
        kw.update(
            lambd=draw(st.sampled_from([0.0, 1e-4, 1e-2])),
            alpha=draw(st.floats(0.0, 1.0)),
            t0=draw(st.sampled_from([0.0, 5.0, 1e6])),
        )
    elif name == "lion":
        kw["betas"] = (draw(unit), draw(unit))
    elif name == "adafactor":
        kw.update(beta2_decay=draw(st.floats(-1.0, 0.0)), d=draw(st.floats(1.0, 2.0)))
    if name in ("adam", "nadam", "radam"):
        kw["decoupled_weight_decay"] = draw(st.booleans())
    if name in (
        "sgd",
        "adam",
        "adamw",
        "adamax",
        "rmsprop",
        "adagrad",
        "adadelta",
        "rprop",
        "asgd",
        "lion",
        "adafactor",
    ):
        kw["maximize"] = draw(st.booleans())
    return RULES[name](**kw)


@settings(max_examples=150)
@given(rule=rules(), n=st.integers(1, 70), dtype=dtypes, seed=st.integers(0, 2**32 - 1))
def test_any_rule_with_any_hyperparameters_matches_the_reference(rule, n, dtype, seed):
    oracle = ref.OptimizerReference(rule.kind, **rule._hyper)
    rng = np.random.default_rng(seed)
    p = rng.standard_normal(n).astype(dtype)
    q = p.copy()
    for _ in range(12):
        g = rng.standard_normal(n).astype(dtype)
        rule.step(p, g + p)
        oracle.step(q, g + q)
    tol = 5e-4 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(p, q, rtol=tol, atol=tol)


@st.composite
def layouts(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n, d = draw(st.integers(1, 60)), draw(st.integers(1, 7))
    dtype = draw(st.sampled_from([np.float32, np.float64, np.int64]))
    X = draw(hnp.arrays(np.float64, (n, d), elements=st.floats(-10, 10))).astype(dtype)
    y = draw(hnp.arrays(np.float64, n, elements=st.floats(-10, 10)))
    order = draw(st.sampled_from(["C", "F", "strided"]))
    if order == "F":
        X = np.asfortranarray(X)
    elif order == "strided":
        X = np.repeat(X, 2, axis=1)[:, ::2]
    return X, y


@settings(max_examples=80)
@given(data=layouts(), method=st.sampled_from(["gd", "sgd-1", "sgd-8", "momentum", "adam"]))
def test_a_fit_depends_on_the_values_only_never_the_layout_and_leaves_them(data, method):
    X, y = data
    before = X.copy(), y.copy()
    name, _, batch = method.partition("-")
    kw = dict(optimizer=name, lr=1e-3, max_iter=3, tol=None, random_state=0)
    if batch:
        kw["batch_size"] = int(batch)
    fit = fastgd.fit_least_squares(X, y, **kw)
    plain = fastgd.fit_least_squares(np.ascontiguousarray(X), y, **kw)
    np.testing.assert_array_equal(fit.coef, plain.coef)
    np.testing.assert_array_equal(X, before[0])
    np.testing.assert_array_equal(y, before[1])
    assert fit.coef.dtype == (np.float32 if X.dtype == np.float32 else np.float64)
    assert np.isfinite(fit.coef).all()


@settings(max_examples=60)
@given(
    d=st.integers(1, 8),
    lr=st.floats(0.01, 0.45),
    start=st.floats(-5, 5).filter(lambda v: abs(v) > 1e-3),
)
def test_gd_on_the_sphere_goes_downhill_every_step_to_the_minimum(d, lr, start):
    r = fastgd.minimize(
        "sphere", np.full(d, start), optimizer="gd", lr=lr, max_iter=2000, tol=1e-12
    )
    assert r.status == "converged"
    assert np.all(np.diff(r.losses) <= 0)
    np.testing.assert_allclose(r.x, 0.0, atol=1e-9)


@settings(max_examples=60)
@given(
    lr0=st.floats(1e-4, 1.0),
    t=st.integers(0, 10_000),
    kind=st.sampled_from(
        ["constant", "inverse_scaling", "step", "exponential", "cosine", "warmup"]
    ),
)
def test_every_schedule_matches_the_reference_and_stays_positive(lr0, t, kind):
    from fastgd import schedules

    make = {
        "constant": lambda: schedules.constant(lr0),
        "inverse_scaling": lambda: schedules.inverse_scaling(lr0, power=0.5),
        "step": lambda: schedules.step(lr0, step_size=100, gamma=0.5),
        "exponential": lambda: schedules.exponential(lr0, gamma=0.999),
        "cosine": lambda: schedules.cosine(lr0, t_max=5000),
        "warmup": lambda: schedules.warmup(schedules.cosine(lr0, t_max=5000), steps=100),
    }[kind]
    s = make()
    assert s(t) == np.float64(ref.schedule_value(s, t)) or np.isclose(
        s(t), ref.schedule_value(s, t)
    )
    assert s(t) >= 0.0
