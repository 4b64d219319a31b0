"""Update rules with torch.optim's names, defaults and semantics, stepping NumPy
arrays in place. The rules run in C++ (vectorised for this CPU, threaded for long
arrays); the same rules drive :func:`fastgd.fit_least_squares`.

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
from .param_groups import Groups, ParamGroup, normalise, to_torch
from .schedules import Schedule

__all__ = [
    "ASGD",
    "RULES",
    "SGD",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Lion",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "Rprop",
    "to_torch",
]

#: What an optimizer's ``params`` may be: an iterable of arrays, a dict name -> array,
#: or a list of parameter-group dicts (torch.optim's three forms).
Params = Iterable[np.ndarray] | Mapping[str, np.ndarray] | Iterable[dict[str, Any]]
#: A closure for step(): recomputes and returns (loss, grads), grads in the params' structure.
Closure = Callable[[], tuple[Any, Any]]


def _check(
    value: Any, name: str, low: float = 0.0, high: float = math.inf, high_open: bool = False
) -> float:
    """A hyperparameter in [low, high] (or [low, high)), with torch's "Invalid ..." wording."""
    x = v.real_number(value, name)
    upper_ok = x < high if high_open else x <= high
    if not (x >= low and upper_ok and math.isfinite(x)):
        bound = f"< {high:g}" if high_open else f"<= {high:g}"
        raise ValueError(
            f"Invalid {name}: {v.describe(value)} (expected {low:g} <= {name} {bound if math.isfinite(high) else ''}".rstrip()
            + ")"
        )
    return x


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


def _lr(value: Any) -> Any:
    """A learning rate: a number >= 0 or a Schedule."""
    return value if isinstance(value, Schedule) else _check(value, "lr")


def _betas(betas: Any) -> tuple[float, float]:
    try:
        b1, b2 = betas
    except (TypeError, ValueError):
        raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}") from None
    return _check(b1, "beta1", 0.0, 1.0, high_open=True), _check(
        b2, "beta2", 0.0, 1.0, high_open=True
    )


