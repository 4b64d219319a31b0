"""Sparse X (scipy.sparse) through fastgd.loss_grad and fastgd.fit_linear (issue 14,
section 4): CSR read in place, other formats converted once, every loss and penalty,
full batch and mini-batch, the multinomial; equal to the dense path to rounding and
to the NumPy reference (fastgd.reference) on X.toarray()."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import fastgd
from fastgd import _validation as v
from fastgd import reference
from fastgd.losses import LOSSES, REGRESSION_LOSSES

sparse = pytest.importorskip("scipy.sparse")

PENALTIES = [(None, 0.0, 0.15), ("l2", 0.05, 0.15), ("l1", 0.02, 1.0), ("elasticnet", 0.03, 0.4)]


def sparse_problem(
    loss: str,
    n: int = 120,
    d: int = 25,
    density: float = 0.2,
    seed: int = 0,
    dtype: Any = np.float64,
) -> tuple[Any, np.ndarray, np.ndarray]:
    """(X as CSR with an empty row and an empty column, y for the loss, w)."""
    rng = np.random.default_rng(seed)
    # A Generator, not the seed: with a seed scipy samples the positions through the
    # legacy RandomState, 10 s at the thread test's 30000 x 4000 (0.25 s this way).
    X = sparse.random(n, d, density=density, format="csr", random_state=rng, dtype=np.float64)
    X.data = rng.standard_normal(X.nnz)
    # An empty row (3) and a column with no nonzeros (7), zeroed in the CSR arrays
    # (through LIL this took seconds at the thread test's 30000 x 4000).
    row_of = np.repeat(np.arange(n), np.diff(X.indptr))
    X.data[(row_of == 3) | (X.indices == 7)] = 0.0
    X.eliminate_zeros()
    X = X.astype(dtype)
    if loss == "multinomial":
        return X, rng.integers(0, 4, n), rng.standard_normal((d, 4)) / 3
    if loss in REGRESSION_LOSSES:
        y = rng.standard_normal(n) * 2
    else:
        y = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    return X, y, rng.standard_normal(d) / 3


def close(a: Any, b: Any, rtol: float = 1e-12) -> None:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    scale = max(1.0, float(np.abs(b).max(initial=0.0)))
    np.testing.assert_allclose(a, b, rtol=0, atol=rtol * scale)


# --- loss_grad ---------------------------------------------------------------------------


@pytest.mark.parametrize(("penalty", "alpha", "l1_ratio"), PENALTIES, ids=lambda p: str(p))
@pytest.mark.parametrize("loss", list(LOSSES))
def test_loss_grad_equals_dense_and_reference(loss, penalty, alpha, l1_ratio):
    X, y, w = sparse_problem(loss)
    sw = np.random.default_rng(1).random(X.shape[0]) * 2
    rows = np.random.default_rng(2).integers(0, X.shape[0], 50)
    for kw in (dict(), dict(sample_weight=sw), dict(rows=rows), dict(sample_weight=sw, rows=rows)):
        args: dict[str, Any] = dict(
            loss=loss, intercept=0.3, penalty=penalty, alpha=alpha, l1_ratio=l1_ratio, **kw
        )
        got = fastgd.loss_grad(X, y, w, **args)
        dense = fastgd.loss_grad(X.toarray(), y, w, **args)
        ref = reference.loss_grad(
            X.toarray(), y, w, loss, 0.3, alpha if penalty else 0.0,
            0.0 if penalty in (None, "l2") else l1_ratio, kw.get("sample_weight"), kw.get("rows"),
        )  # fmt: skip
        for g, dn, rf in zip(got, dense, ref, strict=True):
            close(g, dn)
            close(g, rf)
        assert got[1].dtype == np.float64
        assert got[1].shape == (X.shape[1],)


@pytest.mark.parametrize(("penalty", "alpha", "l1_ratio"), PENALTIES, ids=lambda p: str(p))
def test_multinomial_loss_grad_equals_dense_and_reference(penalty, alpha, l1_ratio):
    X, y, W = sparse_problem("multinomial")
    b = np.array([0.1, -0.2, 0.3, 0.0])
    sw = np.random.default_rng(3).random(X.shape[0])
    rows = np.random.default_rng(4).integers(0, X.shape[0], 41)
    for kw in (dict(), dict(sample_weight=sw, rows=rows)):
        args: dict[str, Any] = dict(
            loss="log_loss", intercept=b, penalty=penalty, alpha=alpha, l1_ratio=l1_ratio, **kw
        )
        got = fastgd.loss_grad(X, y, W, **args)
        dense = fastgd.loss_grad(X.toarray(), y, W, **args)
        ref = reference.multinomial_loss_grad(
            X.toarray(), y, W, b, alpha if penalty else 0.0,
            0.0 if penalty in (None, "l2") else l1_ratio, kw.get("sample_weight"), kw.get("rows"),
        )  # fmt: skip
        for g, dn, rf in zip(got, dense, ref, strict=True):
            close(g, dn)
            close(g, rf)
        assert got[1].shape == W.shape


@pytest.mark.parametrize("fmt", ["csc", "coo", "lil", "dok", "bsr"])
def test_other_formats_are_converted_and_left_unchanged(fmt):
    X, y, w = sparse_problem("log_loss")
    Xf = X.asformat(fmt)
    before = Xf.copy()
    got = fastgd.loss_grad(Xf, y, w, loss="log_loss", intercept=-0.1)
    want = fastgd.loss_grad(X.toarray(), y, w, loss="log_loss", intercept=-0.1)
    for g, dn in zip(got, want, strict=True):
        close(g, dn)
    assert (Xf != before).nnz == 0
    assert Xf.format == fmt


def test_sparse_arrays_as_well_as_matrices():
    X, y, w = sparse_problem("huber")
    got = fastgd.loss_grad(sparse.csr_array(X), y, w, loss="huber")
    want = fastgd.loss_grad(X.toarray(), y, w, loss="huber")
    close(got[1], want[1])


def test_int64_indices_are_read_as_they_are():
    X, y, w = sparse_problem("squared_hinge")
    X64 = X.copy()
    X64.indices, X64.indptr = X.indices.astype(np.int64), X.indptr.astype(np.int64)
    assert X64.indices.dtype == np.int64
    csr = v.csr_matrix(X64)
    assert csr.indices.dtype == np.int64
    assert np.shares_memory(csr.indices, X64.indices)
    got = fastgd.loss_grad(X64, y, w, loss="squared_hinge")
    want = fastgd.loss_grad(X.toarray(), y, w, loss="squared_hinge")
    for g, dn in zip(got, want, strict=True):
        close(g, dn)
    W = np.random.default_rng(0).standard_normal((X.shape[1], 3))
    lab = np.random.default_rng(1).integers(0, 3, X.shape[0])
    got = fastgd.loss_grad(X64, lab, W, loss="log_loss")
    want = fastgd.loss_grad(X.toarray(), lab, W, loss="log_loss")
    for g, dn in zip(got, want, strict=True):
        close(g, dn)


def test_canonical_csr_is_not_copied():
    X, _, _ = sparse_problem("hinge")
    csr = v.csr_matrix(X)
    assert csr.data is X.data or np.shares_memory(csr.data, X.data)
    assert np.shares_memory(csr.indices, X.indices)
    assert np.shares_memory(csr.indptr, X.indptr)


def test_unsorted_and_duplicate_indices_are_summed_on_a_copy():
    # Row 0 holds column 2 twice (1 + 2 = 3) and unsorted columns; scipy keeps them as given.
    data = np.array([1.0, 5.0, 2.0, 4.0, -1.0])
    indices = np.array([2, 0, 2, 3, 1], dtype=np.int32)
    indptr = np.array([0, 3, 3, 5], dtype=np.int32)
    X = sparse.csr_matrix((data, indices, indptr), shape=(3, 4))
    assert not X.has_canonical_format
    saved = (X.data.copy(), X.indices.copy(), X.indptr.copy())
    dense = np.array([[5.0, 0, 3.0, 0], [0, 0, 0, 0], [0, -1.0, 0, 4.0]])
    y, w = np.array([1.0, -2.0, 0.5]), np.array([0.5, -1.0, 2.0, 0.25])
    for loss in ("squared_error", "epsilon_insensitive"):
        got = fastgd.loss_grad(X, y, w, loss=loss, intercept=0.2)
        ref = reference.loss_grad(dense, y, w, loss, 0.2)
        for g, rf in zip(got, ref, strict=True):
            close(g, rf)
    for a, b in zip((X.data, X.indices, X.indptr), saved, strict=True):
        np.testing.assert_array_equal(a, b)
    fit = fastgd.fit_linear(X, y, optimizer="gd", lr=0.1, max_iter=20, tol=None)
    fit_dense = fastgd.fit_linear(dense, y, optimizer="gd", lr=0.1, max_iter=20, tol=None)
    close(fit.coef, fit_dense.coef)
    for a, b in zip((X.data, X.indices, X.indptr), saved, strict=True):
        np.testing.assert_array_equal(a, b)


def test_float32_stays_float32_and_matches_float64():
    X, y, w = sparse_problem("log_loss", dtype=np.float32)
    assert X.dtype == np.float32
    value, gw, _gb = fastgd.loss_grad(X, y, w, loss="log_loss", intercept=0.1)
    assert gw.dtype == np.float32
    ref = reference.loss_grad(
        X.toarray().astype(np.float64), y, w.astype(np.float32), "log_loss", 0.1
    )
    np.testing.assert_allclose(value, ref[0], rtol=1e-5)
    np.testing.assert_allclose(gw, ref[1], rtol=0, atol=1e-5)
    fit = fastgd.fit_linear(X, y, loss="log_loss", max_iter=30, tol=None)
    assert fit.coef.dtype == np.float32


def test_integer_and_bool_data_become_float64():
    X = sparse.csr_matrix(np.array([[1, 0, 2], [0, 3, 0], [4, 0, 0]], dtype=np.int64))
    y, w = np.array([1.0, 2.0, 3.0]), np.array([0.1, 0.2, 0.3])
    got = fastgd.loss_grad(X, y, w)
    want = fastgd.loss_grad(X.toarray().astype(np.float64), y, w)
    assert got[1].dtype == np.float64
    close(got[1], want[1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("loss", ["squared_error", "log_loss", "hinge", "multinomial"])
def test_bitwise_identical_for_one_and_two_threads(loss, dtype):
    # Large enough for several CSR tasks (work ~ n (nnz per row + 1) over 2^18).
    X, y, w = sparse_problem(loss, n=30000, d=4000, density=0.0125, seed=5, dtype=dtype)
    sw = np.random.default_rng(6).random(X.shape[0])
    name = "log_loss" if loss == "multinomial" else loss
    results, fits = [], []
    for threads in (1, 2):
        fastgd.set_num_threads(threads)
        results.append(
            fastgd.loss_grad(X, y, w, loss=name, sample_weight=sw, penalty="l2", alpha=0.01)
        )
        fits.append(
            fastgd.fit_linear(
                X, y, loss=name, optimizer="gd", lr=0.5, max_iter=3, tol=None, sample_weight=sw
            )
        )
    (a0, a1, a2), (b0, b1, b2) = results
    assert a0 == b0
    assert a1.tobytes() == b1.tobytes()
    assert np.asarray(a2).tobytes() == np.asarray(b2).tobytes()
    assert fits[0].coef.tobytes() == fits[1].coef.tobytes()
    assert fits[0].losses.tobytes() == fits[1].losses.tobytes()


# --- fit_linear --------------------------------------------------------------------------


def both(X: Any, y: np.ndarray, **kw: Any) -> tuple[Any, Any]:
    """The sparse fit and the dense fit of the same settings and seed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # stalled / max_iter warnings: the same in both
        a = fastgd.fit_linear(X, y, random_state=3, **kw)
        b = fastgd.fit_linear(X.toarray(), y, random_state=3, **kw)
    return a, b


