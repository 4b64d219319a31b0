"""The bad-input catalogue: every case is a call of the public API with one thing
wrong, the exception it must raise (type and a message fragment), and the arrays
the caller passed, which must come back unchanged.

``python -m tests.catalogue`` runs every case and prints one JSON line per case;
test_bad_inputs.py runs it in a child process, so that a crash would fail the test
(naming the case it died in) instead of killing the test run.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import fastgd
from fastgd import objectives, schedules


@dataclass
class Case:
    name: str
    error: type[BaseException]
    match: str
    build: Callable[[], tuple[Callable[[], Any], tuple[Any, ...]]]
    inputs: tuple[Any, ...] = field(default=())


CASES: list[Case] = []


def case(name: str, error: type[BaseException], match: str) -> Callable[..., Any]:
    """Register build() -> (call, inputs): call() must raise error matching match."""

    def register(build: Callable[[], tuple[Callable[[], Any], tuple[Any, ...]]]) -> Any:
        if any(c.name == name for c in CASES):
            raise RuntimeError(f"duplicate case {name}")
        CASES.append(Case(name, error, match, build))
        return build

    return register


def data(n: int = 40, d: int = 3, dtype: Any = np.float64) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d)).astype(dtype)
    return X, (X @ np.arange(1.0, d + 1) + 0.5).astype(dtype)


def simple(name: str, error: type[BaseException], match: str, call: Callable[[], Any]) -> None:
    case(name, error, match)(lambda: (call, ()))


# --- least_squares_loss_grad ------------------------------------------------------


def _lsq(**over: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    X, y = data()
    args = dict(X=X, y=y, w=np.zeros(3))
    args.update(over)
    arrays = tuple(a for a in args.values() if isinstance(a, np.ndarray))
    return (lambda: fastgd.least_squares_loss_grad(**args)), arrays


for _name, _error, _match, _over in [
    ("lsq X 1-D", ValueError, "2-D array", dict(X=np.ones(5))),
    ("lsq X 3-D", ValueError, "2-D array", dict(X=np.ones((4, 3, 2)))),
    ("lsq X strings", TypeError, "real numbers", dict(X=np.array([["a", "b", "c"]] * 40))),
    ("lsq X complex", TypeError, "real numbers", dict(X=np.ones((40, 3), complex))),
    ("lsq X dicts", TypeError, "real numbers|could not be read", dict(X=[[{}, {}, {}]] * 40)),
    ("lsq X ragged", TypeError, "could not be read", dict(X=[[1.0, 2.0], [1.0]])),
    ("lsq y too short", ValueError, "y has length 39", dict(y=np.ones(39))),
    ("lsq y 2-D", ValueError, "y must be a 1-D array", dict(y=np.ones((40, 2)))),
    ("lsq w wrong length", ValueError, "w has length 4", dict(w=np.ones(4))),
    ("lsq reduction", ValueError, "reduction must be", dict(reduction="avg")),
    ("lsq l2 negative", ValueError, "l2", dict(l2=-1.0)),
    ("lsq l2 nan", ValueError, "l2", dict(l2=float("nan"))),
    ("lsq l2 string", TypeError, "l2", dict(l2="big")),
    ("lsq rows float", TypeError, "rows must be a 1-D array of integers", dict(rows=[0.5, 1.5])),
    ("lsq rows out of range", ValueError, "rows must be in", dict(rows=np.array([0, 40]))),
    ("lsq rows negative", ValueError, "rows must be in", dict(rows=np.array([-1]))),
    ("lsq rows 2-D", TypeError, "rows must be a 1-D", dict(rows=np.zeros((2, 2), int))),
    ("lsq rows empty mean", ValueError, "rows is empty", dict(rows=[])),
    ("lsq no rows", ValueError, "X is empty", dict(X=np.ones((0, 3)), y=np.ones(0))),
]:
    case(_name, _error, _match)(lambda over=_over: _lsq(**over))


# --- fit_least_squares ---------------------------------------------------------------


def _fit(X: Any = None, y: Any = None, **kw: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    X0, y0 = data()
    X = X0 if X is None else X
    y = y0 if y is None else y
    arrays = tuple(a for a in (X, y, *kw.values()) if isinstance(a, np.ndarray))
    return (lambda: fastgd.fit_least_squares(X, y, **kw)), arrays


def _with_nan(d: int = 3) -> np.ndarray:
    X, _ = data(d=d)
    X[3, 1] = np.nan
    return X


def _with_inf(d: int = 3) -> np.ndarray:
    X, _ = data(d=d)
    X[-1, 0] = -np.inf
    return X


for _name, _error, _match, _kw in [
    ("fit X nan", ValueError, "X contains 1 NaN", dict(X=_with_nan())),
    # Single-sample SGD finds X's NaN and inf in its first epoch (no pass of their own).
    ("fit X nan sgd", ValueError, "X contains 1 NaN", dict(X=_with_nan(), batch_size=1)),
    (
        "fit X inf sgd blocks",
        ValueError,
        "X contains 1 NaN or infinite",
        dict(X=_with_inf(), batch_size=1, shuffle="blocks", record=False, tol=None),
    ),
    (
        "fit X inf sgd d8",
        ValueError,
        "X contains 1 NaN or infinite",  # w in registers
        dict(X=_with_inf(8), batch_size=1, record=False, tol=None),
    ),
    (
        "fit X nan sgd d8 f32",
        ValueError,
        "X contains 1 NaN",
        dict(X=_with_nan(16).astype(np.float32), batch_size=1),
    ),
    (
        "fit X nan sgd schedule",
        ValueError,
        "X contains 1 NaN",
        dict(X=_with_nan(), batch_size=1, lr=schedules.inverse_scaling(0.01), shuffle=False),
    ),
    (
        "fit X nan sgd warm",
        ValueError,
        "X contains 1 NaN",
        dict(X=_with_nan(), batch_size=1, coef_init=np.ones(3)),
    ),
    (
        "fit X nan sgd no epoch",
        ValueError,
        "X contains 1 NaN",
        dict(X=_with_nan(), batch_size=1, max_iter=0),
    ),
    (
        "fit X nan sgd ridge",
        ValueError,
        "X contains 1 NaN",
        dict(X=_with_nan(), batch_size=1, l2=0.1),
    ),
    ("fit X nan minibatch", ValueError, "X contains 1 NaN", dict(X=_with_nan(), batch_size=4)),
    (
        "fit X nan auto",
        ValueError,
        "X contains 1 NaN",
        dict(X=_with_nan(), batch_size=1, lr="auto"),
    ),
    ("fit y inf", ValueError, "y contains 1 NaN or infinite", dict(y=np.r_[np.ones(39), np.inf])),
    ("fit no rows", ValueError, "no rows", dict(X=np.ones((0, 3)), y=np.ones(0))),
    ("fit lr zero", ValueError, "lr must be", dict(lr=0.0)),
    ("fit lr negative", ValueError, "lr must be", dict(lr=-1.0)),
    ("fit lr word", ValueError, "lr must be a number > 0 or 'auto'", dict(lr="fast")),
    ("fit lr nan", ValueError, "lr must be", dict(lr=float("nan"))),
    ("fit batch zero", ValueError, "batch_size must be >= 1", dict(optimizer="sgd", batch_size=0)),
    ("fit batch float", TypeError, "batch_size must be an integer", dict(batch_size=1.5)),
    ("fit batch bool", TypeError, "batch_size must be an integer", dict(batch_size=True)),
    ("fit max_iter negative", ValueError, "max_iter must be >= 0", dict(max_iter=-1)),
    ("fit max_iter huge", ValueError, "max_iter must be <=", dict(max_iter=2**70)),
    ("fit tol negative", ValueError, "tol", dict(tol=-1e-3)),
    ("fit optimizer unknown", ValueError, "unknown optimizer 'sgdd'", dict(optimizer="sgdd")),
    ("fit optimizer type", TypeError, "optimizer must be a name", dict(optimizer=3)),
    (
        "fit gd mini-batch",
        ValueError,
        "optimizer='gd' is full-batch",
        dict(optimizer="gd", batch_size=4),
    ),
    ("fit gradient mode", ValueError, "gradient must be one of", dict(gradient="fast")),
    (
        "fit gram mini-batch",
        ValueError,
        "gradient='gram' needs",
        dict(optimizer="sgd", batch_size=4, gradient="gram"),
    ),
    (
        "fit momentum 1.5",
        ValueError,
        "momentum must be in",
        dict(optimizer="momentum", momentum=1.5),
    ),
    ("fit random_state str", TypeError, "random_state must be", dict(random_state="seed")),
    ("fit random_state neg", ValueError, "random_state must be in", dict(random_state=-1)),
    ("fit coef_init length", ValueError, "coef_init has length 2", dict(coef_init=np.ones(2))),
    (
        "fit intercept_init no icpt",
        ValueError,
        "intercept_init needs",
        dict(intercept_init=1.0, fit_intercept=False),
    ),
    ("fit callback type", TypeError, "callback must be callable", dict(callback="print")),
    ("fit fit_intercept str", TypeError, "fit_intercept", dict(fit_intercept="yes")),
    (
        "fit y too large to square",
        ValueError,
        "too large to square",
        dict(X=np.ones((4, 1)), y=np.full(4, 1e200)),
    ),
    (
        "fit lr and an instance's",
        ValueError,
        "conflicts with the optimizer's lr",
        dict(optimizer=fastgd.Adam(lr=0.1), lr=0.5),
    ),
    (
        "fit momentum with adam",
        ValueError,
        r"momentum=0\.5 was given with 'adam', which has no momentum option: its betas",
        dict(optimizer="adam", momentum=0.5),
    ),
    (
        "fit momentum with gd",
        ValueError,
        r"'gd', which is plain gradient descent and has no momentum: use 'momentum'",
        dict(optimizer="gd", momentum=0.5),
    ),
    (
        "fit momentum beside an instance",
        ValueError,
        r"momentum=0\.5 is for a named optimizer, but the optimizer is an instance of SGD",
        dict(optimizer=fastgd.SGD(lr=0.01), momentum=0.5),
    ),
    ("fit momentum word", TypeError, "momentum", dict(optimizer="sgd", momentum="high")),
    (
        "fit sgd momentum negative",
        ValueError,
        r"momentum must be in \[0, 1\) for optimizer='sgd', got -0\.5",
        dict(optimizer="sgd", momentum=-0.5),
    ),
    (
        "fit sgd momentum 1",
        ValueError,
        r"momentum must be in \[0, 1\) for optimizer='sgd', got 1\.0",
        dict(optimizer="sgd", momentum=1.0, lr="auto", batch_size=8),
    ),
]:
    case(_name, _error, _match)(lambda kw=_kw: _fit(**kw))


def _raising_callback(epoch: int, loss: float, coef: np.ndarray) -> bool:
    raise LookupError("the user's callback failed")


case("fit callback raises", LookupError, "the user's callback failed")(
    lambda: _fit(optimizer="sgd", batch_size=4, callback=_raising_callback)
)


# --- optimizers: construction and step --------------------------------------------------

for _name, _error, _match, _make in [
    ("Adam lr negative", ValueError, "lr", lambda: fastgd.Adam(lr=-1.0)),
    ("Adam betas > 1", ValueError, "beta", lambda: fastgd.Adam(betas=(1.5, 0.9))),
    (
        "Adam betas string",
        TypeError,
        "beta1 must be a real number",
        lambda: fastgd.Adam(betas="ab"),
    ),
    ("Adam eps nan", ValueError, "eps", lambda: fastgd.Adam(eps=float("nan"))),
    ("SGD momentum negative", ValueError, "momentum", lambda: fastgd.SGD(lr=0.1, momentum=-0.1)),
    (
        "SGD nesterov without momentum",
        ValueError,
        "Nesterov momentum requires",
        lambda: fastgd.SGD(lr=0.1, nesterov=True),
    ),
    ("RMSprop alpha negative", ValueError, "alpha", lambda: fastgd.RMSprop(alpha=-1.0)),
    ("Adagrad lr_decay negative", ValueError, "lr_decay", lambda: fastgd.Adagrad(lr_decay=-1.0)),
    ("Adadelta rho 1.5", ValueError, "rho", lambda: fastgd.Adadelta(rho=1.5)),
    (
        "NAdam momentum_decay negative",
        ValueError,
        "momentum_decay",
        lambda: fastgd.NAdam(momentum_decay=-1.0),
    ),
    (
        "SGD weight_decay inf",
        ValueError,
        "weight_decay",
        lambda: fastgd.SGD(lr=0.1, weight_decay=float("inf")),
    ),
]:
    simple(_name, _error, _match, _make)


def _step(params: Any, grad: Any, opt: Any = None) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    opt = opt or fastgd.Adam(lr=0.1)
    arrays = tuple(a for a in (params, grad) if isinstance(a, np.ndarray))
    return (lambda: opt.step(params, grad)), arrays


def _read_only() -> np.ndarray:
    a = np.ones(4)
    a.flags.writeable = False
    return a


def _misaligned() -> np.ndarray:
    return np.frombuffer(bytearray(8 * 4 + 1), dtype=np.float64, count=4, offset=1)


def _stepped(dtype: Any, n: int = 4) -> Any:
    opt = fastgd.Adam(lr=0.1)
    opt.step(np.ones(n, dtype), np.ones(n, dtype))
    return opt


for _name, _error, _match, _args in [
    (
        "step params list",
        TypeError,
        "params must be a numpy.ndarray",
        lambda: _step([1.0, 2.0], [1.0, 1.0]),
    ),
    (
        "step params int",
        TypeError,
        "float32 or float64",
        lambda: _step(np.ones(4, int), np.ones(4)),
    ),
    ("step params read-only", ValueError, "read-only", lambda: _step(_read_only(), np.ones(4))),
    ("step params strided", ValueError, "C-contiguous", lambda: _step(np.ones(8)[::2], np.ones(4))),
    ("step params misaligned", ValueError, "not aligned", lambda: _step(_misaligned(), np.ones(4))),
    (
        "step grad shape",
        ValueError,
        r"grad has shape \(3,\)",
        lambda: _step(np.ones(4), np.ones(3)),
    ),
    (
        "step grad strings",
        TypeError,
        "grad must hold real numbers",
        lambda: _step(np.ones(2), np.array(["a", "b"])),
    ),
    ("step grad None", TypeError, "grad must hold real numbers", lambda: _step(np.ones(2), None)),
    (
        "step dtype switch",
        TypeError,
        "differs from the optimizer state",
        lambda: _step(np.ones(4, np.float32), np.ones(4, np.float32), _stepped(np.float64)),
    ),
    (
        "step size switch",
        ValueError,
        "call reset",
        lambda: _step(np.ones(5), np.ones(5), _stepped(np.float64)),
    ),
]:
    case(_name, _error, _match)(_args)


def _state(**over: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    saved = _stepped(np.float64).state_dict()
    saved.update(over)
    return (lambda: fastgd.Adam(lr=0.1).load_state_dict(saved)), ()


for _name, _error, _match, _over in [
    ("state kind", ValueError, "state is for 'sgd'", dict(kind="sgd")),
    ("state hyperparameters", ValueError, "hyperparameters", dict(hyperparameters={"lr": 9.0})),
    ("state step negative", ValueError, "state\\['step'\\] must be an integer", dict(step=-1)),
    ("state step string", ValueError, "state\\['step'\\] must be an integer", dict(step="3")),
    ("state arrays missing", ValueError, "must have the arrays", dict(state={"m": np.zeros(4)})),
    (
        "state arrays unequal",
        ValueError,
        "equal length",
        dict(state={"exp_avg": np.zeros(4), "exp_avg_sq": np.zeros(5)}),
    ),
    (
        "state arrays objects",
        ValueError,
        "float32 or float64",
        dict(state={"exp_avg": np.array([{}] * 4), "exp_avg_sq": np.zeros(4)}),
    ),
    (
        "state arrays 2-D",
        ValueError,
        "1-D",
        dict(state={"exp_avg": np.zeros((2, 2)), "exp_avg_sq": np.zeros((2, 2))}),
    ),
    ("state arrays at step 0", ValueError, "arrays but step 0", dict(step=0)),
]:
    case(_name, _error, _match)(lambda over=_over: _state(**over))

simple(
    "state not a dict",
    TypeError,
    "state must be a dict",
    lambda: fastgd.Adam().load_state_dict("s"),
)
simple(
    "state missing keys",
    ValueError,
    "state is missing",
    lambda: fastgd.Adam().load_state_dict({"kind": "adam"}),
)

# --- schedules ---------------------------------------------------------------------------

simple("schedule step size 0", ValueError, "step_size", lambda: schedules.step(0.1, step_size=0))
simple("schedule cosine t_max 0", ValueError, "t_max", lambda: schedules.cosine(0.1, t_max=0))
simple("schedule lr0 negative", ValueError, "lr0", lambda: schedules.exponential(-0.1, gamma=0.9))

# --- minimize, race, sweep ------------------------------------------------------------------


def _returns(value: Any) -> Callable[[np.ndarray], Any]:
    return lambda x: value


def _raises(x: np.ndarray) -> Any:
    raise ArithmeticError("the objective failed")


for _name, _error, _match, _call in [
    (
        "minimize unknown objective",
        ValueError,
        "known: ackley",
        lambda: fastgd.minimize("nope", [0.0, 0.0]),
    ),
    (
        "minimize x0 wrong length",
        ValueError,
        "beale is 2-dimensional",
        lambda: fastgd.minimize("beale", [1.0, 2.0, 3.0]),
    ),
    (
        "minimize x0 nan",
        ValueError,
        "x0 contains",
        lambda: fastgd.minimize("sphere", [np.nan, 1.0]),
    ),
    ("minimize x0 empty", ValueError, "non-empty", lambda: fastgd.minimize("sphere", [])),
    (
        "minimize x0 2-D empty",
        ValueError,
        "non-empty point",
        lambda: fastgd.minimize("sphere", np.ones((2, 0))),
    ),
    (
        "minimize rosenbrock 1-D",
        ValueError,
        "rosenbrock",
        lambda: fastgd.minimize("rosenbrock", [1.0]),
    ),
    (
        "minimize grad wrong shape",
        ValueError,
        r"gradient has shape \(3,\), but x has shape \(2,\)",
        lambda: fastgd.minimize(_returns((1.0, np.ones(3))), [1.0, 1.0]),
    ),
    (
        "minimize returns a float with jac=True",
        TypeError,
        "must return \\(value, grad\\)",
        lambda: fastgd.minimize(_returns(1.0), [1.0, 1.0], jac=True),
    ),
    (
        "minimize value a string",
        (TypeError, ValueError),
        "",
        lambda: fastgd.minimize(_returns(("a", np.ones(2))), [1.0, 1.0]),
    ),
    (
        "minimize objective raises",
        ArithmeticError,
        "the objective failed",
        lambda: fastgd.minimize(_raises, [1.0]),
    ),
    (
        "minimize lr auto",
        ValueError,
        "lr='auto' is for least squares",
        lambda: fastgd.minimize("sphere", [1.0], lr="auto"),
    ),
    (
        "minimize callback type",
        TypeError,
        "callback must be callable",
        lambda: fastgd.minimize("sphere", [1.0], callback=1),
    ),
    (
        "minimize max_iter negative",
        ValueError,
        "max_iter",
        lambda: fastgd.minimize("sphere", [1.0], max_iter=-5),
    ),
    (
        "minimize gtol negative",
        ValueError,
        "gtol",
        lambda: fastgd.minimize("sphere", [1.0], gtol=-1.0),
    ),
    (
        "race no optimizers",
        ValueError,
        "optimizers is empty",
        lambda: fastgd.race("beale", [1.0, 1.0], []),
    ),
    (
        "race starts mismatch",
        ValueError,
        "3 starting points but 2 optimizers",
        lambda: fastgd.race("beale", np.ones((3, 2)), ["gd", "adam"]),
    ),
    (
        "race start wrong length",
        ValueError,
        "beale is 2-dimensional, but x0 has length 3",
        lambda: fastgd.race("beale", [1.0, 1.0, 1.0], ["gd"]),
    ),
    (
        "sweep negative lr",
        ValueError,
        "lrs must be",
        lambda: fastgd.sweep_lr("bowl", [1.0, 1.0], [0.1, -0.1]),
    ),
    ("sweep empty", ValueError, "lrs must be", lambda: fastgd.sweep_lr("bowl", [1.0, 1.0], [])),
    (
        "sweep instance",
        TypeError,
        "optimizer must be a name",
        lambda: fastgd.sweep_lr("bowl", [1.0, 1.0], [0.1], optimizer=fastgd.Adam()),
    ),
    (
        "minimize momentum with adam",
        ValueError,
        r"'adam', which has no momentum option: its betas play that role .*fastgd\.Adam\(betas=",
        lambda: fastgd.minimize("sphere", [1.0], method="adam", momentum=0.5),
    ),
    (
        "minimize momentum with adagrad",
        ValueError,
        r"'adagrad', which has no momentum option \(the optimizers with one: .*'rmsprop', 'sgd'\)",
        lambda: fastgd.minimize("sphere", [1.0], method="adagrad", momentum=0.5),
    ),
    (
        "minimize momentum with gd",
        ValueError,
        r"'gd', which is plain gradient descent and has no momentum: use 'momentum'",
        lambda: fastgd.minimize("sphere", [1.0], method="gd", momentum=0.5),
    ),
    (
        "minimize momentum with lbfgs",
        ValueError,
        r"momentum=0\.5 was given with method='lbfgs', which has no momentum",
        lambda: fastgd.minimize("sphere", [1.0], method="lbfgs", momentum=0.5),
    ),
    (
        "minimize momentum beside an instance",
        ValueError,
        r"instance of RMSprop: it carries .* \(fastgd\.RMSprop\(\.\.\., momentum=0\.5\)\)",
        lambda: fastgd.minimize("sphere", [1.0], optimizer=fastgd.RMSprop(lr=0.01), momentum=0.5),
    ),
    (
        "minimize momentum beside an Adam",
        ValueError,
        r"instance of Adam: Adam has no momentum option: its betas play that role",
        lambda: fastgd.minimize("sphere", [1.0], optimizer=fastgd.Adam(), momentum=0.5),
    ),
    (
        "minimize momentum word",
        TypeError,
        "momentum",
        lambda: fastgd.minimize("sphere", [1.0], method="rmsprop", momentum="0.5"),
    ),
    (
        "race momentum taken by none",
        ValueError,
        r"momentum=0\.5 applies to none of the optimizers raced \('gd', 'adam', SGD\)",
        lambda: fastgd.race("beale", [1.0, 1.0], ["gd", "adam", fastgd.SGD()], momentum=0.5),
    ),
    (
        "sweep momentum with adam",
        ValueError,
        r"'adam', which has no momentum option",
        lambda: fastgd.sweep_lr("bowl", [1.0, 1.0], [0.1], optimizer="adam", momentum=0.5),
    ),
    (
        "sweep momentum with gd",
        ValueError,
        r"'gd', which is plain gradient descent",
        lambda: fastgd.sweep_lr("bowl", [1.0, 1.0], [0.1], momentum=0.5),
    ),
]:
    case(_name, _error, _match)(lambda call=_call: (call, ()))

# --- the registry --------------------------------------------------------------------------

for _name, _error, _match, _call in [
    (
        "register bad name",
        ValueError,
        "name",
        lambda: objectives.register("Bad Name!", lambda x: 0.0),
    ),
    (
        "register dunder",
        ValueError,
        "name",
        lambda: objectives.register("__class__", lambda x: 0.0),
    ),
    (
        "register over a builtin",
        ValueError,
        "replace=True",
        lambda: objectives.register("beale", lambda x: 0.0),
    ),
    (
        "register value not callable",
        TypeError,
        "value",
        lambda: objectives.register("cat_value", 3.0),
    ),
    (
        "register bad bounds",
        ValueError,
        "bounds",
        lambda: objectives.register("cat_bounds", lambda x: 0.0, bounds=((1, 0), (0, 1))),
    ),
    ("get a number", TypeError, "objective name must be a string", lambda: objectives.get(3)),
    (
        "values 1-D",
        ValueError,
        "points must be",
        lambda: objectives.get("beale").values(np.ones(2)),
    ),
]:
    case(_name, _error, _match)(lambda call=_call: (call, ()))

# --- huge sizes: zero-stride views that would need hundreds of GB once contiguous ----------------

_HUGE = np.broadcast_to(np.float64(1.0), (10**9, 100))  # 745 GiB as a real array
simple(
    "lsq huge X",
    MemoryError,
    "Unable to allocate",
    lambda: fastgd.least_squares_loss_grad(_HUGE, _HUGE[:, 0], np.ones(100)),
)
simple(
    "fit huge X",
    MemoryError,
    "Unable to allocate",
    lambda: fastgd.fit_least_squares(_HUGE, np.broadcast_to(1.0, (10**9,))),
)
simple(
    "values huge", MemoryError, "Unable to allocate", lambda: objectives.get("sphere").values(_HUGE)
)

# --- the rest ----------------------------------------------------------------------------------

simple(
    "normal_equations X 1-D",
    ValueError,
    "2-D array",
    lambda: fastgd.normal_equations(np.ones(4), np.ones(4)),
)
simple(
    "normal_equations nan",
    ValueError,
    "NaN",
    lambda: fastgd.normal_equations(np.full((3, 1), np.nan), np.ones(3)),
)
simple("threads zero", ValueError, "k must be >= 1", lambda: fastgd.set_num_threads(0))
simple("threads word", TypeError, "k must be an integer", lambda: fastgd.set_num_threads("two"))
simple("threads million", ValueError, "k must be <=", lambda: fastgd.set_num_threads(10**6))


def _estimator_case(
    method: str, *args: Any, **params: Any
) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    model = fastgd.GDRegressor(**params)
    arrays = tuple(a for a in args if isinstance(a, np.ndarray))
    return (lambda: getattr(model, method)(*args)), arrays


def _fitted_then_predict(X: np.ndarray) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    Xf, yf = data()
    model = fastgd.GDRegressor(max_iter=5, tol=None).fit(Xf, yf)
    return (lambda: model.predict(X)), (X,)


case("estimator predict before fit", ValueError, "not fitted")(
    lambda: _estimator_case("predict", data()[0])
)
case("estimator y None", ValueError, "requires y")(lambda: _estimator_case("fit", data()[0], None))
case("estimator features mismatch", ValueError, "X has 2 features, but GDRegressor is expecting 3")(
    lambda: _fitted_then_predict(np.ones((5, 2)))
)
case("estimator validation_fraction", ValueError, "validation_fraction must be in")(
    lambda: _estimator_case("fit", *data(), early_stopping=True, validation_fraction=2.0)
)
case("estimator optimizer_params type", TypeError, "optimizer_params must be a dict")(
    lambda: _estimator_case("fit", *data(), optimizer="adam", lr=0.1, optimizer_params=[1])
)


# --- issue 11: minimize, objectives, plots, CLI ---------------------------------------------


def _min11_liar(name: str) -> Any:
    """A built-in that claims any dimension and skips the Python checks: only the
    C++ check stands between a wrong length and an out-of-bounds read."""
    import dataclasses

    return dataclasses.replace(objectives.get(name), dim=None, _value=lambda x: 0.0)


def _min11_returns(result: Any) -> Callable[[np.ndarray], Any]:
    return lambda x: result


def _min11_run(d: int) -> Any:
    return fastgd.minimize("sphere", np.ones(d), lr=0.1, max_iter=3)


def _min11_with(call: Callable[[np.ndarray], Any], arr: np.ndarray) -> Any:
    return lambda: ((lambda: call(arr)), (arr,))


_MIN11_X = [1.0, 2.0]
for _name, _error, _match, _build in [
    # x0 and lrs: one helper for minimize, race and sweep_lr
    (
        "min11 minimize x0 strings",
        TypeError,
        "x0 must hold real numbers",
        _min11_with(lambda a: fastgd.minimize("bowl", a), np.array(["a", "b"])),
    ),
    (
        "min11 minimize x0 complex",
        TypeError,
        "x0 must hold real numbers",
        _min11_with(lambda a: fastgd.minimize("bowl", a), np.ones(2, complex)),
    ),
    (
        "min11 minimize x0 complex scalar",
        TypeError,
        "x0 must hold real numbers",
        lambda: ((lambda: fastgd.minimize("sphere", 1j)), ()),
    ),
    (
        "min11 minimize x0 ragged",
        TypeError,
        "x0 could not be read",
        lambda: ((lambda: fastgd.minimize("bowl", [[1.0], [1.0, 2.0]])), ()),
    ),
    (
        "min11 minimize x0 empty",
        ValueError,
        "x0 must be a non-empty point",
        _min11_with(lambda a: fastgd.minimize("sphere", a), np.ones(0)),
    ),
    (
        "min11 race x0 strings",
        TypeError,
        "x0 must hold real numbers",
        lambda: ((lambda: fastgd.race("bowl", ["a", "b"], ["gd"])), ()),
    ),
    (
        "min11 race x0 no points",
        ValueError,
        "x0 must be one point",
        _min11_with(lambda a: fastgd.race("bowl", a, ["gd"]), np.ones((0, 2))),
    ),
    (
        "min11 race x0 3-D",
        ValueError,
        "x0 must be one point",
        _min11_with(lambda a: fastgd.race("bowl", a, ["gd"]), np.ones((2, 2, 2))),
    ),
    (
        "min11 race x0 inf",
        ValueError,
        "x0 contains 1 NaN or infinite",
        _min11_with(lambda a: fastgd.race("bowl", a, ["gd"]), np.array([np.inf, 1.0])),
    ),
    (
        "min11 sweep x0 complex",
        TypeError,
        "x0 must hold real numbers",
        _min11_with(lambda a: fastgd.sweep_lr("bowl", a, [0.1]), np.ones(2, complex)),
    ),
    (
        "min11 sweep lrs scalar",
        ValueError,
        "lrs must be a non-empty 1-D array",
        lambda: ((lambda: fastgd.sweep_lr("bowl", _MIN11_X, 0.1)), ()),
    ),
    (
        "min11 sweep lrs strings",
        TypeError,
        "lrs must hold real numbers",
        lambda: ((lambda: fastgd.sweep_lr("bowl", _MIN11_X, ["fast"])), ()),
    ),
    (
        "min11 sweep lrs nan",
        ValueError,
        "finite numbers > 0; 1 are not",
        _min11_with(lambda a: fastgd.sweep_lr("bowl", _MIN11_X, a), np.array([0.1, np.nan])),
    ),
    # optimizers
    (
        "min11 race optimizers int",
        TypeError,
        "optimizers must be a name, an Optimizer, or a list",
        lambda: ((lambda: fastgd.race("bowl", _MIN11_X, 3)), ()),
    ),
    (
        "min11 race optimizers holds int",
        TypeError,
        "optimizers must hold names or Optimizer",
        lambda: ((lambda: fastgd.race("bowl", _MIN11_X, ["gd", 3])), ()),
    ),
    (
        "min11 race bare unknown name",
        ValueError,
        "unknown optimizer 'warp'",
        lambda: ((lambda: fastgd.race("bowl", _MIN11_X, "warp")), ()),
    ),
    # unknown objectives
    (
        "min11 unknown objective close",
        ValueError,
        r"'rosenbruck' \(did you mean 'rosenbrock'\?\); known",
        lambda: ((lambda: fastgd.minimize("rosenbruck", _MIN11_X)), ()),
    ),
    (
        "min11 race unknown objective",
        ValueError,
        "unknown objective 'nope'; known: ackley",
        lambda: ((lambda: fastgd.race("nope", _MIN11_X, ["gd"])), ()),
    ),
    (
        "min11 sweep unknown objective",
        ValueError,
        "unknown objective 'bwol' \\(did you mean 'bowl'",
        lambda: ((lambda: fastgd.sweep_lr("bwol", _MIN11_X, [0.1])), ()),
    ),
    # what a Python objective returns
    (
        "min11 objective complex gradient",
        TypeError,
        "gradient is complex .* imaginary part",
        lambda: ((lambda: fastgd.minimize(lambda x: (1.0, x * 1j), _MIN11_X)), ()),
    ),
    (
        "min11 objective value 1-element array",
        TypeError,
        r"array of shape \(1,\)",
        lambda: ((lambda: fastgd.minimize(lambda x: (np.ones(1), 2 * x), _MIN11_X)), ()),
    ),
    (
        "min11 objective value None",
        TypeError,
        "value must be a real number, got NoneType",
        lambda: ((lambda: fastgd.minimize(lambda x: (None, 2 * x), _MIN11_X)), ()),
    ),
    (
        "min11 objective value complex",
        TypeError,
        "value is complex",
        lambda: ((lambda: fastgd.minimize(lambda x: (2j, 2 * x), _MIN11_X)), ()),
    ),
    (
        "min11 objective value 10**400",
        ValueError,
        "int too large for a float64",
        lambda: ((lambda: fastgd.minimize(lambda x: (10**400, 2 * x), _MIN11_X)), ()),
    ),
    (
        "min11 objective tuple of 3",
        TypeError,
        r"must return a number, or \(value, grad\).*got a tuple of length 3",
        lambda: ((lambda: fastgd.minimize(_min11_returns((1.0, 1.0, 1.0)), _MIN11_X)), ()),
    ),
    (
        "min11 objective returns a float with jac=True",
        TypeError,
        r"must return \(value, grad\), got float",
        lambda: ((lambda: fastgd.minimize(_min11_returns(1.0), _MIN11_X, jac=True)), ()),
    ),
    (
        "min11 objective gradient strings",
        TypeError,
        "gradient must hold real numbers",
        lambda: ((lambda: fastgd.minimize(_min11_returns((1.0, ["a", "b"])), _MIN11_X)), ()),
    ),
    (
        "min11 objective gradient objects",
        TypeError,
        "dtype object",
        lambda: ((lambda: fastgd.minimize(_min11_returns((1.0, [{}, {}])), _MIN11_X)), ()),
    ),
    (
        "min11 objective gradient 2-D",
        ValueError,
        r"gradient has shape \(2, 1\), but x has shape \(2,\)",
        lambda: ((lambda: fastgd.minimize(_min11_returns((1.0, np.ones((2, 1)))), _MIN11_X)), ()),
    ),
    (
        "min11 callback returns array",
        TypeError,
        "callback must return None, False .*, got ndarray",
        lambda: (
            (
                lambda: fastgd.minimize(
                    "bowl", _MIN11_X, callback=lambda intermediate_result: intermediate_result.x
                )
            ),
            (),
        ),
    ),
    (
        "min11 callable callback returns str",
        TypeError,
        "callback must return None, False .*, got str",
        lambda: (
            (
                lambda: fastgd.minimize(
                    lambda x: (float(x @ x), 2 * x),
                    _MIN11_X,
                    callback=lambda intermediate_result: "stop",
                )
            ),
            (),
        ),
    ),
    (
        "min11 registered complex gradient",
        TypeError,
        "gradient is complex",
        lambda: (
            (lambda: objectives.Objective("c", lambda x: 1.0, lambda x: x * 1j).grad(_MIN11_X)),
            (),
        ),
    ),
    # compiled objectives check the length in C++
    (
        "min11 compiled beale 1-D",
        ValueError,
        "beale is 2-dimensional, got a point of length 1",
        _min11_with(lambda a: fastgd.minimize(_min11_liar("beale"), a), np.ones(1)),
    ),
    (
        "min11 compiled beale 3-D race",
        ValueError,
        "beale is 2-dimensional, got a point of length 3",
        _min11_with(lambda a: fastgd.race(_min11_liar("beale"), a, ["gd", "adam"]), np.ones(3)),
    ),
    (
        "min11 compiled saddle values 5 columns",
        ValueError,
        "saddle is 2-dimensional, got a point of length 5",
        _min11_with(lambda a: _min11_liar("saddle").values(a), np.ones((3, 5))),
    ),
    (
        "min11 compiled bowl callback 4-D",
        ValueError,
        "bowl is 2-dimensional, got a point of length 4",
        _min11_with(
            lambda a: fastgd.minimize(
                _min11_liar("bowl"), a, callback=lambda intermediate_result: None
            ),
            np.ones(4),
        ),
    ),
    (
        "min11 compiled rosenbrock 1-D",
        ValueError,
        "rosenbrock needs at least 2 coordinates",
        _min11_with(
            lambda a: fastgd.minimize(
                dataclasses_replace(objectives.get("rosenbrock"), _value=lambda x: 0.0), a
            ),
            np.ones(1),
        ),
    ),
    # recordings are budgeted
    (
        "min11 record max_iter 1e12",
        ValueError,
        "may need 29.1 TiB.*record=False, record_every=",
        lambda: ((lambda: fastgd.minimize("bowl", _MIN11_X, max_iter=10**12, tol=None)), ()),
    ),
    (
        "min11 record d 1e6",
        ValueError,
        "may need 7.5 GiB.*record_every=8",
        _min11_with(lambda a: fastgd.minimize("sphere", a), np.ones(10**6)),
    ),
    (
        "min11 race record budget",
        ValueError,
        "in each of 2 runs may need 149.0 GiB",
        _min11_with(
            lambda a: fastgd.race("sphere", a, ["gd", "adam"], max_iter=10**6), np.ones(10**4)
        ),
    ),
    (
        "min11 record_every 0",
        ValueError,
        "record_every must be >= 1",
        lambda: ((lambda: fastgd.minimize("bowl", _MIN11_X, record_every=0)), ()),
    ),
    (
        "min11 record_every float",
        TypeError,
        "record_every must be an integer",
        lambda: ((lambda: fastgd.race("bowl", _MIN11_X, ["gd"], record_every=2.5)), ()),
    ),
    (
        "min11 grtol negative",
        ValueError,
        "grtol must be a finite number >= 0",
        lambda: ((lambda: fastgd.minimize("bowl", _MIN11_X, grtol=-1.0)), ()),
    ),
    (
        "min11 gtol nan",
        ValueError,
        "gtol must be a finite number >= 0",
        lambda: ((lambda: fastgd.race("bowl", _MIN11_X, ["gd"], gtol=float("nan"))), ()),
    ),
    # plots: runs of the wrong dimension, empty results
    (
        "min11 plot contour 1-D run",
        ValueError,
        "contour draws 2-D runs; the gd run on sphere is 1-dimensional",
        lambda: ((lambda: __import__("fastgd.plot").plot.contour("sphere", _min11_run(1))), ()),
    ),
    (
        "min11 plot contour 5-D run",
        ValueError,
        "contour draws 2-D runs; .* is 5-dimensional",
        lambda: ((lambda: __import__("fastgd.plot").plot.contour("sphere", _min11_run(5))), ()),
    ),
    (
        "min11 plot surface 1-D run",
        ValueError,
        "surface draws 2-D runs",
        lambda: ((lambda: __import__("fastgd.plot").plot.surface("sphere", _min11_run(1))), ()),
    ),
    (
        "min11 plot animate 5-D run",
        ValueError,
        "animate draws 2-D runs",
        lambda: (
            (lambda: __import__("fastgd.plot").plot.animate("sphere", _min11_run(5), "x.gif")),
            (),
        ),
    ),
    (
        "min11 plot animate empty",
        ValueError,
        "results is empty",
        lambda: ((lambda: __import__("fastgd.plot").plot.animate("beale", [], "x.gif")), ()),
    ),
    (
        "min11 plot curve 2-D run",
        ValueError,
        "curve draws 1-D runs; the gd run on sphere is 2-dimensional",
        lambda: ((lambda: __import__("fastgd.plot").plot.curve("sphere", _min11_run(2))), ()),
    ),
    (
        "min11 plot losses empty",
        ValueError,
        "results is empty",
        lambda: ((lambda: __import__("fastgd.plot").plot.losses([])), ()),
    ),
    (
        "min11 plot regression empty X",
        ValueError,
        "X is empty",
        _min11_with(
            lambda a: __import__("fastgd.plot").plot.regression(a, np.ones(0)), np.ones((0, 1))
        ),
    ),
    # the CLI: usage errors (SystemExit 2), never a traceback
    (
        "min11 cli frames huge",
        SystemExit,
        "^2$",
        lambda: (
            (
                lambda: __import__("fastgd.__main__").__main__.main(
                    ["race", "beale", "--frames", "1000000000"]
                )
            ),
            (),
        ),
    ),
    (
        "min11 cli unknown objective",
        SystemExit,
        "^2$",
        lambda: ((lambda: __import__("fastgd.__main__").__main__.main(["race", "nope"])), ()),
    ),
    (
        "min11 cli demo out on a file",
        SystemExit,
        "^2$",
        lambda: (
            (
                lambda: __import__("fastgd.__main__").__main__.main(
                    ["demo", "--out", "/proc/self/status"]
                )
            ),
            (),
        ),
    ),
]:
    case(_name, _error, _match)(_build)


def dataclasses_replace(obj: Any, **changes: Any) -> Any:
    import dataclasses

    return dataclasses.replace(obj, **changes)


# --- issue 11: optimizers and schedules ---


def _bound(dtype: Any = np.float64) -> tuple[Any, np.ndarray]:
    """An Adam stepped once on an array: its state belongs to that array."""
    opt, a = fastgd.Adam(lr=0.1), np.ones(4, dtype)
    opt.step(a, np.ones(4, dtype))
    return opt, a


def _other_array() -> tuple[Callable[[], Any], tuple[Any, ...]]:
    opt, _ = _bound()
    b, g = np.ones(4), np.full(4, 2.0)
    return (lambda: opt.step(b, g)), (b, g)


def _reshaped_view() -> tuple[Callable[[], Any], tuple[Any, ...]]:
    opt, a = _bound()
    view, g = a.reshape(2, 2), np.ones((2, 2))
    return (lambda: opt.step(view, g)), (a, g)


def _swapped(code: str) -> np.ndarray:
    return np.ones(4, np.dtype(code).newbyteorder("S"))


for _name, _error, _match, _args in [
    ("opt step another array", ValueError, "one optimizer per array", _other_array),
    ("opt step reshaped view", ValueError, "one optimizer per array", _reshaped_view),
    (
        "opt step params >f8",
        TypeError,
        r"non-native byte order.*newbyteorder\('='\)",
        lambda: _step(_swapped("f8"), _swapped("f8"), fastgd.SGD(lr=0.1)),
    ),
    (
        "opt step params >f4",
        TypeError,
        r"newbyteorder\('='\)",
        lambda: _step(_swapped("f4"), np.ones(4, np.float32)),
    ),
    (
        "opt step grad complex",
        TypeError,
        "grad must hold real numbers",
        lambda: _step(np.ones(3), np.ones(3, complex)),
    ),
    (
        "opt step grad objects",
        TypeError,
        "grad must hold real numbers",
        lambda: _step(np.ones(3), np.array([1.0, None, 2.0], dtype=object)),
    ),
    (
        "opt step grad huge ints",
        TypeError,
        "grad must hold real numbers",
        lambda: _step(np.ones(2), [1, 10**400]),
    ),
    (
        "opt step grad ragged",
        TypeError,
        "grad could not be read as an array",
        lambda: _step(np.ones(2), [[1.0], [2.0, 3.0]]),
    ),
    (
        "opt step grad 2-D for 1-D params",
        ValueError,
        r"grad has shape \(2, 2\) but params has shape \(4,\)",
        lambda: _step(np.ones(4), np.ones((2, 2))),
    ),
    (
        "opt step params float16",
        TypeError,
        "float32 or float64",
        lambda: _step(np.ones(4, np.float16), np.ones(4)),
    ),
    (
        "opt step params complex",
        TypeError,
        "float32 or float64",
        lambda: _step(np.ones(4, complex), np.ones(4)),
    ),
    (
        "opt step size switch on a bound state",
        ValueError,
        "params has 5 elements but the optimizer state has 4",
        lambda: _step(np.ones(5), np.ones(5), _bound()[0]),
    ),
]:
    case(_name, _error, _match)(_args)

for _name, _error, _match, _make in [
    ("opt base class", TypeError, "abstract base class", lambda: fastgd.Optimizer()),
    (
        "opt base class with lr",
        TypeError,
        r"abstract base class.*SGD",
        lambda: fastgd.Optimizer(lr=0.1),
    ),
    ("opt lr huge int", ValueError, "lr must be a finite number", lambda: fastgd.SGD(lr=10**400)),
    ("opt lr complex", TypeError, "lr must be a real number", lambda: fastgd.Adam(lr=1j)),
    ("opt lr None", TypeError, "lr must be a real number", lambda: fastgd.RMSprop(lr=None)),
    (
        "opt amsgrad string",
        TypeError,
        "amsgrad must be True or False",
        lambda: fastgd.Adam(amsgrad="no"),
    ),
    ("opt betas None", TypeError, "betas must be a pair", lambda: fastgd.NAdam(betas=None)),
    (
        "opt eps giant int",
        ValueError,
        "eps must be a finite number",
        lambda: fastgd.Adagrad(eps=10**5000),
    ),
]:
    simple(_name, _error, _match, _make)


def _nadam_state(**over: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    opt = fastgd.NAdam()
    opt.step(np.ones(4), np.ones(4))
    saved = opt.state_dict()
    saved.update(over)
    return (lambda: fastgd.NAdam().load_state_dict(saved)), ()


def _without(key: str) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    opt = fastgd.NAdam()
    opt.step(np.ones(4), np.ones(4))
    saved = {k: val for k, val in opt.state_dict().items() if k != key}
    return (lambda: fastgd.NAdam().load_state_dict(saved)), ()


def _adagrad_negative_sum() -> tuple[Callable[[], Any], tuple[Any, ...]]:
    opt = fastgd.Adagrad()
    opt.step(np.ones(3), np.ones(3))
    saved = opt.state_dict()
    saved["state"] = {"sum": -np.ones(3)}
    return (lambda: fastgd.Adagrad().load_state_dict(saved)), (saved["state"]["sum"],)


def _sgd_no_arrays(**over: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    saved = {"kind": "sgd", "hyperparameters": fastgd.SGD().hyperparameters, "step": 3, "state": {}}
    saved.update(over)
    return (lambda: fastgd.SGD().load_state_dict(saved)), ()


_STEP = r"state\['step'\] must be an integer in \[0, 2\*\*53\]"
for _name, _error, _match, _args in [
    ("opt state step 2**64-1", ValueError, _STEP, lambda: _state(step=2**64 - 1)),
    ("opt state step 2**70", ValueError, _STEP, lambda: _state(step=2**70)),
    ("opt state step uint64 max", ValueError, _STEP, lambda: _state(step=np.uint64(2**64 - 1))),
    ("opt state step float", ValueError, _STEP, lambda: _state(step=2.0)),
    ("opt state step bool", ValueError, _STEP, lambda: _state(step=True)),
    (
        "opt state nadam mu_product nan",
        ValueError,
        r"state\['mu_product'\] must be a finite number in \[0, 1\]",
        lambda: _nadam_state(mu_product=float("nan")),
    ),
    (
        "opt state nadam mu_product inf",
        ValueError,
        r"state\['mu_product'\] must be a finite number",
        lambda: _nadam_state(mu_product=float("inf")),
    ),
    (
        "opt state nadam mu_product 1.5",
        ValueError,
        r"state\['mu_product'\] must be",
        lambda: _nadam_state(mu_product=1.5),
    ),
    (
        "opt state nadam mu_product string",
        ValueError,
        r"state\['mu_product'\] must be a real number",
        lambda: _nadam_state(mu_product="0.5"),
    ),
    (
        "opt state nadam mu_product missing",
        ValueError,
        r"state\['mu_product'\].*is missing",
        lambda: _without("mu_product"),
    ),
    (
        "opt state exp_avg_sq negative",
        ValueError,
        r"state\['state'\]\['exp_avg_sq'\] must be >= 0",
        lambda: _state(state={"exp_avg": np.zeros(4), "exp_avg_sq": -np.ones(4)}),
    ),
    (
        "opt state exp_avg nan",
        ValueError,
        r"state\['state'\]\['exp_avg'\] must be finite",
        lambda: _state(state={"exp_avg": np.full(4, np.nan), "exp_avg_sq": np.ones(4)}),
    ),
    (
        "opt state exp_avg_sq inf",
        ValueError,
        r"\['exp_avg_sq'\] must be finite",
        lambda: _state(state={"exp_avg": np.zeros(4), "exp_avg_sq": np.full(4, np.inf)}),
    ),
    (
        "opt state complex array",
        ValueError,
        "must be a float32 or float64 array",
        lambda: _state(state={"exp_avg": np.zeros(4, complex), "exp_avg_sq": np.ones(4)}),
    ),
    (
        "opt state 0-d array",
        ValueError,
        "must be 1-D",
        lambda: _state(state={"exp_avg": np.zeros(()), "exp_avg_sq": np.ones(4)}),
    ),
    (
        "opt state dtype int32",
        ValueError,
        r"state\['dtype'\] must be 'float32' or 'float64'",
        lambda: _state(dtype="int32"),
    ),
    (
        "opt state dtype junk",
        ValueError,
        r"state\['dtype'\] must be 'float32' or 'float64'",
        lambda: _state(dtype="no such dtype"),
    ),
    (
        "opt state dtype differs from arrays",
        ValueError,
        "share one float32 or float64 dtype",
        lambda: _state(dtype="float32"),
    ),
    (
        "opt state size negative",
        ValueError,
        r"state\['size'\] must be an integer >= 0",
        lambda: _state(size=-1),
    ),
    ("opt state size huge", ValueError, "equal length", lambda: _state(size=2**70)),
    ("opt state size string", ValueError, r"state\['size'\]", lambda: _state(size="4")),
    ("opt state unknown key", ValueError, "unknown keys", lambda: _state(extra=1)),
    (
        "opt state mu_product on adam",
        ValueError,
        r"state\['mu_product'\] is NAdam's",
        lambda: _state(mu_product=0.5),
    ),
    ("opt state kind list", ValueError, "state is for", lambda: _state(kind=["adam"])),
    (
        "opt state hyperparameters array",
        ValueError,
        "hyperparameters",
        lambda: _state(hyperparameters=np.ones(3)),
    ),
    (
        "opt state arrays not a dict",
        TypeError,
        r"state\['state'\] must be a dict of arrays",
        lambda: _state(state=[np.zeros(4), np.ones(4)]),
    ),
    (
        "opt state adagrad sum negative",
        ValueError,
        r"\['sum'\] must be >= 0",
        _adagrad_negative_sum,
    ),
    (
        "opt state sgd without arrays or dtype",
        ValueError,
        r"state\['dtype'\].*is needed",
        _sgd_no_arrays,
    ),
    (
        "opt state sgd without arrays or size",
        ValueError,
        r"state\['size'\] is needed",
        lambda: _sgd_no_arrays(dtype="float64"),
    ),
]:
    case(_name, _error, _match)(_args)


def _mutated(field_: str, value: Any) -> Any:
    """A schedule changed after its checks (frozen dataclasses can be forced): the
    core must refuse it by itself."""
    s = schedules.exponential(0.1, gamma=0.9)
    object.__setattr__(s, field_, value)
    return s


for _name, _error, _match, _make in [
    (
        "schedule direct step_size 0",
        ValueError,
        "schedule step_size must be a finite number > 0",
        lambda: schedules.Schedule("step", 0.1, step_size=0),
    ),
    (
        "schedule direct lr0 nan",
        ValueError,
        "schedule lr0 must be a finite number > 0",
        lambda: schedules.Schedule("constant", float("nan")),
    ),
    (
        "schedule direct t_max 0",
        ValueError,
        "schedule t_max must be",
        lambda: schedules.Schedule("cosine", 0.1, t_max=0),
    ),
    (
        "schedule direct gamma negative",
        ValueError,
        r"schedule gamma must be in \(0, 1\]",
        lambda: schedules.Schedule("exponential", 0.1, gamma=-0.5),
    ),
    (
        "schedule direct gamma above 1",
        ValueError,
        r"schedule gamma must be in \(0, 1\]",
        lambda: schedules.Schedule("step", 0.1, gamma=1.5),
    ),
    (
        "schedule direct power negative",
        ValueError,
        "schedule power must be",
        lambda: schedules.Schedule("inverse_scaling", 0.1, power=-0.5),
    ),
    (
        "schedule direct eta_min negative",
        ValueError,
        "schedule eta_min must be",
        lambda: schedules.Schedule("cosine", 0.1, t_max=5, eta_min=-1.0),
    ),
    (
        "schedule direct start_factor 2",
        ValueError,
        r"schedule start_factor must be in \[0, 1\]",
        lambda: schedules.Schedule("constant", 0.1, warmup_steps=3, start_factor=2.0),
    ),
    (
        "schedule direct warmup_steps nan",
        ValueError,
        "schedule warmup_steps must be",
        lambda: schedules.Schedule("constant", 0.1, warmup_steps=float("nan")),
    ),
    (
        "schedule direct kind huge int",
        TypeError,
        "schedule kind must be one of",
        lambda: schedules.Schedule(10**30, 0.1),
    ),
    (
        "schedule direct kind unknown",
        ValueError,
        "unknown schedule kind 'linear'",
        lambda: schedules.Schedule("linear", 0.1),
    ),
    (
        "schedule direct lr0 giant int",
        ValueError,
        "schedule lr0 must be a finite number",
        lambda: schedules.Schedule("constant", 10**400),
    ),
    (
        "schedule constant 0",
        ValueError,
        "lr must be a finite number > 0",
        lambda: schedules.constant(0.0),
    ),
    (
        "schedule exponential gamma 1.5",
        ValueError,
        r"gamma must be in \(0, 1\]",
        lambda: schedules.exponential(0.1, gamma=1.5),
    ),
    (
        "schedule step gamma 0",
        ValueError,
        r"gamma must be in \(0, 1\]",
        lambda: schedules.step(0.1, step_size=2, gamma=0.0),
    ),
    (
        "schedule t 10**30",
        ValueError,
        "t must be an integer >= 0",
        lambda: schedules.constant(0.1)(10**30),
    ),
    (
        "schedule mutated gamma in an optimizer",
        ValueError,
        r"schedule gamma must be in \(0, 1\]",
        lambda: fastgd.SGD(lr=_mutated("gamma", -0.5)),
    ),
    (
        "schedule mutated lr0 nan in a call",
        ValueError,
        "schedule lr0 must be a finite number > 0",
        lambda: _mutated("lr0", float("nan"))(3),
    ),
    (
        "schedule mutated lr0 string in a call",
        TypeError,
        "schedule lr0 must be a real number",
        lambda: _mutated("lr0", "0.1")(0),
    ),
]:
    simple(_name, _error, _match, _make)


def _mutated_fit() -> tuple[Callable[[], Any], tuple[Any, ...]]:
    X, y = data()
    opt = fastgd.SGD(lr=schedules.step(0.1, step_size=2))
    object.__setattr__(opt._hyper["lr"], "step_size", 0.0)
    return (lambda: fastgd.fit_least_squares(X, y, optimizer=opt, max_iter=3)), (X, y)


def _mutated_minimize() -> tuple[Callable[[], Any], tuple[Any, ...]]:
    x0 = np.array([1.0, 2.0])
    opt = fastgd.Adam(lr=schedules.cosine(0.1, t_max=5))
    object.__setattr__(opt._hyper["lr"], "t_max", -1.0)
    return (lambda: fastgd.minimize("sphere", x0, optimizer=opt, max_iter=3)), (x0,)


case("schedule mutated step_size in a fit", ValueError, "schedule step_size must be")(_mutated_fit)
case("schedule mutated t_max in minimize", ValueError, "schedule t_max must be")(_mutated_minimize)


# --- issue 11: least squares ---


class _SparseLike:
    """Anything with tocsr() counts as sparse (no SciPy import needed)."""

    shape = (40, 3)
    ndim = 2

    def tocsr(self) -> Any:
        return self


def _scipy_sparse(kind: str = "csr_matrix") -> Any:
    import scipy.sparse as sp

    return getattr(sp, kind)(data()[0])


_SPARSE = "sparse matrices are not supported yet; pass X.toarray"
#: The estimators take scipy.sparse X; an object that merely has tocsr() is refused.
_NOT_SCIPY = "X has tocsr\\(\\) but is not a scipy.sparse matrix"


def _lsq11_fit(**over: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    X, y = data()
    args: dict[str, Any] = dict(X=X, y=y)
    args.update(over)
    arrays = tuple(a for a in args.values() if isinstance(a, np.ndarray))
    return (lambda: fastgd.fit_least_squares(**args)), arrays


for _name, _error, _match, _over in [
    ("lsq11 fit gtol negative", ValueError, "gtol must be a finite number >= 0", dict(gtol=-1e-3)),
    (
        "lsq11 fit gtol nan",
        ValueError,
        "gtol must be a finite number >= 0",
        dict(gtol=float("nan")),
    ),
    (
        "lsq11 fit gtol inf",
        ValueError,
        "gtol must be a finite number >= 0",
        dict(gtol=float("inf")),
    ),
    ("lsq11 fit gtol string", TypeError, "gtol must be a real number", dict(gtol="1e-4")),
    ("lsq11 fit gtol bool", TypeError, "gtol must be a real number", dict(gtol=True)),
    ("lsq11 fit gtol list", TypeError, "gtol must be a real number", dict(gtol=[1e-4])),
    ("lsq11 fit gtol complex", TypeError, "gtol must be a real number", dict(gtol=1e-4 + 0j)),
    ("lsq11 fit X sparse-like", TypeError, _SPARSE, dict(X=_SparseLike())),
    ("lsq11 fit y sparse-like", TypeError, "y is a sparse matrix", dict(y=_SparseLike())),
    (
        "lsq11 fit gram bigger than X",
        MemoryError,
        r"GiB.*gradient='stream'",
        dict(X=np.ones((2, 20000)), y=np.ones(2), gradient="gram", lr=0.1),
    ),
    (
        "lsq11 fit gram float32 bigger than X",
        MemoryError,
        "gradient='stream'",
        dict(X=np.ones((1, 40000), np.float32), y=np.ones(1, np.float32), gradient="gram"),
    ),
    (
        "lsq11 fit gram far beyond memory",
        MemoryError,
        "gradient='stream'",
        dict(X=np.ones((2, 2_000_000), np.float32), y=np.ones(2, np.float32), gradient="gram"),
    ),
]:
    case(_name, _error, _match)(lambda _over=_over: _lsq11_fit(**_over))


def _lsq11_grad(**over: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    X, y = data()
    args: dict[str, Any] = dict(X=X, y=y, w=np.zeros(3))
    args.update(over)
    arrays = tuple(a for a in args.values() if isinstance(a, np.ndarray))
    return (lambda: fastgd.least_squares_loss_grad(**args)), arrays


for _name, _match, _over in [
    ("lsq11 loss_grad X sparse-like", _SPARSE, dict(X=_SparseLike())),
    ("lsq11 loss_grad y sparse-like", "y is a sparse matrix", dict(y=_SparseLike())),
    ("lsq11 loss_grad w sparse-like", "w is a sparse matrix", dict(w=_SparseLike())),
]:
    case(_name, TypeError, _match)(lambda _over=_over: _lsq11_grad(**_over))


def _lsq11_core_rows(rows: list[int]) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    X, y = data()
    w = np.zeros(3)
    r = np.array(rows, np.int64)
    return (lambda: fastgd._core.least_squares_loss_grad(X, y, w, r, True, 0.0)), (X, y, w, r)


# The core checks its own copy of rows (another thread may rewrite them after Python's check).
case("lsq11 core rows past the end", ValueError, r"rows must be in \[0, 40\)")(
    lambda: _lsq11_core_rows([0, 40])
)
case("lsq11 core rows negative", ValueError, r"rows must be in \[0, 40\)")(
    lambda: _lsq11_core_rows([-1])
)
case("lsq11 core rows huge", ValueError, r"rows must be in \[0, 40\)")(
    lambda: _lsq11_core_rows([2**62, 0])
)


def _lsq11_optimality(**over: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    args: dict[str, Any] = dict(
        g=np.zeros(4), col_sq=np.ones(4), theta=np.zeros(4), d=3, l2=0.0, n=10, r_sq=1.0, y_c_sq=1.0
    )
    args.update(over)
    arrays = tuple(a for a in args.values() if isinstance(a, np.ndarray))
    return (lambda: fastgd._core.least_squares_optimality(**args)), arrays


case("lsq11 core optimality lengths", ValueError, "one length p >= d")(
    lambda: _lsq11_optimality(col_sq=np.ones(3))
)
case("lsq11 core optimality d > p", ValueError, "one length p >= d")(lambda: _lsq11_optimality(d=5))
case("lsq11 core optimality n = 0", ValueError, "n > 0")(lambda: _lsq11_optimality(n=0))
case("lsq11 core fit gtol negative", ValueError, "gtol must be a number >= 0")(
    lambda: (lambda: fastgd._core.fit_least_squares(*data(), _fit12_settings(gtol=-1.0)), ())
)


def _lsq11_normal(X: Any, y: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    arrays = tuple(a for a in (X, y) if isinstance(a, np.ndarray))
    return (lambda: fastgd.normal_equations(X, y)), arrays


case("lsq11 normal_equations X sparse-like", TypeError, _SPARSE)(
    lambda: _lsq11_normal(_SparseLike(), data()[1])
)
case("lsq11 normal_equations y sparse-like", TypeError, "y is a sparse matrix")(
    lambda: _lsq11_normal(data()[0], _SparseLike())
)


def _lsq11_fitted(method: str, *args: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    model = fastgd.GDRegressor(max_iter=3, tol=None).fit(*data())
    arrays = tuple(a for a in args if isinstance(a, np.ndarray))
    return (lambda: getattr(model, method)(*args)), arrays


case("lsq11 estimator fit X sparse-like", TypeError, _NOT_SCIPY)(
    lambda: _estimator_case("fit", _SparseLike(), data()[1])
)
case("lsq11 estimator fit y sparse-like", TypeError, "y is a sparse matrix")(
    lambda: _estimator_case("fit", data()[0], _SparseLike())
)
case("lsq11 estimator partial_fit X sparse-like", TypeError, _NOT_SCIPY)(
    lambda: _estimator_case("partial_fit", _SparseLike(), data()[1])
)
case("lsq11 estimator predict X sparse-like", TypeError, _NOT_SCIPY)(
    lambda: _lsq11_fitted("predict", _SparseLike())
)
case("lsq11 estimator score X sparse-like", TypeError, _NOT_SCIPY)(
    lambda: _lsq11_fitted("score", _SparseLike(), data()[1])
)
case("lsq11 estimator gtol negative", ValueError, "gtol must be a finite number >= 0")(
    lambda: _estimator_case("fit", *data(), gtol=-1.0)
)
case("lsq11 estimator gtol string", TypeError, "gtol must be a real number")(
    lambda: _estimator_case("fit", *data(), gtol="small")
)
case("lsq11 estimator partial_fit gtol nan", ValueError, "gtol must be a finite number >= 0")(
    lambda: _estimator_case("partial_fit", *data(), gtol=float("nan"))
)
case("lsq11 estimator gram bigger than X", MemoryError, "gradient='stream'")(
    lambda: _estimator_case("fit", np.ones((2, 20000)), np.ones(2), gradient="gram", lr=0.1)
)

try:  # real SciPy matrices and arrays, where SciPy is installed
    import scipy.sparse  # noqa: F401

    _HAVE_SCIPY = True
except ImportError:  # pragma: no cover - the SparseLike cases above cover the rule
    _HAVE_SCIPY = False

if _HAVE_SCIPY:
    for _kind in ("csr_matrix", "csc_array", "coo_matrix"):
        case(f"lsq11 fit X scipy {_kind}", TypeError, _SPARSE)(
            lambda _kind=_kind: (
                lambda: fastgd.fit_least_squares(_scipy_sparse(_kind), data()[1]),
                (),
            )
        )
    case("lsq11 loss_grad X scipy csr", TypeError, _SPARSE)(
        lambda: (
            lambda: fastgd.least_squares_loss_grad(_scipy_sparse(), data()[1], np.zeros(3)),
            (),
        )
    )
    case("lsq11 normal_equations X scipy csr", TypeError, _SPARSE)(
        lambda: _lsq11_normal(_scipy_sparse(), data()[1])
    )
    case("lsq11 estimator predict X scipy csr of 2 features", ValueError, "X has 2 features")(
        lambda: _lsq11_fitted("predict", _scipy_sparse()[:, :2])
    )


def _lsq11_memmap(X: np.ndarray) -> np.memmap[Any, Any]:
    import os
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".bin", delete=False) as fh:
        fh.write(np.ascontiguousarray(X).tobytes())
    mapped = np.memmap(fh.name, dtype=X.dtype, mode="r", shape=X.shape)
    os.unlink(fh.name)  # the mapping keeps the pages; no file is left behind
    return mapped


case("lsq11 memmap lr auto all-zero X", ValueError, "lr='auto' needs a non-zero X")(
    lambda: (
        lambda: fastgd.fit_least_squares(
            _lsq11_memmap(np.zeros((40, 3))), np.ones(40), lr="auto", fit_intercept=False
        ),
        (),
    )
)
case("lsq11 memmap byte-swapped", TypeError, r"newbyteorder\('='\)")(
    lambda: (
        lambda: fastgd.fit_least_squares(
            _lsq11_memmap(np.ones((40, 3), dtype=">f8")), np.ones(40), lr=0.1
        ),
        (),
    )
)
case("lsq11 memmap gram bigger than X", MemoryError, "gradient='stream'")(
    lambda: (
        lambda: fastgd.fit_least_squares(
            _lsq11_memmap(np.ones((2, 20000))), np.ones(2), gradient="gram", lr=0.1
        ),
        (),
    )
)
case("lsq11 memmap gtol negative", ValueError, "gtol must be a finite number >= 0")(
    lambda: (
        lambda: fastgd.fit_least_squares(_lsq11_memmap(data()[0]), data()[1], gtol=-1.0),
        (),
    )
)


def _lsq11_dask(
    X: np.ndarray, y: np.ndarray, **kw: Any
) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    def call() -> Any:
        import dask
        import dask.array as da

        dX, dy = da.from_array(X, chunks=(10, X.shape[1])), da.from_array(y, chunks=10)
        with dask.config.set(scheduler="synchronous"):
            return fastgd.fit_least_squares(dX, dy, **kw)

    return call, (X, y)


try:
    import dask.array  # noqa: F401

    _HAVE_DASK = True
except ImportError:  # pragma: no cover
    _HAVE_DASK = False

if _HAVE_DASK:
    case("lsq11 dask lr auto all-zero X", ValueError, "lr='auto' needs a non-zero X")(
        lambda: _lsq11_dask(np.zeros((40, 3)), np.ones(40), lr="auto", fit_intercept=False)
    )
    case("lsq11 dask gtol negative", ValueError, "gtol must be a finite number >= 0")(
        lambda: _lsq11_dask(*data(), gtol=-1.0)
    )

    def _lsq11_dask_unknown_mismatch() -> tuple[Callable[[], Any], tuple[Any, ...]]:
        X, y = data()

        def call() -> Any:
            import dask
            import dask.array as da

            dX = da.from_array(X, chunks=(10, 3))
            dX = dX[dX[:, 0] > 0]  # unknown chunk sizes
            with dask.config.set(scheduler="synchronous"):
                return fastgd.fit_least_squares(dX, da.from_array(y, chunks=10))

        return call, (X, y)

    case("lsq11 dask unknown chunks y mismatch", ValueError, "n_samples")(
        _lsq11_dask_unknown_mismatch
    )
# --- issue 12: plots and the CLI ---


def _plot12() -> Any:
    import fastgd.plot

    return fastgd.plot


def _plot12_bowl(x: np.ndarray) -> tuple[float, np.ndarray]:
    return float(x @ x), 2 * x


def _plot12_xy() -> tuple[np.ndarray, np.ndarray]:
    x = np.linspace(0.0, 10.0, 30)
    return x, 2.0 * x + 1.0


def _plot12_fit_like(path: Any) -> Any:
    from types import SimpleNamespace

    return SimpleNamespace(path=path, optimizer="gd", status="max_iter", n_iter=1, lr=0.1)


def _plot12_regression_contour(
    X: np.ndarray, y: np.ndarray, fits: Any = ()
) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    return (lambda: _plot12().regression_contour(X, y, fits)), (X, y)


def _plot12_run2() -> Any:
    return fastgd.minimize(_plot12_bowl, [1.0, 1.0], lr=0.1, max_iter=3)


def _plot12_cli(argv: list[str]) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    return (lambda: __import__("fastgd.__main__").__main__.main(argv)), ()


simple(
    "plot12 contour callable without bounds",
    ValueError,
    r"bounds is required with a callable objective.*bounds=",
    lambda: _plot12().contour(_plot12_bowl, _plot12_run2()),
)
simple(
    "plot12 surface callable without bounds",
    ValueError,
    "bounds is required with a callable objective",
    lambda: _plot12().surface(_plot12_bowl),
)
simple(
    "plot12 curve callable without bounds",
    ValueError,
    r"bounds is required.*bounds=\(\(-2, 2\),\)",
    lambda: _plot12().curve(_plot12_bowl, fastgd.minimize(_plot12_bowl, [1.0], lr=0.1, max_iter=3)),
)
simple(
    "plot12 animate callable without bounds",
    ValueError,
    "bounds is required with a callable objective",
    lambda: _plot12().animate(_plot12_bowl, _plot12_run2(), "plot12-never-written.gif"),
)
simple(
    "plot12 contour callable reversed bounds",
    ValueError,
    r"bounds must be \(\(x0, x1\), \(y0, y1\)\) with x0 < x1",
    lambda: _plot12().contour(_plot12_bowl, bounds=((1, 0), (0, 1))),
)
simple(
    "plot12 contour callable bounds text",
    ValueError,
    "bounds must be",
    lambda: _plot12().contour(_plot12_bowl, bounds="wide"),
)
simple(
    "plot12 curve callable nan bounds",
    ValueError,
    r"bounds must be \(low, high\)",
    lambda: _plot12().curve(
        _plot12_bowl,
        fastgd.minimize(_plot12_bowl, [1.0], lr=0.1, max_iter=3),
        bounds=(0.0, float("nan")),
    ),
)
simple(
    "plot12 contour callable 3-tuple",
    TypeError,
    r"returns a value or a tuple \(value, grad\), got a tuple of 3",
    lambda: _plot12().contour(lambda x: (1.0, x, x), bounds=((0, 1), (0, 1))),
)
simple(
    "plot12 contour objective a number",
    TypeError,
    "objective must be a registered name, an Objective, or a callable",
    lambda: _plot12().contour(3, bounds=((0, 1), (0, 1))),
)
simple(
    "plot12 contour ax a string",
    TypeError,
    "ax must be a matplotlib Axes or None",
    lambda: _plot12().contour("beale", ax="left"),
)
simple(
    "plot12 surface flat axes",
    ValueError,
    "ax must be a 3-D Axes for a surface",
    lambda: _plot12().surface(
        "beale", ax=__import__("matplotlib.figure").figure.Figure().add_subplot()
    ),
)
simple(
    "plot12 contour resolution 1",
    ValueError,
    "resolution must be an integer >= 2",
    lambda: _plot12().contour("beale", resolution=1),
)
case("plot12 regression_contour nan X", ValueError, "X and y must be finite")(
    lambda: _plot12_regression_contour(np.array([1.0, np.nan, 3.0]), np.ones(3))
)
case("plot12 regression_contour 2 features", ValueError, "one feature; X has shape")(
    lambda: _plot12_regression_contour(np.ones((5, 2)), np.ones(5))
)
case(
    "plot12 regression_contour unrecorded fit",
    ValueError,
    r"no \(coef, intercept\) path: fit with record=True",
)(
    lambda: _plot12_regression_contour(
        *_plot12_xy(),
        fastgd.fit_least_squares(
            _plot12_xy()[0][:, None], _plot12_xy()[1], lr="auto", max_iter=3, record=False
        ),
    )
)
case("plot12 regression_contour 2-feature path", ValueError, r"shape \(rows, 2\)")(
    lambda: _plot12_regression_contour(*_plot12_xy(), _plot12_fit_like(np.zeros((3, 3))))
)
case("plot12 regression_contour not fits", TypeError, "fits must be FitResults")(
    lambda: _plot12_regression_contour(*_plot12_xy(), [1, 2])
)
case("plot12 cli lr count", SystemExit, "^2$")(
    lambda: _plot12_cli(["race", "beale", "--optimizers", "gd,adam", "--lr", "0.1,0.2,0.3"])
)
case("plot12 cli lr empty entry", SystemExit, "^2$")(
    lambda: _plot12_cli(["race", "beale", "--lr", "0.1,,0.2"])
)
case("plot12 cli lr not a number", SystemExit, "^2$")(
    lambda: _plot12_cli(["race", "beale", "--lr", "0.1,fast"])
)

# --- issue 12: minimize, race and sweep_lr (keyword-only, lr, callbacks) ---
_APIQ_X = np.array([1.0, 1.0])


def _apiq(
    call: Callable[[np.ndarray], Any],
) -> Callable[[], tuple[Callable[[], Any], tuple[Any, ...]]]:
    """A case on a fresh x0 that must come back unchanged."""

    def build() -> tuple[Callable[[], Any], tuple[Any, ...]]:
        x0 = _APIQ_X.copy()
        return (lambda: call(x0)), (x0,)

    return build


for _name, _error, _match, _call in [
    (
        "apiq minimize optimizer positional",
        TypeError,
        "takes 2 positional arguments",
        lambda x: fastgd.minimize("bowl", x, "adam"),
    ),
    (
        "apiq race lr positional",
        TypeError,
        "positional argument",
        lambda x: fastgd.race("bowl", x, ["gd"], 0.1),
    ),
    (
        "apiq sweep optimizer positional",
        TypeError,
        "positional argument",
        lambda x: fastgd.sweep_lr("bowl", x, [0.1], "gd"),
    ),
    (
        "apiq minimize lr conflicts with the instance",
        ValueError,
        r"lr=0\.01 conflicts with the optimizer's lr=0\.1; set the learning rate in one place",
        lambda x: fastgd.minimize("bowl", x, optimizer=fastgd.SGD(lr=0.1), lr=0.01),
    ),
    (
        "apiq minimize schedule conflicts with the instance",
        ValueError,
        "conflicts with the optimizer's lr=0.1",
        lambda x: fastgd.minimize(
            "bowl", x, optimizer=fastgd.SGD(lr=0.1), lr=fastgd.schedules.cosine(0.1, t_max=9)
        ),
    ),
    (
        "apiq race lr conflicts with an instance",
        ValueError,
        "set the learning rate in one place",
        lambda x: fastgd.race("bowl", x, [fastgd.Adam(lr=0.1)], lr=0.2),
    ),
    (
        "apiq minimize lr a list",
        TypeError,
        "lr must be a real number, got list",
        lambda x: fastgd.minimize("bowl", x, lr=[0.1]),
    ),
    (
        "apiq minimize lr a list beside an instance",
        TypeError,
        "lr must be a real number, got list",
        lambda x: fastgd.minimize("bowl", x, optimizer=fastgd.SGD(lr=0.1), lr=[0.1]),
    ),
    (
        "apiq minimize lr zero",
        ValueError,
        "lr must be a finite number > 0",
        lambda x: fastgd.minimize("bowl", x, lr=0.0),
    ),
    (
        "apiq minimize lr a schedule dict",
        TypeError,
        "lr must be a real number, got dict",
        lambda x: fastgd.minimize("bowl", x, lr={"kind": "cosine", "lr0": 0.1}),
    ),
    (
        "apiq race lr nan",
        ValueError,
        "lr must be a finite number > 0",
        lambda x: fastgd.race("bowl", x, ["gd", "adam"], lr=float("nan")),
    ),
    (
        "apiq callback returns a string",
        TypeError,
        "callback must return None, False .*, got str",
        lambda x: fastgd.minimize("bowl", x, callback=lambda intermediate_result: "yes"),
    ),
    (
        "apiq callback raises",
        LookupError,
        "from the user's callback",
        lambda x: fastgd.minimize("bowl", x, callback=lambda intermediate_result: _apiq_raise()),
    ),
]:
    case(_name, _error, _match)(_apiq(_call))


def _apiq_raise() -> None:
    raise LookupError("from the user's callback")


# --- issue 12: the fit plan and its C++ boundary ---


def _fit12_settings(**over: Any) -> dict[str, Any]:
    """A valid settings dict of _core.fit_least_squares (what fastgd.in_memory builds)."""
    settings: dict[str, Any] = dict(
        gradient="stream",
        batch_size=None,
        lr=0.1,
        max_iter=5,
        tol=1e-6,
        fit_intercept=True,
        l2=0.0,
        shuffle="rows",
        seed=0,
        record=True,
        gtol=1e-4,
        gtol_stop=1e-12,
        optimizer="sgd",
        hyperparameters={},
        n_iter_no_change=None,
        adaptive=False,
        verify_x_finite=False,
    )
    settings.update(over)
    return settings


def _fit12_core(**over: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    X, y = data()
    return (lambda: fastgd._core.fit_least_squares(X, y, _fit12_settings(**over))), (X, y)


def _fit12_core_missing(key: str) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    X, y = data()
    settings = _fit12_settings()
    del settings[key]
    return (lambda: fastgd._core.fit_least_squares(X, y, settings)), (X, y)


case("fit12 core unknown setting", ValueError, "unknown fit setting 'use_gram'")(
    lambda: _fit12_core(use_gram=True)
)
case("fit12 core missing setting", ValueError, "the fit settings need 'gtol'")(
    lambda: _fit12_core_missing("gtol")
)
case("fit12 core bad gradient", ValueError, "'stream', 'gram' or 'batch'")(
    lambda: _fit12_core(gradient="auto")
)
case("fit12 core bad shuffle", ValueError, "'shuffle' must be 'none', 'rows' or 'blocks'")(
    lambda: _fit12_core(shuffle="block")
)
case("fit12 core shuffle a bool", TypeError, "'shuffle' must be 'none', 'rows' or 'blocks'")(
    lambda: _fit12_core(shuffle=True)
)
case("fit12 core batch_size on full batch", ValueError, "batch_size' is for gradient='batch'")(
    lambda: _fit12_core(batch_size=4)
)
case("fit12 core batch size zero", ValueError, "batch_size must be >= 1")(
    lambda: _fit12_core(gradient="batch", batch_size=0)
)
case("fit12 core lr auto on mini-batches", ValueError, "lr_auto .1/L. is for full-batch")(
    lambda: _fit12_core(gradient="batch", batch_size=4, lr=None)
)
case("fit12 core max_iter a string", TypeError, "fit setting 'max_iter' must be an integer")(
    lambda: _fit12_core(max_iter="5")
)
case("fit12 core state not a state", TypeError, "state must be an OptimizerState")(
    lambda: (
        lambda: fastgd._core.fit_least_squares(*data(), _fit12_settings(), state=(1, 1.0, [], 4)),
        (),
    )
)
case("fit12 lsq intercept a string", TypeError, "intercept")(lambda: _lsq(intercept="b"))
case("fit12 lsq reduction positional", TypeError, "positional")(
    lambda: (lambda: fastgd.least_squares_loss_grad(*data(), np.zeros(3), "sum"), ())
)
case("fit12 fit optimizer positional", TypeError, "positional")(
    lambda: (lambda: fastgd.fit_least_squares(*data(), "sgd"), ())
)
case("fit12 fit lr explicit conflicts with instance", ValueError, "set the learning rate in one")(
    lambda: (
        lambda: fastgd.fit_least_squares(*data(), optimizer=fastgd.Adam(lr=0.05), lr=0.01),
        (),
    )
)
case("fit12 fit callback returns a string", TypeError, "callback must return None")(
    lambda: (
        lambda: fastgd.fit_least_squares(
            *data(), max_iter=3, callback=lambda intermediate_result: "stop"
        ),
        (),
    )
)

# --- issue 13: parameter groups ---


def _pg13(
    shapes: Any = ((3, 2), (2,)), dtype: Any = np.float64, **kw: Any
) -> tuple[Any, list[np.ndarray]]:
    arrays = [np.ones(s, dtype) for s in shapes]
    opt = fastgd.Adam(arrays, lr=0.1, **kw)
    opt.step([np.ones(s, dtype) for s in shapes])  # state exists: a refused call must keep it
    return opt, arrays


def _pg13_step(grads: Any, **kw: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    opt, arrays = _pg13(**kw)
    given = tuple(
        g for g in (grads if isinstance(grads, list) else []) if isinstance(g, np.ndarray)
    )
    return (lambda: opt.step(grads)), (*arrays, *given)


def _pg13_group_change(key: str, value: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    opt, arrays = _pg13()
    opt.param_groups[0][key] = value
    return (lambda: opt.step([np.ones((3, 2)), np.ones(2)])), tuple(arrays)


def _pg13_swap_params(value: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    opt, arrays = _pg13()
    opt.param_groups[0]["params"][1] = value
    return (lambda: opt.step([np.ones((3, 2)), np.ones(2)])), (*arrays, value) if isinstance(
        value, np.ndarray
    ) else tuple(arrays)


def _pg13_load(edit: Callable[[dict[str, Any]], Any]) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    opt, arrays = _pg13()
    saved = opt.state_dict()
    edit(saved)
    return (lambda: opt.load_state_dict(saved)), tuple(arrays)


def _pg13_set(d: dict[Any, Any], path: tuple[Any, ...], value: Any) -> None:
    for k in path[:-1]:
        d = d[k]
    d[path[-1]] = value


def _pg13_strided() -> np.ndarray:
    return np.ones((4, 4))[:, 0]


def _pg13_swapped() -> np.ndarray:
    return np.ones(2, dtype=">f8")


for _name, _error, _match, _grads in [
    (
        "pg13 grads too few",
        ValueError,
        "grads has 1 entries but the optimizer has 2 arrays",
        [np.ones((3, 2))],
    ),
    (
        "pg13 grads too many",
        ValueError,
        "grads has 3 entries",
        [np.ones((3, 2)), np.ones(2), np.ones(2)],
    ),
    ("pg13 grads an ndarray", TypeError, "grads must be a list", np.ones(2)),
    ("pg13 grads a number", TypeError, "grads must be a list", 1.5),
    ("pg13 grads a string", TypeError, "grads must be a list", "ab"),
    ("pg13 grads None", TypeError, "step needs the grads", None),
    (
        "pg13 grads wrong shape",
        ValueError,
        r"grads\[1\] has shape \(3,\) but params has shape \(2,\)",
        [np.ones((3, 2)), np.ones(3)],
    ),
    (
        "pg13 grads transposed",
        ValueError,
        r"grads\[0\] has shape \(2, 3\)",
        [np.ones((2, 3)), np.ones(2)],
    ),
    (
        "pg13 grads strings",
        TypeError,
        r"grads\[1\] must hold real numbers",
        [np.ones((3, 2)), np.array(["a", "b"])],
    ),
    (
        "pg13 grads objects",
        TypeError,
        r"grads\[1\] must hold real numbers",
        [np.ones((3, 2)), [object(), object()]],
    ),
    (
        "pg13 grads complex",
        TypeError,
        r"grads\[1\] must hold real numbers",
        [np.ones((3, 2)), np.ones(2, complex)],
    ),
    (
        "pg13 grads ragged",
        TypeError,
        r"grads\[1\] could not be read",
        [np.ones((3, 2)), [[1.0], [1.0, 2.0]]],
    ),
    ("pg13 grads dict without names", TypeError, "params have no names", {"a": np.ones(2)}),
]:
    case(_name, _error, _match)(lambda g=_grads: _pg13_step(g))

simple(
    "pg13 params a number", TypeError, "the learning rate is a keyword", lambda: fastgd.Adam(0.1)
)  # type: ignore[arg-type]
simple("pg13 params one array", TypeError, "one numpy.ndarray", lambda: fastgd.Adam(np.ones(3)))
simple("pg13 params empty", ValueError, "empty parameter list", lambda: fastgd.Adam([]))
simple(
    "pg13 params a string",
    TypeError,
    "params must be an iterable of arrays",
    lambda: fastgd.Adam("W"),
)
simple(
    "pg13 params ints",
    TypeError,
    r"must be float32 or float64",
    lambda: fastgd.Adam([np.ones(3, int)]),
)
simple(
    "pg13 params a list", TypeError, r"must be a numpy.ndarray", lambda: fastgd.Adam([[1.0, 2.0]])
)
simple("pg13 params strided", ValueError, "C-contiguous", lambda: fastgd.Adam([_pg13_strided()]))
simple("pg13 params read-only", ValueError, "read-only", lambda: fastgd.Adam([_read_only()]))
simple("pg13 params misaligned", ValueError, "not aligned", lambda: fastgd.Adam([_misaligned()]))
simple(
    "pg13 params byte-swapped",
    TypeError,
    "float32 or float64",
    lambda: fastgd.Adam([_pg13_swapped()]),
)
simple(
    "pg13 group without params",
    ValueError,
    "must have the key 'params'",
    lambda: fastgd.Adam([{"lr": 0.1}]),
)
simple(
    "pg13 group params a number",
    TypeError,
    r"\['params'\] must be an iterable",
    lambda: fastgd.Adam([{"params": 3}]),
)
simple(
    "pg13 group unknown option",
    TypeError,
    r"param_groups\[0\]: .*'momentum'",
    lambda: fastgd.Adam([{"params": [np.ones(2)], "momentum": 0.9}]),
)
simple(
    "pg13 group bad lr",
    ValueError,
    r"param_groups\[0\]: Invalid lr",
    lambda: fastgd.Adam([{"params": [np.ones(2)], "lr": -1.0}]),
)
simple(
    "pg13 group lr a string",
    TypeError,
    r"param_groups\[0\]: lr must be a real number",
    lambda: fastgd.Adam([{"params": [np.ones(2)], "lr": "0.1"}]),
)
simple("pg13 repeated array", ValueError, "more than one parameter group", lambda: _pg13_repeat())
simple(
    "pg13 names not strings",
    TypeError,
    "parameter names must be strings",
    lambda: fastgd.Adam({1: np.ones(2)}),
)


def _pg13_repeat() -> Any:
    a = np.ones(4)
    return fastgd.Adam([{"params": [a]}, {"params": [a[2:]]}])


case("pg13 live lr negative", ValueError, r"param_groups\[0\]: Invalid lr")(
    lambda: _pg13_group_change("lr", -0.5)
)
case("pg13 live lr NaN", ValueError, r"param_groups\[0\]: Invalid lr")(
    lambda: _pg13_group_change("lr", float("nan"))
)
case("pg13 live betas bad", ValueError, r"Invalid beta2")(
    lambda: _pg13_group_change("betas", (0.9, 1.0))
)
case("pg13 live amsgrad on", ValueError, "changes the optimizer's state arrays")(
    lambda: _pg13_group_change("amsgrad", True)
)
case("pg13 live unknown option", TypeError, "unexpected keyword argument 'lrr'")(
    lambda: _pg13_group_change("lrr", 0.1)
)
case("pg13 swapped array", ValueError, r"params\[1\] is not the array its state belongs to")(
    lambda: _pg13_swap_params(np.ones(2))
)
case("pg13 swapped for a list", TypeError, r"params\[1\] must be a numpy.ndarray")(
    lambda: _pg13_swap_params([1.0, 1.0])
)
case(
    "pg13 swapped for float32", TypeError, r"params\[1\] has dtype float32 but its state is float64"
)(lambda: _pg13_swap_params(np.ones(2, np.float32)))
case(
    "pg13 swapped for a view of params 0", ValueError, r"params\[0\] and params\[1\] share memory"
)(lambda: _pg13_swap_params_view())


def _pg13_swap_params_view() -> tuple[Callable[[], Any], tuple[Any, ...]]:
    opt, arrays = _pg13()
    opt.reset()  # no state: only the shared memory stops it
    opt.param_groups[0]["params"][1] = arrays[0].reshape(-1)[:2]
    return (lambda: opt.step([np.ones((3, 2)), np.ones(2)])), tuple(arrays)


case(
    "pg13 a view of params 0 bound in another step",
    ValueError,
    r"params\[0\] and params\[1\] share memory",
)(lambda: _pg13_view_bound_apart())


def _pg13_view_bound_apart() -> tuple[Callable[[], Any], tuple[Any, ...]]:
    # Each array is bound in a step without the other: the step of both must still
    # find the overlap (the binding skips the memory check only for arrays checked together).
    opt, arrays = _pg13()
    opt.reset()
    opt.step([np.ones((3, 2)), None])
    opt.param_groups[0]["params"][1] = arrays[0].reshape(-1)[:2]
    opt.step([None, np.ones(2)])
    return (lambda: opt.step([np.ones((3, 2)), np.ones(2)])), tuple(arrays)


for _name, _error, _match, _edit in [
    (
        "pg13 load not a dict",
        ValueError,
        "must be a dict with 'state' and 'param_groups'",
        lambda d: d.clear(),
    ),
    (
        "pg13 load groups not a list",
        TypeError,
        "must be a list of dicts",
        lambda d: d.__setitem__("param_groups", "x"),
    ),
    (
        "pg13 load state not a dict",
        TypeError,
        "index -> state",
        lambda d: d.__setitem__("state", [1]),
    ),
    (
        "pg13 load two groups",
        ValueError,
        "different number of parameter groups",
        lambda d: d["param_groups"].append(dict(d["param_groups"][0])),
    ),
    (
        "pg13 load group size",
        ValueError,
        "doesn't match the size",
        lambda d: d["param_groups"][0].__setitem__("params", [0]),
    ),
    (
        "pg13 load stray index",
        ValueError,
        "entries for no parameter",
        lambda d: d["state"].__setitem__(7, {}),
    ),
    (
        "pg13 load step negative",
        ValueError,
        r"\['step'\] must be an integer",
        lambda d: _pg13_set(d, ("state", 0, "step"), -1),
    ),
    (
        "pg13 load step huge",
        ValueError,
        r"\['step'\] must be an integer",
        lambda d: _pg13_set(d, ("state", 0, "step"), 2**64),
    ),
    (
        "pg13 load step fraction",
        ValueError,
        r"\['step'\] must be an integer",
        lambda d: _pg13_set(d, ("state", 0, "step"), 1.5),
    ),
    (
        "pg13 load step string",
        ValueError,
        r"\['step'\] must be an integer",
        lambda d: _pg13_set(d, ("state", 0, "step"), "3"),
    ),
    (
        "pg13 load step NaN",
        ValueError,
        r"\['step'\] must be an integer",
        lambda d: _pg13_set(d, ("state", 0, "step"), float("nan")),
    ),
    (
        "pg13 load entry a list",
        TypeError,
        "must be a dict of the array's state",
        lambda d: _pg13_set(d, ("state", 0), [1]),
    ),
    (
        "pg13 load extra key",
        ValueError,
        "does not keep",
        lambda d: _pg13_set(d, ("state", 0, "momentum_buffer"), np.ones((3, 2))),
    ),
    (
        "pg13 load missing array",
        ValueError,
        "is missing 'exp_avg'",
        lambda d: d["state"][0].pop("exp_avg"),
    ),
    (
        "pg13 load NaN moment",
        ValueError,
        "must be finite",
        lambda d: _pg13_set(d, ("state", 1, "exp_avg"), np.array([np.nan, 0.0])),
    ),
    (
        "pg13 load negative square",
        ValueError,
        "must be >= 0",
        lambda d: _pg13_set(d, ("state", 1, "exp_avg_sq"), np.array([-1.0, 0.0])),
    ),
    (
        "pg13 load wrong shape",
        ValueError,
        r"has shape \(6,\) but its parameter has shape \(3, 2\)",
        lambda d: _pg13_set(d, ("state", 0, "exp_avg"), np.ones(6)),
    ),
    (
        "pg13 load int moment",
        ValueError,
        "must be a floating-point array",
        lambda d: _pg13_set(d, ("state", 1, "exp_avg"), np.ones(2, int)),
    ),
    (
        "pg13 load object moment",
        ValueError,
        "must be a floating-point array",
        lambda d: _pg13_set(d, ("state", 1, "exp_avg"), np.array([None, None])),
    ),
    (
        "pg13 load bad lr",
        ValueError,
        "Invalid lr",
        lambda d: _pg13_set(d, ("param_groups", 0, "lr"), -1.0),
    ),
    (
        "pg13 load fused on",
        ValueError,
        "torch kernel option",
        lambda d: _pg13_set(d, ("param_groups", 0, "fused"), True),
    ),
]:
    case(_name, _error, _match)(lambda e=_edit: _pg13_load(e))


def _pg13_adamax_decoupled() -> tuple[Callable[[], Any], tuple[Any, ...]]:
    # Adam takes decoupled_weight_decay since issue 13's section 5; Adamax has no such
    # option (torch's neither): a state dict that turns it on is refused.
    w = np.ones(3)
    opt = fastgd.Adamax([w], lr=0.1)
    opt.step([np.ones(3)])
    saved = opt.state_dict()
    saved["param_groups"][0]["decoupled_weight_decay"] = True
    return (lambda: opt.load_state_dict(saved)), (w,)


case("pg13 load decoupled on", ValueError, "decoupled_weight_decay")(_pg13_adamax_decoupled)

simple(
    "pg13 add group to a single-array optimizer",
    TypeError,
    "add_param_group needs",
    lambda: fastgd.Adam(lr=0.1).add_param_group({"params": [np.ones(2)]}),
)
simple(
    "pg13 closure returns a number",
    TypeError,
    r"closure must return \(loss, grads\)",
    lambda: fastgd.SGD([np.ones(2)], lr=0.1).step(lambda: 1.0),
)
simple(
    "pg13 lr setter string",
    TypeError,
    "lr must be a real number",
    lambda: setattr(fastgd.SGD([np.ones(2)], lr=0.1), "lr", "x"),
)
simple(
    "pg13 lr of two groups",
    AttributeError,
    "several parameter groups",
    lambda: fastgd.SGD([{"params": [np.ones(2)]}, {"params": [np.ones(1)]}], lr=0.1).lr,
)


# --- issue 13: lr_scheduler ---


class _Lrs13Opt:
    """A stand-in optimizer with torch-style param_groups (two groups)."""

    def __init__(self) -> None:
        self.param_groups = [{"lr": 0.1, "momentum": 0.9}, {"lr": 0.02, "momentum": 0.9}]


def _lrs13(make: Callable[[Any], Any]) -> Callable[[], Any]:
    return lambda: make(_Lrs13Opt())


def _lrs13_stepped(make: Callable[[Any], Any], call: Callable[[Any], Any]) -> Callable[[], Any]:
    def run() -> Any:
        sched = make(_Lrs13Opt())
        return call(sched)

    return run


_LRS = fastgd.lr_scheduler
for _name, _error, _match, _call in [
    (
        "no param_groups",
        TypeError,
        "needs an optimizer with param_groups",
        lambda: _LRS.StepLR(np.zeros(3), 2),
    ),
    (
        "param_groups of strings",
        TypeError,
        r"param_groups\[0\] is a str",
        lambda: _LRS.ExponentialLR(type("O", (), {"param_groups": ["lr"]})(), 0.9),
    ),
    (
        "group lr a string",
        TypeError,
        r"param_groups\[0\]\['lr'\] must be a real number",
        lambda: _LRS.ExponentialLR(type("O", (), {"param_groups": [{"lr": "0.1"}]})(), 0.9),
    ),
    (
        "step_size zero",
        ValueError,
        "step_size must be an integer >= 1",
        _lrs13(lambda o: _LRS.StepLR(o, 0)),
    ),
    (
        "gamma nan",
        ValueError,
        "gamma must be a finite number",
        _lrs13(lambda o: _LRS.ExponentialLR(o, float("nan"))),
    ),
    (
        "gamma a string",
        TypeError,
        "gamma must be a real number",
        _lrs13(lambda o: _LRS.StepLR(o, 2, gamma="0.1")),
    ),
    (
        "milestones a number",
        TypeError,
        "milestones must be a list",
        _lrs13(lambda o: _LRS.MultiStepLR(o, 5)),
    ),
    (
        "T_0 zero",
        ValueError,
        "Expected positive integer T_0",
        _lrs13(lambda o: _LRS.CosineAnnealingWarmRestarts(o, 0)),
    ),
    (
        "T_max negative",
        ValueError,
        "T_max must be > 0",
        _lrs13(lambda o: _LRS.CosineAnnealingLR(o, -3)),
    ),
    (
        "ConstantLR factor 0",
        ValueError,
        "factor must be > 0",
        _lrs13(lambda o: _LRS.ConstantLR(o, factor=0.0)),
    ),
    (
        "LinearLR end 2",
        ValueError,
        "Ending multiplicative factor",
        _lrs13(lambda o: _LRS.LinearLR(o, end_factor=2.0)),
    ),
    (
        "PolynomialLR power -1",
        ValueError,
        "power must be >= 0",
        _lrs13(lambda o: _LRS.PolynomialLR(o, power=-1.0)),
    ),
    (
        "lambdas too few",
        ValueError,
        "Expected 2 lr_lambdas, but got 1",
        _lrs13(lambda o: _LRS.LambdaLR(o, [lambda e: 1.0])),
    ),
    (
        "lambda not callable",
        TypeError,
        "lr_lambda should be a function",
        _lrs13(lambda o: _LRS.LambdaLR(o, 0.5)),
    ),
    (
        "CyclicLR max_lr 3 values",
        ValueError,
        "max_lr must have the same length",
        _lrs13(lambda o: _LRS.CyclicLR(o, 0.01, [1.0, 1.0, 1.0])),
    ),
    (
        "CyclicLR step_size_up 0",
        ValueError,
        "step_size_up must be > 0",
        _lrs13(lambda o: _LRS.CyclicLR(o, 0.01, 0.1, 0)),
    ),
    (
        "CyclicLR scale_mode",
        ValueError,
        "scale_mode must be one of",
        _lrs13(lambda o: _LRS.CyclicLR(o, 0.01, 0.1, scale_mode="epoch")),
    ),
    (
        "OneCycleLR no length",
        ValueError,
        "either total_steps OR",
        _lrs13(lambda o: _LRS.OneCycleLR(o, 0.1)),
    ),
    (
        "OneCycleLR epochs 0",
        ValueError,
        "Expected positive integer epochs",
        _lrs13(lambda o: _LRS.OneCycleLR(o, 0.1, epochs=0, steps_per_epoch=3)),
    ),
    (
        "OneCycleLR anneal",
        ValueError,
        "anneal_strategy must be one of",
        _lrs13(lambda o: _LRS.OneCycleLR(o, 0.1, 10, anneal_strategy="exp")),
    ),
    (
        "OneCycleLR no momentum",
        ValueError,
        "must support momentum or beta1",
        lambda: _LRS.OneCycleLR(type("O", (), {"param_groups": [{"lr": 0.1}]})(), 0.1, 10),
    ),
    (
        "OneCycleLR past the end",
        ValueError,
        "Tried to step 3 times",
        _lrs13_stepped(
            lambda o: _LRS.OneCycleLR(o, 0.1, 2), lambda s: [s.step() for _ in range(3)]
        ),
    ),
    (
        "plateau factor 2",
        ValueError,
        "Factor should be < 1.0",
        _lrs13(lambda o: _LRS.ReduceLROnPlateau(o, factor=2.0)),
    ),
    (
        "plateau patience -1",
        ValueError,
        "patience must be an integer >= 0",
        _lrs13(lambda o: _LRS.ReduceLROnPlateau(o, patience=-1)),
    ),
    (
        "plateau min_lr 3 values",
        ValueError,
        "expected 2 min_lrs, got 3",
        _lrs13(lambda o: _LRS.ReduceLROnPlateau(o, min_lr=[0, 0, 0])),
    ),
    (
        "plateau metric a string",
        TypeError,
        "metrics must be a number",
        _lrs13_stepped(lambda o: _LRS.ReduceLROnPlateau(o), lambda s: s.step("low")),
    ),
    (
        "last_epoch without initial_lr",
        ValueError,
        "has no 'initial_lr'",
        _lrs13(lambda o: _LRS.StepLR(o, 2, last_epoch=4)),
    ),
    (
        "step with an epoch",
        TypeError,
        r"step\(epoch\) is not supported",
        _lrs13_stepped(lambda o: _LRS.StepLR(o, 2), lambda s: s.step(3)),
    ),
    (
        "load a list",
        TypeError,
        "state_dict must be a dict",
        _lrs13_stepped(lambda o: _LRS.StepLR(o, 2), lambda s: s.load_state_dict([])),
    ),
    (
        "load another kind",
        ValueError,
        "does not fit StepLR",
        _lrs13_stepped(
            lambda o: _LRS.StepLR(o, 2),
            lambda s: s.load_state_dict(_LRS.ExponentialLR(_Lrs13Opt(), 0.9).state_dict()),
        ),
    ),
    (
        "sequential milestones",
        ValueError,
        "one more than the number of milestone",
        _lrs13(lambda o: _LRS.SequentialLR(o, [_LRS.StepLR(o, 2), _LRS.StepLR(o, 3)], [])),
    ),
    (
        "chained plateau",
        ValueError,
        "does not support `ReduceLROnPlateau`",
        _lrs13(lambda o: _LRS.ChainedScheduler([_LRS.ReduceLROnPlateau(o)])),
    ),
]:
    simple(f"lrs13 {_name}", _error, _match, _call)

# --- issue 13: the rest of torch.optim's rules, and Lion ---


def _rules13_adafactor_loaded(shape: tuple[int, ...]) -> Any:
    """An Adafactor whose state was saved from an array of this shape."""
    saved = fastgd.Adafactor()
    saved.step(np.ones(shape), np.ones(shape))
    fresh = fastgd.Adafactor()
    fresh.load_state_dict(saved.state_dict())
    return fresh


def _rules13_asgd_state(
    drop: str | None = None, **over: Any
) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    opt = fastgd.ASGD(lr=0.1)
    opt.step(np.ones(4), np.ones(4))
    saved = dict(opt.state_dict(), **over)
    if drop is not None:
        del saved[drop]
    return (lambda: fastgd.ASGD(lr=0.1).load_state_dict(saved)), ()


def _rules13_adafactor_state(**over: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    opt = fastgd.Adafactor()
    opt.step(np.ones((3, 4)), np.ones((3, 4)))
    saved = dict(opt.state_dict(), **over)
    return (lambda: fastgd.Adafactor().load_state_dict(saved)), ()


for _name, _error, _match, _make in [
    (
        "rules13 rprop etas reversed",
        ValueError,
        "Invalid eta values",
        lambda: fastgd.Rprop(etas=(1.2, 0.5)),
    ),
    (
        "rules13 rprop etas not a pair",
        TypeError,
        "etas must be a pair",
        lambda: fastgd.Rprop(etas=1.2),
    ),
    (
        "rules13 rprop etas string",
        TypeError,
        r"etas\[1\] must be a real number",
        lambda: fastgd.Rprop(etas=(0.5, "x")),
    ),
    (
        "rules13 rprop step_sizes reversed",
        ValueError,
        "Invalid step_sizes",
        lambda: fastgd.Rprop(step_sizes=(1.0, 0.5)),
    ),
    (
        "rules13 rprop weight_decay",
        TypeError,
        "weight_decay",
        lambda: fastgd.Rprop(weight_decay=0.1),
    ),
    ("rules13 asgd lambd negative", ValueError, "Invalid lambd", lambda: fastgd.ASGD(lambd=-1.0)),
    ("rules13 asgd t0 nan", ValueError, "Invalid t0", lambda: fastgd.ASGD(t0=float("nan"))),
    (
        "rules13 asgd alpha string",
        TypeError,
        "alpha must be a real number",
        lambda: fastgd.ASGD(alpha="x"),
    ),
    ("rules13 lion beta1 one", ValueError, "Invalid beta1", lambda: fastgd.Lion(betas=(1.0, 0.99))),
    ("rules13 lion betas none", TypeError, "betas must be a pair", lambda: fastgd.Lion(betas=None)),
    (
        "rules13 adafactor beta2_decay positive",
        ValueError,
        "beta2_decay should be <= 0",
        lambda: fastgd.Adafactor(beta2_decay=0.1),
    ),
    (
        "rules13 adafactor d below one",
        ValueError,
        "Clipping threshold d should be >= 1",
        lambda: fastgd.Adafactor(d=0.5),
    ),
    (
        "rules13 adafactor eps not a pair",
        TypeError,
        "eps must be a pair",
        lambda: fastgd.Adafactor(eps=1e-3),
    ),
    (
        "rules13 adafactor eps1 negative",
        ValueError,
        "epsilon1 should be >= 0",
        lambda: fastgd.Adafactor(eps=(-1.0, 1e-3)),
    ),
    (
        "rules13 adafactor eps2 inf",
        ValueError,
        "epsilon2 should be >= 0",
        lambda: fastgd.Adafactor(eps=(None, float("inf"))),
    ),
    (
        "rules13 adam decoupled not a bool",
        TypeError,
        "decoupled_weight_decay must be True or False",
        lambda: fastgd.Adam(decoupled_weight_decay="yes"),
    ),
    (
        "rules13 nadam decoupled not a bool",
        TypeError,
        "decoupled_weight_decay must be True or False",
        lambda: fastgd.NAdam(decoupled_weight_decay=1),
    ),
    (
        "rules13 core rprop etas short",
        TypeError,
        "etas must be a pair",
        lambda: fastgd._core.Optimizer("rprop", {"etas": (0.5,)}),
    ),
    (
        "rules13 core adafactor eps2 nan",
        ValueError,
        "eps2",
        lambda: fastgd._core.Optimizer("adafactor", {"eps": (None, float("nan"))}),
    ),
]:
    simple(_name, _error, _match, _make)

case("rules13 adafactor step another shape", ValueError, r"Adafactor state is for shape \(3, 4\)")(
    lambda: _step(np.ones((4, 3)), np.ones((4, 3)), _rules13_adafactor_loaded((3, 4)))
)
case("rules13 adafactor step flat after a matrix", ValueError, "Adafactor state is for shape")(
    lambda: _step(np.ones(12), np.ones(12), _rules13_adafactor_loaded((3, 4)))
)
case("rules13 asgd state mu negative", ValueError, r"state\['mu'\] must be a number in \[0, 1\]")(
    lambda: _rules13_asgd_state(mu=-0.5)
)
case("rules13 asgd state eta nan", ValueError, r"state\['eta'\] must be a finite number")(
    lambda: _rules13_asgd_state(eta=float("nan"))
)
case("rules13 asgd state eta string", TypeError, r"state\['eta'\] must be a real number")(
    lambda: _rules13_asgd_state(eta="0.1")
)
case("rules13 asgd state without eta", ValueError, r"state\['eta'\] .* is missing")(
    lambda: _rules13_asgd_state(eta=None, drop="eta")
)
case("rules13 adafactor state row_var shape", ValueError, "must have shape")(
    lambda: _rules13_adafactor_state(
        state={"row_var": np.zeros((4, 1)), "col_var": np.zeros((1, 4))}
    )
)
case("rules13 adafactor state shape mismatch", ValueError, "must have shape")(
    lambda: _rules13_adafactor_state(shape=(4, 3))
)
case("rules13 adafactor state negative", ValueError, ">= 0")(
    lambda: _rules13_adafactor_state(
        state={"row_var": -np.ones((3, 1)), "col_var": np.zeros((1, 4))}
    )
)
case("rules13 adafactor state no shape", ValueError, "parameters' shape")(
    lambda: _rules13_adafactor_state(shape=None)
)
case("rules13 groups asgd state mu above one", ValueError, "mu")(
    lambda: _rules13_groups_asgd(mu=2.0)
)


def _rules13_groups_asgd(**over: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    w = np.ones(3)
    opt = fastgd.ASGD([w], lr=0.1)
    opt.step([np.ones(3)])
    saved = opt.state_dict()
    saved["state"][0].update(over)
    return (lambda: opt.load_state_dict(saved)), (w,)


# --- issue 14: losses (fastgd.loss_grad) ---


def _lg14(**over: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    X, y = data()
    args: dict[str, Any] = dict(
        X=X, y=np.where(y > y.mean(), 1.0, -1.0), w=np.zeros(3), loss="hinge"
    )
    args.update(over)
    arrays = tuple(a for a in args.values() if isinstance(a, np.ndarray))
    return (lambda: fastgd.loss_grad(**args)), arrays


_y14_classes = np.arange(40) % 3
for _name, _error, _match, _over in [
    (
        "losses14 unknown loss",
        ValueError,
        "loss must be one of squared_error, huber",
        dict(loss="log"),
    ),
    ("losses14 loss not a string", ValueError, "loss must be one of", dict(loss=3)),
    (
        "losses14 labels 0 1 2",
        ValueError,
        r"y must hold binary labels .*got the values 0, 1, 2",
        dict(y=_y14_classes),
    ),
    (
        "losses14 labels -1 0 1",
        ValueError,
        "y must hold binary labels",
        dict(y=np.arange(40) % 3 - 1.0),
    ),
    (
        "losses14 labels strings",
        TypeError,
        "y must hold real numbers",
        dict(y=np.array(["a", "b"] * 20)),
    ),
    (
        "losses14 labels wrong length",
        ValueError,
        "y must be a 1-D array of 40 labels",
        dict(y=np.ones(39)),
    ),
    (
        "losses14 regression y nan",
        ValueError,
        "y contains 1 NaN",
        dict(loss="huber", y=np.r_[np.nan, np.ones(39)]),
    ),
    (
        "losses14 regression y short",
        ValueError,
        "y has length 39",
        dict(loss="squared_error", y=np.ones(39)),
    ),
    (
        "losses14 weight negative",
        ValueError,
        "sample_weight must be finite and >= 0; 1 are not",
        dict(sample_weight=np.r_[-1.0, np.ones(39)]),
    ),
    (
        "losses14 weight nan",
        ValueError,
        "sample_weight must be finite",
        dict(sample_weight=np.r_[np.nan, np.ones(39)]),
    ),
    (
        "losses14 weight wrong length",
        ValueError,
        "sample_weight must be a 1-D array of 40 weights",
        dict(sample_weight=np.ones(41)),
    ),
    (
        "losses14 weight 2-D",
        ValueError,
        "sample_weight must be a 1-D array",
        dict(sample_weight=np.ones((40, 1))),
    ),
    (
        "losses14 weight strings",
        TypeError,
        "sample_weight must hold real numbers",
        dict(sample_weight=np.array(["x"] * 40)),
    ),
    (
        "losses14 w wrong length",
        ValueError,
        r"w has shape \(4,\) but X has n_features = 3",
        dict(w=np.ones(4)),
    ),
    ("losses14 w nan", ValueError, "w contains 1 NaN", dict(w=np.array([0.0, np.nan, 0.0]))),
    ("losses14 w 2-D with hinge", ValueError, "is for loss='log_loss'", dict(w=np.ones((3, 2)))),
    (
        "losses14 W wrong rows",
        ValueError,
        r"w has shape \(4, 3\)",
        dict(loss="log_loss", w=np.ones((4, 3)), y=_y14_classes),
    ),
    (
        "losses14 W no classes",
        ValueError,
        r"pass shape \(3, n_classes\)",
        dict(loss="log_loss", w=np.ones((3, 0)), y=_y14_classes),
    ),
    (
        "losses14 class too large",
        ValueError,
        r"y must hold class indices in \[0, 2\)",
        dict(loss="log_loss", w=np.ones((3, 2)), y=_y14_classes),
    ),
    (
        "losses14 class negative",
        ValueError,
        r"y must hold class indices in \[0, 3\)",
        dict(loss="log_loss", w=np.ones((3, 3)), y=_y14_classes - 1),
    ),
    (
        "losses14 class fractional",
        ValueError,
        "y must hold integer class indices",
        dict(loss="log_loss", w=np.ones((3, 3)), y=_y14_classes + 0.5),
    ),
    (
        "losses14 class intercept length",
        ValueError,
        "intercept must be a number or 3 values",
        dict(loss="log_loss", w=np.ones((3, 3)), y=_y14_classes, intercept=np.ones(2)),
    ),
    (
        "losses14 class intercept nan",
        ValueError,
        "intercept contains 1 NaN",
        dict(
            loss="log_loss",
            w=np.ones((3, 3)),
            y=_y14_classes,
            intercept=np.array([0.0, np.nan, 0.0]),
        ),
    ),
    (
        "losses14 intercept string",
        TypeError,
        "intercept must be a real number",
        dict(intercept="0"),
    ),
    (
        "losses14 intercept inf",
        ValueError,
        "intercept must be a finite number",
        dict(intercept=float("inf")),
    ),
    (
        "losses14 intercept beyond float32",
        ValueError,
        "intercept must be a finite number in the range of float32",
        dict(X=np.ones((40, 3), np.float32), intercept=1e300),
    ),
    (
        "losses14 weight beyond float32",
        ValueError,
        "sample_weight must be finite",
        dict(X=np.ones((40, 3), np.float32), sample_weight=np.full(40, 1e300)),
    ),
    (
        "losses14 penalty unknown",
        ValueError,
        "penalty must be None, 'l2', 'l1' or 'elasticnet'",
        dict(penalty="ridge"),
    ),
    ("losses14 penalty 'none'", ValueError, "penalty must be None", dict(penalty="none")),
    (
        "losses14 alpha negative",
        ValueError,
        "alpha must be a finite number >= 0",
        dict(penalty="l2", alpha=-1.0),
    ),
    ("losses14 alpha string", TypeError, "alpha must be a real number", dict(alpha="1")),
    (
        "losses14 l1_ratio above 1",
        ValueError,
        r"l1_ratio must be in \[0, 1\]",
        dict(penalty="elasticnet", l1_ratio=1.5),
    ),
    (
        "losses14 l1_ratio nan",
        ValueError,
        r"l1_ratio must be in \[0, 1\]",
        dict(l1_ratio=float("nan")),
    ),
    (
        "losses14 epsilon negative",
        ValueError,
        "epsilon must be a finite number >= 0",
        dict(loss="huber", y=np.ones(40), epsilon=-0.1),
    ),
    (
        "losses14 rows out of range",
        ValueError,
        r"rows must be in \[0, 40\)",
        dict(rows=np.array([0, 40])),
    ),
    ("losses14 rows float", TypeError, "rows must be a 1-D array of integers", dict(rows=[0.5])),
    ("losses14 rows empty", ValueError, "rows is empty", dict(rows=[])),
    ("losses14 X empty", ValueError, "X is empty", dict(X=np.ones((0, 3)), y=np.ones(0))),
    ("losses14 X 1-D", ValueError, "X must be a 2-D array", dict(X=np.ones(40))),
    (
        "losses14 X complex",
        TypeError,
        "X must hold real numbers",
        dict(X=np.ones((40, 3), complex)),
    ),
]:
    case(_name, _error, _match)(lambda over=_over: _lg14(**over))


def _lg14_sparse(name: str, **over: Any) -> None:
    def build() -> tuple[Callable[[], Any], tuple[Any, ...]]:
        from scipy import sparse

        X, _ = data()
        Xs = sparse.csr_matrix(X)
        args: dict[str, Any] = dict(X=X, y=np.ones(40), w=np.zeros(3))
        args.update({k: Xs if v == "sparse" else v for k, v in over.items()})
        return (lambda: fastgd.loss_grad(**args)), (X,)

    case(name, TypeError, "loss_grad: .* is a sparse matrix")(build)


_lg14_sparse("losses14 sparse y", y="sparse")  # sparse X is accepted since issue 14 section 4
_lg14_sparse("losses14 sparse w", w="sparse")

# --- issue 14: fit_linear ---


def _fl14(**over: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    X, y = data()
    args: dict[str, Any] = dict(y=np.where(y > y.mean(), 1.0, 0.0), loss="log_loss", max_iter=5)
    args.update(over)
    arrays = (X, *(a for a in args.values() if isinstance(a, np.ndarray)))
    return (lambda: fastgd.fit_linear(X, **args)), arrays


for _name, _error, _match, _over in [
    (
        "fitlinear14 hinge continuous y",
        ValueError,
        r"y has 40 classes .* loss='hinge' is binary",
        dict(loss="hinge", y=np.linspace(0.0, 1.0, 40)),
    ),
    ("fitlinear14 one class", ValueError, "y has one class only", dict(y=np.ones(40))),
    (
        "fitlinear14 labels nan",
        ValueError,
        "y must hold class labels",
        dict(y=np.r_[np.nan, np.ones(39)]),
    ),
    (
        "fitlinear14 labels 2-D",
        ValueError,
        "y must be a 1-D array of 40 labels",
        dict(y=np.ones((40, 1))),
    ),
    (
        "fitlinear14 labels complex",
        TypeError,
        "y must hold class labels",
        dict(y=np.ones(40, complex)),
    ),
    (
        "fitlinear14 weight negative",
        ValueError,
        "sample_weight must be finite and >= 0",
        dict(sample_weight=np.r_[-1.0, np.ones(39)]),
    ),
    (
        "fitlinear14 weight wrong length",
        ValueError,
        "sample_weight must be a 1-D array of 40 weights",
        dict(sample_weight=np.ones(39)),
    ),
    ("fitlinear14 unknown loss", ValueError, "loss must be one of", dict(loss="logistic")),
    ("fitlinear14 unknown penalty", ValueError, "penalty must be None", dict(penalty="l0")),
    ("fitlinear14 l1_ratio", ValueError, r"l1_ratio must be in \[0, 1\]", dict(l1_ratio=1.5)),
    ("fitlinear14 alpha nan", ValueError, "alpha", dict(alpha=float("nan"))),
    (
        "fitlinear14 accelerate with adam",
        ValueError,
        "accelerate=True",
        dict(optimizer="adam", accelerate=True),
    ),
    ("fitlinear14 accelerate string", TypeError, "accelerate", dict(accelerate="yes")),
    (
        "fitlinear14 regression y nan",
        ValueError,
        "y contains 1 NaN",
        dict(loss="huber", y=np.r_[np.nan, np.ones(39)]),
    ),
    (
        "fitlinear14 coef_init shape",
        ValueError,
        r"coef_init must have shape \(3,\)",
        dict(coef_init=np.zeros(4)),
    ),
    (
        "fitlinear14 multinomial coef_init shape",
        ValueError,
        r"coef_init must have shape \(3, 3\)",
        dict(y=np.arange(40) % 3, coef_init=np.zeros(3)),
    ),
    (
        "fitlinear14 intercept_init without intercept",
        ValueError,
        "intercept_init needs fit_intercept=True",
        dict(intercept_init=1.0, fit_intercept=False),
    ),
    ("fitlinear14 max_iter negative", ValueError, "max_iter", dict(max_iter=-1)),
    ("fitlinear14 batch_size zero", ValueError, "batch_size", dict(batch_size=0)),
]:
    case(_name, _error, _match)(lambda over=_over: _fl14(**over))


def _fl14_sparse() -> tuple[Callable[[], Any], tuple[Any, ...]]:
    from scipy import sparse

    X, y = data()
    sw = sparse.csr_matrix(np.ones((1, 40)))
    return (lambda: fastgd.fit_linear(X, y, sample_weight=sw)), (X, y)


# Sparse X is accepted since issue 14 section 4; a sparse sample_weight is not.
case("fitlinear14 sparse sample_weight", TypeError, "fit_linear: .* is a sparse matrix")(
    _fl14_sparse
)

# --- issue 14: sparse X ---


def _sp14_csr(fmt: str = "csr", bad: float | None = None) -> Any:
    """A 40 x 3 scipy.sparse matrix in fmt (bad: written into one stored value)."""
    from scipy import sparse

    X, _ = data()
    X[X < 0.3] = 0.0
    Xs = sparse.csr_matrix(X)
    if bad is not None:
        Xs.data[2] = bad
    return Xs.asformat(fmt)


def _sp14_arrays(Xs: Any) -> tuple[Any, ...]:
    """The matrix's own arrays, which must come back unchanged."""
    if Xs.format == "csr":
        return (Xs.data, Xs.indices, Xs.indptr)
    if Xs.format == "csc":
        return (Xs.data, Xs.indices, Xs.indptr)
    return (Xs.data, Xs.row, Xs.col)


