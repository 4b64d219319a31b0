"""Objects shared between threads never crash, and what they report equals one
serial order of the calls made (the checks are in tests/sharing_stress.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from .conftest import REPO_ROOT, child_env, python_child
from .sharing_stress import MINIMUM

ROOT = Path(__file__).resolve().parent.parent


def test_eight_threads_share_an_optimizer_an_estimator_and_the_registry():
    # FASTGD_STRESS_SECONDS shortens the run where every call is slow (ThreadSanitizer).
    seconds = float(os.environ.get("FASTGD_STRESS_SECONDS", "10"))
    code = f"import runpy, sys; sys.argv = ['', '{seconds}']; runpy.run_module('tests.sharing_stress', run_name='__main__')"
    with python_child(code, cwd=ROOT, env=child_env(REPO_ROOT)) as proc:
        out, err = proc.communicate(timeout=10 * seconds + 900)
    assert proc.returncode == 0, f"exit {proc.returncode}: {err[-3000:]}"
    counts = json.loads(out.strip().splitlines()[-1])
    # Every kind of call happened, many times, while the others ran (the run goes on
    # until it has, however slow the machine).
    assert counts["sgd_steps"] >= MINIMUM["sgd_steps"], counts
    assert counts["snapshots_big"] >= MINIMUM["snapshots"], counts
    assert counts["snapshots_small"] >= MINIMUM["snapshots"], counts
    assert counts["fits"] >= MINIMUM["fits"], counts
    assert counts["predictions"] >= MINIMUM["predictions"], counts
    assert counts["registered"] >= MINIMUM["registered"], counts
