"""The explorer's typed formulas: what the whitelist accepts and refuses, the caps on
length, numbers and parse time, and the derivatives sympy gives."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

pytest.importorskip("sympy", reason="the explorer needs the explore extra (sympy)")

from fastgd.explorer import formula as fm
from fastgd.explorer.limits import MAX_FORMULA_LENGTH, PARSE_SECONDS


@pytest.mark.parametrize(
    ("text", "x", "value", "slope"),
    [
        ("x**2 - 3*sin(x)", 0.7, 0.49 - 3 * math.sin(0.7), 1.4 - 3 * math.cos(0.7)),
        # ^ is a power with the precedence of **: x^2-1 is (x^2) - 1, not x^(2-1)
        ("x^2-1", 3.0, 8.0, 6.0),
        ("-x^2", 2.0, -4.0, -4.0),
        ("exp(x)/2 + ln(x) + sqrt(x)", 4.0, math.exp(4) / 2 + math.log(4) + 2, None),
        ("abs(x) + pi*e", -2.0, 2 + math.pi * math.e, -1.0),
        ("tanh(x) + atan(x) + cosh(x)", 0.5, None, None),
    ],
)
def test_parses_the_allowed_forms_and_derives_them(text, x, value, slope):
    f = fm.parse(text)
    got_value, got_grad = f.value_and_grad(np.array([x]))
    h = 1e-6
    numeric = (f.value_and_grad(np.array([x + h]))[0] - f.value_and_grad(np.array([x - h]))[0]) / (
        2 * h
    )
    assert got_grad[0] == pytest.approx(numeric, rel=1e-6, abs=1e-8)
    if value is not None:
        assert got_value == pytest.approx(value, rel=1e-12)
    if slope is not None:
        assert got_grad[0] == pytest.approx(slope, rel=1e-12)


def test_two_variables_give_the_gradient_in_their_order():
    f = fm.parse("(1-x)^2 + 100*(y-x^2)^2", ("x", "y"))
    value, grad = f.value_and_grad(np.array([-1.0, 1.0]))
    assert value == pytest.approx(4.0)
    np.testing.assert_allclose(grad, [-4.0, 0.0])
    grid = f.on_grid(np.array([[0.0, 1.0]]), np.array([[0.0, 1.0]]))
    np.testing.assert_allclose(grid, [[1.0, 0.0]])


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("__import__('os')", "double underscores"),
        ("().__class__", "double underscores"),
        ("x.real", "attribute access"),
        ("lambda: 1", "Lambda"),
        ("open('f')", "'open' cannot be called"),
        ("eval('1')", "'eval' cannot be called"),
        ("sin(x, 2)", "exactly one argument"),
        ("sin(x=1)", "exactly one argument"),
        ("y + 1", "unknown name 'y'"),
        ("'text'", "is not a number"),
        ("x[0]", "Subscript"),
        ("[x]", "List"),
        ("x if x else 1", "IfExp"),
        ("x < 1", "Compare"),
        ("x % 2", "Mod"),
        ("True + x", "is not a number"),
        ("sin", "is a function"),
        ("2x", "write products with *"),
        ("1/0", "undefined everywhere"),
        ("sqrt(-1)*x", "complex values"),
        ("log(-2) + x", "complex values"),
        ("x**2000000", "at most 1e+06"),
        ("1e400*x", "at most 1e+06"),
        ("", "empty"),
        ("   ", "empty"),
    ],
)
def test_refuses_what_is_not_on_the_whitelist(text, says):
    with pytest.raises(fm.FormulaError) as caught:
        fm.parse(text)
    assert says in str(caught.value)


def test_refuses_a_formula_that_is_not_a_string():
    with pytest.raises(fm.FormulaError, match="must be a string, got int"):
        fm.parse(12)


def test_refuses_long_formulas():
    text = "+".join(["x"] * (MAX_FORMULA_LENGTH // 2 + 1))
    assert len(text) > MAX_FORMULA_LENGTH
    with pytest.raises(fm.FormulaError, match=f"at most {MAX_FORMULA_LENGTH}"):
        fm.parse(text)


def test_refuses_deep_nesting():
    with pytest.raises(fm.FormulaError):
        fm.parse("(" * 99 + "x" + ")" * 99 + "+" + "sin(" * 45 + "x" + ")" * 45)


def test_a_formula_too_slow_to_parse_is_stopped_at_the_time_limit():
    # Exact integer power: sympy would compute a number of 5.7 million digits.
    started = time.perf_counter()
    with pytest.raises(fm.FormulaError, match="longer than"):
        fm.parse("999999**999999*x")
    spent = time.perf_counter() - started
    assert spent < PARSE_SECONDS + 10  # stopped, not run to the end
    # ... and the parser still works afterwards
    assert fm.parse("x + 1").value_and_grad(np.array([1.0]))[0] == 2.0


def test_grids_are_non_finite_where_the_formula_is_undefined():
    f = fm.parse("log(x)")
    values = f.on_grid(np.array([-1.0, 0.0, 1.0]))
    assert math.isnan(values[0])
    assert values[1] == -math.inf
    assert values[2] == 0.0
