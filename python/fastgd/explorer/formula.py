"""Typed formulas: parsed into sympy from a whitelist, derived, made NumPy functions.

The text is read by Python's ``ast.parse`` (which only parses) and each node is
translated by hand into sympy: numbers, the allowed variables, the constants pi and
e, + - * / ** (``^`` too), and calls of whitelisted functions by bare name. Nothing
else is accepted (attribute access, subscripts, keywords, lambdas, strings, other
names), so no user text ever reaches ``eval``: neither Python's nor the one inside
sympy's ``parse_expr``, which this module does not use. The result is derived
symbolically and turned into NumPy functions by ``sympy.lambdify``.

Exact arithmetic can take unbounded time (``999999**999999``), so a formula is
first parsed and derived in a child process that is stopped after
``PARSE_SECONDS`` of CPU time; only a formula that finished there is parsed here.
"""

from __future__ import annotations

import ast
import functools
import math
import multiprocessing
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from .limits import (
    MAX_FORMULA_LENGTH,
    MAX_FORMULA_NODES,
    MAX_LITERAL,
    PARSE_SECONDS,
    PARSE_WALL_SECONDS,
)

try:
    import resource  # Unix: the child's CPU-time limit
except ImportError:  # Windows: the wall-clock budget alone
    resource = None  # type: ignore[assignment]

__all__ = ["FUNCTIONS", "Formula", "FormulaError", "parse"]


class FormulaError(ValueError):
    """A formula that cannot be used, with a message for the person who typed it."""


FUNCTIONS: dict[str, Any] = {
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "asin": sympy.asin,
    "acos": sympy.acos,
    "atan": sympy.atan,
    "sinh": sympy.sinh,
    "cosh": sympy.cosh,
    "tanh": sympy.tanh,
    "exp": sympy.exp,
    "log": sympy.log,
    "ln": sympy.log,
    "sqrt": sympy.sqrt,
    "abs": sympy.Abs,
    "Abs": sympy.Abs,
}
"""The functions a formula may call, by the name it calls them (one argument each)."""

CONSTANTS: dict[str, Any] = {"pi": sympy.pi, "e": sympy.E, "E": sympy.E}

_OPERATORS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}


@dataclass(frozen=True)
class Formula:
    """A parsed formula of ``variables``: the expression, its gradient, both as
    NumPy functions of the variables (arrays broadcast, for grids) and as ``math``
    functions of floats (for descent steps: NumPy on scalars costs 2-20x more)."""

    text: str
    variables: tuple[str, ...]
    expression: Any
    gradient: tuple[Any, ...]
    value: Callable[..., Any]
    partials: tuple[Callable[..., Any], ...]
    scalar_value: Callable[..., Any]
    scalar_partials: tuple[Callable[..., Any], ...]

    def value_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """``fastgd.minimize``'s callable form: x (d,) -> (f(x), grad f(x)); nan
        where the formula is undefined, so fastgd's own rules report the run (not
        finite at x0, or diverged)."""
        args = [float(c) for c in np.ravel(x)]
        value = _at(self.scalar_value, args)
        return value, np.array([_at(p, args) for p in self.scalar_partials])

    def require_finite_at(self, point: Sequence[float]) -> None:
        """A FormulaError, in the page's words, when f or its gradient is not finite
        at the start (fastgd.minimize would refuse it in the words of its API)."""
        value, grad = self.value_and_grad(np.asarray(point, dtype=np.float64))
        if not (np.isfinite(value) and np.isfinite(grad).all()):
            where = ", ".join(f"{n} = {c:g}" for n, c in zip(self.variables, point, strict=True))
            raise FormulaError(
                f"the formula is not defined (or not finite) at the start {where}: "
                f"f = {value:g}, gradient = {', '.join(f'{g:g}' for g in grad)}"
            )

    def on_grid(self, *axes: np.ndarray) -> np.ndarray:
        """The value at every point of broadcast arrays (non-finite where undefined)."""
        with np.errstate(all="ignore"):
            out = np.asarray(self.value(*axes), dtype=np.float64)
        return np.broadcast_to(out, np.broadcast_shapes(*(a.shape for a in axes))).copy()

    def derivative_on_grid(self, *axes: np.ndarray, index: int = 0) -> np.ndarray:
        with np.errstate(all="ignore"):
            out = np.asarray(self.partials[index](*axes), dtype=np.float64)
        return np.broadcast_to(out, np.broadcast_shapes(*(a.shape for a in axes))).copy()


