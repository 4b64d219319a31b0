"""minimize's methods in C++ (issue 15): lbfgs, cg, bfgs, line searches, bounds and
finite differences, through fastgd._core directly (the Python edge is minimize.py's).

Oracles: scipy.optimize (L-BFGS-B's answers and evaluation counts, rosen/rosen_der),
the analytic gradients of the compiled objectives, and the known minimizers."""

from __future__ import annotations

import sys
import textwrap
import warnings
from typing import Any

import numpy as np
import pytest

import fastgd
from fastgd import _core
from fastgd._core import _testing

from .conftest import child_env, interrupt_child, python_child

so = pytest.importorskip("scipy.optimize")


def settings(**over: Any) -> dict[str, Any]:
    s: dict[str, Any] = {
        "max_iter": 20000,
        "tol": 1e-14,
        "gtol": 1e-9,
        "grtol": 0.0,
        "stop_on_gradient": True,
        "record_every": 1,
        "lower": None,
        "upper": None,
        "fd": "none",
        "max_fev": 0,
    }
    s.update(over)
    return s


def rosen_start(d: int) -> np.ndarray:
    """The standard start (-1.2, 1, -1.2, 1, ...)."""
    return np.array([-1.2 if i % 2 == 0 else 1.0 for i in range(d)])


def rosen_fg(x: np.ndarray) -> tuple[float, np.ndarray]:
    return float(so.rosen(x)), so.rosen_der(x)


def unpack(out: tuple[Any, ...]) -> dict[str, Any]:
    names = [
        "x",
        "fun",
        "nit",
        "status",
        "path",
        "losses",
        "grad_norms",
        "grad_norm",
        "threshold",
        "jac",
        "nfev",
        "njev",
    ]
    assert len(out) == len(names)
    return dict(zip(names, out, strict=True))


def scipy_lbfgsb(x0: np.ndarray, **kw: Any) -> Any:
    opts = {"gtol": 1e-9, "ftol": 0.0, "maxiter": 20000, "maxfun": 100000}
    return so.minimize(rosen_fg, x0, jac=True, method="L-BFGS-B", options=opts, **kw)


# --- lbfgs, cg, bfgs on rosenbrock ---------------------------------------------------------


@pytest.mark.parametrize("d", [2, 10, 100])
def test_lbfgs_reaches_rosenbrock_minimum_with_scipy_like_nfev(d: int) -> None:
    x0 = rosen_start(d)
    r = unpack(_core.minimize_builtin("rosenbrock", x0, "lbfgs", {}, settings(), None))
    ref = scipy_lbfgsb(x0)
    assert r["status"] == "converged"
    np.testing.assert_allclose(r["x"], np.ones(d), atol=1e-6)
    assert r["nfev"] <= 1.5 * ref.nfev, (r["nfev"], ref.nfev)
    assert r["njev"] == r["nfev"]  # analytic gradients: every evaluation is one of each
    # the reported gradient is the objective's at x
    _, g = _testing.test_function("rosenbrock", r["x"])
    np.testing.assert_array_equal(r["jac"], g)
    assert r["grad_norm"] == pytest.approx(np.linalg.norm(g), rel=1e-12)
    assert r["grad_norm"] <= 1e-9
    assert r["path"].shape == (r["nit"] + 1, d)
    assert r["losses"][-1] == r["fun"]


