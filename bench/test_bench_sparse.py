"""Full-batch logistic loss and gradient on a sparse CSR 2*10^5 x 2^18 float64 matrix,
about 60 nonzeros a row (hashing-trick-like: uniform hashed columns, +-1 values times a
term weight; seeded): fastgd.loss_grad's one fused pass over the nonzeros (the CSR
arrays read in place) against scipy.sparse (X @ w, the sigmoid, X.T @ r), in one group.
"""

from __future__ import annotations

import numpy as np
import pytest

import fastgd
from fastgd import reference as ref

sparse = pytest.importorskip("scipy.sparse")


def hashed_csr(n: int, d: int, per_row: float, seed: int):
    """A canonical CSR matrix like a hashing vectorizer's output."""
    rng = np.random.default_rng(seed)
    counts = np.maximum(1, rng.poisson(per_row, n))
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    cols = rng.integers(0, d, int(indptr[-1]), dtype=np.int32)
    vals = rng.choice([-1.0, 1.0], int(indptr[-1])) * rng.exponential(1.0, int(indptr[-1]))
    X = sparse.csr_matrix((vals, cols, indptr.astype(np.int32)), shape=(n, d))
    X.sum_duplicates()  # sorted, unique columns per row: canonical, read in place
    return X


@pytest.fixture(scope="module")
def sparse_logistic_problem():
    n, d = 200_000, 2**18
    X = hashed_csr(n, d, 60.0, seed=0)
    rng = np.random.default_rng(1)
    w_true = rng.standard_normal(d) * 0.1
    y = np.where(X @ w_true + 0.3 * rng.standard_normal(n) > 0, 1.0, -1.0)
    w = rng.standard_normal(d) * 0.05
    return X, y, w


def scipy_logistic(X, y, w, b):
    """What a scipy.sparse user writes: z = X w + b, sigmoid, X^T r (X read twice)."""
    z = X @ w + b
    m = y * z
    loss = np.mean(np.logaddexp(0.0, -m))
    r = -y / (1.0 + np.exp(m))  # dL/dz = -y sigmoid(-m)
    return loss, X.T @ r / X.shape[0], r.mean()


CONTENDERS = {
    "fastgd": lambda X, y, w: fastgd.loss_grad(X, y, w, loss="log_loss", intercept=0.2),
    "baseline": lambda X, y, w: scipy_logistic(X, y, w, 0.2),
}


@pytest.mark.parametrize("role", list(CONTENDERS))
def test_sparse_logistic_loss_grad(benchmark, sparse_logistic_problem, role):
    X, y, w = sparse_logistic_problem
    benchmark.group = (
        f"sparse logistic loss_grad {X.shape[0]}x{X.shape[1]} nnz={X.nnz} {X.dtype.name}"
    )
    nbytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    benchmark.extra_info.update(bytes=nbytes, role=role)
    loss, grad, grad_b = benchmark(CONTENDERS[role], X, y, w)
    want = scipy_logistic(X, y, w, 0.2)
    assert loss == pytest.approx(want[0], rel=1e-9)
    np.testing.assert_allclose(grad, want[1], rtol=1e-9, atol=1e-9 * np.abs(want[1]).max())
    assert grad_b == pytest.approx(want[2], rel=1e-9, abs=1e-12)


def test_oracle_on_a_slice(sparse_logistic_problem):
    """The scipy contender itself against the NumPy reference (on 2000 rows densified)."""
    X, y, w = sparse_logistic_problem
    Xs, ys = X[:2000], y[:2000]
    keep = np.unique(Xs.indices)
    got = scipy_logistic(Xs, ys, w, 0.2)
    want = ref.loss_grad(Xs[:, keep].toarray(), ys, w[keep], "log_loss", intercept=0.2)
    assert got[0] == pytest.approx(want[0], rel=1e-12)
    np.testing.assert_allclose(got[1][keep], want[1], rtol=1e-10, atol=1e-14)
