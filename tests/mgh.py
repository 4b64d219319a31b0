"""The Moré-Garbow-Hillstrom unconstrained test set, as sums of squares.

J. J. Moré, B. S. Garbow and K. E. Hillstrom, "Testing unconstrained optimization
software", ACM Transactions on Mathematical Software 7(1), 17-41, 1981.

All 35 problems of the paper are here, each as residuals r(x) (length m) and their
Jacobian J(x) (m x n), written out by hand and vectorised with NumPy; the objective is
f(x) = r . r and its gradient g = 2 J^T r (the paper's f, with no factor 1/2).

``f_star`` is the paper's published minimum value. Where the paper gives it only to a
few digits ("8.21487... 10^-3"), the digits printed are stored, as printed, and
``f_star_digits`` says how many significant digits that is (None: exactly known, such
as 0 or m - n). ``f_other`` holds the other local minima the paper lists (a solver that
stops there has found a published minimum, not f*). ``f0`` is f(x0) where it can be
worked out by hand from the paper's formulas (an oracle independent of this code).

Dimensions: the paper's standard x0 for each, and for the variable-dimension problems
the sizes its tables use: n = 10 for 21 (extended Rosenbrock is n even), 23-31;
n = 12 for 22 (a multiple of 4); Watson n = 6; Chebyquad n = m = 8; the linear
functions 32-34 n = 10, m = 20; Jennrich-Sampson m = 10; Gulf m = 99; Box m = 10;
Biggs m = 13; Brown-Dennis m = 20.

Osborne 2's 18th datum: some transcriptions print 0.625, the FORTRAN of the paper's
companion (TOMS algorithm 566) and others 0.626; 0.626 is used, and with it a solver
reaches the published 4.01377e-2 (checked in tests/test_mgh.py).

This module is the problem set, not a test file.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

Array = np.ndarray


@dataclass(frozen=True)
class Problem:
    """One MGH problem: f(x) = ||r(x)||^2 with its analytic Jacobian."""

    number: int
    name: str
    n: int
    m: int
    x0: tuple[float, ...]
    residuals: Callable[[Array], Array] = field(repr=False)
    jacobian: Callable[[Array], Array] = field(repr=False)
    f_star: float
    # Significant digits the paper prints for f_star (None: exact, e.g. 0 or m - n).
    f_star_digits: int | None = None
    # Other local minima the paper lists (finite ones only).
    f_other: tuple[float, ...] = ()
    f_other_digits: int | None = None
    # f(x0) worked out by hand from the paper's formulas (None: not done).
    f0: float | None = None

    @property
    def id(self) -> str:
        return f"{self.number:02d}-{self.name.lower().replace(' ', '_').replace('-', '_')}"

    def start(self) -> Array:
        return np.array(self.x0, dtype=float)

    def f(self, x: Array) -> float:
        r = self.residuals(np.asarray(x, dtype=float))
        return float(r @ r)

    def grad(self, x: Array) -> Array:
        x = np.asarray(x, dtype=float)
        return 2.0 * (self.jacobian(x).T @ self.residuals(x))

    def fun_and_grad(self, x: Array) -> tuple[float, Array]:
        x = np.asarray(x, dtype=float)
        r = self.residuals(x)
        return float(r @ r), 2.0 * (self.jacobian(x).T @ r)

    def tolerance(self, target: float, digits: int | None) -> float:
        """How close f must come to a published value ``target`` to have reached it:
        relative 1e-6 (absolute 1e-10 for 0), widened to one unit of the last digit
        the paper prints (the paper truncates: "8.21487... 10^-3")."""
        if target == 0.0:
            return 1e-10
        tol = 1e-6 * abs(target)
        if digits is not None:
            unit = 10.0 ** (math.floor(math.log10(abs(target))) - digits + 1)
            tol = max(tol, unit)
        return tol

    def reached(self, value: float) -> float | None:
        """The published minimum (f_star or one of f_other) that ``value`` reaches, or
        None. f_star is tried first."""
        if abs(value - self.f_star) <= self.tolerance(self.f_star, self.f_star_digits):
            return self.f_star
        for other in self.f_other:
            if abs(value - other) <= self.tolerance(other, self.f_other_digits):
                return other
        return None


PROBLEMS: list[Problem] = []


def _register(problem: Problem) -> None:
    PROBLEMS.append(problem)


# --- 1. Rosenbrock ---------------------------------------------------------------------
def _rosen_r(x: Array) -> Array:
    return np.array([10.0 * (x[1] - x[0] ** 2), 1.0 - x[0]])


def _rosen_j(x: Array) -> Array:
    return np.array([[-20.0 * x[0], 10.0], [-1.0, 0.0]])


_register(Problem(1, "Rosenbrock", 2, 2, (-1.2, 1.0), _rosen_r, _rosen_j, 0.0, f0=24.2))


# --- 2. Freudenstein and Roth ----------------------------------------------------------
def _freud_r(x: Array) -> Array:
    a, b = x
    return np.array([-13.0 + a + ((5.0 - b) * b - 2.0) * b, -29.0 + a + ((b + 1.0) * b - 14.0) * b])


def _freud_j(x: Array) -> Array:
    b = x[1]
    return np.array([[1.0, 10.0 * b - 3.0 * b * b - 2.0], [1.0, 3.0 * b * b + 2.0 * b - 14.0]])


_register(
    Problem(
        2, "Freudenstein and Roth", 2, 2, (0.5, -2.0), _freud_r, _freud_j, 0.0,
        f_other=(48.9842,), f_other_digits=6, f0=400.5,
    )
)  # fmt: skip


# --- 3. Powell badly scaled ------------------------------------------------------------
def _pbs_r(x: Array) -> Array:
    return np.array([1e4 * x[0] * x[1] - 1.0, np.exp(-x[0]) + np.exp(-x[1]) - 1.0001])


def _pbs_j(x: Array) -> Array:
    return np.array([[1e4 * x[1], 1e4 * x[0]], [-np.exp(-x[0]), -np.exp(-x[1])]])


_register(
    Problem(
        3, "Powell badly scaled", 2, 2, (0.0, 1.0), _pbs_r, _pbs_j, 0.0,
        f0=1.0 + (math.exp(-1.0) - 0.0001) ** 2,
    )
)  # fmt: skip


# --- 4. Brown badly scaled -------------------------------------------------------------
def _bbs_r(x: Array) -> Array:
    return np.array([x[0] - 1e6, x[1] - 2e-6, x[0] * x[1] - 2.0])


def _bbs_j(x: Array) -> Array:
    return np.array([[1.0, 0.0], [0.0, 1.0], [x[1], x[0]]])


_register(
    Problem(
        4, "Brown badly scaled", 2, 3, (1.0, 1.0), _bbs_r, _bbs_j, 0.0,
        f0=(1.0 - 1e6) ** 2 + (1.0 - 2e-6) ** 2 + 1.0,
    )
)  # fmt: skip


# --- 5. Beale --------------------------------------------------------------------------
_BEALE_Y = np.array([1.5, 2.25, 2.625])
_BEALE_I = np.arange(1.0, 4.0)


def _beale_r(x: Array) -> Array:
    return _BEALE_Y - x[0] * (1.0 - x[1] ** _BEALE_I)


def _beale_j(x: Array) -> Array:
    return np.column_stack([-(1.0 - x[1] ** _BEALE_I), x[0] * _BEALE_I * x[1] ** (_BEALE_I - 1.0)])


_register(Problem(5, "Beale", 2, 3, (1.0, 1.0), _beale_r, _beale_j, 0.0, f0=14.203125))


# --- 6. Jennrich and Sampson (m = 10) ---------------------------------------------------
_JS_I = np.arange(1.0, 11.0)


def _js_r(x: Array) -> Array:
    return 2.0 + 2.0 * _JS_I - (np.exp(_JS_I * x[0]) + np.exp(_JS_I * x[1]))


def _js_j(x: Array) -> Array:
    return np.column_stack([-_JS_I * np.exp(_JS_I * x[0]), -_JS_I * np.exp(_JS_I * x[1])])


_register(
    Problem(6, "Jennrich and Sampson", 2, 10, (0.3, 0.4), _js_r, _js_j, 124.362, f_star_digits=6)
)


# --- 7. Helical valley -----------------------------------------------------------------
def _theta(x1: float, x2: float) -> float:
    if x1 > 0:
        return math.atan(x2 / x1) / (2.0 * math.pi)
    if x1 < 0:
        return math.atan(x2 / x1) / (2.0 * math.pi) + 0.5
    return math.copysign(0.25, x2)


def _helical_r(x: Array) -> Array:
    rho = math.hypot(x[0], x[1])
    return np.array([10.0 * (x[2] - 10.0 * _theta(x[0], x[1])), 10.0 * (rho - 1.0), x[2]])


def _helical_j(x: Array) -> Array:
    rho2 = x[0] ** 2 + x[1] ** 2
    rho = math.sqrt(rho2)
    t1 = -x[1] / (2.0 * math.pi * rho2)
    t2 = x[0] / (2.0 * math.pi * rho2)
    return np.array(
        [[-100.0 * t1, -100.0 * t2, 10.0], [10.0 * x[0] / rho, 10.0 * x[1] / rho, 0.0],
         [0.0, 0.0, 1.0]]
    )  # fmt: skip


_register(
    Problem(7, "Helical valley", 3, 3, (-1.0, 0.0, 0.0), _helical_r, _helical_j, 0.0, f0=2500.0)
)


# --- 8. Bard ---------------------------------------------------------------------------
_BARD_Y = np.array(
    [0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39]
)
_BARD_U = np.arange(1.0, 16.0)
_BARD_V = 16.0 - _BARD_U
_BARD_W = np.minimum(_BARD_U, _BARD_V)


def _bard_r(x: Array) -> Array:
    return _BARD_Y - (x[0] + _BARD_U / (_BARD_V * x[1] + _BARD_W * x[2]))


def _bard_j(x: Array) -> Array:
    den2 = (_BARD_V * x[1] + _BARD_W * x[2]) ** 2
    return np.column_stack([-np.ones(15), _BARD_U * _BARD_V / den2, _BARD_U * _BARD_W / den2])


# The paper's other minimum, 17.4286..., is at x2 = x3 = -inf: not a finite point.
_register(Problem(8, "Bard", 3, 15, (1.0, 1.0, 1.0), _bard_r, _bard_j, 8.21487e-3, f_star_digits=6))


# --- 9. Gaussian -----------------------------------------------------------------------
_GAUSS_Y = np.array(
    [0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989,
     0.3521, 0.2420, 0.1295, 0.0540, 0.0175, 0.0044, 0.0009]
)  # fmt: skip
_GAUSS_T = (8.0 - np.arange(1.0, 16.0)) / 2.0


def _gauss_r(x: Array) -> Array:
    d = _GAUSS_T - x[2]
    return x[0] * np.exp(-x[1] * d * d / 2.0) - _GAUSS_Y


def _gauss_j(x: Array) -> Array:
    d = _GAUSS_T - x[2]
    e = np.exp(-x[1] * d * d / 2.0)
    return np.column_stack([e, -x[0] * e * d * d / 2.0, x[0] * e * x[1] * d])


_register(
    Problem(9, "Gaussian", 3, 15, (0.4, 1.0, 0.0), _gauss_r, _gauss_j, 1.12793e-8, f_star_digits=6)
)


# --- 10. Meyer -------------------------------------------------------------------------
_MEYER_Y = np.array(
    [34780.0, 28610.0, 23650.0, 19630.0, 16370.0, 13720.0, 11540.0, 9744.0,
     8261.0, 7030.0, 6005.0, 5147.0, 4427.0, 3820.0, 3307.0, 2872.0]
)  # fmt: skip
_MEYER_T = 45.0 + 5.0 * np.arange(1.0, 17.0)


def _meyer_r(x: Array) -> Array:
    return x[0] * np.exp(x[1] / (_MEYER_T + x[2])) - _MEYER_Y


def _meyer_j(x: Array) -> Array:
    den = _MEYER_T + x[2]
    e = np.exp(x[1] / den)
    return np.column_stack([e, x[0] * e / den, -x[0] * e * x[1] / den**2])


_register(
    Problem(10, "Meyer", 3, 16, (0.02, 4000.0, 250.0), _meyer_r, _meyer_j, 87.9458, f_star_digits=6)
)


# --- 11. Gulf research and development (m = 99) ----------------------------------------
_GULF_T = np.arange(1.0, 100.0) / 100.0
_GULF_Y = 25.0 + (-50.0 * np.log(_GULF_T)) ** (2.0 / 3.0)


def _gulf_r(x: Array) -> Array:
    a = np.abs(_GULF_Y - x[1])
    return np.exp(-(a ** x[2]) / x[0]) - _GULF_T


def _gulf_j(x: Array) -> Array:
    diff = _GULF_Y - x[1]
    a = np.abs(diff)
    p = a ** x[2]
    e = np.exp(-p / x[0])
    return np.column_stack(
        [e * p / x[0] ** 2, e * x[2] * a ** (x[2] - 1.0) * np.sign(diff) / x[0],
         -e * p * np.log(a) / x[0]]
    )  # fmt: skip


_register(
    Problem(11, "Gulf research and development", 3, 99, (5.0, 2.5, 0.15), _gulf_r, _gulf_j, 0.0)
)


# --- 12. Box three-dimensional (m = 10) ------------------------------------------------
_BOX_T = 0.1 * np.arange(1.0, 11.0)
_BOX_C = np.exp(-_BOX_T) - np.exp(-10.0 * _BOX_T)


def _box_r(x: Array) -> Array:
    return np.exp(-_BOX_T * x[0]) - np.exp(-_BOX_T * x[1]) - x[2] * _BOX_C


def _box_j(x: Array) -> Array:
    return np.column_stack(
        [-_BOX_T * np.exp(-_BOX_T * x[0]), _BOX_T * np.exp(-_BOX_T * x[1]), -_BOX_C]
    )


_register(Problem(12, "Box three-dimensional", 3, 10, (0.0, 10.0, 20.0), _box_r, _box_j, 0.0))


# --- 13. Powell singular, 22. extended Powell singular ---------------------------------
def _powell_r(x: Array) -> Array:
    a, b, c, d = x[0::4], x[1::4], x[2::4], x[3::4]
    r = np.empty(x.size)
    r[0::4] = a + 10.0 * b
    r[1::4] = math.sqrt(5.0) * (c - d)
    r[2::4] = (b - 2.0 * c) ** 2
    r[3::4] = math.sqrt(10.0) * (a - d) ** 2
    return r


def _powell_j(x: Array) -> Array:
    n = x.size
    J = np.zeros((n, n))
    k = np.arange(0, n, 4)
    a, b, c, d = x[k], x[k + 1], x[k + 2], x[k + 3]
    J[k, k], J[k, k + 1] = 1.0, 10.0
    J[k + 1, k + 2], J[k + 1, k + 3] = math.sqrt(5.0), -math.sqrt(5.0)
    J[k + 2, k + 1], J[k + 2, k + 2] = 2.0 * (b - 2.0 * c), -4.0 * (b - 2.0 * c)
    J[k + 3, k], J[k + 3, k + 3] = (
        2.0 * math.sqrt(10.0) * (a - d),
        -2.0 * math.sqrt(10.0) * (a - d),
    )
    return J


_register(
    Problem(13, "Powell singular", 4, 4, (3.0, -1.0, 0.0, 1.0), _powell_r, _powell_j, 0.0, f0=215.0)
)


# --- 14. Wood --------------------------------------------------------------------------
def _wood_r(x: Array) -> Array:
    x1, x2, x3, x4 = x
    return np.array(
        [10.0 * (x2 - x1**2), 1.0 - x1, math.sqrt(90.0) * (x4 - x3**2), 1.0 - x3,
         math.sqrt(10.0) * (x2 + x4 - 2.0), (x2 - x4) / math.sqrt(10.0)]
    )  # fmt: skip


def _wood_j(x: Array) -> Array:
    s90, s10 = math.sqrt(90.0), math.sqrt(10.0)
    return np.array(
        [[-20.0 * x[0], 10.0, 0.0, 0.0], [-1.0, 0.0, 0.0, 0.0],
         [0.0, 0.0, -2.0 * s90 * x[2], s90], [0.0, 0.0, -1.0, 0.0],
         [0.0, s10, 0.0, s10], [0.0, 1.0 / s10, 0.0, -1.0 / s10]]
    )  # fmt: skip


_register(Problem(14, "Wood", 4, 6, (-3.0, -1.0, -3.0, -1.0), _wood_r, _wood_j, 0.0, f0=19192.0))


# --- 15. Kowalik and Osborne -----------------------------------------------------------
_KO_Y = np.array(
    [0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235, 0.0246]
)
_KO_U = np.array([4.0, 2.0, 1.0, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625])


def _ko_r(x: Array) -> Array:
    u = _KO_U
    return _KO_Y - x[0] * (u * u + u * x[1]) / (u * u + u * x[2] + x[3])


def _ko_j(x: Array) -> Array:
    u = _KO_U
    num = u * u + u * x[1]
    den = u * u + u * x[2] + x[3]
    return np.column_stack(
        [-num / den, -x[0] * u / den, x[0] * num * u / den**2, x[0] * num / den**2]
    )


# The paper's other minimum, 1.02734... 10^-3, is at infinity (x1 = +inf, x3 = x4 = -inf).
_register(
    Problem(
        15, "Kowalik and Osborne", 4, 11, (0.25, 0.39, 0.415, 0.39), _ko_r, _ko_j, 3.07505e-4,
        f_star_digits=6,
    )
)  # fmt: skip


# --- 16. Brown and Dennis (m = 20) -----------------------------------------------------
_BD_T = np.arange(1.0, 21.0) / 5.0


def _bd_parts(x: Array) -> tuple[Array, Array]:
    t = _BD_T
    return x[0] + t * x[1] - np.exp(t), x[2] + x[3] * np.sin(t) - np.cos(t)


def _bd_r(x: Array) -> Array:
    a, b = _bd_parts(x)
    return a * a + b * b


def _bd_j(x: Array) -> Array:
    a, b = _bd_parts(x)
    return np.column_stack([2.0 * a, 2.0 * a * _BD_T, 2.0 * b, 2.0 * b * np.sin(_BD_T)])


_register(
    Problem(
        16, "Brown and Dennis", 4, 20, (25.0, 5.0, -5.0, -1.0), _bd_r, _bd_j, 85822.2,
        f_star_digits=6,
    )
)  # fmt: skip


# --- 17. Osborne 1 ---------------------------------------------------------------------
_OS1_Y = np.array(
    [0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751,
     0.718, 0.685, 0.658, 0.628, 0.603, 0.580, 0.558, 0.538, 0.522, 0.506, 0.490,
     0.478, 0.467, 0.457, 0.448, 0.438, 0.431, 0.424, 0.420, 0.414, 0.411, 0.406]
)  # fmt: skip
_OS1_T = 10.0 * np.arange(33.0)


def _os1_r(x: Array) -> Array:
    t = _OS1_T
    return _OS1_Y - (x[0] + x[1] * np.exp(-t * x[3]) + x[2] * np.exp(-t * x[4]))


def _os1_j(x: Array) -> Array:
    t = _OS1_T
    e4, e5 = np.exp(-t * x[3]), np.exp(-t * x[4])
    return np.column_stack([-np.ones(33), -e4, -e5, x[1] * t * e4, x[2] * t * e5])


_register(
    Problem(
        17, "Osborne 1", 5, 33, (0.5, 1.5, -1.0, 0.01, 0.02), _os1_r, _os1_j, 5.46489e-5,
        f_star_digits=6,
    )
)  # fmt: skip


# --- 18. Biggs EXP6 (m = 13) -----------------------------------------------------------
_BIGGS_T = 0.1 * np.arange(1.0, 14.0)
_BIGGS_Y = np.exp(-_BIGGS_T) - 5.0 * np.exp(-10.0 * _BIGGS_T) + 3.0 * np.exp(-4.0 * _BIGGS_T)


def _biggs_r(x: Array) -> Array:
    t = _BIGGS_T
    return x[2] * np.exp(-t * x[0]) - x[3] * np.exp(-t * x[1]) + x[5] * np.exp(-t * x[4]) - _BIGGS_Y


def _biggs_j(x: Array) -> Array:
    t = _BIGGS_T
    e1, e2, e5 = np.exp(-t * x[0]), np.exp(-t * x[1]), np.exp(-t * x[4])
    return np.column_stack([-t * x[2] * e1, t * x[3] * e2, e1, -e2, -t * x[5] * e5, e5])


# f = 0 at (1, 10, 1, 5, 4, 3); the paper also lists the local minimum 5.65565... 10^-3.
_register(
    Problem(
        18, "Biggs EXP6", 6, 13, (1.0, 2.0, 1.0, 1.0, 1.0, 1.0), _biggs_r, _biggs_j, 0.0,
        f_other=(5.65565e-3,), f_other_digits=6,
    )
)  # fmt: skip


# --- 19. Osborne 2 ---------------------------------------------------------------------
_OS2_Y = np.array(
    [1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725, 0.746, 0.679,
     0.608, 0.655, 0.616, 0.606, 0.602, 0.626, 0.651, 0.724, 0.649, 0.649, 0.694, 0.644,
     0.624, 0.661, 0.612, 0.558, 0.533, 0.495, 0.500, 0.423, 0.395, 0.375, 0.372, 0.391,
     0.396, 0.405, 0.428, 0.429, 0.523, 0.562, 0.607, 0.653, 0.672, 0.708, 0.633, 0.668,
     0.645, 0.632, 0.591, 0.559, 0.597, 0.625, 0.739, 0.710, 0.729, 0.720, 0.636, 0.581,
     0.428, 0.292, 0.162, 0.098, 0.054]
)  # fmt: skip
_OS2_T = np.arange(65.0) / 10.0


def _os2_terms(x: Array) -> tuple[Array, ...]:
    t = _OS2_T
    e1 = np.exp(-t * x[4])
    d9, d10, d11 = t - x[8], t - x[9], t - x[10]
    e9, e10, e11 = np.exp(-d9 * d9 * x[5]), np.exp(-d10 * d10 * x[6]), np.exp(-d11 * d11 * x[7])
    return e1, d9, d10, d11, e9, e10, e11


def _os2_r(x: Array) -> Array:
    e1, _, _, _, e9, e10, e11 = _os2_terms(x)
    return _OS2_Y - (x[0] * e1 + x[1] * e9 + x[2] * e10 + x[3] * e11)


def _os2_j(x: Array) -> Array:
    e1, d9, d10, d11, e9, e10, e11 = _os2_terms(x)
    t = _OS2_T
    return np.column_stack(
        [-e1, -e9, -e10, -e11, x[0] * t * e1,
         x[1] * d9 * d9 * e9, x[2] * d10 * d10 * e10, x[3] * d11 * d11 * e11,
         -2.0 * x[1] * x[5] * d9 * e9, -2.0 * x[2] * x[6] * d10 * e10,
         -2.0 * x[3] * x[7] * d11 * e11]
    )  # fmt: skip


_register(
    Problem(
        19, "Osborne 2", 11, 65, (1.3, 0.65, 0.65, 0.7, 0.6, 3.0, 5.0, 7.0, 2.0, 4.5, 5.5),
        _os2_r, _os2_j, 4.01377e-2, f_star_digits=6,
    )
)  # fmt: skip


# --- 20. Watson (n = 6) ----------------------------------------------------------------
_WATSON_N = 6
_WATSON_T = np.arange(1.0, 30.0) / 29.0
_WATSON_J = np.arange(1.0, _WATSON_N + 1.0)
# t^(j-1) and (j-1) t^(j-2) for j = 1..n, one row per t_i.
_WATSON_P = _WATSON_T[:, None] ** (_WATSON_J - 1.0)
_WATSON_DP = np.zeros_like(_WATSON_P)
_WATSON_DP[:, 1:] = (_WATSON_J[1:] - 1.0) * _WATSON_T[:, None] ** (_WATSON_J[1:] - 2.0)


def _watson_r(x: Array) -> Array:
    s2 = _WATSON_P @ x
    r = _WATSON_DP @ x - s2 * s2 - 1.0
    return np.concatenate([r, [x[0], x[1] - x[0] ** 2 - 1.0]])


def _watson_j(x: Array) -> Array:
    s2 = _WATSON_P @ x
    J = np.zeros((31, _WATSON_N))
    J[:29] = _WATSON_DP - 2.0 * s2[:, None] * _WATSON_P
    J[29, 0] = 1.0
    J[30, 0], J[30, 1] = -2.0 * x[0], 1.0
    return J


_register(
    Problem(
        20, "Watson", _WATSON_N, 31, (0.0,) * _WATSON_N, _watson_r, _watson_j, 2.28767e-3,
        f_star_digits=6, f0=30.0,
    )
)  # fmt: skip


# --- 21. Extended Rosenbrock (n = 10) --------------------------------------------------
def _xrosen_r(x: Array) -> Array:
    r = np.empty(x.size)
    r[0::2] = 10.0 * (x[1::2] - x[0::2] ** 2)
    r[1::2] = 1.0 - x[0::2]
    return r


def _xrosen_j(x: Array) -> Array:
    n = x.size
    J = np.zeros((n, n))
    k = np.arange(0, n, 2)
    J[k, k], J[k, k + 1] = -20.0 * x[k], 10.0
    J[k + 1, k] = -1.0
    return J


_register(
    Problem(21, "Extended Rosenbrock", 10, 10, (-1.2, 1.0) * 5, _xrosen_r, _xrosen_j, 0.0, f0=121.0)
)
_register(
    Problem(
        22, "Extended Powell singular", 12, 12, (3.0, -1.0, 0.0, 1.0) * 3, _powell_r, _powell_j,
        0.0, f0=645.0,
    )
)  # fmt: skip


# --- 23. Penalty I (n = 10) ------------------------------------------------------------
_PEN_A = 1e-5


def _pen1_r(x: Array) -> Array:
    return np.concatenate([math.sqrt(_PEN_A) * (x - 1.0), [x @ x - 0.25]])


def _pen1_j(x: Array) -> Array:
    return np.vstack([math.sqrt(_PEN_A) * np.eye(x.size), 2.0 * x])


_register(
    Problem(
        23, "Penalty I", 10, 11, tuple(float(j) for j in range(1, 11)), _pen1_r, _pen1_j,
        7.08765e-5, f_star_digits=6, f0=_PEN_A * 285.0 + (385.0 - 0.25) ** 2,
    )
)  # fmt: skip


# --- 24. Penalty II (n = 10) -----------------------------------------------------------
_PEN2_N = 10
_PEN2_I = np.arange(2.0, _PEN2_N + 1.0)
_PEN2_Y = np.exp(_PEN2_I / 10.0) + np.exp((_PEN2_I - 1.0) / 10.0)
_PEN2_W = np.arange(_PEN2_N, 0.0, -1.0)  # n - j + 1


def _pen2_r(x: Array) -> Array:
    sa = math.sqrt(_PEN_A)
    e = np.exp(x / 10.0)
    return np.concatenate(
        [[x[0] - 0.2], sa * (e[1:] + e[:-1] - _PEN2_Y), sa * (e[1:] - math.exp(-0.1)),
         [_PEN2_W @ (x * x) - 1.0]]
    )  # fmt: skip


def _pen2_j(x: Array) -> Array:
    n = _PEN2_N
    sa = math.sqrt(_PEN_A)
    de = np.exp(x / 10.0) / 10.0
    J = np.zeros((2 * n, n))
    J[0, 0] = 1.0
    i = np.arange(1, n)
    J[i, i], J[i, i - 1] = sa * de[1:], sa * de[:-1]
    J[n - 1 + i, i] = sa * de[1:]
    J[2 * n - 1] = 2.0 * _PEN2_W * x
    return J


_register(
    Problem(
        24, "Penalty II", _PEN2_N, 2 * _PEN2_N, (0.5,) * _PEN2_N, _pen2_r, _pen2_j, 2.93660e-4,
        f_star_digits=6,
    )
)  # fmt: skip


# --- 25. Variably dimensioned (n = 10) -------------------------------------------------
def _vardim_r(x: Array) -> Array:
    s = np.arange(1.0, x.size + 1.0) @ (x - 1.0)
    return np.concatenate([x - 1.0, [s, s * s]])


def _vardim_j(x: Array) -> Array:
    j = np.arange(1.0, x.size + 1.0)
    s = j @ (x - 1.0)
    return np.vstack([np.eye(x.size), j, 2.0 * s * j])


# x0_j = 1 - j/n: x - 1 = -j/10, sum (j/10)^2 = 3.85, s = -38.5.
_register(
    Problem(
        25, "Variably dimensioned", 10, 12, tuple(1.0 - j / 10.0 for j in range(1, 11)),
        _vardim_r, _vardim_j, 0.0, f0=3.85 + 38.5**2 + 38.5**4,
    )
)  # fmt: skip


# --- 26. Trigonometric (n = 10) --------------------------------------------------------
def _trig_r(x: Array) -> Array:
    n = x.size
    i = np.arange(1.0, n + 1.0)
    return n - np.cos(x).sum() + i * (1.0 - np.cos(x)) - np.sin(x)


def _trig_j(x: Array) -> Array:
    n = x.size
    i = np.arange(1.0, n + 1.0)
    J = np.tile(np.sin(x), (n, 1))
    J[np.diag_indices(n)] += i * np.sin(x) - np.cos(x)
    return J


_register(Problem(26, "Trigonometric", 10, 10, (0.1,) * 10, _trig_r, _trig_j, 0.0))


# --- 27. Brown almost-linear (n = 10) --------------------------------------------------
def _bal_r(x: Array) -> Array:
    n = x.size
    r = x + x.sum() - (n + 1.0)
    r[-1] = np.prod(x) - 1.0
    return r


def _bal_j(x: Array) -> Array:
    n = x.size
    J = np.ones((n, n)) + np.eye(n)
    # d prod / d x_j = the product of the others (no division: x_j may be 0).
    J[-1] = [np.prod(np.delete(x, j)) for j in range(n)]
    return J


# The paper's other minimum, f = 1 at (0, ..., 0, n + 1).
_register(
    Problem(
        27, "Brown almost-linear", 10, 10, (0.5,) * 10, _bal_r, _bal_j, 0.0, f_other=(1.0,),
        f0=9 * 5.5**2 + (0.5**10 - 1.0) ** 2,
    )
)  # fmt: skip


# --- 28. Discrete boundary value (n = 10) ----------------------------------------------
_DBV_N = 10
_DBV_H = 1.0 / (_DBV_N + 1)
_DBV_T = _DBV_H * np.arange(1.0, _DBV_N + 1.0)


def _dbv_r(x: Array) -> Array:
    xp = np.concatenate([[0.0], x, [0.0]])
    return 2.0 * x - xp[:-2] - xp[2:] + _DBV_H**2 * (x + _DBV_T + 1.0) ** 3 / 2.0


def _dbv_j(x: Array) -> Array:
    n = x.size
    J = np.diag(2.0 + 1.5 * _DBV_H**2 * (x + _DBV_T + 1.0) ** 2)
    J -= np.eye(n, k=1) + np.eye(n, k=-1)
    return J


_DBV_X0 = tuple(float(t * (t - 1.0)) for t in _DBV_T)
_register(Problem(28, "Discrete boundary value", _DBV_N, _DBV_N, _DBV_X0, _dbv_r, _dbv_j, 0.0))


# --- 29. Discrete integral equation (n = 10) -------------------------------------------
_LOWER = np.tril(np.ones((_DBV_N, _DBV_N)))  # j <= i
# K[i, j] = (1 - t_i) t_j for j <= i, t_i (1 - t_j) for j > i.
_DIE_K = np.where(_LOWER > 0, np.outer(1.0 - _DBV_T, _DBV_T), np.outer(_DBV_T, 1.0 - _DBV_T))


def _die_r(x: Array) -> Array:
    return x + _DBV_H * (_DIE_K @ (x + _DBV_T + 1.0) ** 3) / 2.0


def _die_j(x: Array) -> Array:
    return np.eye(x.size) + _DBV_H * _DIE_K * (3.0 * (x + _DBV_T + 1.0) ** 2) / 2.0


_register(Problem(29, "Discrete integral equation", _DBV_N, _DBV_N, _DBV_X0, _die_r, _die_j, 0.0))


# --- 30. Broyden tridiagonal (n = 10) --------------------------------------------------
def _btri_r(x: Array) -> Array:
    xp = np.concatenate([[0.0], x, [0.0]])
    return (3.0 - 2.0 * x) * x - xp[:-2] - 2.0 * xp[2:] + 1.0


def _btri_j(x: Array) -> Array:
    n = x.size
    return np.diag(3.0 - 4.0 * x) - np.eye(n, k=-1) - 2.0 * np.eye(n, k=1)


# At x = -1: r_1 = -2, r_n = -3, the 8 others -1.
_register(Problem(30, "Broyden tridiagonal", 10, 10, (-1.0,) * 10, _btri_r, _btri_j, 0.0, f0=21.0))


# --- 31. Broyden banded (n = 10, ml = 5, mu = 1) ---------------------------------------
_BB_N = 10
_BB_IDX = np.arange(_BB_N)
# B[i, j] = 1 for j != i, i - 5 <= j <= i + 1.
_BB_B = (
    (_BB_IDX[None, :] >= _BB_IDX[:, None] - 5)
    & (_BB_IDX[None, :] <= _BB_IDX[:, None] + 1)
    & (_BB_IDX[None, :] != _BB_IDX[:, None])
).astype(float)


def _bband_r(x: Array) -> Array:
    return x * (2.0 + 5.0 * x * x) + 1.0 - _BB_B @ (x * (1.0 + x))


def _bband_j(x: Array) -> Array:
    return np.diag(2.0 + 15.0 * x * x) - _BB_B * (1.0 + 2.0 * x)[None, :]


# At x = -1: x (1 + x) = 0, r_i = -7 + 1 = -6.
_register(
    Problem(31, "Broyden banded", _BB_N, _BB_N, (-1.0,) * _BB_N, _bband_r, _bband_j, 0.0, f0=360.0)
)


# --- 32-34. Linear functions (n = 10, m = 20) ------------------------------------------
_LIN_N, _LIN_M = 10, 20


def _linfr_r(x: Array) -> Array:
    r = np.full(_LIN_M, -2.0 * x.sum() / _LIN_M - 1.0)
    r[:_LIN_N] += x
    return r


def _linfr_j(x: Array) -> Array:
    J = np.full((_LIN_M, _LIN_N), -2.0 / _LIN_M)
    J[:_LIN_N] += np.eye(_LIN_N)
    return J


# At x = 1: r_i = -1 (i <= n), -2 (i > n); f* = m - n.
_register(
    Problem(
        32, "Linear function full rank", _LIN_N, _LIN_M, (1.0,) * _LIN_N, _linfr_r, _linfr_j,
        float(_LIN_M - _LIN_N), f0=10.0 * 1.0 + 10.0 * 4.0,
    )
)  # fmt: skip

_LIN_I = np.arange(1.0, _LIN_M + 1.0)
_LIN_J = np.arange(1.0, _LIN_N + 1.0)


def _linr1_r(x: Array) -> Array:
    return _LIN_I * (_LIN_J @ x) - 1.0


def _linr1_j(x: Array) -> Array:
    return np.outer(_LIN_I, _LIN_J)


_register(
    Problem(
        33, "Linear function rank 1", _LIN_N, _LIN_M, (1.0,) * _LIN_N, _linr1_r, _linr1_j,
        _LIN_M * (_LIN_M - 1.0) / (2.0 * (2.0 * _LIN_M + 1.0)),
        f0=float(sum((55 * i - 1) ** 2 for i in range(1, _LIN_M + 1))),
    )
)  # fmt: skip

# r_1 = r_m = -1; r_i = (i - 1) sum_{j=2}^{n-1} j x_j - 1 for 2 <= i <= m - 1.
_LINZ_I = np.concatenate([[0.0], np.arange(1.0, _LIN_M - 1.0), [0.0]])
_LINZ_J = np.concatenate([[0.0], np.arange(2.0, _LIN_N), [0.0]])


def _linr1z_r(x: Array) -> Array:
    return _LINZ_I * (_LINZ_J @ x) - 1.0


def _linr1z_j(x: Array) -> Array:
    return np.outer(_LINZ_I, _LINZ_J)


_register(
    Problem(
        34, "Linear function rank 1 with zero columns and rows", _LIN_N, _LIN_M,
        (1.0,) * _LIN_N, _linr1z_r, _linr1z_j,
        (_LIN_M**2 + 3.0 * _LIN_M - 6.0) / (2.0 * (2.0 * _LIN_M - 3.0)),
        f0=2.0 + float(sum((44 * (i - 1) - 1) ** 2 for i in range(2, _LIN_M))),
    )
)  # fmt: skip


# --- 35. Chebyquad (n = m = 8) ---------------------------------------------------------
_CHEB_N = 8
_CHEB_I = np.arange(1, _CHEB_N + 1)
# The integral over [0, 1] of the shifted Chebyshev T_i: 0 for odd i, -1/(i^2 - 1) for even.
_CHEB_INT = np.array([-1.0 / (i * i - 1.0) if i % 2 == 0 else 0.0 for i in _CHEB_I])


def _cheb_tables(x: Array) -> tuple[Array, Array]:
    """T_i(2x_j - 1) and d/dx_j of it, for i = 1..m (rows) and each x_j (columns)."""
    y = 2.0 * x - 1.0
    T = np.empty((_CHEB_N + 1, x.size))
    dT = np.empty_like(T)
    T[0], dT[0] = 1.0, 0.0
    T[1], dT[1] = y, 2.0
    for k in range(1, _CHEB_N):
        T[k + 1] = 2.0 * y * T[k] - T[k - 1]
        dT[k + 1] = 4.0 * T[k] + 2.0 * y * dT[k] - dT[k - 1]
    return T[1:], dT[1:]


def _cheb_r(x: Array) -> Array:
    T, _ = _cheb_tables(x)
    return T.mean(axis=1) - _CHEB_INT


def _cheb_j(x: Array) -> Array:
    _, dT = _cheb_tables(x)
    return dT / x.size


_register(
    Problem(
        35, "Chebyquad", _CHEB_N, _CHEB_N, tuple(j / (_CHEB_N + 1.0) for j in range(1, 9)),
        _cheb_r, _cheb_j, 3.51687e-3, f_star_digits=6,
    )
)  # fmt: skip

BY_ID: dict[str, Problem] = {p.id: p for p in PROBLEMS}