def test_lbfgs_in_parts_on_threads_gives_the_same_run_on_one_thread() -> None:
    # d >= 8192: the direction's passes run in parts of the coordinates, one task each on
    # the thread pool (lbfgs_parts.hpp); the parts depend on d only, so the run is the
    # same, bit for bit, on any number of threads, and it is still L-BFGS: it reaches
    # the optimum of a convex quadratic as the one-part run does.
    d = 3 * 4096 + 5
    x0 = rosen_start(d)
    runs = []
    for threads in (1, 2):
        fastgd.set_num_threads(threads)
        runs.append(
            unpack(
                _core.minimize_builtin("rosenbrock", x0, "lbfgs", {}, settings(max_iter=200), None)
            )
        )
    np.testing.assert_array_equal(runs[0]["x"], runs[1]["x"])
    assert runs[0]["nfev"] == runs[1]["nfev"]
    assert runs[0]["fun"] == runs[1]["fun"]
    assert runs[0]["fun"] < 1e-2 * float(so.rosen(x0))
    scale = np.linspace(1.0, 100.0, d)
    r = fastgd.minimize(
        lambda x: (float(x @ (scale * x)), 2 * scale * x), np.ones(d), jac=True, method="lbfgs"
    )
    assert r.success
    assert np.abs(r.x).max() < 1e-6


@pytest.mark.parametrize("d", [10, 2 * 4096 + 3], ids=["one-part", "two-parts"])
def test_lbfgs_step_lengths_and_gradient_norms_are_those_of_its_iterates(d: int) -> None:
    # lbfgs sums ||x_new - x|| and ||g_new|| in its new pair's pass instead of the
    # loop's own passes: they must still be the recorded iterates' distances and their
    # gradients' norms, and tol must stop on the step that is shorter.
    x0 = rosen_start(d)
    grad = fastgd.objectives.get("rosenbrock").grad
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a stop on tol before the optimality test passes: stalled
        r = fastgd.minimize("rosenbrock", x0, method="lbfgs", tol=1e-4, options={"maxiter": 300})
    path = np.asarray(r.path)
    norms = np.array([np.linalg.norm(grad(x)) for x in path])
    # (atol: the core's gradient and NumPy's round differently, ~1e-14 near the optimum)
    np.testing.assert_allclose(r.grad_norms, norms, rtol=1e-12, atol=1e-12)
    # The values too: the line search evaluates rosenbrock along p in a pass of its own
    # (builtin_objective.hpp, in parts when d >= 8192), at the point it writes.
    values = [fastgd.objectives.get("rosenbrock").value(x) for x in path]
    np.testing.assert_allclose(r.losses, values, rtol=1e-12, atol=1e-15)
    steps = np.linalg.norm(np.diff(path, axis=0), axis=1)
    assert r.status in ("converged", "stalled", "max_iter")
    if r.status != "max_iter":
        assert steps[-1] < 1e-4 <= steps[:-1].min()


def test_lbfgs_matches_scipy_iterates_on_2d_rosenbrock() -> None:
    # The same algorithm (L-BFGS, More-Thuente with ftol 1e-3, gtol 0.9, the first step
    # 1/||g||) without bounds: the same iterations and evaluations as L-BFGS-B.
    x0 = rosen_start(2)
    r = unpack(_core.minimize_builtin("rosenbrock", x0, "lbfgs", {}, settings(), None))
    ref = scipy_lbfgsb(x0)
    assert (r["nit"], r["nfev"]) == (ref.nit, ref.nfev)
    np.testing.assert_allclose(r["x"], ref.x, atol=1e-9)


@pytest.mark.parametrize("kind", ["cg", "bfgs"])
@pytest.mark.parametrize("d", [2, 10, 100])
def test_cg_and_bfgs_reach_rosenbrock_minimum(kind: str, d: int) -> None:
    r = unpack(_core.minimize_builtin("rosenbrock", rosen_start(d), kind, {}, settings(), None))
    assert r["status"] == "converged"
    np.testing.assert_allclose(r["x"], np.ones(d), atol=1e-6)
    assert r["fun"] < 1e-12


