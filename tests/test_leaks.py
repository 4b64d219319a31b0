"""Leaks: 10^4 calls of each entry point, passing and failing, leave resident memory
within 1 MiB of where it was and the inputs' reference counts unchanged."""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import fastgd

pytestmark = [
    pytest.mark.skipif(
        not sys.platform.startswith("linux"), reason="reads resident memory from /proc (Linux)"
    ),
    # AddressSanitizer keeps freed memory in quarantine (256 MB), so resident memory
    # grows by design there; the normal build's run of this file checks for leaks.
    pytest.mark.skipif(
        bool(fastgd._core.build_info()["sanitizers"]), reason="sanitizer build: quarantine"
    ),
]

CALLS = 10_000
GROWTH_LIMIT = 1 << 20  # bytes


def _resident_bytes() -> int:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    import resource

    return pages * resource.getpagesize()


rng = np.random.default_rng(0)
X = rng.standard_normal((64, 4))
Y = X @ np.arange(1.0, 5.0)
W = np.zeros(4)
X_NAN = X.copy()
X_NAN[0, 0] = np.nan
P = np.ones(8)
G = np.ones(8)


def _swallow(call: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> None:
        with contextlib.suppress(ValueError, TypeError, KeyError):
            call()

    return run


def _callable_objective(x: np.ndarray) -> tuple[float, np.ndarray]:
    return float(x @ x), 2 * x


ADAM = fastgd.Adam(lr=0.01)

ENTRY_POINTS: dict[str, Callable[[], Any]] = {
    "least_squares_loss_grad": lambda: fastgd.least_squares_loss_grad(X, Y, W),
    "least_squares_loss_grad rows": lambda: fastgd.least_squares_loss_grad(X, Y, W, rows=[0, 5, 9]),
    "least_squares_loss_grad fails": _swallow(lambda: fastgd.least_squares_loss_grad(X, Y[:3], W)),
    "loss_grad log_loss": lambda: fastgd.loss_grad(
        X, np.sign(Y), W, loss="log_loss", sample_weight=np.ones(64), rows=[0, 5, 9]
    ),
    "loss_grad multinomial": lambda: fastgd.loss_grad(
        X, np.arange(64) % 3, np.zeros((4, 3)), loss="log_loss"
    ),
    "loss_grad fails": _swallow(lambda: fastgd.loss_grad(X, Y, W, loss="hinge")),
    "fit_least_squares gd": lambda: fastgd.fit_least_squares(
        X, Y, optimizer="gd", lr=0.05, max_iter=3
    ),
    "fit_least_squares sgd": lambda: fastgd.fit_least_squares(
        X, Y, optimizer="sgd", lr=0.01, batch_size=8, max_iter=1, random_state=0
    ),
    "fit_least_squares callback": lambda: fastgd.fit_least_squares(
        X, Y, lr=0.05, max_iter=2, callback=lambda intermediate_result: False
    ),
    "fit_least_squares fails": _swallow(lambda: fastgd.fit_least_squares(X_NAN, Y)),
    "fit_linear log_loss sgd": lambda: fastgd.fit_linear(
        X, np.sign(Y), loss="log_loss", batch_size=8, max_iter=1, random_state=0
    ),
    "fit_linear multinomial l1": lambda: fastgd.fit_linear(
        X, np.arange(64) % 3, loss="log_loss", penalty="l1", alpha=0.01, max_iter=3
    ),
    "fit_linear fails": _swallow(lambda: fastgd.fit_linear(X, Y, loss="hinge")),
    "optimizer step": lambda: ADAM.step(P, G),
    "optimizer step converts grad": lambda: ADAM.step(P, [1.0] * 8),
    "optimizer step fails": _swallow(lambda: ADAM.step(P, np.ones(3))),
    "state_dict round trip": lambda: fastgd.Adam(lr=0.01).load_state_dict(ADAM.state_dict()),
    "minimize builtin": lambda: fastgd.minimize(
        "rosenbrock", [-1.0, 1.0], optimizer="adam", max_iter=20
    ),
    "minimize callable": lambda: fastgd.minimize(_callable_objective, [1.0, 2.0], max_iter=20),
    "minimize fails": _swallow(lambda: fastgd.minimize("beale", [1.0, 2.0, 3.0])),
    "race": lambda: fastgd.race("beale", [1.0, 1.0], ["gd", "adam"], max_iter=20),
    "objective values": lambda: fastgd.objectives.get("beale").values(X[:, :2]),
    "normal_equations": lambda: fastgd.normal_equations(X, Y),
}


@pytest.mark.parametrize("name", list(ENTRY_POINTS))
def test_no_growth_over_many_calls(name):
    call = ENTRY_POINTS[name]
    inputs = (X, Y, W, P, G, X_NAN)
    for _ in range(500):  # warm up: caches, allocator pools, lazy imports
        call()
    gc.collect()
    refs = [sys.getrefcount(a) for a in inputs]
    before = _resident_bytes()
    for _ in range(CALLS):
        call()
    gc.collect()
    growth = _resident_bytes() - before
    assert growth < GROWTH_LIMIT, f"{name}: resident memory grew by {growth / 1024:.0f} KiB"
    assert [sys.getrefcount(a) for a in inputs] == refs
