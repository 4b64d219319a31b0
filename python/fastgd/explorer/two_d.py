"""The 2-D view's requests: the registered surfaces, a contour grid of a surface (a
registered objective or a typed f(x, y)), and a race of optimizers from one start,
each with its own learning rate, run by ``fastgd.race``."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import payload
from .formula import Formula, parse
from .limits import MAX_FORMULA_LENGTH, MAX_GRID, MAX_OPTIMIZERS, MAX_STEPS
from .quiet import finite_or_none, quietly

__all__ = ["OPTIMIZERS", "contour", "objectives", "race", "surface"]

RANGE = 1e6
"""The largest coordinate the 2-D view takes (start, window)."""
FORMULA_BOUNDS = ((-3.0, 3.0), (-3.0, 3.0))
"""The first window of a typed f(x, y)."""


def _sgd(lr: float, momentum: float, nesterov: bool = False) -> Any:
    from .. import SGD

    return SGD(lr=lr, momentum=momentum, nesterov=nesterov)


def _make(name: str, lr: float, momentum: float) -> Any:
    """The Optimizer for a name of the page, with its rate (and momentum)."""
    import fastgd

    makers: dict[str, Any] = {
        "gd": lambda: _sgd(lr, 0.0),
        "momentum": lambda: _sgd(lr, momentum),
        "nesterov": lambda: _sgd(lr, momentum, nesterov=True),
        "adagrad": lambda: fastgd.Adagrad(lr=lr),
        "rmsprop": lambda: fastgd.RMSprop(lr=lr, momentum=momentum),
        "adam": lambda: fastgd.Adam(lr=lr),
        "adamw": lambda: fastgd.AdamW(lr=lr),
        "adamax": lambda: fastgd.Adamax(lr=lr),
        "nadam": lambda: fastgd.NAdam(lr=lr),
        "radam": lambda: fastgd.RAdam(lr=lr),
        "adadelta": lambda: fastgd.Adadelta(lr=lr),
    }
    return makers[name]()


OPTIMIZERS: dict[str, bool] = {
    "gd": False,
    "momentum": True,
    "nesterov": True,
    "adagrad": False,
    "rmsprop": True,
    "adam": False,
    "adamw": False,
    "adamax": False,
    "nadam": False,
    "radam": False,
    "adadelta": False,
}
"""The optimizers the page offers, and whether each takes a momentum."""


def objectives(_: dict[str, Any] | None = None) -> dict[str, Any]:
    """The registered objectives that have a 2-D picture, with their windows."""
    from .. import objectives as registry

    found = []
    for name in registry.names():
        obj = registry.get(name)
        if obj.dim not in (2, None):
            continue
        found.append(
            {
                "name": name,
                "doc": obj.doc,
                "bounds": [list(b) for b in obj.bounds[:2]],
                "minima": [list(m) for m in obj.minima_at(2)],
            }
        )
    return {"objectives": found, "optimizers": OPTIMIZERS}


def _surface(body: dict[str, Any]) -> tuple[str, Any, Formula | None]:
    """(name, what minimize takes, the formula if typed) of a request's surface."""
    from .. import objectives as registry

    if body.get("formula"):
        formula = parse(payload.text(body, "formula", max_length=MAX_FORMULA_LENGTH), ("x", "y"))
        return "f(x, y)", formula.value_and_grad, formula
    name = payload.text(body, "objective", max_length=100)
    try:
        obj = registry.get(name)
    except ValueError as exc:
        raise payload.BadRequest(str(exc)) from None
    if obj.dim not in (2, None):
        raise payload.BadRequest(f"{name} is {obj.dim}-dimensional; the 2-D view needs 2")
    return name, name, None


def surface(body: dict[str, Any]) -> dict[str, Any]:
    """What the page needs to know about a surface before drawing it: its window."""
    name, _, formula = _surface(body)
    if formula is not None:
        bounds = [list(b) for b in FORMULA_BOUNDS]
        return {"name": name, "bounds": bounds, "expression": str(formula.expression)}
    from .. import objectives as registry

    obj = registry.get(name)
    return {"name": name, "bounds": [list(b) for b in obj.bounds[:2]], "expression": obj.doc}


def contour(body: dict[str, Any]) -> dict[str, Any]:
    """The surface's values on an n x n grid over the window [x0, x1] x [y0, y1]."""
    _, target, formula = _surface(body)
    x0, x1, y0, y1 = payload.window(body, RANGE, ("x", "y"))
    n = payload.integer(body, "n", low=2, high=MAX_GRID)
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    gx, gy = np.meshgrid(xs, ys)
    if formula is not None:
        z = formula.on_grid(gx, gy)
    else:
        from .. import objectives as registry

        with np.errstate(all="ignore"):
            z = registry.get(target).values(np.column_stack([gx.ravel(), gy.ravel()]))
    return {
        "x": xs.tolist(),
        "y": ys.tolist(),
        "z": finite_or_none(np.asarray(z).reshape(n, n)),
        "n": n,
    }


def _optimizer_specs(body: dict[str, Any]) -> list[tuple[str, Any]]:
    raw = body.get("optimizers")
    if not isinstance(raw, list) or not raw:
        raise payload.BadRequest("optimizers must be a non-empty list of {name, lr, momentum}")
    if len(raw) > MAX_OPTIMIZERS:
        raise payload.BadRequest(
            f"optimizers holds {len(raw)}; at most {MAX_OPTIMIZERS} run in one race"
        )
    specs = []
    for k, item in enumerate(raw):
        if not isinstance(item, dict):
            raise payload.BadRequest(f"optimizers[{k}] must be an object {{name, lr, momentum}}")
        name = payload.choice(item, "name", list(OPTIMIZERS))
        lr = payload.number(item, "lr", positive=True, high=1e6)
        momentum = payload.number(item, "momentum", low=0.0, high=0.999, default=0.9)
        specs.append((name, _make(name, lr, momentum)))
    return specs


def race(body: dict[str, Any]) -> dict[str, Any]:
    """``fastgd.race(surface, x0, [optimizer instances], max_iter=steps)``: each run's
    path, losses and status."""
    from .. import race as run_race

    _, target, formula = _surface(body)
    start = payload.numbers(body, "x0", length=2)
    if any(abs(c) > RANGE for c in start):
        raise payload.BadRequest(f"x0's coordinates must be at most {RANGE:g} in size")
    if formula is not None:
        formula.require_finite_at(start)
    specs = _optimizer_specs(body)
    steps = payload.integer(body, "steps", low=1, high=MAX_STEPS)
    try:
        results = quietly(
            lambda: run_race(target, start, [opt for _, opt in specs], max_iter=steps)
        )
    except ValueError as exc:  # not finite at x0, ...
        raise payload.BadRequest(str(exc)) from None
    runs = []
    for (name, opt), result in zip(specs, results, strict=True):
        runs.append(
            {
                "name": name,
                "lr": opt.hyperparameters["lr"],
                "x": finite_or_none(result.path[:, 0]),
                "y": finite_or_none(result.path[:, 1]),
                "loss": finite_or_none(result.losses),
                "status": result.status,
                "message": result.message,
                "nit": result.nit,
            }
        )
    return {"runs": runs}
