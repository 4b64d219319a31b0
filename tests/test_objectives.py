"""The objective registry: every gradient against finite differences, known minima
and minimum values, user objectives, and lookups."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fastgd
from fastgd import objectives

REQUIRED = [
    "bowl",
    "dome",
    "cos_valley",
    "egg_crate",
    "hill",
    "sphere",
    "rosenbrock",
    "beale",
    "booth",
    "himmelblau",
    "matyas",
    "three_hump_camel",
    "goldstein_price",
    "mccormick",
    "rastrigin",
    "ackley",
    "styblinski_tang",
    "saddle",
]


def test_every_name_of_the_design_is_registered():
    assert set(REQUIRED) <= set(objectives.names())


def _points(f, dim, count=20, seed=0):
    rng = np.random.default_rng(seed)
    lo = np.array([b[0] for b in f.bounds][:1] * dim if f.dim is None else [b[0] for b in f.bounds])
    hi = np.array([b[1] for b in f.bounds][:1] * dim if f.dim is None else [b[1] for b in f.bounds])
    return lo + (hi - lo) * rng.random((count, dim))


@pytest.mark.parametrize("name", objectives.names())
def test_gradient_matches_central_differences(name):
    f = objectives.get(name)
    for dim in [f.dim] if f.dim is not None else [2, 5]:
        for x in _points(f, dim):
            g = f.grad(x)
            h = 1e-6 * max(1.0, float(np.abs(x).max()))
            fd = np.array(
                [(f.value(x + h * e) - f.value(x - h * e)) / (2 * h) for e in np.eye(dim)]
            )
            scale = max(1.0, float(np.abs(fd).max()))
            np.testing.assert_allclose(
                g, fd, rtol=1e-5, atol=1e-5 * scale, err_msg=f"{name} at {x}"
            )


@pytest.mark.parametrize("name", objectives.names())
def test_minima_and_min_value(name):
    f = objectives.get(name)
    if not f.minima:
        assert f.min_value == -math.inf  # the unbounded ones say so
        far = np.full(f.dim or 2, 0.0)
        far[-1] = 1e3  # dome, hill, saddle, monkey saddle all fall without bound along some line
        assert (
            min(f.value(far), f.value(-far), f.value(np.roll(far, 1)), f.value(-np.roll(far, 1)))
            < -1e5
        )
        return
    for m in f.minima:
        assert f.value(m) == pytest.approx(f.min_value, abs=1e-6), (name, m)
        assert np.abs(f.grad(m)).max() < 1e-4, (name, m)
    # No sampled point in the window goes below the minimum.
    dim = f.dim or 2
    values = [f.value(x) for x in _points(f, dim, count=500, seed=1)]
    assert min(values) >= f.min_value - 1e-9


def test_d_dimensional_functions_take_any_dimension():
    x = np.ones(7)
    assert objectives.get("rosenbrock").value(x) == 0.0
    assert objectives.get("sphere").value(x) == 7.0
    st = objectives.get("styblinski_tang")
    assert st.value(np.full(3, -2.903534)) == pytest.approx(-39.16617 * 3, rel=1e-6)


def test_metadata_is_there():
    for name in objectives.names():
        f = objectives.get(name)
        assert f.doc
        assert len(f.bounds) == (f.dim or 2)
        assert all(lo < hi for lo, hi in f.bounds)


def test_wrong_points_are_errors():
    with pytest.raises(ValueError, match="beale is 2-dimensional, got a point of length 3"):
        objectives.get("beale").value([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="must be a 1-D point"):
        objectives.get("sphere").value([[1.0, 2.0]])
    with pytest.raises(ValueError, match="rosenbrock needs at least 2"):
        objectives.get("rosenbrock").value([1.0])


def test_lookup_failure_lists_the_close_names_and_every_name():
    with pytest.raises(
        ValueError,
        match=r"unknown objective 'rosenbruck' \(did you mean 'rosenbrock'\?\); known: ackley, beale",
    ):
        objectives.get("rosenbruck")
    with pytest.raises(ValueError, match="unknown objective 'zzz'; known: ackley"):
        objectives.get("zzz")


@pytest.fixture(autouse=True)
def forget_test_objectives():
    yield
    for name in [n for n in objectives.names() if n.startswith("test_")]:
        objectives._REGISTRY.pop(name)


def test_register_a_user_objective():
    f = objectives.register(
        "test_quartic",
        lambda x: float(np.sum(x**4)),
        lambda x: 4 * x**3,
        dim=2,
        minima=[(0, 0)],
        doc="x^4 + y^4",
        replace=True,
    )
    assert objectives.get("test_quartic") is f
    assert f.min_value == 0.0
    assert not f.finite_difference
    np.testing.assert_allclose(f.grad([1.0, -2.0]), [4.0, -32.0])


def test_register_without_gradient_uses_finite_differences():
    f = objectives.register("test_fd", lambda x: float(np.sum(np.sin(x))), dim=None, replace=True)
    assert f.finite_difference
    assert f.min_value == -math.inf
    np.testing.assert_allclose(f.grad([0.3, 1.2, -0.5]), np.cos([0.3, 1.2, -0.5]), rtol=1e-7)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(name="Bad Name"), ValueError, "lower-case identifier"),
        (dict(name="bowl"), ValueError, "an objective named 'bowl' exists"),
        (dict(value=3), TypeError, "must be callables"),
        (dict(dim=0), ValueError, "dim must be a positive integer"),
        (dict(bounds=[(1, 0), (0, 1)]), ValueError, "low < high"),
    ],
)
def test_register_rejects(kwargs, error, match):
    args = dict(name="test_rejected", value=lambda x: float(x @ x)) | kwargs
    name, value = args.pop("name"), args.pop("value")
    with pytest.raises(error, match=match):
        objectives.register(name, value, **args)


@pytest.mark.parametrize("name", [n for n in objectives.names() if objectives.get(n).compiled])
def test_compiled_kernels_match_the_python_definitions(name):
    from fastgd import _core

    f = objectives.get(name)
    for dim in [f.dim] if f.dim is not None else [2, 3, 6]:
        for x in _points(f, dim, count=50, seed=2):
            value, grad = _core._testing.test_function(name, np.ascontiguousarray(x))
            assert value == pytest.approx(f.value(x), rel=1e-12, abs=1e-12)
            np.testing.assert_allclose(grad, f.grad(x), rtol=1e-12, atol=1e-12)


def test_every_builtin_is_compiled_and_user_objectives_are_not():
    assert all(objectives.get(n).compiled for n in REQUIRED)
    f = objectives.register("test_user", lambda x: float(x @ x), lambda x: 2 * x, replace=True)
    assert not f.compiled


@pytest.mark.parametrize("name", objectives.names())
def test_values_over_rows_match_value(name):
    f = objectives.get(name)
    dim = f.dim or 3
    points = np.array(list(_points(f, dim, count=50, seed=2)))
    expected = [f.value(p) for p in points]
    np.testing.assert_allclose(f.values(points), expected, rtol=1e-13, atol=1e-13)


def test_values_checks_the_points():
    f = objectives.get("beale")
    with pytest.raises(ValueError, match=r"points must be a non-empty \(m, d\) array"):
        f.values(np.ones(2))
    with pytest.raises(ValueError, match="beale is 2-dimensional"):
        f.values(np.ones((4, 3)))
    user = objectives.register("test_sum", lambda x: float(x.sum()), dim=None, replace=True)
    np.testing.assert_array_equal(user.values(np.ones((3, 4))), [4.0, 4.0, 4.0])


def test_minima_at_a_dimension():
    assert objectives.get("himmelblau").minima_at(2)[1].tolist() == [-2.805118, 3.131312]
    assert objectives.get("himmelblau").minima_at(3) == []
    (m,) = objectives.get("rosenbrock").minima_at(5)
    np.testing.assert_array_equal(m, np.ones(5))
    (m,) = objectives.get("styblinski_tang").minima_at(1)
    st = objectives.get("styblinski_tang")
    assert st.value(m) == pytest.approx(st.min_value / 2, rel=1e-6)  # min_value is for d = 2


# --- issue 11: what a registered objective's functions return ----------------------


@pytest.fixture
def forget_issue11_objectives():
    yield
    with objectives._LOCK:
        for name in [n for n in objectives._REGISTRY if n.startswith("issue11_")]:
            del objectives._REGISTRY[name]


@pytest.mark.parametrize(
    ("value", "grad", "error", "match"),
    [
        (lambda x: 1.0, lambda x: x * 1j, TypeError, "gradient is complex .* imaginary part"),
        (
            lambda x: 1.0,
            lambda x: x[:1],
            ValueError,
            r"gradient must have shape \(2,\), got \(1,\)",
        ),
        (
            lambda x: 1.0,
            lambda x: np.array(["a", "b"]),
            TypeError,
            "gradient must hold real numbers",
        ),
        (
            lambda x: 1.0,
            lambda x: None,
            TypeError,
            "gradient must hold real numbers, got dtype object",
        ),
        (lambda x: 1j, lambda x: x, TypeError, "value must be a real number, got complex"),
        (lambda x: np.ones(1), lambda x: x, TypeError, r"an array of shape \(1,\)"),
        (lambda x: None, lambda x: x, TypeError, "value must be a real number, got NoneType"),
        (lambda x: 10**400, lambda x: x, ValueError, "int too large for a float64"),
        (lambda x: "1", lambda x: x, TypeError, "got str"),
    ],
)
def test_a_registered_objective_refuses_odd_results(
    value, grad, error, match, forget_issue11_objectives
):
    f = objectives.register("issue11_odd", value, grad, dim=2)
    with pytest.raises(error, match="issue11_odd: .*" + match):
        f.value_and_grad([1.0, 2.0])
    # minimize calls the same functions through the registry name.
    with pytest.raises(error, match=match):
        fastgd.minimize("issue11_odd", [1.0, 2.0], max_iter=3)


def test_finite_differences_refuse_a_complex_value(forget_issue11_objectives):
    f = objectives.register("issue11_fd", lambda x: complex(x @ x), dim=2)
    with pytest.raises(TypeError, match="value must be a real number, got complex"):
        f.grad([1.0, 2.0])


def test_register_refuses_a_complex_minimum_value(forget_issue11_objectives):
    with pytest.raises(TypeError, match="value must be a real number, got complex"):
        objectives.register("issue11_min", lambda x: 1j, minima=[(0.0, 0.0)])
    assert "issue11_min" not in objectives.names()
