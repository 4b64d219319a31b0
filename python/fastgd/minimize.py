"""minimize: gradient descent with any update rule on any objective."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike

from . import _core
from . import _validation as v
from ._callbacks import IntermediateResult, adapt
from ._namespace import public_dir
from ._warnings import DivergenceWarning, StalledWarning
from .objectives import Objective, get
from .optimizer_names import resolve_optimizer
from .optimizers import Optimizer
from .schedules import Schedule

__all__ = [
    "GRTOL",
    "GTOL",
    "RECORD_BUDGET",
    "MinimizeResult",
    "SweepResult",
    "minimize",
    "race",
    "sweep_lr",
]

# fastgd.minimize is the function, which shadows this module: its constants are
# imported by name, ``from fastgd.minimize import RECORD_BUDGET``.
__dir__ = public_dir(__all__)


GTOL = 1e-6
"""The optimality test's default absolute tolerance on ||grad||_2."""
GRTOL = 1e-6
"""Its default relative tolerance, times ||grad(x0)||_2."""
RECORD_BUDGET = 1 << 30
"""The most memory (bytes) a call may set aside for recorded paths: 1 GiB. A call
whose max_iter could record more is refused before it starts (see ``record_every``)."""


#: How many coordinates of x a result's repr prints before it gives only d.
_REPR_COORDINATES = 6


@dataclass(repr=False)
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
    status : {"converged", "stalled", "max_iter", "diverged", "stopped"}
        "converged" only when the first-order optimality test passed:
        ``grad_norm <= gradient_threshold``. "stalled": a step moved x by less
        than ``tol`` while the test failed (x is not a minimum).
    message : str
        What happened, and for "stalled" or "diverged" what to do.
    path : ndarray (rows, d)
        The recorded iterates: x0, every ``record_every``-th one and the last
        (empty when ``record=False``). With ``record_every=1``, rows = nit + 1.
    losses, grad_norms : ndarray (rows,)
        The objective and the gradient's norm at each recorded iterate.
    objective, optimizer : str
    grad_norm : float
        ||grad(x)||_2 at the last iterate.
    gradient_threshold : float
        The optimality test's bound, ``max(gtol, grtol * ||grad(x0)||_2)``.
    record_every : int
        The recording stride (0: nothing recorded).
    lr : float or Schedule or None
        The learning rate the run used (a name's default, or an instance's own).
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
    grad_norm: float = math.nan
    gradient_threshold: float = math.nan
    record_every: int = 1
    lr: float | Schedule | None = None

    @property
    def success(self) -> bool:
        """True only when the first-order optimality test passed."""
        return self.status == "converged"

    def __repr__(self) -> str:
        """One line: what ran, how it ended, where (never the recorded path)."""
        if self.x.size <= _REPR_COORDINATES:
            where = "x=[" + ", ".join(f"{c:.6g}" for c in self.x) + "]"
        else:
            where = f"x=<{self.x.size} coordinates>"
        return (
            f"MinimizeResult({self.objective}, {self.optimizer}: status={self.status!r}, "
            f"fun={self.fun:.6g}, nit={self.nit}, {where})"
        )


ObjectiveLike: TypeAlias = str | Objective | Callable[[np.ndarray], tuple[float, ArrayLike]]
"""What minimize and race take as the objective."""
LearningRate: TypeAlias = float | Schedule
"""A learning rate: a number, or a schedule of the step (fastgd.schedules)."""


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


@dataclass(frozen=True)
class _Rule:
    """One run's update rule, resolved: its display name and what crosses into C++."""

    name: str
    kind: str
    hyper: dict[str, Any]  # Optimizer._core_hyper(): a schedule travels beside lr0
    lr: float | Schedule  # what the run steps with, for the result and its legends


