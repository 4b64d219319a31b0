"""torch.optim.lr_scheduler's schedulers, without torch: they step the learning rate
(and, for CyclicLR and OneCycleLR, the momentum) of an optimizer's ``param_groups``
from Python, between optimizer steps, in a training loop.

Which to use when:

- ``fastgd.schedules`` (a :class:`~fastgd.schedules.Schedule` passed as ``lr=``) is
  evaluated in C++ at every step, inside the compiled loops: ``fit_least_squares``,
  ``minimize``, ``race``, ``GDRegressor`` and the single-array optimizers. Use it when
  fastgd runs the loop.
- ``fastgd.lr_scheduler`` (this module) is for the loops you write: it changes
  ``group["lr"]`` of an optimizer built from parameters (``fastgd.Adam(params, ...)``,
  or any torch.optim optimizer: anything with ``param_groups``, a list of dicts with an
  "lr"), and the next ``opt.step(...)`` uses it. Same names, arguments, numbers and
  state dicts as torch 2.13.

>>> import fastgd
>>> from fastgd.lr_scheduler import StepLR
>>> class Opt:  # any optimizer with torch-style param_groups
...     param_groups = [{"lr": 0.1}]
>>> sched = StepLR(Opt(), step_size=2, gamma=0.5)
>>> for epoch in range(4):
...     # ... train one epoch: opt.step(grads) for every batch ...
...     sched.step()
>>> sched.get_last_lr()
[0.025]

As torch: call ``step()`` after the optimizer's step (once per epoch, or once per batch
for CyclicLR and OneCycleLR); ``ReduceLROnPlateau.step(metrics)`` takes the monitored
value. Differences from torch: ``step(epoch)`` (deprecated in torch) is refused with a
TypeError; no warning when the scheduler steps before the optimizer (the optimizer is
not patched); arguments torch would accept and then fail on or turn into nonsense
(``step_size=0``, ``T_max=0``, ``ConstantLR(factor=0)``, ``total_iters=0`` for LinearLR
and PolynomialLR, a negative gamma, unsorted SequentialLR milestones, an unknown
``scale_mode``) are refused when the scheduler is built, with a TypeError or ValueError
naming the argument (torch's words where torch checks); a refused call changes nothing,
and neither does a step that fails (stepping OneCycleLR past ``total_steps``, a
lambda that raises); learning rates are Python floats, never tensors; like torch's,
ChainedScheduler has no ``last_epoch``. ``state_dict()`` has torch's keys, so a state
dict saved by torch's scheduler of the same kind and configuration loads here and the
other way round; lambdas (LambdaLR, MultiplicativeLR, CyclicLR's ``scale_fn``) are saved
as torch saves them: a callable object by its ``__dict__``, a plain function not at all.
"""

from __future__ import annotations

from .._namespace import public_dir
from ._base import LRScheduler
from ._compose import ChainedScheduler, SequentialLR
from ._cyclic import CyclicLR, OneCycleLR
from ._decay import (
    ConstantLR,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)
from ._plateau import ReduceLROnPlateau

__all__ = [
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
]

__dir__ = public_dir(__all__)
