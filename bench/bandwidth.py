"""Share of the read-only bandwidth that the fused gradient reaches.

The machine's bandwidth drifts by +-20% over seconds, so the two contenders are
timed alternately (sum, gradient, sum, gradient, ...) and the median of the
per-pair ratios is reported, with the thread count of each.

    python bench/bandwidth.py [--pairs 40] [--threads 1 2]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import fastgd
from fastgd import _core

SHAPES = [(1_000_000, 32), (200_000, 256), (20_000, 2000)]


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=40)
    parser.add_argument("--threads", type=int, nargs="+", default=[fastgd.get_num_threads()])
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"kernels: {fastgd.simd_arch()}; median of {args.pairs} alternating pairs")
    print("| shape | dtype | threads | read-only sum GB/s | gradient GB/s | share |")
    print("|---|---|---:|---:|---:|---:|")
    for n, d in SHAPES:
        for dtype in (np.float64, np.float32):
            X = rng.standard_normal((n, d)).astype(dtype)
            y = rng.standard_normal(n).astype(dtype)
            w = rng.standard_normal(d).astype(dtype)
            for k in args.threads:
                fastgd.set_num_threads(k)
                sums, grads = [], []
                for _ in range(args.pairs):
                    sums.append(timed(_core._testing.stream_sum, X))
                    grads.append(timed(fastgd.least_squares_loss_grad, X, y, w))
                ratio = statistics.median(s / g for s, g in zip(sums, grads, strict=False))
                gb = X.nbytes / 1e9
                print(
                    f"| {n}x{d} | {np.dtype(dtype).name} | {k} | {gb / statistics.median(sums):.1f} "
                    f"| {gb / statistics.median(grads):.1f} | {100 * ratio:.0f}% |"
                )


if __name__ == "__main__":
    main()
