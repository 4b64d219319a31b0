"""scikit-learn's stopping rule (tol with n_iter_no_change, and learning_rate="adaptive")
in the general descent loops: fit_least_squares, fit_linear and the chunked fits.

The oracle is scikit-learn's own definition (its _plain_sgd, end of each epoch),
written out below: a loss that is not below the best so far minus tol counts one,
a lower one resets the count; n_iter_no_change such epochs in a row stop the fit,
or, with the adaptive rate while eta > 1e-6, divide eta by 5 and reset the count.
(scikit-learn compares the epoch's summed loss with tol * n_samples: the same test
on the mean loss.)
"""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import numpy as np
import pytest

import fastgd
from fastgd import _core, schedules
from fastgd.chunked import MemmapChunks, chunks_of, fit_chunked
from fastgd.fit_plan import plan_fit
from fastgd.in_memory import run_fit
from fastgd.losses import LOSSES

from .conftest import make_regression

FITS = {"fit_least_squares": fastgd.fit_least_squares, "fit_linear": fastgd.fit_linear}


def sklearn_rule(
    losses: list[float],
    tol: float,
    n_iter_no_change: int,
    eta0: float = 0.0,
    adaptive: bool = False,
) -> tuple[int | None, list[int], list[int]]:
    """scikit-learn's rule on epoch losses 1, 2, ...: (the epoch it stops after, or
    None; the epochs after which the adaptive rate was divided by 5; the count after
    every epoch)."""
    best, count, eta = math.inf, 0, eta0
    lowered: list[int] = []
    counts: list[int] = []
    for epoch, loss in enumerate(losses, start=1):
        if loss > best - tol:
            count += 1
        else:
            count = 0
        best = min(best, loss)
        counts.append(count)
        if count >= n_iter_no_change:
            if adaptive and eta > 1e-6:
                eta /= 5.0
                count = 0
                lowered.append(epoch)
            else:
                return epoch, lowered, counts
    return None, lowered, counts


def _resets(counts: list[int]) -> int:
    """How often a count that had started went back to 0 (a lower loss)."""
    return sum(a > 0 and b == 0 for a, b in itertools.pairwise(counts))


def _recorder() -> tuple[list[float], Any]:
    seen: list[float] = []

    def callback(intermediate_result: Any) -> None:
        seen.append(float(intermediate_result.fun))

    return seen, callback


# --- the one copy of the rule, on constructed sequences ---------------------------


@pytest.mark.parametrize(
    ("losses", "tol", "n", "expected"),
    [
        # Never lower by tol: count from the second epoch (the first sets the best).
        ([1.0, 1.0, 1.0, 1.0], 0.1, 3, 4),
        # tol=0: an equal loss is not worse than the best ("loss > best - tol").
        ([1.0, 1.0, 1.0, 1.0], 0.0, 1, None),
        ([1.0, 1.0, 1.5, 1.0], 0.0, 1, 3),
        # Exactly best - tol is an improvement (not "> best - tol"); just above is not.
        ([1.0, 0.75, 0.5, 0.25, 0.25, 0.25], 0.25, 2, 6),
        # A lower loss resets the count; a higher one leaves the best where it was.
        ([5.0, 4.9, 6.0, 4.95, 3.0, 3.0, 2.99, 3.5, 2.995], 0.05, 3, 8),
        # Improvements below tol still move the best: 1 -> 0.99 -> 0.98 counts on.
        ([1.0, 0.99, 0.98, 0.97, 0.96], 0.05, 4, 5),
        # Stops never.
        ([4.0, 3.0, 2.0, 1.0], 0.5, 1, None),
    ],
)
def test_loss_plateau_on_constructed_sequences(losses, tol, n, expected):
    assert sklearn_rule(losses, tol, n)[0] == expected  # the oracle agrees with the comments
    rule = _core.LossPlateau(tol, n)
    verdicts = [rule.after_epoch(loss, 0.01) for loss in losses]
    stop = verdicts.index("stop") + 1 if "stop" in verdicts else None
    assert stop == expected
    assert "lower_lr" not in verdicts
    assert rule.lr_scale == 1.0


