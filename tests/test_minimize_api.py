"""issue 12: minimize, race and sweep_lr agree: a Schedule wherever a number is
accepted, one callback convention, keyword-only options, short result reprs."""

from __future__ import annotations

import numpy as np
import pytest

import fastgd
from fastgd import reference as ref
from fastgd import schedules

from .conftest import run_mypy

COSINE = schedules.cosine(0.01, t_max=200)


def test_a_schedule_as_lr_is_the_optimizer_with_that_schedule():
    schedule = schedules.cosine(1e-3, t_max=200)
    by_name = fastgd.minimize("rosenbrock", [-1.0, 1.0], lr=schedule, max_iter=300, tol=None)
    by_instance = fastgd.minimize(
        "rosenbrock", [-1.0, 1.0], optimizer=fastgd.SGD(lr=schedule), max_iter=300, tol=None
    )
    np.testing.assert_array_equal(by_name.path, by_instance.path)
    # the oracle: the NumPy reference, stepping with the schedule's formula
    expected = ref.descent_path("rosenbrock", np.array([-1.0, 1.0]), fastgd.SGD(lr=schedule), 300)
    np.testing.assert_allclose(by_name.path, expected, rtol=1e-12, atol=1e-14)
    # and it is not the constant rate lr0
    constant = fastgd.minimize("rosenbrock", [-1.0, 1.0], lr=1e-3, max_iter=300, tol=None)
    assert not np.array_equal(constant.path, by_name.path)


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("momentum", lambda lr: fastgd.SGD(lr=lr, momentum=0.9)),
        ("nesterov", lambda lr: fastgd.SGD(lr=lr, momentum=0.9, nesterov=True)),
        ("adam", lambda lr: fastgd.Adam(lr=lr)),
        ("rmsprop", lambda lr: fastgd.RMSprop(lr=lr)),
    ],
)
def test_a_schedule_for_a_named_rule_and_a_python_callable(name, make):
    schedule = schedules.exponential(0.005, gamma=0.98)
    for objective in ("beale", fastgd.objectives.get("beale").value_and_grad):
        named = fastgd.minimize(objective, [1.0, 1.0], optimizer=name, lr=schedule, max_iter=100)
        instance = fastgd.minimize(objective, [1.0, 1.0], optimizer=make(schedule), max_iter=100)
        np.testing.assert_array_equal(named.path, instance.path)
        constant = fastgd.minimize(objective, [1.0, 1.0], optimizer=make(0.005), max_iter=100)
        assert not np.array_equal(named.path, constant.path)  # the rate decays


def test_race_takes_a_schedule_and_matches_minimize():
    runs = fastgd.race("beale", [1.0, 1.0], ["gd", "adam"], lr=COSINE, max_iter=200)
    for run, name in zip(runs, ["gd", "adam"], strict=True):
        alone = fastgd.minimize("beale", [1.0, 1.0], optimizer=name, lr=COSINE, max_iter=200)
        np.testing.assert_array_equal(run.path, alone.path)
    # Python callables run one after the other, through the same resolution
    (slow,) = fastgd.race(
        fastgd.objectives.get("beale").value_and_grad, [1.0, 1.0], "adam", lr=COSINE, max_iter=200
    )
    np.testing.assert_allclose(slow.path, runs[1].path, rtol=1e-12)


def test_an_lr_beside_an_instance_must_agree_with_it():
    same = fastgd.minimize("bowl", [1.0, 1.0], optimizer=fastgd.SGD(lr=0.1), lr=0.1)
    assert same.status == "converged"
    # 0.01 was the old default: given explicitly it is no longer silently dropped
    with pytest.raises(ValueError, match=r"lr=0\.01 conflicts with the optimizer's lr=0\.1"):
        fastgd.minimize("bowl", [1.0, 1.0], optimizer=fastgd.SGD(lr=0.1), lr=0.01)
    with pytest.raises(ValueError, match="conflicts with the optimizer's lr=Schedule"):
        fastgd.minimize("bowl", [1.0, 1.0], optimizer=fastgd.SGD(lr=COSINE), lr=0.1)
    with pytest.raises(ValueError, match="set the learning rate in one place"):
        fastgd.race("bowl", [1.0, 1.0], fastgd.Adam(lr=0.1), lr=COSINE)
    with pytest.raises(TypeError, match="lr must be a real number, got list"):
        fastgd.minimize("bowl", [1.0, 1.0], optimizer=fastgd.SGD(lr=0.1), lr=[0.1])


# --- one callback convention -----------------------------------------------------------


