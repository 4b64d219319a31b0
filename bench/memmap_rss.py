"""Peak resident memory of a fit over a memmap much larger than the memory it uses.

    python bench/memmap_rss.py [--gb 2] [--dir /tmp]

Writes a float32 file of about --gb GB (32 features), then fits it in a fresh
process by full-batch GD (lr="auto", 3 streamed steps) and by one epoch of
mini-batch SGD, and prints each run's peak resident set (VmHWM) and time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

D = 32

FIT = f"""
import sys, time
import numpy as np
import fastgd
path, n, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
X = np.memmap(path, dtype=np.float32, mode="r", shape=(n, {D}))
y = np.fromfile(path + ".y", dtype=np.float32)
start = time.perf_counter()
if kind == "gd":
    fit = fastgd.fit_least_squares(X, y, optimizer="gd", lr="auto", max_iter=3, tol=None,
                                   gradient="stream")
else:
    fit = fastgd.fit_least_squares(X, y, optimizer="sgd", lr="auto", batch_size=64, max_iter=1,
                                   tol=None, random_state=0)
seconds = time.perf_counter() - start
# VmHWM, this process's own peak (ru_maxrss would carry over the writer's from fork).
peak_mb = int([l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]) / 1024
print(f"{{kind}}: {{seconds:.1f}} s, peak RSS {{peak_mb:.0f}} MB, loss {{fit.losses[0]:.4g}} -> {{fit.losses[-1]:.4g}}")
"""


def write(path: str, gb: float) -> int:
    n = int(gb * 2**30) // (D * 4)
    rng = np.random.default_rng(0)
    w = rng.standard_normal(D).astype(np.float32)
    X = np.memmap(path, dtype=np.float32, mode="w+", shape=(n, D))
    y = np.empty(n, dtype=np.float32)
    step = 1 << 20
    for s in range(0, n, step):
        block = rng.standard_normal((min(step, n - s), D), dtype=np.float32)
        X[s : s + len(block)] = block
        y[s : s + len(block)] = block @ w + 0.1 * rng.standard_normal(len(block), dtype=np.float32)
    X.flush()
    del X
    y.tofile(path + ".y")
    return n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gb", type=float, default=2.0)
    parser.add_argument("--dir", default=tempfile.gettempdir())
    args = parser.parse_args()
    path = os.path.join(args.dir, "fastgd_memmap_bench.f32")
    start = time.perf_counter()
    n = write(path, args.gb)
    size = os.path.getsize(path) / 2**30
    print(
        f"X: {n:,} x {D} float32 in {path}, {size:.2f} GiB ({time.perf_counter() - start:.0f} s to write)"
    )
    try:
        for kind in ("gd", "sgd"):
            out = subprocess.run(
                [sys.executable, "-c", FIT, path, str(n), kind],
                check=True,
                capture_output=True,
                text=True,
            )
            print(out.stdout.strip())
    finally:
        os.remove(path)
        os.remove(path + ".y")


if __name__ == "__main__":
    main()
