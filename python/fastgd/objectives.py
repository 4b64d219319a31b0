"""A registry of objectives: the lecture's surfaces, classic test functions, your own.

Each objective has ``value(x)``, ``grad(x)`` (analytic), ``value_and_grad(x)`` and
metadata for plots: ``dim`` (None: any dimension), ``bounds`` (the plot window),
``minima`` (known global minimisers), ``min_value`` (-inf when unbounded below)
and ``doc`` (the formula).

>>> import fastgd
>>> f = fastgd.objectives.get("rosenbrock")
>>> f.value([1.0, 1.0])
0.0
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import numbers
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import _core
from ._namespace import public_dir

__all__ = ["Objective", "get", "names", "register"]

__dir__ = public_dir(__all__)


Array = np.ndarray[Any, Any]
ValueFn = Callable[[Array], float]
GradFn = Callable[[Array], Array]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Objective:
    """A differentiable function of a vector, with what plots need to know."""

    name: str
    _value: ValueFn = field(repr=False)
    _grad: GradFn | None = field(repr=False)
    dim: int | None = 2
    bounds: tuple[tuple[float, float], ...] = ((-2.0, 2.0), (-2.0, 2.0))
    minima: tuple[tuple[float, ...], ...] = ()
    min_value: float = 0.0
    doc: str = ""
    fd_step: float = 1e-6
    compiled: bool = False  # a C++ kernel of the same name computes it (built-ins only)

    @property
    def finite_difference(self) -> bool:
        """True when the gradient comes from central finite differences (no analytic one given)."""
        return self._grad is None

    def _point(self, x: ArrayLike) -> Array:
        a = np.asarray(x, dtype=np.float64)
        if a.ndim != 1:
            raise ValueError(f"{self.name}: x must be a 1-D point, got shape {a.shape}")
        if self.dim is not None and a.shape[0] != self.dim:
            raise ValueError(
                f"{self.name} is {self.dim}-dimensional, got a point of length {a.shape[0]}"
            )
        if self.dim is None and a.shape[0] == 0:
            raise ValueError(f"{self.name}: x must have at least one coordinate")
        return a

    def value(self, x: ArrayLike) -> float:
        return _real_value(self._value(self._point(x)), self.name)

    def grad(self, x: ArrayLike) -> Array:
        p = self._point(x)
        if self._grad is not None:
            return _real_gradient(self._grad(p), p.size, self.name)
        g = np.empty_like(p)
        for i in range(p.size):
            e = np.zeros_like(p)
            e[i] = self.fd_step
            up = _real_value(self._value(p + e), self.name)
            down = _real_value(self._value(p - e), self.name)
            g[i] = (up - down) / (2 * self.fd_step)
        return g

    def value_and_grad(self, x: ArrayLike) -> tuple[float, Array]:
        return self.value(x), self.grad(x)

    def __call__(self, x: ArrayLike) -> float:
        return self.value(x)

    def values(self, points: ArrayLike) -> Array:
        """The value at each row of ``points`` (shape (m, d)): one C++ loop for a
        built-in, a Python loop otherwise. For plot grids."""
        pts = np.require(points, dtype=np.float64, requirements=["C", "A"])
        if pts.ndim != 2 or pts.shape[0] == 0:
            raise ValueError(
                f"{self.name}: points must be a non-empty (m, d) array, got {pts.shape}"
            )
        self.value(pts[0])  # the dimension checks, here and in the function itself
        if self.compiled:
            return _core.evaluate_rows(self.name, pts)
        return np.array([_real_value(self._value(p), self.name) for p in pts])

    def minima_at(self, d: int) -> list[Array]:
        """The known minimisers in ``d`` dimensions. Objectives of any dimension store
        theirs for d = 2; each is a constant vector, repeated here to length d."""
        if self.dim is not None:
            return [np.array(m) for m in self.minima] if d == self.dim else []
        return [np.full(d, m[0]) for m in self.minima if len(set(m)) == 1]


def _real_value(value: Any, name: str) -> float:
    """A user function's value as a float, refusing what float() would mangle or
    pass: complex numbers, arrays of more than one element, None, strings."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.ndarray)):
        raise TypeError(f"{name}: the value must be a real number, got {type(value).__name__}")
    if isinstance(value, np.ndarray) and (value.ndim != 0 or value.dtype.kind not in "fiu"):
        raise TypeError(
            f"{name}: the value must be a real number, got an array of shape "
            f"{value.shape} and dtype {value.dtype}; return float(value)"
        )
    try:
        return float(value)
    except OverflowError:
        raise ValueError(
            f"{name}: the value is an int too large for a float64; return a float"
        ) from None


