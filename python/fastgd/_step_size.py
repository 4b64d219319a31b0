"""scikit-learn's ``learning_rate`` names (with ``eta0``, ``power_t``) as fastgd step
sizes, for any optimizer of the estimators:

=============  ==========================================  ===============================
name           scikit-learn's rate at step t = 0, 1, ...   fastgd
=============  ==========================================  ===============================
"constant"     eta0                                        lr = eta0
"invscaling"   eta0 / (t + 1)^power_t                      schedules.inverse_scaling
"optimal"      1 / (alpha (t0 + t)), t0 by Bottou's         schedules.inverse_time
               heuristic (below)
"adaptive"     eta0, divided by 5 whenever the loss has    lr = eta0 and the plateau rule's
               not improved by tol for n_iter_no_change    adaptive action (loss_plateau.hpp)
               epochs
=============  ==========================================  ===============================

t counts steps of the optimizer (rows for single-row SGD, mini-batches otherwise).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import _validation as v
from . import reference
from .schedules import Schedule, inverse_scaling, inverse_time

LEARNING_RATES = ("constant", "optimal", "invscaling", "adaptive")


def optimal_schedule(alpha: float, loss: str, epsilon: float) -> Schedule:
    """scikit-learn's "optimal" rate 1 / (alpha (t0 + t)): the typical weight
    typw = sqrt(1 / sqrt(alpha)) sets the first rate eta0 = typw / max(1, dL/dz(-typw, 1)),
    and t0 = 1 / (eta0 alpha), so the rate is eta0 / (1 + alpha eta0 t)."""
    typw = math.sqrt(1.0 / math.sqrt(alpha))
    slope = float(reference.loss_derivative(loss, np.array(-typw), np.array(1.0), epsilon))
    eta0 = typw / max(1.0, slope)
    return inverse_time(eta0, decay=alpha * eta0)


def step_size(
    learning_rate: Any,
    eta0: Any,
    power_t: Any,
    lr: Any,
    alpha: float,
    loss: str,
    epsilon: float,
) -> tuple[Any, bool]:
    """(the lr for the fit plan, whether the adaptive rule acts). learning_rate=None
    leaves lr as given; a name sets it from eta0 / power_t / alpha, and then lr must be
    left at its default "auto" (giving both is an error)."""
    if learning_rate is None:
        return lr, False
    if not isinstance(learning_rate, str) or learning_rate not in LEARNING_RATES:
        raise ValueError(
            f"learning_rate must be None or one of {', '.join(map(repr, LEARNING_RATES))}, "
            f"got {v.describe(learning_rate)}"
        )
    if not (isinstance(lr, str) and lr == "auto"):
        raise ValueError(
            f"give the step size either as lr (got {v.describe(lr)}) or as "
            f"learning_rate={learning_rate!r} with eta0/power_t, not both: leave lr='auto'"
        )
    if learning_rate == "optimal":
        if not alpha > 0.0:
            raise ValueError(
                "learning_rate='optimal' needs alpha > 0 (its rate is 1 / (alpha (t0 + t)))"
            )
        return optimal_schedule(alpha, loss, epsilon), False
    rate = v.positive(eta0, "eta0")
    if learning_rate == "invscaling":
        return inverse_scaling(rate, power=v.nonnegative(power_t, "power_t")), False
    return rate, learning_rate == "adaptive"
