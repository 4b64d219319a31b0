"""fastgd.LBFGS: torch.optim.LBFGS on NumPy arrays updated in place.

The constructor, its defaults, ``step(closure)``, ``param_groups`` and the state_dict
are torch's; the closure, as NumPy has no autograd, returns ``(loss, grads)`` with one
gradient per parameter array (a single array when there is one parameter). The
algorithm (torch's, with its strong-Wolfe line search) runs in C++
(``fastgd/torch_lbfgs.hpp``) on a flat float64 copy of the parameters and writes each
point into the arrays before calling the closure there.

Where it differs from torch, on purpose:

- The arithmetic is float64 whatever the params' dtype: float32 params are rounded to
  float32 at every write (as float32 torch params hold them), but the steps are
  computed in float64; torch computes them in float32. float64 params give torch's
  numbers (to a few ulps: sums and dot products are not added in BLAS's order).
- A non-finite loss or gradient from the closure is a ValueError (torch steps on with
  NaN): the params go back to the last point of finite values, and the state to the
  end of the last completed iteration.
- An exception from the closure (KeyboardInterrupt included) propagates, with the
  params at the point where the closure was called, as in torch; the state goes back
  to the end of the last completed iteration (torch keeps a partly updated state).
  Ctrl-C is also checked between iterations.
- ``lr`` must be > 0, ``max_iter``, ``max_eval`` and ``history_size`` >= 1 (torch takes 0,
  which makes no step or, with the line search, fails inside it);
  ``line_search_fn`` other than None and "strong_wolfe" is refused at construction
  (torch refuses it at the first step).
- Changing ``history_size`` in ``param_groups`` keeps the newest pairs.

As in torch, with ``line_search_fn="strong_wolfe"`` a step may call the closure
``max_eval + 1`` times: the line search is given ``max_eval - evaluations so far``
evaluations besides its first.

Thread-safety: one step (or state_dict, load_state_dict, reset) at a time, under a
lock; calling ``step`` from inside its own closure is an error.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from . import _core
from . import _validation as v
from .param_groups import SCHEDULER_KEYS, ParamGroup, check_inplace, refuse_repeats

__all__ = ["LBFGS"]

#: torch's options of an LBFGS parameter group, in torch's order.
OPTIONS = (
    "lr",
    "max_iter",
    "max_eval",
    "tolerance_grad",
    "tolerance_change",
    "history_size",
    "line_search_fn",
)

#: Keys a group may hold: the arrays, the options, and what lr schedulers keep there.
_GROUP_KEYS = ("params", *OPTIONS, *SCHEDULER_KEYS)

_STATE_KEYS = (
    "func_evals",
    "n_iter",
    "d",
    "t",
    "old_dirs",
    "old_stps",
    "ro",
    "H_diag",
    "prev_flat_grad",
    "prev_loss",
    "al",
)
_STARTED_KEYS = _STATE_KEYS[2:10]

#: A closure for LBFGS.step: recomputes and returns (loss, grads) at the params' values.
Closure = Callable[[], tuple[Any, Any]]


def _options(
    lr: Any,
    max_iter: Any,
    max_eval: Any,
    tolerance_grad: Any,
    tolerance_change: Any,
    history_size: Any,
    line_search_fn: Any,
    *,
    where: str = "",
) -> dict[str, Any]:
    """The options checked, by torch's names (max_eval None -> max_iter * 5 // 4)."""
    try:
        iters = v.integer(max_iter, "max_iter", 1)
        evals = iters * 5 // 4 if max_eval is None else v.integer(max_eval, "max_eval", 1)
        out = {
            "lr": v.positive(lr, "lr"),
            "max_iter": iters,
            "max_eval": evals,
            "tolerance_grad": v.nonnegative(tolerance_grad, "tolerance_grad"),
            "tolerance_change": v.nonnegative(tolerance_change, "tolerance_change"),
            "history_size": v.integer(history_size, "history_size", 1),
            "line_search_fn": line_search_fn,
        }
        if line_search_fn is not None and line_search_fn != "strong_wolfe":
            raise ValueError(
                "line_search_fn must be None or 'strong_wolfe' (torch's only line search), got "
                f"{v.describe(line_search_fn)}"
            )
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{where}{exc}") from None
    if evals < 1:  # max_iter * 5 // 4 >= 1 for max_iter >= 1
        raise ValueError(f"{where}max_eval must be >= 1")
    return out


def _core_options(options: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: options[k] for k in OPTIONS if k != "line_search_fn"}
    out["strong_wolfe"] = options["line_search_fn"] == "strong_wolfe"
    return out