def fit_close(a: Any, b: Any, rtol: float = 1e-10) -> None:
    assert a.status == b.status
    assert a.n_iter == b.n_iter
    close(a.coef, b.coef, rtol)
    close(a.intercept, b.intercept, rtol)
    close(a.losses, b.losses, rtol)


@pytest.mark.parametrize(("penalty", "alpha", "l1_ratio"), PENALTIES, ids=lambda p: str(p))
@pytest.mark.parametrize("loss", list(LOSSES))
def test_full_batch_fit_equals_dense(loss, penalty, alpha, l1_ratio):
    X, y, _ = sparse_problem(loss)
    sw = np.random.default_rng(7).random(X.shape[0]) + 0.5
    for kw in (dict(), dict(fit_intercept=False, sample_weight=sw)):
        a, b = both(
            X, y, loss=loss, penalty=penalty, alpha=alpha, l1_ratio=l1_ratio,
            optimizer="gd", lr=0.2, max_iter=40, tol=None, **kw,
        )  # fmt: skip
        fit_close(a, b)
        if kw:
            assert a.intercept == 0.0


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam", "adagrad"])
@pytest.mark.parametrize("loss", ["squared_error", "huber", "log_loss", "modified_huber"])
def test_mini_batch_fit_equals_dense(loss, optimizer):
    X, y, _ = sparse_problem(loss, n=300)
    sw = np.random.default_rng(8).random(X.shape[0])
    a, b = both(
        X, y, loss=loss, penalty="elasticnet", alpha=0.01, l1_ratio=0.3, optimizer=optimizer,
        lr=0.05, batch_size=32, max_iter=8, tol=None, sample_weight=sw,
    )  # fmt: skip
    fit_close(a, b)


