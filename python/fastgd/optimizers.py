"""Update rules with torch.optim's names, defaults and semantics, stepping NumPy
arrays in place: torch's classic nine here (SGD, Adam, AdamW, Adagrad, RMSprop,
Adadelta, Adamax, NAdam, RAdam), Rprop, ASGD and Lion in :mod:`fastgd.rprop_asgd_lion`,
Adafactor in :mod:`fastgd.adafactor`, and ``RULES``, every rule by name. The rules run
in C++ (vectorised for this CPU, threaded for long arrays); the same rules drive
:func:`fastgd.fit_least_squares`. How an optimizer holds its arrays and state (one
array, or parameter groups), and its thread-safety: :mod:`fastgd.optimizer_base`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from . import _validation as v
from ._hyperparameters import check as _check
from ._hyperparameters import lr_value as _lr
from ._hyperparameters import moments as _moments
from .adafactor import Adafactor
from .optimizer_base import Optimizer, Params
from .param_groups import to_torch
from .rprop_asgd_lion import ASGD, Lion, Rprop
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