@pytest.mark.parametrize(
    ("kind", "objective", "x0", "solution", "gtol"),
    [
        ("lbfgs", "rosenbrock", rosen_start(10), np.ones(10), 1e-9),
        ("bfgs", "rosenbrock", rosen_start(10), np.ones(10), 1e-9),
        # CG needs accurate line searches (its directions assume them). With Armijo on
        # rosenbrock it converges or stalls near the minimum depending on the last bits
        # of its sums (half of nearby starts each way); on beale it converges every time.
        ("cg", "beale", np.array([1.0, 1.0]), np.array([3.0, 0.5]), 1e-7),
    ],
)
def test_armijo_line_search_for_quasi_newton(
    kind: str, objective: str, x0: np.ndarray, solution: np.ndarray, gtol: float
) -> None:
    r = unpack(
        _core.minimize_builtin(
            objective, x0, kind, {"line_search": "armijo"}, settings(gtol=gtol), None
        )
    )
    assert r["status"] == "converged"
    np.testing.assert_allclose(r["x"], solution, atol=1e-6)


def test_lbfgs_history_changes_the_run_and_history_1_still_converges() -> None:
    x0 = rosen_start(10)
    runs = {
        m: unpack(
            _core.minimize_builtin("rosenbrock", x0, "lbfgs", {"history": m}, settings(), None)
        )
        for m in (1, 3, 10)
    }
    for r in runs.values():
        assert r["status"] == "converged"
        np.testing.assert_allclose(r["x"], np.ones(10), atol=1e-6)
    assert runs[1]["nfev"] != runs[10]["nfev"]


def test_lbfgs_on_sphere_is_one_step() -> None:
    # f = sum x^2: the first step min(1, 1/||g||) then the Wolfe search finds the exact minimizer.
    x0 = np.array([3.0, -4.0, 1.0])
    r = unpack(_core.minimize_builtin("sphere", x0, "lbfgs", {}, settings(), None))
    assert r["status"] == "converged"
    np.testing.assert_allclose(r["x"], 0.0, atol=1e-9)
    assert r["nit"] <= 3


# --- the same through a Python callable ----------------------------------------------------


@pytest.mark.parametrize("kind", ["lbfgs", "cg", "bfgs"])
def test_callable_rosenbrock_matches_builtin(kind: str) -> None:
    x0 = rosen_start(10)
    calls = []

    def fn(x: np.ndarray) -> tuple[float, np.ndarray]:
        calls.append(1)
        return rosen_fg(x)

    r = unpack(_core.minimize_callable(fn, x0, kind, {}, settings(), None))
    b = unpack(_core.minimize_builtin("rosenbrock", x0, kind, {}, settings(), None))
    assert r["status"] == "converged"
    np.testing.assert_allclose(r["x"], np.ones(10), atol=1e-6)
    assert r["nfev"] == len(calls)  # every line-search evaluation counted
    assert abs(r["nfev"] - b["nfev"]) <= 0.2 * b["nfev"]  # same algorithm, rounding aside


def test_callable_exception_propagates_from_a_line_search() -> None:
    calls = []

    def fn(x: np.ndarray) -> tuple[float, np.ndarray]:
        calls.append(1)
        if len(calls) == 4:  # inside the first or second line search
            raise KeyError("boom at evaluation 4")
        return rosen_fg(x)

    with pytest.raises(KeyError, match="boom at evaluation 4"):
        _core.minimize_callable(fn, rosen_start(2), "lbfgs", {}, settings(), None)
    assert len(calls) == 4


def test_callback_stops_lbfgs() -> None:
    seen: list[int] = []

    def cb(nit: int, x: np.ndarray, f: float) -> bool:
        seen.append(nit)
        return nit == 3

    r = unpack(_core.minimize_builtin("rosenbrock", rosen_start(10), "lbfgs", {}, settings(), cb))
    assert r["status"] == "stopped"
    assert seen == [1, 2, 3]
    assert r["nit"] == 3


def test_max_fev_ends_the_run_as_max_iter() -> None:
    r = unpack(
        _core.minimize_builtin(
            "rosenbrock", rosen_start(10), "lbfgs", {}, settings(max_fev=30), None
        )
    )
    assert r["status"] == "max_iter"
    # the loop checks after each iteration; one line search (at most 20 evaluations) may overrun
    assert 30 <= r["nfev"] < 30 + 20
    assert r["nit"] < 30