def test_loss_plateau_on_random_sequences_with_the_adaptive_rate():
    rng = np.random.default_rng(5)
    for trial in range(200):
        m = int(rng.integers(5, 80))
        # A noisy descent that flattens: improvements, plateaus and resets.
        losses = list(np.exp(-np.linspace(0, rng.uniform(0.5, 4), m)) + rng.normal(0, 0.01, m))
        tol = float(rng.choice([0.0, 1e-3, 1e-2]))
        n = int(rng.integers(1, 6))
        adaptive = bool(trial % 2)
        eta0 = float(rng.choice([1e-2, 1e-5, 1e-6]))
        stop, lowered, _ = sklearn_rule(losses, tol, n, eta0, adaptive)
        rule = _core.LossPlateau(tol, n, adaptive)
        got_lowered, got_stop = [], None
        for epoch, loss in enumerate(losses, start=1):
            verdict = rule.after_epoch(loss, eta0 * rule.lr_scale)
            if verdict == "lower_lr":
                got_lowered.append(epoch)
            elif verdict == "stop":
                got_stop = epoch
                break
        assert (got_stop, got_lowered) == (stop, lowered)
        assert rule.lr_scale == pytest.approx(0.2 ** len(lowered), rel=1e-12)


# --- the rule in the fits: the exact epoch --------------------------------------------

CASES = [
    # (function, batch_size, record, lr, tol): full batch (the full J, monotone),
    # mini-batches recorded (the full J after each epoch) and not (the mean of the
    # mini-batch losses), single-sample SGD (the fused step).
    ("fit_least_squares", None, True, 0.02, 1e-4),
    ("fit_least_squares", None, False, 0.02, 1e-4),
    ("fit_least_squares", 8, False, 0.02, 1e-4),
    ("fit_least_squares", 1, True, 0.005, 1e-4),
    ("fit_least_squares", 300, False, 0.02, 1e-4),  # batch_size >= n: full batch
    ("fit_linear", None, True, 0.02, 1e-4),
    ("fit_linear", None, False, 0.02, 1e-4),
    ("fit_linear", 8, True, 0.02, 1e-5),
    ("fit_linear", 8, False, 0.02, 1e-4),
    ("fit_linear", 1, False, 0.005, 1e-4),
]


@pytest.mark.parametrize(("name", "batch_size", "record", "lr", "tol"), CASES)
def test_the_fit_stops_at_scikit_learns_epoch(name, batch_size, record, lr, tol):
    fit = FITS[name]
    X, y, _ = make_regression(300, 4, noise=0.5, seed=3)
    kw: dict[str, Any] = dict(
        optimizer="gd" if batch_size is None else "sgd",
        lr=lr,
        batch_size=batch_size,
        record=record,
        random_state=7,
        max_iter=400,
    )
    # The epoch losses without any rule (tol=None): what the rule will read.
    free, callback = _recorder()
    fit(X, y, tol=None, callback=callback, **kw)
    expected, _, counts = sklearn_rule(free, tol, 5)
    assert expected is not None
    assert 5 < expected < 400
    if batch_size is not None and batch_size < 300:
        assert _resets(counts) > 0  # noisy epoch losses: the count was reset on the way
    seen, callback = _recorder()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning: it is the rule the user chose
        result = fit(X, y, tol=tol, n_iter_no_change=5, callback=callback, **kw)
    assert result.status == "no_improvement"
    assert result.n_iter == expected
    assert seen == free[:expected]
    assert not result.success
    assert f"did not improve by tol={tol:g} for 5 epochs in a row" in result.message
    if record:
        assert list(result.losses[1:]) == seen  # the recorded full J is the loss it read


@pytest.mark.parametrize("name", list(FITS))
def test_the_rule_replaces_the_step_length_rule(name):
    """With steps far below tol the step-length rule ends the fit in epoch 1
    ("stalled"); scikit-learn's rule counts from epoch 2 and stops after n + 1."""
    X, y, _ = make_regression(200, 3, seed=1)
    kw: dict[str, Any] = dict(optimizer="gd", lr=1e-7, max_iter=100, tol=1e-3)
    with pytest.warns(fastgd.StalledWarning):
        short = FITS[name](X, y, **kw)
    assert (short.status, short.n_iter) == ("stalled", 1)
    result = FITS[name](X, y, n_iter_no_change=4, **kw)
    assert (result.status, result.n_iter) == ("no_improvement", 5)
    assert "for 4 epochs in a row" in result.message


