"""Linear regression over row chunks: Dask arrays on a cluster, memmaps on one machine.

fit_least_squares and GDRegressor send here what should not (or cannot) be one
array in memory:

- a Dask array (the ``dask`` extra): the chunks stay on the workers, which compute
  each chunk's part with the C++ kernels; the client adds the parts and steps, so X
  is never gathered. Whatever scheduler is active runs the tasks: a
  ``dask.distributed.Client`` when one exists, else Dask's default (threads).
- a ``numpy.memmap`` (a file bigger than memory): row blocks of about 64 MB are read
  through the fused kernel one after the other, and each block's pages are handed
  back to the OS once used where no data can be lost (a read-only mapping, mode "r"),
  so resident memory stays near one block; other modes only mark them for reclaim
  (an edited copy-on-write page is never thrown away).

The schemes:

- Full batch, ``gradient="stream"``: every step, each chunk returns its squared
  residual sum and gradient sum (one fused pass); the sums are added and the rule
  steps. The result equals the in-memory fit up to float rounding (the sums are
  added in another order); lr="auto" is found by the same power iteration.
- Full batch, ``gradient="gram"``: one pass adds up X^T X and X^T y over the chunks;
  the descent then costs O(d^2) a step.
- Mini-batches on Dask: local SGD with parameter averaging. Each round every chunk
  runs one epoch of mini-batch steps from the current parameters, with a fresh
  optimizer state and its own shuffle; the new parameters are the chunks' results
  averaged with weights n_chunk / n. ``max_iter`` counts rounds.
- Mini-batches on a memmap: each epoch visits the blocks in order and runs the
  mini-batch steps of each block (shuffled within the block), the parameters and
  the optimizer state carried from block to block.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _core
from . import _validation as v
from .fit_plan import FitPlan, check_gram_memory
from .in_memory import OptimizerState, run_fit
from .least_squares import least_squares_loss_grad
from .results import FitResult, fit_message, path_of
from .theta import pack, unpack


@dataclass
class _Stats:
    """Sums over all rows, added up from the chunks: what the Gram form, lr="auto",
    the intercept's gradient and the optimality test need."""

    n: int
    colsum: np.ndarray  # sum of the rows of X
    ysum: float
    yy: float  # sum of y^2
    max_row_sq: float  # max ||x_i||^2
    xtx: np.ndarray | None  # X^T X (when asked for)
    xty: np.ndarray | None
    col_sq: np.ndarray  # squared column norms of X
    y_m2: float  # sum (y - mean y)^2, combined stably from the chunks

    def col_sq_of_a(self, fit_intercept: bool) -> np.ndarray:
        """Squared column norms of A = [X, 1] (or X)."""
        return np.append(self.col_sq, float(self.n)) if fit_intercept else self.col_sq

    def y_c_sq(self, fit_intercept: bool) -> float:
        """||y_c||^2 of the optimality test: y centred with an intercept, else y."""
        return self.y_m2 if fit_intercept else self.yy


def _chunk_stats(X: np.ndarray, y: np.ndarray, gram: bool) -> dict[str, Any]:
    X64 = X.astype(np.float64, copy=False)
    y64 = y.astype(np.float64, copy=False)
    y_mean = float(y64.mean()) if y64.size else 0.0
    # The C++ pass, not BLAS: BLAS splits its sums by the threads it happens to get,
    # so the same fit run twice on a cluster could differ in the last bit.
    xtx, xty, _ = (
        _core.least_squares_gram(v.contiguous(X), v.contiguous(y, X.dtype)) if gram else (None,) * 3
    )
    return dict(
        n=X.shape[0],
        finite_x=bool(np.isfinite(X).all()),
        finite_y=bool(np.isfinite(y).all()),
        colsum=X64.sum(axis=0),
        col_sq=np.einsum("ij,ij->j", X64, X64),
        ysum=float(y64.sum()),
        yy=float(np.sum(y64 * y64)),
        y_mean=y_mean,
        y_m2=float(np.sum((y64 - y_mean) ** 2)),
        max_row_sq=float(np.einsum("ij,ij->i", X64, X64).max(initial=0.0)),
        xtx=xtx,
        xty=xty,
    )


def _combined_m2(parts: list[dict[str, Any]]) -> float:
    """sum (y - mean)^2 over all chunks from each chunk's count, mean and M2 (Chan
    et al.): no sum(y^2) - n mean^2, which cancels when y ~ 1e7."""
    n, mean, m2 = 0, 0.0, 0.0
    for part in parts:
        k = part["n"]
        if k == 0:
            continue
        delta = part["y_mean"] - mean
        total = n + k
        m2 += part["y_m2"] + delta * delta * n * k / total
        mean += delta * k / total
        n = total
    return m2


