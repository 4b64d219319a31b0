"""LRScheduler, the base of every scheduler, and the checks they share.

A scheduler reads and writes ``optimizer.param_groups``: a list of dicts, each with an
"lr" (torch.optim's optimizers and fastgd's have them). It never imports torch.
"""

from __future__ import annotations

import copy
import math
import numbers
import types
import warnings
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import Any, ClassVar

from ..schedules import Schedule

Group = MutableMapping[str, Any]

# keys torch keeps in a scheduler's state_dict that fastgd has no use for: a state dict
# saved by torch loads without them being an error
TORCH_ONLY_KEYS = frozenset({"_is_initial", "_get_lr_called_within_step", "_scale_fn_ref"})
# state entries that hold one number per param group
PER_GROUP_KEYS = frozenset({"base_lrs", "_last_lr", "min_lrs", "max_lrs"})


def describe(value: Any, limit: int = 60) -> str:
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - any failing repr is replaced by the type's name
        return f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def param_groups(optimizer: Any) -> Sequence[Group]:
    """optimizer.param_groups, checked: a non-empty list of dicts with a numeric "lr"."""
    groups = getattr(optimizer, "param_groups", None)
    need = (
        "a scheduler needs an optimizer with param_groups: a list of dicts, each with an "
        "'lr' (torch.optim and fastgd optimizers built from params have them)"
    )
    if groups is None:
        raise TypeError(f"{need}; got {type(optimizer).__name__}, which has no param_groups")
    if not isinstance(groups, Sequence) or isinstance(groups, (str, bytes)):
        raise TypeError(f"{need}; got param_groups of type {type(groups).__name__}")
    if len(groups) == 0:
        raise ValueError("optimizer.param_groups is empty: add a parameter group first")
    for i, group in enumerate(groups):
        if not isinstance(group, MutableMapping):
            raise TypeError(f"{need}; param_groups[{i}] is a {type(group).__name__}")
        if "lr" not in group:
            raise TypeError(f"{need}; param_groups[{i}] has no 'lr'")
        lr = group["lr"]
        if isinstance(lr, Schedule):
            raise TypeError(
                f"optimizer.param_groups[{i}]['lr'] is a fastgd.schedules Schedule, which the "
                "optimizer evaluates itself at every step; to drive lr with "
                "fastgd.lr_scheduler, give the optimizer a number as lr"
            )
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
            raise TypeError(
                f"optimizer.param_groups[{i}]['lr'] must be a real number, got "
                f"{type(lr).__name__} {describe(lr)}"
            )
    return groups


def real(value: Any, name: str, *, low: float | None = None, low_open: bool = False) -> float:
    """A finite real number (bools refused), optionally > low or >= low."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number, got {type(value).__name__} {describe(value)}"
        )
    try:
        x = float(value)
    except OverflowError:
        raise ValueError(f"{name} must be a finite number, got {describe(value)}") from None
    if not math.isfinite(x):
        raise ValueError(f"{name} must be a finite number, got {describe(value)}")
    if low is not None and (x <= low if low_open else x < low):
        raise ValueError(
            f"{name} must be {'>' if low_open else '>='} {low:g}, got {describe(value)}"
        )
    return x


def integer(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {describe(value)}")
    x = int(value)
    if x < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {x}")
    return x


def boolean(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__}")
    return value


def choice(value: Any, name: str, options: tuple[str, ...], message: str | None = None) -> str:
    if not isinstance(value, str) or value not in options:
        raise ValueError(
            message
            or f"{name} must be one of {', '.join(map(repr, options))}, got {describe(value)}"
        )
    return value


def per_group(
    value: Any, name: str, groups: Sequence[Group], *, low: float | None = None
) -> list[float]:
    """One real number for every group: a number (the same for all) or a list/tuple with
    one per group, as torch's _format_param."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(groups):
            raise ValueError(
                f"{name} must have the same length as optimizer.param_groups. "
                f"{name} has {len(value)} values, param_groups has {len(groups)}."
            )
        return [real(x, f"{name}[{i}]", low=low) for i, x in enumerate(value)]
    return [real(value, name, low=low)] * len(groups)


