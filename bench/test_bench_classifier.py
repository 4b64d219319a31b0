"""One epoch of single-row log-loss SGD against scikit-learn's SGDClassifier, in one
group per data set: dense 10^6 x 32 float64, and a hashing-trick-like CSR of 2*10^5 rows
x 2^18 columns with ~60 nonzeros a row. Both shuffled; scikit-learn's defaults
(penalty="l2", alpha=1e-4, learning_rate="optimal") and GDClassifier with the same
settings (batch_size=1: fastgd.sgd_rows), each through its estimator's fit (input
checks included).

test_sparse_peak_memory runs each fit in a fresh child process and reports the growth of
the resident set during the fit (VmHWM after resetting it, so the data's own pages are
not counted twice): the target is a peak <= 1.2x the bytes of the CSR arrays.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from fastgd import GDClassifier

sklearn_linear = pytest.importorskip("sklearn.linear_model")
ConvergenceWarning = pytest.importorskip("sklearn.exceptions").ConvergenceWarning

ALPHA = 1e-4  # SGDClassifier's default


def hashed_csr(n: int, d: int, per_row: int, seed: int) -> tuple[sp.csr_matrix, np.ndarray]:
    """Rows of ~per_row features hashed into d columns (collisions merged), tf-like
    positive values, and labels from a hidden linear rule."""
    rng = np.random.default_rng(seed)
    cols = np.sort(rng.integers(0, d, (n, per_row), dtype=np.int64), axis=1)
    keep = np.ones_like(cols, dtype=bool)
    keep[:, 1:] = cols[:, 1:] != cols[:, :-1]
    counts = keep.sum(axis=1)
    indptr = np.zeros(n + 1, np.int32)
    np.cumsum(counts, out=indptr[1:])
    indices = cols[keep].astype(np.int32)
    data = rng.exponential(1.0, indices.size)
    X = sp.csr_matrix((data, indices, indptr), shape=(n, d))
    w = rng.standard_normal(d)
    y = np.where(X @ w > 0, 1.0, -1.0)
    return X, y


@pytest.fixture(scope="module")
def dense_problem():
    rng = np.random.default_rng(0)
    n, d = 1_000_000, 32
    X = rng.standard_normal((n, d))
    y = np.where(X @ rng.standard_normal(d) + 0.5 * rng.standard_normal(n) > 0, 1.0, -1.0)
    return X, y


@pytest.fixture(scope="module")
def sparse_problem():
    return hashed_csr(200_000, 2**18, 60, seed=1)


def sklearn_epoch(X, y):
    est = sklearn_linear.SGDClassifier(
        loss="log_loss", max_iter=1, tol=None, shuffle=True, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    return est.coef_[0], est.intercept_[0]


def fastgd_epoch(X, y):
    est = GDClassifier(
        loss="log_loss",
        alpha=ALPHA,
        learning_rate="optimal",
        batch_size=1,
        max_iter=1,
        tol=None,
        shuffle=True,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    return est.coef_[0], est.intercept_[0]


def accuracy(X, y, coef, b) -> float:
    return float(np.mean(np.where(X @ coef + b > 0, 1.0, -1.0) == y))


@pytest.mark.parametrize("role", ["fastgd", "baseline"])
def test_dense_log_loss_epoch(benchmark, dense_problem, role):
    X, y = dense_problem
    benchmark.group = f"single-row log-loss SGD, 1 epoch, dense {X.shape[0]}x{X.shape[1]} float64"
    benchmark.extra_info.update(bytes=X.nbytes, role=role)
    run = (lambda: fastgd_epoch(X, y)) if role == "fastgd" else (lambda: sklearn_epoch(X, y))
    coef, b = benchmark.pedantic(run, rounds=5, iterations=1, warmup_rounds=1)
    # Both are one epoch of the same algorithm in different row orders: both learn the rule.
    assert accuracy(X[:100_000], y[:100_000], coef, b) > 0.85


@pytest.mark.parametrize("role", ["fastgd", "baseline"])
def test_sparse_log_loss_epoch(benchmark, sparse_problem, role):
    X, y = sparse_problem
    nbytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    benchmark.group = f"single-row log-loss SGD, 1 epoch, CSR {X.shape[0]}x{X.shape[1]} nnz={X.nnz}"
    benchmark.extra_info.update(bytes=nbytes, role=role)
    run = (lambda: fastgd_epoch(X, y)) if role == "fastgd" else (lambda: sklearn_epoch(X, y))
    coef, b = benchmark.pedantic(run, rounds=5, iterations=1, warmup_rounds=1)
    assert accuracy(X, y, coef, b) > 0.6  # one pass over 2^18 weights from 2*10^5 rows


CHILD = """
import json, sys, warnings
import numpy as np, scipy.sparse as sp
sys.path.insert(0, sys.argv[3])
from test_bench_classifier import fastgd_epoch, sklearn_epoch
role, path = sys.argv[1], sys.argv[2]
z = np.load(path)
X = sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))
y = z["y"]
def status(key):
    return int([l for l in open("/proc/self/status") if l.startswith(key)][0].split()[1]) * 1024
rss0 = status("VmRSS:")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # resets VmHWM to the current resident set
if role == "fastgd":
    fastgd_epoch(X, y)
else:
    sklearn_epoch(X, y)
print(json.dumps({"rss0": rss0, "peak": status("VmHWM:")}))
"""


@pytest.mark.parametrize("role", ["fastgd", "baseline"])
def test_sparse_peak_memory(sparse_problem, role, record_property):
    X, y = sparse_problem
    nbytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "csr.npz")
        np.savez(
            path, data=X.data, indices=X.indices, indptr=X.indptr, shape=np.array(X.shape), y=y
        )
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, role, path, os.path.dirname(__file__)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            out, err = proc.communicate(timeout=600)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 0, err
    m = json.loads(out.strip().splitlines()[-1])
    growth = m["peak"] - m["rss0"]
    ratio = (nbytes + growth) / nbytes  # the CSR arrays resident, plus what the fit added
    record_property("csr_bytes", nbytes)
    record_property("fit_rss_growth_bytes", growth)
    print(
        f"\n{role}: CSR arrays {nbytes / 2**20:.1f} MiB, RSS growth during the fit "
        f"{growth / 2**20:.1f} MiB, peak / CSR = {ratio:.3f}"
    )
    if role == "fastgd":
        assert ratio <= 1.2
