"""Eight threads share one optimizer, one GDRegressor and the objective registry.

``python -m tests.sharing_stress SECONDS`` runs the threads for SECONDS, then checks
that every observation equals one serial order of the same calls, prints one JSON
line of counts and exits 0; a failed check raises (exit 1), a crash dies with the
signal. test_sharing.py runs it in a child process, so a crash fails one test.

Why these checks prove "one serial order":
- Adam's state after k steps with a constant gradient depends on k alone, so every
  ``state_dict()`` taken while other threads step, reset and load must be exactly
  the serial state S(k) for the k it reports (a torn read or a lost update is not).
- Plain SGD with lr = 2**-10 and a gradient of ones moves params by exactly 2**-10
  per step, in any order: the final params count the steps, so none was lost.
- A GDRegressor's fit is deterministic: every predict() must equal the predictions
  of one of the fits, coef_ and intercept_ from the same fit (never a mixture).
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import time
from typing import Any

import numpy as np

import fastgd
from fastgd import objectives

THREADS = 8
BIG = (1 << 18) + 3  # above the size at which a step releases the GIL
SMALL = 5
STEP_LR = 2.0**-10
#: What a run must have done before it may end (test_sharing.py checks these).
MINIMUM = {"sgd_steps": 200, "snapshots": 20, "fits": 10, "predictions": 20, "registered": 20}


def digest(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.blake2b(digest_size=16)
    for name in sorted(arrays):
        h.update(name.encode())
        h.update(np.ascontiguousarray(arrays[name]).tobytes())
    return h.hexdigest()


class OptimizerTarget:
    """A shared Adam on a shared array (constant gradient) and a shared plain SGD."""

    def __init__(self, size: int, dtype: Any) -> None:
        self.dtype = np.dtype(dtype)
        self.grad = np.linspace(-1.0, 1.0, size).astype(dtype)
        self.adam = fastgd.Adam(lr=1e-3)
        self.params = np.zeros(size, dtype)
        self.sgd = fastgd.SGD(lr=STEP_LR)
        self.counted = np.zeros(size, np.float64)
        self.snapshots: list[tuple[int, str]] = []  # (step, digest) seen by any thread
        self.saved = self.reference_states(3)  # loadable states at steps 0..3

    def reference_states(self, k_max: int) -> list[dict[str, Any]]:
        opt, p = fastgd.Adam(lr=1e-3), np.zeros_like(self.params)
        states = [opt.state_dict()]
        for _ in range(k_max):
            opt.step(p, self.grad)
            states.append(opt.state_dict())
        return states

    def act(self, rng: np.random.Generator, counts: dict[str, int]) -> None:
        r = rng.random()
        if r < 0.55:
            self.adam.step(self.params, self.grad)
            self.sgd.step(self.counted, np.ones_like(self.counted))
            counts["sgd_steps"] += 1
        elif r < 0.8:
            state = self.adam.state_dict()
            self.snapshots.append((int(state["step"]), digest(state["state"])))
        elif r < 0.9:
            self.adam.reset()
        else:
            self.adam.load_state_dict(self.saved[int(rng.integers(len(self.saved)))])

    def check(self, total_sgd_steps: int) -> int:
        expected = -STEP_LR * total_sgd_steps
        assert np.all(self.counted == expected), (
            f"SGD params {self.counted[:3]} after {total_sgd_steps} steps: an update was lost"
        )
        k_max = max(k for k, _ in self.snapshots)
        reference = [digest(s["state"]) for s in self.reference_states(k_max)]
        for k, seen in self.snapshots:
            assert seen == reference[k], f"state_dict at step {k} is no serial state"
        return len(self.snapshots)


def make_data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((2000, 5))
    return X, X @ rng.standard_normal(5) + seed + 0.1 * rng.standard_normal(2000)


class EstimatorTarget:
    """One GDRegressor fitted and used from every thread."""

    def __init__(self) -> None:
        self.datasets = [make_data(seed) for seed in range(4)]
        self.X_test = np.random.default_rng(9).standard_normal((50, 5))
        self.fits = []
        for X, y in self.datasets:
            alone = fastgd.GDRegressor(random_state=0).fit(X, y)
            self.fits.append(
                (alone.coef_.copy(), float(alone.intercept_), alone.predict(self.X_test))
            )
        self.shared = fastgd.GDRegressor(random_state=0).fit(*self.datasets[0])
        self.predictions: list[np.ndarray] = []

    def act(self, rng: np.random.Generator, counts: dict[str, int]) -> None:
        if rng.random() < 0.3:
            self.shared.fit(*self.datasets[int(rng.integers(len(self.datasets)))])
            counts["fits"] += 1
        else:
            self.predictions.append(self.shared.predict(self.X_test))

    def check(self) -> int:
        for got in self.predictions:
            assert any(np.array_equal(got, pred) for _, _, pred in self.fits), (
                "a predict() matched none of the fits: it saw a half-fitted model"
            )
        final = (self.shared.coef_, float(self.shared.intercept_))
        assert any(np.array_equal(final[0], c) and final[1] == b for c, b, _ in self.fits), (
            "coef_ and intercept_ come from different fits"
        )
        return len(self.predictions)


def _value(x: np.ndarray) -> float:
    return float(np.sum(x * x))


def _grad(x: np.ndarray) -> np.ndarray:
    return 2.0 * x


class RegistryTarget:
    """register / get / names from every thread."""

    def __init__(self) -> None:
        self.builtins = set(objectives.names())
        self.registered: list[str] = []

    def act(self, tid: int, i: int, rng: np.random.Generator) -> None:
        if rng.random() < 0.2:
            name = f"stress_t{tid}_{i}"
            objectives.register(name, _value, _grad, dim=2)
            self.registered.append(name)
            assert objectives.get(name).value(np.ones(2)) == 2.0
            assert name in objectives.names(), "a name just registered is missing"
        else:
            seen = objectives.names()
            assert self.builtins <= set(seen), "names() lost a built-in"
            assert seen == sorted(seen)
            objectives.get("rosenbrock")

    def check(self) -> int:
        missing = set(self.registered) - set(objectives.names())
        assert not missing, f"registered but missing: {sorted(missing)[:5]}"
        return len(self.registered)


def run(seconds: float) -> dict[str, int]:
    big = OptimizerTarget(BIG, np.float32)
    small = OptimizerTarget(SMALL, np.float64)
    estimator = EstimatorTarget()
    registry = RegistryTarget()
    counts = [
        {"sgd_steps_big": 0, "sgd_steps_small": 0, "fits": 0, "live_big": 0, "live_small": 0}
        for _ in range(THREADS)
    ]
    errors: list[Exception] = []
    barrier = threading.Barrier(THREADS)
    deadline = time.monotonic() + seconds

    # The run lasts `seconds` and until every kind of call has happened often enough,
    # however slow the machine (ThreadSanitizer, a loaded CI): the test never depends
    # on speed. Python ints read under the GIL: an estimate is enough here.
    def enough() -> bool:
        steps = sum(c["live_big"] + c["live_small"] for c in counts)
        return (
            steps >= MINIMUM["sgd_steps"]
            and min(len(big.snapshots), len(small.snapshots)) >= MINIMUM["snapshots"]
            and sum(c["fits"] for c in counts) >= MINIMUM["fits"]
            and len(estimator.predictions) >= MINIMUM["predictions"]
            and len(registry.registered) >= MINIMUM["registered"]
        )

    def work(tid: int) -> None:
        rng = np.random.default_rng(tid)
        mine = counts[tid]
        big_counts, small_counts = {"sgd_steps": 0}, {"sgd_steps": 0}
        try:
            barrier.wait()
            i = 0
            while time.monotonic() < deadline or not enough():
                kind = rng.random()
                if kind < 0.3:
                    big.act(rng, big_counts)
                    mine["live_big"] = big_counts["sgd_steps"]
                elif kind < 0.6:
                    small.act(rng, small_counts)
                    mine["live_small"] = small_counts["sgd_steps"]
                elif kind < 0.8:
                    estimator.act(rng, mine)
                else:
                    registry.act(tid, i, rng)
                i += 1
        except Exception as exc:  # noqa: BLE001 - re-raised after the join, in the main thread
            errors.append(exc)
        mine["sgd_steps_big"] = big_counts["sgd_steps"]
        mine["sgd_steps_small"] = small_counts["sgd_steps"]

    threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return {
        "snapshots_big": big.check(sum(c["sgd_steps_big"] for c in counts)),
        "snapshots_small": small.check(sum(c["sgd_steps_small"] for c in counts)),
        "sgd_steps": sum(c["sgd_steps_big"] + c["sgd_steps_small"] for c in counts),
        "fits": sum(c["fits"] for c in counts),
        "predictions": estimator.check(),
        "registered": registry.check(),
    }


if __name__ == "__main__":
    print(json.dumps(run(float(sys.argv[1]) if len(sys.argv) > 1 else 10.0)), flush=True)