def _rule(optimizer: Any, lr: Any, momentum: Any) -> _Rule:
    """The update rule of a run from a name or an Optimizer, lr (None: the default
    for a name, the instance's own for an Optimizer; a number or a Schedule) and
    momentum (for the lecture's named methods)."""
    if lr is not None and not isinstance(lr, (str, Schedule)):
        v.positive(lr, "lr")
    if isinstance(optimizer, Optimizer) and lr is not None and not isinstance(lr, str):
        given = optimizer.hyperparameters["lr"]
        if isinstance(lr, Schedule) != isinstance(given, Schedule) or lr != given:
            raise ValueError(
                f"lr={v.describe(lr)} conflicts with the optimizer's lr={v.describe(given)}; "
                "set the learning rate in one place"
            )
        lr = None
    schedule = lr if isinstance(lr, Schedule) else None
    # None: an instance's own lr, or the default for a name (optimizer_names.DEFAULT_LR).
    number: Any = None if lr is None else (schedule.lr0 if schedule is not None else lr)
    name, rule, lr_auto = resolve_optimizer(optimizer, number, momentum)
    if lr_auto:
        raise ValueError("lr='auto' is for least squares; pass lr as a number")
    hyper = rule._core_hyper()
    if schedule is not None:  # as rule._core_hyper() carries an instance's schedule
        hyper["lr"], hyper["schedule"] = schedule.lr0, schedule.as_dict()
    return _Rule(
        name, rule.kind, hyper, schedule if schedule is not None else rule.hyperparameters["lr"]
    )


@dataclass(frozen=True)
class _Settings:
    """The loop's settings, checked once: what crosses into C++ (``core()``) and
    what the messages quote."""

    max_iter: int
    tol: float  # < 0: no short-step rule
    gtol: float
    grtol: float
    stop_on_gradient: bool
    record_every: int  # 0: record nothing

    def core(self) -> dict[str, Any]:
        # Every field by its name: the C++ loop reads these keys (and refuses others).
        return asdict(self)


def _settings(
    *,
    max_iter: Any,
    tol: Any,
    gtol: Any,
    grtol: Any,
    record: Any,
    record_every: Any,
) -> _Settings:
    steps = v.integer(max_iter, "max_iter", 0)
    step_tol = -1.0 if tol is None else v.nonnegative(tol, "tol")
    stop_on_gradient = gtol is not None or grtol is not None
    if stop_on_gradient:  # the one not given counts as 0
        gradient_tol = 0.0 if gtol is None else v.nonnegative(gtol, "gtol")
        relative_tol = 0.0 if grtol is None else v.nonnegative(grtol, "grtol")
    else:
        gradient_tol, relative_tol = GTOL, GRTOL
    every = v.integer(record_every, "record_every", 1)
    return _Settings(
        max_iter=steps,
        tol=step_tol,
        gtol=gradient_tol,
        grtol=relative_tol,
        stop_on_gradient=stop_on_gradient,
        record_every=every if v.boolean(record, "record") else 0,
    )


