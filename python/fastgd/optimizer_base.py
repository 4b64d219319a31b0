"""The base of every update rule: hyperparameters, the compiled rule and its state,
for one array (``step(params, grad)``) or parameter groups (``step(grads)``), and the
state dicts of both.

Each ``step(params, grad)`` updates ``params`` in place and returns it. ``params``
must be a writeable, C-contiguous float32 or float64 array in the machine's byte
order: fastgd never updates a silent copy. ``grad`` is converted to params' dtype
(and byte order) if needed. State (moments, buffers) is allocated on the first step
and belongs to that array (its memory, shape and dtype): stepping another array is
an error; make one optimizer per array, or ``reset()`` to start over.

An optimizer may be shared between threads: each call (step, reset, state_dict,
load_state_dict) runs as a whole under a lock in the core, so the result of
concurrent calls is that of one serial order of them. A refused call (bad params,
grad or state) changes nothing: neither the arrays nor the optimizer's state.
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, overload

import numpy as np

from . import _core
from . import _validation as v
from ._hyperparameters import lr_value
from .param_groups import Groups, ParamGroup, normalise
from .schedules import Schedule

#: What an optimizer's ``params`` may be: an iterable of arrays, a dict name -> array,
#: or a list of parameter-group dicts (torch.optim's three forms).
Params = Iterable[np.ndarray] | Mapping[str, np.ndarray] | Iterable[dict[str, Any]]
#: A closure for step(): recomputes and returns (loss, grads), grads in the params' structure.
Closure = Callable[[], tuple[Any, Any]]

#: The largest step count a state_dict may carry (every count up to it is exact in
#: a double, as the bias corrections use it); the core checks the same.
MAX_STEPS = 2**53

#: State arrays that are sums or averages of squares (or Adamax's running maximum
#: of |g|): the rules take their square root, so a negative value would give NaN.
_NONNEGATIVE_STATE = frozenset(
    {"exp_avg_sq", "max_exp_avg_sq", "sum", "square_avg", "acc_delta", "exp_inf"}
    | {"step_size", "row_var", "col_var", "variance"}  # Rprop's step sizes, Adafactor's moments
)
_STATE_KEYS = ("kind", "hyperparameters", "step", "state", "dtype", "size", "mu_product")


def _state_dtype(value: Any, where: str) -> np.dtype[Any]:
    """float32 or float64 (in the native byte order) from a dtype, a name or an array's dtype."""
    try:
        dt = np.dtype(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"{where} must be 'float32' or 'float64', got {v.describe(value)}"
        ) from None
    dt = dt.newbyteorder("=")
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"{where} must be 'float32' or 'float64', got {dt}")
    return dt


