"""minimize, race and the registry at their limits: recordings that cannot fit,
allocations that fail inside worker threads, and the registry shared by threads.
The runs that could crash the interpreter run in a child process, killed in a
finally, so a crash fails one test instead of the run."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import fastgd
from fastgd import objectives

SANITIZED = bool(fastgd._core.build_info()["sanitizers"])


def run_child(code: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run code in a fresh interpreter; the child is killed whatever happens."""
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        proc.kill()
        proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


# --- recordings are budgeted before the run --------------------------------------


@pytest.mark.parametrize(
    ("call", "size"),
    [
        pytest.param(
            lambda: fastgd.minimize("bowl", [1.0, 1.0], max_iter=10**12, tol=None),
            "29.1 TiB",
            id="max_iter-1e12",
        ),
        pytest.param(lambda: fastgd.minimize("sphere", np.ones(10**6)), "7.5 GiB", id="d-1e6"),
        pytest.param(
            lambda: fastgd.race("sphere", np.ones(10**4), ["gd", "adam"], max_iter=10**6),
            "149.0 GiB",
            id="race-1e4x1e6",
        ),
        pytest.param(
            lambda: fastgd.minimize(lambda x: (float(x @ x), 2 * x), [1.0], max_iter=10**12),
            "21.8 TiB",
            id="callable",
        ),
        pytest.param(
            lambda: fastgd.sweep_lr("sphere", np.ones(10**5), np.full(10, 0.1), max_iter=10**3),
            "7.5 GiB",
            id="sweep",
        ),
    ],
)
def test_a_recording_over_the_budget_is_refused_before_the_run(call, size):
    with pytest.raises(ValueError, match=rf"may need {size}.*pass record=False") as exc:
        call()
    assert "record_every=" in str(exc.value) or "x0 and the last" not in str(exc.value)


def test_the_refusal_names_a_stride_that_fits_and_that_stride_runs(monkeypatch):
    budget = 2**20  # a small budget, so that the test's recording stays small
    monkeypatch.setattr(sys.modules["fastgd.minimize"], "RECORD_BUDGET", budget)
    with pytest.raises(ValueError, match=r"may need 7.7 MiB, above the 1.0 MiB") as exc:
        fastgd.minimize("sphere", np.ones(1000), lr=0.1, max_iter=1000, tol=None)
    k = int(re.search(r"record_every=(\d+)", str(exc.value)).group(1))
    assert k == 8
    r = fastgd.minimize("sphere", np.ones(1000), lr=0.1, max_iter=1000, tol=None, record_every=k)
    assert r.path.nbytes + r.losses.nbytes + r.grad_norms.nbytes <= budget
    # x0, every k-th iterate, and the last: GD on sum x^2 gives x_k = 0.8^k.
    rows = sorted({*range(0, 1001, k), 1000})
    assert r.path.shape == (len(rows), 1000)
    np.testing.assert_allclose(r.path[:, 0], 0.8 ** np.array(rows), rtol=1e-10, atol=1e-300)


def test_record_false_runs_what_recording_could_not():
    r = fastgd.minimize(
        "bowl", [1.0, 1.0], lr=0.1, max_iter=10**12, tol=None, gtol=1e-8, record=False
    )
    assert r.status == "converged"
    assert r.path.shape == (0, 2)


def test_record_every_keeps_every_kth_iterate_and_the_last():
    full = fastgd.minimize("rosenbrock", [-1.0, 1.0], optimizer="adam", lr=0.01, max_iter=1000)
    for k in (1, 3, 7, 1000, 5000):
        r = fastgd.minimize(
            "rosenbrock", [-1.0, 1.0], optimizer="adam", lr=0.01, max_iter=1000, record_every=k
        )
        rows = sorted({*range(0, full.nit + 1, k), full.nit})
        np.testing.assert_array_equal(r.path, full.path[rows])
        np.testing.assert_array_equal(r.losses, full.losses[rows])
        np.testing.assert_array_equal(r.grad_norms, full.grad_norms[rows])
        assert r.record_every == k
        np.testing.assert_array_equal(r.x, full.x)
    (race,) = fastgd.race(
        "rosenbrock", [-1.0, 1.0], ["adam"], lr=0.01, max_iter=1000, record_every=7
    )
    np.testing.assert_array_equal(race.path, full.path[sorted({*range(0, 1001, 7), 1000})])
    with pytest.raises(ValueError, match="record_every must be >= 1"):
        fastgd.minimize("bowl", [1.0, 1.0], record_every=0)