@pytest.mark.parametrize("name", list(FITS))
def test_tol_none_turns_every_rule_off(name):
    X, y, _ = make_regression(200, 3, seed=1)
    result = FITS[name](X, y, optimizer="gd", lr=1e-7, max_iter=12, tol=None, n_iter_no_change=2)
    assert (result.status, result.n_iter) == ("max_iter", 12)


@pytest.mark.parametrize("name", list(FITS))
def test_the_optimality_test_still_ends_a_full_batch_fit(name):
    """tol=0 counts every epoch that is not strictly lower; at lr="auto" the loss keeps
    falling until the optimality test (gtol given) ends the fit "converged"."""
    X, y, _ = make_regression(200, 3, seed=1)
    result = FITS[name](X, y, optimizer="gd", lr="auto", tol=0.0, n_iter_no_change=3, gtol=1e-6)
    assert result.status == "converged"
    assert result.optimality <= 1e-6
    coef, _ = fastgd.normal_equations(X, y, fit_intercept=True)
    np.testing.assert_allclose(result.coef, coef, rtol=1e-4)


def test_max_iter_message_names_the_rule():
    X, y, _ = make_regression(200, 3, seed=1)
    result = fastgd.fit_least_squares(
        X, y, optimizer="gd", lr=0.01, max_iter=3, tol=1e-9, n_iter_no_change=5
    )
    assert result.status == "max_iter"
    assert "the loss still improved by tol=1e-09" in result.message


# --- the adaptive rate ---------------------------------------------------------------


def _plan(n: int, d: int, **over: Any) -> Any:
    kw: dict[str, Any] = dict(
        optimizer="sgd",
        lr=1e-4,
        momentum=None,
        batch_size=None,
        max_iter=2000,
        tol=1e-3,
        fit_intercept=True,
        l2=0.0,
        shuffle=False,
        record=True,
        gradient="stream",
        n_iter_no_change=2,
        adaptive=True,
    )
    kw.update(over)
    return plan_fit(n, d, np.dtype(np.float64), **kw)


def _linear_core(X: np.ndarray, y: np.ndarray, plan: Any) -> dict[str, Any]:
    """fit_linear's core call (squared_error) as fit_linear builds it, from a plan
    that carries the adaptive rule (the estimators' way in)."""
    hyper, _ = plan.rule_settings()
    settings = {
        **plan.core_settings(float(plan.rule.lr), 0, hyper),
        "loss": LOSSES["squared_error"],
        "epsilon": 0.1,
        "alpha": 0.0,
        "l1_ratio": 0.0,
        "accelerate": False,
        "derivative_scale": 1.0,
    }
    return dict(_core.fit_linear(X, y, settings, 1, None))


def _segments(name: str, X, y, lr0: float, lowered: list[int], n_iter: int, batch_size):
    """The same descent run piece by piece without any rule: lr0 until the first
    epoch the oracle lowered it after, lr0 / 5 until the next, ... (plain SGD keeps no
    state, and shuffle=False gives every epoch the same order). Returns (theta, losses)."""
    fit = FITS[name]
    bounds = [0, *lowered, n_iter]
    scale, coef, intercept = 1.0, None, None
    losses: list[float] = []
    for k in range(len(bounds) - 1):
        if k:
            scale /= 5.0
        part = fit(
            X,
            y,
            optimizer="gd" if batch_size is None else "sgd",
            lr=lr0 * scale,
            batch_size=batch_size,
            shuffle=False,
            tol=None,
            max_iter=bounds[k + 1] - bounds[k],
            coef_init=coef,
            intercept_init=intercept,
        )
        coef, intercept = part.coef, part.intercept
        losses.extend(part.losses[1:])
    return np.append(coef, intercept), losses