def test_max_iter_counts_iterations_not_evaluations() -> None:
    r = unpack(
        _core.minimize_builtin("rosenbrock", rosen_start(10), "cg", {}, settings(max_iter=7), None)
    )
    assert r["status"] == "max_iter"
    assert r["nit"] == 7
    assert r["nfev"] >= 7


# --- first-order rules: line search "none" unchanged, "armijo" -------------------------------


def test_first_order_line_search_none_is_todays_loop() -> None:
    x0 = np.array([-1.2, 1.0])
    hyper = {"lr": 1e-3}
    new = unpack(
        _core.minimize_builtin(
            "rosenbrock",
            x0,
            "sgd",
            dict(hyper, line_search="none"),
            settings(max_iter=500, gtol=0.0),
            None,
        )
    )
    old = _core.minimize_builtin(
        "rosenbrock",
        x0,
        "sgd",
        hyper,
        {
            "max_iter": 500,
            "tol": 1e-14,
            "gtol": 0.0,
            "grtol": 0.0,
            "stop_on_gradient": True,
            "record_every": 1,
        },
        None,
    )
    assert len(old) == 12  # issue 15's settings are optional: their defaults are no box, no fd
    np.testing.assert_array_equal(new["path"], old[4])
    # the oracle: plain gradient descent written out
    x = x0.copy()
    for _ in range(500):
        x = x - 1e-3 * so.rosen_der(x)
    np.testing.assert_allclose(new["x"], x, rtol=1e-12)
    assert new["nfev"] == new["njev"] == 501


def test_armijo_rescues_a_too_large_learning_rate() -> None:
    x0 = np.array([-1.2, 1.0])
    plain = unpack(
        _core.minimize_builtin("rosenbrock", x0, "sgd", {"lr": 0.1}, settings(gtol=1e-6), None)
    )
    assert plain["status"] == "diverged"
    r = unpack(
        _core.minimize_builtin(
            "rosenbrock",
            x0,
            "sgd",
            {"lr": 0.1, "line_search": "armijo"},
            settings(gtol=1e-6, max_iter=100000),
            None,
        )
    )
    assert r["status"] == "converged"
    np.testing.assert_allclose(r["x"], [1.0, 1.0], atol=1e-5)
    assert np.all(np.diff(r["losses"]) <= 0)  # Armijo: f never increases


def test_armijo_with_momentum_takes_an_ascent_step_unchanged() -> None:
    # Heavy momentum overshoots: steps with g.p >= 0 are taken as the rule proposes (not
    # searched), so f may rise; the run still moves and is counted one evaluation per such step.
    r = unpack(
        _core.minimize_builtin(
            "sphere",
            np.array([1.0, 1.0]),
            "sgd",
            {"lr": 0.1, "momentum": 0.95, "line_search": "armijo"},
            settings(max_iter=5000, gtol=1e-8),
            None,
        )
    )
    assert np.any(np.diff(r["losses"]) > 0)
    assert r["status"] == "converged"
    np.testing.assert_allclose(r["x"], 0.0, atol=1e-8)
    # one evaluation per untouched step, more for the searched ones
    assert r["nit"] < r["nfev"] - 1


