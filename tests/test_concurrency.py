"""The GIL is released during fits, Ctrl-C stops them, and parallel fits are correct."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import fastgd

from .conftest import interrupt_child, make_regression, python_child


def test_gil_is_released_during_a_long_fit():
    X, y, _ = make_regression(100_000, 32)
    done = threading.Event()
    ticks = 0

    def fit():
        fastgd.fit_least_squares(X, y, lr=1e-3, batch_size=1, max_iter=10, tol=None, record=False)
        done.set()

    worker = threading.Thread(target=fit)
    start = time.perf_counter()
    worker.start()
    while not done.is_set():
        ticks += 1
    worker.join()
    elapsed = time.perf_counter() - start
    assert elapsed > 0.05, "the fit was too short to observe"
    # Holding the GIL would freeze this loop for the whole fit (a handful of ticks).
    assert ticks > 10_000


def test_four_fits_in_four_threads_at_once():
    datasets = [make_regression(20_000, 8, seed=s, intercept=s) for s in range(4)]
    configs = [
        dict(batch_size=None),
        dict(batch_size=16, lr=0.01),
        dict(optimizer="momentum", lr=0.02),
        dict(optimizer="nesterov", batch_size=64, lr=0.01),
    ]
    expected = [
        fastgd.fit_least_squares(X, y, max_iter=20, random_state=1, **c)
        for (X, y, _), c in zip(datasets, configs, strict=False)
    ]
    results: list = [None] * 4
    barrier = threading.Barrier(4)

    def run(i):
        X, y, _ = datasets[i]
        barrier.wait()
        results[i] = fastgd.fit_least_squares(X, y, max_iter=20, random_state=1, **configs[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got, want in zip(results, expected, strict=False):
        np.testing.assert_array_equal(got.coef, want.coef)
        np.testing.assert_array_equal(got.losses, want.losses)


CTRL_C_SCRIPT = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    import fastgd
    rng = np.random.default_rng(0)
    n, d = %s
    X = rng.standard_normal((n, d), dtype=np.float32)
    y = X @ rng.standard_normal(d, dtype=np.float32)
    kwargs = dict(%s)
    print("ready", flush=True)
    start = time.perf_counter()
    try:
        fastgd.fit_least_squares(X, y, max_iter=10**9, tol=None, **kwargs)
    except KeyboardInterrupt:
        print(f"interrupted {time.perf_counter() - start:.3f}", flush=True)
        sys.exit(0)
    print("finished without interruption", flush=True)
    sys.exit(1)
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child needs POSIX")
@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [
        ("200_000, 16", "gradient='stream', lr=1e-3"),
        ("200_000, 16", "gradient='gram', lr=1e-3"),
        ("200_000, 16", "batch_size=1, lr=1e-4, record=False"),
        ("200_000, 16", "batch_size=256, lr=1e-3"),
        # Building the Gram form of 100000 x 500 takes seconds: it must poll too.
        ("100_000, 500", "gradient='gram', lr='auto'"),
    ],
    ids=["stream", "gram", "sgd-1", "sgd-256", "gram-build"],
)
def test_ctrl_c_stops_a_fit(shape, kwargs):
    returncode, out, err, latency = interrupt_child(CTRL_C_SCRIPT % (shape, kwargs))
    assert returncode == 0, (out, err)
    assert out.startswith("interrupted")
    assert latency < 5.0  # generous: the loop checks every ~20 ms


def test_every_instruction_set_gives_the_same_answer():
    # FASTGD_ARCH caps the dispatch; each copy of the kernels must agree to rounding.
    code = textwrap.dedent(
        """
        import numpy as np, fastgd
        rng = np.random.default_rng(0)
        X = rng.standard_normal((3001, 37)); y = rng.standard_normal(3001); w = rng.standard_normal(37)
        loss, g = fastgd.least_squares_loss_grad(X, y, w)
        l32, g32 = fastgd.least_squares_loss_grad(X.astype(np.float32), y, w)
        fit = fastgd.fit_least_squares(X, y, batch_size=7, max_iter=2, random_state=0)
        print(fastgd.simd_arch(), repr(loss), repr(l32), *g[:3], *fit.coef[:3])
        """
    )
    rows = {}
    for arch in ("baseline", "avx2", "avx512"):
        env = dict(os.environ, FASTGD_ARCH=arch)
        out = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout.split()
        rows[out[0]] = np.array([float(x) for x in out[1:]])
    assert "baseline" in rows
    base = rows["baseline"]
    for values in rows.values():
        np.testing.assert_allclose(
            values[[0, 2, 3, 4, 5, 6, 7]], base[[0, 2, 3, 4, 5, 6, 7]], rtol=1e-9
        )
        np.testing.assert_allclose(values[1], base[1], rtol=1e-5)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.skipif(
    "thread" in fastgd._core.build_info()["sanitizers"],
    reason="ThreadSanitizer does not support starting threads after a multi-threaded fork "
    "(it exits 66); the normal and ASan builds run this test",
)
def test_threaded_kernels_work_in_a_forked_child():
    # The worker pool's threads do not survive fork(); the child must start its own.
    code = textwrap.dedent(
        """
        import os, numpy as np, fastgd
        X = np.random.default_rng(0).standard_normal((300_000, 16))
        y, w = np.zeros(300_000), np.ones(16)
        parent = fastgd.least_squares_loss_grad(X, y, w)[0]
        pid = os.fork()
        if pid == 0:
            os._exit(0 if fastgd.least_squares_loss_grad(X, y, w)[0] == parent else 3)
        print(os.waitpid(pid, 0)[1])
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "0"


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child needs POSIX")
def test_ctrl_c_stops_a_race():
    code = textwrap.dedent(
        """
        import sys, time, fastgd
        print("ready", flush=True)
        try:
            fastgd.race("rosenbrock", [-1.0, 1.0] * 1, optimizers=["adam", "gd", "rmsprop", "nesterov"],
                        lr=1e-6, max_iter=10**9, tol=None, record=False)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            sys.exit(0)
        sys.exit(1)
        """
    )
    with python_child(code) as proc:
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, (out, err)
    assert out.strip() == "interrupted"