def _at(function: Callable[..., Any], args: list[float]) -> float:
    """A ``math`` function's value, nan where it is undefined: math raises on 1/0,
    log(-1) and overflow, and a negative float to a fractional power is complex."""
    try:
        value = function(*args)
    except (ArithmeticError, ValueError):
        return math.nan
    return math.nan if isinstance(value, complex) else float(value)


def _translate(node: ast.AST, symbols: dict[str, Any]) -> Any:
    if isinstance(node, ast.Expression):
        return _translate(node.body, symbols)
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise FormulaError(f"{value!r} is not a number")
        if not math.isfinite(value) or abs(value) > MAX_LITERAL:
            raise FormulaError(f"numbers must be at most {MAX_LITERAL:g} in size, got {value!r}")
        return sympy.Integer(value) if isinstance(value, int) else sympy.Float(value)
    if isinstance(node, ast.Name):
        if node.id in symbols:
            return symbols[node.id]
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        if node.id in FUNCTIONS:
            raise FormulaError(f"{node.id} is a function: write {node.id}(...)")
        known = ", ".join([*symbols, *CONSTANTS])
        raise FormulaError(f"unknown name {node.id!r}; the names allowed are {known}")
    if isinstance(node, ast.BinOp):
        op = _OPERATORS.get(type(node.op))
        if op is None:
            raise FormulaError(f"the operator {type(node.op).__name__} is not allowed")
        return op(_translate(node.left, symbols), _translate(node.right, symbols))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _translate(node.operand, symbols)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            allowed = ", ".join(sorted(FUNCTIONS))
            what = node.func.id if isinstance(node.func, ast.Name) else "that"
            raise FormulaError(f"{what!r} cannot be called; the functions allowed are {allowed}")
        if node.keywords or len(node.args) != 1:
            raise FormulaError(f"{node.func.id} takes exactly one argument")
        return FUNCTIONS[node.func.id](_translate(node.args[0], symbols))
    if isinstance(node, ast.Attribute):
        raise FormulaError("attribute access (a.b) is not allowed")
    raise FormulaError(f"{type(node).__name__} is not allowed in a formula")


def _check_text(text: Any) -> str:
    if not isinstance(text, str):
        raise FormulaError(f"the formula must be a string, got {type(text).__name__}")
    text = text.strip()
    if not text:
        raise FormulaError("the formula is empty")
    if len(text) > MAX_FORMULA_LENGTH:
        raise FormulaError(
            f"the formula has {len(text)} characters; at most {MAX_FORMULA_LENGTH} are allowed"
        )
    if "__" in text:
        raise FormulaError("double underscores are not allowed")
    return text


def _build(text: str, variables: Sequence[str]) -> tuple[Any, tuple[Any, ...]]:
    """(expression, gradient) of checked text: the part that may take long."""
    try:
        # People write x^2: as Python's ** (not its ^, which binds looser than -).
        tree = ast.parse(text.replace("^", "**"), mode="eval")
    except SyntaxError as exc:
        where = f" at column {exc.offset}" if exc.offset else ""
        raise FormulaError(
            f"cannot read the formula{where}: write products with * (2*x, not 2x)"
        ) from None
    symbols = {name: sympy.Symbol(name, real=True) for name in variables}
    try:
        expression = sympy.sympify(_translate(tree, symbols))
    except RecursionError:
        raise FormulaError("the formula is nested too deeply") from None
    if expression.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise FormulaError("the formula is undefined everywhere (a division by zero?)")
    if expression.has(sympy.I):
        raise FormulaError("the formula has complex values (such as sqrt(-1) or log(-2))")
    if sympy.count_ops(expression) > MAX_FORMULA_NODES:
        raise FormulaError("the formula is too large")
    gradient = tuple(sympy.diff(expression, symbols[name]) for name in variables)
    if any(sympy.count_ops(g) > MAX_FORMULA_NODES for g in gradient):
        raise FormulaError("the formula's derivative is too large")
    return expression, gradient


