"""Issue 11 ("Trust") on the least-squares side: "converged" means a first-order
optimality test passed; stable Gram-form losses; mini-batch rows read safely while
another thread writes them; memmaps never lose the caller's edits; memory refused
before it is asked for; clear errors for sparse and odd Dask input; a GDRegressor
shared between threads."""

from __future__ import annotations

import copy
import pickle
import sys
import textwrap
import threading
import warnings

import numpy as np
import pytest

import fastgd
from fastgd import GDRegressor, _core, schedules
from fastgd.chunked import MemmapChunks, fit_chunked
from fastgd.fit_plan import DEFAULT_GTOL

from .conftest import make_plan, make_regression, python_child

# --- the oracle of the optimality test ----------------------------------------------


def optimality_oracle(X, y, coef, intercept, fit_intercept=True, l2=0.0):
    """max_j |g_j| / ((2/n) ||a_j|| max(||y_c||, ||r||) + 2 l2 |theta_j|), in float64 NumPy."""
    X = np.asarray(X, np.float64)
    y = np.asarray(y, np.float64)
    n, d = X.shape
    A = np.hstack([X, np.ones((n, 1))]) if fit_intercept else X
    theta = np.append(np.asarray(coef, np.float64), intercept) if fit_intercept else coef
    r = A @ theta - y
    g = 2.0 / n * (A.T @ r)
    g[:d] += 2 * l2 * theta[:d]
    y_c = y - y.mean() if fit_intercept else y
    Y = max(np.linalg.norm(y_c), np.linalg.norm(r))
    norms = np.linalg.norm(A, axis=0)
    den = 2.0 / n * norms * Y
    den[:d] += 2 * l2 * np.abs(theta[:d])
    keep = norms > 0
    return float(np.max(np.abs(g[keep]) / den[keep], initial=0.0))


