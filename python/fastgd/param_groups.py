"""Parameter groups, as torch.optim has them: many arrays stepped by one optimizer.

An optimizer given ``params`` at construction (``fastgd.Adam([W1, b1], lr=...)``, a
dict ``{"W1": W1, ...}`` or a list of group dicts whose options override the
defaults) keeps ``param_groups``, a list of dicts ("params" plus the hyperparameters
under torch's names). Changing a group's option (``group["lr"] = 0.01``, as
``fastgd.lr_scheduler`` does) takes effect at the next step, the moments kept.

Every step is one call into C++: it checks every array and grad first (a refused step
changes nothing), then releases the GIL once and steps all arrays, short ones batched
and long ones split over the threads. State is kept per array and bound to it.

This module holds that machinery; :class:`fastgd.optimizers.Optimizer` is its face.
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Callable, Iterable, Mapping
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _core
from . import _validation as v

if TYPE_CHECKING:
    from .optimizers import Optimizer

#: Keys of torch's param_groups that configure torch's kernels, not the rule: accepted
#: from a torch state_dict when set as fastgd runs (value None or False), then dropped.
TORCH_KERNEL_OPTIONS = ("foreach", "fused", "capturable", "differentiable")

#: Keys torch's lr schedulers (and fastgd.lr_scheduler) add to a group: their bookkeeping,
#: kept in the group and in its state_dict as torch keeps them, never a rule's option.
SCHEDULER_KEYS = ("initial_lr", "max_lr", "min_lr", "base_momentum", "max_momentum")


class ParamGroup(dict[str, Any]):
    """A parameter group: a dict that notes when an option changes, so that the next
    step reads the new hyperparameters (and only then: checking every group at every
    step would cost more than stepping small arrays)."""

    changed: bool = False

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.changed = True

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self.changed = True

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self.changed = True

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.changed = True
        return super().setdefault(key, default)

    def pop(self, key: str, *default: Any) -> Any:
        self.changed = True
        return super().pop(key, *default)

    def clear(self) -> None:
        super().clear()
        self.changed = True

    def options(self) -> dict[str, Any]:
        """The hyperparameters: everything but the arrays, their names and the keys
        torch's lr schedulers keep in a group (SCHEDULER_KEYS)."""
        return {
            k: x for k, x in self.items() if k not in ("params", "param_names", *SCHEDULER_KEYS)
        }


def _is_array_list(x: Any) -> bool:
    return isinstance(x, (list, tuple))


def check_inplace(a: Any, where: str) -> np.ndarray:
    """An array the optimizer may update in place, or an error naming it."""
    if not isinstance(a, np.ndarray):
        kind = type(a).__name__
        hint = (
            " (a torch tensor: pass tensor.numpy(), a view of its memory)"
            if "Tensor" in kind
            else ""
        )
        raise TypeError(
            f"{where} must be a numpy.ndarray (it is updated in place), got {kind}{hint}"
        )
    if a.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"{where} must be float32 or float64 to be updated in place, got {a.dtype}")
    if not a.flags.c_contiguous:
        raise ValueError(
            f"{where} must be C-contiguous to be updated in place (got a strided view); use "
            "np.ascontiguousarray and step that array"
        )
    if not a.flags.writeable:
        raise ValueError(f"{where} is read-only; it is updated in place")
    if not a.flags.aligned:
        raise ValueError(f"{where} is not aligned to its dtype; step an aligned copy")
    return a


def _not_params(value: Any, where: str) -> TypeError:
    hint = (
        "; the learning rate is a keyword: e.g. Adam(params, lr=0.01)"
        if isinstance(value, numbers.Number)
        else ""
    )
    return TypeError(
        f"{where} must be an iterable of arrays, a dict name -> array or a list of parameter-group "
        f"dicts, got {type(value).__name__}{hint}"
    )


def _arrays_and_names(value: Any, where: str) -> tuple[list[np.ndarray], list[str] | None]:
    """A group's params: a list of arrays, a dict name -> array, or (name, array) pairs."""
    if isinstance(value, np.ndarray):
        return [check_inplace(value, where)], None  # torch allows one tensor as a group's params
    if isinstance(value, Mapping):
        names = list(value)
        if not all(isinstance(n, str) for n in names):
            raise TypeError(
                f"{where}: parameter names must be strings, got {[v.describe(n) for n in names]}"
            )
        arrays = [check_inplace(value[n], f"{where}[{n!r}]") for n in names]
        return arrays, names
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise _not_params(value, where)
    items = list(value)
    if items and all(isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], str) for x in items):
        names = [x[0] for x in items]
        return [check_inplace(x[1], f"{where}[{x[0]!r}]") for x in items], names
    return [check_inplace(a, f"{where}[{i}]") for i, a in enumerate(items)], None