def _real_gradient(grad: Any, d: int, name: str) -> Array:
    """A user function's gradient as a float64 array of length d; a complex one
    is refused (converting it would drop the imaginary part)."""
    try:
        g = np.asarray(grad)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name}: the gradient could not be read as an array: {exc}") from None
    if g.dtype.kind == "c":
        raise TypeError(
            f"{name}: the gradient is complex (dtype {g.dtype}); its imaginary part would "
            "be dropped: return a real gradient"
        )
    if g.dtype.kind not in "fiu":
        raise TypeError(f"{name}: the gradient must hold real numbers, got dtype {g.dtype}")
    if g.shape != (d,):
        raise ValueError(f"{name}: the gradient must have shape ({d},), got {g.shape}")
    return np.asarray(g, dtype=np.float64)


_REGISTRY: dict[str, Objective] = {}
# register/get/names may run on several threads at once (free-threaded builds and
# GIL switches between bytecodes alike): the lock makes a check-then-insert atomic
# and readers see a whole dict.
_LOCK = threading.RLock()


def names() -> list[str]:
    """Every registered name, sorted."""
    with _LOCK:
        return sorted(_REGISTRY)


def get(name: str | Objective) -> Objective:
    """The objective registered under ``name``; a failed lookup raises ValueError
    naming the closest names and every known one."""
    if isinstance(name, Objective):
        return name
    if not isinstance(name, str):
        raise TypeError(f"objective name must be a string, got {type(name).__name__}")
    with _LOCK:
        found = _REGISTRY.get(name)
        known = sorted(_REGISTRY)
    if found is not None:
        return found
    close = difflib.get_close_matches(name, known, n=3)
    hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
    raise ValueError(f"unknown objective {name!r}{hint}; known: {', '.join(known)}")