def ill_conditioned(n=200, seed=0):
    """Columns scaled 1e4, 1, 1e-2; truth [1, 2, 3] (the issue's example)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3)) * np.array([1e4, 1.0, 1e-2])
    return X, X @ np.array([1.0, 2.0, 3.0])


# --- 1. converged means a first-order optimality test passed -------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(optimizer="gd", lr="auto"),
        dict(optimizer="gd", lr="auto", gradient="gram"),
        dict(optimizer="sgd", lr=1e-300),
        dict(optimizer="adam", lr=1e-12),
        dict(optimizer=fastgd.SGD(lr=schedules.exponential(1e-9, 1e-3))),
        dict(optimizer=fastgd.SGD(lr=schedules.step(1e-9, step_size=1, gamma=1e-3))),
        dict(optimizer="sgd", lr=1e-20, batch_size=20, record=False),
        dict(optimizer="sgd", lr=1e-20, batch_size=20, record=True),
    ],
    ids=["auto", "auto-gram", "lr-1e-300", "adam-1e-12", "exp-decay", "step-decay", "mb", "mb-rec"],
)
def test_a_short_step_far_from_the_optimum_is_stalled_not_converged(kwargs):
    X, y = ill_conditioned()
    _stalls(X, y, kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(optimizer=fastgd.SGD(lr=schedules.exponential(0.1, 1e-3))),
        dict(optimizer=fastgd.SGD(lr=schedules.step(0.1, step_size=2, gamma=1e-4))),
        dict(optimizer=fastgd.SGD(lr=schedules.exponential(0.1, 1e-3)), batch_size=16),
        dict(optimizer="adam", lr=1e-12, gradient="gram"),
    ],
    ids=["exp-decay", "step-decay", "exp-decay-mb", "adam-gram"],
)
def test_a_schedule_decaying_to_zero_stalls_on_ordinary_data(kwargs):
    X, y, _ = make_regression(300, 3, intercept=1.0)
    _stalls(X, y, kwargs)


def _stalls(X, y, kwargs):
    with pytest.warns(fastgd.StalledWarning, match="standardize X") as seen:
        fit = fastgd.fit_least_squares(X, y, random_state=0, **kwargs)
    message = str(seen[0].message)
    for advice in ("momentum", "adam", "normal_equations", "raise lr"):
        assert advice in message.lower()
    assert fit.status == "stalled"
    assert not fit.success
    assert fit.optimality > DEFAULT_GTOL["float64"]
    # The oracle agrees that this is not a minimum.
    assert optimality_oracle(X, y, fit.coef, fit.intercept) > DEFAULT_GTOL["float64"]
    assert fit.optimality == pytest.approx(
        optimality_oracle(X, y, fit.coef, fit.intercept), rel=1e-6
    )


def test_the_ill_conditioned_fit_is_fooled_by_a_plain_gradient_norm_but_not_by_this_test():
    X, y = ill_conditioned()
    with pytest.warns(fastgd.StalledWarning):
        fit = fastgd.fit_least_squares(X, y, optimizer="gd", lr="auto")
    assert fit.n_iter <= 5  # the stopping rule fired at once
    # A gradient norm relative to the one at theta = 0 says "optimal" ...
    A = np.hstack([X, np.ones((len(y), 1))])
    theta = np.append(fit.coef, fit.intercept)
    relative = np.linalg.norm(A.T @ (A @ theta - y)) / np.linalg.norm(A.T @ y)
    assert relative < 1e-6
    # ... while the coefficients are far from [1, 2, 3].
    assert abs(fit.coef[1] - 2.0) > 1.0
    # normal_equations, the advice, solves it.
    coef, _ = fastgd.normal_equations(X, y, fit_intercept=True)
    np.testing.assert_allclose(coef, [1.0, 2.0, 3.0], rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(optimizer="gd", lr="auto", gradient="stream"),
        dict(optimizer="gd", lr="auto", gradient="gram"),
        dict(optimizer="sgd", lr=0.05),
        dict(optimizer="momentum", lr=0.02),
        dict(optimizer="adam", lr=0.02),
        dict(optimizer="sgd", lr=0.01, batch_size=8, record=False),
        dict(optimizer="sgd", lr=0.01, batch_size=8),
    ],
    ids=["gd", "gd-gram", "sgd", "momentum", "adam", "mb", "mb-rec"],
)
def test_ordinary_fits_converge_and_the_reported_measure_is_the_oracles(dtype, kwargs):
    # Noise-free data, so mini-batch SGD converges too.
    X, y, _ = make_regression(400, 4, dtype=dtype, noise=0.0, intercept=1.0)
    fit = fastgd.fit_least_squares(X, y, max_iter=5000, random_state=0, **kwargs)
    gtol = DEFAULT_GTOL[np.dtype(dtype).name]
    assert fit.status == "converged", fit.message
    assert fit.success
    oracle = optimality_oracle(X, y, fit.coef, fit.intercept)
    assert oracle <= gtol * 1.01
    tol = 1e-6 if dtype == np.float64 else 2e-2  # float32 sums vs float64 NumPy
    assert fit.optimality == pytest.approx(oracle, rel=tol, abs=1e-7)
    assert "optimality test passed" in fit.message


def test_the_measure_does_not_change_when_columns_or_y_are_rescaled_or_y_shifted():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((50, 3))
    y = rng.standard_normal(50)
    coef, b = rng.standard_normal(3), 0.3

    def measure(X, y, coef, b):
        A = np.hstack([X, np.ones((50, 1))])
        theta = np.append(coef, b)
        r = A @ theta - y
        g = 2.0 / 50 * (A.T @ r)
        col_sq = np.einsum("ij,ij->j", A, A)
        y_c_sq = float(np.sum((y - y.mean()) ** 2))
        return _core.least_squares_optimality(g, col_sq, theta, 3, 0.0, 50, float(r @ r), y_c_sq)

    base = measure(X, y, coef, b)
    assert base == pytest.approx(optimality_oracle(X, y, coef, b), rel=1e-12)
    s = np.array([1e4, 1.0, 1e-2])
    assert measure(X * s, y, coef / s, b) == pytest.approx(base, rel=1e-9)
    assert measure(X, 1e6 * y, 1e6 * coef, 1e6 * b) == pytest.approx(base, rel=1e-9)
    assert measure(X, y + 1e3, coef, b + 1e3) == pytest.approx(base, rel=1e-6)
    assert 0.0 <= base <= 1.0


def test_the_full_batch_fit_stops_as_soon_as_the_test_passes():
    X, y, _ = make_regression(300, 4, intercept=0.5)
    loose = fastgd.fit_least_squares(X, y, optimizer="sgd", lr=0.05, gtol=1e-2, tol=1e-12)
    tight = fastgd.fit_least_squares(X, y, optimizer="sgd", lr=0.05, gtol=1e-9, tol=1e-12)
    assert loose.status == tight.status == "converged"
    assert loose.n_iter < tight.n_iter
    assert loose.optimality <= 1e-2
    assert tight.optimality <= 1e-9
    # The step before the stop did not pass: it stopped at the first that did.
    before = fastgd.fit_least_squares(
        X, y, optimizer="sgd", lr=0.05, gtol=1e-2, tol=None, max_iter=loose.n_iter - 1
    )
    assert optimality_oracle(X, y, before.coef, before.intercept) > 1e-2
    # The more exact answer is closer to the analytic one.
    coef, _ = fastgd.normal_equations(X, y, fit_intercept=True)
    assert np.abs(tight.coef - coef).max() < np.abs(loose.coef - coef).max()
    assert np.abs(tight.coef - coef).max() < 1e-7


def test_tol_none_runs_exactly_max_iter_epochs():
    X, y, _ = make_regression(200, 3)
    fit = fastgd.fit_least_squares(X, y, optimizer="gd", lr="auto", tol=None, max_iter=37)
    assert fit.n_iter == 37
    assert fit.status == "max_iter"


def test_a_warm_start_at_the_optimum_is_converged_without_a_step():
    X, y, _ = make_regression(200, 3, intercept=2.0)
    coef, intercept = fastgd.normal_equations(X, y, fit_intercept=True)
    fit = fastgd.fit_least_squares(
        X, y, optimizer="gd", lr=0.01, coef_init=coef, intercept_init=intercept
    )
    assert fit.status == "converged"
    assert fit.n_iter == 0
    np.testing.assert_array_equal(fit.coef, coef)


def test_l2_and_no_intercept_and_a_zero_column_are_handled():
    X, y, _ = make_regression(300, 3)
    X = np.column_stack([X, np.zeros(300)])  # a zero column: skipped by the test
    for kw in (dict(l2=0.5), dict(fit_intercept=False), dict(l2=0.1, fit_intercept=False)):
        fit = fastgd.fit_least_squares(X, y, optimizer="gd", lr="auto", tol=1e-12, **kw)
        assert fit.status == "converged", (kw, fit.message)
        icpt = kw.get("fit_intercept", True)
        oracle = optimality_oracle(X, y, fit.coef, fit.intercept, icpt, kw.get("l2", 0.0))
        assert fit.optimality == pytest.approx(oracle, rel=1e-6, abs=1e-12)
        assert oracle <= 1e-4
        # The penalised optimum, by the closed form.
        l2 = kw.get("l2", 0.0)
        A = np.hstack([X, np.ones((300, 1))]) if icpt else X
        P = np.diag([l2] * 4 + ([0.0] if icpt else []))
        theta = np.linalg.lstsq(A.T @ A / 300 + P, A.T @ y / 300, rcond=None)[0]
        np.testing.assert_allclose(fit.coef, theta[:4], atol=1e-3)


@pytest.mark.parametrize("gtol", [-1.0, float("nan"), float("inf")])
def test_gtol_is_checked(gtol):
    X, y, _ = make_regression(50, 2)
    with pytest.raises(ValueError, match="gtol must be a finite number >= 0"):
        fastgd.fit_least_squares(X, y, gtol=gtol)
    with pytest.raises(ValueError, match="gtol"):
        GDRegressor(gtol=gtol).fit(X, y)


def test_the_estimator_says_when_scikit_learns_rule_ended_it():
    """The estimators' tol is scikit-learn's rule (issue 14): an ill-conditioned fit ends
    "no_improvement", not "converged" (the optimality test did not pass), and, as
    scikit-learn, without a warning; fit_least_squares' step rule still says "stalled"."""
    X, y = ill_conditioned()
    model = GDRegressor()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(X, y)
    assert model.status_ == "no_improvement"
    # A well-conditioned fit with a fine tol is converged and warns nothing.
    Xw, yw, _ = make_regression(300, 3, intercept=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.set_params(tol=1e-12, n_iter_no_change=1000).fit(Xw, yw)
    assert model.status_ == "converged"


def test_gtol_is_an_estimator_parameter():
    X, y, _ = make_regression(300, 3, intercept=1.0)
    # n_iter_no_change=1000: scikit-learn's rule out of the way of the optimality test
    loose = GDRegressor(gtol=1e-2, tol=1e-12, n_iter_no_change=1000).fit(X, y)
    tight = GDRegressor(gtol=1e-10, tol=1e-12, n_iter_no_change=1000).fit(X, y)
    assert loose.status_ == tight.status_ == "converged"
    assert loose.n_iter_ < tight.n_iter_
    assert GDRegressor(gtol=1e-3).get_params()["gtol"] == 1e-3


def test_a_huge_max_iter_reserves_nothing():
    X, y, _ = make_regression(100, 3)
    fit = fastgd.fit_least_squares(X, y, optimizer="gd", lr="auto", max_iter=10**12)
    assert fit.status == "converged"
    assert len(fit.losses) == fit.n_iter + 1 < 1000


# --- the chunked fits use the same rule --------------------------------------------


def _memmap(tmp_path, X, name="X.bin", mode="r", offset=0):
    path = tmp_path / name
    with open(path, "wb") as fh:
        fh.write(b"\x00" * offset)
        fh.write(np.ascontiguousarray(X).tobytes())
    return np.memmap(path, dtype=X.dtype, mode=mode, shape=X.shape, offset=offset)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(optimizer="gd", lr="auto", gradient="stream"),
        dict(optimizer="gd", lr="auto", gradient="gram"),
        dict(optimizer="sgd", lr=1e-20),
    ],
    ids=["stream", "gram", "tiny-lr"],
)
def test_a_memmap_fit_stalls_where_the_in_memory_one_does(tmp_path, kwargs):
    X, y = ill_conditioned()
    with pytest.warns(fastgd.StalledWarning):
        here = fastgd.fit_least_squares(X, y, **kwargs)
    with pytest.warns(fastgd.StalledWarning):
        there = fastgd.fit_least_squares(_memmap(tmp_path, X), y, **kwargs)
    assert here.status == there.status == "stalled"
    assert there.optimality == pytest.approx(
        optimality_oracle(X, y, there.coef, there.intercept), rel=1e-6
    )


