"""Learning-rate schedules. Any optimizer's ``lr`` may be one; it is evaluated in
C++ at every step (t = 0 for the first step), in ``step()`` and inside the fits,
where t counts optimizer steps (mini-batches), not epochs.

Every schedule is checked when it is built (also ``Schedule(...)`` directly, and
again in C++ for a dict that reaches the core another way): ``lr0 > 0`` (a rate of
0 never moves; a plain ``lr=0`` stays allowed, as in torch, and the fits refuse it),
``gamma`` in (0, 1] (a growing rate overflows), ``power >= 0``, ``decay >= 0``, ``step_size > 0``,
``t_max > 0``, ``0 <= eta_min`` (``<= lr0`` for cosine), ``warmup_steps >= 0`` and
``start_factor`` in [0, 1]. A schedule may still decay towards 0 (exponential,
cosine to ``eta_min=0``): a fit that stops moving for that reason ends "stalled",
not "converged".

>>> import fastgd
>>> opt = fastgd.SGD(lr=fastgd.schedules.exponential(0.1, gamma=0.99), momentum=0.9)
>>> round(fastgd.schedules.cosine(1.0, t_max=10)(5), 6)
0.5
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from . import _core
from . import _validation as v
from ._namespace import public_dir

__all__ = [
    "KINDS",
    "Schedule",
    "constant",
    "cosine",
    "exponential",
    "inverse_scaling",
    "inverse_time",
    "step",
    "warmup",
]

__dir__ = public_dir(__all__)


KINDS = ("constant", "inverse_scaling", "inverse_time", "step", "exponential", "cosine")


def _in_range(value: Any, name: str, low: float, high: float, low_open: bool) -> float:
    """A finite real number in (low, high] or [low, high], or an error naming the field."""
    x = v.real_number(value, f"schedule {name}")
    if not (math.isfinite(x) and (x > low if low_open else x >= low) and x <= high):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}]"
        raise ValueError(f"schedule {name} must be in {interval}, got {v.describe(value)}")
    return x


@dataclasses.dataclass(frozen=True)
class Schedule:
    """A learning rate as a function of the step t. Build one with the functions below;
    built directly, every field is checked the same way (see the module's docstring)."""

    kind: str
    lr0: float
    gamma: float = 0.1
    power: float = 0.25
    decay: float = 0.0
    step_size: float = 1.0
    t_max: float = 1.0
    eta_min: float = 0.0
    warmup_steps: float = 0.0
    start_factor: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str):
            raise TypeError(
                f"schedule kind must be one of {', '.join(KINDS)}, got "
                f"{type(self.kind).__name__} {v.describe(self.kind)}"
            )
        if self.kind not in KINDS:
            raise ValueError(f"unknown schedule kind {self.kind!r}; known: {', '.join(KINDS)}")
        checked = {
            "lr0": v.positive(self.lr0, "schedule lr0"),
            "gamma": _in_range(self.gamma, "gamma", 0.0, 1.0, low_open=True),
            "power": v.nonnegative(self.power, "schedule power"),
            "decay": v.nonnegative(self.decay, "schedule decay"),
            "step_size": v.positive(self.step_size, "schedule step_size"),
            "t_max": v.positive(self.t_max, "schedule t_max"),
            "eta_min": v.nonnegative(self.eta_min, "schedule eta_min"),
            "warmup_steps": v.nonnegative(self.warmup_steps, "schedule warmup_steps"),
            "start_factor": _in_range(self.start_factor, "start_factor", 0.0, 1.0, low_open=False),
        }
        if self.kind == "cosine" and checked["eta_min"] > checked["lr0"]:
            raise ValueError(f"eta_min={self.eta_min!r} must not exceed lr0={self.lr0!r}")
        # Stored as floats, so that equal schedules compare equal and print alike.
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def __call__(self, t: int) -> float:
        """The learning rate of step t (t >= 0)."""
        if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t < 2**63:
            raise ValueError(f"t must be an integer >= 0 (and < 2**63), got {v.describe(t)}")
        return float(_core.schedule_at({"schedule": self.as_dict()}, t))


def constant(lr: float) -> Schedule:
    """lr (> 0) at every step."""
    return Schedule("constant", v.positive(lr, "lr"))


def inverse_scaling(lr0: float, power: float = 0.25) -> Schedule:
    """lr0 / (t + 1)^power: scikit-learn's "invscaling" (its default power_t = 0.25)."""
    return Schedule("inverse_scaling", v.positive(lr0, "lr0"), power=v.nonnegative(power, "power"))


def inverse_time(lr0: float, decay: float) -> Schedule:
    """lr0 / (1 + decay t): scikit-learn's "optimal" rate 1 / (alpha (t0 + t)) is
    inverse_time(1 / (alpha t0), decay=1 / t0)."""
    return Schedule("inverse_time", v.positive(lr0, "lr0"), decay=v.nonnegative(decay, "decay"))


def step(lr0: float, step_size: int, gamma: float = 0.1) -> Schedule:
    """lr0 * gamma^floor(t / step_size): torch.optim.lr_scheduler.StepLR."""
    return Schedule(
        "step",
        v.positive(lr0, "lr0"),
        gamma=_in_range(gamma, "gamma", 0.0, 1.0, low_open=True),
        step_size=v.positive(step_size, "step_size"),
    )


def exponential(lr0: float, gamma: float) -> Schedule:
    """lr0 * gamma^t: torch.optim.lr_scheduler.ExponentialLR."""
    return Schedule(
        "exponential",
        v.positive(lr0, "lr0"),
        gamma=_in_range(gamma, "gamma", 0.0, 1.0, low_open=True),
    )


def cosine(lr0: float, t_max: int, eta_min: float = 0.0) -> Schedule:
    """eta_min + (lr0 - eta_min)(1 + cos(pi t / t_max)) / 2 for t <= t_max, then eta_min:
    torch.optim.lr_scheduler.CosineAnnealingLR's closed form over one half period."""
    start = v.positive(lr0, "lr0")
    floor = v.nonnegative(eta_min, "eta_min")
    if floor > start:
        raise ValueError(f"eta_min={eta_min!r} must not exceed lr0={lr0!r}")
    return Schedule("cosine", start, t_max=v.positive(t_max, "t_max"), eta_min=floor)


def warmup(schedule: Schedule, steps: int, start_factor: float = 0.0) -> Schedule:
    """Linear warmup from start_factor * schedule(0) to schedule(0) over `steps` steps,
    then `schedule` shifted by `steps` (schedule(t - steps))."""
    if not isinstance(schedule, Schedule):
        raise TypeError(f"schedule must be a Schedule, got {type(schedule).__name__}")
    if schedule.warmup_steps:
        raise ValueError("schedule already has a warmup")
    factor = v.nonnegative(start_factor, "start_factor")
    if factor > 1:
        raise ValueError(f"start_factor must be in [0, 1], got {start_factor!r}")
    return dataclasses.replace(
        schedule, warmup_steps=v.positive(steps, "steps"), start_factor=factor
    )
