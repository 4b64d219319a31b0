"""Adafactor (Shazeer and Stern, 2018), as torch.optim.Adafactor: second moments
factored over the last two dimensions of each array (its own C++ path, adafactor.hpp)."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from . import _validation as v
from ._hyperparameters import at_least as _at_least
from ._hyperparameters import lr_value as _lr
from ._hyperparameters import pair as _pair
from .optimizer_base import Optimizer, Params, _full_state, _state_array, _state_dtype
from .schedules import Schedule


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
        known = ("kind", "hyperparameters", "step", "state", "dtype", "size", "shape")
        steps, arrays = self._state_header(state, known)
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
            a = _state_array(arrays[name], where)
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
