from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# scikit-learn's check_array_api_input needs SciPy's array API mode, which is read
# once, when SciPy is first imported: set it before any test imports SciPy.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np
import pytest
from hypothesis import settings

import fastgd

# Property tests: on CI (CI=true) a fixed, derandomised run, so a failure reproduces;
# elsewhere random examples. Per-test @settings(max_examples=...) keep these defaults.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# Tolerances that fit each dtype: float32 sums of ~10^3 terms keep ~5 digits.
RTOL = {np.dtype(np.float32): 2e-4, np.dtype(np.float64): 1e-10}


def make_regression(
    n: int, d: int, dtype=np.float64, noise: float = 0.1, seed: int = 0, intercept: float = 0.0
):
    """Well-conditioned synthetic data: y = X w_true + intercept + noise."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    w_true = rng.standard_normal(d)
    y = X @ w_true + intercept + noise * rng.standard_normal(n)
    return X.astype(dtype), y.astype(dtype), w_true


@pytest.fixture
def regression():
    return make_regression(500, 6, intercept=2.0)


@pytest.fixture(autouse=True)
def restore_threads():
    before = fastgd.get_num_threads()
    yield
    fastgd.set_num_threads(before)


# Prepended to every child that a test interrupts: a shell's background job starts
# its children with SIGINT ignored, and Python keeps an ignored SIGINT ignored, while
# a user's terminal Ctrl-C reaches a handler. The child installs the handler itself.
RESTORE_CTRL_C = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)\n"


#: The folder this fastgd was imported from (a source tree's python/, or site-packages).
FASTGD_HOME = str(Path(fastgd.__file__).resolve().parent.parent)
#: The repository root (for ``tests.<module>`` in a child).
REPO_ROOT = str(Path(__file__).resolve().parent.parent)


def child_env(*first: str, **extra: str) -> dict[str, str]:
    """This process's environment for a Python child that must import the same fastgd
    (a worktree's python/ on PYTHONPATH, or the installed one): ``first`` folders, then
    FASTGD_HOME, then the caller's PYTHONPATH; ``extra`` variables set on top."""
    parts = [*first, FASTGD_HOME, *os.environ.get("PYTHONPATH", "").split(os.pathsep)]
    path = os.pathsep.join(dict.fromkeys(p for p in parts if p))
    return {**os.environ, "PYTHONPATH": path, **extra}


@contextlib.contextmanager
def child_process(args: list[str], **popen_kwargs) -> Iterator[subprocess.Popen]:
    """A child running ``args``, its stdout and stderr piped as text; killed and
    reaped when the block ends, whatever happened, so a failing test never leaves it
    spinning."""
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen_kwargs
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def python_child(code: str, **popen_kwargs) -> contextlib.AbstractContextManager[subprocess.Popen]:
    """A Python child running ``code`` with Ctrl-C handled as in a terminal (a
    :func:`child_process`: piped, killed and reaped when the block ends)."""
    return child_process([sys.executable, "-c", RESTORE_CTRL_C + code], **popen_kwargs)


def interrupt_child(code: str) -> tuple[int, str, str, float]:
    """Run ``code`` in a :func:`python_child`, wait for its "ready" line, let its loop
    run 0.5 s, press Ctrl-C: (return code, stdout, stderr, seconds until it ended)."""
    with python_child(code) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.5)  # let the loop start
        sent = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        return proc.returncode, out, err, time.perf_counter() - sent


PLAN_DEFAULTS = dict(
    optimizer="sgd",
    lr=0.01,
    momentum=None,
    batch_size=None,
    max_iter=1000,
    tol=1e-6,
    fit_intercept=True,
    l2=0.0,
    shuffle=True,
    record=True,
    gradient="auto",
)


def make_plan(n: int = 1000, d: int = 4, dtype=np.float64, **kw):
    """fastgd.fit_plan.plan_fit for n rows and d features in ``dtype``, with
    PLAN_DEFAULTS where ``kw`` does not say otherwise."""
    from fastgd.fit_plan import plan_fit

    return plan_fit(n, d, np.dtype(dtype), **{**PLAN_DEFAULTS, **kw})


def run_mypy(tmp_path, source: str) -> tuple[str, int]:
    """``mypy --strict`` on ``source`` (written to a file in tmp_path): its report
    and exit status. Skips the test where mypy is not installed."""
    api = pytest.importorskip("mypy.api")
    path = tmp_path / "uses_fastgd.py"
    path.write_text(source)
    out, _, status = api.run(
        ["--strict", "--cache-dir", str(tmp_path / "cache"), "--no-error-summary", str(path)]
    )
    return out, status


@contextlib.contextmanager
def dask_client(**cluster_options: Any) -> Iterator[Any]:
    """A Client on a LocalCluster of two workers, closed afterwards even when a test
    fails. The dashboard binds a free loopback port: the scheduler's HTTP server takes
    :8787 even with the dashboard off, and a second cluster on the machine would fail."""
    import distributed

    cluster = distributed.LocalCluster(
        n_workers=2, dashboard_address="127.0.0.1:0", **cluster_options
    )
    try:
        with distributed.Client(cluster) as c:
            yield c
    finally:
        cluster.close()