@pytest.mark.parametrize("name", list(FITS))
@pytest.mark.parametrize("batch_size", [None, 1, 8, 270], ids=str)  # 270: > chunk_rows
def test_adaptive_divides_the_rate_by_5_and_stops_below_1e_6(name, batch_size):
    X, y, _ = make_regression(300, 4, noise=0.5, seed=3)
    lr0 = 1e-4  # 1e-4, 2e-5, 4e-6, 8e-7: three divisions, then the next plateau stops
    plan = _plan(300, 4, lr=lr0, batch_size=batch_size, tol=1e-2)
    if name == "fit_least_squares":
        fit, _ = run_fit(X, y, plan, 0)
        theta = np.append(fit.coef, fit.intercept)
        losses, n_iter, status = list(fit.losses[1:]), fit.n_iter, fit.status
    else:
        out = _linear_core(X, y, plan)
        theta, losses = out["theta"], list(out["losses"][1:])
        n_iter, status = int(out["n_iter"]), out["status"]
    stop, lowered, _ = sklearn_rule(losses, 1e-2, 2, lr0, adaptive=True)
    assert status == "no_improvement"
    assert n_iter == stop
    assert len(lowered) == 3  # 8e-7 is the first rate below 1e-6
    # The descent equals the same steps at lr0, lr0 / 5, lr0 / 25, lr0 / 125.
    expected_theta, expected_losses = _segments(name, X, y, lr0, lowered, n_iter, batch_size)
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-12)
    np.testing.assert_allclose(theta, expected_theta, rtol=1e-12, atol=1e-15)
    # Without the adaptive rate the first plateau stops the fit.
    plain = _plan(300, 4, lr=lr0, batch_size=batch_size, tol=1e-2, adaptive=False)
    if name == "fit_least_squares":
        assert run_fit(X, y, plain, 0)[0].n_iter == lowered[0]
    else:
        assert int(_linear_core(X, y, plain)["n_iter"]) == lowered[0]


def test_adaptive_lowers_the_rate_of_a_schedule_too():
    """The rate used is schedule(t) * the factor: an exponential decay keeps decaying."""
    X, y, _ = make_regression(300, 4, noise=0.5, seed=3)
    sched = schedules.exponential(1e-4, gamma=0.99)
    plan = _plan(300, 4, lr=sched, batch_size=None)
    fit, _ = run_fit(X, y, plan, 0)
    stop, lowered, _ = sklearn_rule(list(fit.losses[1:]), 1e-3, 2, 1e-4, adaptive=True)
    assert fit.n_iter == stop
    assert len(lowered) >= 2
    # Full batch, plain steps: theta_k+1 - theta_k = -lr_k g(theta_k); the rate of each
    # step from the recorded path and the gradient there (NumPy).
    A = np.hstack([X, np.ones((300, 1))])
    rates = []
    for k in range(fit.n_iter):
        theta = fit.path[k]
        g = 2.0 / 300 * A.T @ (A @ theta - y)
        rates.append(float(np.linalg.norm(fit.path[k + 1] - theta) / np.linalg.norm(g)))
    scale = np.ones(fit.n_iter)
    for epoch in lowered:
        scale[epoch:] /= 5.0  # the steps after the epoch it was lowered in
    expected = [sched(t) * scale[t] for t in range(fit.n_iter)]
    np.testing.assert_allclose(rates, expected, rtol=1e-8)


def test_adaptive_needs_the_rule_and_is_a_bool():
    with pytest.raises(ValueError, match=r"adaptive.*needs n_iter_no_change"):
        _plan(10, 2, n_iter_no_change=None)
    with pytest.raises(TypeError, match="adaptive must be True or False"):
        _plan(10, 2, adaptive="yes")


def test_with_lr_scale_scales_every_kind_of_schedule():
    plan = _plan(10, 2)
    for lr in (
        0.3,
        schedules.cosine(0.5, t_max=20, eta_min=0.01),
        schedules.inverse_scaling(0.2, power=0.5),
        schedules.inverse_time(0.1, decay=0.3),
        schedules.step(0.4, step_size=3, gamma=0.5),
        schedules.warmup(schedules.exponential(0.2, gamma=0.9), steps=4, start_factor=0.1),
    ):
        base = _plan(10, 2, lr=lr)
        scaled = base.with_lr_scale(0.04)
        assert base.rule.hyperparameters["lr"] == lr  # the plan it came from is unchanged
        for t in range(30):
            assert scaled.rate_at(t) == pytest.approx(0.04 * base.rate_at(t), rel=1e-12)
    assert plan.with_lr_scale(1.0).rule is not plan.rule