def _moments(lr: Any, betas: Any, eps: Any, weight_decay: Any, maximize: Any) -> dict[str, Any]:
    """The hyperparameters shared by the Adam family, checked."""
    b1, b2 = _betas(betas)
    return dict(
        lr=_lr(lr),
        beta1=b1,
        beta2=b2,
        eps=_check(eps, "eps"),
        weight_decay=_check(weight_decay, "weight_decay"),
        maximize=v.boolean(maximize, "maximize"),
    )


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
                f"of the update rules: {', '.join(sorted({c.__name__ for c in RULES.values()}))}"
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
        value = _lr(value)
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

    def _checked_state(self, state: Any) -> tuple[int, float, list[np.ndarray], str, int]:
        """(steps, mu_product, arrays, dtype name, size) from a state_dict, or an error
        naming the key that is wrong."""
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict from state_dict(), got {type(state).__name__}")
        missing = [k for k in ("kind", "hyperparameters", "step", "state") if k not in state]
        if missing:
            raise ValueError(f"state is missing {missing}")
        unknown = [v.describe(k) for k in state if k not in _STATE_KEYS]
        if unknown:
            raise ValueError(
                f"state has unknown keys {', '.join(unknown)}; known: {', '.join(_STATE_KEYS)}"
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
            try:
                a = np.asarray(arrays[name])
            except Exception as exc:  # noqa: BLE001 - anything that is not an array
                raise ValueError(f"{where} could not be read as an array: {exc}") from None
            if a.dtype.kind != "f" or a.dtype.itemsize not in (4, 8):
                raise ValueError(f"{where} must be a float32 or float64 array, got dtype {a.dtype}")
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


class _MomentRule(Optimizer):
    """A rule of the Adam family with no options beyond (lr, betas, eps, weight_decay, maximize)."""

    _default_lr: ClassVar[float]

    def __init__(
        self,
        params: Params | None = None,
        lr: float | Schedule | None = None,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        maximize: bool = False,
    ) -> None:
        lr = self._default_lr if lr is None else lr
        super().__init__(params, **_moments(lr, betas, eps, weight_decay, maximize))


class SGD(Optimizer):
    r"""Stochastic gradient descent, as torch.optim.SGD.

    .. math::
        g &\leftarrow \pm\nabla + \lambda\theta \quad(- \text{ when maximize}) \\
        b &\leftarrow g \text{ (first step)}, \quad b \leftarrow \mu b + (1-\tau) g \\
        \theta &\leftarrow \theta - \alpha\,(g + \mu b \text{ if nesterov else } b)

    Defaults: lr=1e-3, momentum=0, dampening=0, nesterov=False, weight_decay=0.
    The lecture's momentum :math:`v \leftarrow \beta v + \alpha\nabla,\ \theta \leftarrow \theta - v`
    is ``SGD(lr=alpha, momentum=beta)``: with a constant :math:`\alpha`, :math:`v = \alpha b`.
    The two differ once the learning rate changes (a schedule): torch's buffer holds
    gradients, the lecture's velocity holds steps already scaled by past rates.
    Reference: Sutskever et al., "On the importance of initialization and momentum
    in deep learning", ICML 2013.
    """

    kind = "sgd"

    def __init__(
        self,
        params: Params | None = None,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        maximize: bool = False,
    ) -> None:
        momentum = _check(momentum, "momentum")
        dampening = _check(dampening, "dampening")
        nesterov = v.boolean(nesterov, "nesterov")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum > 0 and zero dampening")
        super().__init__(
            params,
            lr=_lr(lr),
            momentum=momentum,
            dampening=dampening,
            nesterov=nesterov,
            weight_decay=_check(weight_decay, "weight_decay"),
            maximize=v.boolean(maximize, "maximize"),
        )

    def state_names(self) -> list[str]:
        return ["momentum_buffer"] if self._hyper["momentum"] != 0 else []


class Adam(Optimizer):
    r"""Adam (Kingma and Ba, 2015), as torch.optim.Adam; AMSGrad (Reddi et al., 2018) with amsgrad=True.

    .. math::
        g &\leftarrow \pm\nabla + \lambda\theta \\
        m &\leftarrow \beta_1 m + (1-\beta_1) g, \quad v \leftarrow \beta_2 v + (1-\beta_2) g^2 \\
        \hat v &\leftarrow \max(\hat v, v) \text{ (amsgrad) else } v \\
        \theta &\leftarrow \theta - \frac{\alpha}{1-\beta_1^t}\, \frac{m}{\sqrt{\hat v}/\sqrt{1-\beta_2^t} + \epsilon}

    Defaults: lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False.
    ``decoupled_weight_decay=True`` is AdamW (as torch 2.13's option): the weight decay
    is :math:`\theta \leftarrow \theta(1 - \alpha\lambda)` before the step, not in :math:`g`.
    """

    kind = "adam"
    _decoupled = False

    def __init__(
        self,
        params: Params | None = None,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        decoupled = v.boolean(decoupled_weight_decay, "decoupled_weight_decay")
        super().__init__(
            params,
            **_moments(lr, betas, eps, weight_decay, maximize),
            amsgrad=v.boolean(amsgrad, "amsgrad"),
            decoupled_weight_decay=self._decoupled or decoupled,
        )

    def state_names(self) -> list[str]:
        return ["exp_avg", "exp_avg_sq"] + (["max_exp_avg_sq"] if self._hyper["amsgrad"] else [])


class AdamW(Adam):
    r"""AdamW (Loshchilov and Hutter, 2019), as torch.optim.AdamW: Adam with decoupled
    weight decay, :math:`\theta \leftarrow \theta(1 - \alpha\lambda)` before the Adam step.

    Defaults: lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False.
    """

    _decoupled = True

    def __init__(
        self,
        params: Params | None = None,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)

    @property
    def hyperparameters(self) -> dict[str, Any]:
        """As Adam's, without decoupled_weight_decay (always True here, as AdamW takes no such argument)."""
        out = super().hyperparameters
        del out["decoupled_weight_decay"]
        return out


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), as torch.optim.Adagrad.

    .. math::
        \tilde\alpha = \frac{\alpha}{1 + (t-1)\eta}, \quad g \leftarrow \pm\nabla + \lambda\theta, \quad
        s \leftarrow s + g^2, \quad \theta \leftarrow \theta - \tilde\alpha \frac{g}{\sqrt s + \epsilon}

    Defaults: lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10.
    """

    kind = "adagrad"

    def __init__(
        self,
        params: Params | None = None,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr=_lr(lr),
            lr_decay=_check(lr_decay, "lr_decay"),
            weight_decay=_check(weight_decay, "weight_decay"),
            initial_accumulator_value=_check(
                initial_accumulator_value, "initial_accumulator_value"
            ),
            eps=_check(eps, "eps"),
            maximize=v.boolean(maximize, "maximize"),
        )

    def state_names(self) -> list[str]:
        return ["sum"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, lecture 6e of "Neural Networks for Machine Learning"), as torch.optim.RMSprop.

    .. math::
        v &\leftarrow \alpha v + (1-\alpha) g^2, \quad
        \bar g \leftarrow \alpha \bar g + (1-\alpha) g \text{ (centered)} \\
        d &= \sqrt{v - \bar g^2} + \epsilon \text{ (centered) else } \sqrt v + \epsilon \\
        b &\leftarrow \mu b + g/d,\ \theta \leftarrow \theta - \alpha_{lr} b \text{ (momentum > 0) else }
        \theta \leftarrow \theta - \alpha_{lr}\, g/d

    Defaults: lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False.
    """

    kind = "rmsprop"

    def __init__(
        self,
        params: Params | None = None,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr=_lr(lr),
            alpha=_check(alpha, "alpha"),
            eps=_check(eps, "eps"),
            weight_decay=_check(weight_decay, "weight_decay"),
            momentum=_check(momentum, "momentum"),
            centered=v.boolean(centered, "centered"),
            maximize=v.boolean(maximize, "maximize"),
        )

    def state_names(self) -> list[str]:
        return (
            ["square_avg"]
            + (["grad_avg"] if self._hyper["centered"] else [])
            + (["momentum_buffer"] if self._hyper["momentum"] > 0 else [])
        )


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), as torch.optim.Adadelta.

    .. math::
        v &\leftarrow \rho v + (1-\rho) g^2, \quad
        \Delta = \frac{\sqrt{u + \epsilon}}{\sqrt{v + \epsilon}}\, g, \quad
        u \leftarrow \rho u + (1-\rho)\Delta^2, \quad \theta \leftarrow \theta - \alpha\Delta

    Defaults: lr=1.0 (a multiplier on the step), rho=0.9, eps=1e-6, weight_decay=0.
    """

    kind = "adadelta"

    def __init__(
        self,
        params: Params | None = None,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr=_lr(lr),
            rho=_check(rho, "rho", 0.0, 1.0),
            eps=_check(eps, "eps"),
            weight_decay=_check(weight_decay, "weight_decay"),
            maximize=v.boolean(maximize, "maximize"),
        )

    def state_names(self) -> list[str]:
        return ["square_avg", "acc_delta"]


class Adamax(_MomentRule):
    r"""Adamax (Kingma and Ba, 2015, section 7), as torch.optim.Adamax.

    .. math::
        m \leftarrow \beta_1 m + (1-\beta_1) g, \quad u \leftarrow \max(\beta_2 u, |g| + \epsilon), \quad
        \theta \leftarrow \theta - \frac{\alpha}{1-\beta_1^t} \frac{m}{u}

    Defaults: lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.
    """

    kind = "adamax"
    _default_lr = 2e-3

    def state_names(self) -> list[str]:
        return ["exp_avg", "exp_inf"]


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016), as torch.optim.NAdam.

    .. math::
        \mu_t &= \beta_1 (1 - \tfrac12\, 0.96^{t\psi}), \quad m,\ v \text{ as Adam} \\
        \theta &\leftarrow \theta - \alpha\frac{1-\mu_t}{1-\prod_{i\le t}\mu_i}\frac{g}{d}
                 - \alpha\frac{\mu_{t+1}}{1-\prod_{i\le t+1}\mu_i}\frac{m}{d}, \quad
        d = \sqrt{v/(1-\beta_2^t)} + \epsilon

    Defaults: lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3.
    ``decoupled_weight_decay=True``: :math:`\theta \leftarrow \theta(1 - \alpha\lambda)` before
    the step instead of :math:`\lambda\theta` in :math:`g` (torch's NAdamW).
    """

    kind = "nadam"

    def __init__(
        self,
        params: Params | None = None,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        super().__init__(
            params,
            **_moments(lr, betas, eps, weight_decay, maximize),
            momentum_decay=_check(momentum_decay, "momentum_decay"),
            decoupled_weight_decay=v.boolean(decoupled_weight_decay, "decoupled_weight_decay"),
        )

    def state_names(self) -> list[str]:
        return ["exp_avg", "exp_avg_sq"]


class RAdam(Optimizer):
    r"""RAdam (Liu et al., 2020), as torch.optim.RAdam: Adam whose adaptive step is
    switched on (and rectified) once the variance estimate is tractable,
    :math:`\rho_t = \rho_\infty - 2t\beta_2^t/(1-\beta_2^t) > 5`; before that, SGD with
    momentum on the bias-corrected average.

    Defaults: lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.
    ``decoupled_weight_decay=True``: :math:`\theta \leftarrow \theta(1 - \alpha\lambda)` before
    the step instead of :math:`\lambda\theta` in :math:`g` (torch's RAdamW).
    """

    kind = "radam"

    def __init__(
        self,
        params: Params | None = None,
        lr: float | Schedule = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        super().__init__(
            params,
            **_moments(lr, betas, eps, weight_decay, maximize),
            decoupled_weight_decay=v.boolean(decoupled_weight_decay, "decoupled_weight_decay"),
        )

    def state_names(self) -> list[str]:
        return ["exp_avg", "exp_avg_sq"]


def _pair(value: Any, name: str, parts: str) -> tuple[Any, Any]:
    try:
        first, second = value
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair {parts}, got {value!r}") from None
    return first, second


def _at_least(value: Any, name: str, wording: str, low: float) -> float:
    """A finite hyperparameter >= low, refused with torch's Adafactor wording."""
    x = v.real_number(value, name)
    if not (math.isfinite(x) and x >= low):
        raise ValueError(f"{wording} should be >= {low:g} but is: {v.describe(value)}")
    return x


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


class Rprop(Optimizer):
    r"""Resilient backpropagation (Riedmiller and Braun, 1993), as torch.optim.Rprop:
    a step size per parameter, grown while the gradient keeps its sign and shrunk
    when it flips; only the sign of the gradient is used.

    .. math::
        s &= \operatorname{sign}(g\, g_{prev}), \quad
        \eta = \eta_+ \text{ if } s > 0,\ \eta_- \text{ if } s < 0,\ 1 \text{ else} \\
        \Delta &\leftarrow \operatorname{clip}(\eta\Delta, \Delta_{min}, \Delta_{max})
              \quad (\Delta = \alpha \text{ before the first step}) \\
        g &\leftarrow 0 \text{ where } s < 0, \quad
        \theta \leftarrow \theta - \operatorname{sign}(g)\,\Delta, \quad g_{prev} \leftarrow g

    Defaults: lr=1e-2 (the initial step size), etas=(0.5, 1.2) (:math:`\eta_-, \eta_+`),
    step_sizes=(1e-6, 50) (:math:`\Delta_{min}, \Delta_{max}`). No weight decay, as torch.
    State: ``prev`` (:math:`g_{prev}`), ``step_size`` (:math:`\Delta`). As torch, the sign of
    NaN is 0: a NaN gradient leaves its parameter where it is.
    """

    kind = "rprop"

    def __init__(
        self,
        params: Params | None = None,
        lr: float | Schedule = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        maximize: bool = False,
    ) -> None:
        e0, e1 = _pair(etas, "etas", "(eta_minus, eta_plus)")
        eta_minus, eta_plus = v.real_number(e0, "etas[0]"), v.real_number(e1, "etas[1]")
        if not (0.0 < eta_minus < 1.0 < eta_plus and math.isfinite(eta_plus)):
            raise ValueError(f"Invalid eta values: {v.describe(e0)}, {v.describe(e1)}")
        s0, s1 = _pair(step_sizes, "step_sizes", "(step_size_min, step_size_max)")
        low, high = v.real_number(s0, "step_sizes[0]"), v.real_number(s1, "step_sizes[1]")
        if not (0.0 <= low <= high and math.isfinite(high)):
            raise ValueError(
                f"Invalid step_sizes: ({v.describe(s0)}, {v.describe(s1)}) (expected "
                "0 <= step_size_min <= step_size_max, both finite)"
            )
        super().__init__(
            params,
            lr=_lr(lr),
            etas=(eta_minus, eta_plus),
            step_sizes=(low, high),
            maximize=v.boolean(maximize, "maximize"),
        )

    def state_names(self) -> list[str]:
        return ["prev", "step_size"]


class ASGD(Optimizer):
    r"""Averaged stochastic gradient descent (Polyak and Juditsky, 1992), as
    torch.optim.ASGD: SGD with a decaying step and a running average of the iterates.

    .. math::
        g &\leftarrow \pm\nabla + \lambda_{wd}\theta, \quad
        \theta \leftarrow \theta(1 - \lambda\eta_t) - \eta_t g \\
        \bar\theta &\leftarrow \bar\theta + \mu_t(\theta - \bar\theta) \quad
              (\bar\theta \leftarrow \theta \text{ while } \mu_t = 1) \\
        \eta_{t+1} &= \frac{\alpha_{lr}}{(1 + \lambda\alpha_{lr} t)^{\alpha}}, \quad
        \mu_{t+1} = \frac{1}{\max(1, t - t_0)}, \quad \eta_1 = \alpha_{lr},\ \mu_1 = 1

    Defaults: lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.
    State: the array ``ax`` (:math:`\bar\theta`) and two numbers, ``eta`` and ``mu``,
    kept as float32 values as torch keeps them (its default dtype), so that runs and
    state dicts match torch's; state_dict() holds them as ``"eta"`` and ``"mu"``.
    The averaged parameters: the read-only property :attr:`ax`, a copy.
    """

    kind = "asgd"

    def __init__(
        self,
        params: Params | None = None,
        lr: float | Schedule = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0.0,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr=_lr(lr),
            lambd=_check(lambd, "lambd"),
            alpha=_check(alpha, "alpha"),
            t0=_check(t0, "t0", -math.inf),
            weight_decay=_check(weight_decay, "weight_decay"),
            maximize=v.boolean(maximize, "maximize"),
        )

    _state_scalars = ("eta", "mu")

    def state_names(self) -> list[str]:
        return ["ax"]

    @property
    def ax(self) -> Any:
        """A copy of the averaged parameters (torch's state ``ax``), in the parameters'
        shape; None before the first step. With parameter groups, a list of them (None
        for an array not stepped yet), in the params' order. Read-only: assigning to it
        is an error."""
        if self._groups is not None:
            saved = self.state_dict()["state"]
            count = sum(len(g["params"]) for g in self._groups.groups)
            return [saved[i]["ax"] if i in saved else None for i in range(count)]
        core, extras = _full_state(self._core)
        if extras is None:
            return None
        (ax,) = core["state"]
        shape = extras["shape"]
        return ax.reshape(shape) if shape is not None else ax

    def state_dict(self) -> dict[str, Any]:
        """As every rule's, with ASGD's ``"eta"`` and ``"mu"`` (once stepped; with
        parameter groups, in each array's entry, as torch)."""
        if self._groups is not None:
            return super().state_dict()
        core, extras = _full_state(self._core)
        out: dict[str, Any] = {"kind": self.kind, "hyperparameters": self.hyperparameters}
        out.update(core, state=dict(zip(self.state_names(), core["state"], strict=True)))
        if extras is not None:
            out["eta"], out["mu"] = float(extras["eta"]), float(extras["mu"])
        return out

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """As every rule's; ``"eta"`` (>= 0) and ``"mu"`` (in [0, 1]) are needed once stepped."""
        if self._groups is not None:
            super().load_state_dict(state)
            return
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict from state_dict(), got {type(state).__name__}")
        rest = {k: val for k, val in state.items() if k not in ("eta", "mu")}
        steps, mu_product, values, dtype, size = self._checked_state(rest)
        extras: dict[str, float] = {}
        if steps > 0:
            for key, text in (("eta", "ASGD's step size"), ("mu", "ASGD's averaging weight")):
                if key not in state:
                    raise ValueError(f"state[{key!r}] ({text}) is missing")
                x = state[key]
                if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real):
                    raise TypeError(f"state[{key!r}] must be a real number, got {v.describe(x)}")
                try:
                    extras[key] = float(x)
                except OverflowError:
                    extras[key] = math.inf
        elif "eta" in state or "mu" in state:
            raise ValueError("state at step 0 (never stepped) has no 'eta' or 'mu'")
        # One core call, checked again there (eta finite >= 0, mu in [0, 1]).
        self._core.load_state(steps, mu_product, values, dtype, size, extras)


class Lion(Optimizer):
    r"""Lion, "evolved sign momentum" (Chen et al., 2023), as optax.lion (torch.optim
    has no Lion): the sign of an interpolated momentum, with decoupled weight decay.

    .. math::
        u &= \operatorname{sign}(\beta_1 m + (1-\beta_1) g), \quad
        m \leftarrow \beta_2 m + (1-\beta_2) g \\
        \theta &\leftarrow \theta - \alpha\,(u + \lambda\theta)

    Defaults: lr=1e-4, betas=(0.9, 0.99), weight_decay=0 (optax's is 1e-3). A step
    moves every parameter by about lr: take lr 3-10x smaller than AdamW's. State:
    ``exp_avg`` (:math:`m`).
    """

    kind = "lion"

    def __init__(
        self,
        params: Params | None = None,
        lr: float | Schedule = 1e-4,
        betas: tuple[float, float] = (0.9, 0.99),
        weight_decay: float = 0.0,
        maximize: bool = False,
    ) -> None:
        b1, b2 = _betas(betas)
        super().__init__(
            params,
            lr=_lr(lr),
            beta1=b1,
            beta2=b2,
            weight_decay=_check(weight_decay, "weight_decay"),
            maximize=v.boolean(maximize, "maximize"),
        )

    def state_names(self) -> list[str]:
        return ["exp_avg"]


class Adafactor(Optimizer):
    r"""Adafactor (Shazeer and Stern, 2018), as torch.optim.Adafactor (torch 2.5 and
    later): the second moment of an array of 2 or more dimensions is kept factored over
    its last two (a row and a column factor), and the step is relative to the
    parameters' root mean square.

    .. math::
        \hat\beta_{2,t} &= 1 - t^{\tau}, \quad \rho_t = \min(\alpha, 1/\sqrt t), \quad
        a_t = \max(\epsilon_2, \operatorname{RMS}(\theta))\,\rho_t, \quad
        \theta \leftarrow \theta(1 - \alpha\lambda) \\
        R &\leftarrow \hat\beta_{2,t} R + (1-\hat\beta_{2,t}) \operatorname{mean}_{cols}(g^2), \quad
        C \leftarrow \hat\beta_{2,t} C + (1-\hat\beta_{2,t}) \operatorname{mean}_{rows}(g^2), \quad
        V = \frac{R\,C}{\max(\operatorname{mean}_{rows} R, \epsilon_1)} \\
        V &\leftarrow \hat\beta_{2,t} V + (1-\hat\beta_{2,t})\, g^2 \text{ (0-D and 1-D arrays)} \\
        U &= \frac{g}{\sqrt{\max(V, \epsilon_1^2)}}, \quad
        \theta \leftarrow \theta - \frac{a_t\, U}{\max(1, \operatorname{RMS}(U)/d)}

    Defaults: lr=1e-2 (the largest relative step), beta2_decay=-0.8 (:math:`\tau`),
    eps=(None, 1e-3) (:math:`\epsilon_1`: None is the machine epsilon of the parameters'
    dtype), d=1.0, weight_decay=0.0. State, as torch's: ``row_var`` (shape
    ``shape[:-1] + (1,)``) and ``col_var`` (``shape[:-2] + (1, shape[-1])``) for 2 or more
    dimensions, ``variance`` (the parameters' shape) else; state_dict() gives these
    arrays in those shapes, and the parameters' ``"shape"``. Stepped on one thread.
    """

    kind = "adafactor"

    def __init__(
        self,
        params: Params | None = None,
        lr: float | Schedule = 1e-2,
        beta2_decay: float = -0.8,
        eps: tuple[float | None, float] = (None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        maximize: bool = False,
    ) -> None:
        decay = v.real_number(beta2_decay, "beta2_decay")
        if not (math.isfinite(decay) and decay <= 0.0):
            raise ValueError(f"beta2_decay should be <= 0 but is: {v.describe(beta2_decay)}")
        e1, e2 = _pair(eps, "eps", "(eps1 or None, eps2)")
        eps1 = None if e1 is None else _at_least(e1, "eps[0]", "epsilon1", 0.0)
        super().__init__(
            params,
            lr=_lr(lr),
            beta2_decay=decay,
            eps=(eps1, _at_least(e2, "eps[1]", "epsilon2", 0.0)),
            d=_at_least(d, "d", "Clipping threshold d", 1.0),
            weight_decay=_at_least(weight_decay, "weight_decay", "weight_decay", 0.0),
            maximize=v.boolean(maximize, "maximize"),
        )

    @staticmethod
    def _names_and_shapes(shape: tuple[int, ...]) -> list[tuple[str, tuple[int, ...]]]:
        """torch's state arrays for parameters of this shape, with their shapes."""
        if len(shape) >= 2:
            return [
                ("row_var", (*shape[:-1], 1)),
                ("col_var", (*shape[:-2], 1, shape[-1])),
            ]
        return [("variance", shape)]

    @staticmethod
    def _shape_of(extras: dict[str, Any], size: int) -> tuple[int, ...]:
        """The parameters' shape (a flat vector when the core has none)."""
        shape = extras["shape"]
        return tuple(shape) if shape is not None else (size,)

    def _state_layout(self, shape: tuple[int, ...]) -> list[tuple[str, tuple[int, ...]]]:
        return self._names_and_shapes(shape)

    def state_names(self) -> list[str]:
        """row_var and col_var, or variance, for the array stepped (none before the first
        step; with parameter groups, the names depend on each array's shape)."""
        core, extras = _full_state(self._core)
        if extras is None:
            return []
        return [name for name, _ in self._names_and_shapes(self._shape_of(extras, core["size"]))]

    def state_dict(self) -> dict[str, Any]:
        """As every rule's, the arrays in torch's shapes, with the parameters' ``"shape"``
        (with parameter groups: torch's structure, each array's state in torch's shapes)."""
        if self._groups is not None:
            return super().state_dict()
        core, extras = _full_state(self._core)
        out: dict[str, Any] = {"kind": self.kind, "hyperparameters": self.hyperparameters}
        out.update(core, state={})
        if extras is not None:
            shape = self._shape_of(extras, core["size"])
            layout = self._names_and_shapes(shape)
            out["state"] = {
                name: a.reshape(s) for (name, s), a in zip(layout, core["state"], strict=True)
            }
            out["shape"] = shape
        return out

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore from :meth:`state_dict`: every field checked (kind, hyperparameters,
        step, shape, dtype, size, and each array: float32/64, torch's shape for these
        parameters' shape, finite, >= 0); arrays are copied. A refused state changes
        nothing. The next step must be on an array of the saved shape."""
        if self._groups is not None:
            super().load_state_dict(state)
            return
        self._core.load_state(*self._checked_adafactor_state(state))

    def _checked_adafactor_state(
        self, state: Any
    ) -> tuple[int, float, list[np.ndarray], str, int, dict[str, Any]]:
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict from state_dict(), got {type(state).__name__}")
        known = ("kind", "hyperparameters", "step", "state", "dtype", "size", "shape")
        missing = [k for k in ("kind", "hyperparameters", "step", "state") if k not in state]
        if missing:
            raise ValueError(f"state is missing {missing}")
        unknown = [v.describe(k) for k in state if k not in known]
        if unknown:
            raise ValueError(
                f"state has unknown keys {', '.join(unknown)}; known: {', '.join(known)}"
            )
        if not isinstance(state["kind"], str) or state["kind"] != self.kind:
            raise ValueError(
                f"state is for {v.describe(state['kind'])}, this optimizer is {self.kind!r}"
            )
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
        if steps == 0:
            if arrays or state.get("dtype") is not None or state.get("size", 0) != 0:
                raise ValueError(
                    "state at step 0 (never stepped) must have no arrays, dtype None and size 0"
                )
            if state.get("shape") is not None:
                raise ValueError("state at step 0 (never stepped) has no shape")
            return 0, 1.0, [], "float64", 0, {}
        raw_shape = state.get("shape")
        if not isinstance(raw_shape, (tuple, list)) or not all(
            isinstance(n, numbers.Integral) and not isinstance(n, (bool, np.bool_)) and int(n) >= 0
            for n in raw_shape
        ):
            raise ValueError(
                "state['shape'] must be the parameters' shape (a tuple of sizes >= 0), got "
                f"{v.describe(raw_shape)}"
            )
        shape = tuple(int(n) for n in raw_shape)
        size = math.prod(shape)
        if "size" in state and not (
            isinstance(state["size"], numbers.Integral)
            and not isinstance(state["size"], (bool, np.bool_))
            and int(state["size"]) == size
        ):
            raise ValueError(
                f"state['size'] must be {size} (the product of state['shape'] {shape}), got "
                f"{v.describe(state['size'])}"
            )
        layout = self._names_and_shapes(shape)
        names = [name for name, _ in layout]
        if sorted(map(str, arrays)) != sorted(names) or len(arrays) != len(names):
            raise ValueError(
                f"state['state'] must have the arrays {names} (for shape {shape}), got "
                f"{[v.describe(k) for k in arrays]}"
            )
        values = []
        for name, expected in layout:
            where = f"state['state'][{name!r}]"
            try:
                a = np.asarray(arrays[name])
            except Exception as exc:  # noqa: BLE001 - anything that is not an array
                raise ValueError(f"{where} could not be read as an array: {exc}") from None
            if a.dtype.kind != "f" or a.dtype.itemsize not in (4, 8):
                raise ValueError(f"{where} must be a float32 or float64 array, got dtype {a.dtype}")
            if a.shape != expected:
                raise ValueError(
                    f"{where} must have shape {expected} (torch's for parameters of shape "
                    f"{shape}), got {a.shape}"
                )
            a = v.contiguous(a, a.dtype.newbyteorder("=")).reshape(-1)
            if not np.isfinite(a).all():
                raise ValueError(f"{where} must be finite, got NaN or infinite values")
            if (a < 0).any():
                raise ValueError(f"{where} must be >= 0 (an average of squares), got {a.min()}")
            values.append(a)
        dtypes = {a.dtype for a in values}
        if state.get("dtype") is not None:
            dtypes.add(_state_dtype(state["dtype"], "state['dtype']"))
        if len(dtypes) != 1:
            raise ValueError(
                "state arrays must share one float32 or float64 dtype (state['dtype']), got "
                f"{sorted(map(str, dtypes))}"
            )
        return steps, 1.0, values, next(iter(dtypes)).name, size, {"shape": shape}


#: Every rule by its lower-case name.
RULES: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "adam": Adam,
    "adamw": AdamW,
    "adagrad": Adagrad,
    "rmsprop": RMSprop,
    "adadelta": Adadelta,
    "adamax": Adamax,
    "nadam": NAdam,
    "radam": RAdam,
    "rprop": Rprop,
    "asgd": ASGD,
    "lion": Lion,
    "adafactor": Adafactor,
}
