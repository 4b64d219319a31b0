"""The cyclical schedulers, which also cycle the momentum: CyclicLR and OneCycleLR.

With ``cycle_momentum=True`` they write each group's "momentum" (SGD, RMSprop) or
the first of its "betas" (Adam and its kin), as torch does; which one is decided by
``optimizer.defaults`` when the optimizer has one (torch's rule), else by the groups.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ._base import (
    Group,
    LRScheduler,
    boolean,
    check_last_epoch,
    choice,
    describe,
    integer,
    param_groups,
    per_group,
    real,
)

_NO_MOMENTUM = "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"


def _uses_betas(optimizer: Any, groups: Sequence[Group]) -> bool:
    """True for betas, False for momentum, or the error torch gives for neither."""
    defaults = getattr(optimizer, "defaults", None)
    keys = defaults if isinstance(defaults, Mapping) else groups[0]
    if "momentum" not in keys and "betas" not in keys:
        raise ValueError(_NO_MOMENTUM)
    use_beta1 = "betas" in keys
    key = "betas" if use_beta1 else "momentum"
    for i, group in enumerate(groups):
        value = group.get(key)
        ok = (
            isinstance(value, (tuple, list)) and len(value) >= 1 if use_beta1 else value is not None
        )
        if not ok:
            raise ValueError(f"{_NO_MOMENTUM}: param_groups[{i}] has no {key!r}")
    return use_beta1


def _momentum_range(
    optimizer: Any,
    groups: Sequence[Group],
    base_momentum: Any,
    max_momentum: Any,
    epoch: int,
    last_epoch: Any,
) -> tuple[bool, list[float], list[float]]:
    """(uses betas, base momentums, max momentums) of a cycled momentum, checked; a
    resumed scheduler (last_epoch given) needs them saved in the groups."""
    use_beta1 = _uses_betas(optimizer, groups)
    base_momentums = per_group(base_momentum, "base_momentum", groups)
    max_momentums = per_group(max_momentum, "max_momentum", groups)
    if epoch >= 0:
        check_last_epoch(last_epoch, groups, "base_momentum", "max_momentum")
    return use_beta1, base_momentums, max_momentums


def _start_momentum(
    groups: Sequence[Group],
    base_momentums: list[float],
    max_momentums: list[float],
    use_beta1: bool,
) -> None:
    """A fresh cycle starts at the max momentum; the range is kept in the groups."""
    for m_momentum, b_momentum, group in zip(max_momentums, base_momentums, groups, strict=True):
        _set_momentum(group, m_momentum, use_beta1)
        group["max_momentum"] = m_momentum
        group["base_momentum"] = b_momentum


def _set_momentum(group: Group, value: float, use_beta1: bool) -> None:
    if use_beta1:
        group["betas"] = (value, *group["betas"][1:])
    else:
        group["momentum"] = value


class CyclicLR(LRScheduler):
    """Cyclical learning rates (Smith, 2017) between base_lr and max_lr, stepped every
    batch; with ``cycle_momentum`` the momentum cycles the other way between
    max_momentum and base_momentum."""

    def __init__(
        self,
        optimizer: Any,
        base_lr: float | list[float],
        max_lr: float | list[float],
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.8,
        max_momentum: float | list[float] = 0.9,
        last_epoch: int = -1,
    ) -> None:
        groups = param_groups(optimizer)
        epoch = check_last_epoch(last_epoch, groups)
        base_lrs = per_group(base_lr, "base_lr", groups, low=0.0)
        max_lrs = per_group(max_lr, "max_lr", groups, low=0.0)
        up = real(step_size_up, "step_size_up", low=0.0, low_open=True)
        down = up if step_size_down is None else real(step_size_down, "step_size_down", low=0.0)
        if scale_fn is not None and not callable(scale_fn):
            raise TypeError(f"scale_fn must be None or a function, got {type(scale_fn).__name__}")
        if scale_fn is None and mode not in ("triangular", "triangular2", "exp_range"):
            raise ValueError("mode is invalid and scale_fn is None")
        choice(scale_mode, "scale_mode", ("cycle", "iterations"))
        rate = real(gamma, "gamma", low=0.0, low_open=True)
        cycle = boolean(cycle_momentum, "cycle_momentum")
        if cycle:
            use_beta1, base_momentums, max_momentums = _momentum_range(
                optimizer, groups, base_momentum, max_momentum, epoch, last_epoch
            )

        # every argument checked: now the groups change
        self.optimizer = optimizer
        if epoch == -1:
            for lr, group in zip(base_lrs, groups, strict=True):
                group["lr"] = lr
        self.max_lrs = max_lrs
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        self.mode = mode
        self.gamma = rate
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()
        self.cycle_momentum = cycle
        if cycle:
            self.use_beta1 = use_beta1
            self.base_momentums = base_momentums
            self.max_momentums = max_momentums
            if epoch == -1:
                _start_momentum(groups, base_momentums, max_momentums, use_beta1)
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_fn(self) -> None:
        if self._scale_fn_custom is None and self.mode in ("triangular", "triangular2"):
            self.scale_mode = "cycle"
        elif self._scale_fn_custom is None and self.mode == "exp_range":
            self.scale_mode = "iterations"

    def scale_fn(self, x: float) -> float:
        """The amplitude scale at cycle (or iteration) x."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma**x

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = []
        for base_lr, max_lr in zip(self.base_lrs, self.max_lrs, strict=True):
            base_height = (max_lr - base_lr) * scale_factor
            lrs.append(base_lr + base_height * scale)
        if self.cycle_momentum:
            for base_m, max_m, group in zip(
                self.base_momentums, self.max_momentums, self.optimizer.param_groups, strict=True
            ):
                base_height = (max_m - base_m) * scale_factor
                _set_momentum(group, max_m - base_height * scale, self.use_beta1)
        return lrs

    def _state_keys(self) -> tuple[str, ...]:
        keys = ["max_lrs", "total_size", "step_ratio", "mode", "gamma", "scale_mode"]
        keys.append("cycle_momentum")
        if self.cycle_momentum:
            keys += ["use_beta1", "base_momentums", "max_momentums"]
        return (*keys, *LRScheduler._STATE, "_scale_fn_custom")

    def state_dict(self) -> dict[str, Any]:
        """As torch: a custom scale_fn is saved by its __dict__ when it is a callable
        object, not at all when it is a function."""
        fn = self._scale_fn_custom
        self._scale_fn_custom = None
        try:
            state = super().state_dict()
        finally:
            self._scale_fn_custom = fn
        if fn is not None and not isinstance(fn, types.FunctionType) and hasattr(fn, "__dict__"):
            state["_scale_fn_custom"] = dict(vars(fn))
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        state = self._checked_state(state_dict)
        saved_fn = state.pop("_scale_fn_custom")
        if saved_fn is not None and not (
            isinstance(saved_fn, dict) and hasattr(self._scale_fn_custom, "__dict__")
        ):
            raise ValueError(
                "state_dict['_scale_fn_custom'] must be None or the __dict__ of this "
                f"scheduler's scale_fn object, got {describe(saved_fn)}"
            )
        choice(state["scale_mode"], "state_dict['scale_mode']", ("cycle", "iterations"))
        fn = self._scale_fn_custom
        super().load_state_dict({**state, "_scale_fn_custom": fn})
        if saved_fn is not None:
            vars(fn).update(saved_fn)
        self._init_scale_fn()


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith and Topin, 2017), stepped every batch: lr rises from
    max_lr / div_factor to max_lr over pct_start of total_steps, then anneals to
    initial_lr / final_div_factor; the momentum moves the other way. Stepping more
    than total_steps times is an error."""

    def __init__(
        self,
        optimizer: Any,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        groups = param_groups(optimizer)
        epoch = check_last_epoch(last_epoch, groups)
        if total_steps is not None:
            if (
                isinstance(total_steps, bool)
                or not isinstance(total_steps, int)
                or total_steps <= 0
            ):
                raise ValueError(
                    f"Expected positive integer total_steps, but got {describe(total_steps)}"
                )
            steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs <= 0:
                raise ValueError(f"Expected positive integer epochs, but got {describe(epochs)}")
            if (
                isinstance(steps_per_epoch, bool)
                or not isinstance(steps_per_epoch, int)
                or steps_per_epoch <= 0
            ):
                raise ValueError(
                    f"Expected positive integer steps_per_epoch, but got {describe(steps_per_epoch)}"
                )
            steps = epochs * steps_per_epoch
        else:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        if isinstance(pct_start, bool) or not isinstance(pct_start, (int, float)):
            raise TypeError(f"pct_start must be a float between 0 and 1, got {describe(pct_start)}")
        pct = float(pct_start)
        if not 0 <= pct <= 1:
            raise ValueError(
                f"Expected float between 0 and 1 pct_start, but got {describe(pct_start)}"
            )
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                "anneal_strategy must be one of 'cos' or 'linear', instead got "
                f"{describe(anneal_strategy)}"
            )
        max_lrs = per_group(max_lr, "max_lr", groups, low=0.0)
        div = real(div_factor, "div_factor", low=0.0, low_open=True)
        final_div = real(final_div_factor, "final_div_factor", low=0.0, low_open=True)
        three = boolean(three_phase, "three_phase")
        cycle = boolean(cycle_momentum, "cycle_momentum")
        if epoch >= 0:
            check_last_epoch(last_epoch, groups, "max_lr", "min_lr")
        if cycle:
            use_beta1, base_momentums, max_momentums = _momentum_range(
                optimizer, groups, base_momentum, max_momentum, epoch, last_epoch
            )

        # every argument checked: now the groups change
        self.optimizer = optimizer
        self.total_steps = steps
        up = float(pct * steps) - 1
        if three:
            self._schedule_phases = [
                _phase(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                _phase(
                    float(2 * pct * steps) - 2,
                    "max_lr",
                    "initial_lr",
                    "base_momentum",
                    "max_momentum",
                ),
                _phase(steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
        else:
            self._schedule_phases = [
                _phase(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                _phase(steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
            ]
        self._anneal_func_type = anneal_strategy
        if epoch == -1:
            for top, group in zip(max_lrs, groups, strict=True):
                group["initial_lr"] = top / div
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div
        self.cycle_momentum = cycle
        if cycle:
            self.use_beta1 = use_beta1
            if epoch == -1:
                _start_momentum(groups, base_momentums, max_momentums, use_beta1)
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self._anneal_func_type == "cos":
            cos_out = math.cos(math.pi * pct) + 1
            return end + (start - end) / 2.0 * cos_out
        return (end - start) * pct + start

    def step(self, epoch: None = None) -> None:
        """One batch further; an error (changing nothing) after total_steps steps."""
        if epoch is None and self.last_epoch + 1 > self.total_steps:
            raise ValueError(
                f"Tried to step {self.last_epoch + 1} times. The specified number of total "
                f"steps is {self.total_steps}"
            )
        super().step(epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        step_num = self.last_epoch
        if step_num > self.total_steps:
            raise ValueError(
                f"Tried to step {step_num} times. The specified number of total steps is "
                f"{self.total_steps}"
            )
        lrs = []
        last = len(self._schedule_phases) - 1
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if step_num <= end_step or i == last:
                    pct = (step_num - start_step) / (end_step - start_step)
                    lrs.append(self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct))
                    if self.cycle_momentum:
                        momentum = self._anneal(
                            group[phase["start_momentum"]], group[phase["end_momentum"]], pct
                        )
                        _set_momentum(group, momentum, self.use_beta1)
                    break
                start_step = phase["end_step"]
        return lrs

    def _state_keys(self) -> tuple[str, ...]:
        keys = ["total_steps", "_schedule_phases", "_anneal_func_type", "cycle_momentum"]
        if self.cycle_momentum:
            keys.append("use_beta1")
        return (*keys, *LRScheduler._STATE)

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        state = self._checked_state(state_dict)
        choice(state["_anneal_func_type"], "state_dict['_anneal_func_type']", ("cos", "linear"))
        integer(state["total_steps"], "state_dict['total_steps']", 1)
        super().load_state_dict(state)


def _phase(end_step: float, start_lr: str, end_lr: str, start_m: str, end_m: str) -> dict[str, Any]:
    return {
        "end_step": end_step,
        "start_lr": start_lr,
        "end_lr": end_lr,
        "start_momentum": start_m,
        "end_momentum": end_m,
    }