# --- validation ----------------------------------------------------------------------


@pytest.mark.parametrize("name", list(FITS))
@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (0, ValueError, "n_iter_no_change must be >= 1, got 0"),
        (-3, ValueError, "n_iter_no_change must be >= 1, got -3"),
        (True, TypeError, "n_iter_no_change must be an integer, got bool"),
        (2.0, TypeError, "n_iter_no_change must be an integer, got float"),
        ("5", TypeError, "n_iter_no_change must be an integer, got str"),
    ],
)
def test_n_iter_no_change_is_checked(name, value, error, match):
    X, y, _ = make_regression(20, 2)
    X0, y0 = X.copy(), y.copy()
    with pytest.raises(error, match=match):
        FITS[name](X, y, n_iter_no_change=value)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_the_core_reads_the_rule_by_key():
    X, y, _ = make_regression(20, 2)
    plan = _plan(20, 2)
    hyper, _ = plan.rule_settings()
    settings = plan.core_settings(1e-4, 0, hyper)
    assert (settings["n_iter_no_change"], settings["adaptive"]) == (2, True)
    for key in ("n_iter_no_change", "adaptive"):
        missing = dict(settings)
        del missing[key]
        with pytest.raises(ValueError, match=f"the fit settings need '{key}'"):
            _core.fit_least_squares(X, y, missing)
    with pytest.raises(ValueError, match="'n_iter_no_change' must be an integer >= 1"):
        _core.fit_least_squares(X, y, {**settings, "n_iter_no_change": 0})
    with pytest.raises(ValueError, match="'adaptive' needs 'n_iter_no_change'"):
        _core.fit_least_squares(X, y, {**settings, "n_iter_no_change": None})
    with pytest.raises(TypeError, match="'adaptive' must be a bool"):
        _core.fit_least_squares(X, y, {**settings, "adaptive": "yes"})
    # One epoch on part of the rows (a chunk) runs no stopping rule.
    one = plan.one_epoch_on(10)
    assert (one.n_iter_no_change, one.adaptive, one.tol) == (None, False, None)


def test_loss_plateau_class_checks_its_arguments():
    with pytest.raises(ValueError, match="n_iter_no_change must be an integer >= 1"):
        _core.LossPlateau(1e-3, 0)
    with pytest.raises(ValueError, match="tol must be a finite number >= 0"):
        _core.LossPlateau(-1.0, 5)
    with pytest.raises(ValueError, match="tol must be a finite number >= 0"):
        _core.LossPlateau(math.nan, 5)


# --- the chunked fits: the same epoch as in memory -----------------------------------


@pytest.fixture
def on_disk(tmp_path):
    X, y, _ = make_regression(2000, 4, noise=0.5, seed=3)
    path = tmp_path / "X.f64"
    stored = np.memmap(path, dtype=np.float64, mode="w+", shape=X.shape)
    stored[:] = X
    stored.flush()
    del stored
    return np.memmap(path, dtype=np.float64, mode="r", shape=X.shape), X, y


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(optimizer="gd", lr=0.02, gradient="stream"),
        dict(optimizer="momentum", lr=0.005, gradient="gram", l2=0.01),
        dict(optimizer="adam", lr=0.01, gradient="stream"),
    ],
    ids=["gd", "momentum-gram", "adam"],
)
def test_memmap_full_batch_stops_at_the_in_memory_epoch(on_disk, kwargs, monkeypatch):
    X_map, X, y = on_disk
    monkeypatch.setattr(MemmapChunks.__init__, "__defaults__", (4096 * 4,))  # several blocks
    assert len(MemmapChunks(X_map, y).chunk_sizes) > 3
    kw = dict(max_iter=500, tol=1e-4, n_iter_no_change=4, **kwargs)
    here = fastgd.fit_least_squares(X, y, **kw)
    there = fastgd.fit_least_squares(X_map, y, **kw)
    assert here.status == there.status == "no_improvement"
    assert 4 < there.n_iter == here.n_iter < 500
    np.testing.assert_allclose(there.coef, here.coef, rtol=1e-9)
    np.testing.assert_allclose(there.losses, here.losses, rtol=1e-10)


