"""Benchmarks: each fastgd case shares a group with its NumPy baseline (and peers).

Run: pip install ".[bench]" && python -m pytest bench --benchmark-json=bench.json
then: python bench/report.py bench.json   (ratios per group, GB/s)

After a NumPy BLAS call, OpenBLAS workers spin for ~0.1 s and, on two cores,
halve whatever runs next; every benchmark therefore starts after a pause.
"""

from __future__ import annotations

import time

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def pause_between_contenders():
    time.sleep(0.3)


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(
            pytest.mark.filterwarnings("ignore::pytest_benchmark.logger.PytestBenchmarkWarning")
        )


def regression(n: int, d: int, dtype, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(dtype)
    w_true = rng.standard_normal(d)
    y = (X @ w_true.astype(dtype) + 0.1 * rng.standard_normal(n).astype(dtype)).astype(dtype)
    return X, y
