"""Fits on Dask arrays on a LocalCluster of threads (processes=False, the workers in
this process) with two threads per worker: the same answers as in memory."""

from __future__ import annotations

import time

import numpy as np
import pytest

import fastgd

from .conftest import dask_client, make_regression

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    # In-process comms (no port), the dashboard on a free loopback port.
    with dask_client(threads_per_worker=2, processes=False) as c:
        yield c


def _until_no_actors(client, seconds=10.0):
    """The workers' actor counts once they are all 0, or as they are after a while
    (a worker drops a released actor when the scheduler's message arrives)."""
    deadline = time.monotonic() + seconds
    while True:
        counts = [len(w.state.actors) for w in client.cluster.workers.values()]
        if counts == [0, 0] or time.monotonic() > deadline:
            return counts
        time.sleep(0.05)


@pytest.mark.parametrize(
    "rows",
    [
        pytest.param((500,) * 8, id="even"),
        pytest.param((100, 2500, 1400), id="unbalanced"),
        pytest.param((4000,), id="one-chunk"),
    ],
)
def test_full_batch_equals_the_in_memory_fit(client, rows):
    X, y, _ = make_regression(4000, 6, intercept=1.5)
    dX, dy = da.from_array(X, chunks=(rows, 6)), da.from_array(y, chunks=(rows,))
    kw = dict(optimizer="momentum", lr=0.05, max_iter=30, tol=None, l2=0.1)
    here = fastgd.fit_least_squares(X, y, **kw)
    there = fastgd.fit_least_squares(dX, dy, **kw)
    np.testing.assert_allclose(there.coef, here.coef, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(there.losses, here.losses, rtol=1e-10)
    assert _until_no_actors(client) == [0, 0]


def test_dask_sample_weights_are_read_where_their_chunks_are(client):
    X, y, _ = make_regression(3000, 4)
    sw = np.random.default_rng(3).uniform(0.0, 3.0, len(y))
    dX, dy = da.from_array(X, chunks=(700, 4)), da.from_array(y, chunks=700)
    kw = dict(loss="huber", optimizer="gd", lr="auto", max_iter=25, tol=None)
    here = fastgd.fit_linear(X, y, sample_weight=sw, **kw)
    there = fastgd.fit_linear(dX, dy, sample_weight=da.from_array(sw, chunks=500), **kw)
    np.testing.assert_allclose(there.coef, here.coef, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(there.intercept, here.intercept, rtol=1e-10, atol=1e-12)