@pytest.mark.parametrize("gradient", ["stream", "gram"])
def test_a_memmap_fit_converges_and_stops_where_the_in_memory_one_does(tmp_path, gradient):
    X, y, _ = make_regression(2000, 5, intercept=-1.0)
    kw = dict(optimizer="gd", lr="auto", gradient=gradient)
    here = fastgd.fit_least_squares(X, y, **kw)
    there = fastgd.fit_least_squares(_memmap(tmp_path, X), y, **kw)
    assert here.status == there.status == "converged"
    assert here.n_iter == there.n_iter
    assert there.optimality == pytest.approx(here.optimality, rel=1e-6)
    np.testing.assert_allclose(there.coef, here.coef, rtol=1e-9)


def test_a_memmap_minibatch_fit_runs_the_test_once_when_it_stops(tmp_path):
    X, y, _ = make_regression(1000, 3, noise=0.0, intercept=0.5)
    fit = fastgd.fit_least_squares(
        _memmap(tmp_path, X), y, batch_size=10, lr=0.01, record=False, max_iter=500, tol=1e-9
    )
    assert fit.status == "converged"
    assert fit.optimality == pytest.approx(
        optimality_oracle(X, y, fit.coef, fit.intercept), rel=1e-6, abs=1e-12
    )


# --- 2. Gram-form losses do not cancel ---------------------------------------------