def _sp14(fn: str, fmt: str = "csr", bad: float | None = None, **over: Any) -> Any:
    def build() -> tuple[Callable[[], Any], tuple[Any, ...]]:
        Xs = _sp14_csr(fmt, bad)
        _, y = data()
        args: dict[str, Any] = dict(X=Xs, y=y)
        if fn == "loss_grad":
            args["w"] = np.zeros(3)
        args.update(over)
        extra = tuple(a for a in over.values() if isinstance(a, np.ndarray))
        target = fastgd.loss_grad if fn == "loss_grad" else fastgd.fit_linear
        return (lambda: target(**args)), (*_sp14_arrays(Xs), y, *extra)

    return build


class _SP14NotScipy:
    """Has tocsr() (so it looks sparse) but is no scipy.sparse matrix."""

    shape = (40, 3)
    ndim = 2

    def tocsr(self) -> Any:
        return self


for _name, _error, _match, _build in [
    ("sparse14 loss_grad NaN in X.data", ValueError, "X contains NaN or infinity",
     _sp14("loss_grad", bad=float("nan"))),
    ("sparse14 fit_linear inf in X.data", ValueError, "X contains NaN or infinity",
     _sp14("fit_linear", bad=float("inf"))),
    ("sparse14 fit_linear NaN in CSC X", ValueError, "X contains NaN or infinity",
     _sp14("fit_linear", "csc", bad=float("nan"))),
    ("sparse14 loss_grad NaN in COO X", ValueError, "X contains NaN or infinity",
     _sp14("loss_grad", "coo", bad=float("nan"))),
    ("sparse14 loss_grad w wrong length", ValueError, r"w has shape \(5,\) but X has n_features = 3",
     _sp14("loss_grad", w=np.zeros(5))),
    ("sparse14 loss_grad multinomial w wrong rows", ValueError, r"w has shape \(4, 3\)",
     _sp14("loss_grad", loss="log_loss", w=np.zeros((4, 3)), y=np.zeros(40, np.int64))),
    ("sparse14 loss_grad y wrong length", ValueError, "y has length 7",
     _sp14("loss_grad", y=np.zeros(7))),
    ("sparse14 fit_linear y wrong length", ValueError, "y has length 7",
     _sp14("fit_linear", y=np.zeros(7))),
    ("sparse14 loss_grad sample_weight negative", ValueError, "sample_weight must be finite and >= 0",
     _sp14("loss_grad", sample_weight=-np.ones(40))),
    ("sparse14 fit_linear sample_weight negative", ValueError, "sample_weight must be finite and >= 0",
     _sp14("fit_linear", sample_weight=np.r_[np.ones(39), -1.0])),
    ("sparse14 fit_linear sample_weight wrong length", ValueError,
     "sample_weight must be a 1-D array of 40 weights", _sp14("fit_linear", sample_weight=np.ones(3))),
    ("sparse14 loss_grad rows out of range", ValueError, r"rows must be in \[0, 40\)",
     _sp14("loss_grad", rows=np.array([0, 40]))),
    ("sparse14 fit_linear one class", ValueError, "y has one class only",
     _sp14("fit_linear", loss="hinge", y=np.ones(40))),
    ("sparse14 fit_linear labels for a binary loss", ValueError, "loss='hinge' is binary",
     _sp14("fit_linear", loss="hinge", y=np.arange(40) % 3)),
]:  # fmt: skip
    case(_name, _error, _match)(_build)