def normalise(params: Any, defaults: Mapping[str, Any]) -> list[ParamGroup]:
    """torch's three forms of ``params`` as a list of groups, each with every option
    (the group's own, else the default). Arrays are checked for in-place updates."""
    if isinstance(params, np.ndarray):
        raise TypeError(
            "params must be an iterable of arrays (e.g. [W, b]), a dict name -> array or a list of "
            "parameter-group dicts, got one numpy.ndarray; for one array, pass [array]"
        )
    if isinstance(params, Mapping):
        raw_groups: list[Any] = [{"params": params}]
    elif isinstance(params, (str, bytes)) or not isinstance(params, Iterable):
        raise _not_params(params, "params")
    else:
        raw = list(params)
        if not raw:
            raise ValueError("optimizer got an empty parameter list")
        dicts = [isinstance(x, Mapping) for x in raw]
        if all(dicts):
            raw_groups = raw
        elif any(dicts):
            raise TypeError(
                "params mixes parameter-group dicts and arrays; give either arrays or group dicts"
            )
        else:
            raw_groups = [{"params": raw}]
    return [group_from(g, defaults, f"param_groups[{i}]") for i, g in enumerate(raw_groups)]


def group_from(raw: Any, defaults: Mapping[str, Any], where: str) -> ParamGroup:
    """One group dict: its arrays checked, missing options filled from the defaults."""
    if not isinstance(raw, Mapping):
        raise TypeError(f"{where} must be a dict with 'params', got {type(raw).__name__}")
    if "params" not in raw:
        raise ValueError(f"{where} must have the key 'params' (its arrays)")
    arrays, names = _arrays_and_names(raw["params"], f"{where}['params']")
    group = ParamGroup(params=arrays)
    if names is not None or "param_names" in raw:
        given = raw.get("param_names", names)
        if not _is_array_list(given) or len(given) != len(arrays):
            raise ValueError(f"{where}['param_names'] must name each of its {len(arrays)} arrays")
        group["param_names"] = list(given)
    for key, value in raw.items():
        if key not in ("params", "param_names"):
            group[key] = value
    for key, value in defaults.items():
        group.setdefault(key, value)
    group.changed = True
    return group


def refuse_repeats(groups: list[ParamGroup]) -> None:
    """torch's rule: an array appears in one group, once (memory shared counts too)."""
    spans = []
    for g, group in enumerate(groups):
        for j, a in enumerate(group["params"]):
            if a.size:
                start = a.__array_interface__["data"][0]
                spans.append((start, start + a.nbytes, g, j))
    spans.sort()
    for (_s0, e0, g0, j0), (s1, _e1, g1, j1) in pairwise(spans):
        if s1 < e0:
            raise ValueError(
                "some parameters appear in more than one parameter group (or share memory): "
                f"param_groups[{g0}]['params'][{j0}] and param_groups[{g1}]['params'][{j1}]"
            )


