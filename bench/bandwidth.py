"""Share of the read-only bandwidth that the fused loss-and-gradient pass reaches.

The machine's bandwidth drifts by +-20% over seconds, so the two contenders are
timed alternately (sum, gradient, sum, gradient, ...) and the median of the
per-pair ratios is reported, with the thread count of each. The read-only pass
is ``_core._testing.stream_sum`` over X, with the gradient's task split.

"share" is read-only time over gradient time, both over X; the gradient must
also read y (n values), so "share X+y" counts those bytes too (share * (1 + 1/d)):
at d = 1 no kernel can pass 50% of the first.

"in L2 GB/s" is the same pass, on one thread, over an X that stays in L2 (the slope
between X of 128 KB and of 1 MB, so the call's fixed cost cancels): the rate of the
kernel's arithmetic alone (X below 2 MB is one task, one thread). k threads can do
k times that, so "headroom" = k * in-L2 rate / read-only rate is how much faster
than memory the arithmetic runs. Below 1 it caps the share (the kernel is
compute-bound); just above 1 the arithmetic still holds the share back, because a
core overlaps arithmetic with streaming only in part: bench/overlap_floor.cpp
measures the share a read-only pass with added multiply-adds reaches at each
headroom.

Each FASTGD_ARCH cap given to ``--arch`` runs in a child process (the kernels are
chosen once, at import).

    python bench/bandwidth.py [--pairs 15] [--threads 1 2] [--mbytes 64]
        [--d 1 4 10 32 256 2000 10000] [--losses least_squares log_loss | all]
        [--arch avx512 avx2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import fastgd
from fastgd import _core
from fastgd.losses import CLASSIFICATION_LOSSES, LOSSES

WIDTHS = [1, 4, 10, 32, 256, 2000, 10_000]
DEFAULT_LOSSES = ["least_squares", "log_loss"]


def timed(fn: Callable[..., Any], *args: Any) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def contender(loss: str) -> Callable[[np.ndarray, np.ndarray, np.ndarray], Any]:
    """The fused pass under one loss; least_squares is least_squares_loss_grad."""
    if loss == "least_squares":
        return fastgd.least_squares_loss_grad
    return lambda X, y, w: fastgd.loss_grad(X, y, w, loss=loss, intercept=0.1)


def in_cache_rate(fn: Callable[..., Any], d: int, dtype: type, loss: str, pairs: int) -> float:
    """GB/s of X through fn on one thread when X stays in L2: the slope between two sizes."""
    rng = np.random.default_rng(1)
    itemsize = np.dtype(dtype).itemsize
    times, sizes = [], []
    for kbytes in (128, 1024):
        n = max(2, (kbytes << 10) // (itemsize * d))  # d = 10^4 float64: 2 rows against 13
        X = rng.standard_normal((n, d)).astype(dtype)
        w = (rng.standard_normal(d) / np.sqrt(d)).astype(dtype)
        y = np.where(rng.standard_normal(n) > 0, 1.0, -1.0).astype(dtype)
        if loss not in CLASSIFICATION_LOSSES:
            y = rng.standard_normal(n).astype(dtype)
        reps = max(10, int(2e8 // X.nbytes))
        fn(X, y, w)  # warm: X and y into the caches
        runs = []
        for _ in range(pairs):
            start = time.perf_counter()
            for _ in range(reps):
                fn(X, y, w)
            runs.append((time.perf_counter() - start) / reps)
        times.append(statistics.median(runs))
        sizes.append(X.nbytes)
    return (sizes[1] - sizes[0]) / max(times[1] - times[0], 1e-12) / 1e9


def run_here(args: argparse.Namespace) -> None:
    rng = np.random.default_rng(0)
    losses = ["least_squares", *LOSSES] if "all" in args.losses else args.losses
    print(f"\nkernels: {fastgd.simd_arch()}; median of {args.pairs} alternating pairs")
    print(
        "| shape | dtype | loss | threads | read-only GB/s | gradient GB/s | share | share X+y "
        "| in L2 GB/s, 1 thread | headroom |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for d in args.d:
        n = max(1, int(args.mbytes * 1e6) // (8 * d))
        for dtype in (np.float64, np.float32):
            X = rng.standard_normal((n, d)).astype(dtype)
            w = (rng.standard_normal(d) / np.sqrt(d)).astype(dtype)
            for loss in losses:
                if loss in CLASSIFICATION_LOSSES:
                    y = np.where(rng.standard_normal(n) > 0, 1.0, -1.0).astype(dtype)
                else:
                    y = rng.standard_normal(n).astype(dtype)
                fn = contender(loss)
                for k in args.threads:
                    fastgd.set_num_threads(k)
                    sums, grads = [], []
                    for _ in range(args.pairs):
                        sums.append(timed(_core._testing.stream_sum, X))
                        grads.append(timed(fn, X, y, w))
                    ratio = statistics.median(s / g for s, g in zip(sums, grads, strict=True))
                    gb = X.nbytes / 1e9
                    read_only = gb / statistics.median(sums)
                    fastgd.set_num_threads(1)
                    cached = in_cache_rate(fn, d, dtype, loss, args.pairs)
                    fastgd.set_num_threads(k)
                    print(
                        f"| {n}x{d} | {np.dtype(dtype).name} | {loss} | {k} "
                        f"| {read_only:.1f} | {gb / statistics.median(grads):.1f} "
                        f"| {100 * ratio:.0f}% | {100 * ratio * (1 + 1 / d):.0f}% "
                        f"| {cached:.1f} | {k * cached / read_only:.2f} |",
                        flush=True,
                    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=15)
    parser.add_argument("--threads", type=int, nargs="+", default=[fastgd.get_num_threads()])
    parser.add_argument("--mbytes", type=float, default=64.0, help="size of X in float64, MB")
    parser.add_argument("--d", type=int, nargs="+", default=WIDTHS)
    parser.add_argument("--losses", nargs="+", default=DEFAULT_LOSSES)
    parser.add_argument(
        "--arch", nargs="+", default=None, help="FASTGD_ARCH caps, each run in a child process"
    )
    args = parser.parse_args()
    if args.arch is None:
        run_here(args)
        return
    # The same run in a child per cap, every option but --arch passed on.
    forwarded = [f"--pairs={args.pairs}", f"--mbytes={args.mbytes}"]
    for option, values in (("--threads", args.threads), ("--d", args.d), ("--losses", args.losses)):
        forwarded += [option, *map(str, values)]
    for cap in args.arch:
        env = dict(os.environ, FASTGD_ARCH=cap)
        subprocess.run([sys.executable, __file__, *forwarded], env=env, check=True)


if __name__ == "__main__":
    main()
