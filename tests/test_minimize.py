"""minimize: statuses, Python callables, every rule, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

import fastgd
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

    def callback(nit, x, fun):
        seen.append((nit, fun))
        return nit == 5

    r = fastgd.minimize("bowl", [1.0, 1.0], lr=0.01, max_iter=1000, callback=callback)
    assert r.status == "stopped"
    assert r.nit == 5
    assert [n for n, _ in seen] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_rule_minimises_a_python_callable(name):
    target = np.array([1.0, -2.0, 0.5])
    f = lambda x: (float((x - target) @ (x - target)), 2 * (x - target))
    lr = {"adadelta": 1.0, "adagrad": 0.5}.get(name, 0.01)
    r = fastgd.minimize(f, np.zeros(3), optimizer=RULES[name](lr=lr), max_iter=20_000, tol=1e-9)
    np.testing.assert_allclose(r.x, target, atol=2e-2)


def test_objective_exceptions_propagate():
    def broken(x):
        raise ZeroDivisionError("inside the objective")

    with pytest.raises(ZeroDivisionError, match="inside the objective"):
        fastgd.minimize(broken, [1.0, 2.0])


def test_callback_exceptions_propagate():
    def callback(nit, x, fun):
        raise RuntimeError("from the callback")

    with pytest.raises(RuntimeError, match="from the callback"):
        fastgd.minimize("bowl", [1.0, 2.0], callback=callback)


@pytest.mark.parametrize(
    ("fn", "error", "match"),
    [
        (lambda x: (1.0, np.ones(3)), ValueError, "gradient must be a 1-D array of length 2"),
        (lambda x: 1.0, TypeError, r"must return \(value, grad\)"),
        (lambda x: (1.0, np.ones((2, 1))), ValueError, "gradient must be a 1-D array"),
    ],
)
def test_wrong_objective_results_are_errors(fn, error, match):
    with pytest.raises(error, match=match):
        fastgd.minimize(fn, [1.0, 2.0])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(objective="nope"), ValueError, "unknown objective 'nope'"),
        (dict(objective=3), TypeError, "objective must be a registered name"),
        (dict(x0=[1.0, 2.0, 3.0]), ValueError, "beale is 2-dimensional, but x0 has length 3"),
        (dict(x0=[[1.0, 2.0]]), ValueError, "x0 must be a non-empty 1-D point"),
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
    r = fastgd.minimize("sphere", np.ones(10), lr=0.1, callback=lambda nit, x, f: f < 1e-3)
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
