"""Rprop, ASGD and Lion: the sign-based rules (Rprop, optax's Lion) and averaged SGD,
in C++ as the other rules; ASGD also keeps the averaged parameters (``ax``)."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from . import _validation as v
from ._hyperparameters import betas_pair as _betas
from ._hyperparameters import check as _check
from ._hyperparameters import lr_value as _lr
from ._hyperparameters import pair as _pair
from .optimizer_base import Optimizer, Params, _full_state
from .schedules import Schedule


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