def test_a_long_run_that_stops_early_holds_only_what_it_used():
    # 10^9 allowed steps, recorded every 1000th: the estimate fits, and the run
    # converges after ~120 steps, holding 2 rows (no max_iter-sized reservation).
    r = fastgd.minimize("bowl", [1.0, 1.0], lr=0.1, max_iter=10**9, tol=1e-12, record_every=1000)
    assert r.status == "converged"
    assert r.path.shape == (2, 2)
    assert r.path.base is None or r.path.nbytes == 32


@pytest.mark.skipif(SANITIZED, reason="address-space limits and ASan's shadow memory do not mix")
@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS is Linux's")
def test_an_allocation_failing_in_a_worker_thread_is_a_memory_error_in_the_caller():
    # Under an address-space limit, recordings that pass the budget still cannot
    # grow: the std::bad_alloc happens in race's worker threads (without the GIL)
    # and must come back as a MemoryError, never std::terminate (SIGABRT).
    code = """
        import resource, numpy as np, fastgd
        from fastgd import _core
        fastgd.set_num_threads(2)
        fastgd.race("bowl", [1.0, 1.0], ["gd", "adam"], max_iter=10)  # start the pool first
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        used = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
        resource.setrlimit(resource.RLIMIT_AS, (used + 300 * 2**20, hard))
        settings = dict(max_iter=50_000, tol=-1.0, gtol=1e-6, grtol=1e-6,
                        stop_on_gradient=False, record_every=1)
        hyper = fastgd.SGD(lr=1e-9)._core_hyper()
        x0 = np.ones(1000)
        for call in (
            lambda: fastgd.race("sphere", x0, ["gd", "adam"], lr=1e-9, max_iter=50_000, tol=None),
            lambda: _core.minimize_many("sphere", [(x0, "sgd", hyper)] * 4, settings),
            lambda: fastgd.minimize("sphere", np.ones(2000), lr=1e-9, max_iter=50_000, tol=None),
            lambda: fastgd.minimize(lambda x: (float(x @ x), 2 * x), np.ones(2000), lr=1e-9,
                                    max_iter=50_000, tol=None),
        ):
            try:
                call()
            except MemoryError as exc:
                assert "record=False" in str(exc) and "record_every" in str(exc), exc
                print("MemoryError:", exc)
            else:
                print("no error")
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        r = fastgd.race("bowl", [1.0, 1.0], ["gd", "adam"], lr=0.1, max_iter=2000)
        print("after:", [x.status for x in r])
    """
    done = run_child(code)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert (
        sum(line.startswith("MemoryError: out of memory while recording") for line in lines) == 4
    ), done.stdout
    assert "after: ['converged'" in done.stdout  # the pool still works


# --- the registry shared between threads ------------------------------------------


@pytest.fixture(autouse=True)
def forget_test_objectives():
    yield
    with objectives._LOCK:
        for name in [n for n in objectives._REGISTRY if n.startswith("thread_test_")]:
            del objectives._REGISTRY[name]


def test_the_registry_is_safe_to_share_between_threads():
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)
    rounds = 200

    def worker(k: int) -> None:
        try:
            barrier.wait()
            for i in range(rounds):
                name = f"thread_test_{k}_{i % 5}"
                obj = objectives.register(
                    name, lambda x, k=k: float(k + x @ x), lambda x: 2 * x, dim=None, replace=True
                )
                assert objectives.get(name).value([1.0, 1.0]) == k + 2.0
                assert obj.name == name
                listed = objectives.names()
                assert listed == sorted(listed)
                assert "rosenbrock" in listed
                assert objectives.get("rosenbrock").compiled
                # Two threads may race to add one name: exactly one wins.
                with contextlib.suppress(ValueError):
                    objectives.register("thread_test_shared", lambda x: 0.0, dim=None)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    try:
        for t in threads:
            t.start()
    finally:
        for t in threads:
            t.join(timeout=120)
    assert not errors, errors[:3]
    listed = objectives.names()
    assert listed.count("thread_test_shared") == 1
    for k in range(8):
        for i in range(5):
            assert objectives.get(f"thread_test_{k}_{i}").value([0.0]) == k
    # What each thread registered last is what stays: one serial order of the calls.
    assert fastgd.minimize("thread_test_3_0", [1.0, 1.0], lr=0.1, max_iter=5).losses[0] == 5.0


def test_the_registry_check_and_insert_is_one_step():
    # The lock makes "is the name taken?" and the insert one step: 8 threads adding
    # the same new name at once leave exactly one winner and 7 clear refusals.
    results: list[str] = []
    barrier = threading.Barrier(8)

    def add() -> None:
        barrier.wait()
        try:
            objectives.register("thread_test_once", lambda x: 1.0, dim=None)
            results.append("added")
        except ValueError as exc:
            results.append(str(exc))

    threads = [threading.Thread(target=add) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results.count("added") == 1
    assert all("exists; pass replace=True" in r for r in results if r != "added")