def _params(params: Any) -> tuple[list[np.ndarray], dict[str, Any]]:
    """(arrays, options given in a group dict) from torch's forms of params."""
    if isinstance(params, np.ndarray):
        return [check_inplace(params, "params")], {}
    if isinstance(params, Mapping):
        raise TypeError(
            "LBFGS params must be a list of arrays (or one array), got a dict; LBFGS keeps no "
            "parameter names"
        )
    if not isinstance(params, (list, tuple)):
        hint = (
            " (a torch tensor: pass tensor.numpy(), a view of its memory)"
            if "Tensor" in type(params).__name__
            else ""
        )
        raise TypeError(
            f"LBFGS params must be a list of numpy arrays, got {type(params).__name__}{hint}"
        )
    if not params:
        raise ValueError("optimizer got an empty parameter list")
    if all(isinstance(p, Mapping) for p in params):
        if len(params) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        group = params[0]
        if "params" not in group:
            raise ValueError("param_groups[0] must have the key 'params' (its arrays)")
        unknown = [k for k in group if k not in _GROUP_KEYS]
        if unknown:
            raise ValueError(f"param_groups[0] has keys LBFGS does not take: {unknown}")
        arrays, _ = _params(group["params"])
        return arrays, {k: x for k, x in group.items() if k != "params"}
    if any(isinstance(p, Mapping) for p in params):
        raise TypeError(
            "params mixes parameter-group dicts and arrays; give a list of arrays (LBFGS has one group)"
        )
    return [check_inplace(a, f"params[{i}]") for i, a in enumerate(params)], {}


