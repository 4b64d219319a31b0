"""A numpy.memmap X is streamed in row blocks, its pages released behind the pass:
the same answers as in memory."""

from __future__ import annotations

import numpy as np
import pytest

import fastgd
from fastgd import GDRegressor
from fastgd.chunked import MemmapChunks

from .conftest import make_regression


@pytest.fixture
def on_disk(tmp_path):
    X, y, _ = make_regression(5000, 6, intercept=2.0)
    path = tmp_path / "X.f64"
    stored = np.memmap(path, dtype=np.float64, mode="w+", shape=X.shape)
    stored[:] = X
    stored.flush()
    del stored
    return np.memmap(path, dtype=np.float64, mode="r", shape=X.shape), X, y


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(optimizer="gd", lr="auto", gradient="stream"),
        dict(optimizer="momentum", lr="auto", gradient="gram", l2=0.05),
        dict(optimizer="adam", lr=0.05, gradient="stream"),
    ],
    ids=["gd", "momentum-gram", "adam"],
)
def test_full_batch_on_a_memmap_equals_in_memory(on_disk, kwargs, monkeypatch):
    X_map, X, y = on_disk
    # Small blocks, so that the 5000 rows take several.
    monkeypatch.setattr(MemmapChunks.__init__, "__defaults__", (4096 * 8,))
    kw = dict(max_iter=40, tol=None, **kwargs)
    here = fastgd.fit_least_squares(X, y, **kw)
    there = fastgd.fit_least_squares(X_map, y, **kw)
    assert len(MemmapChunks(X_map, y).chunk_sizes) > 5
    np.testing.assert_allclose(there.coef, here.coef, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(there.losses, here.losses, rtol=1e-10)
    assert there.lr == pytest.approx(here.lr, rel=1e-12)


def test_minibatch_on_a_memmap_carries_the_state_through_the_blocks(on_disk, monkeypatch):
    X_map, X, y = on_disk
    monkeypatch.setattr(MemmapChunks.__init__, "__defaults__", (4096 * 8,))
    fit = fastgd.fit_least_squares(
        X_map, y, optimizer="sgd", lr="auto", batch_size=16, max_iter=4, tol=None, random_state=1
    )
    coef, intercept = fastgd.normal_equations(X, y, fit_intercept=True)
    # SGD at a constant step hovers near the solution, as in memory.
    np.testing.assert_allclose(fit.coef, coef, atol=0.05)
    best = np.mean((X @ coef + intercept - y) ** 2)
    assert fit.losses[-1] < 1.3 * best  # in memory, the same settings end 12% above
    # One block holding every row is the plain in-memory epoch, but for the shuffle seeds.
    monkeypatch.setattr(MemmapChunks.__init__, "__defaults__", (1 << 30,))
    whole = fastgd.fit_least_squares(
        X_map, y, optimizer="adam", lr=0.01, batch_size=16, max_iter=3, tol=None, shuffle=False
    )
    here = fastgd.fit_least_squares(
        X, y, optimizer="adam", lr=0.01, batch_size=16, max_iter=3, tol=None, shuffle=False
    )
    np.testing.assert_allclose(whole.coef, here.coef, rtol=1e-12)


def test_estimator_fits_a_memmap_and_pages_are_released(on_disk):
    X_map, X, y = on_disk
    model = GDRegressor(gradient="stream").fit(X_map, y)
    here = GDRegressor(gradient="stream").fit(X, y)
    np.testing.assert_allclose(model.coef_, here.coef_, rtol=1e-9)
    np.testing.assert_allclose(model.predict(X_map), here.predict(X), rtol=1e-9)
    # The release of a block's pages does not disturb the data.
    chunks = MemmapChunks(X_map, y, block_bytes=4096)
    chunks.map(lambda Xb, yb: None)
    np.testing.assert_array_equal(np.asarray(X_map[:100]), X[:100])


def test_memmap_checks(tmp_path):
    ints = np.memmap(tmp_path / "i.bin", dtype=np.int32, mode="w+", shape=(10, 2))
    with pytest.raises(TypeError, match="float32 or float64"):
        fastgd.fit_least_squares(ints, np.ones(10))
    F = np.memmap(tmp_path / "f.bin", dtype=np.float64, mode="w+", shape=(10, 2), order="F")
    with pytest.raises(ValueError, match="row by row"):
        fastgd.fit_least_squares(F, np.ones(10))
    X = np.memmap(tmp_path / "x.bin", dtype=np.float64, mode="w+", shape=(10, 2))
    X[:] = 1.0
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        fastgd.fit_least_squares(X, np.ones(10))
    with pytest.raises(ValueError, match="y"):
        fastgd.fit_least_squares(X, np.ones(9))
