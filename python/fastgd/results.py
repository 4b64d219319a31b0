"""FitResult, what fit_least_squares returns, and its status message."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from . import _validation as v

__all__ = ["FitResult", "fit_message", "path_of"]


@dataclass
class FitResult:
    r"""The outcome of :func:`fit_least_squares` and :func:`fit_linear`.

    Attributes
    ----------
    coef : ndarray, shape (d,), or (d, K) for fit_linear's multinomial log loss
        Fitted weights, in the dtype of the computation (float32 or float64).
    intercept : float, or an ndarray of K values for the multinomial
        Fitted bias (0.0 when ``fit_intercept=False``).
    losses : ndarray
        The mean squared error (plus the l2 penalty) over all rows: the initial
        loss, then one after every epoch. Empty when ``record=False``.
    n_iter : int
        Epochs run (for full-batch methods, steps).
    status : {"converged", "stalled", "max_iter", "diverged", "stopped", "no_improvement"}
        "converged": the first-order optimality test passed (see ``optimality``);
        "stalled": theta stopped moving (an epoch changed it by less than ``tol``)
        but the test did not pass, so the answer is not a minimum;
        "no_improvement": scikit-learn's rule ended the fit (the loss not lower by
        ``tol`` for ``n_iter_no_change`` epochs in a row; the estimators' default).
    message : str
    lr : float
        The learning rate used (the one ``lr="auto"`` picked, if so).
    optimizer : str
    gradient : {"stream", "gram", "batch"}
        How gradients were computed: streaming X, from the Gram form, or per mini-batch.
    path : ndarray, shape (n_iter + 1, d + 1)
        With ``record=True``: theta = [coef, intercept] at the start (row 0) and after
        every epoch, beside ``losses`` (the intercept column is 0 without one), e.g.
        to draw the descent on the contour of J(w, b). Empty (0 rows) otherwise.
    optimality : float
        The optimality measure at the returned coefficients,
        :math:`\max_j |g_j| / (\tfrac2n \|a_j\| \max(\|y_c\|, \|r\|) + 2 l_2 |\theta_j|)`
        (see :func:`fit_least_squares`), or NaN where it was not computed (a
        mini-batch fit that recorded nothing and did not stop by ``tol``).
    """

    coef: np.ndarray
    intercept: float
    losses: np.ndarray
    n_iter: int
    status: str
    message: str
    lr: float
    optimizer: str
    gradient: str
    optimality: float = math.nan
    path: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))

    def __repr__(self) -> str:
        loss = f"{self.losses[-1]:.6g}" if self.losses.size else "not recorded"
        return (
            f"FitResult(status={self.status!r}, n_iter={self.n_iter}, loss={loss}, "
            f"lr={self.lr:.6g}, optimizer={self.optimizer!r}, gradient={self.gradient!r}, "
            f"d={self.coef.shape[0]})"
        )

    @property
    def success(self) -> bool:
        """True when the run converged: the first-order optimality test passed."""
        return self.status == "converged"

    def predict(self, X: ArrayLike) -> np.ndarray:
        """X @ coef + intercept."""
        Xa = v.design_matrix(X)
        if Xa.shape[1] != self.coef.shape[0]:
            raise ValueError(
                f"X has {Xa.shape[1]} columns but the fit has {self.coef.shape[0]} coefficients"
            )
        return Xa @ self.coef + self.intercept


def path_of(thetas: np.ndarray, d: int, fit_intercept: bool) -> np.ndarray:
    """FitResult.path from recorded thetas (rows of d or d + 1 values): one column
    per weight and the intercept last (zeros without one), in float64."""
    rows = np.asarray(thetas, dtype=np.float64)
    if rows.ndim != 2:  # nothing recorded
        rows = np.empty((0, d + int(fit_intercept)))
    if fit_intercept:
        return rows
    return np.hstack([rows, np.zeros((rows.shape[0], 1))])


def fit_message(
    status: str,
    n_iter: int,
    tol: float | None,
    max_iter: int,
    lr: float,
    optimality: float = math.nan,
    gtol: float = math.nan,
    n_iter_no_change: int | None = None,
) -> str:
    """The one-line account of how a fit ended, by its status. ``n_iter_no_change``:
    the patience of scikit-learn's rule when that was tol's rule (None: the
    step-length rule)."""
    if status == "converged":
        return (
            f"converged after {n_iter} epochs: the optimality test passed "
            f"(scaled gradient {optimality:.3g} <= gtol={gtol:g})"
        )
    if status == "stalled":
        return (
            f"stalled in epoch {n_iter}: theta changed by less than tol={tol:g}, but the "
            f"optimality test did not pass (scaled gradient {optimality:.3g} > gtol={gtol:g}), "
            "so this is not a minimum. The steps are too small for this data: standardize X "
            "(e.g. sklearn's StandardScaler), use optimizer='momentum' or 'adam', solve it "
            "exactly with fastgd.normal_equations, or raise lr (lr='auto' picks 1/L)"
        )
    if status == "max_iter" and tol is None:
        return f"ran max_iter={max_iter} epochs (tol=None: no early stop)"
    if status == "max_iter" and n_iter_no_change is not None:
        return (
            f"reached max_iter={max_iter} epochs while the loss still improved by tol={tol:g} "
            f"within every {n_iter_no_change} epochs"
        )
    if status == "max_iter":
        return f"reached max_iter={max_iter} epochs before theta changed by less than tol={tol:g}"
    if status == "stopped":
        return f"stopped by the callback after epoch {n_iter}"
    if status == "no_improvement":
        patience = "n_iter_no_change" if n_iter_no_change is None else str(n_iter_no_change)
        measured = "" if math.isnan(optimality) else f", scaled gradient {optimality:.3g},"
        return (
            f"stopped after epoch {n_iter}: the loss did not improve by tol={tol:g} for "
            f"{patience} epochs in a row (scikit-learn's rule; the optimality test{measured} "
            "is not required by it)"
        )
    return f"diverged in epoch {n_iter}: the loss or theta became infinite, NaN or exploded with lr={lr:g}"
