"""One optimizer shared between threads: no crash, no deadlock, and every result
equals one serial order of the same calls.

The stress runs in a child process (``python -m tests.test_optimizer_threads``), so
that a crash (the SIGSEGV this guards against) or a deadlock fails the test instead
of killing or hanging the test run. The child checks exact invariants:

- with one constant gradient and no weight decay, the state of Adam, NAdam and SGD
  with momentum after k steps is a function of k alone (the updates do not depend
  on params): every state_dict() snapshot, deep copy and the final state must equal
  a serial replay of as many steps, bit for bit, whatever reset() and
  load_state_dict() ran in between;
- with only steps (and snapshots), the step count is the number of step calls and
  params equal the serial replay of that many steps;
- plain SGD's params move by lr * grad per step, so after any interleaving params
  equal p0 - lr * (number of steps), exactly.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import fastgd

from .conftest import REPO_ROOT, child_env

THREADS = 8
# Each thread runs for the given time and at least this many calls, so that a loaded
# machine (threads scheduled late) still interleaves every kind of call.
MIN_CALLS = 24
# Short arrays step with the GIL held; long ones (> 2**18 elements) release it in
# step(), which is where two first steps once allocated the state twice.
SIZES = (1000, 2**18 + 5)
DTYPES = (np.float32, np.float64)
RULES: dict[str, Callable[[], fastgd.Optimizer]] = {
    "adam": lambda: fastgd.Adam(lr=0.01),
    "nadam": lambda: fastgd.NAdam(lr=0.01),
    "sgd-momentum": lambda: fastgd.SGD(lr=0.01, momentum=0.9),
}


def _fingerprint(state: dict[str, Any]) -> tuple[int, str]:
    """(step, a hash of the state arrays and NAdam's mu_product): equal states, equal prints."""
    h = hashlib.blake2b()
    for name in sorted(state["state"]):
        a = np.ascontiguousarray(state["state"][name])
        h.update(name.encode())
        h.update(str(a.dtype).encode())
        h.update(memoryview(a).cast("B"))
    h.update(repr(state.get("mu_product")).encode())
    return int(state["step"]), h.hexdigest()


class _Replay:
    """The serial order: one optimizer stepped k = 1, 2, ... times with the same grad,
    queried at increasing k."""

    def __init__(self, rule: str, p0: np.ndarray, g: np.ndarray) -> None:
        self.opt, self.p, self.g, self.k = RULES[rule](), p0.copy(), g, 0

    def at(self, k: int) -> tuple[np.ndarray, tuple[int, str]]:
        assert k >= self.k, "replays are queried in increasing order"
        while self.k < k:
            self.opt.step(self.p, self.g)
            self.k += 1
        if k == 0:
            return self.p, _fingerprint({"step": 0, "state": {}})
        return self.p, _fingerprint(self.opt.state_dict())


def _going(start: float, seconds: float, calls: int) -> bool:
    return calls < MIN_CALLS or time.monotonic() < start + seconds


def _run_threads(work: Callable[[int], None]) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def run(i: int) -> None:
        try:
            barrier.wait()
            work(i)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def _arrays(n: int, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(n)
    return rng.standard_normal(n).astype(dtype), (0.5 + rng.random(n)).astype(dtype)


def first_steps_race(rule: str, dtype: Any, n: int, rounds: int) -> None:
    """8 threads take the first steps of a fresh optimizer at once, again and again."""
    p0, g = _arrays(n, dtype)
    _, want_state = _Replay(rule, p0, g).at(THREADS)
    want_p = _Replay(rule, p0, g).at(THREADS)[0]
    for _ in range(rounds):
        opt, p = RULES[rule](), p0.copy()
        _run_threads(lambda i, opt=opt, p=p: opt.step(p, g))
        assert _fingerprint(opt.state_dict()) == want_state, "state != 8 serial steps"
        assert np.array_equal(p, want_p), "params != 8 serial steps"


def steps_only(rule: str, dtype: Any, n: int, seconds: float) -> int:
    """Steps and snapshots only: the count is exact and params equal the serial replay."""
    p0, g = _arrays(n, dtype)
    opt, p = RULES[rule](), p0.copy()
    counts = [0] * THREADS
    snapshots: list[tuple[int, str]] = []

    def work(i: int) -> None:
        rng, start = random.Random(i), time.monotonic()
        for calls in itertools.count():
            if not _going(start, seconds, calls):
                break
            if rng.random() < 0.15:
                snapshots.append(_fingerprint(opt.state_dict()))
            else:
                opt.step(p, g)
                counts[i] += 1

    _run_threads(work)
    total = sum(counts)
    final = _fingerprint(opt.state_dict())
    assert final[0] == total, f"{final[0]} steps counted, {total} step calls made"
    replay = _Replay(rule, p0, g)
    for k, printed in sorted(set(snapshots)):
        assert replay.at(k)[1] == (k, printed), f"snapshot at step {k} != the serial replay"
    want_p, want_state = replay.at(total)
    assert final == want_state, "final state != the serial replay"
    assert np.array_equal(p, want_p), "params != the serial replay"
    return total


def everything(rule: str, dtype: Any, n: int, seconds: float) -> int:
    """step, state_dict, reset, load_state_dict, deepcopy and the dtype query interleaved:
    every state seen, and the final state, equals the serial replay at its step."""
    p0, g = _arrays(n, dtype)
    opt, p = RULES[rule](), p0.copy()
    seen: list[tuple[int, str]] = []
    steps = [0] * THREADS

    def work(i: int) -> None:
        rng, start = random.Random(100 + i), time.monotonic()
        saved = opt.state_dict()
        for calls in itertools.count():
            if not _going(start, seconds, calls):
                break
            r = rng.random()
            if r < 0.6:
                opt.step(p, g)
                steps[i] += 1
            elif r < 0.72:
                saved = opt.state_dict()
                seen.append(_fingerprint(saved))
            elif r < 0.8:
                opt.load_state_dict(saved)
            elif r < 0.86:
                opt.reset()
            elif r < 0.92:
                seen.append(_fingerprint(copy.deepcopy(opt).state_dict()))
            else:
                dt = opt._core.dtype
                assert dt is None or dt == np.dtype(dtype), f"dtype query gave {dt}"

    _run_threads(work)
    final = _fingerprint(opt.state_dict())
    replay = _Replay(rule, p0, g)
    for k, printed in sorted(set(seen) | {final}):
        assert replay.at(k)[1] == (k, printed), f"a state at step {k} != the serial replay"
    assert final[0] <= sum(steps)
    return sum(steps)


def plain_sgd(dtype: Any, n: int, seconds: float) -> None:
    """SGD without momentum: params -= 0.5 per step whatever else runs, so after any
    interleaving params == p0 - 0.5 * (step calls), exactly (small integers and halves)."""
    opt, p = fastgd.SGD(lr=0.5), np.zeros(n, dtype)
    g = np.ones(n, dtype)
    counts = [0] * THREADS

    def work(i: int) -> None:
        rng, start = random.Random(200 + i), time.monotonic()
        for calls in itertools.count():
            if not _going(start, seconds, calls):
                break
            r = rng.random()
            if r < 0.7:
                opt.step(p, g)
                counts[i] += 1
            elif r < 0.8:
                opt.reset()
            elif r < 0.9:
                opt.load_state_dict(opt.state_dict())
            else:
                assert opt.state_dict()["step"] >= 0

    _run_threads(work)
    assert np.array_equal(p, np.full(n, -0.5 * sum(counts), dtype)), "a step was lost or torn"


def main() -> None:
    seconds = float(os.environ.get("FASTGD_STRESS_SECONDS", "0.25"))
    report: dict[str, Any] = {}
    for n in SIZES:
        for dtype in DTYPES:
            name = f"{n}-{np.dtype(dtype).name}"
            first_steps_race("adam", dtype, n, rounds=10 if n > 10**5 else 40)
            for rule in RULES:
                report[f"steps {rule} {name}"] = steps_only(rule, dtype, n, seconds)
                report[f"mixed {rule} {name}"] = everything(rule, dtype, n, seconds)
            plain_sgd(dtype, n, seconds)
    print(json.dumps(report))


def test_one_optimizer_shared_by_eight_threads():
    root = Path(__file__).resolve().parent.parent
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.test_optimizer_threads"],
        cwd=root,
        env=child_env(REPO_ROOT),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # A deadlock shows as a timeout: generous, the run takes ~15 s on 2 cores.
        out, err = child.communicate(timeout=300)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 0, f"exit {child.returncode}\n{err[-3000:]}"
    report = json.loads(out.strip().splitlines()[-1])
    # Every configuration really ran its threads (a step count of 0 would test nothing).
    assert len(report) == 2 * len(RULES) * len(SIZES) * len(DTYPES)
    assert all(count > 0 for count in report.values()), report


if __name__ == "__main__":
    main()
