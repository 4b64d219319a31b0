"""minimize with scipy.optimize.minimize's conventions: jac, args, bounds, x of any
shape, the OptimizeResult face, options and the callback (issue 15)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import fastgd


def quadratic(x, a, b):
    """sum a (x - b)^2 with the gradient, for any shape of x."""
    return float(np.sum(a * (x - b) ** 2)), 2 * a * (x - b)


def quadratic_value(x, a, b):
    return float(np.sum(a * (x - b) ** 2))


def quadratic_grad(x, a, b):
    return 2 * a * (x - b)


def rosen_value(x):
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2))


def rosen_pair(x):
    return fastgd.objectives.get("rosenbrock").value_and_grad(x)


LBFGS = dict(method="lbfgs")


# --- jac, args -------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["gd", "lbfgs"])
def test_jac_true_callable_and_finite_differences_agree(method):
    a, b = np.array([1.0, 3.0]), np.array([0.5, -1.0])
    kw = dict(method=method, args=(a, b), max_iter=5000, gtol=1e-8)
    if method == "gd":
        kw["lr"] = 0.1
    pair = fastgd.minimize(quadratic, [2.0, 2.0], jac=True, **kw)
    separate = fastgd.minimize(quadratic_value, [2.0, 2.0], jac=quadratic_grad, **kw)
    forward = fastgd.minimize(quadratic_value, [2.0, 2.0], jac="2-point", **kw)
    central = fastgd.minimize(quadratic_value, [2.0, 2.0], jac="3-point", **kw)
    default = fastgd.minimize(quadratic_value, [2.0, 2.0], **kw)  # a number: "2-point"
    for r in (pair, separate, forward, central, default):
        assert r.success, r.message
        np.testing.assert_allclose(r.x, b, atol=1e-6)
    np.testing.assert_array_equal(pair.x, separate.x)
    np.testing.assert_array_equal(forward.x, default.x)
    assert pair.nfev == pair.njev
    # finite differences: each gradient costs d (forward) or 2d (central) more values
    assert forward.nfev == forward.njev * 3
    assert central.nfev == central.njev * 5


def test_a_pair_returning_fun_without_jac_is_taken_as_jac_true():
    a, b = np.ones(2), np.zeros(2)
    implicit = fastgd.minimize(quadratic, [1.0, 1.0], args=(a, b), lr=0.1)
    explicit = fastgd.minimize(quadratic, [1.0, 1.0], args=(a, b), lr=0.1, jac=True)
    np.testing.assert_array_equal(implicit.path, explicit.path)
    assert implicit.nfev == explicit.nfev  # the probe at x0 is the run's first evaluation


def test_args_reach_fun_and_jac():
    seen = []

    def fun(x, c, *, _seen=seen):
        _seen.append(c)
        return float(np.sum((x - c) ** 2))

    def jac(x, c):
        seen.append(("jac", c))
        return 2 * (x - c)

    r = fastgd.minimize(fun, [0.0], jac=jac, args=(3.0,), lr=0.25, max_iter=50)
    np.testing.assert_allclose(r.x, [3.0])
    assert 3.0 in seen
    assert ("jac", 3.0) in seen
    # a single non-tuple argument is one argument, as scipy takes it
    one = fastgd.minimize(fun, [0.0], jac=jac, args=3.0, lr=0.25, max_iter=50)
    np.testing.assert_array_equal(one.x, r.x)


def test_finite_differences_match_the_analytic_gradient_on_builtins_and_callables():
    x0 = np.array([-1.2, 1.0, -0.5, 0.8])
    analytic = fastgd.minimize("rosenbrock", x0, gtol=1e-6, **LBFGS)
    for scheme in ("2-point", "3-point"):
        # A forward difference's error is about sqrt(eps) |f''| ~ 1e-5 here: no finer gtol.
        builtin = fastgd.minimize("rosenbrock", x0, jac=scheme, gtol=1e-4, **LBFGS)
        python = fastgd.minimize(rosen_value, x0, jac=scheme, gtol=1e-4, **LBFGS)
        for r in (builtin, python):
            assert r.success, r.message
            np.testing.assert_allclose(r.x, analytic.x, atol=1e-4)
            assert r.nfev > r.njev  # the difference points count


# --- x of any shape ---------------------------------------------------------------------


def test_a_scalar_x0_stays_a_scalar():
    seen = []

    def fun(x):
        seen.append(np.shape(x))
        return (x - 2.0) ** 2, 2 * (x - 2.0)

    r = fastgd.minimize(fun, 5.0, lr=0.25, max_iter=200)
    assert r.x.shape == ()
    assert r.jac.shape == ()
    assert set(seen) == {()}
    np.testing.assert_allclose(r.x, 2.0)
    assert r.path.shape == (r.nit + 1, 1)


def test_an_nd_x0_keeps_its_shape_everywhere():
    target = np.arange(6.0).reshape(2, 3)
    shapes = []

    def fun(x):
        shapes.append(x.shape)
        return float(np.sum((x - target) ** 2)), 2 * (x - target)

    xs = []

    def callback(intermediate_result):
        xs.append(intermediate_result.x.shape)

    r = fastgd.minimize(fun, np.zeros((2, 3)), jac=True, callback=callback, **LBFGS)
    assert r.x.shape == (2, 3)
    assert r.jac.shape == (2, 3)
    assert set(shapes) == {(2, 3)}
    assert set(xs) == {(2, 3)}
    np.testing.assert_allclose(r.x, target, atol=1e-6)
    assert r.path.shape[1] == 6
    np.testing.assert_array_equal(r.path.reshape(-1, 2, 3)[-1], r.x)


def test_a_builtin_takes_an_nd_x0():
    r = fastgd.minimize("rosenbrock", -np.ones((2, 2)), **LBFGS)
    assert r.x.shape == (2, 2)
    np.testing.assert_allclose(r.x, np.ones((2, 2)), atol=1e-5)


# --- the result -------------------------------------------------------------------------


def test_the_result_reads_like_an_optimize_result():
    r = fastgd.minimize("rosenbrock", [-1.2, 1.0], **LBFGS)
    for key in ("x", "fun", "jac", "nit", "nfev", "njev", "status", "success", "message"):
        assert key in r
        assert r[key] is getattr(r, key) or np.array_equal(r[key], getattr(r, key))
    assert {"path", "losses", "grad_norms"} <= set(r.keys())
    as_dict = dict(r)
    assert as_dict["nit"] == r.nit
    assert as_dict["success"] is r.success
    assert r.get("nope", 7) == 7
    with pytest.raises(KeyError):
        r["nope"]
    # The core's gradient (vectorised, with fused multiply-adds on AVX2/AVX-512) and
    # NumPy's round differently: ~1e-14 apart, relative to a gradient near 0 at the
    # optimum. A stale or wrong jac would be off by far more than atol.
    np.testing.assert_allclose(r.jac, fastgd.objectives.get("rosenbrock").grad(r.x), atol=1e-12)
    text = repr(r)
    assert "nfev=" in text
    assert len(text) < 200
    assert "\n" not in text


def test_the_result_works_as_scipy_s_for_scipy_code():
    scipy_optimize = pytest.importorskip("scipy.optimize")
    r = fastgd.minimize(rosen_pair, [-1.2, 1.0], jac=True, **LBFGS)
    s = scipy_optimize.minimize(rosen_pair, [-1.2, 1.0], jac=True, method="L-BFGS-B")
    common = {k for k in s if k in r}
    assert {"x", "fun", "jac", "nit", "nfev", "njev", "success", "message", "status"} <= common


# --- options, method --------------------------------------------------------------------


def test_options_take_scipy_s_names():
    a = fastgd.minimize("rosenbrock", [-1.2, 1.0], options={"maxiter": 5}, **LBFGS)
    assert a.nit == 5
    assert a.status == "max_iter"
    b = fastgd.minimize("rosenbrock", [-1.2, 1.0], options={"maxfun": 7}, **LBFGS)
    assert b.nfev <= 7 + 25  # it stops at the first iteration that ends past maxfun
    assert "maxfun=7" in b.message
    c = fastgd.minimize("rosenbrock", [-1.2, 1.0], options={"maxcor": 3}, **LBFGS)
    assert c.success


def test_scipy_s_method_names_are_aliases():
    a = fastgd.minimize("rosenbrock", [-1.2, 1.0], method="L-BFGS-B")
    b = fastgd.minimize("rosenbrock", [-1.2, 1.0], method="lbfgs")
    np.testing.assert_array_equal(a.x, b.x)
    assert a.optimizer == "lbfgs"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(method="newton"), ValueError, "unknown method 'newton'; known: .*lbfgs"),
        (dict(method=fastgd.Adam()), TypeError, "method must be a name"),
        (dict(method="adam", optimizer="gd"), ValueError, "both given"),
        (dict(method="lbfgs", lr=0.1), ValueError, "lbfgs takes no lr"),
        (dict(method="lbfgs", line_search="nope"), ValueError, "line_search for lbfgs"),
        (dict(method="gd", line_search="strong_wolfe"), ValueError, "'strong_wolfe' is for"),
        (dict(options={"bogus": 1}), ValueError, "unknown option 'bogus'"),
        (dict(options=[1]), TypeError, "options must be a dict"),
        (dict(options={"maxiter": 3}, max_iter=4), ValueError, "both given"),
        (dict(options={"maxcor": 3, "history": 4}, method="lbfgs"), ValueError, "twice"),
        (dict(options={"maxcor": 3}, method="cg"), ValueError, "is for lbfgs"),
        (dict(options={"history": 0}, method="lbfgs"), ValueError, "history"),
        (dict(jac=lambda x: x), ValueError, "brings its own gradient"),
        (dict(jac="4-point"), ValueError, "brings its own gradient"),
        (dict(args=(1,)), ValueError, "args are passed to a callable fun"),
    ],
)
def test_bad_settings_are_clear_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        fastgd.minimize("rosenbrock", [-1.2, 1.0], **kwargs)


@pytest.mark.parametrize(
    ("fun", "kwargs", "error", "match"),
    [
        (quadratic_value, dict(jac="4-point"), ValueError, "jac must be True, a callable"),
        (quadratic_value, dict(jac=3), TypeError, "jac must be True, a callable"),
        (
            quadratic_value,
            dict(jac=lambda x, a, b: np.ones(3)),
            ValueError,
            r"jac's gradient has shape \(3,\), but x has shape \(2,\)",
        ),
        (lambda x, a, b: (1.0, 2.0, 3.0), {}, TypeError, "got a tuple of length 3"),
        (
            lambda x, a, b: np.nan,
            {},
            ValueError,
            "not finite at x0 .* check fun \\(and args\\)",
        ),
        (
            lambda x, a, b: (np.nan, np.zeros(2)),
            dict(jac=True),
            ValueError,
            "not finite at x0",
        ),
        (
            lambda x, a, b: (1.0, np.array([np.inf, 0.0])),
            dict(jac=True),
            ValueError,
            "gradient of .* at x0 is not finite",
        ),
    ],
)
def test_bad_objectives_are_clear_errors(fun, kwargs, error, match):
    x0 = np.array([1.0, 2.0])
    with pytest.raises(error, match=match):
        fastgd.minimize(fun, x0, args=(1.0, 2.0), **kwargs)
    np.testing.assert_array_equal(x0, [1.0, 2.0])


def test_nan_at_x0_points_at_the_objective_not_the_learning_rate():
    with pytest.raises(ValueError, match="not finite at x0") as exc:
        fastgd.minimize(lambda x: (np.nan, x), [1.0, 1.0], jac=True, **LBFGS)
    assert "learning rate" not in str(exc.value)
    assert "lr" not in str(exc.value)


# --- bounds -----------------------------------------------------------------------------


def test_bounds_keep_x_inside_and_reach_the_bounded_optimum():
    bounds = [(-2.0, 0.5), (None, 0.2)]
    r = fastgd.minimize("rosenbrock", [-1.2, 0.1], bounds=bounds, **LBFGS)
    assert r.success, r.message
    assert np.all(r.path[:, 0] <= 0.5)
    assert np.all(r.path[:, 1] <= 0.2)
    assert r.x[0] <= 0.5
    assert r.x[1] <= 0.2


def test_bounds_for_first_order_rules_project_every_step():
    r = fastgd.minimize(
        quadratic,
        [0.0, 0.0],
        jac=True,
        args=(np.ones(2), np.array([3.0, -3.0])),
        lr=0.1,
        bounds=[(-1.0, 1.0), (-1.0, 1.0)],
        max_iter=500,
    )
    assert np.all(np.abs(r.path) <= 1.0)
    np.testing.assert_allclose(r.x, [1.0, -1.0])
    assert r.success, r.message  # the projected gradient is 0 at the corner


def test_scipy_bounds_are_taken():
    scipy_optimize = pytest.importorskip("scipy.optimize")
    b = scipy_optimize.Bounds([-2.0, -np.inf], [0.5, 0.2])
    a = fastgd.minimize("rosenbrock", [-1.2, 0.1], bounds=b, **LBFGS)
    c = fastgd.minimize("rosenbrock", [-1.2, 0.1], bounds=[(-2.0, 0.5), (None, 0.2)], **LBFGS)
    np.testing.assert_array_equal(a.x, c.x)


def test_an_x0_outside_the_bounds_is_projected_with_a_warning():
    with pytest.warns(UserWarning, match="x0 is outside the bounds in 1 coordinates"):
        r = fastgd.minimize("sphere", [3.0, 0.5], bounds=[(-1.0, 1.0), (-1.0, 1.0)], lr=0.1)
    np.testing.assert_array_equal(r.path[0], [1.0, 0.5])


def test_unbounded_bounds_change_nothing():
    a = fastgd.minimize("rosenbrock", [-1.2, 1.0], **LBFGS)
    b = fastgd.minimize("rosenbrock", [-1.2, 1.0], bounds=[(None, None)] * 2, **LBFGS)
    np.testing.assert_array_equal(a.path, b.path)


@pytest.mark.parametrize(
    ("bounds", "error", "match"),
    [
        ([(1.0, 0.0), (0.0, 1.0)], ValueError, "coordinate 0 has low 1 > high 0"),
        ([(0.0, 1.0)], ValueError, "1 \\(low, high\\) pairs for x of 2 coordinates"),
        ([(0.0, 1.0, 2.0), (0.0, 1.0)], ValueError, r"bounds\[0\] must be a \(low, high\) pair"),
        ([(np.nan, 1.0), (0.0, 1.0)], ValueError, "is NaN"),
        ([("a", 1.0), (0.0, 1.0)], TypeError, "must be numbers"),
        ("box", TypeError, "bounds must be a sequence"),
        (3, TypeError, "bounds must be a sequence"),
    ],
)
def test_bad_bounds_are_clear_errors(bounds, error, match):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(error, match=match):
            fastgd.minimize("sphere", [0.5, 0.5], bounds=bounds)


# --- callback ---------------------------------------------------------------------------


def test_stop_iteration_in_the_callback_stops_an_lbfgs_run():
    def callback(intermediate_result):
        if intermediate_result.nit == 3:
            raise StopIteration

    r = fastgd.minimize("rosenbrock", [-1.2, 1.0], callback=callback, **LBFGS)
    assert r.status == "stopped"
    assert r.nit == 3


# --- race, sweep_lr ---------------------------------------------------------------------


def test_race_runs_line_search_methods_beside_first_order_rules():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # how the first-order runs end is not the point here
        results = fastgd.race(
            "rosenbrock", [-1.2, 1.0], ["gd", "momentum", "adam", "lbfgs"], lr=1e-3, max_iter=3000
        )
    names = [r.optimizer for r in results]
    assert names == ["gd", "momentum", "adam", "lbfgs"]
    lbfgs = results[-1]
    np.testing.assert_allclose(lbfgs.x, [1.0, 1.0], atol=1e-5)
    alone = fastgd.minimize("rosenbrock", [-1.2, 1.0], max_iter=3000, gtol=None, **LBFGS)
    assert lbfgs.nit <= alone.nit + 50


def test_sweep_lr_refuses_line_search_methods_and_takes_armijo():
    with pytest.raises(ValueError, match="no learning rate to sweep"):
        fastgd.sweep_lr("bowl", [1.0, 1.0], [0.1], optimizer="lbfgs")
    plain = fastgd.sweep_lr("bowl", [1.0, 1.0], [0.5, 5.0], optimizer="gd")
    searched = fastgd.sweep_lr("bowl", [1.0, 1.0], [0.5, 5.0], optimizer="gd", line_search="armijo")
    assert plain.diverged.tolist() == [False, True]
    assert searched.diverged.tolist() == [False, False]


def test_armijo_tames_a_learning_rate_too_large():
    with pytest.warns(fastgd.DivergenceWarning):
        plain = fastgd.minimize("bowl", [1.0, 1.0], lr=5.0, max_iter=200)
    assert plain.status == "diverged"
    searched = fastgd.minimize("bowl", [1.0, 1.0], lr=5.0, line_search="armijo", max_iter=200)
    assert searched.success, searched.message
    assert searched.optimizer == "gd+armijo"


def test_plots_draw_a_race_with_lbfgs(tmp_path):
    pytest.importorskip("matplotlib")
    from fastgd import plot

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runs = fastgd.race("rosenbrock", [-1.2, 1.0], ["adam", "lbfgs", "cg"], max_iter=500)
    ax = plot.contour("rosenbrock", runs)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("lbfgs" in t for t in labels)
    assert any("cg" in t for t in labels)
    plot.losses(runs)
    out = plot.animate("rosenbrock", runs, str(tmp_path / "race.gif"), frames=12)
    assert (tmp_path / "race.gif").stat().st_size > 0
    assert str(out).endswith("race.gif")
