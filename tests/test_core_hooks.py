"""issue 12: test hooks live in _core._testing; production checks finiteness with
a properly named _core.all_finite."""

from __future__ import annotations

import numpy as np
import pytest

import fastgd
from fastgd import _core
from fastgd import _validation as v

HOOKS = ("test_function", "stream_sum", "stream_axpy", "permutation")


def test_the_hooks_are_in_the_testing_submodule_only():
    import fastgd._core._testing as testing  # importable by its full name

    assert testing is _core._testing
    for hook in HOOKS:
        assert callable(getattr(_core._testing, hook))
        assert not hasattr(_core, hook)
    assert not hasattr(_core._testing, "all_finite")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(0,), (1,), (7,), (1000, 3), (40, 5, 2), ()])
def test_all_finite_agrees_with_numpy(dtype, shape):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape).astype(dtype)
    assert _core.all_finite(a) is True
    if a.size:
        for bad in (np.nan, np.inf, -np.inf):
            b = a.copy()
            b.flat[a.size // 2] = bad
            assert _core.all_finite(b) is bool(np.isfinite(b).all()) is False


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_all_finite_is_exact_where_the_sum_overflows(dtype):
    big = np.finfo(dtype).max
    a = np.full((300, 4), big, dtype)  # a finite array whose sum is inf
    assert _core.all_finite(a) is True
    a[-1, -1] = np.inf
    assert _core.all_finite(a) is False
    a[-1, -1] = -big  # inf - inf in the sum: NaN, still all finite
    assert _core.all_finite(a) is True


def test_all_finite_gives_the_same_answer_on_any_number_of_threads():
    threads = fastgd.get_num_threads()
    a = np.ones((100_000, 8))
    a[99_999, 7] = np.nan
    try:
        for k in (1, 2, 3):
            fastgd.set_num_threads(k)
            assert _core.all_finite(a) is False
            assert _core.all_finite(a[:99_999]) is True
    finally:
        fastgd.set_num_threads(threads)


@pytest.mark.parametrize(
    "arr",
    [
        np.array([[1.0, np.nan], [np.inf, 2.0]]),
        np.asfortranarray([[1.0, np.nan], [np.inf, 2.0]]),
        np.array([1, 2], dtype=np.float16),
        np.array([1e308, 1e308, np.inf]),
    ],
    ids=["c", "fortran", "float16", "overflow"],
)
def test_require_finite_counts_what_is_not_finite(arr):
    bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
    if bad == 0:
        v.require_finite(arr, "X")
    else:
        with pytest.raises(ValueError, match=f"X contains {bad} NaN or infinite value"):
            v.require_finite(arr, "X")


def test_stream_sum_is_the_sum():
    x = np.arange(12.0).reshape(4, 3)
    assert _core._testing.stream_sum(x) == x.sum()
    assert _core._testing.stream_sum(np.arange(5, dtype=np.float32)) == 10.0


def test_minimize_settings_cross_by_name_and_unknown_keys_are_refused():
    from fastgd.minimize import _settings

    settings = _settings(
        max_iter=5, tol=None, gtol=None, grtol=None, record=True, record_every=1
    ).core()
    rule = fastgd.SGD(lr=0.1)
    x0 = np.array([1.0, 1.0])
    out = _core.minimize_builtin("bowl", x0, rule.kind, rule._core_hyper(), settings, None)
    assert out[2] == 5  # nit
    for extra in ({"max_iters": 5}, {"record": True}):
        with pytest.raises(ValueError, match=f"unknown minimize setting '{next(iter(extra))}'"):
            _core.minimize_builtin(
                "bowl", x0, rule.kind, rule._core_hyper(), {**settings, **extra}, None
            )
