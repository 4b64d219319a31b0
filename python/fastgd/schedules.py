"""Learning-rate schedules. Any optimizer's ``lr`` may be one; it is evaluated in
C++ at every step (t = 0 for the first step), in ``step()`` and inside the fits,
where t counts optimizer steps (mini-batches), not epochs.

>>> import fastgd
>>> opt = fastgd.SGD(lr=fastgd.schedules.exponential(0.1, gamma=0.99), momentum=0.9)
>>> round(fastgd.schedules.cosine(1.0, t_max=10)(5), 6)
0.5
"""

from __future__ import annotations

import dataclasses
from typing import Any

from . import _core
from . import _validation as v


@dataclasses.dataclass(frozen=True)
class Schedule:
    """A learning rate as a function of the step t. Build one with the functions below."""

    kind: str
    lr0: float
    gamma: float = 0.1
    power: float = 0.25
    step_size: float = 1.0
    t_max: float = 1.0
    eta_min: float = 0.0
    warmup_steps: float = 0.0
    start_factor: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def __call__(self, t: int) -> float:
        """The learning rate of step t (t >= 0)."""
        if isinstance(t, bool) or not isinstance(t, int) or t < 0:
            raise ValueError(f"t must be an integer >= 0, got {t!r}")
        return float(_core.schedule_at({"lr": self.lr0, "schedule": self.as_dict()}, t))


def constant(lr: float) -> Schedule:
    """lr at every step."""
    return Schedule("constant", v.nonnegative(lr, "lr"))


def inverse_scaling(lr0: float, power: float = 0.25) -> Schedule:
    """lr0 / (t + 1)^power: scikit-learn's "invscaling" (its default power_t = 0.25)."""
    return Schedule("inverse_scaling", v.positive(lr0, "lr0"), power=v.nonnegative(power, "power"))


def step(lr0: float, step_size: int, gamma: float = 0.1) -> Schedule:
    """lr0 * gamma^floor(t / step_size): torch.optim.lr_scheduler.StepLR."""
    return Schedule(
        "step",
        v.positive(lr0, "lr0"),
        gamma=v.positive(gamma, "gamma"),
        step_size=v.positive(step_size, "step_size"),
    )


def exponential(lr0: float, gamma: float) -> Schedule:
    """lr0 * gamma^t: torch.optim.lr_scheduler.ExponentialLR."""
    return Schedule("exponential", v.positive(lr0, "lr0"), gamma=v.positive(gamma, "gamma"))


def cosine(lr0: float, t_max: int, eta_min: float = 0.0) -> Schedule:
    """eta_min + (lr0 - eta_min)(1 + cos(pi t / t_max)) / 2 for t <= t_max, then eta_min:
    torch.optim.lr_scheduler.CosineAnnealingLR's closed form over one half period."""
    lr0_ = v.positive(lr0, "lr0")
    eta = v.nonnegative(eta_min, "eta_min")
    if eta > lr0_:
        raise ValueError(f"eta_min={eta_min!r} must not exceed lr0={lr0!r}")
    return Schedule("cosine", lr0_, t_max=v.positive(t_max, "t_max"), eta_min=eta)


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