def _chunk_sums(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float | None
) -> tuple[float, np.ndarray]:
    """||X w + b - y||^2 and 2 A^T (X w + b - y) over one chunk, the intercept's part
    last when b is not None (one fused C++ pass)."""
    loss, grad = least_squares_loss_grad(X, y, w, reduction="sum", intercept=b)
    return loss, grad.astype(np.float64)


def _chunk_epoch(
    X: np.ndarray, y: np.ndarray, plan: FitPlan, theta: np.ndarray, seed: int
) -> np.ndarray:
    """One local epoch of mini-batch steps on a chunk, from theta, with a fresh state."""
    fit, _ = run_fit(
        v.contiguous(X), v.contiguous(y), plan.one_epoch_on(X.shape[0]), seed, theta0=theta
    )
    return pack(fit.coef, fit.intercept, plan.fit_intercept, theta.dtype)


def _seed(seed: int, epoch: int, chunk: int) -> int:
    """A different shuffle for every (epoch, chunk)."""
    return (seed + (epoch * 1009 + chunk + 1) * 0x9E3779B97F4A7C15) % 2**64


class Chunks:
    """Row chunks of X and y, and the per-chunk work of a fit."""

    dtype: np.dtype[Any]
    n: int
    d: int
    chunk_sizes: list[int]

    def map(
        self, fn: Callable[..., Any], *args: Any, per_chunk: list[Any] | None = None
    ) -> list[Any]:
        """[fn(X_chunk, y_chunk, *args[, per_chunk[k]]) for each chunk k]."""
        raise NotImplementedError

    def minibatch_epoch(
        self, plan: FitPlan, theta: np.ndarray, seed: int, epoch: int
    ) -> np.ndarray:
        """theta after one epoch of mini-batch steps over all chunks (plan: the whole
        fit's, its learning rate fixed)."""
        raise NotImplementedError

    def steps_taken(self) -> int:
        """The rule's steps so far in mini-batch epochs, which a schedule is read at:
        0 here (Dask's rounds start every chunk's rule afresh)."""
        return 0

    def close(self) -> None:
        """Let go of what the fit set up on the cluster (nothing here)."""

    def stats(self, gram: bool) -> _Stats:
        parts = self.map(_chunk_stats, gram)
        if not all(p["finite_x"] for p in parts):
            raise ValueError("X contains NaN or infinity")
        if not all(p["finite_y"] for p in parts):
            raise ValueError("y contains NaN or infinity")
        return _Stats(
            n=sum(p["n"] for p in parts),
            colsum=np.sum([p["colsum"] for p in parts], axis=0),
            ysum=sum(p["ysum"] for p in parts),
            yy=sum(p["yy"] for p in parts),
            max_row_sq=max(p["max_row_sq"] for p in parts),
            xtx=np.sum([p["xtx"] for p in parts], axis=0) if gram else None,
            xty=np.sum([p["xty"] for p in parts], axis=0) if gram else None,
            col_sq=np.sum([p["col_sq"] for p in parts], axis=0),
            y_m2=_combined_m2(parts),
        )


