"""fastgd.LBFGS: torch.optim.LBFGS's class on NumPy arrays.

Oracles: torch.optim.LBFGS itself (float64 tensors, the same closure values, when
torch is installed), iterates written out in NumPy from torch's formulas, and the
known minimum of Rosenbrock's function."""

from __future__ import annotations

import copy
import pickle
import threading
from typing import Any

import numpy as np
import pytest

import fastgd
from fastgd import LBFGS

# --- problems: (loss, grads) as NumPy functions ------------------------------------------


def rosen(x: np.ndarray) -> tuple[float, np.ndarray]:
    f = float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))
    g = np.zeros_like(x)
    g[:-1] = -400 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2 * (1 - x[:-1])
    g[1:] += 200 * (x[1:] - x[:-1] ** 2)
    return f, g


def _lsq_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    A = rng.standard_normal((30, 4))
    Y = A @ rng.standard_normal((4, 3)) + 0.5 + 0.1 * rng.standard_normal((30, 3))
    return A, Y


A_LSQ, Y_LSQ = _lsq_data()


def lsq(W: np.ndarray, b: np.ndarray) -> tuple[float, list[np.ndarray]]:
    """0.5 * mean squared residual of A W + b against Y."""
    R = A_LSQ @ W + b - Y_LSQ
    n = A_LSQ.shape[0]
    return 0.5 * float(np.sum(R * R)) / n, [A_LSQ.T @ R / n, R.sum(axis=0) / n]


def rosen_list(x: np.ndarray) -> tuple[float, list[np.ndarray]]:
    f, g = rosen(x)
    return f, [g]


# --- torch parity ----------------------------------------------------------------------------


def _pair(
    make: Any, value_grads: Any, steps: int, **kw: Any
) -> tuple[list[tuple[list[np.ndarray], float, int]], list[tuple[list[np.ndarray], float, int]]]:
    """Steps fastgd.LBFGS and torch.optim.LBFGS side by side on the same closure values;
    for each step (params after it, returned loss, closure calls so far)."""
    torch = pytest.importorskip("torch")
    ours = [a.copy() for a in make()]
    theirs = [torch.tensor(a.copy()) for a in make()]
    opt = LBFGS(ours, **kw)
    topt = torch.optim.LBFGS(theirs, **kw)
    calls = [0, 0]

    def closure() -> tuple[float, list[np.ndarray]]:
        calls[0] += 1
        return value_grads(*ours)

    def tclosure() -> Any:
        calls[1] += 1
        f, grads = value_grads(*[t.numpy() for t in theirs])
        for t, g in zip(theirs, grads, strict=True):
            t.grad = torch.from_numpy(np.array(g, dtype=np.float64))
        return torch.tensor(f, dtype=torch.float64)

    a, b = [], []
    for _ in range(steps):
        la = opt.step(closure)
        lb = float(topt.step(tclosure))
        a.append(([p.copy() for p in ours], la, calls[0]))
        b.append(([t.numpy().copy() for t in theirs], lb, calls[1]))
    return a, b


def _assert_same(a: Any, b: Any, rtol: float) -> float:
    """The per-step params, losses and call counts agree; returns the max abs difference."""
    worst = 0.0
    for k, ((pa, la, ca), (pb, lb, cb)) in enumerate(zip(a, b, strict=True)):
        assert ca == cb, f"step {k}: {ca} closure calls, torch {cb}"
        assert la == pytest.approx(lb, rel=rtol, abs=1e-300), f"step {k}: loss"
        for x, y in zip(pa, pb, strict=True):
            np.testing.assert_allclose(x, y, rtol=rtol, atol=rtol, err_msg=f"step {k}")
            worst = max(worst, float(np.max(np.abs(x - y))))
    return worst


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("history_size", [3, 100])
def test_rosenbrock_2d_equals_torch(line_search_fn: Any, history_size: int) -> None:
    a, b = _pair(
        lambda: [np.array([-1.2, 1.0])],
        rosen_list,
        steps=5,
        line_search_fn=line_search_fn,
        history_size=history_size,
    )
    # two coordinates: every sum is added in the same order as torch's, so the numbers agree
    # to the last bit (dot products of longer vectors may differ by an ulp: MKL's order)
    assert _assert_same(a, b, rtol=1e-12) == 0.0
    np.testing.assert_allclose(a[-1][0][0], [1.0, 1.0], atol=1e-4)  # and it solves the problem