def _large_y(n=500, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = 1e7 + X @ np.array([1e-3, -2e-3, 5e-4]) + 1e-3 * rng.standard_normal(n)
    return X, y


def _mse(X, y, coef, intercept):
    r = X.astype(np.float64) @ coef.astype(np.float64) + intercept - y.astype(np.float64)
    return float(np.mean(r**2))


@pytest.mark.parametrize("optimizer", ["gd", "momentum"])
def test_gram_form_losses_for_large_y_match_a_float64_mse(optimizer):
    X, y = _large_y()
    fit = fastgd.fit_least_squares(
        X, y, optimizer=optimizer, lr="auto", gradient="gram", max_iter=3000, tol=1e-7
    )
    true = _mse(X, y, fit.coef, fit.intercept)
    assert 1e-7 < true < 1e-5  # the noise: far below y^2 = 1e14
    assert fit.losses[-1] == pytest.approx(true, rel=1e-6)
    # Every recorded loss is right, not only the last.
    stream = fastgd.fit_least_squares(
        X, y, optimizer=optimizer, lr="auto", gradient="stream", max_iter=3000, tol=1e-7
    )
    n = min(len(stream.losses), len(fit.losses))
    # Both carry the rounding of r = x.w + b - y at y ~ 1e7 (2e-9 on r ~ 2e-3): 1e-5.
    np.testing.assert_allclose(fit.losses[:n], stream.losses[:n], rtol=1e-5)
    assert fit.status == "converged"
    coef, intercept = fastgd.normal_equations(X, y, fit_intercept=True)
    np.testing.assert_allclose(fit.coef, coef, atol=1e-6)
    assert fit.intercept == pytest.approx(intercept, rel=1e-12)


def test_chunked_gram_form_losses_for_large_y_match_a_float64_mse(tmp_path):
    X, y = _large_y()
    fit = fastgd.fit_least_squares(
        _memmap(tmp_path, X), y, optimizer="gd", lr="auto", gradient="gram", tol=1e-12
    )
    true = _mse(X, y, fit.coef, fit.intercept)
    assert fit.losses[-1] == pytest.approx(true, rel=1e-6)


# --- 3. rows rewritten by another thread -------------------------------------------

ROWS_RACE = textwrap.dedent(
    """
    import threading, time
    import numpy as np
    import fastgd
    rng = np.random.default_rng(0)
    n, d, m = 2000, 8, 20000
    X = rng.standard_normal((n, d)); y = rng.standard_normal(n); w = rng.standard_normal(d)
    good = (np.arange(m) * 7919 % n).astype(np.int64)
    bad = good + 10**12  # far out of range: a read there faults
    want = fastgd.least_squares_loss_grad(X, y, w, rows=good)
    r = good.copy()
    stop = False
    def writer():
        while not stop:
            r[:] = bad
            r[:] = good
    t = threading.Thread(target=writer); t.start()
    ok = errors = 0
    end = time.monotonic() + 3.0
    try:
        while time.monotonic() < end:
            try:
                loss, grad = fastgd.least_squares_loss_grad(X, y, w, rows=r)
            except ValueError as exc:
                assert "rows must be in" in str(exc), exc
                errors += 1
                continue
            assert loss == want[0] and np.array_equal(grad, want[1]), "a wrong result"
            ok += 1
    finally:
        stop = True
        t.join()
    print("done", ok, errors, flush=True)
    """
)


def test_rows_rewritten_by_another_thread_never_crash_or_mislead():
    with python_child(ROWS_RACE) as proc:
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, (proc.returncode, err[-2000:])
    done, ok, errors = out.split()
    assert done == "done"
    assert int(ok) + int(errors) > 0


def test_rows_out_of_range_are_refused_inside_the_core():
    # The Python check is the first line; the core checks its own copy too.
    X, y, _ = make_regression(10, 2)
    w = np.zeros(2)
    for bad in ([0, 10], [-1, 0], [2**62]):
        with pytest.raises(ValueError, match="rows must be in"):
            _core.least_squares_loss_grad(X, y, w, np.array(bad, np.int64), True, 0.0)


# --- 4. memmaps never lose the caller's edits --------------------------------------


@pytest.mark.parametrize("mode", ["r", "r+", "c"])
@pytest.mark.parametrize("offset", [0, 24])
def test_a_memmap_is_bitwise_unchanged_by_fits(tmp_path, mode, offset):
    X, y, _ = make_regression(3000, 4, intercept=1.0)
    X_map = _memmap(tmp_path, X, mode=mode, offset=offset)
    if mode != "r":
        X_map[::7, 1] += 1.0  # in-memory edits: the fit must see them, and keep them
    before = np.array(X_map, copy=True)
    fits = []
    for kw in (
        dict(optimizer="gd", lr="auto", gradient="stream", max_iter=20),
        dict(optimizer="gd", lr="auto", gradient="gram", max_iter=20),
        dict(optimizer="sgd", lr=0.01, batch_size=64, max_iter=3),
    ):
        fits.append(fastgd.fit_least_squares(X_map, y, tol=None, random_state=0, **kw))
        np.testing.assert_array_equal(np.asarray(X_map), before)
    # Small blocks, so that pages are handed back between blocks, then checked.
    chunks = MemmapChunks(X_map, y, block_bytes=4096 * 4)
    plan = make_plan(
        3000, X.shape[1], optimizer="gd", lr="auto", max_iter=10, tol=None, gradient="stream"
    )
    blocked = fit_chunked(chunks, plan, 0)
    np.testing.assert_array_equal(np.asarray(X_map), before)
    # The fits used the edited values: equal to the in-memory fit of `before`.
    here = fastgd.fit_least_squares(
        before, y, optimizer="gd", lr="auto", gradient="stream", max_iter=20, tol=None
    )
    np.testing.assert_allclose(fits[0].coef, here.coef, rtol=1e-9)
    np.testing.assert_allclose(
        blocked.coef,
        fastgd.fit_least_squares(
            before, y, optimizer="gd", lr="auto", gradient="stream", max_iter=10, tol=None
        ).coef,
        rtol=1e-9,
    )
    # The file itself is untouched for r and c.
    if mode in ("r", "c"):
        on_disk = np.fromfile(tmp_path / "X.bin", dtype=np.float64, offset=offset).reshape(X.shape)
        np.testing.assert_array_equal(on_disk, X)


def test_only_a_read_only_mapping_has_its_pages_dropped():
    import mmap

    from fastgd.chunked import _page_advice

    assert _page_advice("r") == getattr(mmap, "MADV_DONTNEED", None)
    for mode in ("r+", "c", "w+", None):
        advice = _page_advice(mode)
        assert advice != getattr(mmap, "MADV_DONTNEED", object())
        assert advice in (getattr(mmap, "MADV_PAGEOUT", None), getattr(mmap, "MADV_COLD", None))


# --- 5. memory ------------------------------------------------------------------------


def test_a_gram_form_bigger_than_memory_or_than_x_is_refused_with_the_size():
    X = np.ones((2, 20000))
    y = np.ones(2)
    with pytest.raises(MemoryError, match=r"GiB.*gradient='stream'"):
        fastgd.fit_least_squares(X, y, gradient="gram", lr=0.1)
    with pytest.raises(MemoryError, match="gradient='stream'"):
        GDRegressor(gradient="gram", lr=0.1).fit(X, y)
    # "auto" never picks it there, and "stream" runs.
    fit = fastgd.fit_least_squares(X, y, gradient="auto", lr=1e-6, max_iter=2)
    assert fit.gradient == "stream"


BAD_ALLOC = textwrap.dedent(
    """
    import resource
    import numpy as np
    import fastgd
    from fastgd import _core
    X = np.ones((2, 6000)); y = np.ones(2)
    with open("/proc/self/status") as fh:
        vm = [int(l.split()[1]) * 1024 for l in fh if l.startswith("VmSize:")][0]
    resource.setrlimit(resource.RLIMIT_AS, (vm + 200 * 2**20, resource.RLIM_INFINITY))
    try:
        # The core itself (past the Python check): G alone is 6001^2 doubles = 275 MiB.
        settings = dict(gradient="gram", batch_size=None, lr=0.1, max_iter=5, tol=1e-6,
                        fit_intercept=True, l2=0.0, shuffle="rows", seed=0, record=True,
                        gtol=1e-4, gtol_stop=1e-12, optimizer="sgd", hyperparameters={},
                        n_iter_no_change=None, adaptive=False, verify_x_finite=False)
        _core.fit_least_squares(X, y, settings)
    except MemoryError as exc:
        print("MemoryError", exc, flush=True)
    """
)


@pytest.mark.skipif(
    bool(_core.build_info().get("sanitizers")) or not sys.platform.startswith("linux"),
    reason="RLIMIT_AS and the sanitizers' shadow memory do not mix; /proc is Linux",
)
def test_a_failed_allocation_in_the_core_is_a_memory_error_naming_the_size():
    with python_child(BAD_ALLOC) as proc:
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-2000:]
    assert out.startswith("MemoryError"), (out, err[-2000:])
    assert "Gram form" in out
    assert "MiB" in out
    assert "gradient='stream'" in out


