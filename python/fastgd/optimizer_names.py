"""Optimizer names: what fit_least_squares, GDRegressor and minimize take as
``optimizer=`` (a name or an instance) resolved to an update rule with its
hyperparameters."""

from __future__ import annotations

from typing import Any

from . import _validation as v
from .optimizers import RULES, SGD, Optimizer
from .schedules import Schedule

__all__ = ["DEFAULT_LR", "LECTURE_METHODS", "OPTIMIZER_NAMES", "resolve_optimizer"]

#: The lecture's descent methods, by name: (momentum used?, nesterov?).
LECTURE_METHODS: dict[str, tuple[bool, bool]] = {
    "gd": (False, False),
    "sgd": (False, False),
    "momentum": (True, False),
    "nesterov": (True, True),
}
#: Every optimizer name fit_least_squares takes.
OPTIMIZER_NAMES = sorted(set(LECTURE_METHODS) | set(RULES))
DEFAULT_LR = 0.01


def resolve_optimizer(
    optimizer: Any, lr: Any, momentum: Any, params: dict[str, Any] | None = None
) -> tuple[str, Optimizer, bool]:
    """(display name, the rule with its hyperparameters, lr is 1/L) from what a fit was
    given. ``params`` are a named rule's other hyperparameters (torch.optim's names,
    e.g. betas).

    The learning rate, one rule for every entry point:

    - None: the optimizer's own: an instance's lr, or for a name DEFAULT_LR (0.01)
      for the lecture's methods and torch.optim's default for the others;
    - "auto": 1/L (the fit finds it) for the lecture's methods by name ("gd", "sgd",
      "momentum", "nesterov"); the rules that scale their own steps (Adam, ...) take
      torch.optim's default lr, and an instance keeps its own, so "auto" never fails
      and a grid search over optimizers runs;
    - a number or a Schedule: that one (an instance whose lr differs is refused:
      set the learning rate in one place).
    """
    if params is not None and not isinstance(params, dict):
        raise TypeError(f"optimizer_params must be a dict or None, got {type(params).__name__}")
    if isinstance(lr, str) and lr != "auto":
        raise ValueError(
            f"lr must be a number > 0 or 'auto' (or a Schedule, or None: the optimizer's own), got {lr!r}"
        )
    lr_auto = False
    if isinstance(optimizer, Optimizer):
        if params:
            raise ValueError("optimizer_params is for a named optimizer; set them on the instance")
        name = type(optimizer).__name__.lower()
        hyper = optimizer.hyperparameters
        if name == "sgd" and hyper["momentum"] > 0:  # name it as the lecture does
            name = "nesterov" if hyper["nesterov"] else "momentum"
        if lr is not None and not isinstance(lr, str) and not _same_lr(lr, hyper["lr"]):
            raise ValueError(
                f"lr={lr!r} conflicts with the optimizer's lr={hyper['lr']!r}; set the learning "
                "rate in one place (lr=None takes the optimizer's own)"
            )
        rule = optimizer
    elif isinstance(optimizer, str):
        name = optimizer.lower()
        if name not in OPTIMIZER_NAMES:
            raise ValueError(
                f"unknown optimizer {optimizer!r}; known: {', '.join(OPTIMIZER_NAMES)}"
            )
        lr_auto = lr == "auto" and name in LECTURE_METHODS
        given: dict[str, Any] = {}
        if lr_auto:
            given["lr"] = 1.0  # a stand-in: the fit finds 1/L and sets it
        elif lr is None:
            if name in LECTURE_METHODS:
                given["lr"] = DEFAULT_LR
        elif not isinstance(lr, str):
            given["lr"] = lr if isinstance(lr, Schedule) else v.positive(lr, "lr")
        if name in LECTURE_METHODS:
            uses_momentum, nesterov = LECTURE_METHODS[name]
            beta = 0.0
            if uses_momentum:
                beta = v.real_number(momentum, "momentum")
                if not 0.0 < beta < 1.0:
                    raise ValueError(
                        f"momentum must be in (0, 1) for optimizer={name!r}, got {momentum!r}"
                    )
            rule = _build(SGD, name, dict(given, momentum=beta, nesterov=nesterov), params)
        else:  # lr "auto" or None: torch.optim's default for this rule
            rule = _build(RULES[name], name, given, params)
    else:
        raise TypeError(
            f"optimizer must be a name ({', '.join(OPTIMIZER_NAMES)}) or a fastgd optimizer instance, "
            f"got {type(optimizer).__name__}"
        )
    if not lr_auto and not isinstance(rule.hyperparameters["lr"], Schedule) and not rule.lr > 0:
        raise ValueError(f"lr must be a finite number > 0, got {rule.lr!r}")
    return name, rule, lr_auto


def _same_lr(lr: Any, own: Any) -> bool:
    if isinstance(lr, Schedule) or isinstance(own, Schedule):
        return lr is own or lr == own
    try:
        return float(lr) == float(own)
    except (TypeError, ValueError):
        return False


def _build(
    cls: type[Optimizer], name: str, given: dict[str, Any], params: dict[str, Any] | None
) -> Optimizer:
    extra = dict(params or {})
    clash = sorted(set(extra) & set(given))
    if clash:
        raise ValueError(
            f"optimizer_params may not set {', '.join(clash)}: they are arguments of their own"
        )
    try:
        return cls(**given, **extra)
    except TypeError as exc:  # an unknown keyword: name the optimizer and what it takes
        raise TypeError(f"optimizer_params for {name!r}: {exc}") from None