def test_memmap_mini_batches_stop_at_the_in_memory_epoch(on_disk, monkeypatch):
    """Blocks of a multiple of batch_size rows, unshuffled, the state carried: the
    in-memory epoch exactly; both read the full J (recorded)."""
    X_map, X, y = on_disk
    monkeypatch.setattr(MemmapChunks.__init__, "__defaults__", (400 * 4 * 8,))  # 400-row blocks
    kw = dict(
        optimizer="momentum", lr=0.002, batch_size=16, shuffle=False, record=True, max_iter=300
    )
    kw.update(tol=1e-5, n_iter_no_change=3)
    here = fastgd.fit_least_squares(X, y, **kw)
    there = fastgd.fit_least_squares(X_map, y, **kw)
    assert here.status == there.status == "no_improvement"
    assert 3 < there.n_iter == here.n_iter < 300
    np.testing.assert_allclose(there.coef, here.coef, rtol=1e-10)


@pytest.mark.parametrize("batch_size", [None, 16])
def test_memmap_adaptive_equals_in_memory(on_disk, batch_size, monkeypatch):
    X_map, X, y = on_disk
    monkeypatch.setattr(MemmapChunks.__init__, "__defaults__", (400 * 4 * 8,))
    plan = _plan(2000, 4, lr=1e-4, batch_size=batch_size, optimizer="momentum")
    here, _ = run_fit(X, y, plan, 0)
    there = fit_chunked(chunks_of(X_map, y, np.dtype(np.float64)), plan, 0)
    assert here.status == there.status == "no_improvement"
    assert there.n_iter == here.n_iter
    stop, lowered, _ = sklearn_rule(list(there.losses[1:]), 1e-3, 2, 1e-4, adaptive=True)
    assert there.n_iter == stop
    assert len(lowered) == 3
    np.testing.assert_allclose(there.coef, here.coef, rtol=1e-10)
    np.testing.assert_allclose(there.losses, here.losses, rtol=1e-10)


def _dask(X: np.ndarray, y: np.ndarray, chunks: int) -> tuple[Any, Any]:
    da = pytest.importorskip("dask.array")
    rows = -(-X.shape[0] // chunks)
    return da.from_array(X, chunks=(rows, X.shape[1])), da.from_array(y, chunks=rows)


@pytest.mark.parametrize("kwargs", [dict(optimizer="gd", lr=0.02), dict(optimizer="adam", lr=0.01)])
def test_dask_full_batch_stops_at_the_in_memory_epoch(kwargs):
    X, y, _ = make_regression(2000, 4, noise=0.5, seed=3)
    Xd, yd = _dask(X, y, 5)
    kw = dict(max_iter=500, tol=1e-4, n_iter_no_change=4, gradient="stream", **kwargs)
    here = fastgd.fit_least_squares(X, y, **kw)
    there = fastgd.fit_least_squares(Xd, yd, **kw)
    assert here.status == there.status == "no_improvement"
    assert 4 < there.n_iter == here.n_iter < 500
    np.testing.assert_allclose(there.coef, here.coef, rtol=1e-9)


@pytest.mark.parametrize("batch_size", [None, 16])
def test_dask_adaptive_equals_in_memory(batch_size):
    """Full batch over 4 chunks; mini-batches over one chunk (local SGD over one chunk,
    unshuffled plain SGD, is the in-memory epoch)."""
    X, y, _ = make_regression(2000, 4, noise=0.5, seed=3)
    Xd, yd = _dask(X, y, 4 if batch_size is None else 1)
    plan = _plan(2000, 4, lr=1e-4, batch_size=batch_size)
    here, _ = run_fit(X, y, plan, 0)
    there = fit_chunked(chunks_of(Xd, yd, np.dtype(np.float64)), plan, 0)
    assert here.status == there.status == "no_improvement"
    assert there.n_iter == here.n_iter
    _, lowered, _ = sklearn_rule(list(there.losses[1:]), 1e-3, 2, 1e-4, adaptive=True)
    assert len(lowered) == 3
    np.testing.assert_allclose(there.coef, here.coef, rtol=1e-9)