def _probe(text: str, variables: tuple[str, ...], conn: Any) -> None:
    """In the child: build the formula, send back None (fine) or the error."""
    if resource is not None:
        # The budget is CPU time, so a busy machine does not refuse a fine formula;
        # past it the kernel ends the child with SIGXCPU (SIGKILL a second later).
        budget = math.ceil(PARSE_SECONDS)
        resource.setrlimit(resource.RLIMIT_CPU, (budget, budget + 1))
    try:
        _build(text, variables)
        conn.send(None)
    except FormulaError as exc:
        conn.send(str(exc))
    except Exception as exc:  # noqa: BLE001 - sympy's own failures are a bad formula too
        conn.send(f"cannot use the formula: {type(exc).__name__}: {exc}")


def _context() -> Any:
    # forkserver: children fork from a single-threaded server that has imported this
    # module already, so a probe starts in milliseconds and inherits no server threads.
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([__name__])
        return ctx
    return multiprocessing.get_context("spawn")


def _too_slow() -> FormulaError:
    return FormulaError(
        f"the formula took longer than {PARSE_SECONDS:g} s to parse and derive; use smaller numbers"
    )


def _probe_in_child(text: str, variables: tuple[str, ...]) -> None:
    ctx = _context()
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_probe, args=(text, variables, send), daemon=True)
    child.start()
    try:
        send.close()
        wall = PARSE_WALL_SECONDS if resource is not None else PARSE_SECONDS
        if not receive.poll(wall):
            raise _too_slow()
        try:
            message = receive.recv()
        except EOFError:
            child.join()
            if resource is not None and child.exitcode in (-signal.SIGXCPU, -signal.SIGKILL):
                raise _too_slow() from None
            raise FormulaError("the formula could not be parsed (the parser failed)") from None
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join()
    if message is not None:
        raise FormulaError(message)


@functools.lru_cache(maxsize=128)
def _parse_checked(text: str, variables: tuple[str, ...]) -> Formula:
    _probe_in_child(text, variables)
    expression, gradient = _build(text, variables)
    symbols = [sympy.Symbol(name, real=True) for name in variables]
    value = sympy.lambdify(symbols, expression, modules="numpy")
    partials = tuple(sympy.lambdify(symbols, g, modules="numpy") for g in gradient)
    scalar_value = sympy.lambdify(symbols, expression, modules="math")
    scalar_partials = tuple(sympy.lambdify(symbols, g, modules="math") for g in gradient)
    return Formula(
        text, variables, expression, gradient, value, partials, scalar_value, scalar_partials
    )


def parse(text: Any, variables: Sequence[str] = ("x",)) -> Formula:
    """Parse ``text`` as a formula of ``variables`` and derive it.

    Parameters
    ----------
    text : str
        Such as ``"x**2 - 3*sin(x)"`` (``^`` is also a power).
    variables : sequence of str
        The names the formula may use (and the order of its gradient).

    Returns
    -------
    Formula

    Raises
    ------
    FormulaError
        A ValueError saying what is wrong: too long, unreadable, a name or function
        that is not allowed, numbers too large, too slow to parse.
    """
    checked = _check_text(text)
    # The cache makes repeated requests for one formula (every step) cheap; it holds
    # only formulas that parsed, so a failing one is probed again (and fails fast).
    return _parse_checked(checked, tuple(variables))