# --- bounds --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("d", "low", "high", "start"),
    [(2, -2.0, 0.5, 0.0), (10, -0.5, 0.7, 0.1), (10, 1.5, 3.0, 2.0), (100, -0.5, 0.7, 0.1)],
)
def test_bounded_lbfgs_matches_scipy(d: int, low: float, high: float, start: float) -> None:
    x0 = np.full(d, start)
    lo, hi = np.full(d, low), np.full(d, high)
    r = unpack(
        _core.minimize_builtin(
            "rosenbrock", x0, "lbfgs", {}, settings(lower=lo, upper=hi, gtol=1e-6), None
        )
    )
    ref = scipy_lbfgsb(x0, bounds=list(zip(lo, hi, strict=True)))
    np.testing.assert_allclose(r["x"], ref.x, atol=1e-6)
    # Not L-BFGS-B's Cauchy point: measured 14/10, 29/32, 10/10, 38/31 evaluations
    # (ours/scipy's) on these four; a guard against regressions, not a target.
    assert r["nfev"] <= 2 * ref.nfev
    assert np.all(r["path"] >= lo)
    assert np.all(r["path"] <= hi)
    # the reported norm is the projected gradient's; jac the true gradient
    _, g = _testing.test_function("rosenbrock", r["x"])
    np.testing.assert_array_equal(r["jac"], g)
    pg = r["x"] - np.clip(r["x"] - g, lo, hi)
    assert r["grad_norm"] == pytest.approx(np.linalg.norm(pg), rel=1e-12, abs=1e-300)
    if r["status"] == "converged":
        assert r["grad_norm"] <= 1e-6
    else:  # the precision of f near the optimum may end it a little above gtol
        assert r["status"] == "stalled"
        assert r["grad_norm"] < 1e-4


@pytest.mark.parametrize("line_search", ["none", "armijo"])
def test_projected_gradient_for_first_order_rules(line_search: str) -> None:
    # sphere on [1, 2] x [-3, -0.5]: the minimizer is the corner (1, -0.5).
    lo, hi = np.array([1.0, -3.0]), np.array([2.0, -0.5])
    r = unpack(
        _core.minimize_builtin(
            "sphere",
            np.array([1.5, -2.0]),
            "sgd",
            {"lr": 0.3, "line_search": line_search},
            settings(lower=lo, upper=hi, gtol=1e-10),
            None,
        )
    )
    assert r["status"] == "converged"
    np.testing.assert_allclose(r["x"], [1.0, -0.5], atol=1e-12)
    assert np.all(r["path"] >= lo)
    assert np.all(r["path"] <= hi)
    # at the corner the gradient (2, -1) points out: the projected gradient is 0
    assert r["grad_norm"] == 0.0
    np.testing.assert_allclose(r["jac"], [2.0, -1.0])


def test_bounded_adam_rosenbrock_matches_scipy() -> None:
    d = 4
    x0 = np.zeros(d)
    lo, hi = np.full(d, -0.5), np.full(d, 0.6)
    r = unpack(
        _core.minimize_builtin(
            "rosenbrock",
            x0,
            "adam",
            {"lr": 0.01},
            settings(lower=lo, upper=hi, gtol=1e-7, max_iter=200000),
            None,
        )
    )
    ref = scipy_lbfgsb(x0, bounds=list(zip(lo, hi, strict=True)))
    assert np.all(r["path"] >= lo)
    assert np.all(r["path"] <= hi)
    np.testing.assert_allclose(r["x"], ref.x, atol=1e-6)


def test_bounded_x0_outside_is_projected() -> None:
    lo, hi = np.array([-1.0, -1.0]), np.array([1.0, 1.0])
    r = unpack(
        _core.minimize_builtin(
            "sphere", np.array([5.0, 0.5]), "lbfgs", {}, settings(lower=lo, upper=hi), None
        )
    )
    assert r["path"][0].tolist() == [1.0, 0.5]
    np.testing.assert_allclose(r["x"], 0.0, atol=1e-9)


def test_cg_accepts_infinite_bounds() -> None:
    inf = np.full(2, np.inf)
    r = unpack(
        _core.minimize_builtin(
            "rosenbrock", rosen_start(2), "cg", {}, settings(lower=-inf, upper=inf), None
        )
    )
    assert r["status"] == "converged"


def test_infinite_bounds_are_no_bounds() -> None:
    x0 = rosen_start(10)
    inf = np.full(10, np.inf)
    a = unpack(
        _core.minimize_builtin("rosenbrock", x0, "lbfgs", {}, settings(lower=-inf, upper=inf), None)
    )
    b = unpack(_core.minimize_builtin("rosenbrock", x0, "lbfgs", {}, settings(), None))
    np.testing.assert_array_equal(a["path"], b["path"])