@pytest.mark.parametrize(
    "kw",
    [
        {"max_iter": 5},
        {"max_iter": 5, "line_search_fn": "strong_wolfe"},
        {"max_iter": 5, "lr": 0.1, "history_size": 3},
        {"max_iter": 5, "line_search_fn": "strong_wolfe", "history_size": 3},
    ],
)
def test_rosenbrock_10d_equals_torch(kw: dict[str, Any]) -> None:
    a, b = _pair(
        lambda: [np.tile([-1.2, 1.0], 5)],
        rosen_list,
        steps=6,
        **kw,
    )
    _assert_same(a, b, rtol=1e-11)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("history_size", [3, 100])
def test_least_squares_two_params_equals_torch(line_search_fn: Any, history_size: int) -> None:
    a, b = _pair(
        lambda: [np.zeros((4, 3)), np.zeros(3)],
        lsq,
        steps=4,
        max_iter=6,
        lr=0.5 if line_search_fn is None else 1.0,
        line_search_fn=line_search_fn,
        history_size=history_size,
    )
    _assert_same(a, b, rtol=1e-11)


def test_torch_state_dict_loads_and_continues_as_torch() -> None:
    torch = pytest.importorskip("torch")
    x0 = np.array([-1.2, 1.0])
    xt = torch.tensor(x0.copy())
    topt = torch.optim.LBFGS([xt], max_iter=4, history_size=3, line_search_fn="strong_wolfe")

    def tclosure() -> Any:
        f, g = rosen(xt.numpy())
        xt.grad = torch.from_numpy(g)
        return torch.tensor(f, dtype=torch.float64)

    for _ in range(3):
        topt.step(tclosure)
    x = xt.numpy().copy()
    opt = LBFGS([x])
    opt.load_state_dict(topt.state_dict())  # torch's options and state replace ours
    assert opt.param_groups[0]["history_size"] == 3
    assert opt.param_groups[0]["line_search_fn"] == "strong_wolfe"
    for _ in range(2):
        la = opt.step(lambda: rosen(x))
        lb = float(topt.step(tclosure))
        assert la == lb
        np.testing.assert_array_equal(x, xt.numpy())


# --- torch-free oracles --------------------------------------------------------------------


def test_first_iterations_written_out() -> None:
    """torch's first two iterations on a quadratic, written out in NumPy."""
    c = np.array([1.0, 3.0, 10.0])
    x = np.array([1.0, -2.0, 0.5])

    def closure() -> tuple[float, np.ndarray]:
        return 0.5 * float(c @ (x * x)), c * x

    x0 = x.copy()
    g0 = c * x0
    opt = LBFGS([x], max_iter=1, lr=0.7)
    assert opt.step(closure) == 0.5 * float(c @ (x0 * x0))
    t0 = min(1.0, 1.0 / np.abs(g0).sum()) * 0.7  # the first step: min(1, 1/|g|_1) * lr
    x1 = x0 - t0 * g0
    np.testing.assert_allclose(x, x1, rtol=1e-15)
    opt.step(closure)  # second iteration: one pair (s, y), H0 = s.y / y.y
    g1 = c * x1
    s, y = -t0 * g0, g1 - g0
    rho = 1 / (y @ s)
    q = -g1
    al = rho * (s @ q)
    q = q - al * y
    r = q * (y @ s) / (y @ y)
    d = r + (al - rho * (y @ r)) * s
    np.testing.assert_allclose(x, x1 + 0.7 * d, rtol=1e-14)
    st = opt.state_dict()["state"][0]
    assert st["n_iter"] == 2  # max_iter=1: no re-evaluation
    assert st["func_evals"] == 2
    np.testing.assert_allclose(st["old_dirs"][0], y, rtol=1e-15)
    np.testing.assert_allclose(st["old_stps"][0], s, rtol=1e-15)
    assert st["ro"][0] == pytest.approx(rho, rel=1e-15)
    assert st["al"][0] == pytest.approx(al, rel=1e-14)
    assert st["al"][1:] == [None] * 99


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_converges_returns_first_loss_and_counts_calls(line_search_fn: Any) -> None:
    x = np.array([-1.2, 1.0])
    seen: list[float] = []

    def closure() -> tuple[float, np.ndarray]:
        f, g = rosen(x)
        seen.append(f)
        return f, g

    opt = LBFGS([x], line_search_fn=line_search_fn, tolerance_grad=1e-12, tolerance_change=1e-15)
    assert opt.param_groups[0]["max_eval"] == 25  # max_iter * 5 // 4
    for _ in range(10):
        before = len(seen)
        loss = opt.step(closure)
        assert loss == seen[before]  # the first closure value of the step (torch's orig_loss)
        calls = len(seen) - before
        # torch's budget: the line search is given max_eval - evaluations so far, besides its first
        assert calls <= (26 if line_search_fn else 25)
    np.testing.assert_allclose(x, [1.0, 1.0], atol=1e-6)
    assert opt.state_dict()["state"][0]["func_evals"] == len(seen)