def _sp14_complex() -> tuple[Callable[[], Any], tuple[Any, ...]]:
    Xs = _sp14_csr().astype(np.complex128)
    return (lambda: fastgd.fit_linear(Xs, data()[1])), _sp14_arrays(Xs)


def _sp14_not_scipy() -> tuple[Callable[[], Any], tuple[Any, ...]]:
    y = data()[1]
    return (lambda: fastgd.loss_grad(_SP14NotScipy(), y, np.zeros(3))), (y,)


def _sp14_sparse_y() -> tuple[Callable[[], Any], tuple[Any, ...]]:
    from scipy import sparse

    Xs = _sp14_csr()
    return (lambda: fastgd.fit_linear(Xs, sparse.csr_matrix(np.ones((40, 1))))), _sp14_arrays(Xs)


def _sp14_core_indices() -> tuple[Callable[[], Any], tuple[Any, ...]]:
    from fastgd import _core

    data_, indices, indptr = np.ones(2), np.array([0, 7], np.int32), np.array([0, 1, 2], np.int32)
    y, w = np.zeros(2), np.zeros(3)
    args = (data_, indices, indptr, 2, 3, y, w, 0.0, None, None, 0, 0.1, 0.0, 0.0)
    return (lambda: _core.csr_loss_grad(*args)), (data_, indices, indptr, y, w)


