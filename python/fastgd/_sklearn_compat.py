"""scikit-learn's estimator base classes when it is installed, small stand-ins when it
is not: fastgd's estimators are full scikit-learn estimators with it (pipelines, grid
searches, ``check_estimator``) and still work on their own without it."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import ConvergenceWarning, NotFittedError
    from sklearn.utils.validation import check_is_fitted, validate_data

    HAVE_SKLEARN = True
except ImportError:  # scikit-learn is optional: the stand-ins below do its part
    HAVE_SKLEARN = False
    check_is_fitted = None
    validate_data = None

    class ConvergenceWarning(UserWarning):  # type: ignore[no-redef]
        """max_iter ended a fit before it converged (scikit-learn's, when installed)."""

    class NotFittedError(ValueError, AttributeError):  # type: ignore[no-redef]
        """The estimator is used before fit (scikit-learn's, when installed)."""

    class BaseEstimator:  # type: ignore[no-redef]
        """get_params / set_params from __init__'s signature, as scikit-learn's."""

        @classmethod
        def _get_param_names(cls) -> list[str]:
            sig = inspect.signature(cls.__init__)
            return sorted(p for p in sig.parameters if p != "self")

        def get_params(self, deep: bool = True) -> dict[str, Any]:
            return {name: getattr(self, name) for name in self._get_param_names()}

        def set_params(self, **params: Any) -> Any:
            valid = self._get_param_names()
            for key, value in params.items():
                if key not in valid:
                    raise ValueError(f"invalid parameter {key!r}; valid: {', '.join(valid)}")
                setattr(self, key, value)
            return self

        def __repr__(self) -> str:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
            return f"{type(self).__name__}({args})"

    class RegressorMixin:  # type: ignore[no-redef]
        """score() as the coefficient of determination R^2."""

        def score(
            self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
        ) -> float:
            y_true = np.asarray(y, dtype=np.float64)
            w = np.ones_like(y_true) if sample_weight is None else np.asarray(sample_weight, float)
            pred = self.predict(X)  # type: ignore[attr-defined]
            residual = float(np.sum(w * (y_true - pred) ** 2))
            mean = float(np.average(y_true, weights=w))
            total = float(np.sum(w * (y_true - mean) ** 2))
            return 1.0 - residual / total if total > 0 else 0.0

    class ClassifierMixin:  # type: ignore[no-redef]
        """score() as the (weighted) accuracy."""

        def score(
            self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
        ) -> float:
            right = np.asarray(self.predict(X)) == np.asarray(y)  # type: ignore[attr-defined]
            weights = None if sample_weight is None else np.asarray(sample_weight, float)
            return float(np.average(right, weights=weights))


__all__ = [
    "HAVE_SKLEARN",
    "BaseEstimator",
    "ClassifierMixin",
    "ConvergenceWarning",
    "NotFittedError",
    "RegressorMixin",
    "check_is_fitted",
    "validate_data",
]