@pytest.mark.parametrize("accelerate", [True, False])
def test_fista_lasso_equals_dense_and_converges(accelerate):
    X, y, _ = sparse_problem("squared_error", n=200)
    a, b = both(
        X, y, penalty="l1", alpha=0.05, optimizer="gd", max_iter=3000, accelerate=accelerate
    )
    fit_close(a, b, 1e-9)
    assert a.status == "converged"
    assert (a.coef == 0).any()  # the l1 prox leaves exact zeros
    assert a.coef[7] == 0.0  # the empty column


@pytest.mark.parametrize("batch_size", [None, 16])
def test_multinomial_fit_equals_dense(batch_size):
    X, y, _ = sparse_problem("multinomial", n=200)
    a, b = both(
        X, y, loss="log_loss", penalty="l2", alpha=0.01, lr=0.3, batch_size=batch_size,
        max_iter=15, tol=None,
    )  # fmt: skip
    fit_close(a, b)
    assert a.coef.shape == (X.shape[1], 4)
    assert a.intercept.shape == (4,)


@pytest.mark.parametrize("loss", ["squared_error", "log_loss", "multinomial"])
@pytest.mark.parametrize("batch_size", [None, 20])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_auto_learning_rate_equals_dense(loss, batch_size, fit_intercept):
    X, y, _ = sparse_problem(loss, n=150)
    name = "log_loss" if loss == "multinomial" else loss
    a, b = both(
        X, y, loss=name, lr="auto", batch_size=batch_size, max_iter=10, tol=None,
        fit_intercept=fit_intercept,
    )  # fmt: skip
    np.testing.assert_allclose(a.lr, b.lr, rtol=1e-8)
    close(a.coef, b.coef, 1e-7)