def test_the_callback_gets_an_intermediate_result_per_step():
    seen: list[fastgd.IntermediateResult] = []

    def callback(intermediate_result):
        seen.append(intermediate_result)

    for objective in ("rosenbrock", fastgd.objectives.get("rosenbrock").value_and_grad):
        seen.clear()
        r = fastgd.minimize(objective, [-1.0, 1.0], lr=1e-3, max_iter=25, callback=callback)
        assert [s.nit for s in seen] == list(range(1, 26))
        # the oracle: the recorded path and values, row k after step k
        np.testing.assert_array_equal(np.array([s.x for s in seen]), r.path[1:])
        np.testing.assert_array_equal([s.fun for s in seen], r.losses[1:])
        assert all(s.coef is None and s.intercept is None for s in seen)


def test_stop_iteration_stops_the_run():
    def callback(intermediate_result):
        if intermediate_result.nit == 3:
            raise StopIteration

    r = fastgd.minimize("bowl", [1.0, 1.0], lr=0.01, callback=callback)
    assert (r.status, r.nit) == ("stopped", 3)


def test_the_old_positional_callback_still_works_with_a_deprecation_warning():
    seen = []

    def callback(nit, x, fun):
        seen.append((nit, x.copy(), fun))
        return nit == 4

    with pytest.warns(DeprecationWarning, match=r"callback\(nit, x, fun\) is deprecated") as rec:
        r = fastgd.minimize("bowl", [1.0, 1.0], lr=0.1, callback=callback)
    assert rec[0].filename == __file__  # the warning names the caller's line
    assert (r.status, r.nit) == ("stopped", 4)
    assert [n for n, _, _ in seen] == [1, 2, 3, 4]
    np.testing.assert_array_equal(seen[-1][1], r.x)
    assert seen[-1][2] == r.fun


# --- keyword-only options, short reprs -----------------------------------------------------


def test_options_are_keyword_only_after_the_data():
    with pytest.raises(TypeError, match="positional"):
        fastgd.minimize("bowl", [1.0, 1.0], "adam")  # type: ignore[misc]
    with pytest.raises(TypeError, match="positional"):
        fastgd.race("bowl", [1.0, 1.0], ["gd"], 0.1)  # type: ignore[misc]
    with pytest.raises(TypeError, match="positional"):
        fastgd.sweep_lr("bowl", [1.0, 1.0], [0.1], "gd")  # type: ignore[misc]
    # the optimizers of a race stay positional: they are what is raced
    (run,) = fastgd.race("bowl", [1.0, 1.0], ["gd"], lr=0.1)
    assert run.status == "converged"


def test_a_minimize_result_repr_is_one_short_line():
    r = fastgd.minimize("bowl", [1.5, -1.0], lr=0.1, max_iter=1000, tol=1e-12)
    text = repr(r)
    assert "\n" not in text
    assert len(text) < 200
    assert text.startswith("MinimizeResult(bowl, gd: status='converged', ")
    assert f"nit={r.nit}" in text
    assert f"fun={r.fun:.6g}" in text
    assert "x=[" in text
    assert "path" not in text
    assert "array" not in text
    big = fastgd.minimize("sphere", np.ones(1000), lr=0.1, max_iter=5)
    assert "x=<1000 coordinates>" in repr(big)
    assert len(repr(big)) < 200


def test_a_sweep_result_repr_is_one_short_line():
    sweep = fastgd.sweep_lr("bowl", [1.0, 1.0], [0.01, 0.1, 0.5, 2.0], max_iter=100)
    text = repr(sweep)
    assert "\n" not in text
    assert len(text) < 200
    assert text == (
        f"SweepResult(4 rates in [0.01, 2], 1 diverged, best lr=0.5 fun={sweep.final[2]:.6g})"
    )
    assert sweep.final[2] == sweep.final.min()


def test_mypy_accepts_a_schedule_as_lr_and_the_new_callback(tmp_path):
    out, status = run_mypy(
        tmp_path,
        "import fastgd\n"
        "from fastgd import schedules\n"
        "r = fastgd.minimize('bowl', [1.0, 1.0], lr=schedules.cosine(0.1, t_max=10))\n"
        "runs = fastgd.race('bowl', [1.0, 1.0], ['gd'], lr=schedules.exponential(0.1, 0.9))\n"
        "def cb(intermediate_result: fastgd.IntermediateResult) -> bool:\n"
        "    return intermediate_result.fun < 1e-3\n"
        "fastgd.minimize('bowl', [1.0, 1.0], callback=cb)\n"
        "bad = fastgd.minimize('bowl', [1.0, 1.0], lr='fast')\n",
    )
    # only the last line is refused: a string is not a learning rate
    assert status == 1
    assert [line.split(":")[1] for line in out.splitlines() if ": error:" in line] == ["8"]