def test_stops_at_tolerance_grad_without_moving() -> None:
    x = np.array([1.0, 1.0])  # the minimum: max|g| = 0 <= tolerance_grad
    opt = LBFGS([x])
    assert opt.step(lambda: rosen(x)) == 0.0
    np.testing.assert_array_equal(x, [1.0, 1.0])
    assert opt.state_dict()["state"] == {0: {"func_evals": 1, "n_iter": 0}}


def test_single_array_params_and_grad() -> None:
    x = np.array([-1.2, 1.0])
    opt = LBFGS(x, line_search_fn="strong_wolfe")  # one array: one param
    for _ in range(5):
        opt.step(closure=lambda: rosen(x))
    # torch's tolerance_change (1e-9 on the loss) stops it at f ~ 1e-9
    np.testing.assert_allclose(x, [1.0, 1.0], atol=1e-4)


def test_params_as_a_tuple_or_one_group_dict() -> None:
    x, y = np.array([-1.2, 1.0]), np.array([-1.2, 1.0])
    a = LBFGS((x,), max_iter=3, max_eval=25, history_size=7)
    b = LBFGS([{"params": [y], "max_iter": 3, "history_size": 7}])
    assert b.param_groups[0]["history_size"] == 7
    assert b.param_groups[0]["max_eval"] == 25  # torch: the group's max_eval is the default's
    a.step(lambda: rosen(x))
    b.step(lambda: rosen(y))
    np.testing.assert_array_equal(x, y)


def test_huge_int_loss_is_a_value_error() -> None:
    x = np.array([-1.2, 1.0])
    with pytest.raises(ValueError, match="loss must be a finite number"):
        LBFGS([x]).step(lambda: (10**400, np.ones(2)))
    np.testing.assert_array_equal(x, [-1.2, 1.0])


def test_float32_params() -> None:
    x = np.array([-1.2, 1.0], dtype=np.float32)
    opt = LBFGS([x], line_search_fn="strong_wolfe")
    for _ in range(5):
        opt.step(lambda: rosen(x.astype(np.float64)))
    assert x.dtype == np.float32
    np.testing.assert_allclose(x, [1.0, 1.0], atol=1e-3)


def test_float32_and_float64_params_together() -> None:
    W, b = np.zeros((4, 3), dtype=np.float32), np.zeros(3)
    opt = LBFGS([W, b], line_search_fn="strong_wolfe")
    for _ in range(3):
        opt.step(lambda: lsq(W.astype(np.float64), b))
    W_star = np.linalg.lstsq(np.c_[A_LSQ, np.ones(30)], Y_LSQ, rcond=None)[0]
    np.testing.assert_allclose(W, W_star[:4], atol=1e-4)
    np.testing.assert_allclose(b, W_star[4], atol=1e-4)


