"""The bad-input catalogue: odd inputs to every public function get a clear
exception, or the right answer, and never a crash or a changed input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fastgd

from . import catalogue
from .conftest import REPO_ROOT, child_env, make_regression


@pytest.fixture(scope="module")
def catalogue_results() -> dict[str, dict[str, object]]:
    """Every case of tests/catalogue.py, run in one child process: a crash there
    fails the cases from the one it died in, instead of killing the test run."""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-m", "tests.catalogue"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=child_env(REPO_ROOT),  # tests.catalogue, and this process's fastgd
    )
    results: dict[str, dict[str, object]] = {}
    last = None
    for line in done.stdout.splitlines():
        record = json.loads(line)
        last = record["name"]
        if not record.get("start"):
            results[record["name"]] = record
    if done.returncode != 0:
        results["__crash__"] = {
            "detail": f"exit {done.returncode} in case {last!r}: {done.stderr[-2000:]}"
        }
    return results


def test_the_catalogue_is_large_and_the_child_did_not_crash(catalogue_results):
    assert len(catalogue.CASES) >= 290  # 123 before issue 11, 294 after
    assert "__crash__" not in catalogue_results, catalogue_results.get("__crash__")


@pytest.mark.parametrize("name", [c.name for c in catalogue.CASES])
def test_bad_input(catalogue_results, name):
    result = catalogue_results.get(name)
    assert result is not None, f"never ran: {catalogue_results.get('__crash__')}"
    assert result["ok"], result["detail"]


def misaligned(a: np.ndarray) -> np.ndarray:
    """A copy of a whose data start one byte past an aligned address (what arrays
    rebuilt from network frames or np.frombuffer at an odd offset look like)."""
    buf = bytearray(a.nbytes + 1)
    out = np.frombuffer(buf, dtype=a.dtype, count=a.size, offset=1).reshape(a.shape)
    out[...] = a
    assert not out.flags.aligned
    return out


def test_misaligned_inputs_give_the_aligned_answers():
    X, y, _ = make_regression(300, 4)
    w = np.linspace(-1, 1, 4)
    Xm, ym, wm = misaligned(X), misaligned(y), misaligned(w)
    before = Xm.copy()
    assert (
        fastgd.least_squares_loss_grad(Xm, ym, wm)[0] == fastgd.least_squares_loss_grad(X, y, w)[0]
    )
    fit_m = fastgd.fit_least_squares(
        Xm, ym, optimizer="sgd", lr=0.01, batch_size=8, max_iter=3, random_state=0
    )
    fit = fastgd.fit_least_squares(
        X, y, optimizer="sgd", lr=0.01, batch_size=8, max_iter=3, random_state=0
    )
    np.testing.assert_array_equal(fit_m.coef, fit.coef)
    np.testing.assert_array_equal(Xm, before)
    r = fastgd.minimize(
        "rosenbrock", misaligned(np.array([-1.0, 1.0])), optimizer="adam", lr=0.01, max_iter=50
    )
    assert r.nit == 50
    f = fastgd.objectives.get("beale")
    np.testing.assert_array_equal(f.values(misaligned(np.ones((5, 2)))), f.values(np.ones((5, 2))))


def test_a_misaligned_grad_is_converted_and_misaligned_params_refused():
    p = np.ones(10)
    fastgd.Adam(lr=0.1).step(p, misaligned(np.arange(10.0)))
    q = np.ones(10)
    fastgd.Adam(lr=0.1).step(q, np.arange(10.0))
    np.testing.assert_array_equal(p, q)
    pm = misaligned(np.ones(10))
    with pytest.raises(ValueError, match="params is not aligned"):
        fastgd.SGD(lr=0.1).step(pm, np.ones(10))
    np.testing.assert_array_equal(pm, np.ones(10))
