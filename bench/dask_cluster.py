"""Full-batch GD on Dask arrays on a LocalCluster (2 worker processes, 1 thread each):
fastgd against its own in-memory fit and against dask-glm's gradient_descent.

    pip install ".[dask,bench]" dask-glm && python bench/dask_cluster.py [--rows 4000000]
        [--skip-dask-glm]

X is (rows, 32) float64 in 8 chunks, generated on the workers and persisted there.
Per-iteration time is (time of a fit of N steps - time of a fit of 0 steps) / N, so
the one-off parts (the first pass, the actors' set-up) cancel. The in-memory and the
cluster fits are timed in turns, --repeats of each, the ratio taken turn by turn (the
load of a shared machine drifts between runs); medians.
dask-glm's gradient_descent (family Normal: least squares) is timed for N
iterations divided by N; it is skipped when dask-glm is not installed.

The floors of a step's fixed cost: one empty actor call per worker (what a fastgd
step sends: one call to the actor holding each worker's chunks), one empty task per
worker and per chunk (what it sent before, through the scheduler), and one bare
message to each worker and back (distributed's comm, no actor). Then --steps
calls of a step's work (the chunks' loss and gradient) with each worker timing its
kernels: the wall time of a call, each worker's kernel time (wall and CPU time of
its process: CPU below wall means the worker was waiting for a core), its rows and
fastgd's thread count inside it; the rest of the wall time is the call's overhead.
The load average is printed first and last: the machine has 2 cores, and other
processes on it slow the workers and the in-memory fit unequally.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
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


class _Nothing:
    """The empty actor of the floor measurement."""

    def call(self, theta: Any) -> None:
        return None


def _timed_sums(X: Any, y: Any, w: Any, b: Any) -> tuple[int, int, int, float, float]:
    """A step's work on one chunk (fastgd.chunked._chunk_sums), timed on the worker:
    (worker pid, fastgd threads there, rows, wall seconds, CPU seconds of the process)."""
    from fastgd.chunked import _chunk_sums

    wall, cpu = time.perf_counter(), time.process_time()
    _chunk_sums(X, y, w, b)
    return (
        os.getpid(),
        fastgd.get_num_threads(),
        X.shape[0],
        time.perf_counter() - wall,
        time.process_time() - cpu,
    )


def _load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def _step_breakdown(X: Any, y: Any, d: int, calls: int) -> None:
    """Where a step's time goes: the call's wall time, each worker's kernel time."""
    from fastgd.chunked import DaskChunks

    w = np.random.default_rng(2).standard_normal(d)
    walls, kernel_max, spare = [], [], []
    per_worker: dict[int, list[tuple[int, int, float, float]]] = {}
    with contextlib.closing(DaskChunks(X, y, np.dtype(np.float64))) as chunks:
        chunks.map(_timed_sums, w, 0.0)  # sets the actors up
        for _ in range(calls):
            start = time.perf_counter()
            parts = chunks.map(_timed_sums, w, 0.0)
            walls.append(time.perf_counter() - start)
            step: dict[int, list[float]] = {}
            for pid, threads, rows, wall, cpu in parts:
                total = step.setdefault(pid, [threads, 0, 0.0, 0.0])
                total[1] += rows
                total[2] += wall
                total[3] += cpu
            for pid, (threads, rows, wall, cpu) in step.items():
                per_worker.setdefault(pid, []).append((int(threads), int(rows), wall, cpu))
            kernel_max.append(max(t[2] for t in step.values()))
            spare.append(walls[-1] - kernel_max[-1])
    med = statistics.median
    print(
        f"a step's call ({calls} calls): wall {1e3 * med(walls):.1f} ms median "
        f"(min {1e3 * min(walls):.1f}, max {1e3 * max(walls):.1f}); the busiest worker's "
        f"kernels {1e3 * med(kernel_max):.1f} ms; overhead {1e3 * med(spare):.1f} ms median "
        f"(max {1e3 * max(spare):.1f})"
    )
    for pid, steps in sorted(per_worker.items()):
        wall = [s[2] for s in steps]
        cpu = [s[3] for s in steps]
        print(
            f"  worker pid {pid}: {steps[0][1]:,} rows, fastgd threads {steps[0][0]}, "
            f"kernels {1e3 * med(wall):.1f} ms median (min {1e3 * min(wall):.1f}, max "
            f"{1e3 * max(wall):.1f}), {1e9 * med(wall) / steps[0][1]:.2f} ns per row, "
            f"CPU/wall {sum(cpu) / sum(wall):.2f}: {1e9 * sum(cpu) / len(cpu) / steps[0][1]:.2f} "
            f"ns of CPU per row"
        )


def main() -> None:
    import dask.array as da
    from distributed import Client, LocalCluster, wait

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=4_000_000)
    parser.add_argument("--iters", type=int, default=60)  # with 20, the set-up's spread showed
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
    print(f"load average (1, 5, 15 min): {_load()}")

    kw: dict[str, Any] = dict(optimizer="gd", lr=0.1, gradient="stream", tol=None)

    def per_step(X_: Any, y_: Any, repeats: int = args.repeats) -> float:
        full = _median_seconds(
            lambda: fastgd.fit_least_squares(X_, y_, max_iter=steps, **kw), repeats
        )
        setup = _median_seconds(lambda: fastgd.fit_least_squares(X_, y_, max_iter=0, **kw), repeats)
        return (full - setup) / steps

    fastgd.set_num_threads(2)  # the same two cores the two workers have
    # In turns, so that both see the same load: a ratio per turn, then the medians.
    turns = [(per_step(Xn, yn, 1), per_step(X, y, 1)) for _ in range(args.repeats)]
    memory = statistics.median(m for m, _ in turns)
    dask_step = statistics.median(c for _, c in turns)
    ratios = ", ".join(f"{c / m:.2f}" for m, c in turns)
    print(f"fastgd in memory (2 threads):      {1e3 * memory:8.1f} ms per step")
    print(
        f"fastgd on the cluster (2 workers): {1e3 * dask_step:8.1f} ms per step "
        f"({statistics.median(c / m for m, c in turns):.2f}x in-memory; turn by turn {ratios})"
    )
    fastgd.set_num_threads(1)
    wall, cpu = time.perf_counter(), time.process_time()
    one_thread = per_step(Xn, yn)
    busy = (time.process_time() - cpu) / (time.perf_counter() - wall)
    fastgd.set_num_threads(2)
    print(
        f"fastgd in memory (1 thread):       {1e3 * one_thread:8.1f} ms per step "
        f"({1e9 * one_thread / n:.2f} ns per row, CPU/wall {busy:.2f}: "
        f"{1e9 * one_thread * busy / n:.2f} ns of CPU per row)"
    )
    _step_breakdown(X, y, d, max(steps, 20))
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
    actors = [client.submit(_Nothing, workers=[w], actor=True, pure=False) for w in workers]
    proxies = [a.result() for a in actors]
    theta = np.zeros(d + 1)
    floor = _median_seconds(
        lambda: [call.result() for call in [p.call(theta) for p in proxies]],
        max(args.repeats, 51),
    )
    client.cancel(actors)
    print(f"one empty actor call per worker:   {1e3 * floor:8.1f} ms per step")

    async def identities() -> None:
        await asyncio.gather(*[client.rpc(w).identity() for w in workers])

    floor = _median_seconds(lambda: client.sync(identities), max(args.repeats, 51))
    print(f"one bare message per worker:       {1e3 * floor:8.1f} ms (comm round trip)")
    print(f"load average (1, 5, 15 min): {_load()}")
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