def test_state_dict_round_trip_resumes_bit_for_bit() -> None:
    x = np.tile([-1.2, 1.0], 3)
    opt = LBFGS([x], max_iter=4, history_size=3, line_search_fn="strong_wolfe")
    for _ in range(3):
        opt.step(lambda: rosen(x))
    saved = copy.deepcopy(opt.state_dict())
    assert len(saved["state"][0]["old_dirs"]) == 3  # pairs were dropped
    y = x.copy()
    other = LBFGS([y])
    other.load_state_dict(saved)
    assert other.param_groups[0]["max_iter"] == 4
    for _ in range(3):
        assert opt.step(lambda: rosen(x)) == other.step(lambda: rosen(y))
        np.testing.assert_array_equal(x, y)
    a, b = opt.state_dict(), other.state_dict()
    assert a["param_groups"] == b["param_groups"]
    for key, value in a["state"][0].items():
        if isinstance(value, list) and value and isinstance(value[0], np.ndarray):
            for u, w in zip(value, b["state"][0][key], strict=True):
                np.testing.assert_array_equal(u, w)
        else:
            np.testing.assert_array_equal(value, b["state"][0][key])


def test_pickle_and_deepcopy_keep_the_state() -> None:
    x = np.array([-1.2, 1.0])
    opt = LBFGS([x], max_iter=3)
    opt.step(lambda: rosen(x))
    for clone in (pickle.loads(pickle.dumps(opt)), copy.deepcopy(opt)):
        y = clone.param_groups[0]["params"][0]
        assert y is not x
        np.testing.assert_array_equal(y, x)
        clone.step(lambda y=y: rosen(y))
        x_next = x.copy()
        ref = pickle.loads(pickle.dumps(opt))
        z = ref.param_groups[0]["params"][0]
        ref.step(lambda z=z: rosen(z))
        np.testing.assert_array_equal(y, z)
        np.testing.assert_array_equal(x, x_next)  # the original untouched


def test_reset_starts_over() -> None:
    x = np.array([-1.2, 1.0])
    opt = LBFGS([x], max_iter=2)
    opt.step(lambda: rosen(x))
    opt.reset()
    assert opt.state_dict()["state"] == {}
    y = x.copy()
    fresh = LBFGS([y], max_iter=2)
    opt.step(lambda: rosen(x))
    fresh.step(lambda: rosen(y))
    np.testing.assert_array_equal(x, y)


def test_param_groups_option_change_takes_effect() -> None:
    x, y = np.array([-1.2, 1.0]), np.array([-1.2, 1.0])
    a, b = LBFGS([x], max_iter=2), LBFGS([y], max_iter=5)
    a.param_groups[0]["max_iter"] = 5
    a.param_groups[0]["max_eval"] = 6
    a.step(lambda: rosen(x))
    b.step(lambda: rosen(y))
    np.testing.assert_array_equal(x, y)
    a.param_groups[0]["lr"] = -1.0
    with pytest.raises(ValueError, match="param_groups\\[0\\]: lr must be a finite number > 0"):
        a.step(lambda: rosen(x))


def test_history_size_change_keeps_the_newest_pairs() -> None:
    x = np.tile([-1.2, 1.0], 2)
    opt = LBFGS([x], max_iter=6)
    opt.step(lambda: rosen(x))
    before = opt.state_dict()["state"][0]
    assert len(before["old_dirs"]) >= 3
    opt.param_groups[0]["history_size"] = 2
    opt.step(lambda: (1.0, np.zeros(4)))  # max|g| = 0: returns before any iteration
    after = opt.state_dict()["state"][0]
    assert len(after["old_dirs"]) == 2
    for u, w in zip(after["old_dirs"], before["old_dirs"][-2:], strict=True):
        np.testing.assert_array_equal(u, w)
    assert after["ro"] == before["ro"][-2:]


def test_an_lr_scheduler_drives_lr() -> None:
    from fastgd import lr_scheduler

    x = np.array([-1.2, 1.0])
    opt = LBFGS([x], lr=0.5, max_iter=2)
    sched = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        opt.step(lambda: rosen(x))
        sched.step()
    assert opt.param_groups[0]["lr"] == 0.0625
    saved = opt.state_dict()
    assert saved["param_groups"][0]["initial_lr"] == 0.5
    other = LBFGS([x.copy()])
    other.load_state_dict(saved)
    assert other.param_groups[0]["initial_lr"] == 0.5
    assert other.param_groups[0]["lr"] == 0.0625


