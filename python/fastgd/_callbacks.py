"""One callback convention for fits, minimize and race: scipy's.

A callback whose only parameter is named ``intermediate_result`` is called with an
:class:`IntermediateResult` after every step (minimize) or epoch (fits); returning
True, or raising StopIteration, stops the run (status "stopped"). The older
positional forms (``callback(epoch, loss, coef)`` for fits, ``callback(nit, x, fun)``
for minimize) keep working, with a DeprecationWarning.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class IntermediateResult:
    """What a callback sees after a step or an epoch.

    Attributes
    ----------
    nit : int
        Steps (minimize) or epochs (fits) taken so far.
    fun : float
        The objective (minimize) or the loss (fits) there.
    x : ndarray
        A copy of the iterate: minimize's x, or a fit's theta = [coef, intercept].
    coef : ndarray or None
        Fits only: a copy of the weights.
    intercept : float or None
        Fits only: the bias (0.0 without an intercept).
    """

    nit: int
    fun: float
    x: np.ndarray
    coef: np.ndarray | None = None
    intercept: float | None = None

    def __repr__(self) -> str:
        return f"IntermediateResult(nit={self.nit}, fun={self.fun:.6g})"


def takes_intermediate_result(callback: Callable[..., object]) -> bool:
    """True when callback's only parameter is named intermediate_result (scipy's test)."""
    try:
        parameters = inspect.signature(callback).parameters
    except (TypeError, ValueError):  # builtins without a signature: the old form
        return False
    return list(parameters) == ["intermediate_result"]


def adapt(
    callback: Callable[..., object] | None,
    legacy: Callable[[Callable[..., object], IntermediateResult], object],
    legacy_form: str,
) -> Callable[[IntermediateResult], bool] | None:
    """callback as a function of an IntermediateResult returning "stop?", or None.

    ``legacy(callback, result)`` calls an old positional callback; ``legacy_form``
    names that form in the DeprecationWarning (e.g. "callback(nit, x, fun)").
    """
    if callback is None:
        return None
    if not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    if takes_intermediate_result(callback):
        call = callback

        def modern(result: IntermediateResult) -> bool:
            return _stop(lambda: call(intermediate_result=result))

        return modern
    warnings.warn(
        f"the positional {legacy_form} is deprecated; write "
        "callback(intermediate_result) and read its named fields (nit, fun, x, ...)",
        DeprecationWarning,
        stacklevel=3,
    )

    def old(result: IntermediateResult) -> bool:
        return _stop(lambda: legacy(callback, result))

    return old


def _stop(call: Callable[[], object]) -> bool:
    try:
        answer = call()
    except StopIteration:
        return True
    if answer is None or isinstance(answer, (bool, np.bool_)):
        return bool(answer)
    raise TypeError(
        "the callback must return None, False (go on) or True (stop), "
        f"got {type(answer).__name__} {answer!r}"
    )