class Groups:
    """The arrays of an optimizer given params, their groups and the compiled state.

    ``rule_for(options)`` builds a single-array optimizer of the same class from a
    group's options: it checks them (the class's own validation and wording) and
    gives their core form and state names."""

    def __init__(
        self, kind: str, groups: list[ParamGroup], rule_for: Callable[[dict[str, Any]], Optimizer]
    ) -> None:
        refuse_repeats(groups)
        self.kind = kind
        self.rule_for = rule_for
        self.core = _core.ParamGroups(kind)
        self.groups = groups
        self.rules: list[Optimizer] = []
        for i, g in enumerate(groups):
            rule = self._rule(g, i)
            self.core.add_group(rule._core_hyper(), len(g["params"]))
            self.rules.append(rule)
            g.changed = False

    def _rule(self, group: ParamGroup, index: int) -> Optimizer:
        options = group.options()
        try:
            return self.rule_for(options)
        except TypeError as exc:
            raise TypeError(f"param_groups[{index}]: {exc}") from None
        except ValueError as exc:
            raise ValueError(f"param_groups[{index}]: {exc}") from None

    def add(self, raw: Any, defaults: Mapping[str, Any]) -> None:
        group = group_from(raw, defaults, f"param_groups[{len(self.groups)}]")
        refuse_repeats([*self.groups, group])
        rule = self._rule(group, len(self.groups))
        self.core.add_group(rule._core_hyper(), len(group["params"]))
        group.changed = False
        self.groups.append(group)
        self.rules.append(rule)

    def names(self) -> list[str] | None:
        """Every array's name, group after group, when the params were named."""
        if not any("param_names" in g for g in self.groups):
            return None
        out: list[str] = []
        for i, g in enumerate(self.groups):
            if "param_names" not in g:
                raise ValueError(
                    f"param_groups[{i}] has no 'param_names': name every group's arrays or none"
                )
            out.extend(g["param_names"])
        return out

    def flat_params(self) -> list[np.ndarray]:
        if len(self.groups) == 1:
            params = self.groups[0]["params"]
            return params if isinstance(params, list) else list(params)
        return [a for g in self.groups for a in g["params"]]

    def sync_options(self) -> None:
        """Hand changed options to the core (checked first: a bad one changes nothing)."""
        for i, g in enumerate(self.groups):
            if g.changed:
                rule = self._rule(g, i)
                self.core.set_group(i, rule._core_hyper())
                self.rules[i] = rule
                g.changed = False

    def flat_grads(self, grads: Any) -> list[Any]:
        """grads as one flat list: a list in the params' order, or a dict by name."""
        if type(grads) is list:  # the usual case, as it is (the core checks its length)
            return grads
        count = sum(len(g["params"]) for g in self.groups)
        if isinstance(grads, Mapping):
            names = self.names()
            if names is None:
                raise TypeError(
                    "grads is a dict but the params have no names; pass a list in the params' order"
                )
            unknown = [k for k in grads if k not in set(names)]
            if unknown:
                raise ValueError(f"grads has names the params do not: {unknown}")
            return [grads.get(n) for n in names]
        if not _is_array_list(grads):
            if isinstance(grads, (np.ndarray, str, bytes)) or not isinstance(grads, Iterable):
                raise TypeError(
                    "grads must be a list with one array (or None) per parameter array, group after "
                    f"group, or a dict by name; got {type(grads).__name__}"
                )
            grads = list(grads)
        if len(grads) != count:
            raise ValueError(
                f"grads has {len(grads)} entries but the optimizer has {count} arrays (one grad, or None, "
                "per array, group after group)"
            )
        return grads if isinstance(grads, list) else list(grads)

    def step(self, grads: Any, convert: Callable[[Any, np.ndarray, str], np.ndarray]) -> None:
        self.sync_options()
        params = self.flat_params()
        flat = self.flat_grads(grads)
        try:
            self.core.step(params, flat)
        except _core.GradNeedsConversion:
            converted = [
                None if g is None else convert(g, check_inplace(p, f"params[{i}]"), f"grads[{i}]")
                for i, (p, g) in enumerate(zip(params, flat, strict=True))
            ]
            self.core.step(params, converted)

    # --- state_dict in torch's structure -------------------------------------------------

    def state_dict(self, with_mu_product: bool) -> dict[str, Any]:
        """{"state": {index: {"step": n, name: array shaped like the param, ...}},
        "param_groups": [{options..., "params": [indices]}]}: torch's structure, copies."""
        exported = self.core.state()
        state: dict[int, dict[str, Any]] = {}
        groups: list[dict[str, Any]] = []
        index = 0
        for group, rule in zip(self.groups, self.rules, strict=True):
            indices = []
            for a in group["params"]:
                saved = exported[index]
                if saved is not None:
                    steps, mu_product, arrays, _size, _dtype, extras = saved
                    entry: dict[str, Any] = {"step": int(steps)}
                    layout = rule._state_layout(a.shape)  # torch's names and shapes
                    entry.update(
                        (n, s.reshape(shape)) for (n, shape), s in zip(layout, arrays, strict=True)
                    )
                    if with_mu_product:
                        entry["mu_product"] = float(mu_product)
                    for name in rule._state_scalars:  # ASGD's eta and mu
                        entry[name] = float(extras[name])
                    state[index] = entry
                indices.append(index)
                index += 1
            saved_group = {k: x for k, x in group.items() if k not in ("params", "param_names")}
            saved_group["params"] = indices
            if "param_names" in group:
                saved_group["param_names"] = list(group["param_names"])
            groups.append(saved_group)
        return {"state": state, "param_groups": groups}

    def load_state_dict(
        self, saved: Any, implied: Mapping[str, Any], nonnegative: frozenset[str]
    ) -> None:
        """Restore a state_dict from fastgd or torch.optim: the saved options replace the
        groups' (torch's semantics), the arrays stay. ``implied`` maps torch options this
        class does not take to the only value it runs with (AdamW's decoupled weight
        decay). Everything is checked before anything changes."""
        if not isinstance(saved, Mapping) or "state" not in saved or "param_groups" not in saved:
            raise ValueError(
                "state_dict must be a dict with 'state' and 'param_groups' (from state_dict() of an "
                "optimizer given params, or of torch.optim)"
            )
        saved_groups = saved["param_groups"]
        if not _is_array_list(saved_groups) or not all(
            isinstance(g, Mapping) for g in saved_groups
        ):
            raise TypeError("state_dict['param_groups'] must be a list of dicts")
        if len(saved_groups) != len(self.groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for g, ours in zip(saved_groups, self.groups, strict=True):
            if (
                "params" not in g
                or not _is_array_list(g["params"])
                or len(g["params"]) != len(ours["params"])
            ):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size of "
                    "optimizer's group"
                )
        states = saved["state"]
        if not isinstance(states, Mapping):
            raise TypeError("state_dict['state'] must be a dict index -> state of that array")
        ids = [i for g in saved_groups for i in g["params"]]
        unknown = [k for k in states if k not in set(ids)]
        if unknown:
            raise ValueError(f"state_dict['state'] has entries for no parameter: {unknown[:5]}")
        rules, options_list = [], []
        for i, g in enumerate(saved_groups):
            options = {k: x for k, x in g.items() if k not in ("params", "param_names")}
            for key in TORCH_KERNEL_OPTIONS:
                if key in options:
                    value = options.pop(key)
                    if value not in (None, False):
                        raise ValueError(
                            f"param_groups[{i}]['{key}']={value!r} is a torch kernel option fastgd does not have"
                        )
            for key, only in implied.items():
                if key in options:
                    value = options.pop(key)
                    if value != only:
                        raise ValueError(
                            f"param_groups[{i}]['{key}'] must be {only!r} for this optimizer, got {value!r}"
                        )
            rules.append(self._rule(ParamGroup(options), i))
            options_list.append(options)
        core_states: list[Any] = []
        flat = 0
        for g, ours, rule in zip(saved_groups, self.groups, rules, strict=True):
            for saved_id, param in zip(g["params"], ours["params"], strict=True):
                entry = states.get(saved_id)
                core_states.append(
                    _entry(entry, rule, param, f"state_dict['state'][{saved_id!r}]", nonnegative)
                )
                flat += 1
        self.core.load_state([r._core_hyper() for r in rules], core_states)
        for i, (g, options) in enumerate(zip(saved_groups, options_list, strict=True)):
            group = ParamGroup(params=self.groups[i]["params"])
            if "param_names" in g or "param_names" in self.groups[i]:
                group["param_names"] = list(
                    g.get("param_names", self.groups[i].get("param_names", []))
                )
            group.update(options)
            group.changed = False
            self.groups[i] = group
        self.rules = rules