def test_lipschitz_over_csr_is_the_dense_one():
    from fastgd import _core

    X, _, _ = sparse_problem("squared_error", n=300, d=40)
    csr = v.csr_matrix(X)
    for intercept in (True, False):
        L, row_max = _core.csr_lipschitz(*csr[:3], *X.shape, intercept)
        A = np.hstack([X.toarray(), np.ones((300, 1))]) if intercept else X.toarray()
        want = 2.0 / 300 * np.linalg.eigvalsh(A.T @ A).max()
        assert want * (1 - 1e-2) <= L <= want * (1 + 1e-12)  # power iteration: from below
        dense = _core.least_squares_lipschitz(np.ascontiguousarray(A[:, :40]), intercept, 0.0)
        np.testing.assert_allclose(L, dense, rtol=1e-10)  # the same iteration as dense X
        np.testing.assert_allclose(row_max, (X.toarray() ** 2).sum(axis=1).max(), rtol=1e-14)


def test_callback_and_coef_init_with_sparse_x():
    X, y, _ = sparse_problem("huber")
    seen: list[int] = []
    coef0 = np.full(X.shape[1], 0.1)
    a, b = both(
        X, y, loss="huber", lr=0.1, max_iter=5, tol=None, coef_init=coef0, intercept_init=0.5,
        callback=lambda intermediate_result: seen.append(intermediate_result.nit),
    )  # fmt: skip
    fit_close(a, b)
    assert seen == [1, 2, 3, 4, 5] * 2
    np.testing.assert_array_equal(coef0, 0.1)


def test_optimality_uses_column_rms_over_nonzeros():
    X, y, _ = sparse_problem("squared_error", n=200)
    a, b = both(X, y, optimizer="gd", max_iter=5000)
    assert a.status == b.status == "converged"
    np.testing.assert_allclose(a.optimality, b.optimality, rtol=1e-6, atol=1e-14)


# --- bad input ---------------------------------------------------------------------------


def test_nan_in_stored_values_is_refused_and_x_unchanged():
    X, y, w = sparse_problem("squared_error")
    X.data[5] = np.nan
    saved = X.data.copy()
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        fastgd.loss_grad(X, y, w)
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        fastgd.fit_linear(X, y)
    np.testing.assert_array_equal(X.data, saved)