def _ticks_while(call) -> tuple[int, float]:
    """How often this thread's loop ran while call() ran in another thread."""
    done = threading.Event()

    def work():
        call()
        done.set()

    worker = threading.Thread(target=work)
    ticks = 0
    start = time.perf_counter()
    worker.start()
    while not done.is_set():
        ticks += 1
    worker.join()
    return ticks, time.perf_counter() - start


_BIG = make_regression(400_000, 32)
_HUGE_P = np.ones(1 << 22)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(
            lambda: [
                fastgd.least_squares_loss_grad(_BIG[0], _BIG[1], np.zeros(32)) for _ in range(5)
            ],
            id="loss-grad-x5",  # one pass takes ~15 ms here: too short to observe alone
        ),
        pytest.param(
            lambda: [
                fastgd.loss_grad(_BIG[0], np.sign(_BIG[1]), np.zeros(32), loss="log_loss")
                for _ in range(5)
            ],
            id="logistic-loss-grad-x5",
        ),
        pytest.param(
            lambda: fastgd.loss_grad(
                _BIG[0], np.arange(_BIG[0].shape[0]) % 10, np.zeros((32, 10)), loss="log_loss"
            ),
            id="multinomial-loss-grad",
        ),
        pytest.param(
            lambda: fastgd.fit_least_squares(
                *_BIG[:2], lr=1e-3, max_iter=5, gradient="stream", tol=None
            ),
            id="fit-stream",
        ),
        pytest.param(
            lambda: fastgd.fit_least_squares(
                *_BIG[:2], lr="auto", max_iter=5, gradient="gram", tol=None
            ),
            id="fit-gram-auto",
        ),
        pytest.param(
            lambda: fastgd.fit_least_squares(
                *_BIG[:2], lr=1e-3, batch_size=64, max_iter=1, tol=None
            ),
            id="fit-sgd-64",
        ),
        pytest.param(
            lambda: fastgd.fit_linear(
                _BIG[0], np.sign(_BIG[1]), loss="log_loss", max_iter=5, tol=None
            ),
            id="fit-linear-logistic",
        ),
        pytest.param(
            lambda: fastgd.fit_linear(
                *_BIG[:2], loss="huber", lr=1e-3, batch_size=64, max_iter=1, tol=None
            ),
            id="fit-linear-sgd-64",
        ),
        pytest.param(
            lambda: fastgd.minimize(
                "rosenbrock", [-1.0, 1.0], optimizer="adam", lr=1e-3, max_iter=300_000, tol=None
            ),
            id="minimize",
        ),
        pytest.param(
            lambda: fastgd.race(
                "beale", [1.0, 1.0], ["adam", "momentum"], lr=1e-4, max_iter=300_000, tol=None
            ),
            id="race",
        ),
        pytest.param(
            lambda: [fastgd.Adam(lr=0.1).step(_HUGE_P.copy(), _HUGE_P) for _ in range(5)],
            id="step-4M",
        ),
        pytest.param(
            lambda: fastgd.objectives.get("ackley").values(np.ones((1_000_000, 2))), id="values"
        ),
    ],
)
def test_gil_is_released_in_every_long_loop(call):
    ticks, elapsed = _ticks_while(call)
    assert elapsed > 0.02, "too short to observe"
    # With the GIL held the loop could not run at all while the call did its work;
    # released, it runs millions of times a second (a few percent of that suffices).
    assert ticks / elapsed > 50_000, (ticks, elapsed)