# --- 6. clear errors ---------------------------------------------------------------


def _sparse_inputs():
    X, y, _ = make_regression(30, 3)
    out = []
    try:
        import scipy.sparse as sp

        out.append(sp.csr_matrix(X))
        out.append(sp.csr_array(X))
    except ImportError:
        pass

    class SparseLike:  # anything with tocsr counts, without importing SciPy
        shape = X.shape

        def tocsr(self):
            return self

    out.append(SparseLike())
    return X, y, out


def test_sparse_x_is_refused_clearly_at_every_least_squares_entry_point():
    """The least-squares functions are dense; fit_linear, loss_grad and the estimators
    take scipy.sparse X (tests/test_sparse.py, tests/test_classifier.py)."""
    _X, y, sparse = _sparse_inputs()
    calls = [
        lambda S: fastgd.least_squares_loss_grad(S, y, np.zeros(3)),
        lambda S: fastgd.fit_least_squares(S, y),
        lambda S: fastgd.normal_equations(S, y),
    ]
    for S in sparse:
        for call in calls:
            with pytest.raises(
                TypeError, match=r"sparse matrices are not supported yet; pass X\.toarray\(\)"
            ):
                call(S)


def test_dask_arrays_with_unknown_chunk_sizes_are_fitted():
    da = pytest.importorskip("dask.array")
    X, y, _ = make_regression(600, 3, intercept=1.0)
    keep = X[:, 0] > 0
    dX, dy = da.from_array(X, chunks=(100, 3)), da.from_array(y, chunks=100)
    dXk, dyk = dX[dX[:, 0] > 0], dy[dX[:, 0] > 0]
    assert any(np.isnan(c) for c in dXk.chunks[0])
    import dask

    with dask.config.set(scheduler="synchronous"):
        fit = fastgd.fit_least_squares(dXk, dyk, optimizer="gd", lr="auto", gradient="stream")
        model = GDRegressor(tol=1e-12, n_iter_no_change=1000, gtol=1e-8).fit(dXk, dyk)
    here = fastgd.fit_least_squares(X[keep], y[keep], optimizer="gd", lr="auto", gradient="stream")
    assert fit.status == here.status == "converged"
    np.testing.assert_allclose(fit.coef, here.coef, rtol=1e-9)
    exact, _ = fastgd.normal_equations(X[keep], y[keep])
    np.testing.assert_allclose(model.coef_, exact, rtol=1e-6)


