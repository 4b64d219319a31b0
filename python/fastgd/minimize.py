"""minimize: gradient descent with any update rule on any objective."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import _core
from . import _validation as v
from ._warnings import DivergenceWarning
from .linear_regression import resolve_optimizer
from .objectives import Objective, get
from .optimizers import Optimizer


@dataclass
class MinimizeResult:
    """The outcome of :func:`minimize`.

    Attributes
    ----------
    x : ndarray (d,)
        The last iterate.
    fun : float
        The objective there.
    nit : int
        Steps taken.
    status : {"converged", "max_iter", "diverged", "stopped"}
    message : str
    path : ndarray (nit + 1, d)
        Every iterate, x0 first (empty when ``record=False``).
    losses, grad_norms : ndarray (nit + 1,)
        The objective and the gradient's norm at each iterate.
    objective, optimizer : str
    """

    x: np.ndarray
    fun: float
    nit: int
    status: str
    message: str
    path: np.ndarray
    losses: np.ndarray
    grad_norms: np.ndarray
    objective: str
    optimizer: str

    @property
    def success(self) -> bool:
        return self.status == "converged"


def _objective_function(
    objective: Any,
) -> tuple[str, Callable[[np.ndarray], Any], int | None, Objective | None]:
    if isinstance(objective, (str, Objective)):
        obj = get(objective)
        return obj.name, obj.value_and_grad, obj.dim, obj
    if callable(objective):
        return getattr(objective, "__name__", "callable"), objective, None, None
    raise TypeError(
        f"objective must be a registered name, an Objective or a callable x -> (value, grad), "
        f"got {type(objective).__name__}"
    )


def _message(status: str, nit: int, tol: float, gtol: float | None, max_iter: int) -> str:
    if status == "converged":
        crit = f"a step moved x by less than tol={tol:g}"
        if gtol is not None:
            crit += f" or the gradient norm fell below gtol={gtol:g}"
        return f"converged after {nit} steps: {crit}"
    if status == "max_iter":
        return f"reached max_iter={max_iter} steps"
    if status == "diverged":
        return (
            f"diverged after {nit} steps: the value or x became infinite or ran away "
            "(an objective unbounded below, or a learning rate too large)"
        )
    return f"stopped by the callback after {nit} steps"


def minimize(
    objective: str | Objective | Callable[[np.ndarray], tuple[float, ArrayLike]],
    x0: ArrayLike,
    optimizer: str | Optimizer = "gd",
    lr: float = 0.01,
    momentum: float = 0.9,
    max_iter: int = 1000,
    tol: float | None = 1e-10,
    gtol: float | None = None,
    record: bool = True,
    callback: Callable[[int, np.ndarray, float], Any] | None = None,
) -> MinimizeResult:
    r"""Minimise ``objective`` from ``x0`` by gradient descent with any update rule.

    Parameters
    ----------
    objective : str, Objective or callable
        A registered name (``fastgd.objectives.names()``), an Objective, or a
        function ``x -> (value, grad)``; its exceptions propagate.
    x0 : array_like (d,)
    optimizer : str or Optimizer
        As in :func:`fastgd.fit_least_squares`: "gd", "momentum", "nesterov", "adam",
        ..., or an instance such as ``fastgd.Adam(lr=0.01)``.
    lr, momentum : float
        For a named optimizer.
    max_iter : int
        Maximum number of steps.
    tol : float or None
        Stop ("converged") when a step moves x by less than ``tol``.
    gtol : float or None
        Stop ("converged") when the gradient's norm falls below ``gtol``.
    record : bool
        Keep the path, values and gradient norms.
    callback : callable, optional
        ``callback(nit, x, fun)`` after every step; returning True stops the run
        ("stopped").

    Returns
    -------
    MinimizeResult
        Unbounded objectives (dome, hill, saddle) end "diverged", never as NaN.

    Warns
    -----
    DivergenceWarning
        When the run diverged.
    """
    name, fn, dim, obj = _objective_function(objective)
    x = v.as_array(x0, "x0")
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"x0 must be a non-empty 1-D point, got shape {x.shape}")
    if dim is not None and x.size != dim:
        raise ValueError(f"{name} is {dim}-dimensional, but x0 has length {x.size}")
    x = v.contiguous(x, np.float64)
    v.require_finite(x, "x0")
    if obj is not None:
        obj.value(x)  # the objective's own checks (rosenbrock needs 2 coordinates, ...)
    opt_name, rule, lr_auto = resolve_optimizer(optimizer, lr, momentum)
    if lr_auto:
        raise ValueError("lr='auto' is for least squares; pass lr as a number")
    max_iter_, tol_, gtol_, record_ = _check_common(max_iter, tol, gtol, record)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    # Built-ins run on their C++ kernels (the loop without the GIL unless there is a
    # callback); anything else is called back in Python at every step.
    args = (x, rule.kind, rule._core_hyper(), max_iter_, tol_, gtol_, record_, callback)
    if obj is not None and obj.compiled:
        out = _core.minimize_builtin(obj.name, *args)
    else:
        out = _core.minimize_callable(fn, *args)
    xs, fun, nit, status, path, losses, grad_norms = out
    message = _message(status, nit, tol_, gtol, max_iter_)
    if status == "diverged":
        warnings.warn(f"{name}, {opt_name}: {message}", DivergenceWarning, stacklevel=2)
    return MinimizeResult(
        xs,
        float(fun) if math.isfinite(fun) else fun,
        int(nit),
        status,
        message,
        path,
        losses,
        grad_norms,
        name,
        opt_name,
    )


def _check_common(
    max_iter: int, tol: float | None, gtol: float | None, record: bool
) -> tuple[int, float, float, bool]:
    return (
        v.integer(max_iter, "max_iter", 0),
        -1.0 if tol is None else v.nonnegative(tol, "tol"),
        -1.0 if gtol is None else v.nonnegative(gtol, "gtol"),
        v.boolean(record, "record"),
    )


def race(
    objective: str | Objective | Callable[[np.ndarray], tuple[float, ArrayLike]],
    x0: ArrayLike | Sequence[ArrayLike],
    optimizers: Sequence[str | Optimizer] = (
        "gd",
        "momentum",
        "nesterov",
        "adagrad",
        "rmsprop",
        "adam",
    ),
    lr: float = 0.01,
    momentum: float = 0.9,
    max_iter: int = 1000,
    tol: float | None = 1e-10,
    gtol: float | None = None,
    record: bool = True,
) -> list[MinimizeResult]:
    """Several runs on one objective at once: each optimizer from x0, or, when x0 is
    a list of points and one optimizer is given, that optimizer from each point.
    Built-in objectives run in parallel C++ threads (the GIL released); Python
    callables run one after the other."""
    points = np.asarray(x0, dtype=np.float64)
    opts = list(optimizers)
    if not opts:
        raise ValueError("optimizers is empty")
    if points.ndim == 2:
        if len(opts) == 1:
            opts = opts * points.shape[0]
        if len(opts) != points.shape[0]:
            raise ValueError(
                f"{points.shape[0]} starting points but {len(opts)} optimizers; give one or as many"
            )
        starts = list(points)
    else:
        starts = [points] * len(opts)
    return _many(
        objective,
        [(s, o, lr) for s, o in zip(starts, opts, strict=False)],
        momentum,
        max_iter,
        tol,
        gtol,
        record,
    )


def _many(
    objective: Any,
    specs: list[tuple[Any, str | Optimizer, float]],
    momentum: float,
    max_iter: int,
    tol: float | None,
    gtol: float | None,
    record: bool,
) -> list[MinimizeResult]:
    """Runs (start, optimizer, lr): together on C++ threads for a compiled objective,
    one after the other through minimize otherwise."""
    name, _, dim, obj = _objective_function(objective)
    if obj is None or not obj.compiled:
        return [
            minimize(objective, s, o, lr, momentum, max_iter, tol, gtol, record)
            for s, o, lr in specs
        ]
    max_iter_, tol_, gtol_, record_ = _check_common(max_iter, tol, gtol, record)
    runs, names = [], []
    for start, opt, lr in specs:
        s = v.contiguous(start, np.float64)
        if s.ndim != 1 or (dim is not None and s.size != dim):
            raise ValueError(f"{name} needs starting points of length {dim}, got shape {s.shape}")
        v.require_finite(s, "x0")
        obj.value(s)
        opt_name, rule, lr_auto = resolve_optimizer(opt, lr, momentum)
        if lr_auto:
            raise ValueError("lr='auto' is for least squares; pass lr as a number")
        runs.append((s, rule.kind, rule._core_hyper()))
        names.append(opt_name)
    outs = _core.minimize_many(obj.name, runs, max_iter_, tol_, gtol_, record_)
    diverged = [opt for opt, out in zip(names, outs, strict=False) if out[3] == "diverged"]
    if diverged:
        warnings.warn(
            f"{name}: {len(diverged)} of {len(outs)} runs diverged ({', '.join(diverged)}); "
            "see each result's status and message",
            DivergenceWarning,
            stacklevel=3,
        )
    return [
        MinimizeResult(
            xs,
            fun,
            int(nit),
            status,
            _message(status, nit, tol_, gtol, max_iter_),
            path,
            losses,
            grad_norms,
            name,
            opt_name,
        )
        for opt_name, (xs, fun, nit, status, path, losses, grad_norms) in zip(
            names, outs, strict=False
        )
    ]


@dataclass
class SweepResult:
    """Final values of one optimizer over a range of learning rates."""

    lrs: np.ndarray
    final: np.ndarray  # the objective at the last iterate (inf where the run diverged)
    statuses: list[str]
    results: list[MinimizeResult]

    @property
    def diverged(self) -> np.ndarray:
        """True where the run diverged."""
        return np.array([s == "diverged" for s in self.statuses])


def sweep_lr(
    objective: str | Objective,
    x0: ArrayLike,
    lrs: ArrayLike,
    optimizer: str = "gd",
    max_iter: int = 200,
    tol: float | None = None,
    momentum: float = 0.9,
) -> SweepResult:
    """Run ``optimizer`` from x0 once per learning rate (all at once on C++ threads
    for built-ins) and return the final value per rate, marking the runs that diverged."""
    rates = np.asarray(lrs, dtype=np.float64)
    if rates.ndim != 1 or rates.size == 0 or not np.all(np.isfinite(rates) & (rates > 0)):
        raise ValueError("lrs must be a non-empty 1-D array of finite numbers > 0")
    if not isinstance(optimizer, str):
        raise TypeError("optimizer must be a name here (each run gets its own learning rate)")
    specs: list[tuple[Any, str | Optimizer, float]] = [(x0, optimizer, float(lr)) for lr in rates]
    with warnings.catch_warnings():  # finding where runs diverge is the sweep's job
        warnings.simplefilter("ignore", DivergenceWarning)
        results = _many(objective, specs, momentum, max_iter, tol, None, True)
    final = np.array([np.inf if r.status == "diverged" else r.fun for r in results])
    return SweepResult(rates, final, [r.status for r in results], results)
