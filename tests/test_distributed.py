"""Fits on Dask arrays, on a LocalCluster of two worker processes: the same answers
as in memory, the data never gathered to the client."""

from __future__ import annotations

import numpy as np
import pytest

import fastgd
from fastgd import GDRegressor

from .conftest import dask_client, make_regression

da = pytest.importorskip("dask.array")  # the dask extra, in the test extra
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    # Loopback and free ports only (conftest.dask_client).
    with dask_client(threads_per_worker=1, processes=True, host="127.0.0.1") as c:
        yield c


def _dask(X, y, chunks=8):
    rows = -(-X.shape[0] // chunks)
    return da.from_array(X, chunks=(rows, X.shape[1])), da.from_array(y, chunks=rows)


FULL_BATCH = [
    pytest.param(dict(optimizer="gd", lr="auto", gradient="stream"), id="gd-stream-auto"),
    pytest.param(dict(optimizer="gd", lr="auto", gradient="gram"), id="gd-gram-auto"),
    pytest.param(dict(optimizer="momentum", lr=0.05, gradient="stream", l2=0.1), id="momentum-l2"),
    pytest.param(dict(optimizer="adam", lr=0.05, gradient="stream"), id="adam"),
    pytest.param(dict(optimizer="nesterov", lr=0.05, fit_intercept=False), id="nesterov-no-icpt"),
]


@pytest.mark.parametrize("kwargs", FULL_BATCH)
def test_full_batch_equals_the_in_memory_fit(client, kwargs):
    X, y, _ = make_regression(4000, 6, intercept=1.5)
    dX, dy = _dask(X, y)
    kw = dict(max_iter=60, tol=None, **kwargs)
    here = fastgd.fit_least_squares(X, y, **kw)
    there = fastgd.fit_least_squares(dX, dy, **kw)
    assert there.lr == pytest.approx(here.lr, rel=1e-12)
    np.testing.assert_allclose(there.coef, here.coef, rtol=1e-10, atol=1e-12)
    assert there.intercept == pytest.approx(here.intercept, rel=1e-10, abs=1e-12)
    np.testing.assert_allclose(there.losses, here.losses, rtol=1e-10)
    assert (there.status, there.n_iter) == (here.status, here.n_iter)


def test_float32_stays_float32_and_agrees(client):
    X, y, _ = make_regression(3000, 4, dtype=np.float32, intercept=0.5)
    dX, dy = _dask(X, y, chunks=5)
    here = fastgd.fit_least_squares(X, y, optimizer="gd", lr="auto", max_iter=40, tol=None)
    there = fastgd.fit_least_squares(dX, dy, optimizer="gd", lr="auto", max_iter=40, tol=None)
    assert there.coef.dtype == np.float32
    np.testing.assert_allclose(there.coef, here.coef, rtol=1e-4, atol=1e-5)


def test_converges_to_the_analytic_solution_and_stops_by_tol(client):
    X, y, _ = make_regression(5000, 5, intercept=-2.0)
    dX, dy = _dask(X, y)
    fit = fastgd.fit_least_squares(
        dX, dy, optimizer="gd", lr="auto", tol=1e-9, gtol=1e-10, gradient="stream"
    )
    coef, intercept = fastgd.normal_equations(X, y, fit_intercept=True)
    assert fit.status == "converged"
    np.testing.assert_allclose(fit.coef, coef, atol=1e-7)
    assert fit.intercept == pytest.approx(intercept, abs=1e-7)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_minibatch_local_sgd_with_averaging_converges(client, optimizer):
    X, y, _ = make_regression(8000, 5, intercept=1.0, noise=0.1)
    dX, dy = _dask(X, y, chunks=4)
    lr = "auto" if optimizer == "sgd" else 0.01
    fit = fastgd.fit_least_squares(
        dX, dy, optimizer=optimizer, lr=lr, batch_size=32, max_iter=15, tol=None, random_state=0
    )
    coef, intercept = fastgd.normal_equations(X, y, fit_intercept=True)
    assert fit.gradient == "batch"
    assert fit.n_iter == 15
    np.testing.assert_allclose(fit.coef, coef, atol=0.02)
    assert fit.intercept == pytest.approx(intercept, abs=0.02)
    assert fit.losses[-1] < 1.05 * np.mean((X @ coef + intercept - y) ** 2)
    # The same seed, the same rounds: the same answer.
    again = fastgd.fit_least_squares(
        dX, dy, optimizer=optimizer, lr=lr, batch_size=32, max_iter=15, tol=None, random_state=0
    )
    np.testing.assert_array_equal(again.coef, fit.coef)


def test_callback_and_numpy_y_and_init(client):
    X, y, _ = make_regression(2000, 3)
    dX, _ = _dask(X, y)
    seen = []
    fit = fastgd.fit_least_squares(
        dX,
        y,
        optimizer="gd",
        lr=0.1,
        callback=lambda intermediate_result: (
            seen.append(intermediate_result.nit) or intermediate_result.nit == 3
        ),
    )
    assert fit.status == "stopped"
    assert seen == [1, 2, 3]
    coef, intercept = fastgd.normal_equations(X, y, fit_intercept=True)
    warm = fastgd.fit_least_squares(
        dX, y, optimizer="gd", lr=0.1, max_iter=1, coef_init=coef, intercept_init=intercept
    )
    assert warm.losses[0] == pytest.approx(np.mean((X @ coef + intercept - y) ** 2))


def test_bad_dask_input_is_an_error(client):
    X, y, _ = make_regression(1000, 3)
    X[5, 1] = np.nan
    dX, dy = _dask(X, y)
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        fastgd.fit_least_squares(dX, dy)
    X, y, _ = make_regression(1000, 3)
    dX, dy = _dask(X, y)
    with pytest.raises(ValueError, match="n_samples = 1000 but y has 999"):
        fastgd.fit_least_squares(dX, dy[:-1])
    with pytest.raises(TypeError, match="X must be a 2-D Dask array"):
        fastgd.fit_least_squares(X, dy)


def test_gdregressor_on_dask(client):
    X, y, _ = make_regression(4000, 4, intercept=3.0)
    dX, dy = _dask(X, y)
    model = GDRegressor(gradient="stream", max_iter=2000).fit(dX, dy)
    here = GDRegressor(gradient="stream", max_iter=2000).fit(X, y)
    np.testing.assert_allclose(model.coef_, here.coef_, rtol=1e-9)
    assert model.n_features_in_ == 4
    prediction = model.predict(dX)
    assert isinstance(prediction, da.Array)
    np.testing.assert_allclose(prediction.compute(), here.predict(X), rtol=1e-9)
    with pytest.raises(TypeError, match="partial_fit takes in-memory batches"):
        model.partial_fit(dX, dy)
    with pytest.raises(ValueError, match="early_stopping is not available"):
        GDRegressor(early_stopping=True).fit(dX, dy)


def test_chunks_all_on_one_worker_are_spread_and_the_fit_agrees(client):
    """Chunks persisted on one worker are moved (and realigned) to the idle one
    once per fit: every chunk's task runs where its chunk is, the fit unchanged."""
    from fastgd.chunked import DaskChunks

    X, y, _ = make_regression(4000, 6, intercept=1.5)
    first = min(client.scheduler_info()["workers"])
    dX, dy = client.persist(list(_dask(X, y)), workers=[first])
    distributed.wait([dX, dy])
    chunks = DaskChunks(dX, dy, np.dtype(np.float64))
    holders = client.who_has(chunks._parts)
    counts = sorted(
        sum(next(iter(holders[f.key])) == w for f in chunks._parts)
        for w in client.scheduler_info()["workers"]
    )
    assert counts == [4, 4]
    kw = dict(optimizer="gd", lr="auto", max_iter=30, tol=None)
    here = fastgd.fit_least_squares(X, y, **kw)
    there = fastgd.fit_least_squares(dX, dy, **kw)
    np.testing.assert_allclose(there.coef, here.coef, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(there.losses, here.losses, rtol=1e-10)


def _actors_on_workers(client):
    """How many actors each worker holds now."""
    return sorted(client.run(lambda dask_worker: len(dask_worker.state.actors)).values())


def _until_no_actors(client, seconds=10.0):
    """The workers' actor counts once they are all 0, or as they are after a while
    (a worker drops a released actor when the scheduler's message arrives)."""
    import time

    deadline = time.monotonic() + seconds
    while (counts := _actors_on_workers(client)) != [0, 0] and time.monotonic() < deadline:
        time.sleep(0.05)
    return counts


def test_a_step_runs_on_one_actor_per_worker_released_after_the_fit_and_on_errors(client):
    X, y, _ = make_regression(3000, 4, intercept=0.5)
    dX, dy = _dask(X, y)
    during = []

    def look(intermediate_result):
        during.append(_actors_on_workers(client))
        if intermediate_result.nit == 2:
            raise KeyboardInterrupt  # as Ctrl-C in the middle of a fit

    fit = fastgd.fit_least_squares(dX, dy, optimizer="gd", lr=0.1, max_iter=3, tol=None)
    assert fit.n_iter == 3
    assert _until_no_actors(client) == [0, 0]
    with pytest.raises(KeyboardInterrupt):
        fastgd.fit_least_squares(dX, dy, optimizer="gd", lr=0.1, max_iter=5, callback=look)
    assert during == [[1, 1], [1, 1]]
    assert _until_no_actors(client) == [0, 0]
    X[7, 2] = np.nan  # found by the first call on the actors
    with pytest.raises(ValueError, match="X contains NaN"):
        fastgd.fit_linear(*_dask(X, y), loss="huber")
    assert _until_no_actors(client) == [0, 0]


@pytest.mark.parametrize(
    "rows",
    [
        pytest.param((100, 2500, 1400), id="unbalanced"),
        pytest.param((4000,), id="one-chunk-one-worker-idle"),
        pytest.param((300,) * 10 + (1000,), id="more-chunks-than-workers"),
    ],
)
def test_chunk_layouts_give_the_in_memory_fit(client, rows):
    X, y, _ = make_regression(4000, 6, intercept=1.5)
    dX = da.from_array(X, chunks=(rows, 6))
    dy = da.from_array(y, chunks=(rows,))
    kw = dict(optimizer="adam", lr=0.05, max_iter=30, tol=None)
    here = fastgd.fit_least_squares(X, y, **kw)
    there = fastgd.fit_least_squares(dX, dy, **kw)
    np.testing.assert_allclose(there.coef, here.coef, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(there.losses, here.losses, rtol=1e-10)