# --- finite differences ------------------------------------------------------------------------

FD_POINTS = {
    "rosenbrock": np.array([0.3, -0.7, 1.3, 0.9]),
    "sphere": np.array([0.3, -0.7, 12.0]),
    "styblinski_tang": np.array([0.3, -2.7, 1.3]),
    "rastrigin": np.array([0.3, -0.7, 1.3]),
    "ackley": np.array([0.3, -0.7, 1.3]),
    "beale": np.array([1.0, 0.5]),
    "himmelblau": np.array([1.0, 0.5]),
}


@pytest.mark.parametrize("name", sorted(FD_POINTS))
@pytest.mark.parametrize(
    ("fd", "per_gradient", "rtol"), [("2-point", 1, 1e-6), ("3-point", 2, 1e-9)]
)
def test_fd_gradient_against_analytic(name: str, fd: str, per_gradient: int, rtol: float) -> None:
    # Theory: forward differences err by O(sqrt(eps)) ~ 1e-8 (relative to the curvature's
    # scale), central by O(eps^(2/3)) ~ 4e-11; the tolerances leave a factor ~100.
    x = FD_POINTS[name]
    d = x.size
    r = unpack(
        _core.minimize_builtin(name, x, "sgd", {"lr": 0.0}, settings(fd=fd, max_iter=0), None)
    )
    _, g = _testing.test_function(name, x)
    np.testing.assert_allclose(r["jac"], g, rtol=0, atol=rtol * max(1.0, np.abs(g).max()))
    assert r["nfev"] == 1 + per_gradient * d  # f(x) and the differences
    assert r["njev"] == 1


def test_fd_steps_inward_at_bounds() -> None:
    # sphere at x on the upper bound: a forward step would leave the box, the backward one
    # stays inside; 3-point turns one-sided.
    lo, hi = np.array([-1.0, -1.0, -1.0]), np.array([0.5, 1.0, 2.0])
    x = np.array([0.5, -1.0, 0.25])
    seen = []
    for fd in ("2-point", "3-point"):
        r = unpack(
            _core.minimize_builtin(
                "sphere",
                x,
                "sgd",
                {"lr": 0.0},
                settings(fd=fd, max_iter=0, lower=lo, upper=hi),
                None,
            )
        )
        np.testing.assert_allclose(r["jac"], 2 * x, atol=1e-7 if fd == "2-point" else 1e-9)
        seen.append(r["nfev"])
    assert seen == [4, 7]


def test_bounded_lbfgs_with_fd_matches_scipy() -> None:
    # The optimum sits on the upper bound 0.7 in x_1: the differences step inward there.
    d = 5
    lo, hi = np.full(d, -0.5), np.full(d, 0.7)
    x0 = np.full(d, 0.1)
    r = unpack(
        _core.minimize_builtin(
            "rosenbrock",
            x0,
            "lbfgs",
            {},
            settings(fd="3-point", lower=lo, upper=hi, gtol=1e-6),
            None,
        )
    )
    ref = scipy_lbfgsb(x0, bounds=list(zip(lo, hi, strict=True)))
    np.testing.assert_allclose(r["x"], ref.x, atol=1e-6)
    assert r["nfev"] == (2 * d + 1) * r["njev"]  # 2d + 1 values per gradient, one-sided or not


def test_lbfgs_with_fd_reaches_rosenbrock_minimum() -> None:
    r = unpack(
        _core.minimize_builtin(
            "rosenbrock", rosen_start(2), "lbfgs", {}, settings(fd="3-point", gtol=1e-7), None
        )
    )
    assert r["status"] == "converged"
    np.testing.assert_allclose(r["x"], [1.0, 1.0], atol=1e-6)
    assert r["nfev"] == 5 * r["njev"]  # 1 + 2d values per gradient, d = 2


