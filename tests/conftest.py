from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator

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


@contextlib.contextmanager
def python_child(code: str, **popen_kwargs) -> Iterator[subprocess.Popen]:
    """A Python child running ``code`` with Ctrl-C handled as in a terminal, its
    stdout and stderr piped as text; killed and reaped when the block ends, whatever
    happened, so a failing test never leaves it spinning."""
    proc = subprocess.Popen(
        [sys.executable, "-c", RESTORE_CTRL_C + code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen_kwargs,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