def test_lr_auto_on_an_all_zero_x_is_the_same_error_everywhere(tmp_path):
    X = np.zeros((50, 3))
    y = np.ones(50)
    with pytest.raises(ValueError, match="needs a non-zero X") as here:
        fastgd.fit_least_squares(X, y, lr="auto", fit_intercept=False)
    with pytest.raises(ValueError, match="needs a non-zero X") as mapped:
        fastgd.fit_least_squares(_memmap(tmp_path, X), y, lr="auto", fit_intercept=False)
    assert str(mapped.value) == str(here.value)
    da = pytest.importorskip("dask.array")
    import dask

    with (
        dask.config.set(scheduler="synchronous"),
        pytest.raises(ValueError, match="non-zero X") as there,
    ):
        fastgd.fit_least_squares(
            da.from_array(X, chunks=(10, 3)), y, lr="auto", fit_intercept=False
        )
    assert str(there.value) == str(here.value)


# --- 7. a GDRegressor shared between threads -------------------------------------------


def test_a_shared_estimator_ends_as_some_serial_order_of_the_calls():
    datasets = [make_regression(300, 4, intercept=float(k), seed=k)[:2] for k in range(8)]
    params = dict(optimizer="adam", lr=0.05, max_iter=60, tol=None)
    serial = [GDRegressor(**params).fit(X, y) for X, y in datasets]
    shared = GDRegressor(**params)
    X_probe = datasets[0][0][:20]
    allowed = [m.predict(X_probe) for m in serial]
    seen: list[np.ndarray] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def work(k):
        try:
            barrier.wait()
            for _ in range(3):
                shared.fit(*datasets[k])
                p = shared.predict(X_probe)
                seen.append(p)
                shared.score(*datasets[k])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    # The final state is one whole fit's: coef, intercept, losses, n_iter of one k.
    match = [
        k
        for k, m in enumerate(serial)
        if np.array_equal(shared.coef_, m.coef_)
        and shared.intercept_ == m.intercept_
        and np.array_equal(shared.loss_curve_, m.loss_curve_)
    ]
    assert len(match) == 1
    # Every prediction was one of the whole fits' (never a mix of two).
    for p in seen:
        assert any(np.array_equal(p, a) for a in allowed)


