"""minimize: gradient descent with any update rule on any objective."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike

from . import _bounds, _core
from . import _validation as v
from ._bounds import Box
from ._callbacks import IntermediateResult, adapt
from ._namespace import public_dir
from ._objective_call import JAC_SCHEMES, ObjectiveCall, make_objective_call
from ._warnings import DivergenceWarning, StalledWarning
from .objectives import Objective, get
from .optimizer_names import OPTIMIZER_NAMES, resolve_optimizer, takes_momentum
from .optimizers import Optimizer
from .schedules import Schedule

__all__ = [
    "DEFAULT_HISTORY",
    "GRTOL",
    "GTOL",
    "LINE_SEARCH_GTOL",
    "LINE_SEARCH_METHODS",
    "METHODS",
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
LINE_SEARCH_GTOL = 1e-5
"""The line-search methods' default: stop when ||grad||_2 <= 1e-5 (scipy L-BFGS-B's
pgtol, there on the largest component), with no relative part."""
RECORD_BUDGET = 1 << 30
"""The most memory (bytes) a call may set aside for recorded paths: 1 GiB. A call
whose max_iter could record more is refused before it starts (see ``record_every``)."""


LINE_SEARCH_METHODS = ("lbfgs", "cg", "bfgs")
"""The methods whose line search picks every step (no learning rate): limited-memory
BFGS, nonlinear conjugate gradient (Polak-Ribiere+) and dense BFGS (small d)."""
METHODS = tuple(OPTIMIZER_NAMES) + LINE_SEARCH_METHODS
"""Every name ``method=`` takes: the first-order rules and the line-search methods."""
DEFAULT_HISTORY = 10
"""The pairs (s, y) L-BFGS keeps by default (``options={"history": m}``)."""
DEFAULT_MAX_ITER = 1000

#: How many coordinates of x a result's repr prints before it gives only d.
_REPR_COORDINATES = 6


@dataclass(repr=False)
class MinimizeResult:
    """The outcome of :func:`minimize`, read like scipy's ``OptimizeResult``: by
    attribute (``res.x``) or as a mapping (``res["x"]``, ``res.keys()``, ``dict(res)``).

    Attributes
    ----------
    x : ndarray, x0's shape
        The last iterate.
    fun : float
        The objective there.
    jac : ndarray, x0's shape
        The gradient there (NaN where it was not computed: a run stopped before).
    nit : int
        Steps (iterations) taken.
    nfev, njev : int
        Evaluations of the objective and of its gradient, as scipy counts them: every
        trial point of a line search and every finite-difference point is one nfev.
    status : {"converged", "stalled", "max_iter", "diverged", "stopped"}
        fastgd's status (a word, where scipy's is a number): "converged" only when
        the first-order optimality test passed: ``grad_norm <= gradient_threshold``.
        "stalled": a step moved x by less than ``tol``, or a line search found no
        lower value, while the test failed (x is not a minimum).
    success : bool
        ``status == "converged"``.
    message : str
        What happened, and for "stalled" or "diverged" what to do.
    path : ndarray (rows, x.size)
        The recorded iterates, flattened: x0, every ``record_every``-th one and the
        last (empty when ``record=False``). With ``record_every=1``, rows = nit + 1;
        ``path.reshape(-1, *x.shape)`` gives them in x's shape.
    losses, grad_norms : ndarray (rows,)
        The objective and the gradient's norm at each recorded iterate.
    objective, optimizer : str
        The objective's name and the method's.
    grad_norm : float
        ||grad(x)||_2 at the last iterate (of the projected gradient, with bounds).
    gradient_threshold : float
        The optimality test's bound, ``max(gtol, grtol * ||grad(x0)||_2)``.
    record_every : int
        The recording stride (0: nothing recorded).
    lr : float or Schedule or None
        The learning rate the run used (a name's default, or an instance's own);
        None for the line-search methods.
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
    jac: np.ndarray = field(default_factory=lambda: np.empty(0))
    nfev: int = 0
    njev: int = 0

    @property
    def success(self) -> bool:
        """True only when the first-order optimality test passed."""
        return self.status == "converged"

    # The mapping face of scipy's OptimizeResult (a dict there).
    def keys(self) -> list[str]:
        """The fields, ``success`` included, as an OptimizeResult's keys."""
        return [f.name for f in fields(self)] + ["success"]

    def __getitem__(self, key: str) -> Any:
        if key not in self.keys():
            raise KeyError(key)
        return getattr(self, key)

    def __contains__(self, key: object) -> bool:
        return key in self.keys()

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key) if key in self.keys() else default

    def items(self) -> list[tuple[str, Any]]:
        return [(k, getattr(self, k)) for k in self.keys()]

    def values(self) -> list[Any]:
        return [getattr(self, k) for k in self.keys()]

    def __repr__(self) -> str:
        """One line: what ran, how it ended, where (never the recorded path)."""
        if self.x.size <= _REPR_COORDINATES:
            where = "x=[" + ", ".join(f"{c:.6g}" for c in self.x.reshape(-1)) + "]"
        else:
            where = f"x=<{self.x.size} coordinates>"
        return (
            f"MinimizeResult({self.objective}, {self.optimizer}: status={self.status!r}, "
            f"fun={self.fun:.6g}, nit={self.nit}, nfev={self.nfev}, {where})"
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
    """One run's method, resolved: its display name and what crosses into C++."""

    name: str
    kind: str
    hyper: dict[str, Any]  # Optimizer._core_hyper(): a schedule travels beside lr0
    lr: float | Schedule | None  # what the run steps with (None: a line search picks)

    @property
    def line_search_method(self) -> bool:
        return self.kind in LINE_SEARCH_METHODS


def _line_search_rule(name: str, line_search: Any, history: int) -> _Rule:
    """lbfgs, cg or bfgs: a strong Wolfe line search unless "armijo" is asked for."""
    search = "strong_wolfe" if line_search is None else line_search
    if search not in ("strong_wolfe", "armijo"):
        raise ValueError(
            f"line_search for {name} must be 'strong_wolfe' (the default) or 'armijo', "
            f"got {line_search!r}"
        )
    hyper: dict[str, Any] = {"line_search": search}
    if name == "lbfgs":
        hyper["history"] = history
    label = name if search == "strong_wolfe" else f"{name}+armijo"
    return _Rule(label, name, hyper, None)


def _rule(
    optimizer: Any,
    lr: Any,
    momentum: Any,
    line_search: Any = None,
    history: int = DEFAULT_HISTORY,
    ignore_lr: bool = False,
    momentum_where_taken: bool = False,
) -> _Rule:
    """The method of a run from a name or an Optimizer, lr (None: the default for a
    name, the instance's own for an Optimizer; a number or a Schedule), momentum (None:
    the default; a number for a named method that takes one, see resolve_optimizer)
    and line_search. A line-search method refuses an lr unless ``ignore_lr`` (a race's
    lr is its first-order runs'), and a momentum unless ``momentum_where_taken`` (a
    race's momentum is for the runs that take one)."""
    if isinstance(optimizer, str) and optimizer.lower() in LINE_SEARCH_METHODS:
        name = optimizer.lower()
        if lr is not None and not ignore_lr:
            raise ValueError(f"{name} takes no lr: its line search picks every step; leave lr=None")
        if momentum is not None and not momentum_where_taken:
            raise ValueError(
                f"momentum={v.describe(momentum)} was given with method={name!r}, which has no "
                "momentum: its line search picks every step; leave momentum=None"
            )
        return _line_search_rule(name, line_search, history)
    if line_search not in (None, "none", "armijo"):
        raise ValueError(
            f"line_search for a first-order rule must be None or 'armijo', got {line_search!r} "
            "('strong_wolfe' is for lbfgs, cg and bfgs)"
        )
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
    name, rule, lr_auto = resolve_optimizer(
        optimizer, number, momentum, momentum_where_taken=momentum_where_taken
    )
    if lr_auto:
        raise ValueError("lr='auto' is for least squares; pass lr as a number")
    hyper = rule._core_hyper()
    if schedule is not None:  # as rule._core_hyper() carries an instance's schedule
        hyper["lr"], hyper["schedule"] = schedule.lr0, schedule.as_dict()
    if line_search == "armijo":  # backtracking on the rule's own step
        hyper["line_search"] = "armijo"
        name = f"{name}+armijo"
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
    box: Box | None = None
    fd: str = "none"  # finite differences in C++, for compiled objectives
    max_fev: int = 0  # 0: no limit

    def core(self) -> dict[str, Any]:
        # Every field by its name: the C++ loop reads these keys (and refuses others).
        return {
            "max_iter": self.max_iter,
            "tol": self.tol,
            "gtol": self.gtol,
            "grtol": self.grtol,
            "stop_on_gradient": self.stop_on_gradient,
            "record_every": self.record_every,
            "lower": None if self.box is None else self.box.lower,
            "upper": None if self.box is None else self.box.upper,
            "fd": self.fd,
            "max_fev": self.max_fev,
        }


def _settings(
    *,
    max_iter: Any,
    tol: Any,
    gtol: Any,
    grtol: Any,
    record: Any,
    record_every: Any,
    stop_on_gradient: bool = False,
    box: Box | None = None,
    fd: str = "none",
    max_fev: Any = None,
) -> _Settings:
    """``stop_on_gradient``: stop on the optimality test even with gtol and grtol
    left None (the line-search methods do)."""
    steps = v.integer(DEFAULT_MAX_ITER if max_iter is None else max_iter, "max_iter", 0)
    step_tol = -1.0 if tol is None else v.nonnegative(tol, "tol")
    given = gtol is not None or grtol is not None
    if given:  # the one not given counts as 0
        gradient_tol = 0.0 if gtol is None else v.nonnegative(gtol, "gtol")
        relative_tol = 0.0 if grtol is None else v.nonnegative(grtol, "grtol")
    elif stop_on_gradient:  # the line-search methods: scipy's L-BFGS-B pgtol, absolute
        gradient_tol, relative_tol = LINE_SEARCH_GTOL, 0.0
    else:
        gradient_tol, relative_tol = GTOL, GRTOL
    every = v.integer(record_every, "record_every", 1)
    return _Settings(
        max_iter=steps,
        tol=step_tol,
        gtol=gradient_tol,
        grtol=relative_tol,
        stop_on_gradient=given or stop_on_gradient,
        record_every=every if v.boolean(record, "record") else 0,
        box=box,
        fd=fd,
        max_fev=0 if max_fev is None else v.integer(max_fev, "options['maxfun']", 1),
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


def _message(
    status: str,
    nit: int,
    settings: _Settings,
    grad_norm: float,
    threshold: float,
    rule: _Rule,
    nfev: int,
) -> str:
    test = (
        f"||grad|| = {grad_norm:.3g}, the optimality test needs <= {threshold:.3g} "
        f"= max(gtol={settings.gtol:g}, grtol={settings.grtol:g} * ||grad(x0)||)"
    )
    if status == "converged":
        return f"converged after {nit} steps: the optimality test passed ({test})"
    if status == "stalled" and rule.line_search_method:
        return (
            f"stalled after {nit} steps: the line search found no lower value along the "
            f"{rule.name} direction (or a step moved x by less than tol={settings.tol:g}), but x "
            f"is not a minimum ({test}). Check the gradient against finite differences "
            "(jac='3-point'): a wrong or noisy gradient stalls a line search; or loosen gtol/grtol"
        )
    if status == "stalled":
        return (
            f"stalled after {nit} steps: a step moved x by less than tol={settings.tol:g} but x "
            f"is not a minimum ({test}). The steps are too small to make progress: raise lr, use "
            "momentum or Adam, check that the learning-rate schedule does not decay to 0, or "
            "loosen gtol/grtol"
        )
    if status == "max_iter" and settings.max_fev and nfev >= settings.max_fev:
        return f"reached maxfun={settings.max_fev} evaluations after {nit} steps ({test})"
    if status == "max_iter":
        return f"reached max_iter={settings.max_iter} steps ({test})"
    if status == "diverged":
        cause = (
            "an objective unbounded below"
            if rule.line_search_method
            else "an objective unbounded below, or a learning rate too large"
        )
        return f"diverged after {nit} steps: the value or x became infinite or ran away ({cause})"
    return f"stopped by the callback after {nit} steps"


def _result(
    out: Any,
    settings: _Settings,
    name: str,
    rule: _Rule,
    shape: tuple[int, ...] | None = None,
    call: ObjectiveCall | None = None,
) -> MinimizeResult:
    """A MinimizeResult from the core's output tuple (see _core.pyi, _MinimizeOutput),
    x and jac in x0's ``shape`` (None: 1-D), the evaluations counted by ``call`` when
    the objective ran in Python through one."""
    xs, fun, nit, status, path, losses, grad_norms, grad_norm, threshold, grad, nfev, njev = out
    if call is not None:
        nfev, njev = call.nfev, call.njev
    if shape is not None:
        xs, grad = xs.reshape(shape), grad.reshape(shape)
    return MinimizeResult(
        x=xs,
        fun=float(fun),
        nit=int(nit),
        status=status,
        message=_message(status, nit, settings, grad_norm, threshold, rule, int(nfev)),
        path=path,
        losses=losses,
        grad_norms=grad_norms,
        objective=name,
        optimizer=rule.name,
        grad_norm=float(grad_norm),
        gradient_threshold=float(threshold),
        record_every=settings.record_every,
        lr=rule.lr,
        jac=grad,
        nfev=int(nfev),
        njev=int(njev),
    )


def _refuse_start(result: MinimizeResult) -> None:
    """A run that could not take its first step because the objective is not finite
    at x0 is an error in the objective (not a divergence: no step was taken)."""
    if result.nit != 0 or result.status != "diverged":
        return
    if not math.isfinite(result.fun):
        raise ValueError(
            f"the objective {result.objective} is not finite at x0 (its value there is "
            f"{result.fun}); minimize needs a finite value and gradient at the start: check "
            "fun (and args) at x0"
        )
    raise ValueError(
        f"the gradient of {result.objective} at x0 is not finite (it holds NaN or inf); "
        "check the gradient (jac) at x0"
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
    shape: tuple[int, ...] | None = None,
) -> Callable[[int, np.ndarray, float], bool] | None:
    """What the C++ loop calls after every step, ``on_step(nit, x, fun)`` -> stop?,
    from a callback adapted to the one convention (fastgd._callbacks.adapt, which
    decides the callback's form once, not at every step); x in ``shape``."""
    if stop is None:
        return None

    def on_step(nit: int, x: np.ndarray, fun: float) -> bool:
        shaped = x if shape is None else x.reshape(shape)  # x: the core's fresh copy
        return stop(IntermediateResult(nit=nit, fun=fun, x=shaped))

    return on_step


#: scipy's options (and fastgd's "history"), by the keyword each one sets.
_OPTIONS = {
    "maxiter": "max_iter",
    "maxfun": "max_fev",
    "gtol": "gtol",
    "maxcor": "history",
    "history": "history",
    "disp": "disp",
}

#: scipy's names of the line-search methods, as method= also takes them.
_SCIPY_METHOD_NAMES = {"l-bfgs-b": "lbfgs", "l-bfgs": "lbfgs"}


def _options(options: Any, given: dict[str, Any]) -> dict[str, Any]:
    """scipy's ``options`` dict as keyword settings; a setting given twice (as a
    keyword and an option, or as maxcor and history) is refused."""
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise TypeError(f"options must be a dict or None, got {type(options).__name__}")
    out: dict[str, Any] = {}
    for key, value in options.items():
        if key not in _OPTIONS:
            raise ValueError(
                f"unknown option {key!r}; minimize's options are {', '.join(sorted(_OPTIONS))}"
            )
        target = _OPTIONS[key]
        if target in out:
            raise ValueError(f"options sets {target} twice (maxcor and history are one setting)")
        if given.get(target) is not None:
            raise ValueError(f"options[{key!r}] and {target}= are both given; set it in one place")
        out[target] = value
    return out


def _method(method: Any, optimizer: Any) -> str | Optimizer:
    """The run's method from method= (a name) and optimizer= (a name or an instance)."""
    if method is None:
        return "gd" if optimizer is None else optimizer
    if not isinstance(method, str):
        raise TypeError(
            f"method must be a name ({', '.join(METHODS)}), got {type(method).__name__}; "
            "pass an Optimizer instance as optimizer="
        )
    name = _SCIPY_METHOD_NAMES.get(method.lower(), method.lower())
    if name not in METHODS:
        raise ValueError(f"unknown method {method!r}; known: {', '.join(METHODS)}")
    if optimizer is not None and not (isinstance(optimizer, str) and optimizer.lower() == name):
        raise ValueError(
            f"method={method!r} and optimizer={v.describe(optimizer)} are both given; "
            "name the method once (optimizer= is for an Optimizer instance)"
        )
    return name


def _objective_call(
    fn: Callable[..., Any],
    obj: Objective | None,
    jac: Any,
    args: Any,
    x: np.ndarray,
    shape: tuple[int, ...],
    box: Box | None,
) -> tuple[ObjectiveCall | None, str]:
    """How the loop evaluates the objective: (a Python call, or None for a compiled
    kernel; the C++ finite-difference scheme, "none" for analytic gradients)."""
    args = args if isinstance(args, tuple) else (args,)  # scipy's rule for one argument
    if obj is None:
        return make_objective_call(fn, jac, args, x, shape, box), "none"
    if args:
        raise ValueError(
            f"args are passed to a callable fun; the named objective {obj.name} takes none"
        )
    if isinstance(jac, str) and jac in JAC_SCHEMES:
        if obj.compiled:
            return None, jac
        return make_objective_call(obj.value, jac, (), x, (x.size,), box), "none"
    if jac is not None and jac is not True:
        raise ValueError(
            f"the named objective {obj.name} brings its own gradient: jac must be None (that "
            f"one), '2-point' or '3-point', got {v.describe(jac)}"
        )
    if obj.compiled:
        return None, "none"
    return make_objective_call(obj.value_and_grad, True, (), x, (x.size,), box), "none"


def minimize(
    fun: ObjectiveLike,
    x0: ArrayLike,
    *,
    method: str | None = None,
    jac: bool | str | Callable[..., ArrayLike] | None = None,
    args: tuple[Any, ...] = (),
    bounds: Any = None,
    optimizer: str | Optimizer | None = None,
    lr: LearningRate | None = None,
    momentum: float | None = None,
    line_search: str | None = None,
    max_iter: int | None = None,
    tol: float | None = 1e-10,
    gtol: float | None = None,
    grtol: float | None = None,
    record: bool = True,
    record_every: int = 1,
    callback: Callable[[IntermediateResult], bool | None] | None = None,
    options: dict[str, Any] | None = None,
) -> MinimizeResult:
    r"""Minimise ``fun`` from ``x0``, with scipy.optimize.minimize's conventions.

    Parameters
    ----------
    fun : str, Objective or callable
        A registered name (``fastgd.objectives.names()``: compiled ones run wholly in
        C++), an Objective, or a function ``fun(x, *args)`` of an x shaped like x0,
        returning a real number, or ``(value, grad)`` with ``jac=True``. Its
        exceptions propagate.
    x0 : array_like, any shape
        The start: a number, or an array of real numbers of any shape; the objective
        receives x in that shape, and ``result.x`` has it.
    method : str, optional
        A first-order rule ("gd", "momentum", "nesterov", "adam", ... as
        :func:`fastgd.fit_least_squares` names them), or a method whose line search
        picks every step: "lbfgs" (limited-memory BFGS; scipy's "L-BFGS-B" is an
        alias), "cg" (nonlinear conjugate gradient, Polak-Ribiere+ with restarts) or
        "bfgs" (dense inverse-Hessian BFGS, for small d). None: "gd", or
        ``optimizer``.
    jac : bool, "2-point", "3-point", callable or None
        As scipy: True, fun returns ``(value, grad)``; a callable ``jac(x, *args)``
        returns the gradient (x's shape); "2-point" / "3-point": forward / central
        finite differences (in C++ for compiled objectives, NumPy otherwise; each
        point counts in ``nfev``). None: a named objective's own gradient; for a
        callable, decided by what fun returns at x0: a ``(value, grad)`` pair is
        taken as with jac=True (fastgd's convention), a number gets "2-point".
    args : tuple
        Extra arguments passed to fun and jac (a single non-tuple is one argument).
    bounds : sequence of (low, high) or scipy.optimize.Bounds, optional
        One pair per coordinate of the flattened x, None for no bound. The
        first-order rules take projected-gradient steps; lbfgs holds the variables
        at a bound whose gradient points out of the box and steps the others along
        the projected path (an active-set projected L-BFGS, not L-BFGS-B's Cauchy
        point; see minimize.hpp). x stays in the box; an x0 outside it is projected,
        with a UserWarning. The optimality test then measures the projected gradient.
    optimizer : str or Optimizer, optional
        An Optimizer instance such as ``fastgd.Adam(lr=0.01)`` (or a name, as method).
    lr : float, Schedule or None
        The learning rate of a named first-order rule: a number > 0 or a schedule
        (``fastgd.schedules.cosine(0.1, t_max=500)``); None: the rule's own default
        (0.01 for the lecture's "gd", "sgd", "momentum", "nesterov"; torch.optim's
        for the others). With an Optimizer instance leave it None. The line-search
        methods take none.
    momentum : float or None
        The momentum of a named method that has one: "momentum" and "nesterov"
        (a beta in (0, 1); None: 0.9), "sgd" (in [0, 1): torch.optim.SGD's momentum,
        heavy ball: ``method="sgd", momentum=0.5`` runs as ``optimizer=fastgd.SGD(lr=0.01,
        momentum=0.5)``) and "rmsprop" (as ``fastgd.RMSprop(momentum=...)``); None:
        the rule's own default (none). Refused (ValueError) with any other method:
        "gd" is plain gradient descent (use "momentum"), "adam" and its family have
        betas instead (pass an instance, ``optimizer=fastgd.Adam(betas=...)``), the
        line-search methods have none; and with an Optimizer instance, which carries
        its own.
    line_search : {None, "armijo", "strong_wolfe"}
        "armijo": backtracking on a first-order rule's step (halving it until the
        value drops enough), or on the lbfgs/cg/bfgs direction. None: no search for
        the first-order rules, strong Wolfe (Moré-Thuente) for lbfgs, cg and bfgs.
    max_iter : int or None
        Maximum number of steps (iterations); None: 1000.
    tol : float or None
        The stopping rule: stop when a step moves x by less than ``tol`` (None:
        never). The run then ends "converged" if the optimality test passes, else
        "stalled" (success False, with a StalledWarning).
    gtol, grtol : float or None
        The first-order optimality test is ``||grad(x)||_2 <= max(gtol, grtol *
        ||grad(x0)||_2)``. Left both None, the line-search methods stop as soon as
        ||grad||_2 <= 1e-5 (``LINE_SEARCH_GTOL``, scipy's pgtol), and the first-order
        rules judge a short step with gtol = grtol = 1e-6 (``GTOL``, ``GRTOL``). Given (the one not
        given counts as 0), every method stops ("converged") as soon as it passes.
    record : bool
        Keep the path, values and gradient norms.
    record_every : int
        Keep x0, every k-th iterate and the last (default 1: every one). A
        recording that could exceed ``RECORD_BUDGET`` (1 GiB) is refused before
        the run; a larger k or ``record=False`` is the way out.
    callback : callable, optional
        scipy's convention: ``callback(intermediate_result)`` after every step,
        with a :class:`fastgd.IntermediateResult` (``nit``, ``fun``, ``x`` in x0's
        shape, a copy); returning True or raising StopIteration stops the run
        ("stopped"). The old ``callback(nit, x, fun)`` still works, with a
        DeprecationWarning.
    options : dict, optional
        scipy's names for settings: "maxiter" (max_iter), "maxfun" (the most
        objective evaluations), "gtol", "maxcor" or "history" (the pairs L-BFGS
        keeps, default 10), "disp" (print the message at the end). A setting given
        both here and as a keyword is refused.

    Returns
    -------
    MinimizeResult
        Read like scipy's OptimizeResult (attributes or ``res["x"]``), with
        fastgd's status word. Unbounded objectives (dome, hill, saddle) end
        "diverged", never as NaN.

    Raises
    ------
    ValueError
        Bad settings; bounds with low > high; an objective that is not finite (or
        whose gradient is not finite) at x0.

    Warns
    -----
    DivergenceWarning
        When the run diverged.
    StalledWarning
        When the run stalled: a short step, or a failed line search, away from a
        minimum.
    """
    # adapt here, in the public function, so that the DeprecationWarning of an old
    # positional callback names the caller's line.
    stop = adapt(callback, _legacy_step_callback, "callback(nit, x, fun)")
    opts = _options(options, {"max_iter": max_iter, "gtol": gtol})
    name, fn, dim, obj = _objective_function(fun)
    given = v.point_of_any_shape(x0, "x0")
    shape = given.shape
    x = given.reshape(-1)
    if dim is not None and x.size != dim:
        raise ValueError(f"{name} is {dim}-dimensional, but x0 has {x.size} coordinates")
    if obj is not None:
        obj.value(x)  # the objective's own checks (rosenbrock needs 2 coordinates, ...)
    box = _bounds.box(bounds, x.size)
    if box is not None:
        x = _bounds.start_inside(x, box, stacklevel=2)
    history = v.integer(opts.get("history", DEFAULT_HISTORY), "options['history']", 1)
    rule = _rule(_method(method, optimizer), lr, momentum, line_search, history)
    if "history" in opts and rule.kind != "lbfgs":
        raise ValueError(f"options['maxcor'/'history'] is for lbfgs, not {rule.name}")
    disp = v.boolean(opts.get("disp", False), "options['disp']")
    settings = _settings(
        max_iter=opts.get("max_iter", max_iter),
        tol=tol,
        gtol=opts.get("gtol", gtol),
        grtol=grtol,
        record=record,
        record_every=record_every,
        stop_on_gradient=rule.line_search_method,
        box=box,
        max_fev=opts.get("max_fev"),
    )
    _check_recording(settings, x.size)
    call, fd = _objective_call(fn, obj, jac, args, x, shape, box)
    if fd != "none":
        settings = replace(settings, fd=fd)
    # Compiled objectives run on their C++ kernels (the loop without the GIL unless
    # there is a callback); anything else is called back in Python at every step.
    core_args = (x, rule.kind, rule.hyper, settings.core(), _on_step(stop, shape))
    if call is None:
        assert obj is not None
        out = _core.minimize_builtin(obj.name, *core_args)
    else:
        out = _core.minimize_callable(call, *core_args)
    result = _result(out, settings, name, rule, shape, call)
    _refuse_start(result)
    if disp:
        print(result.message)
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
    momentum: float | None = None,
    max_iter: int = 1000,
    tol: float | None = 1e-10,
    gtol: float | None = None,
    grtol: float | None = None,
    record: bool = True,
    record_every: int = 1,
) -> list[MinimizeResult]:
    """Several runs on one objective at once: each optimizer from x0, or, when x0 is
    a list of points and one optimizer is given, that optimizer from each point.
    ``optimizers`` is a list of names or Optimizers (a bare one is one optimizer),
    the line-search methods "lbfgs", "cg" and "bfgs" included; ``lr`` (a number or a
    Schedule) is every named first-order optimizer's. ``momentum`` given (a number)
    is every named optimizer's that has one ("sgd", "momentum", "nesterov",
    "rmsprop"); the others in the list ("gd", "adam", ..., the line-search methods,
    instances) run without it, as the list is mixed by design, but a momentum that
    none of them takes is refused. None (the default): 0.9 for "momentum" and
    "nesterov", the rule's own (none) for the others. Built-in objectives
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
    _check_race_momentum(momentum, opts)
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
        momentum_where_taken=True,
    )
    _warn(results, results[0].objective, stacklevel=2)
    return results


def _check_race_momentum(momentum: Any, opts: list[str | Optimizer]) -> None:
    """A race's explicit momentum must reach at least one run: never silently dropped.
    (An unknown name is left to the rule's own error, which lists the known ones.)"""
    if momentum is None or any(isinstance(o, str) and o.lower() not in METHODS for o in opts):
        return
    if not any(isinstance(o, str) and takes_momentum(o) for o in opts):
        raced = ", ".join(repr(o) if isinstance(o, str) else type(o).__name__ for o in opts)
        takers = ", ".join(repr(n) for n in METHODS if takes_momentum(n))
        raise ValueError(
            f"momentum={v.describe(momentum)} applies to none of the optimizers raced ({raced}): "
            f"it is for the named {takers}; an instance carries its own. Leave momentum=None"
        )


def _many(
    objective: Any,
    specs: list[tuple[np.ndarray, str | Optimizer, Any]],
    momentum: Any,
    settings: _Settings,
    line_search: str | None = None,
    momentum_where_taken: bool = False,
) -> list[MinimizeResult]:
    """Runs (start, optimizer, lr), without warnings: together on C++ threads for a
    compiled objective, one after the other otherwise. ``momentum_where_taken``: a
    race's momentum, for the runs whose method takes one (see resolve_optimizer)."""
    name, fn, dim, obj = _objective_function(objective)
    runs: list[tuple[np.ndarray, _Rule]] = []
    for start, opt, lr in specs:
        if dim is not None and start.size != dim:
            raise ValueError(f"{name} is {dim}-dimensional, but x0 has length {start.size}")
        if obj is not None:
            obj.value(start)
        rule = _rule(
            opt,
            lr,
            momentum,
            line_search,
            ignore_lr=True,
            momentum_where_taken=momentum_where_taken,
        )
        runs.append((start, rule))
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
    momentum: float | None = None,
    line_search: str | None = None,
) -> SweepResult:
    """Run ``optimizer`` from x0 once per learning rate in ``lrs`` (any 1-D
    array-like of numbers > 0; all at once on C++ threads for built-ins) and return
    the final value per rate, marking the runs that diverged. Finding where runs
    diverge or stall is the sweep's job: it raises no warning for them. With
    ``line_search="armijo"`` each rate is the first trial step of the backtracking
    search. The line-search methods (lbfgs, cg, bfgs) have no rate to sweep and are
    refused. ``momentum`` is as in :func:`minimize`: None, 0.9 for "momentum" and
    "nesterov"; a number, the momentum of "sgd", "momentum", "nesterov" or "rmsprop",
    refused (ValueError) for an optimizer without one."""
    rates = v.learning_rates(lrs, "lrs")
    if not isinstance(optimizer, str):
        raise TypeError(
            "optimizer must be a name here (each run gets its own learning rate), "
            f"got {type(optimizer).__name__}"
        )
    if optimizer.lower() in LINE_SEARCH_METHODS:
        raise ValueError(
            f"{optimizer} has no learning rate to sweep: its line search picks every step. "
            "Sweep a first-order rule (line_search='armijo' makes each rate a first trial "
            "step), or compare methods with fastgd.race"
        )
    if line_search not in (None, "armijo"):
        raise ValueError(f"line_search for sweep_lr must be None or 'armijo', got {line_search!r}")
    start = v.point(x0, "x0")
    settings = _settings(
        max_iter=max_iter, tol=tol, gtol=None, grtol=None, record=True, record_every=1
    )
    results = _many(
        objective, [(start, optimizer, float(lr)) for lr in rates], momentum, settings, line_search
    )
    final = np.array([np.inf if r.status == "diverged" else r.fun for r in results])
    return SweepResult(rates, final, [r.status for r in results], results)
