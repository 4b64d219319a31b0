"""minimize: 10^5 Adam steps on rosenbrock with the path recorded, against the same
loop on NumPy arrays (the reference) and written with plain Python floats; and the
cost a Python-callable objective adds per step."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fastgd
from fastgd import reference as ref

STEPS = 10**5
X0 = (-1.0, 1.0)
GROUP = f"minimize rosenbrock Adam {STEPS} steps"


def numpy_loop(steps: int = STEPS) -> np.ndarray:
    return ref.descent_path("rosenbrock", np.array(X0), fastgd.Adam(lr=1e-3), steps)


def float_loop(steps: int = STEPS) -> list[tuple[float, float]]:
    x, y = X0
    m1 = m2 = v1 = v2 = 0.0
    b1, b2, lr, eps = 0.9, 0.999, 1e-3, 1e-8
    path = [(x, y)]
    for t in range(1, steps + 1):
        d = y - x * x
        g1, g2 = -400 * x * d - 2 * (1 - x), 200 * d
        m1 += (1 - b1) * (g1 - m1)
        m2 += (1 - b1) * (g2 - m2)
        v1 = b2 * v1 + (1 - b2) * g1 * g1
        v2 = b2 * v2 + (1 - b2) * g2 * g2
        step, root = lr / (1 - b1**t), math.sqrt(1 - b2**t)
        x -= step * m1 / (math.sqrt(v1) / root + eps)
        y -= step * m2 / (math.sqrt(v2) / root + eps)
        path.append((x, y))
    return path


def test_fastgd(benchmark):
    benchmark.group = GROUP
    benchmark.extra_info.update(role="fastgd")
    r = benchmark(
        fastgd.minimize,
        "rosenbrock",
        list(X0),
        optimizer=fastgd.Adam(lr=1e-3),
        max_iter=STEPS,
        tol=None,
    )
    assert r.path.shape == (STEPS + 1, 2)
    # Same algorithm as the loops below: compare the first 2000 steps.
    np.testing.assert_allclose(r.path[:2001], numpy_loop(2000), rtol=1e-9, atol=1e-12)


def test_numpy_arrays(benchmark):
    benchmark.group = GROUP
    benchmark.extra_info.update(role="baseline")
    path = benchmark.pedantic(numpy_loop, rounds=1, iterations=1)
    assert path.shape == (STEPS + 1, 2)


def test_plain_floats(benchmark):
    benchmark.group = GROUP
    benchmark.extra_info.update(role="floats")
    path = benchmark.pedantic(float_loop, rounds=3, iterations=1)
    np.testing.assert_allclose(path[2000], numpy_loop(2000)[-1], rtol=1e-9)


_GRAD = np.zeros(2)


def python_bowl(x):
    np.multiply(x, 2.0, out=_GRAD)
    return float(x[0] * x[0] + x[1] * x[1]), _GRAD


CALLBACK_GROUP = "minimize 10^4 GD steps on the bowl: the callback's cost"


@pytest.mark.parametrize("kind", ["builtin", "python-callable"])
def test_python_callable_overhead(benchmark, kind):
    """Per-step cost of calling back into Python: (python-callable - own cost) / 10^4
    is what fastgd adds to each step beyond the objective's own cost."""
    objective = "bowl" if kind == "builtin" else python_bowl
    benchmark.group = CALLBACK_GROUP
    benchmark.extra_info.update(role=kind)
    r = benchmark(
        fastgd.minimize, objective, [1.0, 1.0], lr=1e-6, max_iter=10**4, tol=None, record=False
    )
    assert r.nit == 10**4


def test_python_callable_own_cost(benchmark):
    """The objective alone, called 10^4 times from a Python loop."""
    x = np.array([1.0, 1.0])

    def own() -> None:
        for _ in range(10**4):
            python_bowl(x)

    benchmark.group = CALLBACK_GROUP
    benchmark.extra_info.update(role="own cost")
    benchmark(own)