def test_a_shared_estimator_partial_fits_as_a_serial_order():
    X, y, _ = make_regression(200, 3, intercept=1.0)
    kw = dict(optimizer="adam", lr=0.05, batch_size=16, shuffle=False)
    serial = GDRegressor(**kw)
    for _ in range(8):
        serial.partial_fit(X, y)
    shared = GDRegressor(**kw)
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def work():
        try:
            barrier.wait()
            shared.partial_fit(X, y)
            shared.predict(X[:5])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    np.testing.assert_array_equal(shared.coef_, serial.coef_)
    assert shared.intercept_ == serial.intercept_
    assert shared.n_iter_ == 8


def test_the_lock_is_not_a_parameter_and_copies_keep_working():
    X, y, _ = make_regression(100, 3)
    model = GDRegressor(max_iter=5, tol=None).fit(X, y)
    assert "_call_lock" in model.__dict__  # made by fit
    assert all("lock" not in name for name in model.get_params())
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
    deep = copy.deepcopy(model)
    np.testing.assert_array_equal(deep.predict(X), model.predict(X))
    assert deep._lock() is not model._lock()
    sklearn_base = pytest.importorskip("sklearn.base")
    cloned = sklearn_base.clone(model)
    assert "_call_lock" not in cloned.__dict__
    cloned.fit(X, y)
    np.testing.assert_array_equal(cloned.coef_, model.coef_)


