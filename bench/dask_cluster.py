"""Full-batch GD on Dask arrays on a LocalCluster (2 worker processes, 1 thread each):
fastgd against its own in-memory fit and against dask-glm's gradient_descent.

    pip install ".[dask,bench]" dask-glm && python bench/dask_cluster.py [--rows 4000000]
        [--skip-dask-glm]

X is (rows, 32) float64 in 8 chunks, generated on the workers and persisted there.
Per-iteration time is (time of a fit of N steps - time of a fit of 0 steps) / N, so
the one-off parts (the first pass, task set-up) cancel; medians of --repeats runs.
dask-glm's gradient_descent (family Normal: least squares) is timed for N
iterations divided by N; it is skipped when dask-glm is not installed. The time of
one empty task per worker (what a fastgd step sends: one task per worker thread) is
the floor of a step's fixed cost on the cluster; one per chunk is printed too.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import fastgd


def _median_seconds(fn: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _nothing(chunk: Any) -> None:
    """The empty task of the floor measurement."""


def main() -> None:
    import dask.array as da
    from distributed import Client, LocalCluster, wait

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=4_000_000)
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-dask-glm", action="store_true")
    args = parser.parse_args()
    n, d, steps = args.rows, 32, args.iters

    cluster = LocalCluster(  # loopback, free ports: the scheduler's HTTP server would take :8787
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    )
    client = Client(cluster)
    rng = da.random.RandomState(0)
    X = rng.standard_normal((n, d), chunks=(n // 8, d))
    w = np.random.default_rng(1).standard_normal(d)
    y = X @ w + 0.1 * rng.standard_normal(n, chunks=n // 8)
    X, y = client.persist([X, y])
    wait([X, y])
    # Copies, as a user's own arrays would be: an array gathered from the workers is
    # rebuilt from message bytes, often misaligned, and each fit would copy it first.
    Xn, yn = X.compute().copy(), y.compute().copy()
    print(f"X: {n:,} x {d} float64 ({Xn.nbytes / 2**30:.2f} GiB) in {len(X.chunks[0])} chunks")

    kw: dict[str, Any] = dict(optimizer="gd", lr=0.1, gradient="stream", tol=None)

    def per_step(X_: Any, y_: Any) -> float:
        full = _median_seconds(
            lambda: fastgd.fit_least_squares(X_, y_, max_iter=steps, **kw), args.repeats
        )
        setup = _median_seconds(
            lambda: fastgd.fit_least_squares(X_, y_, max_iter=0, **kw), args.repeats
        )
        return (full - setup) / steps

    fastgd.set_num_threads(2)  # the same two cores the two workers have
    memory = per_step(Xn, yn)
    dask_step = per_step(X, y)
    print(f"fastgd in memory (2 threads):      {1e3 * memory:8.1f} ms per step")
    print(
        f"fastgd on the cluster (2 workers): {1e3 * dask_step:8.1f} ms per step "
        f"({dask_step / memory:.2f}x in-memory)"
    )
    # The floor of a step's fixed cost: one empty task per chunk, sent and gathered.
    chunk_futures = client.compute(list(X.to_delayed().ravel()))
    wait(chunk_futures)
    floor = _median_seconds(
        lambda: client.gather([client.submit(_nothing, f, pure=False) for f in chunk_futures]),
        max(args.repeats, 11),
    )
    print(f"one empty task per chunk:          {1e3 * floor:8.1f} ms per step")
    # What a fastgd step sends: one task per worker thread (each runs its worker's chunks).
    workers = list(client.scheduler_info()["workers"])
    floor = _median_seconds(
        lambda: client.gather(
            [client.submit(_nothing, None, workers=[w], pure=False) for w in workers]
        ),
        max(args.repeats, 11),
    )
    print(f"one empty task per worker:         {1e3 * floor:8.1f} ms per step")
    if args.skip_dask_glm:
        print("dask-glm: skipped (--skip-dask-glm)")
        client.close()
        cluster.close()
        return
    try:
        from dask_glm.algorithms import gradient_descent
        from dask_glm.families import Normal
    except ImportError:
        print("dask-glm: not installed, skipped")
    else:
        glm = (
            _median_seconds(
                lambda: gradient_descent(X, y, max_iter=steps, tol=0.0, family=Normal), args.repeats
            )
            / steps
        )
        print(
            f"dask-glm gradient_descent:         {1e3 * glm:8.1f} ms per step "
            f"(fastgd {glm / dask_step:.2f}x faster)"
        )
    client.close()
    cluster.close()


if __name__ == "__main__":
    main()
