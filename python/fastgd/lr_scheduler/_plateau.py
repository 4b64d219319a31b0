"""ReduceLROnPlateau: lr *= factor when a metric has stopped improving."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, SupportsFloat

from ._base import (
    LRScheduler,
    choice,
    describe,
    integer,
    param_groups,
    per_group,
    real,
    refuse_epoch,
)


class ReduceLROnPlateau(LRScheduler):
    """Multiply every group's lr by ``factor`` (not below ``min_lr``) once the metric
    passed to ``step(metrics)`` has not improved for ``patience`` epochs, then wait
    ``cooldown`` epochs. Improvement is relative (``threshold_mode="rel"``: better than
    best * (1 -/+ threshold)) or absolute. A NaN metric is never an improvement."""

    def __init__(
        self,
        optimizer: Any,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: list[float] | float = 0,
        eps: float = 1e-8,
    ) -> None:
        groups = param_groups(optimizer)
        f = real(factor, "factor")
        if f >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        if f < 0:
            raise ValueError(f"factor must be in [0, 1), got {describe(factor)}")
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(groups):
                raise ValueError(f"expected {len(groups)} min_lrs, got {len(min_lr)}")
            default_min_lr = None
            min_lrs = per_group(list(min_lr), "min_lr", groups, low=0.0)
        else:
            default_min_lr = real(min_lr, "min_lr", low=0.0)
            min_lrs = [default_min_lr] * len(groups)
        self.patience = integer(patience, "patience", 0)
        self.cooldown = integer(cooldown, "cooldown", 0)
        self.eps = real(eps, "eps", low=0.0)
        self._init_is_better(mode, real(threshold, "threshold", low=0.0), threshold_mode)
        self.factor = f
        self.optimizer = optimizer
        self.default_min_lr = default_min_lr
        self.min_lrs = min_lrs
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in groups]
        self._reset()

    def _init_is_better(self, mode: Any, threshold: float, threshold_mode: Any) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode {describe(mode)} is unknown! Use 'min' or 'max'")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"threshold mode {describe(threshold_mode)} is unknown! Use 'rel' or 'abs'"
            )
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def _is_better(self, a: float, best: float) -> bool:
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def step(self, metrics: SupportsFloat, epoch: None = None) -> None:  # type: ignore[override]
        """One epoch with this value of the monitored metric (a number)."""
        refuse_epoch(epoch)
        try:
            current = float(metrics)
        except (TypeError, ValueError):
            raise TypeError(
                f"metrics must be a number (the monitored value), got "
                f"{type(metrics).__name__} {describe(metrics)}"
            ) from None
        groups = param_groups(self.optimizer)
        if len(groups) != len(self.min_lrs) and self.default_min_lr is None:
            raise ValueError(
                f"The number of param groups in the `optimizer` ({len(groups)}) differs from "
                f"when `ReduceLROnPlateau` was initialized ({len(self.min_lrs)}), usually due "
                "to a new param group being added to the optimizer. Please modify the "
                "`min_lrs` field to match the length of the `optimizer` param groups."
            )
        self.last_epoch += 1
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr(groups)
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in groups]

    def _reduce_lr(self, groups: Any) -> None:
        if len(groups) != len(self.min_lrs) and self.default_min_lr is not None:
            self.min_lrs = [self.default_min_lr] * len(groups)
        for i, group in enumerate(groups):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, self.min_lrs[i])
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    _STATE = (
        "factor",
        "default_min_lr",
        "min_lrs",
        "patience",
        "cooldown",
        "eps",
        "last_epoch",
        "_last_lr",
        "mode_worse",
        "mode",
        "threshold",
        "threshold_mode",
        "best",
        "cooldown_counter",
        "num_bad_epochs",
    )

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        state = self._checked_state(state_dict)
        choice(state["mode"], "state_dict['mode']", ("min", "max"))
        choice(state["threshold_mode"], "state_dict['threshold_mode']", ("rel", "abs"))
        super().load_state_dict(state)
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)