def test_a_callback_may_use_the_estimator_it_runs_in():
    X, y, _ = make_regression(100, 3)
    model = GDRegressor(max_iter=3, tol=None)
    seen = []
    model.set_params(callback=lambda intermediate_result: seen.append(hasattr(model, "coef_")))
    model.fit(X, y)  # the lock is reentrant: no deadlock
    model.set_params(callback=lambda intermediate_result: seen.append(model.predict(X[:2]).shape))
    model.fit(X, y)
    assert seen[-1] == (2,)


def test_with_the_default_gtol_a_small_tol_still_buys_its_digits():
    X, y, _ = make_regression(400, 5, intercept=1.5)
    coef, intercept = fastgd.normal_equations(X, y, fit_intercept=True)
    fit = fastgd.fit_least_squares(X, y, optimizer="gd", lr="auto", tol=1e-10)
    assert fit.status == "converged"
    # It did not stop at the default gtol (1e-4) but ran on to the short step.
    assert fit.optimality < 1e-8
    np.testing.assert_allclose(fit.coef, coef, atol=1e-8)
    assert fit.intercept == pytest.approx(intercept, abs=1e-8)


def test_a_tol_too_small_for_float32_ends_at_the_rounding_floor_not_at_max_iter():
    X, y, _ = make_regression(400, 3, dtype=np.float32, intercept=1.0)
    fit = fastgd.fit_least_squares(
        X, y, optimizer="gd", lr="auto", tol=1e-30, max_iter=100_000, gradient="stream"
    )
    assert fit.status == "converged"
    assert fit.n_iter < 100_000
    assert fit.optimality <= fastgd.linear_regression.DEFAULT_GTOL_STOP["float32"]
    assert optimality_oracle(X, y, fit.coef, fit.intercept) < 1e-5