def test_repr_and_public_name() -> None:
    opt = LBFGS([np.zeros(3), np.zeros((2, 2))], history_size=5)
    text = repr(opt)
    assert text.startswith("LBFGS(lr=1.0, max_iter=20, max_eval=25,")
    assert "history_size=5" in text
    assert "2 arrays of 7 numbers" in text
    assert "LBFGS" in fastgd.__all__
    assert fastgd.LBFGS is LBFGS


# --- errors: propagation, NaN, re-entrance -------------------------------------------------------


def test_closure_exception_propagates_and_state_rolls_back() -> None:
    x = np.array([-1.2, 1.0])
    opt = LBFGS([x], max_iter=3)
    opt.step(lambda: rosen(x))
    before = copy.deepcopy(opt.state_dict())
    seen: list[np.ndarray] = []

    def closure() -> tuple[float, np.ndarray]:
        seen.append(x.copy())
        if len(seen) == 3:
            raise KeyError("boom")
        return rosen(x)

    with pytest.raises(KeyError, match="boom"):
        opt.step(closure)
    np.testing.assert_array_equal(x, seen[-1])  # the point being evaluated, as in torch
    after = opt.state_dict()["state"][0]
    # the first iteration of this step completed (its evaluation was call 2); the second's
    # evaluation raised: the state is that after the first iteration
    assert after["n_iter"] == before["state"][0]["n_iter"] + 1
    assert after["func_evals"] == before["state"][0]["func_evals"] + 2
    np.testing.assert_array_equal(after["prev_flat_grad"], rosen(seen[0])[1])


def test_keyboard_interrupt_in_the_closure_propagates() -> None:
    x = np.array([-1.2, 1.0])
    opt = LBFGS([x])

    def closure() -> tuple[float, np.ndarray]:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        opt.step(closure)
    np.testing.assert_array_equal(x, [-1.2, 1.0])
    assert opt.state_dict()["state"] == {}


def test_nan_at_the_start_changes_nothing() -> None:
    x = np.array([-1.2, 1.0])
    opt = LBFGS([x])
    with pytest.raises(ValueError, match=r"non-finite loss .* at the parameters as given"):
        opt.step(lambda: (float("nan"), np.zeros(2)))
    with pytest.raises(ValueError, match="non-finite gradient"):
        opt.step(lambda: (1.0, np.array([np.inf, 0.0])))
    np.testing.assert_array_equal(x, [-1.2, 1.0])
    assert opt.state_dict()["state"] == {}


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_nan_at_a_trial_point_restores_the_last_finite_point(line_search_fn: Any) -> None:
    x = np.array([3.0, -2.0])

    def closure() -> tuple[float, np.ndarray]:
        if abs(x[0]) < 2.5:  # the objective fails away from the start
            return float("nan"), np.zeros(2)
        return 0.5 * float(x @ x), x.copy()

    opt = LBFGS([x], lr=1.0, line_search_fn=line_search_fn)
    with pytest.raises(ValueError, match="non-finite loss"):
        opt.step(closure)
    np.testing.assert_array_equal(x, [3.0, -2.0])
    assert opt.state_dict()["state"][0] == {"func_evals": 1, "n_iter": 0}


def test_step_inside_its_own_closure_is_refused() -> None:
    x = np.array([-1.2, 1.0])
    opt = LBFGS([x])

    def closure() -> tuple[float, np.ndarray]:
        opt.step(lambda: rosen(x))
        return rosen(x)

    with pytest.raises(RuntimeError, match="inside this optimizer's own closure"):
        opt.step(closure)


