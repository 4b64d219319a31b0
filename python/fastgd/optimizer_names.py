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
    """(display name, the rule with its hyperparameters, lr is "auto") from what
    fit_least_squares was given. The rule's lr is the fit's learning rate; ``params``
    are a named rule's other hyperparameters (torch.optim's names, e.g. betas)."""
    if params is not None and not isinstance(params, dict):
        raise TypeError(f"optimizer_params must be a dict or None, got {type(params).__name__}")
    lr_auto = isinstance(lr, str)
    if lr_auto and lr != "auto":
        raise ValueError(f"lr must be a number > 0 or 'auto', got {lr!r}")
    if isinstance(optimizer, Optimizer):
        if params:
            raise ValueError("optimizer_params is for a named optimizer; set them on the instance")
        name = type(optimizer).__name__.lower()
        hyper = optimizer.hyperparameters
        if name == "sgd" and hyper["momentum"] > 0:  # name it as the lecture does
            name = "nesterov" if hyper["nesterov"] else "momentum"
        if not lr_auto and lr != DEFAULT_LR and float(lr) != optimizer.lr:
            raise ValueError(
                f"lr={lr!r} conflicts with the optimizer's lr={optimizer.lr!r}; set the learning rate in one place"
            )
        rule = optimizer
    elif isinstance(optimizer, str):
        name = optimizer.lower()
        if name not in OPTIMIZER_NAMES:
            raise ValueError(
                f"unknown optimizer {optimizer!r}; known: {', '.join(OPTIMIZER_NAMES)}"
            )
        rule_lr = 1.0 if lr_auto else v.positive(lr, "lr")  # the lr is set per fit below
        if name in LECTURE_METHODS:
            uses_momentum, nesterov = LECTURE_METHODS[name]
            beta = 0.0
            if uses_momentum:
                beta = v.real_number(momentum, "momentum")
                if not 0.0 < beta < 1.0:
                    raise ValueError(
                        f"momentum must be in (0, 1) for optimizer={name!r}, got {momentum!r}"
                    )
            rule = _build(SGD, name, dict(lr=rule_lr, momentum=beta, nesterov=nesterov), params)
        else:
            rule = _build(RULES[name], name, dict(lr=rule_lr), params)
    else:
        raise TypeError(
            f"optimizer must be a name ({', '.join(OPTIMIZER_NAMES)}) or a fastgd optimizer instance, "
            f"got {type(optimizer).__name__}"
        )
    if lr_auto and rule.kind != "sgd":
        raise ValueError(
            f"lr='auto' (1/L) is for gradient descent with or without momentum; {name} scales its own "
            "steps: pass lr as a number"
        )
    if not lr_auto and not isinstance(rule.hyperparameters["lr"], Schedule) and not rule.lr > 0:
        raise ValueError(f"lr must be a finite number > 0, got {rule.lr!r}")
    return name, rule, lr_auto


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
