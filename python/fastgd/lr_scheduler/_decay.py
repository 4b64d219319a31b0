"""The schedulers that scale each group's lr by a rule of the epoch: LambdaLR,
MultiplicativeLR, StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR,
PolynomialLR, CosineAnnealingLR and CosineAnnealingWarmRestarts.

Each computes the next lr as torch does (its chained, recursive form in ``get_lr``:
the numbers match torch 2.13 to the last bit in double precision); the closed form is
used only when SequentialLR restarts a scheduler at a milestone, as in torch.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ._base import (
    LRScheduler,
    callables,
    check_last_epoch,
    describe,
    integer,
    lambdas_state,
    param_groups,
    real,
    refuse_epoch,
)


class _LambdaBase(LRScheduler):
    """LambdaLR and MultiplicativeLR: one function of the epoch per group."""

    lr_lambdas: list[Callable[[int], float]]

    def __init__(
        self,
        optimizer: Any,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        groups = param_groups(optimizer)
        check_last_epoch(last_epoch, groups)
        self.lr_lambdas = callables(lr_lambda, groups)
        super().__init__(optimizer, last_epoch)

    def state_dict(self) -> dict[str, Any]:
        """As torch: the lambdas are saved only when they are callable objects (their
        ``__dict__``), not when they are functions or lambdas."""
        state = super().state_dict()
        state["lr_lambdas"] = lambdas_state(self.lr_lambdas)
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        if not isinstance(state_dict, Mapping) or "lr_lambdas" not in state_dict:
            raise ValueError(
                f"state_dict must be a dict from {type(self).__name__}.state_dict(), with "
                "'lr_lambdas'"
            )
        saved = state_dict["lr_lambdas"]
        if not isinstance(saved, list) or len(saved) != len(self.lr_lambdas):
            raise ValueError(
                f"state_dict['lr_lambdas'] must be a list of {len(self.lr_lambdas)} entries "
                f"(None or a dict), got {describe(saved)}"
            )
        for i, entry in enumerate(saved):
            if entry is not None and not (
                isinstance(entry, dict) and hasattr(self.lr_lambdas[i], "__dict__")
            ):
                raise ValueError(
                    f"state_dict['lr_lambdas'][{i}] must be None or the __dict__ of a "
                    f"callable object, got {describe(entry)}"
                )
        rest = {k: v for k, v in state_dict.items() if k != "lr_lambdas"}
        super().load_state_dict(rest)
        for fn, entry in zip(self.lr_lambdas, saved, strict=True):
            if entry is not None:
                vars(fn).update(entry)


class LambdaLR(_LambdaBase):
    """lr = initial lr * lr_lambda(epoch), one function or one per group.

    >>> sched = LambdaLR(opt, lr_lambda=lambda epoch: 0.95**epoch)  # doctest: +SKIP
    """

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        return [
            base_lr * fn(self.last_epoch)
            for fn, base_lr in zip(self.lr_lambdas, self.base_lrs, strict=True)
        ]


class MultiplicativeLR(_LambdaBase):
    """``lr *= lr_lambda(epoch)`` at every step after the first."""

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        if self._is_initial:
            return self._current_lrs()
        return [
            group["lr"] * fn(self.last_epoch)
            for fn, group in zip(self.lr_lambdas, self.optimizer.param_groups, strict=True)
        ]


class StepLR(LRScheduler):
    """``lr *= gamma`` every step_size epochs."""

    _STATE = ("step_size", "gamma", *LRScheduler._STATE)

    def __init__(
        self, optimizer: Any, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        check_last_epoch(last_epoch, param_groups(optimizer))
        self.step_size = integer(step_size, "step_size", 1)
        self.gamma = real(gamma, "gamma", low=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [
            base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs
        ]


class MultiStepLR(LRScheduler):
    """``lr *= gamma`` at each milestone (a milestone listed twice applies gamma twice)."""

    _STATE = ("milestones", "gamma", *LRScheduler._STATE)

    def __init__(
        self, optimizer: Any, milestones: Iterable[int], gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        check_last_epoch(last_epoch, param_groups(optimizer))
        if isinstance(milestones, (str, bytes)) or not isinstance(milestones, Iterable):
            raise TypeError(
                f"milestones must be a list of integers, got {type(milestones).__name__}"
            )
        marks = [integer(m, "milestones[]", 0) for m in list(milestones)]
        self.milestones = Counter(marks)
        self.gamma = real(gamma, "gamma", low=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [group["lr"] * factor for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        marks = sorted(self.milestones.elements())
        return [
            base_lr * self.gamma ** bisect_right(marks, self.last_epoch)
            for base_lr in self.base_lrs
        ]


class ConstantLR(LRScheduler):
    """lr = factor * initial lr for the first total_iters epochs, then the initial lr."""

    _STATE = ("factor", "total_iters", *LRScheduler._STATE)

    def __init__(
        self,
        optimizer: Any,
        factor: float = 1.0 / 3,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        check_last_epoch(last_epoch, param_groups(optimizer))
        f = real(factor, "factor")
        if f > 1.0 or f < 0:
            raise ValueError("Constant multiplicative factor expected to be between 0 and 1.")
        if f == 0:  # torch accepts it, then divides by it at total_iters
            raise ValueError("factor must be > 0: ConstantLR divides by it at total_iters")
        self.factor = f
        self.total_iters = integer(total_iters, "total_iters", 0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        if self.last_epoch == 0:
            return [group["lr"] * self.factor for group in self.optimizer.param_groups]
        if self.last_epoch != self.total_iters:
            return self._current_lrs()
        return [group["lr"] * (1.0 / self.factor) for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [
            base_lr * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))
            for base_lr in self.base_lrs
        ]


class LinearLR(LRScheduler):
    """lr goes linearly from start_factor to end_factor times the initial lr over
    total_iters epochs, then stays."""

    _STATE = ("start_factor", "end_factor", "total_iters", *LRScheduler._STATE)

    def __init__(
        self,
        optimizer: Any,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        check_last_epoch(last_epoch, param_groups(optimizer))
        start = real(start_factor, "start_factor")
        if start > 1.0 or start <= 0:
            raise ValueError(
                "Starting multiplicative factor expected to be greater than 0 and less or "
                "equal to 1."
            )
        end = real(end_factor, "end_factor")
        if end > 1.0 or end < 0:
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1.")
        self.start_factor = start
        self.end_factor = end
        self.total_iters = integer(total_iters, "total_iters", 1)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        if self.last_epoch == 0:
            return [group["lr"] * self.start_factor for group in self.optimizer.param_groups]
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current_lrs()
        slope = self.end_factor - self.start_factor
        factor = 1.0 + slope / (
            self.total_iters * self.start_factor + (self.last_epoch - 1) * slope
        )
        return [group["lr"] * factor for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [
            base_lr
            * (
                self.start_factor
                + (self.end_factor - self.start_factor)
                * min(self.total_iters, self.last_epoch)
                / self.total_iters
            )
            for base_lr in self.base_lrs
        ]


class ExponentialLR(LRScheduler):
    """``lr *= gamma`` every epoch."""

    _STATE = ("gamma", *LRScheduler._STATE)

    def __init__(self, optimizer: Any, gamma: float, last_epoch: int = -1) -> None:
        check_last_epoch(last_epoch, param_groups(optimizer))
        self.gamma = real(gamma, "gamma", low=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        if self._is_initial:
            return self._current_lrs()
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]


class PolynomialLR(LRScheduler):
    """lr = initial lr * (1 - epoch / total_iters) ** power, then 0 after total_iters."""

    _STATE = ("total_iters", "power", *LRScheduler._STATE)

    def __init__(
        self, optimizer: Any, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1
    ) -> None:
        check_last_epoch(last_epoch, param_groups(optimizer))
        self.total_iters = integer(total_iters, "total_iters", 1)
        self.power = real(power, "power", low=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current_lrs()
        decay_factor = (
            (1.0 - self.last_epoch / self.total_iters)
            / (1.0 - (self.last_epoch - 1) / self.total_iters)
        ) ** self.power
        return [group["lr"] * decay_factor for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [
            base_lr
            * (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power
            for base_lr in self.base_lrs
        ]


def _t_max(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        real(value, name)  # the TypeError
    t = real(value, name, low=0.0, low_open=True)
    return int(value) if isinstance(value, int) else t


class CosineAnnealingLR(LRScheduler):
    """lr follows half a cosine from the initial lr to eta_min over T_max epochs (and
    back up over the next T_max, as torch's chained form does)."""

    _STATE = ("T_max", "eta_min", *LRScheduler._STATE)

    def __init__(
        self, optimizer: Any, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        check_last_epoch(last_epoch, param_groups(optimizer))
        self.T_max = _t_max(T_max, "T_max")
        self.eta_min = real(eta_min, "eta_min")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        groups = self.optimizer.param_groups
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and self.last_epoch > 0:
            return [
                self.eta_min
                + (base_lr - self.eta_min)
                * (1 + math.cos(self.last_epoch * math.pi / self.T_max))
                / 2
                for base_lr in self.base_lrs
            ]
        if (self.last_epoch - 1 - self.T_max) % (2 * self.T_max) == 0:
            return [
                group["lr"] + (base_lr - self.eta_min) * (1 - math.cos(math.pi / self.T_max)) / 2
                for base_lr, group in zip(self.base_lrs, groups, strict=True)
            ]
        ratio_num = 1 + math.cos(math.pi * self.last_epoch / self.T_max)
        ratio_den = 1 + math.cos(math.pi * (self.last_epoch - 1) / self.T_max)
        return [
            ratio_num / ratio_den * (group["lr"] - self.eta_min) + self.eta_min for group in groups
        ]

    def _get_closed_form_lr(self) -> list[float]:
        return [
            self.eta_min
            + (base_lr - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
            for base_lr in self.base_lrs
        ]


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing from the initial lr to eta_min, restarting after T_0 epochs,
    then T_0 * T_mult, T_0 * T_mult**2, ..."""

    _STATE = ("T_0", "T_i", "T_mult", "eta_min", "T_cur", *LRScheduler._STATE)

    def __init__(
        self,
        optimizer: Any,
        T_0: int,
        T_mult: int = 1,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        check_last_epoch(last_epoch, param_groups(optimizer))
        if isinstance(T_0, bool) or not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError(f"Expected positive integer T_0, but got {describe(T_0)}")
        if isinstance(T_mult, bool) or not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(f"Expected integer T_mult >= 1, but got {describe(T_mult)}")
        if isinstance(eta_min, bool) or not isinstance(eta_min, (float, int)):
            raise TypeError(
                f"Expected float or int eta_min, but got {describe(eta_min)} of type "
                f"{type(eta_min).__name__}"
            )
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = real(eta_min, "eta_min")
        self.T_cur: float = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        return [
            self.eta_min
            + (base_lr - self.eta_min) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
            for base_lr in self.base_lrs
        ]

    def step(self, epoch: None = None) -> None:
        """Advance one epoch: ``T_cur += 1``, restarting (``T_i *= T_mult``) at the end of a cycle."""
        refuse_epoch(epoch)
        groups = self._groups()
        if self.last_epoch < 0:  # the first step: epoch 0
            self.T_i = self.T_0
            self.T_cur = 0
            self.last_epoch = 0
        else:
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
            self.last_epoch = self.last_epoch + 1
        self._get_lr_called_within_step = True
        try:
            values = self.get_lr()
        finally:
            self._get_lr_called_within_step = False
        for group, lr in zip(groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in groups]