class LBFGS:
    """L-BFGS as torch.optim.LBFGS (itself after minFunc), stepping NumPy arrays in place.

    ``LBFGS(params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
    tolerance_change=1e-9, history_size=100, line_search_fn=None)``: torch's
    arguments and defaults (max_eval None is max_iter * 5 // 4; line_search_fn None or
    "strong_wolfe"). ``params``: a list of float32 or float64 C-contiguous writeable
    arrays (or one array), updated in place; one parameter group only.

    ``step(closure)`` runs up to max_iter iterations; ``closure()`` must return
    ``(loss, grads)`` at the params' current values, grads one array per parameter
    (same shapes), and is called as often as torch's algorithm calls it. Returns the
    first loss. See the module's docstring for where it differs from torch.
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        arrays, given = _params(params)
        defaults = _options(
            lr,
            max_iter,
            max_eval,
            tolerance_grad,
            tolerance_change,
            history_size,
            line_search_fn,
        )
        options = defaults
        if given:  # a group dict's options override the defaults (max_eval too: torch's)
            merged = {**defaults, **given}
            options = _options(*(merged[k] for k in OPTIONS), where="param_groups[0]: ")
        kept = {k: x for k, x in given.items() if k in SCHEDULER_KEYS}
        group = ParamGroup(params=arrays, **options, **kept)
        refuse_repeats([group])
        self._layout = [(a.shape, a.dtype) for a in arrays]
        size = sum(a.size for a in arrays)
        if size == 0:
            raise ValueError("LBFGS params hold no numbers (every array is empty)")
        self._size = int(size)
        self.defaults: dict[str, Any] = dict(defaults)
        self._group = group
        self._core = _core.TorchLBFGS(self._size, _core_options(options))
        group.changed = False
        self._lock = threading.Lock()
        self._owner: int | None = None

    # --- torch's attributes -------------------------------------------------------------

    @property
    def param_groups(self) -> list[ParamGroup]:
        """One group: "params" and torch's options. A changed option takes effect at the
        next step, the state kept."""
        return [self._group]

    @property
    def state(self) -> dict[int, dict[str, Any]]:
        """torch's ``optimizer.state`` as a copy: {0: {...}} (LBFGS's state is global,
        kept under the first parameter), {} before the first step."""
        return self.state_dict()["state"]

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={self._group[k]!r}" for k in OPTIONS if k in self._group)
        return f"LBFGS({opts}; {len(self._group['params'])} arrays of {self._size} numbers)"

    # --- the step -----------------------------------------------------------------------

    def step(self, closure: Closure | None = None) -> float:
        """Up to max_iter iterations of L-BFGS. ``closure()`` returns ``(loss, grads)``
        at the params' current values; returns the first loss (torch's orig_loss)."""
        if closure is None:
            raise TypeError(
                "LBFGS.step needs a closure: a function of no argument returning (loss, grads) "
                "at the params' current values (torch's LBFGS re-evaluates the model)"
            )
        if not callable(closure):
            raise TypeError(
                f"closure must be callable (returning (loss, grads)), got {type(closure).__name__}"
            )
        with self._locked("step"):
            arrays = self._checked_params()
            self._sync_options()
            evaluate = self._evaluator(closure, arrays)
            return float(self._core.step(arrays, evaluate))

    def _locked(self, what: str) -> _Held:
        if self._owner == threading.get_ident():
            raise RuntimeError(
                f"LBFGS.{what} was called from inside this optimizer's own closure; the step in "
                "progress owns the optimizer"
            )
        return _Held(self)

    def _checked_params(self) -> list[np.ndarray]:
        """The group's arrays, as given at construction (shapes and dtypes), checked."""
        params = self._group["params"]
        if not isinstance(params, (list, tuple)) or len(params) != len(self._layout):
            count = len(params) if isinstance(params, (list, tuple)) else type(params).__name__
            raise ValueError(
                f"param_groups[0]['params'] changed: it must stay a list of {len(self._layout)} arrays "
                f"(got {count}); make a new LBFGS for other params"
            )
        arrays = []
        for i, (a, (shape, dtype)) in enumerate(zip(params, self._layout, strict=True)):
            a = check_inplace(a, f"params[{i}]")
            if a.shape != shape or a.dtype != dtype:
                raise ValueError(
                    f"params[{i}] changed since construction: it was {dtype} of shape {shape}, now "
                    f"{a.dtype} of shape {a.shape}; make a new LBFGS for other params"
                )
            arrays.append(a)
        refuse_repeats([ParamGroup(params=arrays)])
        return arrays

    def _sync_options(self) -> None:
        group = self._group
        if not group.changed:
            return
        unknown = [k for k in group if k not in _GROUP_KEYS]
        if unknown:
            raise ValueError(f"param_groups[0] has keys LBFGS does not take: {unknown}")
        missing = [k for k in OPTIONS if k not in group]
        if missing:
            raise ValueError(f"param_groups[0] is missing {missing}")
        options = _options(*(group[k] for k in OPTIONS), where="param_groups[0]: ")
        self._core.set_options(_core_options(options))
        group.changed = False

    def _evaluator(
        self, closure: Closure, arrays: list[np.ndarray]
    ) -> Callable[[], tuple[float, np.ndarray]]:
        """closure() as the core calls it: (loss as a float, the flat float64 gradient)."""
        shapes = [a.shape for a in arrays]
        one = len(arrays) == 1

        def evaluate() -> tuple[float, np.ndarray]:
            result = closure()
            if not isinstance(result, tuple) or len(result) != 2:
                got = (
                    f"a tuple of length {len(result)}"
                    if isinstance(result, tuple)
                    else type(result).__name__
                )
                raise TypeError(
                    "the closure must return (loss, grads), grads one array per parameter (NumPy has "
                    f"no autograd), got {got}"
                )
            loss, grads = result
            try:
                if isinstance(loss, np.ndarray) and loss.ndim:
                    raise TypeError(f"an array of shape {loss.shape}, not a scalar")
                f = float(loss)
            except OverflowError:
                raise ValueError(
                    f"the closure's loss must be a finite number, got {v.describe(loss)}"
                ) from None
            except (TypeError, ValueError) as exc:
                raise TypeError(
                    f"the closure's loss must be a real number, got {v.describe(loss)} ({exc})"
                ) from None
            if one and isinstance(grads, np.ndarray):
                grads = [grads]
            if not isinstance(grads, (list, tuple)):
                raise TypeError(
                    "the closure's grads must be a list with one array per parameter, got "
                    f"{type(grads).__name__}"
                )
            if len(grads) != len(shapes):
                raise ValueError(
                    f"the closure's grads has {len(grads)} entries but LBFGS has {len(shapes)} params "
                    "(one gradient per parameter array, in order)"
                )
            parts = []
            for i, (g, shape) in enumerate(zip(grads, shapes, strict=True)):
                try:
                    a = np.asarray(g)
                except Exception as exc:  # noqa: BLE001 - anything that is not an array
                    raise TypeError(
                        f"the closure's grads[{i}] could not be read as an array: {exc}"
                    ) from None
                if a.dtype.kind not in "fiub":
                    raise TypeError(
                        f"the closure's grads[{i}] must hold real numbers, got dtype {a.dtype}"
                    )
                if a.shape != shape:
                    raise ValueError(
                        f"the closure's grads[{i}] has shape {a.shape} but params[{i}] has shape {shape}"
                    )
                parts.append(a.reshape(-1))
            flat = (
                np.array(parts[0], dtype=np.float64)
                if one
                else np.concatenate(parts, dtype=np.float64)
            )
            return f, flat

        return evaluate

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Nothing to do (the closure returns the grads); kept for torch's training loops."""

    # --- state --------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget the state (history, direction, counts): the next step is a first step."""
        with self._locked("reset"):
            self._core.reset()

    def state_dict(self) -> dict[str, Any]:
        """torch's structure, copies: ``{"state": {0: {"func_evals", "n_iter", "d", "t",
        "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "prev_loss", "al"}},
        "param_groups": [{options..., "params": [0, 1, ...]}]}``. As in torch, old_dirs
        holds the gradient differences y and old_stps the steps s (oldest first), ro
        1/(y.s); the vectors are flat float64 over all params; al appears after a
        second iteration, None where torch has None. {} state before the first step."""
        with self._locked("state_dict"):
            core = self._core.state()
            group = {k: x for k, x in self._group.items() if k != "params"}
        group["params"] = list(range(len(self._layout)))
        state: dict[int, dict[str, Any]] = {}
        if core["func_evals"] or core["n_iter"] or "d" in core:
            state[0] = {k: core[k] for k in _STATE_KEYS if k in core}
        return {"state": state, "param_groups": [group]}

    def load_state_dict(self, state_dict: Any) -> None:
        """Restore a state_dict of fastgd.LBFGS or torch.optim.LBFGS (tensors are read as
        arrays). The saved options replace the group's (torch's semantics). Everything is
        checked before anything changes."""
        options, saved = self._checked_state_dict(state_dict)
        core = _core.TorchLBFGS(self._size, _core_options(options))
        try:
            core.load_state(saved)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"state_dict['state']: {exc}") from None
        with self._locked("load_state_dict"):
            self._core = core
            extra = {k: x for k, x in state_dict["param_groups"][0].items() if k in SCHEDULER_KEYS}
            params = self._group["params"]
            self._group = ParamGroup(params=params, **options, **extra)
            self._group.changed = False

    def _checked_state_dict(self, sd: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        if not isinstance(sd, Mapping) or "state" not in sd or "param_groups" not in sd:
            raise ValueError(
                "state_dict must be a dict with 'state' and 'param_groups' (from state_dict() of "
                "fastgd.LBFGS or torch.optim.LBFGS)"
            )
        groups = sd["param_groups"]
        if not isinstance(groups, (list, tuple)) or not all(isinstance(g, Mapping) for g in groups):
            raise TypeError("state_dict['param_groups'] must be a list of dicts")
        if len(groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        group = groups[0]
        ids = group.get("params")
        if not isinstance(ids, (list, tuple)) or len(ids) != len(self._layout):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of "
                "optimizer's group"
            )
        unknown = [k for k in group if k not in _GROUP_KEYS]
        if unknown:
            raise ValueError(
                f"state_dict['param_groups'][0] has keys LBFGS does not take: {unknown}"
            )
        missing = [k for k in OPTIONS if k not in group]
        if missing:
            raise ValueError(f"state_dict['param_groups'][0] is missing {missing}")
        options = _options(*(group[k] for k in OPTIONS), where="state_dict['param_groups'][0]: ")
        states = sd["state"]
        if not isinstance(states, Mapping):
            raise TypeError("state_dict['state'] must be a dict")
        first = ids[0]
        extra = [k for k in states if k != first]
        if extra:
            raise ValueError(
                f"state_dict['state'] has entries for {extra}; LBFGS keeps its state under the first "
                f"parameter ({first!r})"
            )
        entry = states.get(first, {})
        saved = _checked_entry(entry, self._size, options["history_size"])
        return options, saved

    # --- pickling and copying: the arrays, the options and the state -------------------

    def __getstate__(self) -> dict[str, Any]:
        return {"params": list(self._group["params"]), "state_dict": self.state_dict()}

    def __setstate__(self, saved: dict[str, Any]) -> None:
        group = saved["state_dict"]["param_groups"][0]
        type(self).__init__(self, saved["params"], **{k: group[k] for k in OPTIONS})
        self.load_state_dict(saved["state_dict"])


class _Held:
    """The optimizer's lock, noting the thread holding it (a closure calling step again
    on its own optimizer is refused, not a deadlock)."""

    def __init__(self, opt: LBFGS) -> None:
        self.opt = opt

    def __enter__(self) -> None:
        self.opt._lock.acquire()
        self.opt._owner = threading.get_ident()

    def __exit__(self, *exc: object) -> None:
        self.opt._owner = None
        self.opt._lock.release()


def _count(value: Any, where: str) -> int:
    try:
        x = np.asarray(value)
        ok = x.shape == () and x.dtype.kind in "iuf" and float(x) == int(x) and int(x) >= 0
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise ValueError(f"{where} must be an integer >= 0, got {v.describe(value)}")
    return int(x)


def _real(value: Any, where: str, positive: bool = False) -> float:
    try:
        x = np.asarray(value)
        ok = x.shape == () and x.dtype.kind in "iuf"
        f = float(x) if ok else math.nan
    except (TypeError, ValueError, OverflowError):
        ok, f = False, math.nan
    if not ok or not math.isfinite(f) or (positive and not f > 0):
        need = "a finite number > 0" if positive else "a finite number"
        raise ValueError(f"{where} must be {need}, got {v.describe(value)}")
    return f


def _vector(value: Any, where: str, size: int) -> np.ndarray:
    try:
        a = np.asarray(value)
    except Exception as exc:  # noqa: BLE001 - anything that is not an array
        raise ValueError(f"{where} could not be read as an array: {exc}") from None
    if a.dtype.kind not in "iuf":
        raise ValueError(f"{where} must be an array of real numbers, got dtype {a.dtype}")
    if a.ndim != 1 or a.size != size:
        raise ValueError(
            f"{where} must be 1-D with the params' {size} numbers (flat, as torch keeps it), got "
            f"shape {a.shape}"
        )
    a = np.array(a, dtype=np.float64, copy=True)
    if not np.isfinite(a).all():
        raise ValueError(f"{where} must be finite, got NaN or infinite values")
    return a


def _checked_entry(entry: Any, size: int, history_size: int) -> dict[str, Any]:
    """The state entry in the core's form, checked."""
    where = "state_dict['state'][0]"
    if not isinstance(entry, Mapping):
        raise TypeError(f"{where} must be a dict, got {type(entry).__name__}")
    unknown = [k for k in entry if k not in _STATE_KEYS]
    if unknown:
        raise ValueError(f"{where} has keys LBFGS does not keep: {unknown}")
    out: dict[str, Any] = {
        "func_evals": _count(entry.get("func_evals", 0), f"{where}['func_evals']"),
        "n_iter": _count(entry.get("n_iter", 0), f"{where}['n_iter']"),
    }
    started = [k for k in _STARTED_KEYS if entry.get(k) is not None]
    if not started:
        if out["n_iter"] != 0:
            raise ValueError(f"{where} has n_iter > 0 but no direction 'd' and history")
        if entry.get("al") is not None:
            raise ValueError(f"{where} has 'al' but no direction 'd'")
        return out
    missing = [k for k in _STARTED_KEYS if entry.get(k) is None]
    if missing:
        raise ValueError(f"{where} is missing {missing} (it has {started})")
    if out["n_iter"] == 0:
        raise ValueError(f"{where} has a direction 'd' but n_iter 0")
    out["d"] = _vector(entry["d"], f"{where}['d']", size)
    out["prev_flat_grad"] = _vector(entry["prev_flat_grad"], f"{where}['prev_flat_grad']", size)
    out["t"] = _real(entry["t"], f"{where}['t']")
    out["H_diag"] = _real(entry["H_diag"], f"{where}['H_diag']")
    out["prev_loss"] = _real(entry["prev_loss"], f"{where}['prev_loss']")
    pairs = {}
    for key in ("old_dirs", "old_stps", "ro"):
        value = entry[key]
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"{where}[{key!r}] must be a list, got {type(value).__name__}")
        pairs[key] = value
    count = len(pairs["ro"])
    if len(pairs["old_dirs"]) != count or len(pairs["old_stps"]) != count:
        raise ValueError(
            f"{where}: old_dirs, old_stps and ro must have one entry per pair, got "
            f"{len(pairs['old_dirs'])}, {len(pairs['old_stps'])} and {count}"
        )
    if count > history_size:
        raise ValueError(f"{where} holds {count} pairs but history_size is {history_size}")
    out["old_dirs"] = [
        _vector(a, f"{where}['old_dirs'][{i}]", size) for i, a in enumerate(pairs["old_dirs"])
    ]
    out["old_stps"] = [
        _vector(a, f"{where}['old_stps'][{i}]", size) for i, a in enumerate(pairs["old_stps"])
    ]
    out["ro"] = [_real(r, f"{where}['ro'][{i}]", positive=True) for i, r in enumerate(pairs["ro"])]
    al = entry.get("al")
    if al is not None:
        if not isinstance(al, (list, tuple)) or len(al) != history_size:
            raise ValueError(
                f"{where}['al'] must be a list of history_size ({history_size}) numbers or None"
            )
        out["al"] = np.array(
            [math.nan if a is None else _real(a, f"{where}['al'][{i}]") for i, a in enumerate(al)],
            dtype=np.float64,
        )
    return out