case("sparse14 fit_linear complex sparse X", TypeError, "X must hold real numbers")(_sp14_complex)
case("sparse14 loss_grad sparse-like not scipy", TypeError, "X looks sparse .* not a scipy.sparse")(
    _sp14_not_scipy
)
case("sparse14 fit_linear sparse y", TypeError, "fit_linear: y is a sparse matrix")(_sp14_sparse_y)
case("sparse14 core index out of range", ValueError, r"X.indices must be in \[0, 3\); got 7")(
    _sp14_core_indices
)

# --- issue 14: scikit-learn's stopping rule (tol with n_iter_no_change, adaptive) ---


def _plateau14(fn: str, **over: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    X, y = data()
    fit = getattr(fastgd, fn)
    return (lambda: fit(X, y, max_iter=5, **over)), (X, y)


for _fn in ("fit_least_squares", "fit_linear"):
    for _name, _error, _match, _over in [
        ("zero", ValueError, "n_iter_no_change must be >= 1, got 0", dict(n_iter_no_change=0)),
        (
            "negative",
            ValueError,
            "n_iter_no_change must be >= 1, got -2",
            dict(n_iter_no_change=-2),
        ),
        (
            "bool",
            TypeError,
            "n_iter_no_change must be an integer, got bool",
            dict(n_iter_no_change=True),
        ),
        (
            "float",
            TypeError,
            "n_iter_no_change must be an integer, got float",
            dict(n_iter_no_change=5.0),
        ),
        (
            "string",
            TypeError,
            "n_iter_no_change must be an integer, got str",
            dict(n_iter_no_change="5"),
        ),
        ("huge", ValueError, "n_iter_no_change must be <= ", dict(n_iter_no_change=2**70)),
        ("with bad tol", ValueError, "tol", dict(n_iter_no_change=5, tol=-1.0)),
    ]:
        case(f"plateau14 {_fn} n_iter_no_change {_name}", _error, _match)(
            lambda fn=_fn, over=_over: _plateau14(fn, **over)
        )


def _plateau14_memmap(**over: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    import tempfile

    X, y = data()
    backing = tempfile.TemporaryFile()  # noqa: SIM115 - call() closes it (then it is deleted)
    stored = np.memmap(backing, dtype=np.float64, mode="w+", shape=X.shape)
    stored[:] = X
    stored.flush()

    def call() -> Any:
        try:
            return fastgd.fit_least_squares(stored, y, max_iter=5, **over)
        finally:
            backing.close()

    return call, (X, y)


case("plateau14 memmap n_iter_no_change zero", ValueError, "n_iter_no_change must be >= 1")(
    lambda: _plateau14_memmap(n_iter_no_change=0)
)


def _plateau14_plan(**over: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    from fastgd.fit_plan import plan_fit

    kw: dict[str, Any] = dict(
        optimizer="sgd",
        lr=0.01,
        momentum=None,
        batch_size=None,
        max_iter=5,
        tol=1e-3,
        fit_intercept=True,
        l2=0.0,
        shuffle=True,
        record=True,
        gradient="auto",
        n_iter_no_change=5,
        adaptive=True,
    )
    kw.update(over)
    return (lambda: plan_fit(40, 3, np.dtype(np.float64), **kw)), ()


case("plateau14 plan adaptive without the rule", ValueError, "needs n_iter_no_change")(
    lambda: _plateau14_plan(n_iter_no_change=None)
)
case("plateau14 plan adaptive not a bool", TypeError, "adaptive must be True or False")(
    lambda: _plateau14_plan(adaptive=1)
)
case(
    "plateau14 core missing n_iter_no_change",
    ValueError,
    "the fit settings need 'n_iter_no_change'",
)(lambda: _fit12_core_missing("n_iter_no_change"))
case("plateau14 core missing adaptive", ValueError, "the fit settings need 'adaptive'")(
    lambda: _fit12_core_missing("adaptive")
)
case(
    "plateau14 core n_iter_no_change zero", ValueError, "'n_iter_no_change' must be an integer >= 1"
)(lambda: _fit12_core(n_iter_no_change=0))
case(
    "plateau14 core n_iter_no_change negative",
    TypeError,
    "'n_iter_no_change' must be an integer >= 0",
)(lambda: _fit12_core(n_iter_no_change=-1))
case(
    "plateau14 core n_iter_no_change a string", TypeError, "'n_iter_no_change' must be an integer"
)(lambda: _fit12_core(n_iter_no_change="5"))
case("plateau14 core adaptive without the rule", ValueError, "'adaptive' needs 'n_iter_no_change'")(
    lambda: _fit12_core(adaptive=True)
)
case("plateau14 core adaptive a string", TypeError, "fit setting 'adaptive' must be a bool")(
    lambda: _fit12_core(n_iter_no_change=5, adaptive="yes")
)
simple(
    "plateau14 LossPlateau n zero",
    ValueError,
    "n_iter_no_change must be an integer >= 1",
    lambda: fastgd._core.LossPlateau(1e-3, 0),
)
simple(
    "plateau14 LossPlateau tol negative",
    ValueError,
    "tol must be a finite number >= 0",
    lambda: fastgd._core.LossPlateau(-1e-3, 5),
)
simple(
    "plateau14 LossPlateau tol inf",
    ValueError,
    "tol must be a finite number >= 0",
    lambda: fastgd._core.LossPlateau(float("inf"), 5),
)


# --- issue 14: Dask arrays and memmaps for every loss (fit_linear) ---


def _dask14(
    X: np.ndarray, y: np.ndarray, sw: np.ndarray | None = None, dask_y: bool = True, **kw: Any
) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    """fit_linear on Dask arrays of X, y (and sample_weight) made from NumPy ones."""

    def call() -> Any:
        import dask
        import dask.array as da

        dX = da.from_array(X, chunks=(10, *X.shape[1:]))
        dy = da.from_array(y, chunks=10) if dask_y else y
        dsw = None if sw is None else da.from_array(sw, chunks=10)
        with dask.config.set(scheduler="synchronous"):
            return fastgd.fit_linear(dX, dy, sample_weight=dsw, max_iter=3, **kw)

    return call, tuple(a for a in (X, y, sw) if a is not None)


def _memmap14(X: np.ndarray, y: np.ndarray, **kw: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    return (lambda: fastgd.fit_linear(_lsq11_memmap(X), y, max_iter=3, **kw)), (X, y)


def _labels14() -> np.ndarray:
    return np.where(data()[1] > 0, 1.0, 0.0)


if _HAVE_DASK:
    for _name, _error, _match, _build in [
        (
            "dask14 one class",
            ValueError,
            r"y has one class only \(7 for every row\): loss='log_loss'",
            lambda: _dask14(data()[0], np.full(40, 7), loss="log_loss"),
        ),
        (
            "dask14 hinge three classes",
            ValueError,
            r"y has 3 classes \(0, 1, 2\) but loss='hinge' is binary",
            lambda: _dask14(data()[0], np.arange(40) % 3, loss="hinge"),
        ),
        (
            "dask14 labels nan",
            ValueError,
            "y must hold class labels for loss='log_loss'; it holds NaN",
            lambda: _dask14(data()[0], np.r_[np.nan, _labels14()[1:]], loss="log_loss"),
        ),
        (
            "dask14 labels wrong length",
            ValueError,
            "y must be a 1-D array of 40 labels",
            lambda: _dask14(data()[0], _labels14()[:30], loss="log_loss"),
        ),
        (
            "dask14 labels complex",
            TypeError,
            "y must hold class labels",
            lambda: _dask14(data()[0], _labels14() + 1j, loss="hinge"),
        ),
        (
            "dask14 regression y nan",
            ValueError,
            "y contains NaN or infinity",
            lambda: _dask14(data()[0], np.r_[np.nan, data()[1][1:]], loss="huber"),
        ),
        (
            "dask14 X inf",
            ValueError,
            "X contains NaN or infinity",
            lambda: _dask14(np.r_[data()[0][:-1], [[np.inf, 0, 0]]], _labels14(), loss="hinge"),
        ),
        (
            "dask14 X 3-D",
            ValueError,
            "X must be 2-D",
            lambda: _dask14(np.ones((40, 3, 2)), _labels14(), loss="hinge"),
        ),
        (
            "dask14 sample_weight negative",
            ValueError,
            "sample_weight must be finite and >= 0; 1 are not",
            lambda: _dask14(data()[0], _labels14(), np.r_[-1.0, np.ones(39)], loss="log_loss"),
        ),
        (
            "dask14 sample_weight nan",
            ValueError,
            "sample_weight must be finite and >= 0; 2 are not",
            lambda: _dask14(
                data()[0], _labels14(), np.r_[np.nan, np.inf, np.ones(38)], loss="hinge"
            ),
        ),
        (
            "dask14 sample_weight wrong length",
            ValueError,
            "sample_weight must be a 1-D array of 40 weights",
            lambda: _dask14(data()[0], _labels14(), np.ones(39), loss="log_loss"),
        ),
        (
            "dask14 numpy y wrong length",
            ValueError,
            "y must be a 1-D array of 40 labels",
            lambda: _dask14(data()[0], _labels14()[:39], dask_y=False, loss="log_loss"),
        ),
        (
            "dask14 coef_init wrong shape",
            ValueError,
            r"coef_init must have shape \(3, 3\)",
            lambda: _dask14(data()[0], np.arange(40) % 3, loss="log_loss", coef_init=np.ones(3)),
        ),
        (
            "dask14 accelerate with momentum",
            ValueError,
            "accelerate=True",
            lambda: _dask14(
                data()[0], _labels14(), loss="log_loss", optimizer="momentum", accelerate=True
            ),
        ),
        (
            "dask14 lr auto all-zero X",
            ValueError,
            "lr='auto' needs a non-zero X",
            lambda: _dask14(np.zeros((40, 3)), _labels14(), loss="hinge", fit_intercept=False),
        ),
        (
            "dask14 unknown loss",
            ValueError,
            "loss must be one of",
            lambda: _dask14(data()[0], _labels14(), loss="hinge_loss"),
        ),
    ]:
        case(_name, _error, _match)(_build)

    def _dask14_y_with_numpy_x() -> tuple[Callable[[], Any], tuple[Any, ...]]:
        import dask.array as da

        X, y = data()[0], _labels14()
        return (lambda: fastgd.fit_linear(X, da.from_array(y), loss="hinge")), (X, y)

    case("dask14 dask y numpy X", TypeError, "X must be a 2-D Dask array too")(
        _dask14_y_with_numpy_x
    )

    def _dask14_weights_with_memmap() -> tuple[Callable[[], Any], tuple[Any, ...]]:
        import dask.array as da

        X, y = data()[0], _labels14()
        sw = np.ones(40)
        return (
            lambda: fastgd.fit_linear(
                _lsq11_memmap(X), y, loss="hinge", sample_weight=da.from_array(sw)
            )
        ), (X, y, sw)

    case("dask14 dask sample_weight memmap X", TypeError, "X is a memmap: pass NumPy weights")(
        _dask14_weights_with_memmap
    )

for _name, _error, _match, _build in [
    (
        "memmap14 one class",
        ValueError,
        "y has one class only",
        lambda: _memmap14(data()[0], np.ones(40), loss="modified_huber"),
    ),
    (
        "memmap14 hinge three classes",
        ValueError,
        r"y has 3 classes .* loss='squared_hinge' is binary",
        lambda: _memmap14(data()[0], np.arange(40) % 3, loss="squared_hinge"),
    ),
    (
        "memmap14 labels nan",
        ValueError,
        "it holds NaN or inf",
        lambda: _memmap14(data()[0], np.r_[np.inf, _labels14()[1:]], loss="perceptron"),
    ),
    (
        "memmap14 sample_weight negative",
        ValueError,
        "sample_weight must be finite and >= 0",
        lambda: _memmap14(
            data()[0], _labels14(), loss="hinge", sample_weight=np.r_[-2.0, np.ones(39)]
        ),
    ),
    (
        "memmap14 X nan",
        ValueError,
        "X contains NaN or infinity",
        lambda: _memmap14(np.r_[[[np.nan, 0, 0]], data()[0][1:]], _labels14(), loss="hinge"),
    ),
    (
        "memmap14 int memmap",
        TypeError,
        "float32 or float64",
        lambda: _memmap14(np.ones((40, 3), np.int32), _labels14(), loss="hinge"),
    ),
    (
        "memmap14 batch_size with gd",
        ValueError,
        "optimizer='gd' is full-batch",
        lambda: _memmap14(data()[0], _labels14(), loss="hinge", optimizer="gd", batch_size=4),
    ),
]:
    case(_name, _error, _match)(_build)

# --- issue 14: GDClassifier and GDRegressor over every loss ----------------------


def _est14(
    make: Callable[[], Any], *args: Any, **kw: Any
) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    """est.fit(X, y, ...) on a fresh estimator: the arrays it gets must come back unchanged."""
    X, y = data(60, 3)
    labels = (y > np.median(y)).astype(np.int64)
    arrays = (X, labels, y, *tuple(a for a in args if isinstance(a, np.ndarray)))
    return (lambda: make().fit(X, labels if "classify" in kw else y, *args)), arrays


def _fitted_classifier(loss: str) -> tuple[Any, np.ndarray]:
    X, y = data(60, 3)
    return fastgd.GDClassifier(loss=loss, max_iter=5, tol=None).fit(X, (y > 0).astype(int)), X


for _name, _make, _error, _match, _extra in [
    (
        "classifier14 regression loss",
        lambda: fastgd.GDClassifier(loss="huber"),
        ValueError,
        "regression loss",
        {},
    ),
    (
        "regressor14 classification loss",
        lambda: fastgd.GDRegressor(loss="hinge"),
        ValueError,
        "classification loss",
        {},
    ),
    (
        "classifier14 multinomial hinge",
        lambda: fastgd.GDClassifier(loss="hinge", multi_class="multinomial"),
        ValueError,
        "multinomial",
        {},
    ),
    (
        "classifier14 multi_class",
        lambda: fastgd.GDClassifier(multi_class="ova"),
        ValueError,
        "multi_class must be",
        {},
    ),
    (
        "classifier14 class_weight name",
        lambda: fastgd.GDClassifier(class_weight="even"),
        ValueError,
        "class_weight must be",
        {},
    ),
    (
        "classifier14 class_weight unknown class",
        lambda: fastgd.GDClassifier(class_weight={9: 2.0}),
        ValueError,
        "class_weight has class 9",
        {},
    ),
    (
        "classifier14 class_weight negative",
        lambda: fastgd.GDClassifier(class_weight={0: -1.0}),
        ValueError,
        r"class_weight\[0\] must be finite",
        {},
    ),
    (
        "classifier14 learning_rate name",
        lambda: fastgd.GDClassifier(learning_rate="fast"),
        ValueError,
        "learning_rate must be",
        {},
    ),
    (
        "classifier14 lr and learning_rate",
        lambda: fastgd.GDClassifier(lr=0.1, learning_rate="constant"),
        ValueError,
        "not both",
        {},
    ),
    (
        "classifier14 optimal without alpha",
        lambda: fastgd.GDClassifier(learning_rate="optimal", alpha=0.0),
        ValueError,
        "needs alpha > 0",
        {},
    ),
    (
        "classifier14 eta0 zero",
        lambda: fastgd.GDClassifier(learning_rate="constant", eta0=0.0),
        ValueError,
        "eta0",
        {},
    ),
    (
        "classifier14 average with full batch",
        lambda: fastgd.GDClassifier(average=True),
        ValueError,
        "average",
        {},
    ),
    (
        "classifier14 truncated with full batch",
        lambda: fastgd.GDClassifier(penalty="l1", l1_method="truncated"),
        ValueError,
        "l1_method='truncated'",
        {},
    ),
    (
        "classifier14 l1_method name",
        lambda: fastgd.GDClassifier(l1_method="lazy"),
        ValueError,
        "l1_method must be",
        {},
    ),
    (
        "classifier14 n_iter_no_change zero",
        lambda: fastgd.GDClassifier(n_iter_no_change=0),
        ValueError,
        "n_iter_no_change",
        {},
    ),
    (
        "regressor14 l2 and penalty",
        lambda: fastgd.GDRegressor(l2=0.1, penalty="l1"),
        ValueError,
        "not both",
        {},
    ),
]:
    case(_name, _error, _match)(
        lambda _make=_make, _extra=_extra: _est14(_make, classify=True, **_extra)
    )


@case("classifier14 one class", ValueError, "one class only")
def _classifier14_one_class() -> tuple[Callable[[], Any], tuple[Any, ...]]:
    X, _ = data(60, 3)
    y = np.ones(60)
    return (lambda: fastgd.GDClassifier().fit(X, y)), (X, y)


@case("classifier14 continuous labels", ValueError, "Unknown label type")
def _classifier14_continuous() -> tuple[Callable[[], Any], tuple[Any, ...]]:
    X, y = data(60, 3)
    return (lambda: fastgd.GDClassifier().fit(X, y)), (X, y)


for _name, _sw, _match in [
    ("classifier14 negative sample_weight", -np.ones(60), "sample_weight must be finite and >= 0"),
    ("classifier14 sample_weight length", np.ones(59), "sample_weight must be a 1-D array of 60"),
    ("classifier14 zero sample_weight", np.zeros(60), "all weights are zero"),
    ("classifier14 nan sample_weight", np.full(60, np.nan), "sample_weight must be finite"),
]:

    @case(_name, ValueError, _match)
    def _classifier14_weights(_sw: np.ndarray = _sw) -> tuple[Callable[[], Any], tuple[Any, ...]]:
        X, y = data(60, 3)
        labels = (y > np.median(y)).astype(np.int64)
        return (lambda: fastgd.GDClassifier().fit(X, labels, sample_weight=_sw)), (X, labels, _sw)


@case("classifier14 predict_proba hinge", AttributeError, "not available for loss='hinge'")
def _classifier14_proba() -> tuple[Callable[[], Any], tuple[Any, ...]]:
    model, X = _fitted_classifier("hinge")
    return (lambda: model.predict_proba(X)), (X,)


@case("classifier14 partial_fit without classes", ValueError, "classes must be passed")
def _classifier14_partial() -> tuple[Callable[[], Any], tuple[Any, ...]]:
    X, y = data(60, 3)
    labels = (y > 0).astype(np.int64)
    return (lambda: fastgd.GDClassifier(batch_size=8).partial_fit(X, labels)), (X, labels)


@case("classifier14 partial_fit unknown label", ValueError, "not in classes")
def _classifier14_partial_label() -> tuple[Callable[[], Any], tuple[Any, ...]]:
    X, y = data(60, 3)
    labels = (y > 0).astype(np.int64) * 3
    return (lambda: fastgd.GDClassifier().partial_fit(X, labels, classes=[0, 1])), (X, labels)


@case("classifier14 coef_init shape", ValueError, r"coef_init must have shape \(1, 3\)")
def _classifier14_coef_init() -> tuple[Callable[[], Any], tuple[Any, ...]]:
    X, y = data(60, 3)
    labels = (y > 0).astype(np.int64)
    c = np.zeros((2, 3))
    return (lambda: fastgd.GDClassifier().fit(X, labels, coef_init=c)), (X, labels, c)


@case("classifier14 sparse X with NaN", ValueError, "X contains (NaN|infinity)")
def _classifier14_sparse_nan() -> tuple[Callable[[], Any], tuple[Any, ...]]:
    import scipy.sparse as sp

    X, y = data(60, 3)
    X[5, 1] = np.nan
    labels = (y > 0).astype(np.int64)
    Xs = sp.csr_matrix(X)
    return (lambda: fastgd.GDClassifier().fit(Xs, labels)), (Xs.data, labels)


@case("regressor14 sparse X with inf", ValueError, "X contains (NaN|infinity)")
def _regressor14_sparse_inf() -> tuple[Callable[[], Any], tuple[Any, ...]]:
    import scipy.sparse as sp

    X, y = data(60, 3)
    X[5, 1] = np.inf
    Xs = sp.csr_matrix(X)
    return (lambda: fastgd.GDRegressor(loss="huber").fit(Xs, y)), (Xs.data, y)


# --- issue 14: sgd_rows (single-row SGD engine, fastgd.sgd_rows.fit_rows) ---------------


def _rows(**over: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    from fastgd.sgd_rows import fit_rows

    X, _ = data()
    y = np.where(X[:, 0] > 0, 1.0, -1.0)
    args: dict[str, Any] = dict(X=X, Y=y, loss="hinge", schedule=schedules.constant(0.01))
    args.update(over)
    arrays = tuple(a for a in args.values() if isinstance(a, np.ndarray))
    X_, Y_ = args.pop("X"), args.pop("Y")
    return (lambda: fit_rows(X_, Y_, **args)), arrays


def _rows_state(**over: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    from fastgd.sgd_rows import fit_rows

    X, _ = data()
    y = np.where(X[:, 0] > 0, 1.0, -1.0)
    fit = fit_rows(X[:, :2].copy(), y, loss="hinge", schedule=schedules.constant(0.01))
    call, arrays = _rows(state=fit.state, **over)
    return call, arrays + tuple(fit.state[:8])


def _rows_csr(kind: str) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    from scipy import sparse

    from fastgd._validation import CSR, csr_matrix
    from fastgd.sgd_rows import fit_rows

    X, _ = data()
    y = np.where(X[:, 0] > 0, 1.0, -1.0)
    A = sparse.csr_matrix(X)
    if kind == "nan":
        A.data[4] = np.nan
        return (
            lambda: fit_rows(csr_matrix(A), y, loss="hinge", schedule=schedules.constant(0.01))
        ), (
            A.data,
            y,
        )
    indices, indptr = A.indices.copy(), A.indptr.copy()
    if kind == "index":
        indices[5] = 3  # d = 3: one past the last column
    else:
        indptr[7] = indptr[8] + 1  # offsets that go backwards
    C = CSR(A.data, indices, indptr, A.shape)
    return (lambda: fit_rows(C, y, loss="hinge", schedule=schedules.constant(0.01))), (
        A.data,
        indices,
        indptr,
        y,
    )


for _name, _error, _match, _over in [
    ("sgdrows X list", TypeError, "X must be a float32/float64 ndarray", dict(X=[[1.0, 2.0]] * 40)),
    ("sgdrows X int", TypeError, "X must be float32 or float64", dict(X=np.ones((40, 3), int))),
    ("sgdrows X 1-D", ValueError, "X must be 2-D", dict(X=np.ones(40))),
    ("sgdrows X fortran", ValueError, "C-contiguous", dict(X=np.asfortranarray(np.ones((40, 3))))),
    ("sgdrows X no rows", ValueError, "X has no rows", dict(X=np.ones((0, 3)), Y=np.ones(0))),
    ("sgdrows Y short", ValueError, r"Y must have shape \(40,\) or \(K, 40\)", dict(Y=np.ones(39))),
    ("sgdrows Y nan", ValueError, "Y contains 1 NaN", dict(Y=np.r_[np.nan, np.ones(39)])),
    ("sgdrows Y strings", TypeError, "Y must hold real numbers", dict(Y=np.array(["a"] * 40))),
    (
        "sgdrows Y zero-one labels",
        ValueError,
        r"labels -1 or \+1",
        dict(Y=np.r_[np.zeros(20), np.ones(20)]),
    ),
    ("sgdrows unknown loss", ValueError, "loss must be one of", dict(loss="logistic")),
    (
        "sgdrows schedule float",
        TypeError,
        "schedule must be a fastgd.schedules.Schedule",
        dict(schedule=0.1),
    ),
    ("sgdrows l1_method", ValueError, "l1_method must be", dict(l1_method="lasso")),
    ("sgdrows alpha negative", ValueError, "alpha", dict(alpha=-1.0)),
    ("sgdrows alpha nan", ValueError, "alpha", dict(alpha=float("nan"))),
    ("sgdrows l1_ratio", ValueError, r"l1_ratio must be in \[0, 1\]", dict(l1_ratio=2.0)),
    ("sgdrows epsilon negative", ValueError, "epsilon", dict(epsilon=-0.1)),
    (
        "sgdrows intercept_decay inf",
        ValueError,
        "intercept_decay",
        dict(intercept_decay=float("inf")),
    ),
    ("sgdrows average negative", ValueError, "average must be >= 0", dict(average=-1)),
    ("sgdrows average float", TypeError, "average must be an integer", dict(average=1.5)),
    ("sgdrows tol negative", ValueError, "tol", dict(tol=-1.0)),
    (
        "sgdrows n_iter_no_change zero",
        ValueError,
        "n_iter_no_change must be >= 1",
        dict(n_iter_no_change=0),
    ),
    ("sgdrows max_iter zero", ValueError, "max_iter must be >= 1", dict(max_iter=0)),
    (
        "sgdrows shuffle string",
        ValueError,
        "shuffle must be True, False, 'rows' or 'blocks'",
        dict(shuffle="yes"),
    ),
    ("sgdrows seed negative", ValueError, "seed must be >= 0", dict(seed=-1)),
    (
        "sgdrows seeds count",
        ValueError,
        r"seed must be an int, or one int per fit \(1 fits\)",
        dict(seed=[1, 2]),
    ),
    (
        "sgdrows weight negative",
        ValueError,
        "sample_weight must be finite and >= 0",
        dict(sample_weight=np.r_[-1.0, np.ones(39)]),
    ),
    (
        "sgdrows weight length",
        ValueError,
        "sample_weight must be a 1-D array of 40 weights",
        dict(sample_weight=np.ones(39)),
    ),
    ("sgdrows weight_pos negative", ValueError, "weight_pos", dict(weight_pos=-2.0)),
    (
        "sgdrows weight_neg count",
        ValueError,
        r"weight_neg must be a number, or one number per fit \(1 fits\)",
        dict(weight_neg=[1.0, 2.0]),
    ),
    ("sgdrows state type", TypeError, "state must be a RowsState", dict(state=(1, 2))),
    (
        "sgdrows coef_init shape",
        ValueError,
        r"coef_init must have shape \(1, 3\)",
        dict(coef_init=np.zeros(4)),
    ),
    (
        "sgdrows coef_init nan",
        ValueError,
        "coef_init contains 1 NaN",
        dict(coef_init=np.r_[np.nan, 0.0, 0.0]),
    ),
    (
        "sgdrows intercept_init size",
        ValueError,
        "intercept_init must have 1 value",
        dict(intercept_init=np.zeros(2)),
    ),
    (
        "sgdrows on_epoch with K fits",
        ValueError,
        "on_epoch is for one fit only",
        dict(Y=np.ones((2, 40)), on_epoch=lambda *a: False),
    ),
    ("sgdrows on_epoch not callable", TypeError, "on_epoch must be callable", dict(on_epoch=3)),
    ("sgdrows n_threads zero", ValueError, "n_threads must be >= 1", dict(n_threads=0)),
]:
    case(_name, _error, _match)(lambda over=_over: _rows(**over))

case("sgdrows state of another X", ValueError, r"state.coef must be an array of shape \(1, 3\)")(
    _rows_state
)
case("sgdrows state and coef_init", ValueError, "not both")(
    lambda: _rows_state_with(coef_init=np.zeros(3))
)
case("sgdrows csr nan", ValueError, "NaN")(lambda: _rows_csr("nan"))
case("sgdrows csr index out of range", ValueError, "out of range")(lambda: _rows_csr("index"))
case("sgdrows csr offsets backwards", ValueError, "out of range")(lambda: _rows_csr("offsets"))


def _rows_state_with(**over: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    from fastgd.sgd_rows import fit_rows

    X, _ = data()
    y = np.where(X[:, 0] > 0, 1.0, -1.0)
    fit = fit_rows(X, y, loss="hinge", schedule=schedules.constant(0.01))
    call, arrays = _rows(state=fit.state, **over)
    return call, arrays + tuple(fit.state[:8])


# --- issue 15: minimize's methods in C++ (lbfgs, cg, bfgs, line searches, bounds, fd) ---


def _qn15_settings(**over: Any) -> dict[str, Any]:
    """A full settings dict of _core.minimize_* with issue 15's keys."""
    s: dict[str, Any] = {
        "max_iter": 100,
        "tol": 1e-12,
        "gtol": 1e-8,
        "grtol": 0.0,
        "stop_on_gradient": True,
        "record_every": 1,
        "lower": None,
        "upper": None,
        "fd": "none",
        "max_fev": 0,
    }
    s.update(over)
    return s


def _qn15_builtin(
    kind: str, hyper: dict[str, Any], d: int = 2, name: str = "rosenbrock", **over: Any
) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    x0 = np.full(d, 0.5)
    s = _qn15_settings(**over)
    arrays = (x0, *tuple(v for v in (s["lower"], s["upper"]) if isinstance(v, np.ndarray)))
    return (lambda: fastgd._core.minimize_builtin(name, x0, kind, hyper, s, None)), arrays


def _qn15_callable(**over: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    x0 = np.array([0.5, 0.5])
    s = _qn15_settings(**over)
    return (
        lambda: fastgd._core.minimize_callable(
            lambda x: (float(x @ x), 2 * x), x0, "lbfgs", {}, s, None
        )
    ), (x0,)


def _qn15_many(kind: str, d: int) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    x0 = np.zeros(d)
    s = _qn15_settings()
    return (
        lambda: fastgd._core.minimize_many("sphere", [(x0, "adam", {"lr": 0.1}), (x0, kind, {})], s)
    ), (x0,)


for _name, _error, _match, _build in [
    (
        "qn15 unknown kind",
        ValueError,
        r"unknown update rule 'newton'.*'lbfgs', 'cg' and 'bfgs'",
        lambda: _qn15_builtin("newton", {}),
    ),
    (
        "qn15 unknown line_search",
        ValueError,
        "unknown line_search 'hager_zhang'; use 'strong_wolfe' or 'armijo'",
        lambda: _qn15_builtin("lbfgs", {"line_search": "hager_zhang"}),
    ),
    (
        "qn15 strong_wolfe for a rule",
        ValueError,
        "a first-order rule takes 'none' or 'armijo'",
        lambda: _qn15_builtin("adam", {"lr": 0.1, "line_search": "strong_wolfe"}),
    ),
    (
        "qn15 line_search not a str",
        TypeError,
        "line_search must be 'none' or 'armijo', got",
        lambda: _qn15_builtin("sgd", {"lr": 0.1, "line_search": None}),
    ),
    (
        "qn15 history 0",
        ValueError,
        "history must be an int >= 1",
        lambda: _qn15_builtin("lbfgs", {"history": 0}),
    ),
    (
        "qn15 history float",
        TypeError,
        "history must be an int >= 1, got float",
        lambda: _qn15_builtin("lbfgs", {"history": 3.0}),
    ),
    (
        "qn15 history for cg",
        ValueError,
        "unknown cg setting 'history'; cg takes line_search",
        lambda: _qn15_builtin("cg", {"history": 3}),
    ),
    (
        "qn15 lbfgs unknown key",
        ValueError,
        "unknown lbfgs setting 'lr'",
        lambda: _qn15_builtin("lbfgs", {"lr": 1.0}),
    ),
    (
        "qn15 bounds wrong length",
        ValueError,
        "bounds have 3 entries but x0 has 2 coordinates",
        lambda: _qn15_builtin("lbfgs", {}, lower=np.zeros(3), upper=np.ones(3)),
    ),
    (
        "qn15 bounds one side",
        ValueError,
        "must both be None or both arrays",
        lambda: _qn15_builtin("lbfgs", {}, lower=np.zeros(2)),
    ),
    (
        "qn15 bounds low above high",
        ValueError,
        r"lower\[1\] = 2.0+ is not <= upper\[1\] = 1.0+",
        lambda: _qn15_builtin("lbfgs", {}, lower=np.array([0.0, 2.0]), upper=np.ones(2)),
    ),
    (
        "qn15 bounds nan",
        ValueError,
        r"lower\[0\] = nan is not <= upper",
        lambda: _qn15_builtin("sgd", {"lr": 0.1}, lower=np.array([np.nan, 0.0]), upper=np.ones(2)),
    ),
    (
        "qn15 bounds int dtype",
        TypeError,
        r"settings\['upper'\] must be a float64 1-D array or None, got an array of dtype int64",
        lambda: _qn15_builtin("lbfgs", {}, lower=np.zeros(2), upper=np.ones(2, dtype=np.int64)),
    ),
    (
        "qn15 bounds a list",
        TypeError,
        r"settings\['lower'\] must be a float64 1-D array or None, got list",
        lambda: _qn15_builtin("lbfgs", {}, lower=[0.0, 0.0], upper=np.ones(2)),
    ),
    (
        "qn15 bounds for cg",
        ValueError,
        "method 'cg' takes no bounds; use 'lbfgs'",
        lambda: _qn15_builtin("cg", {}, lower=np.zeros(2), upper=np.ones(2)),
    ),
    (
        "qn15 fd unknown",
        ValueError,
        r"settings\['fd'\] must be 'none', '2-point' or '3-point', got 'cs'",
        lambda: _qn15_builtin("lbfgs", {}, fd="cs"),
    ),
    (
        "qn15 fd with a callable",
        ValueError,
        "settings\\['fd'\\] must be 'none' for a Python objective",
        lambda: _qn15_callable(fd="2-point"),
    ),
    (
        "qn15 max_fev negative",
        ValueError,
        r"settings\['max_fev'\] must be an int >= 0",
        lambda: _qn15_builtin("lbfgs", {}, max_fev=-1),
    ),
    (
        "qn15 max_fev float",
        ValueError,
        r"settings\['max_fev'\] must be an int >= 0",
        lambda: _qn15_builtin("lbfgs", {}, max_fev=10.0),
    ),
    (
        "qn15 bfgs huge d",
        ValueError,
        "method 'bfgs' keeps a dense d x d inverse Hessian: d = 50000 is more than 2000; use 'lbfgs'",
        lambda: _qn15_builtin("bfgs", {}, d=50000, name="sphere"),
    ),
    (
        "qn15 bfgs huge d in a race",
        ValueError,
        "d = 3000 is more than 2000",
        lambda: _qn15_many("bfgs", 3000),
    ),
    (
        "qn15 unknown setting",
        ValueError,
        "unknown minimize setting 'bounds'",
        lambda: _qn15_builtin("lbfgs", {}, bounds=None),
    ),
]:
    case(_name, _error, _match)(_build)


# --- issue 15: fastgd.LBFGS (torch.optim.LBFGS on NumPy arrays) ---


def _lbfgs15() -> tuple[Any, np.ndarray, np.ndarray]:
    """An LBFGS over [W, b] that has stepped (a refused call must keep its state)."""
    W, b = np.ones((2, 3)), np.ones(3)
    cW, cb = np.arange(1.0, 7.0).reshape(2, 3), np.array([0.5, 2.0, 7.0])
    opt = fastgd.LBFGS([W, b], max_iter=4)
    opt.step(lambda: (0.5 * float((cW * W * W).sum() + (cb * b * b).sum()), [cW * W, cb * b]))
    return opt, W, b


def _lbfgs15_closure(result: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    opt, W, b = _lbfgs15()
    return (lambda: opt.step(lambda: result)), (W, b)


def _lbfgs15_read_only() -> np.ndarray:
    x = np.zeros(3)
    x.flags.writeable = False
    return x


for _name, _error, _match, _make in [
    (
        "lbfgs15 params a float",
        TypeError,
        "LBFGS params must be a list of numpy arrays",
        lambda: 5.0,
    ),
    (
        "lbfgs15 params a list of lists",
        TypeError,
        r"params\[0\] must be a numpy.ndarray",
        lambda: [[1.0, 2.0]],
    ),
    (
        "lbfgs15 params int dtype",
        TypeError,
        "float32 or float64",
        lambda: [np.zeros(2, dtype=np.int64)],
    ),
    ("lbfgs15 params strided", ValueError, "C-contiguous", lambda: [np.ones((4, 4))[:, 0]]),
    ("lbfgs15 params read-only", ValueError, "is read-only", lambda: [_lbfgs15_read_only()]),
    (
        "lbfgs15 two parameter groups",
        ValueError,
        "LBFGS doesn't support per-parameter options",
        lambda: [{"params": [np.ones(2)]}, {"params": [np.ones(2)]}],
    ),
]:

    def _build(make: Any = _make) -> tuple[Callable[[], Any], tuple[Any, ...]]:
        params = make()
        arrays = tuple(
            a for a in (params if isinstance(params, list) else []) if isinstance(a, np.ndarray)
        )
        return (lambda: fastgd.LBFGS(params)), arrays

    case(_name, _error, _match)(_build)

for _name, _error, _match, _kw in [
    ("lbfgs15 lr zero", ValueError, "lr must be a finite number > 0", {"lr": 0}),
    ("lbfgs15 lr negative", ValueError, "lr must be a finite number > 0", {"lr": -0.5}),
    ("lbfgs15 history_size zero", ValueError, "history_size must be >= 1", {"history_size": 0}),
    ("lbfgs15 max_iter zero", ValueError, "max_iter must be >= 1", {"max_iter": 0}),
    (
        "lbfgs15 unknown line search",
        ValueError,
        "line_search_fn must be None or 'strong_wolfe'",
        {"line_search_fn": "armijo"},
    ),
]:

    def _build_kw(kw: Any = _kw) -> tuple[Callable[[], Any], tuple[Any, ...]]:
        x = np.ones(3)
        return (lambda: fastgd.LBFGS([x], **kw)), (x,)

    case(_name, _error, _match)(_build_kw)

for _name, _error, _match, _result in [
    ("lbfgs15 closure returns a float", TypeError, r"must return \(loss, grads\)", 3.0),
    ("lbfgs15 closure returns a triple", TypeError, "a tuple of length 3", (1.0, 2.0, 3.0)),
    ("lbfgs15 closure grads one array", TypeError, "grads must be a list", (1.0, np.zeros(9))),
    (
        "lbfgs15 closure grads too few",
        ValueError,
        "grads has 1 entries but LBFGS has 2 params",
        (1.0, [np.zeros((2, 3))]),
    ),
    (
        "lbfgs15 closure grad shape",
        ValueError,
        r"grads\[0\] has shape \(3, 2\) but params\[0\] has shape \(2, 3\)",
        (1.0, [np.zeros((3, 2)), np.zeros(3)]),
    ),
    (
        "lbfgs15 closure loss not a number",
        TypeError,
        "loss must be a real number",
        ("x", [np.zeros((2, 3)), np.zeros(3)]),
    ),
    (
        "lbfgs15 closure NaN loss",
        ValueError,
        "non-finite loss .*check the objective",
        (float("nan"), [np.zeros((2, 3)), np.zeros(3)]),
    ),
    (
        "lbfgs15 closure inf grad",
        ValueError,
        "non-finite gradient",
        (1.0, [np.full((2, 3), np.inf), np.zeros(3)]),
    ),
]:
    case(_name, _error, _match)(lambda result=_result: _lbfgs15_closure(result))


def _lbfgs15_reshaped() -> tuple[Callable[[], Any], tuple[Any, ...]]:
    opt, W, b = _lbfgs15()
    W.shape = (3, 2)
    return (lambda: opt.step(lambda: (0.0, [np.zeros((3, 2)), np.zeros(3)]))), (W, b)


def _lbfgs15_no_closure() -> tuple[Callable[[], Any], tuple[Any, ...]]:
    opt, W, b = _lbfgs15()
    return (lambda: opt.step()), (W, b)


def _lbfgs15_load(key: str, value: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    opt, W, b = _lbfgs15()
    saved = opt.state_dict()
    saved["state"][0][key] = value
    return (lambda: opt.load_state_dict(saved)), (W, b, saved["state"][0]["prev_flat_grad"])


case("lbfgs15 params reshaped in between", ValueError, r"params\[0\] changed since construction")(
    _lbfgs15_reshaped
)
case("lbfgs15 step without closure", TypeError, r"LBFGS\.step needs a closure")(_lbfgs15_no_closure)
case("lbfgs15 state d wrong size", ValueError, r"\['d'\] must be 1-D with the params' 9 numbers")(
    lambda: _lbfgs15_load("d", np.zeros(4))
)
case("lbfgs15 state t NaN", ValueError, r"\['t'\] must be a finite number")(
    lambda: _lbfgs15_load("t", float("nan"))
)


# --- issue 15: minimize with scipy's conventions (jac, args, bounds, options, shapes) ---


def _edge15(**kw: Any) -> tuple[Callable[[], Any], tuple[Any, ...]]:
    """minimize of sum (x - 1)^2 from a caller's x0 (which must come back unchanged)."""
    x0 = np.array([[0.5, 2.0], [3.0, -1.0]])
    fun = kw.pop("fun", lambda x: (float(np.sum((x - 1) ** 2)), 2 * (x - 1)))
    return (lambda: fastgd.minimize(fun, x0, **kw)), (x0,)


for _name, _error, _match, _kw in [
    ("edge15 bounds low > high", ValueError, "coordinate 1 has low 2 > high 1",
     dict(bounds=[(0, 1), (2, 1), (0, 1), (0, 1)])),
    ("edge15 bounds too few", ValueError, "3 \\(low, high\\) pairs for x of 4 coordinates",
     dict(bounds=[(0, 1)] * 3)),
    ("edge15 bounds not pairs", ValueError, r"bounds\[0\] must be a \(low, high\) pair",
     dict(bounds=[1, 2, 3, 4])),
    ("edge15 bounds NaN", ValueError, "is NaN", dict(bounds=[(np.nan, 1)] * 4)),
    ("edge15 bounds a string", TypeError, "bounds must be a sequence", dict(bounds="box")),
    ("edge15 jac wrong shape", ValueError, r"jac's gradient has shape \(4,\), but x has shape \(2, 2\)",
     dict(fun=lambda x: float(np.sum(x**2)), jac=lambda x: np.ones(4))),
    ("edge15 jac a number", TypeError, "jac must be True, a callable", dict(jac=3)),
    ("edge15 jac unknown scheme", ValueError, "jac must be True, a callable", dict(jac="5-point")),
    ("edge15 fun NaN at x0", ValueError, "not finite at x0.*check fun",
     dict(fun=lambda x: (np.nan, x))),
    ("edge15 fun number NaN at x0", ValueError, "not finite at x0", dict(fun=lambda x: np.nan)),
    ("edge15 gradient inf at x0", ValueError, "gradient of .* at x0 is not finite",
     dict(fun=lambda x: (1.0, np.full((2, 2), np.inf)))),
    ("edge15 fun returns a triple", TypeError, "got a tuple of length 3",
     dict(fun=lambda x: (1.0, x, x))),
    ("edge15 method unknown", ValueError, "unknown method 'newton'", dict(method="newton")),
    ("edge15 method and optimizer", ValueError, "both given", dict(method="adam", optimizer="gd")),
    ("edge15 lbfgs with lr", ValueError, "lbfgs takes no lr", dict(method="lbfgs", lr=0.1)),
    ("edge15 line search unknown", ValueError, "line_search for a first-order rule",
     dict(line_search="wolfe")),
    ("edge15 option unknown", ValueError, "unknown option 'ftol'", dict(options={"ftol": 1e-9})),
    ("edge15 option twice", ValueError, "both given", dict(options={"maxiter": 3}, max_iter=5)),
    ("edge15 history for cg", ValueError, "is for lbfgs", dict(method="cg", options={"maxcor": 3})),
    ("edge15 maxfun zero", ValueError, "maxfun", dict(method="lbfgs", options={"maxfun": 0})),
]:  # fmt: skip
    case(_name, _error, _match)(lambda _kw=_kw: _edge15(**_kw))

case("edge15 args for a named objective", ValueError, "args are passed to a callable fun")(
    lambda: ((lambda: fastgd.minimize("sphere", [1.0], args=(1,))), ())
)
case("edge15 jac callable for a named objective", ValueError, "brings its own gradient")(
    lambda: ((lambda: fastgd.minimize("sphere", [1.0], jac=lambda x: x)), ())
)


# --- the runner: every case above is registered before main() runs them ---------------------


def run(case_: Case) -> tuple[bool, str]:
    """Run one case: (passed, what happened)."""
    call, inputs = case_.build()
    before = [np.array(a, copy=True) for a in inputs]
    try:
        call()
    except case_.error as exc:
        if not re.search(case_.match, str(exc)):
            return False, f"{type(exc).__name__}: {exc} (wanted a message matching {case_.match!r})"
        outcome = f"{type(exc).__name__}: {exc}"
    except BaseException as exc:  # noqa: BLE001 - any other exception is a failed case
        return False, f"raised {type(exc).__name__}: {exc}, wanted {case_.error}"
    else:
        return False, f"no exception, wanted {case_.error}"
    for a, b in zip(inputs, before, strict=False):
        if not np.array_equal(np.asarray(a), b, equal_nan=b.dtype.kind in "fc"):
            return False, "an input array was changed"
    return True, outcome


def main() -> None:
    import warnings

    warnings.simplefilter("ignore")  # the cases test exceptions, not warnings
    for c in CASES:
        print(
            json.dumps({"name": c.name, "start": True}), flush=True
        )  # the last line if it crashes
        ok, detail = run(c)
        print(json.dumps({"name": c.name, "ok": ok, "detail": detail[:300]}), flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