# --- momentum=: never silently dropped ---------------------------------------------------


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("rmsprop", lambda m: fastgd.RMSprop(lr=1e-3, momentum=m)),
        ("sgd", lambda m: fastgd.SGD(lr=1e-3, momentum=m)),
        ("momentum", lambda m: fastgd.SGD(lr=1e-3, momentum=m)),
        ("nesterov", lambda m: fastgd.SGD(lr=1e-3, momentum=m, nesterov=True)),
    ],
)
def test_an_explicit_momentum_is_the_named_rules_momentum(name, make):
    for objective in ("rosenbrock", fastgd.objectives.get("rosenbrock").value_and_grad):
        named = fastgd.minimize(
            objective, [-1.0, 1.0], method=name, lr=1e-3, momentum=0.5, max_iter=200, tol=None
        )
        instance = fastgd.minimize(
            objective, [-1.0, 1.0], optimizer=make(0.5), max_iter=200, tol=None
        )
        np.testing.assert_array_equal(named.path, instance.path)
        np.testing.assert_array_equal(named.losses, instance.losses)
        # and it made a difference: the default (0.9 or none) is another path
        default = fastgd.minimize(
            objective, [-1.0, 1.0], method=name, lr=1e-3, max_iter=200, tol=None
        )
        assert not np.array_equal(named.path, default.path)


@pytest.mark.parametrize(
    ("name", "instance"),
    [
        ("gd", fastgd.SGD(lr=0.01)),
        ("sgd", fastgd.SGD(lr=0.01)),
        ("momentum", fastgd.SGD(lr=0.01, momentum=0.9)),
        ("nesterov", fastgd.SGD(lr=0.01, momentum=0.9, nesterov=True)),
        ("rmsprop", fastgd.RMSprop(lr=0.01)),
        ("adam", fastgd.Adam(lr=0.01)),
    ],
)
def test_momentum_none_keeps_each_rules_default(name, instance):
    named = fastgd.minimize("beale", [1.0, 1.0], method=name, lr=0.01, max_iter=200, tol=None)
    given = fastgd.minimize("beale", [1.0, 1.0], optimizer=instance, max_iter=200, tol=None)
    np.testing.assert_array_equal(named.path, given.path)


def test_race_applies_an_explicit_momentum_to_the_runs_that_take_one():
    names = ["gd", "sgd", "momentum", "rmsprop", "adam", "lbfgs"]
    runs = fastgd.race("beale", [1.0, 1.0], names, lr=0.01, momentum=0.5, max_iter=150, tol=None)
    alone = [
        fastgd.SGD(lr=0.01),  # gd: plain gradient descent, in a mixed race it runs without
        fastgd.SGD(lr=0.01, momentum=0.5),
        fastgd.SGD(lr=0.01, momentum=0.5),
        fastgd.RMSprop(lr=0.01, momentum=0.5),
        fastgd.Adam(lr=0.01),
    ]
    for run, opt in zip(runs, alone, strict=False):
        expected = fastgd.minimize("beale", [1.0, 1.0], optimizer=opt, max_iter=150, tol=None)
        np.testing.assert_array_equal(run.path, expected.path)
    # lbfgs has no momentum: it runs as in a race without one
    (lbfgs,) = fastgd.race("beale", [1.0, 1.0], ["lbfgs"], max_iter=150, tol=None)
    np.testing.assert_array_equal(runs[-1].path, lbfgs.path)
    # an instance in the race keeps its own momentum
    (own,) = fastgd.race("beale", [1.0, 1.0], [fastgd.SGD(lr=0.01, momentum=0.8)], max_iter=150)
    mixed = fastgd.race(
        "beale",
        [1.0, 1.0],
        ["sgd", fastgd.SGD(lr=0.01, momentum=0.8)],
        lr=0.01,
        momentum=0.5,
        max_iter=150,
    )
    np.testing.assert_array_equal(mixed[1].path, own.path)
    # without momentum=, rmsprop is plain RMSprop and momentum keeps its 0.9, as before
    plain = fastgd.race(
        "beale", [1.0, 1.0], ["rmsprop", "momentum"], lr=0.01, max_iter=150, tol=None
    )
    for run, opt in zip(
        plain, [fastgd.RMSprop(lr=0.01), fastgd.SGD(lr=0.01, momentum=0.9)], strict=True
    ):
        expected = fastgd.minimize("beale", [1.0, 1.0], optimizer=opt, max_iter=150, tol=None)
        np.testing.assert_array_equal(run.path, expected.path)


def test_sweep_lr_passes_an_explicit_momentum_to_each_run():
    rates = [0.001, 0.003, 0.01]
    sweep = fastgd.sweep_lr("beale", [1.0, 1.0], rates, optimizer="rmsprop", momentum=0.5)
    for lr, run in zip(rates, sweep.results, strict=True):
        expected = fastgd.minimize(
            "beale",
            [1.0, 1.0],
            optimizer=fastgd.RMSprop(lr=lr, momentum=0.5),
            max_iter=200,
            tol=None,
        )
        np.testing.assert_array_equal(run.path, expected.path)
