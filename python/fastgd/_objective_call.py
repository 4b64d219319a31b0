"""A Python objective as minimize's C++ loop calls it: flat float64 x -> (value, flat
gradient), from scipy's conventions (``fun(x, *args)``; ``jac=True``, a callable,
or finite differences), with x handed to the objective in x0's shape, and the
evaluations counted (nfev, njev) as scipy counts them."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _finite_differences
from ._bounds import Box

JAC_SCHEMES = _finite_differences.SCHEMES
_PLAIN_FLOATS = (float, np.float64)


def _describe(obj: Any) -> str:
    if isinstance(obj, np.ndarray):
        return f"an array of shape {obj.shape} and dtype {obj.dtype}"
    return type(obj).__name__


def real_value(value: Any, what: str) -> float:
    """The objective's value as a float, or a TypeError saying what came instead."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{what} must be a real number, got bool {value!r}")
    if isinstance(value, numbers.Real):
        try:
            return float(value)
        except OverflowError:
            raise ValueError(
                f"{what} is an int too large for a float64 (about 1e308 at most); return a float"
            ) from None
    if isinstance(value, (complex, np.complexfloating)):
        raise TypeError(f"{what} is complex ({value!r}); minimize needs a real value")
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "fiu":
        return float(value)
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiu":
        raise TypeError(
            f"{what} must be a number, got an array of shape {value.shape}; "
            "return float(value) or value.item()"
        )
    raise TypeError(f"{what} must be a real number, got {_describe(value)}")


def flat_gradient(grad: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
    """The gradient as a flat float64 array, checked against x's shape."""
    try:
        arr = np.asarray(grad)
    except Exception:  # noqa: BLE001 - any failure to read it is the same error
        raise TypeError(f"{what} could not be read as an array (got {_describe(grad)})") from None
    if arr.dtype.kind == "c":
        raise TypeError(
            f"{what} is complex (dtype {arr.dtype}); its imaginary part would be dropped: "
            "return a real gradient"
        )
    if arr.dtype.kind not in "fiu":
        of = "" if grad is None or isinstance(grad, np.ndarray) else f" of dtype {arr.dtype}"
        raise TypeError(f"{what} must hold real numbers, got {_describe(grad)}{of}")
    size = int(np.prod(shape))
    if arr.shape != shape and not (arr.ndim == 1 and arr.size == size and len(shape) <= 1):
        raise ValueError(
            f"{what} has shape {arr.shape}, but x has shape {shape}: return the gradient in "
            "x's shape"
        )
    return np.asarray(arr, dtype=np.float64).reshape(size)


class ObjectiveCall:
    """The objective, the gradient and the count of their evaluations.

    ``mode``: "pair" (fun returns (value, grad): jac=True), "separate" (jac is a
    callable) or a finite-difference scheme ("2-point", "3-point").
    """

    def __init__(
        self,
        fun: Callable[..., Any],
        jac: Callable[..., Any] | None,
        mode: str,
        args: tuple[Any, ...],
        shape: tuple[int, ...],
        box: Box | None,
    ) -> None:
        self.fun, self.jac, self.mode, self.args = fun, jac, mode, args
        self.shape, self.box = shape, box
        self._flat = len(shape) == 1  # x goes to fun as it comes, no reshape
        self.nfev = 0
        self.njev = 0
        self._first: tuple[np.ndarray, Any] | None = None  # a result kept from the mode check

    def shaped(self, x: np.ndarray) -> np.ndarray:
        return x if self._flat else x.reshape(self.shape)

    def _call_fun(self, x: np.ndarray) -> Any:
        if self._first is not None:
            x_first, result = self._first
            self._first = None
            if np.array_equal(x_first, x):
                return result
        self.nfev += 1
        return self.fun(self.shaped(x), *self.args)

    def _value(self, x: np.ndarray) -> float:
        return real_value(self._call_fun(x), "fun's value")

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """(value, flat gradient) at the flat point x."""
        if self.mode == "pair":
            result = self._call_fun(x)
            # The usual answer, (float, float64 array in x's shape), needs no checks: the
            # C++ loop reads it as it is (one call per evaluation, so this is the hot path).
            if type(result) is tuple and len(result) == 2:
                value, grad = result
                if (
                    type(value) in _PLAIN_FLOATS
                    and type(grad) is np.ndarray
                    and grad.dtype == np.float64
                    and grad.shape == self.shape
                    and self._flat
                ):
                    self.njev += 1
                    return value, grad
            if not isinstance(result, (tuple, list)) or len(result) != 2:
                got = (
                    f"a {type(result).__name__} of length {len(result)}"
                    if isinstance(result, (tuple, list))
                    else _describe(result)
                )
                raise TypeError(f"with jac=True, fun must return (value, grad), got {got}")
            self.njev += 1
            value = real_value(result[0], "fun's value")
            return value, flat_gradient(result[1], self.shape, "fun's gradient")
        value = self._value(x)
        if self.mode == "separate":
            assert self.jac is not None
            self.njev += 1
            grad = self.jac(self.shaped(x.copy()), *self.args)
            return value, flat_gradient(grad, self.shape, "jac's gradient")
        self.njev += 1
        if not np.isfinite(value):  # no gradient of a non-finite value: the loop stops on it
            return value, np.full(x.size, np.nan)
        grad, _ = _finite_differences.gradient(self._value, x, value, self.mode, self.box)
        return value, grad


def make_objective_call(
    fun: Callable[..., Any],
    jac: Any,
    args: tuple[Any, ...],
    x0: np.ndarray,
    shape: tuple[int, ...],
    box: Box | None,
) -> ObjectiveCall:
    """fun and jac as scipy takes them, for the flat x0 of an x of ``shape``.
    jac=None decides by what fun returns at x0: a (value, grad) pair is used as
    with jac=True (fastgd's convention), a number gets "2-point" finite
    differences (scipy's default)."""
    if jac is True:
        return ObjectiveCall(fun, None, "pair", args, shape, box)
    if isinstance(jac, str):
        if jac not in JAC_SCHEMES:
            raise ValueError(
                f"jac must be True, a callable, None, '2-point' or '3-point', got {jac!r}"
            )
        return ObjectiveCall(fun, None, jac, args, shape, box)
    if jac is None:
        first = fun(x0.reshape(shape), *args)
        pair = isinstance(first, (tuple, list)) and len(first) == 2
        if isinstance(first, (tuple, list)) and not pair:
            raise TypeError(
                f"fun must return a number, or (value, grad) (jac=True), got a "
                f"{type(first).__name__} of length {len(first)}"
            )
        call = ObjectiveCall(fun, None, "pair" if pair else "2-point", args, shape, box)
        call.nfev = 1
        call._first = (x0.copy(), first)
        return call
    if callable(jac) and not isinstance(jac, bool):
        return ObjectiveCall(fun, jac, "separate", args, shape, box)
    raise TypeError(
        f"jac must be True, a callable, None, '2-point' or '3-point', got {_describe(jac)}"
    )
