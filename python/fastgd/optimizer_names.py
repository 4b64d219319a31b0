"""Optimizer names: what fit_least_squares, GDRegressor and minimize take as
``optimizer=`` (a name or an instance) resolved to an update rule with its
hyperparameters."""

from __future__ import annotations

import inspect
from typing import Any

from . import _validation as v
from .optimizers import RULES, SGD, Optimizer
from .schedules import Schedule

__all__ = [
    "DEFAULT_LR",
    "DEFAULT_MOMENTUM",
    "LECTURE_METHODS",
    "OPTIMIZER_NAMES",
    "resolve_optimizer",
    "takes_momentum",
]

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
#: The beta of "momentum" and "nesterov" when momentum=None.
DEFAULT_MOMENTUM = 0.9


def takes_momentum(name: str) -> bool:
    """Whether the named optimizer has a ``momentum`` option: the lecture's "sgd",
    "momentum" and "nesterov", and every rule whose class takes one (torch.optim's
    SGD and RMSprop). "gd" is plain gradient descent: it has none."""
    name = name.lower()
    if name in LECTURE_METHODS:
        return name != "gd"
    cls = RULES.get(name)
    return cls is not None and "momentum" in inspect.signature(cls).parameters


def _no_momentum(name: str, momentum: Any) -> ValueError:
    """The error for an explicit momentum with a named rule that has none: what to do instead."""
    given = f"momentum={v.describe(momentum)} was given with {name!r}"
    if name == "gd":
        return ValueError(
            f"{given}, which is plain gradient descent and has no momentum: use 'momentum' "
            "(the heavy ball) or 'nesterov' for a momentum, or leave momentum=None"
        )
    return ValueError(f"{given}, which {_instead(RULES[name])}; leave momentum=None")


def _instance_momentum(optimizer: Optimizer, momentum: Any) -> ValueError:
    """The error for an explicit momentum beside an instance, which carries its own."""
    cls = type(optimizer).__name__
    given = (
        f"momentum={v.describe(momentum)} is for a named optimizer, but the optimizer is an "
        f"instance of {cls}"
    )
    if "momentum" in inspect.signature(type(optimizer)).parameters:
        return ValueError(
            f"{given}: it carries its own settings, so set the momentum there "
            f"(fastgd.{cls}(..., momentum={v.describe(momentum)})) and leave momentum=None"
        )
    return ValueError(f"{given}: {cls} {_instead(type(optimizer))}; leave momentum=None")


def _instead(cls: type[Optimizer]) -> str:
    """What a rule without a momentum option has instead (as a clause)."""
    role = next((b for b in ("betas", "beta1") if b in inspect.signature(cls).parameters), None)
    if role is not None:
        return (
            f"has no momentum option: its {role} play that role (set them on an "
            f"instance, optimizer=fastgd.{cls.__name__}({role}=...))"
        )
    with_momentum = ", ".join(repr(n) for n in OPTIMIZER_NAMES if takes_momentum(n))
    return f"has no momentum option (the optimizers with one: {with_momentum})"


def resolve_optimizer(
    optimizer: Any,
    lr: Any,
    momentum: Any,
    params: dict[str, Any] | None = None,
    *,
    momentum_where_taken: bool = False,
) -> tuple[str, Optimizer, bool]:
    """(display name, the rule with its hyperparameters, lr is 1/L) from what a fit was
    given. ``params`` are a named rule's other hyperparameters (torch.optim's names,
    e.g. betas).

    The momentum, never silently dropped:

    - None: DEFAULT_MOMENTUM (0.9) for "momentum" and "nesterov", none for the others
      (their class's own default);
    - a number: the momentum of a named optimizer that takes one (``takes_momentum``:
      "momentum" and "nesterov" in (0, 1), "sgd" in [0, 1), "rmsprop" as its class
      checks it); any other name ("gd", "adam", ...) or an instance (it carries its
      own) is refused with a ValueError saying what to do instead, unless
      ``momentum_where_taken`` (a race's mixed list), which runs those without it.

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
        if momentum is not None and not momentum_where_taken:
            raise _instance_momentum(optimizer, momentum)
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
        if momentum is not None and takes_momentum(name):
            given["momentum"] = v.real_number(momentum, "momentum")
        elif momentum is not None and not momentum_where_taken:
            raise _no_momentum(name, momentum)
        if name in LECTURE_METHODS:
            uses_momentum, nesterov = LECTURE_METHODS[name]
            if uses_momentum:
                beta = given.setdefault("momentum", DEFAULT_MOMENTUM)
                if not 0.0 < beta < 1.0:
                    raise ValueError(
                        f"momentum must be in (0, 1) for optimizer={name!r}, got {momentum!r}"
                    )
            elif not 0.0 <= given.get("momentum", 0.0) < 1.0:  # the heavy ball needs beta < 1
                raise ValueError(
                    f"momentum must be in [0, 1) for optimizer={name!r}, got {momentum!r}"
                )
            rule = _build(SGD, name, {"momentum": 0.0, **given, "nesterov": nesterov}, params)
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