@pytest.mark.parametrize("make", [fastgd.GDClassifier, fastgd.GDRegressor])
def test_estimators_refuse_nan_and_duplicates_that_sum_to_inf(make):
    """The estimators' own input check reads the stored values once; the CSR handed to
    the core is read again only when duplicates were summed (which may overflow)."""
    X, y, _ = sparse_problem("squared_error")
    y = np.where(y > np.median(y), 1.0, -1.0)
    est = make(batch_size=1, max_iter=1, tol=None)
    bad = X.copy()
    bad.data[5] = np.nan
    with pytest.raises(ValueError, match="X contains NaN or infinity in its stored values"):
        est.fit(bad, y)  # fastgd's threaded check, not scikit-learn's
    assert not hasattr(est, "coef_")
    bad.data[5] = np.inf
    with pytest.raises(ValueError, match="X contains NaN or infinity in its stored values"):
        est.partial_fit(bad, y, **({"classes": [-1.0, 1.0]} if make is fastgd.GDClassifier else {}))
    big = sparse.csr_matrix(
        (np.array([1e308, 1e308]), np.array([2, 2]), np.r_[0, np.full(X.shape[0], 2)]),
        shape=X.shape,
    )
    assert not big.has_canonical_format  # the duplicates are summed on a copy: inf
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        est.fit(big, y)
    assert big.nnz == 2  # the caller's matrix unchanged
    assert np.isfinite(big.data).all()


def test_bad_shapes_and_weights_are_named():
    X, y, w = sparse_problem("squared_error")
    n, d = X.shape
    with pytest.raises(ValueError, match=r"w has shape \(3,\) but X has n_features = 25"):
        fastgd.loss_grad(X, y, np.zeros(3))
    with pytest.raises(ValueError, match="y has length 5"):
        fastgd.loss_grad(X, y[:5], w)
    with pytest.raises(ValueError, match="sample_weight must be a 1-D array of 120"):
        fastgd.fit_linear(X, y, sample_weight=np.ones(5))
    sw = np.ones(n)
    sw[3] = -1.0
    with pytest.raises(ValueError, match="sample_weight must be finite and >= 0"):
        fastgd.loss_grad(X, y, w, sample_weight=sw)
    with pytest.raises(ValueError, match="sample_weight must be finite and >= 0"):
        fastgd.fit_linear(X, y, sample_weight=sw)
    assert sw[3] == -1.0
    with pytest.raises(TypeError, match="y is a sparse matrix"):
        fastgd.fit_linear(X, sparse.csr_matrix(y[:, None]))
    with pytest.raises(TypeError, match="sample_weight is a sparse matrix"):
        fastgd.loss_grad(X, y, w, sample_weight=sparse.csr_matrix(np.ones((1, n))))
    with pytest.raises(TypeError, match="X must hold real numbers"):
        fastgd.loss_grad(X.astype(np.complex128), y, w)
    with pytest.raises(ValueError, match="X has no rows"):
        fastgd.fit_linear(sparse.csr_matrix((0, d)), np.zeros(0))


def test_sparse_like_objects_that_are_not_scipy_are_refused():
    class Fake:
        shape = (4, 2)
        ndim = 2

        def tocsr(self) -> Any:
            return self

    with pytest.raises(TypeError, match=r"X looks sparse .* not a scipy.sparse"):
        fastgd.fit_linear(Fake(), np.zeros(4))
    with pytest.raises(TypeError, match=r"X looks sparse .* not a scipy.sparse"):
        fastgd.loss_grad(Fake(), np.zeros(4), np.zeros(2))


def test_core_checks_csr_arrays_before_reading_them():
    from fastgd import _core

    data = np.ones(3)
    y, w = np.zeros(2), np.zeros(4)
    for indices, indptr, match in [
        (
            np.array([0, 9, 1], np.int32),
            np.array([0, 2, 3], np.int32),
            r"X.indices must be in \[0, 4\)",
        ),
        (np.array([0, -1, 1], np.int32), np.array([0, 2, 3], np.int32), r"X.indices must be in"),
        (np.array([0, 1, 1], np.int32), np.array([0, 2, 9], np.int32), "points past the end"),
        (np.array([0, 1, 1], np.int32), np.array([0, 3, 2], np.int32), "non-decreasing"),
        (np.array([0, 1, 1], np.int32), np.array([1, 2, 3], np.int32), "start at 0"),
        (np.array([0, 1, 1], np.int32), np.array([0, 3], np.int32), "n_rows \\+ 1"),
    ]:
        with pytest.raises(ValueError, match=match):
            _core.csr_loss_grad(
                data, indices, indptr, 2, 4, y, w, 0.0, None, None, 0, 0.1, 0.0, 0.0
            )
        with pytest.raises(ValueError, match=match):
            _core.csr_lipschitz(data, indices, indptr, 2, 4, True)


