"""Schedulers made of schedulers: SequentialLR (one after another, switching at
milestones) and ChainedScheduler (all of them at every step, their factors
multiplying)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from typing import Any

from ._base import LRScheduler, check_last_epoch, describe, integer, param_groups
from ._plateau import ReduceLROnPlateau


def _check_schedulers(owner: str, schedulers: Any, optimizer: Any) -> list[LRScheduler]:
    if isinstance(schedulers, (str, bytes)) or not isinstance(schedulers, Sequence):
        raise TypeError(f"schedulers must be a list of schedulers, got {type(schedulers).__name__}")
    if len(schedulers) < 1:
        what = "to be chained" if owner == "ChainedScheduler" else ""
        raise ValueError(
            f"{owner} expects at least one scheduler{' ' + what if what else ''}, but got no scheduler."
        )
    for i, scheduler in enumerate(schedulers):
        if not isinstance(scheduler, LRScheduler):
            raise TypeError(
                f"{owner} at index {i} should be a fastgd.lr_scheduler scheduler, got "
                f"{type(scheduler).__name__}"
            )
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(  # noqa: TRY004 - torch's type and words
                f"{owner} does not support `ReduceLROnPlateau` scheduler as it requires "
                "additional kwargs to be specified when calling `step`, but got one at index "
                f"{i} in the given schedulers sequence."
            )
        if scheduler.optimizer is not optimizer:
            raise ValueError(
                f"{owner} expects all schedulers to belong to the same optimizer, but got "
                f"scheduler {type(scheduler).__name__} at index {i} with another optimizer"
            )
    return list(schedulers)


def _nested_states(owner: LRScheduler, state_dict: Any) -> list[Any]:
    """state_dict["_schedulers"], one state dict per scheduler, or an error."""
    name = type(owner).__name__
    if not isinstance(state_dict, Mapping) or "_schedulers" not in state_dict:
        raise ValueError(f"state_dict must be a dict from {name}.state_dict(), with '_schedulers'")
    nested = state_dict["_schedulers"]
    count = len(owner._schedulers)  # type: ignore[attr-defined]
    if not isinstance(nested, list) or len(nested) != count:
        raise ValueError(
            f"state_dict['_schedulers'] must hold {count} state dicts, got {describe(nested)}"
        )
    return nested


def _load_all(owner: LRScheduler, state_dict: Mapping[str, Any]) -> None:
    """Load the owner's own entries and every scheduler's, all or nothing: when one
    refuses its state dict, the ones loaded before it are put back as they were."""
    nested = _nested_states(owner, state_dict)
    rest = {k: v for k, v in state_dict.items() if k != "_schedulers"}
    state = owner._checked_state(rest)
    schedulers: list[LRScheduler] = owner._schedulers  # type: ignore[attr-defined]
    before = [s.state_dict() for s in schedulers]
    try:
        for s, sub in zip(schedulers, nested, strict=True):
            s.load_state_dict(sub)
    except BaseException:
        for s, saved in zip(schedulers, before, strict=True):
            s.load_state_dict(saved)
        raise
    LRScheduler.load_state_dict(owner, state)


class SequentialLR(LRScheduler):
    """Runs ``schedulers[0]`` until ``milestones[0]``, then ``schedulers[1]`` (restarted
    at epoch 0 through its closed form, as torch does) until ``milestones[1]``, ...

    Every scheduler must be built on ``optimizer`` before; a ChainedScheduler or
    SequentialLR may be the first, not a later one (torch fails when it switches to
    one)."""

    def __init__(
        self,
        optimizer: Any,
        schedulers: list[LRScheduler],
        milestones: list[int],
        last_epoch: int = -1,
    ) -> None:
        groups = param_groups(optimizer)
        epoch = check_last_epoch(last_epoch, groups)
        scheds = _check_schedulers("SequentialLR", schedulers, optimizer)
        if isinstance(milestones, (str, bytes)) or not isinstance(milestones, Sequence):
            raise TypeError(
                f"milestones must be a list of integers, got {type(milestones).__name__}"
            )
        if len(milestones) != len(scheds) - 1:
            raise ValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more "
                "than the number of milestone points, but got number of schedulers "
                f"{len(scheds)} and the number of milestones to be equal to {len(milestones)}"
            )
        marks = [integer(m, "milestones[]", 0) for m in milestones]
        if marks != sorted(marks):
            raise ValueError(f"milestones must be in increasing order, got {marks}")
        for i, s in enumerate(scheds[1:], start=1):
            if isinstance(s, (SequentialLR, ChainedScheduler)):
                raise ValueError(  # noqa: TRY004 - a valid scheduler in the wrong place
                    f"SequentialLR cannot switch to a {type(s).__name__} (index {i}) at a "
                    "milestone; only the first scheduler may be one"
                )
        for i, group in enumerate(groups):
            if "initial_lr" not in group:
                raise ValueError(
                    f"param_groups[{i}] has no 'initial_lr': build the schedulers first"
                )
        self._schedulers = scheds
        self._milestones = marks
        self.last_epoch = epoch + 1
        self.optimizer = optimizer
        for group in groups:
            group["lr"] = group["initial_lr"]
        self._recursive_undo(self)
        idx = bisect_right(self._milestones, 0)
        self._schedulers[idx]._initial_step()
        self._last_lr = self._schedulers[idx].get_last_lr()

    def _recursive_undo(self, sched: LRScheduler) -> None:
        """Take back the first step each scheduler took when it was built."""
        if isinstance(sched, (SequentialLR, ChainedScheduler)):
            for s in sched._schedulers:
                self._recursive_undo(s)
        else:
            sched.last_epoch -= 1

    def step(self, epoch: None = None) -> None:
        """One epoch further, in the scheduler whose turn it is."""
        if epoch is not None:
            super().step(epoch)  # refuses it
        param_groups(self.optimizer)
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    _STATE = ("_milestones", "last_epoch", "_last_lr")

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        marks = state_dict.get("_milestones") if isinstance(state_dict, Mapping) else None
        if not isinstance(marks, list) or len(marks) != len(self._schedulers) - 1:
            raise ValueError(
                f"state_dict['_milestones'] must be a list of {len(self._schedulers) - 1} "
                f"integers, got {describe(marks)}"
            )
        _load_all(self, state_dict)


class ChainedScheduler(LRScheduler):
    """Steps every scheduler in the list at each step(), in order, so their effects
    multiply (for the chainable ones, e.g. ConstantLR + ExponentialLR). Like torch's, it
    has no last_epoch of its own."""

    def __init__(self, schedulers: Sequence[LRScheduler], optimizer: Any = None) -> None:
        if isinstance(schedulers, (str, bytes)) or not isinstance(schedulers, Sequence):
            raise TypeError(
                f"schedulers must be a list of schedulers, got {type(schedulers).__name__}"
            )
        if len(schedulers) < 1:
            raise ValueError(
                "ChainedScheduler expects at least one scheduler to be chained, but got no scheduler."
            )
        if optimizer is None:
            optimizer = getattr(schedulers[0], "optimizer", None)
        scheds = _check_schedulers("ChainedScheduler", schedulers, optimizer)
        self._schedulers = scheds
        self.optimizer = optimizer
        self._last_lr = [group["lr"] for group in param_groups(optimizer)]

    def step(self, epoch: None = None) -> None:
        """Step every scheduler once."""
        if epoch is not None:
            super().step(epoch)  # refuses it
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = [group["lr"] for group in param_groups(self.optimizer)]

    _STATE = ("_last_lr",)
    _OPTIONAL = ("_step_count",)  # as torch: set when a SequentialLR starts it

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        _load_all(self, state_dict)