# --- minimize_many: a race of methods --------------------------------------------------------


def test_many_mixed_methods_match_single_runs() -> None:
    x0 = rosen_start(6)
    runs = [
        (x0, "sgd", {"lr": 1e-3}),
        (x0, "adam", {"lr": 0.02}),
        (x0, "lbfgs", {}),
        (x0, "lbfgs", {"history": 3, "line_search": "armijo"}),
        (x0, "cg", {}),
        (x0, "sgd", {"lr": 0.05, "line_search": "armijo"}),
    ]
    s = settings(max_iter=3000, gtol=1e-8)
    together = _core.minimize_many("rosenbrock", runs, s)
    for (start, kind, hyper), out in zip(runs, together, strict=True):
        alone = _core.minimize_builtin("rosenbrock", start, kind, hyper, s, None)
        a, b = unpack(out), unpack(alone)
        assert a["status"] == b["status"]
        assert a["nit"] == b["nit"]
        assert a["nfev"] == b["nfev"]
        np.testing.assert_array_equal(a["path"], b["path"])
        np.testing.assert_array_equal(a["jac"], b["jac"])
    assert unpack(together[2])["status"] == "converged"


def test_many_with_bounds() -> None:
    lo, hi = np.full(3, -0.5), np.full(3, 0.7)
    x0 = np.zeros(3)
    out = _core.minimize_many(
        "rosenbrock",
        [(x0, "lbfgs", {}), (x0, "sgd", {"lr": 1e-3})],
        settings(lower=lo, upper=hi, max_iter=50000, gtol=1e-7),
    )
    for o in out:
        r = unpack(o)
        assert np.all(r["path"] >= lo)
        assert np.all(r["path"] <= hi)


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "hyper", "over", "error", "match"),
    [
        ("newton", {}, {}, ValueError, r"unknown update rule 'newton'.*'lbfgs', 'cg' and 'bfgs'"),
        ("lbfgs", {"history": 0}, {}, ValueError, "history must be an int >= 1"),
        ("lbfgs", {"history": 2.5}, {}, TypeError, "history must be an int"),
        ("lbfgs", {"lr": 1.0}, {}, ValueError, "unknown lbfgs setting 'lr'"),
        ("cg", {"history": 5}, {}, ValueError, "unknown cg setting 'history'"),
        (
            "lbfgs",
            {"line_search": "hager_zhang"},
            {},
            ValueError,
            "unknown line_search 'hager_zhang'",
        ),
        ("sgd", {"lr": 0.1, "line_search": "strong_wolfe"}, {}, ValueError, "'none' or 'armijo'"),
        ("sgd", {"lr": 0.1, "line_search": 3}, {}, TypeError, "line_search must be"),
        (
            "lbfgs",
            {},
            {"lower": np.zeros(3), "upper": np.ones(3)},
            ValueError,
            "bounds have 3 entries but x0 has 2",
        ),
        (
            "lbfgs",
            {},
            {"lower": np.full(3, -np.inf), "upper": np.full(3, np.inf)},
            ValueError,
            "bounds have 3 entries but x0 has 2",
        ),
        ("lbfgs", {}, {"lower": np.zeros(2), "upper": None}, ValueError, "both be None or both"),
        (
            "lbfgs",
            {},
            {"lower": np.ones(2), "upper": np.zeros(2)},
            ValueError,
            r"lower\[0\].*upper\[0\]",
        ),
        ("lbfgs", {}, {"lower": [0.0, 0.0], "upper": [1.0, 1.0]}, TypeError, "float64 1-D array"),
        ("lbfgs", {}, {"fd": "5-point"}, ValueError, "settings\\['fd'\\] must be"),
        ("lbfgs", {}, {"max_fev": -1}, ValueError, "max_fev"),
        ("cg", {}, {"lower": np.zeros(2), "upper": np.ones(2)}, ValueError, "'cg' takes no bounds"),
    ],
)
def test_bad_method_input(
    kind: str, hyper: dict[str, Any], over: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        _core.minimize_builtin(
            "rosenbrock", np.array([-1.2, 1.0]), kind, hyper, settings(**over), None
        )


def test_fd_refused_for_a_callable() -> None:
    with pytest.raises(ValueError, match="'none' for a Python objective"):
        _core.minimize_callable(
            rosen_fg, np.array([-1.2, 1.0]), "lbfgs", {}, settings(fd="2-point"), None
        )


def test_bfgs_refuses_a_huge_dimension_before_allocating() -> None:
    x0 = np.zeros(100_000)  # d * d doubles would be 80 GB
    with pytest.raises(ValueError, match="'bfgs' keeps a dense d x d"):
        _core.minimize_builtin("sphere", x0, "bfgs", {}, settings(), None)
    with pytest.raises(ValueError, match="use 'lbfgs'"):
        _core.minimize_many("sphere", [(x0, "bfgs", {})], settings())


# --- Ctrl-C ----------------------------------------------------------------------------------

CTRL_C_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    from fastgd import _core
    d, kind, fd, many = %s
    x0 = np.array([-1.2 if i %% 2 == 0 else 1.0 for i in range(d)])
    s = dict(max_iter=10**9, tol=-1.0, gtol=0.0, grtol=0.0, stop_on_gradient=True,
             record_every=0, lower=None, upper=None, fd=fd, max_fev=0)
    print("ready", flush=True)
    try:
        if many:
            _core.minimize_many("rosenbrock", [(x0, kind, {}), (x0, "adam", {"lr": 1e-9})], s)
        else:
            _core.minimize_builtin("rosenbrock", x0, kind, {}, s, None)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(0)
    print("finished without interruption", flush=True)
    sys.exit(1)
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child needs POSIX")
@pytest.mark.parametrize(
    "args",
    [
        "100_000, 'lbfgs', 'none', False",
        "2000, 'bfgs', 'none', False",
        "100_000, 'cg', 'none', False",
        # one finite-difference gradient is 10^6 values: it polls between them
        "1_000_000, 'lbfgs', '2-point', False",
        "100_000, 'lbfgs', 'none', True",
    ],
    ids=["lbfgs", "bfgs", "cg", "lbfgs-fd", "race"],
)
def test_ctrl_c_stops_a_method(args: str) -> None:
    returncode, out, err, latency = interrupt_child(CTRL_C_SCRIPT % args)
    assert returncode == 0, (out, err)
    assert out.strip() == "interrupted"
    assert latency < 10.0  # generous on a loaded machine: the loops poll every ~20 ms


LBFGS_ARCH_CHILD = """
import numpy as np, fastgd
x0 = np.resize([-1.2, 1.0], 1003) + np.linspace(0.0, 0.1, 1003)
r = fastgd.minimize("rosenbrock", x0, method="lbfgs", max_iter=25, record=False)
print(fastgd.simd_arch(), r.nit, *r.x)
"""


def test_lbfgs_kernels_agree_on_every_instruction_set() -> None:
    """FASTGD_ARCH caps the dispatch: the L-BFGS kernels of each compiled copy (the
    compact form's passes, the new pair, the objective) give the same 25 iterations to
    rounding (d = 1003: the blocks, the 16-lane loops and their tails), far from the
    minimum, where a wrong direction would show."""
    runs = {}
    for arch in ("baseline", "avx2", "avx512"):
        with python_child(LBFGS_ARCH_CHILD, env=child_env(FASTGD_ARCH=arch)) as proc:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
        name, nit, *x = out.split()
        runs[name] = (int(nit), np.array(x, dtype=float))
    assert "baseline" in runs
    nit, base = runs["baseline"]
    assert nit == 25
    assert np.abs(base - 1.0).max() > 0.1  # still on the way
    for n, x in runs.values():
        assert n == nit
        np.testing.assert_allclose(x, base, rtol=1e-9, atol=1e-12)