def test_eight_threads_mixing_the_api_agree_with_serial_runs():
    """8 threads, 10 s, a mix of calls (each thread its own data and optimizer):
    every result equal to the same call made alone, and no deadlock."""
    X, y, _ = make_regression(5_000, 8, intercept=1.0)
    grad_source = np.linspace(-1, 1, 1000)

    def objective(x):
        return float(x @ x), 2 * x

    calls = {
        "loss-grad": lambda: fastgd.least_squares_loss_grad(X, y, np.ones(8))[1],
        "fit-gd": lambda: fastgd.fit_least_squares(X, y, optimizer="gd", lr=0.05, max_iter=20).coef,
        "fit-sgd": lambda: (
            fastgd.fit_least_squares(
                X, y, optimizer="sgd", lr=0.01, batch_size=16, max_iter=2, random_state=3
            ).coef
        ),
        "fit-adam": lambda: (
            fastgd.fit_least_squares(
                X, y, optimizer="adam", lr=0.05, batch_size=64, max_iter=2, random_state=4
            ).coef
        ),
        "minimize": lambda: (
            fastgd.minimize("rosenbrock", [-1.0, 1.0], optimizer="adam", lr=1e-3, max_iter=2000).x
        ),
        "minimize-callable": lambda: fastgd.minimize(objective, [1.0, -2.0], max_iter=200).x,
        "race": lambda: np.concatenate(
            [r.x for r in fastgd.race("beale", [1.0, 1.0], ["adam", "rmsprop"], max_iter=500)]
        ),
        "steps": lambda: _steps(grad_source),
    }
    expected = {name: call() for name, call in calls.items()}
    names = list(calls)
    mismatches: list[str] = []
    counts = [0] * 8
    stop_at = time.perf_counter() + 10.0

    def worker(k: int) -> None:
        i = k
        while time.perf_counter() < stop_at:
            name = names[i % len(names)]
            got = calls[name]()
            if not np.array_equal(got, expected[name]):
                mismatches.append(name)
            counts[k] += 1
            i += 1

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread is stuck: deadlock"
    assert not mismatches, mismatches[:5]
    assert min(counts) > 0
    print(f"8 threads, 10 s: {sum(counts)} calls, all equal to the serial results")


def _steps(grad: np.ndarray) -> np.ndarray:
    opt = fastgd.RMSprop(lr=0.01, centered=True)
    p = np.zeros_like(grad)
    for _ in range(20):
        opt.step(p, grad + p)
    return p