def callables(lr_lambda: Any, groups: Sequence[Group], name: str = "lr_lambda") -> list[Any]:
    """A callable for every group: one callable, or a list/tuple of one per group."""
    fns = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * len(groups)
    if isinstance(lr_lambda, (list, tuple)) and len(fns) != len(groups):
        raise ValueError(f"Expected {len(groups)} lr_lambdas, but got {len(fns)}")
    for fn in fns:
        if not callable(fn):
            raise TypeError(f"{name} should be a function, but got {type(fn).__name__}")
    return fns


def check_last_epoch(last_epoch: Any, groups: Sequence[Group], *keys: str) -> int:
    """last_epoch is -1 (a fresh start) or the epoch to resume from, in which case the
    groups must hold what a previous scheduler put there ("initial_lr" and ``keys``)."""
    epoch = integer(last_epoch, "last_epoch", -1)
    if epoch >= 0:
        for i, group in enumerate(groups):
            for key in ("initial_lr", *keys):
                if key not in group:
                    raise ValueError(
                        f"last_epoch={epoch} resumes a schedule, but param_groups[{i}] has no "
                        f"{key!r}: load the optimizer's state dict first, or use last_epoch=-1 "
                        "for a fresh start"
                    )
    return epoch


def refuse_epoch(epoch: Any) -> None:
    if epoch is not None:
        raise TypeError(
            "step(epoch) is not supported: torch deprecated the epoch argument (the closed "
            "form it switches to differs from the chained one). Call step() once per epoch; "
            "to resume, load a state_dict or pass last_epoch to the constructor"
        )