class DaskChunks(Chunks):
    """A Dask array's row chunks, each held as one (X_k, y_k) pair, aligned and
    C-contiguous, where the fit computes on it.

    With a ``dask.distributed`` client the pairs are futures on the workers, and
    each worker's pairs are held for the fit by one Dask actor there
    (_WorkerChunks, the futures' data: nothing is copied; a chunk that arrived
    misaligned from another worker was copied once, here). A call sends one message
    to each actor and waits for its reply: the scheduler, whose round trip is the
    floor of a task, is not on the way (on two loaded cores an empty task per worker
    took 21-100 ms, an empty actor call per worker 3-27 ms in the same runs;
    bench/dask_cluster.py prints both). The actors are set up by the first call and
    let go by ``close()``. Without a client the pairs are computed into this process
    and the active scheduler (threads by default) runs the calls."""

    def __init__(self, X: Any, y: Any, dtype: np.dtype[Any]) -> None:
        import dask
        import dask.array as da

        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features), got {X.ndim} dimensions")
        if X.dtype != dtype:  # the plan's dtype (_validation.float_dtype_of)
            X = X.astype(dtype)
        X = _known_chunks(X, "X")
        X = X.rechunk({1: -1})  # whole rows in every chunk
        if v.is_dask_array(y):
            if y.ndim != 1:
                raise ValueError(f"y must be 1-D, got {y.ndim} dimensions")
            y = _known_chunks(y, "y")
        else:
            y = da.from_array(_vector(y))
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"X has n_samples = {X.shape[0]} but y has {y.shape[0]} values")
        y = y.astype(X.dtype).rechunk((X.chunks[0],))
        self.dtype = np.dtype(X.dtype)
        self.n, self.d = int(X.shape[0]), int(X.shape[1])
        if self.n == 0:
            raise ValueError("X has no rows (n_samples = 0)")
        self.chunk_sizes = [int(c) for c in X.chunks[0]]
        pair = dask.delayed(_aligned_pair, pure=True)
        pairs = [
            pair(xp, yp)
            for xp, yp in zip(X.to_delayed().ravel(), y.to_delayed().ravel(), strict=True)
        ]
        self._client = _distributed_client()
        self._parts: list[Any] = self._held(pairs)
        self._owner: list[str | None] = []  # each chunk's worker
        self._groups: dict[str | None, tuple[list[int], list[tuple[list[int], int]]]] = {}
        # The actors' futures, each with its worker's chunk indices, and the actors.
        self._actor_futures: list[tuple[Any, list[int]]] = []
        self._actors: list[tuple[Any, list[int]]] = []
        if self._client is not None:
            self._balance()
            self._groups = self._worker_groups()

    def _held(self, parts: list[Any]) -> list[Any]:
        """Delayed per-chunk values, computed once and kept: futures on the cluster,
        else values in this process."""
        import dask

        if self._client is None:
            return list(dask.compute(*parts))
        from distributed import wait

        futures = self._client.compute(parts)
        wait(futures)
        return list(futures)

    def parts_of(self, a: Any) -> list[Any]:
        """A 1-D Dask array split like the rows (aligned, C-contiguous), held where
        the chunks are computed on: what ``map``'s ``per_chunk`` takes."""
        import dask

        part = dask.delayed(v.contiguous, pure=True)
        a = a.rechunk((tuple(self.chunk_sizes),))
        parts = self._held([part(p) for p in a.to_delayed().ravel()])
        if self._client is None:
            return parts
        from distributed import wait

        # On its chunk's worker, where that worker's actor reads it (_WorkerChunks.run).
        holders = self._client.who_has(parts)
        for k, (f, owner) in enumerate(zip(parts, self._owner, strict=True)):
            if owner is not None and owner not in holders.get(f.key, ()):
                parts[k] = self._client.submit(v.contiguous, f, workers=[owner], pure=False)
        wait(parts)
        return parts

    def _balance(self) -> None:
        """Move chunks from workers holding more than their share (rows in proportion
        to their threads, counted in chunks) to those holding less, once per fit: a
        step lasts as long as the busiest worker. A moved chunk is copied aligned
        where it arrives (by the task that pulls it there)."""
        assert self._client is not None
        holders = self._client.who_has(self._parts)
        nthreads = {
            w: int(info["nthreads"])
            for w, info in self._client.scheduler_info(n_workers=-1)["workers"].items()
        }
        if len(nthreads) < 2:
            return
        owner = [next(iter(holders.get(f.key, ())), None) for f in self._parts]
        total = sum(nthreads.values())
        share = {w: len(owner) * t / total for w, t in nthreads.items()}
        count = {w: owner.count(w) for w in nthreads}
        for k, w in enumerate(owner):
            if w not in count or count[w] <= math.ceil(share[w]):
                continue
            target = min(nthreads, key=lambda u: count[u] - share[u])
            if count[target] + 1 > math.ceil(share[target]):
                continue
            self._parts[k] = self._client.submit(
                _aligned_pair, self._parts[k], workers=[target], pure=False
            )
            count[w] -= 1
            count[target] += 1
        from distributed import wait

        wait(self._parts)

    def _worker_groups(self) -> dict[str | None, tuple[list[int], list[tuple[list[int], int]]]]:
        """Each worker's chunk indices, and how its actor runs them: split into as many
        groups as the worker has threads (at most one per chunk), given as positions
        in its chunks, the groups side by side with the worker's threads shared among
        them, so the kernels do not outnumber the worker's threads."""
        assert self._client is not None
        holders = self._client.who_has(self._parts)
        workers = self._client.scheduler_info(n_workers=-1)["workers"]
        self._owner = [next(iter(holders.get(f.key, ())), None) for f in self._parts]
        by_worker: dict[str | None, list[int]] = {}
        for k, worker in enumerate(self._owner):
            by_worker.setdefault(worker, []).append(k)
        groups = {}
        for worker, held in by_worker.items():
            nthreads = int(workers[worker]["nthreads"]) if worker in workers else 1
            count = min(nthreads, len(held))
            threads = max(1, nthreads // count)
            groups[worker] = (
                held,
                [(list(range(g, len(held), count)), threads) for g in range(count)],
            )
        return groups

    def _worker_actors(self) -> list[tuple[Any, list[int]]]:
        """The actor of each worker holding chunks, with its chunk indices: set up by
        the first call of the fit (next to its chunks), let go by close()."""
        if self._actors:
            return self._actors
        assert self._client is not None
        pid = os.getpid()
        for worker, (held, groups) in self._groups.items():
            where: dict[str, Any] = {} if worker is None else dict(workers=[worker])
            future = self._client.submit(
                _WorkerChunks,
                [self._parts[k] for k in held],
                groups,
                pid,
                actor=True,
                pure=False,
                **where,
            )
            self._actor_futures.append((future, held))
        self._actors = [(f.result(), held) for f, held in self._actor_futures]
        return self._actors

    def close(self) -> None:
        """Let go of the actors: their workers drop them (the chunks stay until this
        object goes)."""
        futures = [f for f, _ in self._actor_futures]
        self._actor_futures, self._actors = [], []
        if futures:
            assert self._client is not None
            self._client.cancel(futures)

    def map(
        self, fn: Callable[..., Any], *args: Any, per_chunk: list[Any] | None = None
    ) -> list[Any]:
        extra: list[list[Any]] = [
            [] if per_chunk is None else [per_chunk[k]] for k in range(len(self._parts))
        ]
        if self._client is None:
            import dask

            call = dask.delayed(_on_chunk, pure=False)
            tasks = [call(p, fn, args, e) for p, e in zip(self._parts, extra, strict=True)]
            return list(dask.compute(*tasks))
        calls = [
            (actor.run(fn, args, [_by_key(extra[k]) for k in held]), held)
            for actor, held in self._worker_actors()
        ]
        out: list[Any] = [None] * len(self._parts)
        for call, held in calls:
            for k, result in zip(held, call.result(), strict=True):
                out[k] = result
        return out

    def minibatch_epoch(
        self, plan: FitPlan, theta: np.ndarray, seed: int, epoch: int
    ) -> np.ndarray:
        """Local SGD: an epoch on every chunk from theta, averaged by chunk size."""
        seeds = [_seed(seed, epoch, k) for k in range(len(self.chunk_sizes))]
        results = self.map(_chunk_epoch, plan, theta, per_chunk=seeds)
        weights = np.array(self.chunk_sizes, dtype=np.float64) / self.n
        average = np.sum(
            [w * t.astype(np.float64) for w, t in zip(weights, results, strict=False)], axis=0
        )
        return average.astype(theta.dtype)


def _aligned_pair(
    X: np.ndarray | tuple[np.ndarray, np.ndarray], y: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A chunk (X and y, or the pair) as the kernels read it. A chunk sent between
    workers is rebuilt from the bytes of a message, often misaligned: copied here
    once, not every step."""
    if y is None:
        X, y = X
    return v.contiguous(X), v.contiguous(y)


def _on_chunk(
    pair: tuple[np.ndarray, np.ndarray],
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    extra: list[Any],
) -> Any:
    return fn(pair[0], pair[1], *args, *extra)


def _on_worker(
    pairs: list[tuple[np.ndarray, np.ndarray]],
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    extras: list[list[Any]],
    threads: int,
    client_pid: int,
) -> list[Any]:
    """fn on some chunks of a worker, one after the other, the kernels on the
    worker's share of threads (a worker in the client's own process keeps the
    caller's setting)."""
    if os.getpid() != client_pid and _core.get_num_threads() != threads:
        _core.set_num_threads(threads)
    return [_on_chunk(p, fn, args, e) for p, e in zip(pairs, extras, strict=True)]


@dataclass(frozen=True)
class _Key:
    """A future in a call's per-chunk values, sent as its key: the value is read
    from the actor's worker (parts_of puts it there)."""

    key: Any


def _by_key(value: Any) -> Any:
    """value with the futures in it (in lists and tuples too) replaced by _Key."""
    from distributed import Future

    if isinstance(value, (list, tuple)):
        return type(value)(_by_key(e) for e in value)
    return _Key(value.key) if isinstance(value, Future) else value


def _resolved(value: Any, data: Any) -> Any:
    """value with each _Key replaced by that key's data on this worker."""
    if isinstance(value, (list, tuple)):
        return type(value)(_resolved(e, data) for e in value)
    return data[value.key] if isinstance(value, _Key) else value


class _WorkerChunks:
    """A Dask actor on one worker holding that worker's chunk pairs for a fit (the
    persisted futures' data, not copied), and running calls on them."""

    def __init__(
        self,
        pairs: list[tuple[np.ndarray, np.ndarray]],
        groups: list[tuple[list[int], int]],
        client_pid: int,
    ) -> None:
        self._pairs, self._groups, self._client_pid = pairs, groups, client_pid
        # The groups after the first run on threads of their own (the first on the
        # actor's thread), as the worker's task threads would run them.
        self._pool = (
            ThreadPoolExecutor(len(groups) - 1, thread_name_prefix="fastgd-chunks")
            if len(groups) > 1
            else None
        )

    def run(self, fn: Callable[..., Any], args: tuple[Any, ...], extras: list[Any]) -> list[Any]:
        """[fn(X_k, y_k, *args, *extras[k]) for this worker's chunks k]."""
        from distributed import get_worker

        data = get_worker().data
        extras = [_resolved(e, data) for e in extras]

        def group(positions: list[int], threads: int) -> list[Any]:
            return _on_worker(
                [self._pairs[i] for i in positions],
                fn,
                args,
                [extras[i] for i in positions],
                threads,
                self._client_pid,
            )

        first, *rest = self._groups
        pending = [self._pool.submit(group, *g) for g in rest] if self._pool is not None else []
        results = [group(*first)] + [p.result() for p in pending]
        out: list[Any] = [None] * len(self._pairs)
        for (positions, _), done in zip(self._groups, results, strict=True):
            for i, result in zip(positions, done, strict=True):
                out[i] = result
        return out


def _distributed_client() -> Any:
    """The dask.distributed Client that runs Dask's computations now, or None (the
    threaded scheduler, or another one the caller set)."""
    import dask.base

    scheduler = dask.base.get_scheduler()
    owner = getattr(scheduler, "__self__", None)
    if owner is None or type(owner).__module__ != "distributed.client":
        return None
    return owner


def _known_chunks(a: Any, name: str) -> Any:
    """a with known chunk sizes: boolean indexing (X[X[:, 0] > 0]) leaves NaN sizes,
    which rechunking and the row split cannot use; they are computed (one pass)."""
    if not any(math.isnan(c) for sizes in a.chunks for c in sizes):
        return a
    try:
        return a.compute_chunk_sizes()
    except Exception as exc:  # noqa: BLE001 - any failure of the user's graph
        raise ValueError(
            f"{name} is a Dask array with unknown chunk sizes (e.g. after boolean indexing), "
            f"and computing them failed ({type(exc).__name__}: {exc}); call "
            f"{name}.compute_chunk_sizes() first"
        ) from None


def with_known_chunks(X: Any, y: Any) -> tuple[Any, Any]:
    """X and y with their Dask chunk sizes known (others as given): what reads
    X.shape before the fit must call first."""
    if v.is_dask_array(X):
        X = _known_chunks(X, "X")
    if v.is_dask_array(y):
        y = _known_chunks(y, "y")
    return X, y


def _vector(y: Any) -> np.ndarray:
    a = np.asarray(y)
    return a.ravel() if a.ndim == 2 and a.shape[1] == 1 else a


class MemmapChunks(Chunks):
    """A numpy.memmap read in row blocks of about ``block_bytes``, one at a time; each
    block's pages are released once used where that loses nothing (see
    _page_releaser), so the process holds about one block of X however large the
    file."""

    def __init__(self, X: np.memmap[Any, Any], y: Any, block_bytes: int = 64 << 20) -> None:
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features), got {X.ndim} dimensions")
        if X.dtype not in (np.float32, np.float64):
            raise TypeError(
                f"a memmap X is read as it is stored: float32 or float64 in this machine's "
                f"byte order, got {X.dtype}; load it with np.asarray(X, dtype=X.dtype."
                f"newbyteorder('=')) or write the file as float32/float64"
            )
        if not X.flags.c_contiguous:
            raise ValueError("a memmap X must be stored row by row (C order) to stream its rows")
        self.X = X
        self.n, self.d = int(X.shape[0]), int(X.shape[1])
        if self.n == 0:
            raise ValueError("X has no rows (n_samples = 0)")
        self.dtype = np.dtype(X.dtype)
        self.y = v.vector(_vector(y), "y", self.n, self.dtype, "X has n_samples =")
        rows = max(1, block_bytes // max(1, self.d * self.dtype.itemsize))
        self.bounds = [(s, min(self.n, s + rows)) for s in range(0, self.n, rows)]
        self.chunk_sizes = [e - s for s, e in self.bounds]
        self._state: OptimizerState | None = None
        self._release = _page_releaser(X)

    def map(
        self, fn: Callable[..., Any], *args: Any, per_chunk: list[Any] | None = None
    ) -> list[Any]:
        out = []
        for k, (s, e) in enumerate(self.bounds):
            extra = [] if per_chunk is None else [per_chunk[k]]
            out.append(fn(v.contiguous(self.X[s:e]), self.y[s:e], *args, *extra))
            self._release(s, e)
        return out

    def steps_taken(self) -> int:
        """The steps of the rule carried from block to block."""
        return 0 if self._state is None else int(self._state.step)

    def minibatch_epoch(
        self, plan: FitPlan, theta: np.ndarray, seed: int, epoch: int
    ) -> np.ndarray:
        """The blocks in order, the parameters and the optimizer state carried along."""
        for k, (s, e) in enumerate(self.bounds):
            fit, self._state = run_fit(
                v.contiguous(self.X[s:e]),
                self.y[s:e],
                plan.one_epoch_on(e - s),
                _seed(seed, epoch, k),
                theta0=theta,
                state=self._state,
            )
            theta = pack(fit.coef, fit.intercept, plan.fit_intercept, theta.dtype)
            self._release(s, e)
        return theta


def _page_advice(mode: Any) -> int | None:
    """The madvise for pages of X already used, by the memmap's mode, or None.

    MADV_DONTNEED drops the pages: a shared mapping re-reads them from the file, but
    a private (copy-on-write, mode "c") mapping silently loses the caller's edits
    and reads the file again. So it is used only for mode "r" (read-only, shared,
    nothing to lose). Other modes get MADV_PAGEOUT or MADV_COLD, which only ask the
    kernel to reclaim the pages first (dirty ones are written back or swapped, never
    discarded), or nothing where neither exists."""
    import mmap

    if mode == "r":
        return getattr(mmap, "MADV_DONTNEED", None)
    for name in ("MADV_PAGEOUT", "MADV_COLD"):
        if hasattr(mmap, name):
            return int(getattr(mmap, name))
    return None


def _page_releaser(X: np.ndarray) -> Callable[[int, int], None]:
    """release(start, end): hand the pages of rows [start, end) of X back to the OS
    where no data can be lost (_page_advice); only this process's resident set
    shrinks."""
    import mmap

    mm = getattr(X, "_mmap", None)
    advice = _page_advice(getattr(X, "mode", None))
    if not isinstance(mm, mmap.mmap) or advice is None:
        return lambda start, end: None
    base = np.frombuffer(mm, dtype=np.uint8).__array_interface__["data"][0]
    first = X.__array_interface__["data"][0] - base
    row = X.shape[1] * X.dtype.itemsize
    page = mmap.PAGESIZE

    def release(start: int, end: int) -> None:
        lo = (first + start * row) // page * page
        hi = first + end * row
        if hi > lo:
            # An older kernel without this advice: the pages are simply kept.
            with contextlib.suppress(OSError):
                mm.madvise(advice, lo, hi - lo)

    return release


class _Objective:
    """Loss and gradient of the mean squared error (+ l2 on w) over all chunks.

    The Gram mode expands ||A theta - y||^2 about an anchor theta_ref where the
    residual was streamed (as the in-memory fit does, least_squares.hpp gram_form):
    sq = delta^T G delta + 2 delta^T A^T r_ref + ||r_ref||^2. When that cancels (below
    1e-8 of its terms: y ~ 1e7 fitted to a tiny MSE), one streamed pass moves the
    anchor to theta."""

    def __init__(self, data: Chunks, stats: _Stats, plan: FitPlan) -> None:
        self.data, self.stats, self.plan = data, stats, plan
        # Mini-batch fits read the full loss and gradient by streaming.
        self.mode = "gram" if plan.gradient == "gram" else "stream"
        mode = self.mode
        self.d = data.d
        self.sq = 0.0  # ||A theta - y||^2 at the last call (the optimality test's ||r||^2)
        if mode == "gram":
            assert stats.xtx is not None
            assert stats.xty is not None
            G, Aty = stats.xtx, stats.xty
            if plan.fit_intercept:
                G = np.block(
                    [[G, stats.colsum[:, None]], [stats.colsum[None, :], np.array([[stats.n]])]]
                )
                Aty = np.append(Aty, stats.ysum)
            self.G = G.astype(np.float64)
            self.ref_theta = np.zeros(G.shape[0])
            self.ref_grad = -Aty.astype(np.float64)  # A^T r_ref at theta = 0
            self.ref_sq = float(stats.yy)

    def _streamed(self, t: np.ndarray) -> tuple[float, np.ndarray]:
        """||r||^2 and A^T r (unscaled) at t, read from the chunks."""
        d, plan = self.d, self.plan
        w, b = unpack(t, d, plan.fit_intercept)
        parts = self.data.map(
            _chunk_sums, w.astype(self.data.dtype), b if plan.fit_intercept else None
        )
        sq = float(sum(p[0] for p in parts))
        atr = np.sum([p[1] for p in parts], axis=0) / 2.0  # the parts hold 2 A^T r
        return sq, atr

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        d, n, plan = self.d, self.stats.n, self.plan
        t = theta.astype(np.float64)
        w = t[:d]
        if self.mode == "gram":
            delta = t - self.ref_theta
            g_delta = self.G @ delta
            dGd = float(delta @ g_delta)
            cross = delta * self.ref_grad
            sq = dGd + 2.0 * float(cross.sum()) + self.ref_sq
            atr = g_delta + self.ref_grad
            if sq < 1e-8 * (abs(dGd) + 2.0 * float(np.abs(cross).sum()) + self.ref_sq):
                sq, atr = self._streamed(t)  # it cancelled: anchor at theta
                self.ref_theta, self.ref_grad, self.ref_sq = t.copy(), atr.copy(), sq
            sq = max(sq, 0.0)
        else:
            sq, atr = self._streamed(t)
        self.sq = sq
        loss = sq / n + plan.l2 * float(w @ w)
        grad = 2.0 * atr / n
        grad[:d] += 2 * plan.l2 * w
        return float(loss), grad

    def optimality(self, theta: np.ndarray, grad: np.ndarray) -> float:
        """The in-memory fit's optimality measure (one rule, in C++) from the sums."""
        plan, s = self.plan, self.stats
        return float(
            _core.least_squares_optimality(
                v.contiguous(grad, np.float64),
                v.contiguous(s.col_sq_of_a(plan.fit_intercept), np.float64),
                v.contiguous(theta, np.float64),
                self.d,
                plan.l2,
                s.n,
                self.sq,
                s.y_c_sq(plan.fit_intercept),
            )
        )


def _lipschitz(stats: _Stats, fit_intercept: bool, l2: float) -> float:
    """L from A^T A (A = [X, 1]) by the in-memory fits' own power iteration, so a Dask
    fit with lr="auto" takes the same learning rate as the in-memory one."""
    assert stats.xtx is not None
    G = stats.xtx
    if fit_intercept:
        G = np.block([[G, stats.colsum[:, None]], [stats.colsum[None, :], np.array([[stats.n]])]])
    return _core.gram_lipschitz(v.contiguous(G, np.float64), stats.xtx.shape[0], stats.n, l2)


def fit_chunked(
    chunks: Chunks,
    plan: FitPlan,
    seed: int,
    theta0: np.ndarray | None = None,
    on_epoch: Callable[[int, float, np.ndarray], Any] | None = None,
) -> FitResult:
    """fit_least_squares over row chunks, as the plan says (see the module's notes for
    the schemes). The stopping rules are the in-memory fit's: "converged" when the
    optimality test passes where the full gradient is at hand (full batch, or
    recorded); then, with n_iter_no_change, scikit-learn's rule on the full loss of
    each epoch (the core's loss_plateau, one copy: "no_improvement", and the
    adaptive rate), else "stalled" when a step shorter than tol comes without it."""
    n, d, p = chunks.n, chunks.d, plan.p
    if plan.gradient == "gram" or plan.lr_auto:
        check_gram_memory(p, n)
    stats = chunks.stats(gram=plan.gradient == "gram" or plan.lr_auto)
    lr = plan.rule.lr
    if plan.lr_auto:
        L_max = 2.0 * (stats.max_row_sq + float(plan.fit_intercept)) + 2.0 * plan.l2
        lr = plan.auto_lr(_lipschitz(stats, plan.fit_intercept, plan.l2), L_max)
    plan = plan.with_lr(lr)  # a fresh rule: an optimizer instance given is never stepped
    # The rate before the adaptive rule's factor, on a rule of its own (the rule
    # stepped below gets its rate set when the factor changes).
    base_plan = plan.with_lr_scale(1.0)
    theta = np.zeros(p, dtype=chunks.dtype) if theta0 is None else theta0.astype(chunks.dtype)
    objective = _Objective(chunks, stats, plan)
    rule = plan.rule
    gtol, gtol_stop = plan.gtol, plan.gtol_stop
    # As in memory: the test runs every epoch where the in-memory fit has the full
    # gradient at hand (here it is summed from the chunks every epoch anyway).
    may_stop = plan.tol is not None  # tol=None: exactly max_iter epochs
    at_hand = may_stop and (plan.full_batch or plan.record)
    plateau: _core.LossPlateau | None = None
    if plan.tol is not None and plan.n_iter_no_change is not None:
        plateau = _core.LossPlateau(plan.tol, plan.n_iter_no_change, plan.adaptive)
    step_tol = None if plateau is not None else plan.tol  # the step-length rule's

    loss, grad = objective(theta)
    losses, thetas = [loss], [theta.copy()]
    loss0 = loss
    optimality = math.nan
    status, n_iter = ("diverged" if _core.fit_diverged(loss, loss0, theta) else "max_iter"), 0
    if status == "max_iter" and at_hand and plan.full_batch:
        optimality = objective.optimality(theta, grad)
        if optimality <= gtol_stop:  # already optimal (a warm start)
            status = "converged"
    for epoch in range(1, plan.max_iter + 1 if status == "max_iter" else 1):
        previous = theta.copy()
        if plan.gradient == "batch":
            theta = chunks.minibatch_epoch(plan, theta, seed, epoch)
        else:
            rule.step(theta, grad.astype(theta.dtype))
        loss, grad = objective(theta)
        n_iter = epoch
        if plan.record:
            losses.append(loss)
            thetas.append(theta.copy())
        if _core.fit_diverged(loss, loss0, theta):
            status = "diverged"
            break
        if on_epoch is not None and on_epoch(epoch, loss, theta.copy()):
            status = "stopped"
            break
        short_step = (
            step_tol is not None
            and float(np.linalg.norm((theta - previous).astype(np.float64))) < step_tol
        )
        if at_hand or short_step:
            optimality = objective.optimality(theta, grad)
            if optimality <= (gtol if short_step else gtol_stop):
                status = "converged"
                break
        if short_step:
            status = "stalled"
            break
        if plateau is not None:
            t = epoch if plan.gradient != "batch" else chunks.steps_taken()
            lr_now = base_plan.rate_at(t) * plateau.lr_scale  # the next step's, as the core's
            verdict = plateau.after_epoch(loss, lr_now)
            if verdict == "stop":
                status = "no_improvement"
                break
            if verdict == "lower_lr":  # the rate of every later step, the state kept
                plan = base_plan.with_lr_scale(plateau.lr_scale)
                rule.lr = plan.rule.hyperparameters["lr"]
    message = fit_message(
        status, n_iter, plan.tol, plan.max_iter, lr, optimality, gtol, plan.n_iter_no_change
    )
    coef, intercept = unpack(theta, d, plan.fit_intercept)
    return FitResult(
        coef,
        intercept,
        np.array(losses if plan.record else []),
        n_iter,
        status,
        message,
        lr,
        plan.name,
        plan.gradient,
        optimality,
        path=path_of(np.array(thetas if plan.record else []), d, plan.fit_intercept),
    )


def chunks_of(X: Any, y: Any, dtype: np.dtype[Any]) -> Chunks:
    """The chunks of a Dask array X (and y) or of a numpy.memmap X, computed in dtype
    (the plan's)."""
    if v.is_dask_array(X):
        return DaskChunks(X, y, dtype)
    if isinstance(X, np.memmap):
        if v.is_dask_array(y):
            raise TypeError("y is a Dask array but X is a memmap: pass y as a NumPy array")
        return MemmapChunks(X, y)
    raise TypeError("with a Dask y, X must be a 2-D Dask array too")


def is_chunked(X: Any, y: Any) -> bool:
    """True when the fit should run over row chunks: Dask input, or a memmap X."""
    return v.is_dask_array(X) or v.is_dask_array(y) or isinstance(X, np.memmap)
