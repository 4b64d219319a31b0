"""Hyperparameter checks shared by the update rules, with torch.optim's wording."""

from __future__ import annotations

import math
from typing import Any

from . import _validation as v
from .schedules import Schedule


def check(
    value: Any, name: str, low: float = 0.0, high: float = math.inf, high_open: bool = False
) -> float:
    """A hyperparameter in [low, high] (or [low, high)), with torch's "Invalid ..." wording."""
    x = v.real_number(value, name)
    upper_ok = x < high if high_open else x <= high
    if not (x >= low and upper_ok and math.isfinite(x)):
        bound = f"< {high:g}" if high_open else f"<= {high:g}"
        raise ValueError(
            f"Invalid {name}: {v.describe(value)} (expected {low:g} <= {name} {bound if math.isfinite(high) else ''}".rstrip()
            + ")"
        )
    return x


def lr_value(value: Any) -> Any:
    """A learning rate: a number >= 0 or a Schedule."""
    return value if isinstance(value, Schedule) else check(value, "lr")


def betas_pair(betas: Any) -> tuple[float, float]:
    try:
        b1, b2 = betas
    except (TypeError, ValueError):
        raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}") from None
    return check(b1, "beta1", 0.0, 1.0, high_open=True), check(
        b2, "beta2", 0.0, 1.0, high_open=True
    )


def moments(lr: Any, betas: Any, eps: Any, weight_decay: Any, maximize: Any) -> dict[str, Any]:
    """The hyperparameters shared by the Adam family, checked."""
    b1, b2 = betas_pair(betas)
    return dict(
        lr=lr_value(lr),
        beta1=b1,
        beta2=b2,
        eps=check(eps, "eps"),
        weight_decay=check(weight_decay, "weight_decay"),
        maximize=v.boolean(maximize, "maximize"),
    )


def pair(value: Any, name: str, parts: str) -> tuple[Any, Any]:
    try:
        first, second = value
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair {parts}, got {value!r}") from None
    return first, second


def at_least(value: Any, name: str, wording: str, low: float) -> float:
    """A finite hyperparameter >= low, refused with torch's Adafactor wording."""
    x = v.real_number(value, name)
    if not (math.isfinite(x) and x >= low):
        raise ValueError(f"{wording} should be >= {low:g} but is: {v.describe(value)}")
    return x