class LRScheduler:
    """Base class of the schedulers: torch.optim.lr_scheduler.LRScheduler without torch.

    A subclass implements :meth:`get_lr` (called by :meth:`step` after ``last_epoch``
    was advanced; it returns the new lr of every group) and, optionally,
    ``_get_closed_form_lr`` (used when :class:`SequentialLR` restarts it at a
    milestone). Building a scheduler with ``last_epoch=-1`` stores every group's
    "lr" as its "initial_lr" (unless the group has one already) and takes the first
    step, which may change "lr" (LinearLR, ConstantLR, OneCycleLR, ...).

    Unlike torch, ``step()`` takes no ``epoch`` (deprecated in torch; refused with a
    TypeError), and no warning is issued when ``step()`` comes before the optimizer's:
    the optimizer is not patched.
    """

    _STATE: ClassVar[tuple[str, ...]] = ("base_lrs", "last_epoch", "_step_count", "_last_lr")
    _OPTIONAL: ClassVar[tuple[str, ...]] = ()  # saved when present, loaded when given
    _is_initial: bool = False
    _get_lr_called_within_step: bool = False

    optimizer: Any
    base_lrs: list[float]
    last_epoch: int
    _step_count: int
    _last_lr: list[float]

    def __init__(self, optimizer: Any, last_epoch: int = -1) -> None:
        groups = param_groups(optimizer)
        epoch = check_last_epoch(last_epoch, groups)
        self.optimizer = optimizer
        if epoch == -1:
            for group in groups:
                group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in groups]
        self.last_epoch = epoch
        self._initial_step()

    # --- stepping -------------------------------------------------------------------

    def _initial_step(self) -> None:
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def _groups(self) -> Sequence[Group]:
        """The optimizer's groups, as many as when the scheduler was built."""
        groups = param_groups(self.optimizer)
        if len(groups) != len(self.base_lrs):
            raise ValueError(
                f"the optimizer has {len(groups)} param_groups, the scheduler was built for "
                f"{len(self.base_lrs)}: build the scheduler after add_param_group"
            )
        return groups

    def step(self, epoch: None = None) -> None:
        """Advance the schedule by one epoch (or batch) and set every group's "lr"."""
        refuse_epoch(epoch)
        self._groups()
        counters = (self._step_count, self.last_epoch)
        self._step_count += 1
        try:
            self._update_lr()
        except BaseException:  # e.g. a user's lr_lambda failed: the groups' lr are unchanged
            self._step_count, self.last_epoch = counters
            raise

    def _update_lr(self, epoch: int | None = None) -> None:
        groups = self._groups()
        self._get_lr_called_within_step = True
        try:
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:  # SequentialLR's restart at a milestone: the closed form where there is one
                self.last_epoch = epoch
                closed = getattr(self, "_get_closed_form_lr", None)
                values = closed() if closed is not None else self.get_lr()
        finally:
            self._get_lr_called_within_step = False
        for group, lr in zip(groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in groups]

    def get_lr(self) -> list[float]:
        """The next lr of every group (subclasses implement it; step() calls it). To read
        the current rates, use :meth:`get_last_lr`."""
        raise NotImplementedError

    def _warn_outside_step(self) -> None:
        if not self._get_lr_called_within_step:
            warnings.warn(
                "To get the last learning rate computed by the scheduler, please use "
                "`get_last_lr()`.",
                UserWarning,
                stacklevel=3,
            )

    def get_last_lr(self) -> list[float]:
        """The learning rates the last step set, one per param group (a copy)."""
        return list(self._last_lr)

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    # --- state ----------------------------------------------------------------------

    def _state_keys(self) -> tuple[str, ...]:
        return self._STATE

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state as a dict of plain values (not the optimizer), with
        torch's keys: torch's scheduler of the same kind loads it, and this one loads
        torch's."""
        keys = (*self._state_keys(), *(k for k in self._OPTIONAL if k in vars(self)))
        return {key: copy.deepcopy(getattr(self, key)) for key in keys}

    def _checked_state(self, state_dict: Any) -> dict[str, Any]:
        """The entries of state_dict this scheduler keeps, or an error that changes nothing."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"state_dict must be a dict from {type(self).__name__}.state_dict(), got "
                f"{type(state_dict).__name__}"
            )
        keys = set(self._state_keys())
        missing = sorted(keys - set(state_dict))
        extra = sorted(set(state_dict) - keys - TORCH_ONLY_KEYS - set(self._OPTIONAL))
        if missing or extra:
            raise ValueError(
                f"state_dict does not fit {type(self).__name__} as built: "
                + (f"missing {missing}" if missing else "")
                + ("; " if missing and extra else "")
                + (f"unexpected {extra}" if extra else "")
                + " (was it saved from another kind of scheduler or another configuration?)"
            )
        n = len(self.optimizer.param_groups)
        for key in keys | (set(self._OPTIONAL) & set(state_dict)):
            value = state_dict[key]
            per_group_list = key in PER_GROUP_KEYS or key.endswith("momentums")
            if per_group_list and (
                not isinstance(value, list)
                or len(value) != n
                or not all(isinstance(x, numbers.Real) and not isinstance(x, bool) for x in value)
            ):
                raise ValueError(
                    f"state_dict[{key!r}] must be a list of {n} numbers (one per param "
                    f"group), got {describe(value)}"
                )
            if key in ("last_epoch", "_step_count"):
                integer(value, f"state_dict[{key!r}]", -1)
        return {key: state_dict[key] for key in (*keys, *self._OPTIONAL) if key in state_dict}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore a state from :meth:`state_dict` (this scheduler's or torch's)."""
        state = self._checked_state(state_dict)
        for key, value in state.items():
            setattr(self, key, copy.deepcopy(value))


def lambdas_state(fns: list[Callable[[int], float]]) -> list[dict[str, Any] | None]:
    """As torch: a callable object is saved by its __dict__, a function not at all."""
    saved: list[dict[str, Any] | None] = []
    for fn in fns:
        has_state = not isinstance(fn, types.FunctionType) and hasattr(fn, "__dict__")
        saved.append(dict(vars(fn)) if has_state else None)  # as torch: a shallow copy
    return saved
