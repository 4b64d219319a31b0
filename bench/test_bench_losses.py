"""Full-batch logistic loss and gradient on dense 10^6 x 32 float64: fastgd.loss_grad's
fused pass against NumPy (X @ w, the sigmoid, X.T @ r), in one group."""

from __future__ import annotations

import numpy as np
import pytest

import fastgd
from fastgd import reference as ref


@pytest.fixture(scope="module")
def logistic_problem():
    rng = np.random.default_rng(0)
    n, d = 1_000_000, 32
    X = rng.standard_normal((n, d))
    y = np.where(X @ rng.standard_normal(d) + 0.5 * rng.standard_normal(n) > 0, 1.0, -1.0)
    w = rng.standard_normal(d) * 0.1
    want = ref.loss_grad(X, y, w, "log_loss", intercept=0.2)
    return X, y, w, want


def numpy_logistic(X, y, w, b):
    """What a NumPy user writes: z = X w + b, sigmoid, X^T r (X read twice)."""
    z = X @ w + b
    m = y * z
    loss = np.mean(np.logaddexp(0.0, -m))
    r = -y / (1.0 + np.exp(m))  # dL/dz = -y sigmoid(-m)
    return loss, X.T @ r / X.shape[0], r.mean()


CONTENDERS = {
    "fastgd": lambda X, y, w: fastgd.loss_grad(X, y, w, loss="log_loss", intercept=0.2),
    "baseline": lambda X, y, w: numpy_logistic(X, y, w, 0.2),
}


@pytest.mark.parametrize("role", list(CONTENDERS))
def test_logistic_loss_grad(benchmark, logistic_problem, role):
    X, y, w, want = logistic_problem
    benchmark.group = f"logistic loss_grad {X.shape[0]}x{X.shape[1]} {X.dtype.name}"
    benchmark.extra_info.update(bytes=X.nbytes, role=role)
    loss, grad, grad_b = benchmark(CONTENDERS[role], X, y, w)
    assert loss == pytest.approx(want[0], rel=1e-9)
    np.testing.assert_allclose(grad, want[1], rtol=1e-9, atol=1e-9 * np.abs(want[1]).max())
    assert grad_b == pytest.approx(want[2], rel=1e-9, abs=1e-12)


@pytest.fixture(scope="module")
def multinomial_problem():
    rng = np.random.default_rng(1)
    n, d, K = 100_000, 784, 10
    X = rng.random((n, d), dtype=np.float32)
    y = rng.integers(0, K, n)
    W = (rng.standard_normal((d, K)) * 0.01).astype(np.float32)
    b = np.zeros(K, np.float32)
    want = ref.multinomial_loss_grad(X, y, W, b)
    return X, y, W, b, want


def numpy_multinomial(X, y, W, b):
    """Softmax loss and gradient as a NumPy user writes it: X @ W, softmax, X.T @ (P - Y)."""
    Z = X @ W + b
    Z -= Z.max(axis=1, keepdims=True)
    P = np.exp(Z)
    S = P.sum(axis=1, keepdims=True)
    P /= S
    rows = np.arange(y.size)
    loss = float(np.mean(np.log(S[:, 0]) - Z[rows, y]))
    P[rows, y] -= 1.0
    return loss, X.T @ P / y.size, P.mean(axis=0)


MULTINOMIAL = {
    "fastgd": lambda X, y, W, b: fastgd.loss_grad(X, y, W, loss="log_loss", intercept=b),
    "baseline": numpy_multinomial,
}


@pytest.mark.parametrize("role", list(MULTINOMIAL))
def test_multinomial_loss_grad(benchmark, multinomial_problem, role):
    X, y, W, b, want = multinomial_problem
    benchmark.group = (
        f"multinomial loss_grad {X.shape[0]}x{X.shape[1]} K={W.shape[1]} {X.dtype.name}"
    )
    benchmark.extra_info.update(bytes=X.nbytes, role=role)
    loss, grad, grad_b = benchmark(MULTINOMIAL[role], X, y, W, b)
    assert loss == pytest.approx(want[0], rel=1e-4)
    np.testing.assert_allclose(grad, want[1], rtol=1e-3, atol=1e-4 * np.abs(want[1]).max())
    np.testing.assert_allclose(grad_b, want[2], rtol=1e-3, atol=1e-4 * np.abs(want[2]).max())
