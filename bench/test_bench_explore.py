"""The explorer's race (issue 16 §4): 6 optimizers for 2000 steps on a 2-D objective,
answered by the /api/2d/race handler and encoded as the server sends it. The
target is < 50 ms of server time. A typed f(x, y) (the same Rosenbrock, called
back in Python through sympy's lambdify) is timed beside it."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("starlette", reason="the explorer needs the explore extra")
pytest.importorskip("sympy", reason="the explorer needs the explore extra")

from fastgd.explorer import two_d
from fastgd.explorer.app import answer_json

STEPS = 2000
OPTIMIZERS = ["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]
GROUP = f"explore: race of {len(OPTIMIZERS)} optimizers, {STEPS} steps, rosenbrock"
SURFACES = {
    "registered": {"objective": "rosenbrock"},
    "typed-formula": {"formula": "(1-x)^2 + 100*(y-x^2)^2"},
}


def answer(body: dict) -> bytes:
    """What the server does for one request, minus HTTP: the handler and its JSON."""
    return answer_json(two_d.race, body)


@pytest.mark.parametrize("surface", list(SURFACES))
def test_race_request(benchmark, surface):
    body = {
        **SURFACES[surface],
        "x0": [-1.0, 1.0],
        "steps": STEPS,
        # rates small enough that no run stops early: every run takes all 2000 steps
        "optimizers": [{"name": name, "lr": 1e-3, "momentum": 0.9} for name in OPTIMIZERS],
    }
    answer(body)  # the formula is parsed (and cached) once, as on the page's first race
    benchmark.group = GROUP
    benchmark.extra_info.update(role=surface)
    encoded = benchmark(answer, body)
    runs = json.loads(encoded)["runs"]
    assert [run["name"] for run in runs] == OPTIMIZERS
    assert all(len(run["x"]) == STEPS + 1 for run in runs)
