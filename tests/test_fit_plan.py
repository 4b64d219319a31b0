"""The fit plan (fastgd.fit_plan): every decision about how a fit runs, made once
and read by every backend (in memory, memmap, Dask)."""

from __future__ import annotations

import ast
import pathlib

import numpy as np
import pytest

import fastgd

from .conftest import make_plan, make_regression


def test_full_batch_gradient_mode_and_lr_source_are_decided_once():
    plan = make_plan()
    assert (plan.full_batch, plan.gradient, plan.lr_source) == (True, "gram", "given")
    # batch_size >= n is full batch; an explicit mode is kept.
    plan = make_plan(batch_size=1000, gradient="stream", lr="auto")
    assert (plan.full_batch, plan.gradient, plan.lr_source) == (True, "stream", "auto_full_batch")
    plan = make_plan(batch_size=10, lr="auto")
    assert (plan.full_batch, plan.gradient, plan.lr_source) == (False, "batch", "auto_mini_batch")
    # Fewer rows than 2p: the Gram form never pays.
    assert make_plan(n=6, d=4).gradient == "stream"
    # tol=None is a None in the plan, not a -1 sentinel.
    assert make_plan(tol=None).tol is None


def test_the_dtype_rule_is_float_dtype_of_everywhere():
    for dtype, want in ((np.float16, np.float32), (np.float32, np.float32), (np.int64, np.float64)):
        X = np.ones((3, 2), dtype)
        got = fastgd._validation.float_dtype_of(X, "X")
        assert got == want
        assert fastgd.fit_least_squares(X, np.ones(3), lr=0.01, max_iter=1).coef.dtype == want
    assert make_plan(dtype=np.dtype(np.float32)).gtol == 1e-3
    assert make_plan().gtol == 1e-4


def test_a_dask_float16_x_computes_in_float32_as_in_memory():
    da = pytest.importorskip("dask.array")
    X, y, _ = make_regression(120, 3, intercept=0.5)
    X16 = X.astype(np.float16)
    kw = dict(optimizer="gd", lr="auto", gradient="stream", max_iter=30, tol=None)
    here = fastgd.fit_least_squares(X16, y, **kw)
    there = fastgd.fit_least_squares(da.from_array(X16, chunks=(40, 3)), da.from_array(y, 40), **kw)
    assert here.coef.dtype == there.coef.dtype == np.float32
    np.testing.assert_allclose(there.coef, here.coef, rtol=1e-4, atol=1e-5)


def test_one_epoch_on_part_of_the_rows_decides_for_those_rows():
    plan = make_plan(batch_size=64, lr="auto").with_lr(0.1)
    part = plan.one_epoch_on(40)  # a chunk smaller than a batch: full batch there
    assert (part.full_batch, part.max_iter, part.tol, part.record, part.gtol) == (
        True,
        1,
        None,
        False,
        0.0,
    )
    assert part.lr_source == "given"
    assert part.rule.lr == 0.1


def test_auto_lr_is_one_over_l_or_the_expected_smoothness():
    full = make_plan(lr="auto")
    assert full.auto_lr(4.0, 100.0) == 0.25
    mini = make_plan(n=10, batch_size=1, lr="auto")
    assert mini.auto_lr(4.0, 100.0) == pytest.approx(1.0 / 100.0)  # b = 1: L_max
    with pytest.raises(ValueError, match="non-zero X"):
        full.auto_lr(0.0, 0.0)


def test_the_divergence_rule_is_the_cores():
    from fastgd import _core

    assert not _core.fit_diverged(1.0, 1.0, np.zeros(3))
    assert _core.fit_diverged(1e12 + 1e6, 1.0, np.zeros(3))  # above 1e12 max(loss0, 1)
    assert not _core.fit_diverged(1e11, 1e-60, np.zeros(3))
    assert _core.fit_diverged(1.0, 1.0, np.array([0.0, np.nan], np.float32))
    assert _core.fit_diverged(np.inf, 1.0, np.zeros(1))


def test_no_import_inside_a_function_in_the_fit_modules():
    """The import cycle linear_regression <-> chunked is gone: no module-level import
    is dodged inside a function (optional dependencies aside)."""
    root = pathlib.Path(fastgd.__file__).parent
    for name in ("linear_regression", "chunked", "fit_plan", "in_memory", "results"):
        tree = ast.parse((root / f"{name}.py").read_text())
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef):
                for node in ast.walk(fn):
                    if isinstance(node, ast.ImportFrom):
                        assert node.level == 0, f"{name}.{fn.name} imports .{node.module}"