def _count(value: Any, where: str) -> int:
    """A step count from an int, an integral float, or a 0-d array or tensor."""
    try:
        x = np.asarray(value)
        ok = x.shape == () and x.dtype.kind in "iuf" and float(x) == int(x)
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok or not 0 <= int(x) <= 2**53:
        raise ValueError(f"{where} must be an integer in [0, 2**53], got {v.describe(value)}")
    return int(x)


def _entry(
    entry: Any, rule: Optimizer, param: np.ndarray, where: str, nonnegative: frozenset[str]
) -> tuple[int, float, list[np.ndarray], int, str, dict[str, Any]] | None:
    """One array's saved state in the core's form, checked, cast to the param's dtype
    (torch's rule); None when there is none."""
    if entry is None or (isinstance(entry, Mapping) and not entry):
        return None
    if not isinstance(entry, Mapping):
        raise TypeError(f"{where} must be a dict of the array's state, got {type(entry).__name__}")
    layout = rule._state_layout(param.shape)  # torch's names and shapes
    names = [name for name, _ in layout]
    known = {"step", *names, *rule._state_scalars} | (
        {"mu_product"} if rule.kind == "nadam" else set()
    )
    extra = [k for k in entry if k not in known]
    if extra:
        raise ValueError(
            f"{where} has keys {extra} that {type(rule).__name__} does not keep; expected {sorted(known)}"
        )
    if "step" in entry:
        steps = _count(entry["step"], f"{where}['step']")
    elif rule.kind == "sgd":
        steps = 1  # torch's SGD keeps no step count; a saved buffer means a step was taken
    else:
        raise ValueError(f"{where} has no 'step'")
    arrays = []
    for name, shape in layout:
        if name not in entry:
            raise ValueError(f"{where} is missing {name!r}")
        try:
            a = np.asarray(entry[name])
        except Exception as exc:  # noqa: BLE001 - anything that is not an array
            raise ValueError(f"{where}[{name!r}] could not be read as an array: {exc}") from None
        if a.dtype.kind != "f":
            raise ValueError(
                f"{where}[{name!r}] must be a floating-point array, got dtype {a.dtype}"
            )
        if a.shape != shape:
            raise ValueError(
                f"{where}[{name!r}] has shape {a.shape} but its parameter has shape {param.shape}"
                + ("" if shape == param.shape else f" (for which it must be {shape})")
            )
        a = np.ascontiguousarray(a, dtype=param.dtype).reshape(-1)
        if not np.isfinite(a).all():
            raise ValueError(f"{where}[{name!r}] must be finite, got NaN or infinite values")
        if name in nonnegative and (a < 0).any():
            raise ValueError(f"{where}[{name!r}] must be >= 0 (a sum or average of squares)")
        arrays.append(a)
    if steps == 0:
        if arrays:
            raise ValueError(f"{where} has state arrays but step 0")
        return None
    mu_product = 1.0
    if rule.kind == "nadam":
        if "mu_product" not in entry:
            raise ValueError(
                f"{where} is missing 'mu_product' (NAdam's product of momentum factors)"
            )
        try:
            mu_product = float(np.asarray(entry["mu_product"]))
        except (TypeError, ValueError):
            mu_product = -1.0
        if not 0.0 <= mu_product <= 1.0:
            raise ValueError(
                f"{where}['mu_product'] must be a number in [0, 1], got {v.describe(entry['mu_product'])}"
            )
    extras: dict[str, Any] = {"shape": tuple(int(n) for n in param.shape)}
    for name in rule._state_scalars:  # ASGD's eta and mu, checked again in the core
        if name not in entry:
            raise ValueError(f"{where} is missing {name!r}")
        try:
            extras[name] = float(np.asarray(entry[name]))
        except (TypeError, ValueError, OverflowError):
            raise ValueError(
                f"{where}[{name!r}] must be a number, got {v.describe(entry[name])}"
            ) from None
    return steps, mu_product, arrays, int(param.size), param.dtype.name, extras


def to_torch(state_dict: Mapping[str, Any]) -> dict[str, Any]:
    """A parameter-group state_dict with its arrays as torch tensors (copies) and
    steps as torch keeps them (float32 scalars), ready for torch.optim's
    ``load_state_dict``. Needs torch (imported here only)."""
    import torch  # optional: imported for this conversion only

    def tensor(x: Any, key: str) -> Any:
        if key == "step":
            return torch.tensor(float(x), dtype=torch.float32)
        if key in ("mu_product", "eta", "mu"):  # NAdam's, ASGD's: float32 scalars in torch
            return torch.tensor(float(x), dtype=torch.float32)
        return torch.from_numpy(np.array(x, copy=True)) if isinstance(x, np.ndarray) else x

    if (
        not isinstance(state_dict, Mapping)
        or "state" not in state_dict
        or "param_groups" not in state_dict
    ):
        raise ValueError(
            "state_dict must be a parameter-group state_dict (with 'state' and 'param_groups')"
        )
    return {
        "state": {
            i: {k: tensor(x, k) for k, x in entry.items()}
            for i, entry in state_dict["state"].items()
        },
        "param_groups": copy.deepcopy(list(state_dict["param_groups"])),
    }
