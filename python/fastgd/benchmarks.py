"""``python -m fastgd bench [--quick]``: fastgd against its NumPy reference, as a table.

A few representative timings, each against the same computation in
``fastgd.reference`` in the same run: the fused gradient, a full-batch GD fit,
a single-sample SGD epoch, an Adam step on a long array, and minimize. Each case
alternates the two contenders and reports medians. The full benchmark suite, with
scikit-learn and torch as contenders, is bench/ in the source tree (pytest-benchmark).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np

from . import reference as ref
from .least_squares import least_squares_loss_grad
from .linear_regression import fit_least_squares
from .minimize import minimize
from .optimizers import Adam

PAUSE = 0.3  # seconds before each timing

_HEADER = f"{'case':<52} {'fastgd':>13} {'NumPy ref.':>14} {'speed-up':>9}"


@dataclass
class Case:
    """One row of the table: fastgd's and the reference's median seconds."""

    name: str
    fastgd: float
    reference: float

    @property
    def speedup(self) -> float:
        return self.reference / self.fastgd


def _median_pair(
    ours: Callable[[], Any], theirs: Callable[[], Any], rounds: int, reference_rounds: int
) -> tuple[float, float]:
    """Alternate the two (after one warm-up call of ours) so drift hits both alike.
    After a NumPy BLAS call OpenBLAS's workers spin for ~0.1 s and, on a machine with
    few cores, slow whatever runs next: each timing starts after a pause."""
    ours()
    mine: list[float] = []
    base: list[float] = []
    for k in range(rounds):
        time.sleep(PAUSE)
        start = time.perf_counter()
        ours()
        mine.append(time.perf_counter() - start)
        if k < reference_rounds:
            time.sleep(PAUSE)
            start = time.perf_counter()
            theirs()
            base.append(time.perf_counter() - start)
    return statistics.median(mine), statistics.median(base)


def _cases(quick: bool) -> list[tuple[str, Callable[[], Any], Callable[[], Any], bool]]:
    """(name, fastgd, reference, whether the reference is slow enough to time once)."""
    rng = np.random.default_rng(0)
    scale = 1 if quick else 5
    n = 200_000 * scale
    X = rng.standard_normal((n, 32))
    y = X @ rng.standard_normal(32) + 0.1 * rng.standard_normal(n)
    w = rng.standard_normal(32)
    fit_kw: dict[str, Any] = dict(optimizer="gd", lr=0.05, max_iter=30, tol=None)
    Xs, ys = X[: 20_000 * scale], y[: 20_000 * scale]
    sgd_kw: dict[str, Any] = dict(optimizer="sgd", lr=0.005, batch_size=1, max_iter=1, tol=None)
    size = 10**6 * scale * 2
    params = rng.standard_normal(size).astype(np.float32)
    grad = rng.standard_normal(size).astype(np.float32)
    adam = Adam(lr=1e-3)
    adam_ref = ref.OptimizerReference("adam", **Adam(lr=1e-3)._hyper)
    steps = 10_000 * scale
    rows = f"{n // 1000}k x 32"
    return [
        (
            f"loss and gradient, {rows} float64",
            lambda: least_squares_loss_grad(X, y, w),
            lambda: ref.least_squares_loss_grad(X, y, w),
            False,
        ),
        (
            f"GD fit, 30 steps streaming X, {rows}",
            lambda: fit_least_squares(X, y, gradient="stream", **fit_kw),
            lambda: ref.fit_least_squares(X, y, **fit_kw),
            False,
        ),
        (
            f"SGD, one epoch of single samples, {Xs.shape[0] // 1000}k x 32",
            lambda: fit_least_squares(Xs, ys, random_state=0, **sgd_kw),
            lambda: ref.fit_least_squares(Xs, ys, random_state=0, **sgd_kw),
            True,
        ),
        (
            f"Adam step, {size // 10**6}M float32 parameters",
            lambda: adam.step(params, grad),
            lambda: adam_ref.step(params, grad),
            False,
        ),
        (
            f"minimize rosenbrock, {steps // 1000}k Adam steps with the path",
            lambda: minimize(
                "rosenbrock", [-1.0, 1.0], optimizer=Adam(lr=1e-3), max_iter=steps, tol=None
            ),
            lambda: ref.descent_path("rosenbrock", np.array([-1.0, 1.0]), Adam(lr=1e-3), steps),
            True,
        ),
    ]


def run(quick: bool = False, stream: TextIO | None = None) -> list[Case]:
    """Time every case and print the table to ``stream``. ``quick``: smaller sizes
    and fewer rounds (about 15 s here instead of about a minute)."""
    rounds = 3 if quick else 7
    results = []
    print(_HEADER, file=stream)
    for name, ours, theirs, slow in _cases(quick):
        t_ours, t_ref = _median_pair(ours, theirs, rounds, 1 if slow else rounds)
        results.append(Case(name, t_ours, t_ref))
        print(
            f"{name:<52} {1e3 * t_ours:>10.2f} ms {1e3 * t_ref:>11.2f} ms {t_ref / t_ours:>8.1f}x",
            file=stream,
            flush=True,
        )
    return results