def test_threads_stepping_one_optimizer_take_turns() -> None:
    x = np.tile([-1.2, 1.0], 4)
    opt = LBFGS([x], max_iter=3)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                opt.step(lambda: rosen(x))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert opt.state_dict()["state"][0]["n_iter"] <= 45
    assert np.isfinite(x).all()


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        (5.0, TypeError, "LBFGS params must be a list of numpy arrays, got float"),
        ([[1.0, 2.0]], TypeError, "params\\[0\\] must be a numpy.ndarray"),
        ([], ValueError, "empty parameter list"),
        ({"w": np.zeros(2)}, TypeError, "got a dict"),
        (
            [{"params": [np.zeros(2)]}, {"params": [np.zeros(2)]}],
            ValueError,
            "LBFGS doesn't support per-parameter options",
        ),
        ([np.zeros(2, dtype=np.int64)], TypeError, "float32 or float64"),
        ([np.zeros((4, 4))[:, 0]], ValueError, "C-contiguous"),
        ([np.zeros(0)], ValueError, "hold no numbers"),
    ],
)
def test_bad_params(params: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        LBFGS(params)


def test_read_only_and_shared_params() -> None:
    x = np.zeros(3)
    x.flags.writeable = False
    with pytest.raises(ValueError, match="params\\[0\\] is read-only"):
        LBFGS([x])
    y = np.zeros(4)
    with pytest.raises(ValueError, match="share memory"):
        LBFGS([y, y[1:]])


@pytest.mark.parametrize(
    ("kw", "error", "match"),
    [
        ({"lr": 0}, ValueError, "lr must be a finite number > 0"),
        ({"lr": -1}, ValueError, "lr must be a finite number > 0"),
        ({"lr": "1"}, TypeError, "lr must be a real number"),
        ({"history_size": 0}, ValueError, "history_size must be >= 1"),
        ({"history_size": 2.5}, TypeError, "history_size must be an integer"),
        ({"max_iter": 0}, ValueError, "max_iter must be >= 1"),
        ({"max_eval": 0}, ValueError, "max_eval must be >= 1"),
        ({"tolerance_grad": -1e-3}, ValueError, "tolerance_grad must be a finite number >= 0"),
        ({"tolerance_change": float("nan")}, ValueError, "tolerance_change"),
        ({"line_search_fn": "armijo"}, ValueError, "line_search_fn must be None or 'strong_wolfe'"),
    ],
)
def test_bad_options(kw: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        LBFGS([np.zeros(2)], **kw)


def _stepped() -> tuple[LBFGS, np.ndarray, np.ndarray, dict[str, Any]]:
    W, b = np.ones((2, 3)), np.ones(3)
    cW, cb = np.arange(1.0, 7.0).reshape(2, 3), np.array([0.5, 2.0, 7.0])
    opt = LBFGS([W, b], max_iter=4)

    def closure() -> tuple[float, list[np.ndarray]]:
        return 0.5 * float((cW * W * W).sum() + (cb * b * b).sum()), [cW * W, cb * b]

    opt.step(closure)
    return opt, W, b, copy.deepcopy(opt.state_dict())


@pytest.mark.parametrize(
    ("result", "error", "match"),
    [
        (3.0, TypeError, "the closure must return \\(loss, grads\\).*got float"),
        ((1.0, 2.0, 3.0), TypeError, "got a tuple of length 3"),
        ((1.0, np.zeros(9)), TypeError, "grads must be a list with one array per parameter"),
        ((1.0, [np.zeros((2, 3))]), ValueError, "grads has 1 entries but LBFGS has 2 params"),
        ((1.0, [np.zeros((3, 2)), np.zeros(3)]), ValueError, "grads\\[0\\] has shape \\(3, 2\\)"),
        (
            (1.0, [np.zeros((2, 3)), np.array(["a", "b", "c"])]),
            TypeError,
            "grads\\[1\\] must hold real",
        ),
        (("x", [np.zeros((2, 3)), np.zeros(3)]), TypeError, "loss must be a real number"),
        ((np.ones(2), [np.zeros((2, 3)), np.zeros(3)]), TypeError, "loss must be a real number"),
        ((float("nan"), [np.zeros((2, 3)), np.zeros(3)]), ValueError, "non-finite loss"),
    ],
)
def test_bad_closure_changes_nothing(result: Any, error: type[Exception], match: str) -> None:
    opt, W, b, before = _stepped()
    W0, b0 = W.copy(), b.copy()
    with pytest.raises(error, match=match):
        opt.step(lambda: result)
    np.testing.assert_array_equal(W, W0)
    np.testing.assert_array_equal(b, b0)
    after = opt.state_dict()
    assert after["state"][0]["func_evals"] == before["state"][0]["func_evals"]
    np.testing.assert_array_equal(after["state"][0]["d"], before["state"][0]["d"])


def test_missing_or_bad_closure() -> None:
    opt, *_ = _stepped()
    with pytest.raises(TypeError, match=r"LBFGS\.step needs a closure"):
        opt.step()
    with pytest.raises(TypeError, match="closure must be callable"):
        opt.step([np.zeros((2, 3)), np.zeros(3)])  # type: ignore[arg-type]


def test_params_changed_in_between() -> None:
    opt, W, b, _ = _stepped()
    W.shape = (3, 2)
    with pytest.raises(ValueError, match="params\\[0\\] changed since construction"):
        opt.step(lambda: (0.0, [np.zeros((3, 2)), np.zeros(3)]))
    W.shape = (2, 3)
    opt.param_groups[0]["params"] = [W]
    with pytest.raises(ValueError, match="it must stay a list of 2 arrays"):
        opt.step(lambda: (0.0, [np.zeros((2, 3))]))
    opt.param_groups[0]["params"] = [W, np.zeros(3, dtype=np.float32)]
    with pytest.raises(ValueError, match="params\\[1\\] changed since construction"):
        opt.step(lambda: (0.0, [np.zeros((2, 3)), np.zeros(3)]))
    b.flags.writeable = False
    opt.param_groups[0]["params"] = [W, b]
    with pytest.raises(ValueError, match="params\\[1\\] is read-only"):
        opt.step(lambda: (0.0, [np.zeros((2, 3)), np.zeros(3)]))


def _edit(sd: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    d: Any = sd
    for k in path[:-1]:
        d = d[k]
    if value is _DELETE:
        del d[path[-1]]
    else:
        d[path[-1]] = value
    return sd


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "error", "match"),
    [
        (
            ("state", 0, "d"),
            np.zeros(4),
            ValueError,
            "\\['d'\\] must be 1-D with the params' 9 numbers",
        ),
        (("state", 0, "d"), np.full(9, np.nan), ValueError, "\\['d'\\] must be finite"),
        (("state", 0, "t"), "x", ValueError, "\\['t'\\] must be a finite number"),
        (
            ("state", 0, "ro"),
            [],
            ValueError,
            "old_dirs, old_stps and ro must have one entry per pair",
        ),
        (("state", 0, "n_iter"), -1, ValueError, "n_iter'\\] must be an integer >= 0"),
        (("state", 0, "prev_loss"), _DELETE, ValueError, "is missing \\['prev_loss'\\]"),
        (("state", 0, "momentum"), np.zeros(9), ValueError, "keys LBFGS does not keep"),
        (("state", 5), {}, ValueError, "keeps its state under the first parameter"),
        (("param_groups", 0, "history_size"), 0, ValueError, "history_size must be >= 1"),
        (("param_groups", 0, "params"), [0], ValueError, "doesn't match the size"),
        (("param_groups", 0, "momentum"), 0.9, ValueError, "keys LBFGS does not take"),
        (("param_groups",), [], ValueError, "doesn't support per-parameter options"),
    ],
)
def test_bad_state_dict_changes_nothing(path: Any, value: Any, error: Any, match: str) -> None:
    opt, _, _, before = _stepped()
    with pytest.raises(error, match=match):
        opt.load_state_dict(_edit(copy.deepcopy(before), path, value))
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    np.testing.assert_array_equal(after["state"][0]["d"], before["state"][0]["d"])


def test_state_dict_with_more_pairs_than_history_is_refused() -> None:
    opt, _, _, before = _stepped()
    sd = copy.deepcopy(before)
    st = sd["state"][0]
    n = len(st["ro"])
    assert n >= 1
    sd["param_groups"][0]["history_size"] = 1
    st["old_dirs"] = st["old_dirs"] * 2
    st["old_stps"] = st["old_stps"] * 2
    st["ro"] = st["ro"] * 2
    st.pop("al", None)
    with pytest.raises(ValueError, match=f"holds {2 * n} pairs but history_size is 1"):
        opt.load_state_dict(sd)