def register(
    name: str,
    value: ValueFn,
    grad: GradFn | None = None,
    *,
    dim: int | None = 2,
    bounds: Any = None,
    minima: Any = (),
    min_value: float | None = None,
    doc: str = "",
    replace: bool = False,
) -> Objective:
    """Add an objective. Without ``grad``, central finite differences are used and
    ``Objective.finite_difference`` says so. Names are lower-case identifiers;
    re-registering one needs ``replace=True``."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(
            f"objective name must be a lower-case identifier like 'my_bowl', got {name!r}"
        )
    if not callable(value) or (grad is not None and not callable(grad)):
        raise TypeError("value (and grad, when given) must be callables of a 1-D array")
    if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int) or dim < 1):
        raise ValueError(f"dim must be a positive integer or None, got {dim!r}")
    plot_dim = dim if dim is not None else 2
    if bounds is None:
        bounds = ((-2.0, 2.0),) * plot_dim
    bounds_t = tuple((float(lo), float(hi)) for lo, hi in bounds)
    if any(not lo < hi for lo, hi in bounds_t):
        raise ValueError(f"bounds must be (low, high) pairs with low < high, got {bounds!r}")
    minima_t = tuple(tuple(float(c) for c in m) for m in minima)
    if min_value is None:
        min_value = _real_value(value(np.asarray(minima_t[0])), name) if minima_t else -math.inf
    obj = Objective(name, value, grad, dim, bounds_t, minima_t, float(min_value), doc)
    with _LOCK:  # the check and the insert at once: two threads cannot both add a name
        if name in _REGISTRY and not replace:
            raise ValueError(f"an objective named {name!r} exists; pass replace=True to replace it")
        _REGISTRY[name] = obj
    return obj


def _register_compiled(obj: Objective) -> None:
    with _LOCK:
        _REGISTRY[obj.name] = dataclasses.replace(obj, compiled=True)


def _builtin(
    name: str, dim: int | None, bounds: Any, minima: Any, min_value: float, doc: str
) -> Callable[[Callable[[Array], tuple[float, Array]]], Callable[[Array], tuple[float, Array]]]:
    """Register a built-in from one function that returns (value, grad)."""

    def wrap(fn: Callable[[Array], tuple[float, Array]]) -> Callable[[Array], tuple[float, Array]]:
        _register_compiled(
            register(
                name,
                lambda x: fn(x)[0],
                lambda x: fn(x)[1],
                dim=dim,
                bounds=bounds,
                minima=minima,
                min_value=min_value,
                doc=doc,
            )
        )
        return fn

    return wrap


SQUARE = ((-2.0, 2.0), (-2.0, 2.0))


# ---- the lecture's surfaces -------------------------------------------------
@_builtin("bowl", 2, SQUARE, [(0, 0)], 0.0, "t1^2 + t2^2")
def _bowl(x: Array) -> tuple[float, Array]:
    return float(x @ x), 2 * x


@_builtin(
    "dome", 2, SQUARE, [], -math.inf, "-t1^2 - t2^2 (unbounded below: gradient descent runs away)"
)
def _dome(x: Array) -> tuple[float, Array]:
    return float(-(x @ x)), -2 * x


@_builtin(
    "cos_valley",
    2,
    ((-4.0, 4.0), (-2.0, 2.0)),
    [(-math.pi / 2, 0), (math.pi / 2, 0)],
    0.0,
    "cos(t1)^2 + t2^2 (a valley of minima at t1 = pi/2 + k pi)",
)
def _cos_valley(x: Array) -> tuple[float, Array]:
    c, s = math.cos(x[0]), math.sin(x[0])
    return c * c + x[1] ** 2, np.array([-2 * c * s, 2 * x[1]])


@_builtin(
    "egg_crate",
    2,
    ((-4.0, 4.0), (-4.0, 4.0)),
    [(a, b) for a in (-math.pi / 2, math.pi / 2) for b in (-math.pi / 2, math.pi / 2)],
    0.0,
    "cos(t1)^2 + cos(t2)^2 (minima at pi/2 + k pi in each coordinate)",
)
def _egg_crate(x: Array) -> tuple[float, Array]:
    c, s = np.cos(x), np.sin(x)
    return float(c @ c), -2 * c * s


@_builtin("hill", 2, ((-3.0, 3.0), (-3.0, 3.0)), [], -math.inf, "9 - x^2 - y^2 (unbounded below)")
def _hill(x: Array) -> tuple[float, Array]:
    return 9.0 - float(x @ x), -2 * x


# ---- classic test functions -------------------------------------------------
@_builtin("sphere", None, SQUARE, [(0, 0)], 0.0, "sum_i x_i^2 (any dimension)")
def _sphere(x: Array) -> tuple[float, Array]:
    return float(x @ x), 2 * x


@_builtin(
    "rosenbrock",
    None,
    ((-2.0, 2.0), (-1.0, 3.0)),
    [(1, 1)],
    0.0,
    "sum_i 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2 (any dimension >= 2; minimum at all ones)",
)
def _rosenbrock(x: Array) -> tuple[float, Array]:
    if x.size < 2:
        raise ValueError("rosenbrock needs at least 2 coordinates")
    a, b = x[:-1], x[1:]
    d = b - a * a
    value = float(np.sum(100 * d * d + (1 - a) ** 2))
    g = np.zeros_like(x)
    g[:-1] += -400 * a * d - 2 * (1 - a)
    g[1:] += 200 * d
    return value, g


@_builtin(
    "beale",
    2,
    ((-4.5, 4.5), (-4.5, 4.5)),
    [(3, 0.5)],
    0.0,
    "(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
)
def _beale(p: Array) -> tuple[float, Array]:
    x, y = p
    t1, t2, t3 = 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3
    gx = 2 * t1 * (y - 1) + 2 * t2 * (y**2 - 1) + 2 * t3 * (y**3 - 1)
    gy = 2 * t1 * x + 2 * t2 * 2 * x * y + 2 * t3 * 3 * x * y**2
    return t1 * t1 + t2 * t2 + t3 * t3, np.array([gx, gy])


@_builtin(
    "booth", 2, ((-10.0, 10.0), (-10.0, 10.0)), [(1, 3)], 0.0, "(x + 2y - 7)^2 + (2x + y - 5)^2"
)
def _booth(p: Array) -> tuple[float, Array]:
    x, y = p
    a, b = x + 2 * y - 7, 2 * x + y - 5
    return a * a + b * b, np.array([2 * a + 4 * b, 4 * a + 2 * b])


@_builtin(
    "himmelblau",
    2,
    ((-5.0, 5.0), (-5.0, 5.0)),
    [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)],
    0.0,
    "(x^2 + y - 11)^2 + (x + y^2 - 7)^2 (four minima)",
)
def _himmelblau(p: Array) -> tuple[float, Array]:
    x, y = p
    a, b = x * x + y - 11, x + y * y - 7
    return a * a + b * b, np.array([4 * x * a + 2 * b, 2 * a + 4 * y * b])


@_builtin("matyas", 2, ((-10.0, 10.0), (-10.0, 10.0)), [(0, 0)], 0.0, "0.26 (x^2 + y^2) - 0.48 xy")
def _matyas(p: Array) -> tuple[float, Array]:
    x, y = p
    return 0.26 * (x * x + y * y) - 0.48 * x * y, np.array(
        [0.52 * x - 0.48 * y, 0.52 * y - 0.48 * x]
    )


@_builtin(
    "three_hump_camel",
    2,
    ((-5.0, 5.0), (-5.0, 5.0)),
    [(0, 0)],
    0.0,
    "2x^2 - 1.05x^4 + x^6/6 + xy + y^2",
)
def _three_hump_camel(p: Array) -> tuple[float, Array]:
    x, y = p
    value = 2 * x**2 - 1.05 * x**4 + x**6 / 6 + x * y + y**2
    return value, np.array([4 * x - 4.2 * x**3 + x**5 + y, x + 2 * y])


@_builtin(
    "goldstein_price",
    2,
    ((-2.0, 2.0), (-2.0, 2.0)),
    [(0, -1)],
    3.0,
    "[1 + (x+y+1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)] [30 + (2x-3y)^2 (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)]",
)
def _goldstein_price(p: Array) -> tuple[float, Array]:
    x, y = p
    s = x + y + 1
    q = 19 - 14 * x + 3 * x * x - 14 * y + 6 * x * y + 3 * y * y
    a = 1 + s * s * q
    t = 2 * x - 3 * y
    r = 18 - 32 * x + 12 * x * x + 48 * y - 36 * x * y + 27 * y * y
    b = 30 + t * t * r
    da_dx = 2 * s * q + s * s * (-14 + 6 * x + 6 * y)
    da_dy = 2 * s * q + s * s * (-14 + 6 * x + 6 * y)
    db_dx = 4 * t * r + t * t * (-32 + 24 * x - 36 * y)
    db_dy = -6 * t * r + t * t * (48 - 36 * x + 54 * y)
    return a * b, np.array([da_dx * b + a * db_dx, da_dy * b + a * db_dy])


@_builtin(
    "mccormick",
    2,
    ((-1.5, 4.0), (-3.0, 4.0)),
    [(-0.54719, -1.54719)],
    -1.9132229549810362,
    "sin(x + y) + (x - y)^2 - 1.5x + 2.5y + 1",
)
def _mccormick(p: Array) -> tuple[float, Array]:
    x, y = p
    c = math.cos(x + y)
    value = math.sin(x + y) + (x - y) ** 2 - 1.5 * x + 2.5 * y + 1
    return value, np.array([c + 2 * (x - y) - 1.5, c - 2 * (x - y) + 2.5])


@_builtin(
    "rastrigin",
    None,
    ((-5.12, 5.12), (-5.12, 5.12)),
    [(0, 0)],
    0.0,
    "10 d + sum_i x_i^2 - 10 cos(2 pi x_i) (any dimension; a grid of local minima)",
)
def _rastrigin(x: Array) -> tuple[float, Array]:
    w = 2 * math.pi
    return float(10 * x.size + np.sum(x * x - 10 * np.cos(w * x))), 2 * x + 10 * w * np.sin(w * x)


@_builtin(
    "ackley",
    None,
    ((-5.0, 5.0), (-5.0, 5.0)),
    [(0, 0)],
    0.0,
    "-20 exp(-0.2 sqrt(mean x_i^2)) - exp(mean cos(2 pi x_i)) + e + 20 (any dimension)",
)
def _ackley(x: Array) -> tuple[float, Array]:
    n, w = x.size, 2 * math.pi
    r = math.sqrt(float(x @ x) / n)
    e1 = math.exp(-0.2 * r)
    e2 = math.exp(float(np.mean(np.cos(w * x))))
    value = -20 * e1 - e2 + math.e + 20
    # The first term's gradient is 0/0 at the origin; its limit along every line is 0 there.
    g1 = np.zeros_like(x) if r == 0 else 20 * 0.2 * e1 * x / (n * r)
    g2 = e2 * w * np.sin(w * x) / n
    return value, g1 + g2


@_builtin(
    "styblinski_tang",
    None,
    ((-5.0, 5.0), (-5.0, 5.0)),
    [(-2.903534, -2.903534)],
    -78.33233140754282,
    "sum_i (x_i^4 - 16 x_i^2 + 5 x_i) / 2 (any dimension; minimum -39.16617 d)",
)
def _styblinski_tang(x: Array) -> tuple[float, Array]:
    return float(np.sum(x**4 - 16 * x**2 + 5 * x) / 2), (4 * x**3 - 32 * x + 5) / 2


@_builtin(
    "saddle", 2, SQUARE, [], -math.inf, "x^2 - y^2 (a saddle point at the origin; unbounded below)"
)
def _saddle(p: Array) -> tuple[float, Array]:
    x, y = p
    return x * x - y * y, np.array([2 * x, -2 * y])


@_builtin(
    "monkey_saddle", 2, SQUARE, [], -math.inf, "x^3 - 3xy^2 (a flat saddle with three valleys)"
)
def _monkey_saddle(p: Array) -> tuple[float, Array]:
    x, y = p
    return x**3 - 3 * x * y * y, np.array([3 * x * x - 3 * y * y, -6 * x * y])


@_builtin(
    "narrow_valley",
    2,
    ((-2.0, 2.0), (-1.0, 1.0)),
    [(0, 0)],
    0.0,
    "x^2 + 50 y^2 (an ill-conditioned bowl: plain GD zig-zags, momentum helps)",
)
def _narrow_valley(p: Array) -> tuple[float, Array]:
    x, y = p
    return x * x + 50 * y * y, np.array([2 * x, 100 * y])