def test_every_instruction_set_reads_csr_rows_alike():
    """The CSR kernels of each dispatch copy (FASTGD_ARCH) against the NumPy reference."""
    import json
    import os
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        import json, numpy as np, scipy.sparse as sp, fastgd
        from fastgd.losses import LOSSES, REGRESSION_LOSSES
        rng = np.random.default_rng(0)
        X = sp.random(1001, 37, density=0.3, format="csr", random_state=1)
        w = rng.standard_normal(37) / 6
        yr = rng.standard_normal(1001); yb = np.sign(rng.standard_normal(1001))
        sw = rng.random(1001)
        out = {"arch": fastgd.simd_arch()}
        for loss in LOSSES:
            y = yr if loss in REGRESSION_LOSSES else yb
            v, g, b = fastgd.loss_grad(X, y, w, loss=loss, intercept=0.1, sample_weight=sw)
            out[loss] = [v, b, *g.tolist()]
        print(json.dumps(out))
        """
    )
    X = sparse.random(1001, 37, density=0.3, format="csr", random_state=1).toarray()
    rng = np.random.default_rng(0)
    w = rng.standard_normal(37) / 6
    yr, yb = rng.standard_normal(1001), np.sign(rng.standard_normal(1001))
    sw = rng.random(1001)
    seen = []
    for arch in ("baseline", "avx2", "avx512"):
        proc = subprocess.run(
            [sys.executable, "-c", code],
            check=False,
            env=dict(os.environ, FASTGD_ARCH=arch),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        out = json.loads(proc.stdout)
        seen.append(out.pop("arch"))
        for loss, values in out.items():
            y = yr if loss in REGRESSION_LOSSES else yb
            want = reference.loss_grad(X, y, w, loss, 0.1, sample_weight=sw)
            close(values[0], want[0])
            close(values[1], want[2])
            close(values[2:], want[1])
    assert "baseline" in seen


def test_csr_arrays_rewritten_by_another_thread_never_crash():
    """The core reads scipy's arrays in place without the GIL: a thread that rewrites
    indices and indptr mid-call gets wrong numbers or a ValueError, never a crash."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        import threading, numpy as np, scipy.sparse as sp, fastgd
        from fastgd import _core
        fastgd.set_num_threads(2)
        X = sp.random(40000, 3000, density=0.01, format="csr", random_state=np.random.default_rng(0))
        data, indices, indptr = X.data, X.indices, X.indptr
        good_i, good_p = indices.copy(), indptr.copy()
        y, w = np.ones(40000), np.ones(3000)
        stop = False
        def vandal():
            rng = np.random.default_rng(1)
            while not stop:
                indices[:] = rng.integers(-2**31, 2**31 - 1, indices.size, dtype=np.int32)
                indptr[1:-1] = rng.integers(0, 2**31 - 1, indptr.size - 2, dtype=np.int32)
                indices[:] = good_i
                indptr[:] = good_p
        t = threading.Thread(target=vandal)
        t.start()
        try:
            for _ in range(20):
                for fn in (lambda: _core.csr_loss_grad(data, indices, indptr, 40000, 3000, y, w, 0.0,
                                                       None, None, 4, 0.1, 0.0, 0.0),
                           lambda: _core.csr_lipschitz(data, indices, indptr, 40000, 3000, True)):
                    try:
                        fn()
                    except ValueError:
                        pass
        finally:
            stop = True
            t.join()
        print("survived")
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        out, err = proc.communicate(timeout=240)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0, err
    assert "survived" in out


@pytest.mark.parametrize("record", [True, False])
def test_mini_batch_stopping_rule_equals_dense(record):
    X, y, _ = sparse_problem("log_loss", n=400)
    a, b = both(X, y, loss="log_loss", lr=0.05, batch_size=32, max_iter=40, tol=1e-3, record=record)
    assert a.status == b.status
    assert a.n_iter == b.n_iter
    close(a.coef, b.coef, 1e-10)
    if record:
        np.testing.assert_allclose(a.optimality, b.optimality, rtol=1e-8)