class Optimizer:
    """Base class: holds hyperparameters and the compiled rule with its state.

    Two ways to use a rule. **Parameter groups** (torch.optim's way): give the arrays
    at construction, ``Adam([W, b], lr=...)``, a dict by name, or a list of group
    dicts, then ``step(grads)`` (or ``step(closure)``) steps them all in one compiled
    call. **One array**: ``Adam(lr=...)`` then ``step(params, grad)``.
    """

    kind: ClassVar[str]
    #: Whether weight decay is decoupled (AdamW) in a rule without that option.
    _decoupled: ClassVar[bool] = False

    def __init__(self, params: Params | None = None, /, **hyper: Any) -> None:
        if not isinstance(getattr(type(self), "kind", None), str):
            raise TypeError(
                f"{type(self).__name__} is an abstract base class and cannot be created; use one "
                f"of the update rules: {_rule_names()}"
            )
        self._hyper = hyper
        self._core = _core.Optimizer(self.kind, self._core_hyper())
        self._single_group: ParamGroup | None = None
        self._groups: Groups | None = None
        if params is not None:
            groups = normalise(params, self.hyperparameters)
            self._groups = Groups(self.kind, groups, self._rule_for)

    @classmethod
    def _implied_options(cls) -> dict[str, Any]:
        """torch options this class does not take, with the value it always runs with
        (torch 2.13 saves decoupled_weight_decay for the Adam family): accepted from a
        torch state_dict when they agree."""
        taken = inspect.signature(cls.__init__).parameters
        return (
            {} if "decoupled_weight_decay" in taken else {"decoupled_weight_decay": cls._decoupled}
        )

    def _rule_for(self, options: dict[str, Any]) -> Optimizer:
        """A single-array optimizer of this class with a group's options (checked)."""
        return type(self)(**options)

    def _core_hyper(self) -> dict[str, Any]:
        """The hyperparameters as the core takes them: a schedule travels beside lr0."""
        out = dict(self._hyper)
        lr = out["lr"]
        if isinstance(lr, Schedule):
            out["lr"], out["schedule"] = lr.lr0, lr.as_dict()
        return out

    @property
    def lr(self) -> float:
        """The learning rate (of the one group; with one array, a schedule's lr(0)).
        Setting it takes effect at the next step, the state kept."""
        if self._groups is not None:
            if len(self._groups.groups) != 1:
                raise AttributeError(
                    "this optimizer has several parameter groups: read param_groups[i]['lr']"
                )
            lr = self._groups.groups[0]["lr"]
        else:
            lr = self._hyper["lr"]
        return lr(0) if isinstance(lr, Schedule) else float(lr)

    @lr.setter
    def lr(self, value: float | Schedule) -> None:
        value = lr_value(value)
        if self._groups is not None:
            if len(self._groups.groups) != 1:
                raise AttributeError(
                    "this optimizer has several parameter groups: set param_groups[i]['lr']"
                )
            self._groups.groups[0]["lr"] = value
        else:
            self.param_groups[0]["lr"] = value

    @property
    def param_groups(self) -> list[ParamGroup]:
        """torch's param_groups: dicts of "params" and the hyperparameters by torch's
        names. A changed option takes effect at the next step, the state kept. With one
        array stepped by ``step(params, grad)``, one group whose "params" is empty."""
        if self._groups is not None:
            return self._groups.groups
        if self._single_group is None:
            self._single_group = ParamGroup(params=[], **self.hyperparameters)
        return [self._single_group]

    @property
    def defaults(self) -> dict[str, Any]:
        """The options given at construction, which groups fill their gaps from."""
        return self.hyperparameters

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of arrays (torch's add_param_group): its options override the
        defaults. Only for an optimizer given params at construction."""
        if self._groups is None:
            raise TypeError(
                "add_param_group needs an optimizer given params at construction, e.g. Adam([W], lr=...)"
            )
        self._groups.add(param_group, self.hyperparameters)

    def _sync_single_group(self) -> None:
        """With one array: hand a changed param_groups[0] to the core (checked first)."""
        group = self._single_group
        assert group is not None
        try:
            rule = self._rule_for(group.options())
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"param_groups[0]: {exc}") from None
        self._core.set_hyper(rule._core_hyper())
        self._hyper = rule._hyper
        group.changed = False

    @property
    def hyperparameters(self) -> dict[str, Any]:
        """A copy of the hyperparameters, by torch.optim's names."""
        out = {k: v for k, v in self._hyper.items() if k not in ("beta1", "beta2")}
        if "beta1" in self._hyper:
            out["betas"] = (self._hyper["beta1"], self._hyper["beta2"])
        return out

    def state_names(self) -> list[str]:
        """Names of the state arrays, in torch.optim's terms."""
        raise NotImplementedError

    #: Numbers a rule keeps per array beside its arrays, by torch's names (ASGD's eta
    #: and mu); the core's state extras carry them.
    _state_scalars: ClassVar[tuple[str, ...]] = ()

    def _state_layout(self, shape: tuple[int, ...]) -> list[tuple[str, tuple[int, ...]]]:
        """The state arrays of parameters of this shape: torch's names and shapes (each
        the parameters' shape, but for Adafactor's factored moments)."""
        return [(name, shape) for name in self.state_names()]

    @overload
    def step(self, params: np.ndarray, grad: Any, /) -> np.ndarray: ...
    @overload
    def step(self, grads: Any = None, /, *, closure: Closure | None = None) -> Any: ...

    def step(self, *args: Any, closure: Closure | None = None) -> Any:
        """One step.

        - Parameter groups: ``step(grads)`` with the grads in the params' structure (a
          list in their order, group after group, or a dict by name; None skips an
          array), or ``step(closure)`` / ``step(closure=f)`` where ``f()`` returns
          ``(loss, grads)``: called once, before the update. Returns the loss (None
          without a closure).
        - One array: ``step(params, grad)`` updates ``params`` in place and returns it.
          The first step (after construction, ``reset()`` or ``load_state_dict``) binds
          the state to ``params``: later steps must pass the same array (or a view of
          its memory with the same shape).

        A refused step changes nothing: neither the arrays nor the state."""
        if self._groups is None:
            if closure is not None or len(args) != 2:
                raise TypeError(
                    "step(params, grad) takes the array and its gradient; to step many arrays or use "
                    "a closure, give the params at construction: e.g. Adam([W, b], lr=0.01)"
                )
            params, grad = args
            if self._single_group is not None and self._single_group.changed:
                self._sync_single_group()
            # The core checks params (ndarray, float32/64, C-contiguous, writeable) and
            # asks for grad to be converted only when it is not ready as it is.
            try:
                self._core.step(params, grad)
            except _core.GradNeedsConversion:
                self._core.step(params, self._convert_grad(grad, params))
            return params
        if len(args) > 1:
            raise TypeError(
                "step takes the grads (one list or dict) or a closure; this optimizer was given its "
                "params at construction"
            )
        grads = args[0] if args else None
        if closure is None and callable(grads):
            closure, grads = grads, None
        loss = None
        if closure is not None:
            if grads is not None:
                raise TypeError("step takes grads or a closure, not both")
            result = closure()
            if not isinstance(result, tuple) or len(result) != 2:
                raise TypeError(
                    "the closure must return (loss, grads), grads in the params' structure (NumPy "
                    f"has no autograd), got {type(result).__name__}"
                )
            loss, grads = result
        if grads is None:
            raise TypeError("step needs the grads, or a closure returning (loss, grads)")
        self._groups.step(grads, self._convert_grad)
        return loss

    @staticmethod
    def _convert_grad(grad: Any, params: np.ndarray, name: str = "grad") -> np.ndarray:
        try:
            g = np.asarray(grad)
        except (TypeError, ValueError, OverflowError) as exc:
            raise TypeError(f"{name} could not be read as an array of numbers: {exc}") from None
        if g.dtype.kind not in "fiub":
            raise TypeError(f"{name} must hold real numbers, got dtype {g.dtype}")
        if g.shape != params.shape:
            raise ValueError(f"{name} has shape {g.shape} but params has shape {params.shape}")
        # NaN or inf in grad is the caller's data: stepped as torch steps it.
        return v.contiguous(g, params.dtype)

    def reset(self) -> None:
        """Forget the state (and the arrays it belongs to): the next step is a first step."""
        if self._groups is not None:
            self._groups.core.reset()
        self._core.reset()

    def state_dict(self) -> dict[str, Any]:
        """Copies of everything needed to continue.

        Parameter groups: torch.optim's structure, ``{"state": {index: {"step": n,
        "exp_avg": array, ...}}, "param_groups": [{options..., "params": [indices]}]}``
        with torch's state names and arrays shaped like their params (torch.optim loads
        it once the arrays are tensors: :func:`fastgd.optimizers.to_torch`). One array:
        ``{"kind", "hyperparameters", "step", "state", "dtype", "size"}``."""
        if self._groups is not None:
            self._groups.sync_options()
            return self._groups.state_dict(with_mu_product=self.kind == "nadam")
        # One core call: its parts (steps, arrays, dtype) agree even while another
        # thread steps or resets this optimizer.
        exported = self._core.state()
        out: dict[str, Any] = {
            "kind": self.kind,
            "hyperparameters": self.hyperparameters,
            "step": 0,
            "state": {},
            "dtype": None,
            "size": 0,
        }
        if exported is not None:
            steps, mu_product, arrays, size, dtype = exported
            out["step"] = int(steps)
            out["state"] = dict(zip(self.state_names(), arrays, strict=True))
            out["dtype"] = str(dtype)
            out["size"] = int(size)
            if self.kind == "nadam":
                out["mu_product"] = float(mu_product)
        return out

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore from :meth:`state_dict`. Every field is checked (kind, hyperparameters,
        step, dtype, size, NAdam's mu_product, and each array: 1-D, the right length and
        dtype, finite, >= 0 where the rule takes its square root); arrays are copied. A
        refused state changes nothing. The loaded state is bound to the params of the
        next step."""
        if self._groups is not None:
            # torch's semantics: the saved hyperparameters replace the groups' (a torch
            # state_dict loads too: its tensors are read as arrays).
            self._groups.load_state_dict(state, self._implied_options(), _NONNEGATIVE_STATE)
            return
        steps, mu_product, values, dtype, size = self._checked_state(state)
        # One core call, checked again there: the whole state is replaced at once.
        self._core.load_state(steps, mu_product, values, dtype, size)

    def _state_header(self, state: Any, known: tuple[str, ...]) -> tuple[int, dict[Any, Any]]:
        """(step count, dict of arrays) of a single-array state_dict: its keys, kind,
        hyperparameters and step checked against this optimizer."""
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict from state_dict(), got {type(state).__name__}")
        missing = [k for k in ("kind", "hyperparameters", "step", "state") if k not in state]
        if missing:
            raise ValueError(f"state is missing {missing}")
        unknown = [v.describe(k) for k in state if k not in known]
        if unknown:
            raise ValueError(
                f"state has unknown keys {', '.join(unknown)}; known: {', '.join(known)}"
            )
        kind = state["kind"]
        if not isinstance(kind, str) or kind != self.kind:
            raise ValueError(f"state is for {v.describe(kind)}, this optimizer is {self.kind!r}")
        hyper = state["hyperparameters"]
        try:
            same = isinstance(hyper, dict) and bool(hyper == self.hyperparameters)
        except Exception:  # noqa: BLE001 - values whose == fails (arrays) are not equal
            same = False
        if not same:
            raise ValueError(
                f"state's hyperparameters {v.describe(hyper, 200)} differ from this optimizer's "
                f"{self.hyperparameters}"
            )
        step = state["step"]
        if (
            isinstance(step, (bool, np.bool_))
            or not isinstance(step, numbers.Integral)
            or not 0 <= int(step) <= MAX_STEPS
        ):
            raise ValueError(
                f"state['step'] must be an integer in [0, 2**53], got {v.describe(step)}"
            )
        steps = int(step)
        arrays = state["state"]
        if not isinstance(arrays, dict):
            raise TypeError(f"state['state'] must be a dict of arrays, got {type(arrays).__name__}")
        return steps, arrays

    def _checked_state(self, state: Any) -> tuple[int, float, list[np.ndarray], str, int]:
        """(steps, mu_product, arrays, dtype name, size) from a state_dict, or an error
        naming the key that is wrong."""
        steps, arrays = self._state_header(state, _STATE_KEYS)
        has_mu = "mu_product" in state
        if has_mu and self.kind != "nadam":
            raise ValueError(f"state['mu_product'] is NAdam's; this optimizer is {self.kind!r}")
        if steps == 0:
            if arrays:
                raise ValueError("state has arrays but step 0")
            if state.get("dtype") is not None or state.get("size", 0) != 0:
                raise ValueError("state at step 0 (never stepped) must have dtype None and size 0")
            if has_mu and state["mu_product"] != 1.0:
                raise ValueError("state['mu_product'] must be 1.0 at step 0")
            return 0, 1.0, [], "float64", 0
        names = self.state_names()
        if sorted(map(str, arrays)) != sorted(names) or len(arrays) != len(names):
            raise ValueError(
                f"state['state'] must have the arrays {names}, got {[v.describe(k) for k in arrays]}"
            )
        values = []
        for name in names:
            where = f"state['state'][{name!r}]"
            a = _state_array(arrays[name], where)
            if a.ndim != 1:
                raise ValueError(f"{where} must be 1-D (the parameters' size), got shape {a.shape}")
            values.append(v.contiguous(a, a.dtype.newbyteorder("=")))
        dtypes = {a.dtype for a in values}
        if state.get("dtype") is not None:
            dtypes.add(_state_dtype(state["dtype"], "state['dtype']"))
        elif not values:
            raise ValueError(
                "state['dtype'] ('float32' or 'float64') is needed: this rule has no state arrays"
            )
        if len(dtypes) != 1:
            raise ValueError(
                "state arrays must share one float32 or float64 dtype (state['dtype']), got "
                f"{sorted(map(str, dtypes))}"
            )
        sizes = {a.size for a in values}
        if "size" in state:
            size = state["size"]
            if (
                isinstance(size, (bool, np.bool_))
                or not isinstance(size, numbers.Integral)
                or int(size) < 0
            ):
                raise ValueError(f"state['size'] must be an integer >= 0, got {v.describe(size)}")
            sizes.add(int(size))
        elif not values:
            raise ValueError("state['size'] is needed: this rule has no state arrays")
        if len(sizes) != 1:
            raise ValueError(
                "state arrays must be 1-D and of equal length (the parameters' size, "
                f"state['size']), got lengths {sorted(sizes)}"
            )
        for name, a in zip(names, values, strict=True):
            where = f"state['state'][{name!r}]"
            if not np.isfinite(a).all():
                raise ValueError(f"{where} must be finite, got NaN or infinite values")
            if name in _NONNEGATIVE_STATE and (a < 0).any():
                raise ValueError(
                    f"{where} must be >= 0 (a sum or average of squares), got {a.min()}"
                )
        mu_product = 1.0
        if self.kind == "nadam":
            if not has_mu:
                raise ValueError(
                    "state['mu_product'] (NAdam's product of momentum factors) is missing"
                )
            mu = state["mu_product"]
            if isinstance(mu, (bool, np.bool_)) or not isinstance(mu, numbers.Real):
                raise ValueError(f"state['mu_product'] must be a real number, got {v.describe(mu)}")
            try:
                mu_product = float(mu)
            except OverflowError:
                mu_product = math.inf
            if not 0.0 <= mu_product <= 1.0:
                raise ValueError(
                    f"state['mu_product'] must be a finite number in [0, 1], got {v.describe(mu)}"
                )
        return steps, mu_product, values, next(iter(dtypes)).name, next(iter(sizes))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters.items())
        if self._groups is not None:
            sizes = ", ".join(str(len(g["params"])) for g in self._groups.groups)
            return f"{type(self).__name__}({args}; param_groups of {sizes} arrays)"
        return f"{type(self).__name__}({args})"

    # Pickling and copying (an estimator's parameter is cloned and pickled): the
    # hyperparameters, the groups (with their arrays) and the state, the compiled
    # rule rebuilt from them.
    def __getstate__(self) -> dict[str, Any]:
        saved: dict[str, Any] = {"hyper": dict(self._hyper), "state": self.state_dict()}
        if self._groups is not None:
            saved["groups"] = [dict(g) for g in self._groups.groups]
        return saved

    def __setstate__(self, saved: dict[str, Any]) -> None:
        self._hyper = saved["hyper"]
        self._core = _core.Optimizer(self.kind, self._core_hyper())
        self._single_group = None
        self._groups = None
        if "groups" in saved:
            self._groups = Groups(
                self.kind, normalise(saved["groups"], self.hyperparameters), self._rule_for
            )
        self.load_state_dict(saved["state"])


def _full_state(core: Any) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The core's state as state_dict() gives it, and its extras (ASGD's eta and mu,
    the parameters' shape), from one locked call: None extras before the first step."""
    exported = core.full_state()
    out: dict[str, Any] = {"step": 0, "state": [], "dtype": None, "size": 0}
    if exported is None:
        return out, None
    steps, _, arrays, size, dtype, extras = exported
    out.update(step=int(steps), state=arrays, dtype=str(dtype), size=int(size))
    return out, extras


def _rule_names() -> str:
    from .optimizers import RULES  # the table of rules imports this module

    return ", ".join(sorted({c.__name__ for c in RULES.values()}))


def _state_array(value: Any, where: str) -> np.ndarray:
    """A state array of a single-array state_dict: float32 or float64, or an error."""
    try:
        a = np.asarray(value)
    except Exception as exc:  # noqa: BLE001 - anything that is not an array
        raise ValueError(f"{where} could not be read as an array: {exc}") from None
    if a.dtype.kind != "f" or a.dtype.itemsize not in (4, 8):
        raise ValueError(f"{where} must be a float32 or float64 array, got dtype {a.dtype}")
    return a