def _human(nbytes: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if nbytes < 1024 or unit == "PiB":
            return f"{nbytes:.1f} {unit}"
        nbytes /= 1024
    raise AssertionError("unreachable")


def _check_recording(settings: _Settings, d: int, runs: int = 1) -> None:
    """Refuse, before any work, a recording that could outgrow RECORD_BUDGET: up to
    max_iter // record_every + 2 rows of d coordinates, a value and a gradient norm."""
    if settings.record_every == 0:
        return
    row = 8 * (d + 2) * runs
    max_iter = settings.max_iter

    def need(every: int) -> int:
        return (max_iter // every + 2) * row

    if need(settings.record_every) <= RECORD_BUDGET:
        return
    runs_text = f" in each of {runs} runs" if runs > 1 else ""
    what = (
        f"recording up to {max_iter // settings.record_every + 2:,} iterates of {d} coordinates"
        f"{runs_text} may need {_human(need(settings.record_every))}, above the "
        f"{_human(RECORD_BUDGET)} fastgd allows recorded paths (RECORD_BUDGET in the module fastgd.minimize)"
    )
    if need(max_iter + 1) > RECORD_BUDGET:  # even x0 and the last iterate do not fit
        raise ValueError(f"{what}; pass record=False")
    k = settings.record_every
    while need(k) > RECORD_BUDGET:
        k *= 2
    raise ValueError(
        f"{what}; pass record=False, record_every={k} (keep every {k}-th iterate and the last), "
        "or a smaller max_iter"
    )


def _message(status: str, nit: int, settings: _Settings, grad_norm: float, threshold: float) -> str:
    test = (
        f"||grad|| = {grad_norm:.3g}, the optimality test needs <= {threshold:.3g} "
        f"= max(gtol={settings.gtol:g}, grtol={settings.grtol:g} * ||grad(x0)||)"
    )
    if status == "converged":
        return f"converged after {nit} steps: the optimality test passed ({test})"
    if status == "stalled":
        return (
            f"stalled after {nit} steps: a step moved x by less than tol={settings.tol:g} but x "
            f"is not a minimum ({test}). The steps are too small to make progress: raise lr, use "
            "momentum or Adam, check that the learning-rate schedule does not decay to 0, or "
            "loosen gtol/grtol"
        )
    if status == "max_iter":
        return f"reached max_iter={settings.max_iter} steps ({test})"
    if status == "diverged":
        return (
            f"diverged after {nit} steps: the value or x became infinite or ran away "
            "(an objective unbounded below, or a learning rate too large)"
        )
    return f"stopped by the callback after {nit} steps"


def _result(out: Any, settings: _Settings, name: str, rule: _Rule) -> MinimizeResult:
    """A MinimizeResult from the core's output tuple (see _core.pyi, _MinimizeOutput)."""
    xs, fun, nit, status, path, losses, grad_norms, grad_norm, threshold = out
    return MinimizeResult(
        x=xs,
        fun=float(fun),
        nit=int(nit),
        status=status,
        message=_message(status, nit, settings, grad_norm, threshold),
        path=path,
        losses=losses,
        grad_norms=grad_norms,
        objective=name,
        optimizer=rule.name,
        grad_norm=float(grad_norm),
        gradient_threshold=float(threshold),
        record_every=settings.record_every,
        lr=rule.lr,
    )


def _warn(results: list[MinimizeResult], name: str, stacklevel: int) -> None:
    """One DivergenceWarning and one StalledWarning per call, naming the runs."""
    stacklevel += 1
    if len(results) == 1:
        r = results[0]
        if r.status == "diverged":
            warnings.warn(f"{name}, {r.optimizer}: {r.message}", DivergenceWarning, stacklevel)
        elif r.status == "stalled":
            warnings.warn(f"{name}, {r.optimizer}: {r.message}", StalledWarning, stacklevel)
        return
    for status, category, advice in (
        ("diverged", DivergenceWarning, "see each result's status and message"),
        (
            "stalled",
            StalledWarning,
            (
                "a short step ended them away from a minimum (the optimality test failed): "
                "raise lr, use momentum or Adam, check that the schedule does not decay to 0, "
                "or loosen gtol/grtol; see each result's message"
            ),
        ),
    ):
        hit = [r.optimizer for r in results if r.status == status]
        if hit:
            warnings.warn(
                f"{name}: {len(hit)} of {len(results)} runs {status} ({', '.join(hit)}); {advice}",
                category,
                stacklevel,
            )


def _legacy_step_callback(callback: Callable[..., object], result: IntermediateResult) -> object:
    return callback(result.nit, result.x, result.fun)


def _on_step(
    stop: Callable[[IntermediateResult], bool] | None,
) -> Callable[[int, np.ndarray, float], bool] | None:
    """What the C++ loop calls after every step, ``on_step(nit, x, fun)`` -> stop?,
    from a callback adapted to the one convention (fastgd._callbacks.adapt, which
    decides the callback's form once, not at every step)."""
    if stop is None:
        return None

    def on_step(nit: int, x: np.ndarray, fun: float) -> bool:
        return stop(IntermediateResult(nit=nit, fun=fun, x=x))  # x: the core's fresh copy

    return on_step


def minimize(
    objective: ObjectiveLike,
    x0: ArrayLike,
    *,
    optimizer: str | Optimizer = "gd",
    lr: LearningRate | None = None,
    momentum: float = 0.9,
    max_iter: int = 1000,
    tol: float | None = 1e-10,
    gtol: float | None = None,
    grtol: float | None = None,
    record: bool = True,
    record_every: int = 1,
    callback: Callable[[IntermediateResult], bool | None] | None = None,
) -> MinimizeResult:
    r"""Minimise ``objective`` from ``x0`` by gradient descent with any update rule.

    Parameters
    ----------
    objective : str, Objective or callable
        A registered name (``fastgd.objectives.names()``), an Objective, or a
        function ``x -> (value, grad)`` returning a real number and a real 1-D
        array of x's length; its exceptions propagate.
    x0 : array_like (d,)
        The start: a list, tuple or array of real numbers (a scalar is a 1-D point).
    optimizer : str or Optimizer
        As in :func:`fastgd.fit_least_squares`: "gd", "momentum", "nesterov", "adam",
        ..., or an instance such as ``fastgd.Adam(lr=0.01)``.
    lr : float, Schedule or None
        The learning rate of a named optimizer: a number > 0 or a schedule
        (``fastgd.schedules.cosine(0.1, t_max=500)``); None: the optimizer's own
        default, as in fit_least_squares (0.01 for the lecture's "gd", "sgd",
        "momentum", "nesterov"; torch.optim's default for the others). With an
        Optimizer instance leave it None (the instance's lr is used); a different
        lr is refused rather than silently dropped.
    momentum : float
        For the named methods "momentum" and "nesterov".
    max_iter : int
        Maximum number of steps.
    tol : float or None
        The stopping rule: stop when a step moves x by less than ``tol`` (None:
        never). The run then ends "converged" if the optimality test passes, else
        "stalled" (success False, with a StalledWarning): a tiny learning rate, a
        schedule decaying to 0, or Adam with lr=1e-12 also make short steps.
    gtol, grtol : float or None
        The first-order optimality test is ``||grad(x)||_2 <= max(gtol, grtol *
        ||grad(x0)||_2)``: an absolute and a relative tolerance. Left both None,
        the test uses gtol = grtol = 1e-6 (``GTOL``, ``GRTOL``) to judge a short
        step and does not stop the run by itself. Given (either or both; the one
        not given counts as 0), the run also stops ("converged") as soon as the
        test passes.
    record : bool
        Keep the path, values and gradient norms.
    record_every : int
        Keep x0, every k-th iterate and the last (default 1: every one). A
        recording that could exceed ``RECORD_BUDGET`` (1 GiB: max_iter // k + 2
        rows of d + 2 float64) is refused before the run; a larger k or
        ``record=False`` is the way out.
    callback : callable, optional
        scipy's convention: ``callback(intermediate_result)`` after every step,
        with a :class:`fastgd.IntermediateResult` (``nit``, ``fun``, ``x``, a
        copy); returning True or raising StopIteration stops the run
        ("stopped"), None or False goes on. The old ``callback(nit, x, fun)``
        still works, with a DeprecationWarning.

    Returns
    -------
    MinimizeResult
        Unbounded objectives (dome, hill, saddle) end "diverged", never as NaN.

    Warns
    -----
    DivergenceWarning
        When the run diverged.
    StalledWarning
        When the run stalled: a short step away from a minimum.
    """
    # adapt here, in the public function, so that the DeprecationWarning of an old
    # positional callback names the caller's line.
    on_step = _on_step(adapt(callback, _legacy_step_callback, "callback(nit, x, fun)"))
    name, fn, dim, obj = _objective_function(objective)
    x = v.point(x0, "x0")
    if dim is not None and x.size != dim:
        raise ValueError(f"{name} is {dim}-dimensional, but x0 has length {x.size}")
    if obj is not None:
        obj.value(x)  # the objective's own checks (rosenbrock needs 2 coordinates, ...)
    rule = _rule(optimizer, lr, momentum)
    settings = _settings(
        max_iter=max_iter,
        tol=tol,
        gtol=gtol,
        grtol=grtol,
        record=record,
        record_every=record_every,
    )
    _check_recording(settings, x.size)
    # Built-ins run on their C++ kernels (the loop without the GIL unless there is a
    # callback); anything else is called back in Python at every step.
    args = (x, rule.kind, rule.hyper, settings.core(), on_step)
    if obj is not None and obj.compiled:
        out = _core.minimize_builtin(obj.name, *args)
    else:
        out = _core.minimize_callable(fn, *args)
    result = _result(out, settings, name, rule)
    _warn([result], result.objective, stacklevel=2)
    return result


def _optimizer_list(optimizers: Any) -> list[str | Optimizer]:
    """A bare name or Optimizer is one optimizer (not its letters)."""
    if isinstance(optimizers, (str, Optimizer)):
        return [optimizers]
    try:
        opts = list(optimizers)
    except TypeError:
        raise TypeError(
            "optimizers must be a name, an Optimizer, or a list of them, "
            f"got {type(optimizers).__name__}"
        ) from None
    for o in opts:
        if not isinstance(o, (str, Optimizer)):
            raise TypeError(
                f"optimizers must hold names or Optimizer instances, got {type(o).__name__} {o!r}"
            )
    if not opts:
        raise ValueError("optimizers is empty; give at least one name or Optimizer")
    return opts


def race(
    objective: ObjectiveLike,
    x0: ArrayLike | Sequence[ArrayLike],
    optimizers: str | Optimizer | Sequence[str | Optimizer] = (
        "gd",
        "momentum",
        "nesterov",
        "adagrad",
        "rmsprop",
        "adam",
    ),
    *,
    lr: LearningRate | None = None,
    momentum: float = 0.9,
    max_iter: int = 1000,
    tol: float | None = 1e-10,
    gtol: float | None = None,
    grtol: float | None = None,
    record: bool = True,
    record_every: int = 1,
) -> list[MinimizeResult]:
    """Several runs on one objective at once: each optimizer from x0, or, when x0 is
    a list of points and one optimizer is given, that optimizer from each point.
    ``optimizers`` is a list of names or Optimizers (a bare one is one optimizer);
    ``lr`` (a number or a Schedule) is every named optimizer's. Built-in objectives
    run in parallel C++ threads (the GIL released); Python callables run one after
    the other. The other arguments are as in :func:`minimize`; the recording budget
    covers all runs together. One DivergenceWarning and one StalledWarning per call
    name the runs concerned."""
    points = v.points(x0, "x0")
    opts = _optimizer_list(optimizers)
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
    settings = _settings(
        max_iter=max_iter,
        tol=tol,
        gtol=gtol,
        grtol=grtol,
        record=record,
        record_every=record_every,
    )
    results = _many(
        objective,
        [(st, o, lr) for st, o in zip(starts, opts, strict=True)],
        momentum,
        settings,
    )
    _warn(results, results[0].objective, stacklevel=2)
    return results


def _many(
    objective: Any,
    specs: list[tuple[np.ndarray, str | Optimizer, Any]],
    momentum: Any,
    settings: _Settings,
) -> list[MinimizeResult]:
    """Runs (start, optimizer, lr), without warnings: together on C++ threads for a
    compiled objective, one after the other otherwise."""
    name, fn, dim, obj = _objective_function(objective)
    runs: list[tuple[np.ndarray, _Rule]] = []
    for start, opt, lr in specs:
        if dim is not None and start.size != dim:
            raise ValueError(f"{name} is {dim}-dimensional, but x0 has length {start.size}")
        if obj is not None:
            obj.value(start)
        runs.append((start, _rule(opt, lr, momentum)))
    _check_recording(settings, specs[0][0].size, len(specs))
    if obj is None or not obj.compiled:
        return [
            _result(
                _core.minimize_callable(fn, start, rule.kind, rule.hyper, settings.core(), None),
                settings,
                name,
                rule,
            )
            for start, rule in runs
        ]
    outs = _core.minimize_many(
        obj.name, [(start, rule.kind, rule.hyper) for start, rule in runs], settings.core()
    )
    return [_result(out, settings, name, rule) for out, (_, rule) in zip(outs, runs, strict=True)]


@dataclass(repr=False)
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

    def __repr__(self) -> str:
        """One line: the rates swept, how many diverged, the best rate (never the runs)."""
        best = int(np.argmin(self.final))
        return (
            f"SweepResult({len(self.lrs)} rates in [{self.lrs.min():.3g}, {self.lrs.max():.3g}], "
            f"{int(self.diverged.sum())} diverged, best lr={self.lrs[best]:.3g} "
            f"fun={self.final[best]:.6g})"
        )


def sweep_lr(
    objective: str | Objective,
    x0: ArrayLike,
    lrs: ArrayLike,
    *,
    optimizer: str = "gd",
    max_iter: int = 200,
    tol: float | None = None,
    momentum: float = 0.9,
) -> SweepResult:
    """Run ``optimizer`` from x0 once per learning rate in ``lrs`` (any 1-D
    array-like of numbers > 0; all at once on C++ threads for built-ins) and return
    the final value per rate, marking the runs that diverged. Finding where runs
    diverge or stall is the sweep's job: it raises no warning for them."""
    rates = v.learning_rates(lrs, "lrs")
    if not isinstance(optimizer, str):
        raise TypeError(
            "optimizer must be a name here (each run gets its own learning rate), "
            f"got {type(optimizer).__name__}"
        )
    start = v.point(x0, "x0")
    settings = _settings(
        max_iter=max_iter, tol=tol, gtol=None, grtol=None, record=True, record_every=1
    )
    results = _many(objective, [(start, optimizer, float(lr)) for lr in rates], momentum, settings)
    final = np.array([np.inf if r.status == "diverged" else r.fun for r in results])
    return SweepResult(rates, final, [r.status for r in results], results)
