"""The least-squares gradient: fastgd's fused pass against NumPy's X.T @ (X @ w - y),
with a plain read-only sum over X (the bandwidth ceiling) in the same group."""

from __future__ import annotations

import numpy as np
import pytest

import fastgd
from fastgd import _core
from fastgd import reference as ref

from .conftest import regression

SHAPES = [(1_000_000, 32), (200_000, 256), (20_000, 2000)]
DTYPES = [np.float64, np.float32]


@pytest.fixture(
    scope="module",
    params=[(s, dt) for s in SHAPES for dt in DTYPES],
    ids=lambda p: f"{p[0][0]}x{p[0][1]}-{np.dtype(p[1]).name}",
)
def problem(request):
    (n, d), dtype = request.param
    X, y = regression(n, d, dtype)
    w = (np.random.default_rng(1).standard_normal(d) * 0.1).astype(dtype)
    want = ref.least_squares_loss_grad(
        X.astype(np.float64), y.astype(np.float64), w.astype(np.float64)
    )
    return X, y, w, want


def _group(X):
    return f"gradient {X.shape[0]}x{X.shape[1]} {X.dtype.name}"


CONTENDERS = {
    "fastgd": fastgd.least_squares_loss_grad,  # one fused pass over X
    "baseline": ref.least_squares_loss_grad,  # NumPy: X @ w, then X.T @ r
}


@pytest.mark.parametrize("role", list(CONTENDERS))
def test_gradient(benchmark, problem, role):
    X, y, w, want = problem
    benchmark.group = _group(X)
    benchmark.extra_info.update(bytes=X.nbytes, role=role)
    loss, grad = benchmark(CONTENDERS[role], X, y, w)
    rtol = 1e-4 if X.dtype == np.float32 else 1e-9
    assert loss == pytest.approx(want[0], rel=rtol)
    np.testing.assert_allclose(grad, want[1], rtol=rtol, atol=rtol * np.abs(want[1]).max())


def test_read_only_sum(benchmark, problem):
    X, _, _, _ = problem
    benchmark.group = _group(X)
    benchmark.extra_info.update(bytes=X.nbytes, role="ceiling")
    total = benchmark(_core._testing.stream_sum, X)
    assert total == pytest.approx(
        float(X.sum(dtype=np.float64)), rel=1e-6, abs=1e-3 * np.sqrt(X.size)
    )
