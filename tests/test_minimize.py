"""minimize: statuses, Python callables, every rule, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

import fastgd
from fastgd.minimize import GRTOL, GTOL
from fastgd.optimizers import RULES


def test_converges_on_the_bowl_and_records_the_path():
    r = fastgd.minimize("bowl", [1.5, -1.0], lr=0.1, max_iter=1000, tol=1e-12)
    assert r.status == "converged"
    assert r.success
    np.testing.assert_allclose(r.x, 0.0, atol=1e-10)
    assert r.path.shape == (r.nit + 1, 2)
    np.testing.assert_array_equal(r.path[0], [1.5, -1.0])
    assert r.losses.shape == r.grad_norms.shape == (r.nit + 1,)
    assert np.all(np.diff(r.losses) <= 0)
    # GD on t1^2 + t2^2 with lr: x_k = (1 - 2 lr)^k x_0, exactly the lecture's recurrence.
    np.testing.assert_allclose(r.path[5], 0.8**5 * np.array([1.5, -1.0]), rtol=1e-12)


def test_max_iter():
    r = fastgd.minimize("rosenbrock", [-1.0, 1.0], lr=1e-4, max_iter=10)
    assert r.status == "max_iter"
    assert r.nit == 10


@pytest.mark.parametrize("name", ["dome", "hill", "saddle", "monkey_saddle"])
def test_unbounded_objectives_end_diverged_never_nan(name):
    with pytest.warns(fastgd.DivergenceWarning, match=f"{name}, gd: diverged after"):
        r = fastgd.minimize(name, [0.3, 0.2], lr=0.1, max_iter=100_000)
    assert r.status == "diverged"
    assert not r.success
    assert not np.isnan(r.fun)
    assert "diverged" in r.message


def test_gtol():
    r = fastgd.minimize("bowl", [1.0, 1.0], lr=0.1, tol=None, gtol=1e-3, max_iter=10_000)
    assert r.status == "converged"
    assert r.grad_norms[-1] < 1e-3 <= r.grad_norms[-2]


def test_callback_stops_the_run():
    seen = []

    def callback(intermediate_result):
        seen.append((intermediate_result.nit, intermediate_result.fun))
        return intermediate_result.nit == 5

    r = fastgd.minimize("bowl", [1.0, 1.0], lr=0.01, max_iter=1000, callback=callback)
    assert r.status == "stopped"
    assert r.nit == 5
    assert [n for n, _ in seen] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_rule_minimises_a_python_callable(name):
    target = np.array([1.0, -2.0, 0.5])
    f = lambda x: (float((x - target) @ (x - target)), 2 * (x - target))
    lr = {"adadelta": 1.0, "adagrad": 0.5}.get(name, 0.01)
    # ASGD's lambd decays x towards 0 (an L2 term): its minimum is target's only without it.
    extra = {"lambd": 0.0} if name == "asgd" else {}
    r = fastgd.minimize(
        f, np.zeros(3), optimizer=RULES[name](lr=lr, **extra), max_iter=20_000, tol=1e-9
    )
    np.testing.assert_allclose(r.x, target, atol=2e-2)


def test_objective_exceptions_propagate():
    def broken(x):
        raise ZeroDivisionError("inside the objective")

    with pytest.raises(ZeroDivisionError, match="inside the objective"):
        fastgd.minimize(broken, [1.0, 2.0])


def test_callback_exceptions_propagate():
    def callback(intermediate_result):
        raise RuntimeError("from the callback")

    with pytest.raises(RuntimeError, match="from the callback"):
        fastgd.minimize("bowl", [1.0, 2.0], callback=callback)


@pytest.mark.parametrize(
    ("fn", "error", "match"),
    [
        (
            lambda x: (1.0, np.ones(3)),
            ValueError,
            r"gradient has shape \(3,\), but x has shape \(2,\)",
        ),
        (lambda x: 1.0, TypeError, r"with jac=True, fun must return \(value, grad\)"),
        (lambda x: (1.0, np.ones((2, 1))), ValueError, r"gradient has shape \(2, 1\)"),
    ],
)
def test_wrong_objective_results_are_errors(fn, error, match):
    with pytest.raises(error, match=match):
        fastgd.minimize(fn, [1.0, 2.0], jac=True)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(objective="nope"), ValueError, "unknown objective 'nope'"),
        (dict(objective=3), TypeError, "objective must be a registered name"),
        (dict(x0=[1.0, 2.0, 3.0]), ValueError, "beale is 2-dimensional, but x0 has 3 coordinates"),
        (
            dict(x0=[[1.0, 2.0, 3.0]]),
            ValueError,
            "beale is 2-dimensional, but x0 has 3 coordinates",
        ),
        (dict(x0=np.ones((0, 2))), ValueError, "x0 must be a non-empty point"),
        (dict(x0=[np.nan, 1.0]), ValueError, "x0 contains 1 NaN"),
        (dict(max_iter=-1), ValueError, "max_iter must be >= 0"),
        (dict(lr=-0.1), ValueError, "lr must be a finite number > 0"),
        (dict(lr="auto"), ValueError, "lr='auto' is for least squares"),
        (dict(gtol=-1.0), ValueError, "gtol must be a finite number >= 0"),
        (dict(callback=3), TypeError, "callback must be callable"),
    ],
)
def test_bad_input(kwargs, error, match):
    args = dict(objective="beale", x0=[1.0, 1.0]) | kwargs
    with pytest.raises(error, match=match):
        fastgd.minimize(args.pop("objective"), args.pop("x0"), **args)


def test_x0_is_not_modified():
    x0 = np.array([1.0, 1.0])
    fastgd.minimize("bowl", x0, lr=0.1)
    np.testing.assert_array_equal(x0, [1.0, 1.0])


def test_builtin_and_python_paths_agree():
    # The same objective through its C++ kernel and as a Python callable.
    f = fastgd.objectives.get("rosenbrock")
    a = fastgd.minimize("rosenbrock", [-1.0, 1.5], optimizer=fastgd.Adam(lr=0.01), max_iter=300)
    b = fastgd.minimize(
        lambda x: f.value_and_grad(x), [-1.0, 1.5], optimizer=fastgd.Adam(lr=0.01), max_iter=300
    )
    np.testing.assert_allclose(a.path, b.path, rtol=1e-10, atol=1e-12)
    assert a.status == b.status


def test_builtin_with_a_callback_and_in_many_dimensions():
    r = fastgd.minimize(
        "sphere",
        np.ones(10),
        lr=0.1,
        callback=lambda intermediate_result: intermediate_result.fun < 1e-3,
    )
    assert r.status == "stopped"
    assert r.losses[-1] < 1e-3
    with pytest.raises(ValueError, match="rosenbrock needs at least 2"):
        fastgd.minimize("rosenbrock", [1.0])


def test_race_runs_every_optimizer_and_matches_single_runs():
    names = ["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]
    results = fastgd.race("beale", [1.0, 1.0], optimizers=names, lr=0.01, max_iter=500)
    assert [r.optimizer for r in results] == names
    for r, name in zip(results, names, strict=False):
        single = fastgd.minimize("beale", [1.0, 1.0], optimizer=name, lr=0.01, max_iter=500)
        np.testing.assert_array_equal(r.path, single.path)
        assert r.status == single.status


def test_race_from_several_starts_finds_each_local_minimum():
    corners = [[-4.0, -4.0], [4.0, 4.0], [-4.0, 4.0], [4.0, -4.0]]
    results = fastgd.race("himmelblau", corners, optimizers=["gd"], lr=0.005, max_iter=5000)
    found = {tuple(np.round(r.x, 2)) for r in results}
    minima = {tuple(np.round(m, 2)) for m in fastgd.objectives.get("himmelblau").minima}
    assert found == minima


def test_race_with_a_python_callable_runs_in_turn():
    f = lambda x: (float(x @ x), 2 * x)
    results = fastgd.race(f, [1.0, 2.0], optimizers=["gd", "adam"], lr=0.1, max_iter=2000)
    assert all(r.status == "converged" for r in results)


def test_race_rejects_mismatched_starts():
    with pytest.raises(ValueError, match="3 starting points but 2 optimizers"):
        fastgd.race("bowl", [[1.0, 1.0]] * 3, optimizers=["gd", "adam"])
    with pytest.raises(ValueError, match="optimizers is empty"):
        fastgd.race("bowl", [1.0, 1.0], optimizers=[])


def test_sweep_marks_where_runs_diverge():
    # GD on t^2 + t^2 converges for lr < 1 and runs away for lr > 1.
    sweep = fastgd.sweep_lr("bowl", [1.0, 1.0], [0.01, 0.1, 0.5, 0.9, 1.1, 2.0], max_iter=500)
    np.testing.assert_array_equal(sweep.diverged, [False, False, False, False, True, True])
    assert np.isinf(sweep.final[sweep.diverged]).all()
    assert sweep.final[1] < sweep.final[0]
    with pytest.raises(ValueError, match="lrs must be a non-empty 1-D array"):
        fastgd.sweep_lr("bowl", [1.0, 1.0], [0.1, -1.0])


def test_a_race_warns_once_naming_the_runs_that_diverged():
    with pytest.warns(fastgd.DivergenceWarning, match=r"2 of 3 runs diverged \(gd, momentum\)"):
        runs = fastgd.race("dome", [0.3, 0.2], ["gd", "momentum", "adam"], lr=0.1, max_iter=10_000)
    assert [r.status for r in runs][:2] == ["diverged", "diverged"]


# --- issue 11: "converged" means the first-order optimality test passed ------------


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param(dict(optimizer=fastgd.Adam(lr=1e-12)), id="adam-lr-1e-12"),
        pytest.param(dict(lr=1e-300), id="gd-lr-1e-300"),
        pytest.param(dict(optimizer=fastgd.Adam(lr=1e-300)), id="adam-lr-1e-300"),
        pytest.param(
            dict(optimizer=fastgd.SGD(lr=fastgd.schedules.exponential(0.001, 0.5))),
            id="schedule-decaying-to-0",
        ),
        pytest.param(dict(optimizer="momentum", lr=1e-13, tol=1e-10), id="momentum-lr-1e-13"),
    ],
)
def test_a_short_step_far_from_the_optimum_is_stalled_not_converged(kwargs):
    with pytest.warns(fastgd.StalledWarning, match="rosenbrock, .*: stalled after") as w:
        r = fastgd.minimize("rosenbrock", [-1.0, 1.0], max_iter=10_000, **kwargs)
    assert r.status == "stalled"
    assert not r.success
    # The oracle: rosenbrock's only minimum is (1, 1), where the gradient is 0.
    assert np.linalg.norm(r.x - 1.0) > 1.0
    assert r.grad_norm > r.gradient_threshold
    assert r.grad_norm == pytest.approx(
        np.linalg.norm(fastgd.objectives.get("rosenbrock").grad(r.x))
    )
    text = str(w[0].message)
    for advice in ("raise lr", "momentum or Adam", "schedule does not decay to 0", "loosen gtol"):
        assert advice in text
    assert r.message in text


def test_the_optimality_test_is_absolute_and_relative():
    # ||g(x0)|| on the bowl from (3, 4) is 10: the bound is max(gtol, grtol * 10).
    r = fastgd.minimize("bowl", [3.0, 4.0], lr=0.1, tol=None, gtol=1e-3, max_iter=10_000)
    assert r.gradient_threshold == 1e-3
    assert r.status == "converged"
    assert r.grad_norms[-1] <= 1e-3 < r.grad_norms[-2]
    r = fastgd.minimize("bowl", [3.0, 4.0], lr=0.1, tol=None, grtol=1e-3, max_iter=10_000)
    assert r.gradient_threshold == pytest.approx(1e-2)
    assert r.grad_norms[-1] <= 1e-2 < r.grad_norms[-2]
    r = fastgd.minimize("bowl", [3.0, 4.0], lr=0.1, tol=None, gtol=0.5, grtol=1e-3)
    assert r.gradient_threshold == 0.5
    # Neither given: the defaults judge a short step, and do not stop the run.
    r = fastgd.minimize("bowl", [3.0, 4.0], lr=0.1, tol=1e-12, max_iter=10_000)
    assert (GTOL, GRTOL) == (1e-6, 1e-6)
    assert r.gradient_threshold == pytest.approx(max(GTOL, GRTOL * 10))
    assert r.status == "converged"
    assert r.grad_norm < 1e-10  # ran on past ||g|| = 1e-5, to the short step
    assert "the optimality test passed" in r.message


def test_a_start_at_a_stationary_point_converges_at_once_with_gtol():
    r = fastgd.minimize("egg_crate", [0.0, 0.0], lr=0.1, gtol=1e-8)
    assert r.status == "converged"
    assert r.nit == 0
    assert r.path.shape == (1, 2)


def test_max_iter_says_where_the_test_stands():
    r = fastgd.minimize("rosenbrock", [-1.0, 1.0], lr=1e-4, max_iter=10)
    assert r.status == "max_iter"
    assert "reached max_iter=10 steps (||grad|| = " in r.message


def test_every_status_has_its_message():
    messages = {
        "converged": fastgd.minimize("bowl", [1.0, 1.0], lr=0.1).message,
        "max_iter": fastgd.minimize("bowl", [1.0, 1.0], lr=0.1, max_iter=3).message,
        "stopped": fastgd.minimize(
            "bowl", [1.0, 1.0], callback=lambda intermediate_result: True
        ).message,
    }
    with pytest.warns(fastgd.StalledWarning):
        messages["stalled"] = fastgd.minimize("bowl", [1.0, 1.0], lr=1e-300).message
    with pytest.warns(fastgd.DivergenceWarning):
        messages["diverged"] = fastgd.minimize("dome", [1.0, 1.0], lr=0.5).message
    for status, text in messages.items():
        assert text.startswith(
            {"max_iter": "reached max_iter", "stopped": "stopped by"}.get(status, status)
        ), (status, text)


def test_a_race_warns_once_naming_the_runs_that_stalled():
    opts = [fastgd.Adam(lr=1e-12), fastgd.SGD(lr=0.1), fastgd.SGD(lr=1e-300)]
    with pytest.warns(fastgd.StalledWarning, match=r"2 of 3 runs stalled \(adam, sgd\)") as w:
        runs = fastgd.race("bowl", [1.0, 1.0], opts, max_iter=1000)
    assert len(w) == 1
    assert [r.status for r in runs] == ["stalled", "converged", "stalled"]
    # The same for a Python callable, run one after the other.
    with pytest.warns(fastgd.StalledWarning, match=r"2 of 3 runs stalled") as w:
        runs = fastgd.race(lambda x: (float(x @ x), 2 * x), [1.0, 1.0], opts, max_iter=1000)
    assert len(w) == 1
    assert [r.status for r in runs] == ["stalled", "converged", "stalled"]


def test_a_sweep_explores_without_warnings():
    # Rates from 1e-300 (stalls at once) to 2 (diverges): no warning, statuses say it.
    sweep = fastgd.sweep_lr("bowl", [1.0, 1.0], [1e-300, 0.1, 2.0], max_iter=500, tol=1e-10)
    assert sweep.statuses == ["stalled", "converged", "diverged"]


# --- issue 11: the compiled objective checks the point's length in C++ -------------


@pytest.mark.parametrize("name", ["beale", "bowl", "saddle", "narrow_valley"])
@pytest.mark.parametrize("d", [1, 3, 50])
def test_a_fixed_2d_kernel_refuses_other_lengths_in_every_entry(name, d):
    import dataclasses

    from fastgd import _core

    # An Objective that lies about its dimension and skips the Python checks.
    liar = dataclasses.replace(fastgd.objectives.get(name), dim=None, _value=lambda x: 0.0)
    x = np.ones(d)
    match = f"{name} is 2-dimensional, got a point of length {d}"
    with pytest.raises(ValueError, match=match):
        fastgd.minimize(liar, x)
    with pytest.raises(ValueError, match=match):
        fastgd.race(liar, x, ["gd", "adam"])
    with pytest.raises(ValueError, match=match):
        liar.values(np.ones((4, d)))
    with pytest.raises(ValueError, match=match):
        _core._testing.test_function(name, x)
    with pytest.raises(ValueError, match=match):
        _core.evaluate_rows(name, np.ones((4, d)))
    settings = dict(
        max_iter=5, tol=-1.0, gtol=0.0, grtol=0.0, stop_on_gradient=False, record_every=1
    )
    with pytest.raises(ValueError, match=match):
        _core.minimize_many(
            name, [(np.ones(2), "sgd", {"lr": 0.1}), (x, "sgd", {"lr": 0.1})], settings
        )


def test_rosenbrock_needs_two_coordinates_in_cpp():
    import dataclasses

    from fastgd import _core

    liar = dataclasses.replace(
        fastgd.objectives.get("rosenbrock"), _value=lambda x: 0.0, _grad=lambda x: x
    )
    with pytest.raises(
        ValueError, match="rosenbrock needs at least 2 coordinates, got a point of length 1"
    ):
        fastgd.minimize(liar, [1.0])
    with pytest.raises(
        ValueError, match="sphere needs at least 1 coordinate, got a point of length 0"
    ):
        _core._testing.test_function("sphere", np.ones(0))


# --- issue 11: what objectives and callbacks return -------------------------------


@pytest.mark.parametrize(
    ("fn", "error", "match"),
    [
        (
            lambda x: (1.0, x * 1j),
            TypeError,
            "gradient is complex .* imaginary part would be dropped",
        ),
        (
            lambda x: (np.ones(1), 2 * x),
            TypeError,
            r"value must be a number, got an array of shape \(1,\)",
        ),
        (lambda x: (None, 2 * x), TypeError, "value must be a real number, got NoneType"),
        (lambda x: (1j, 2 * x), TypeError, "value is complex"),
        (lambda x: (np.complex128(1), 2 * x), TypeError, "complex"),
        (lambda x: (10**400, 2 * x), ValueError, "int too large for a float64"),
        (lambda x: (True, 2 * x), TypeError, "got bool"),
        (lambda x: ("1.0", 2 * x), TypeError, "value must be a real number, got str"),
        (
            lambda x: (1.0, 2 * x, 3),
            TypeError,
            r"must return \(value, grad\), got a tuple of length 3",
        ),
        (lambda x: (1.0,), TypeError, r"must return \(value, grad\), got a tuple of length 1"),
        (lambda x: None, TypeError, r"must return \(value, grad\), got NoneType"),
        (lambda x: (1.0, None), TypeError, "gradient must hold real numbers, got NoneType"),
        (lambda x: (1.0, ["a", "b"]), TypeError, "gradient must hold real numbers"),
        (lambda x: (1.0, np.array([{}, {}])), TypeError, "dtype object"),
        (lambda x: (1.0, np.ones(2, bool)), TypeError, "dtype bool"),
        (lambda x: (1.0, [[1.0], [2.0, 3.0]]), TypeError, "could not be read as an array"),
        (lambda x: (1.0, np.ones(3)), ValueError, r"gradient has shape \(3,\), but x has shape"),
    ],
)
def test_odd_objective_results_are_clear_errors(fn, error, match):
    x0 = np.array([1.0, 2.0])
    with pytest.raises(error, match=match) as exc:
        fastgd.minimize(fn, x0, jac=True, max_iter=5)
    assert "Unable to cast" not in str(exc.value)
    assert "incompatible function arguments" not in str(exc.value)
    np.testing.assert_array_equal(x0, [1.0, 2.0])


@pytest.mark.parametrize(
    "value",
    [np.float32(2.5), np.int64(3), np.array(2.5), 7, np.uint8(4)],
    ids=["float32", "int64", "0-d array", "int", "uint8"],
)
def test_real_values_of_any_numpy_kind_are_accepted(value):
    r = fastgd.minimize(lambda x: (value, 2 * x), [1.0, 1.0], lr=0.1, max_iter=3)
    assert r.fun == float(value)
    r = fastgd.minimize(lambda x: (float(x @ x), (2 * x).astype(np.float32)), [1.0, 1.0], lr=0.1)
    assert r.status == "converged"
    r = fastgd.minimize(lambda x: (float(x @ x), [2 * x[0], 2 * x[1]]), [1.0, 1.0], lr=0.1)
    assert r.status == "converged"


@pytest.mark.parametrize(
    "answer", [np.ones(2), 1, "stop", 1.0], ids=["array", "int", "str", "float"]
)
def test_a_callback_returning_something_odd_is_a_type_error(answer):
    for objective in ("bowl", lambda x: (float(x @ x), 2 * x)):
        with pytest.raises(TypeError, match=r"callback must return None, False .* or True .*, got"):
            fastgd.minimize(objective, [1.0, 1.0], callback=lambda intermediate_result: answer)


def test_a_callback_may_return_numpy_bools():
    r = fastgd.minimize(
        "bowl",
        [1.0, 1.0],
        lr=0.1,
        callback=lambda intermediate_result: np.bool_(intermediate_result.nit == 4),
    )
    assert r.status == "stopped"
    assert r.nit == 4


# --- issue 11: one x0 for minimize, race and sweep_lr -------------------------------


@pytest.mark.parametrize(
    "x0",
    [
        [1.0, 2.0],
        (1, 2),
        np.array([1, 2]),
        np.array([1.0, 2.0], np.float32),
        np.array([1, 2], np.uint8),
    ],
    ids=["list", "tuple", "int array", "float32", "uint8"],
)
def test_minimize_race_and_sweep_accept_the_same_starts(x0):
    a = fastgd.minimize("bowl", x0, lr=0.1)
    (b,) = fastgd.race("bowl", x0, "gd", lr=0.1)
    c = fastgd.sweep_lr("bowl", x0, [0.1], max_iter=1000, tol=1e-10).results[0]
    for r in (a, b, c):
        np.testing.assert_array_equal(r.path[0], [1.0, 2.0])
        np.testing.assert_array_equal(r.path, a.path)


def test_a_scalar_start_is_a_one_dimensional_point():
    for x0 in (3.0, np.float64(3.0), 3, np.array(3.0)):
        r = fastgd.minimize("sphere", x0, lr=0.1)
        assert r.path[0].tolist() == [3.0]
        assert r.status == "converged"
        (b,) = fastgd.race("sphere", x0, ["gd"], lr=0.1)
        np.testing.assert_array_equal(b.path, r.path)


@pytest.mark.parametrize(
    ("x0", "error", "match"),
    [
        (["a", "b"], TypeError, "x0 must hold real numbers"),
        ([1 + 2j, 1.0], TypeError, "x0 must hold real numbers"),
        (1j, TypeError, "x0 must hold real numbers"),
        ([[1.0], [2.0, 3.0]], TypeError, "x0 could not be read"),
        ([], ValueError, "x0 must be a non-empty"),
        ([np.inf, 1.0], ValueError, "x0 contains 1 NaN or infinite"),
        # minimize takes x of any shape (bowl needs 2 coordinates); race and sweep_lr 1-D points
        (np.ones((2, 2, 2)), ValueError, "x0 must be|bowl is 2-dimensional, but x0 has 8"),
        (None, TypeError, "x0 must hold real numbers"),
    ],
)
def test_minimize_race_and_sweep_refuse_the_same_starts(x0, error, match):
    calls = [
        lambda: fastgd.minimize("bowl", x0),
        lambda: fastgd.race("bowl", x0, ["gd"]),
        lambda: fastgd.sweep_lr("bowl", x0, [0.1]),
    ]
    for call in calls:
        with pytest.raises(error, match=match):
            call()


@pytest.mark.parametrize(
    "lrs",
    [[0.1, 0.2], (0.1, 0.2), np.array([0.1, 0.2]), np.array([0.1, 0.2], np.float32), range(1, 3)],
    ids=["list", "tuple", "array", "float32", "range"],
)
def test_sweep_takes_any_1d_array_like_of_rates(lrs):
    sweep = fastgd.sweep_lr("bowl", [1.0, 1.0], lrs, max_iter=50)
    np.testing.assert_allclose(sweep.lrs, np.asarray(list(lrs), dtype=np.float64))


@pytest.mark.parametrize(
    ("lrs", "error", "match"),
    [
        (0.1, ValueError, "lrs must be a non-empty 1-D array"),
        ([], ValueError, "lrs must be a non-empty 1-D array"),
        ([[0.1]], ValueError, "lrs must be a non-empty 1-D array"),
        (["fast"], TypeError, "lrs must hold real numbers"),
        ([0.1, np.nan], ValueError, "finite numbers > 0; 1 are not"),
        ([0.0], ValueError, "finite numbers > 0"),
    ],
)
def test_sweep_refuses_bad_rates(lrs, error, match):
    with pytest.raises(error, match=match):
        fastgd.sweep_lr("bowl", [1.0, 1.0], lrs)


def test_race_takes_a_bare_name_or_optimizer_as_one():
    (a,) = fastgd.race("bowl", [1.0, 1.0], "gd", lr=0.1)
    (b,) = fastgd.race("bowl", [1.0, 1.0], fastgd.SGD(lr=0.1))
    assert a.optimizer == "gd"
    np.testing.assert_array_equal(a.path, b.path)
    many = fastgd.race("himmelblau", [[0.0, 0.0], [-1.0, 1.5]], "gd", lr=0.01)
    assert len(many) == 2
    with pytest.raises(TypeError, match="optimizers must be a name, an Optimizer, or a list"):
        fastgd.race("bowl", [1.0, 1.0], 3)
    with pytest.raises(TypeError, match="optimizers must hold names or Optimizer instances"):
        fastgd.race("bowl", [1.0, 1.0], ["gd", 3])
    with pytest.raises(ValueError, match="unknown optimizer 'g'"):
        fastgd.race("bowl", [1.0, 1.0], ["g"])
