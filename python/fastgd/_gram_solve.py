"""Least squares by the normal equations, when they are safe: the Gram form of
A = X (or [X, 1]) in one pass of the C++ core, in float64 whatever X's dtype, then a
symmetric eigendecomposition of the equilibrated Gram matrix, which both solves the
system and gives its condition number.

Forming A^T A squares A's condition number: the solution's relative error is about
cond(D A^T A D) * eps (D scaling the columns to unit norm, which the error does not
depend on). Above COND_LIMIT (cond(A D) above 1e4, a loss of more than 8 digits)
``gram_solve`` declines and the caller takes lstsq on X itself. With an intercept
the bordered system's scaled condition number also counts the cancellation in
centring: a column whose mean is large against its spread is nearly parallel to
the column of ones.
"""

from __future__ import annotations

import numpy as np

from . import _core

COND_LIMIT = 1e8
_ROWS_PER_BLOCK = 1 << 16  # float32 X widened to float64 this many rows at a time


def gram_solve(X: np.ndarray, y: np.ndarray, fit_intercept: bool) -> np.ndarray | None:
    """theta = [coef, intercept] (or coef) minimising ||A theta - y||, or None when the
    equilibrated A^T A is singular or its condition number exceeds COND_LIMIT.
    X: C-contiguous float32/float64, y: float64, both unchanged."""
    n, d = X.shape
    if d == 0:
        return None
    if X.dtype == np.float64:
        G, Aty, _ = _core.least_squares_gram(X, y, fit_intercept)
    else:
        # The core's pass takes y in X's dtype; A^T y is summed here with y in float64.
        G, _, _ = _core.least_squares_gram(X, np.zeros(n, X.dtype), fit_intercept)
        Xty = np.zeros(d)
        for start in range(0, n, _ROWS_PER_BLOCK):
            block = slice(start, start + _ROWS_PER_BLOCK)
            Xty += X[block].T.astype(np.float64) @ y[block]
        Aty = np.append(Xty, y.sum()) if fit_intercept else Xty
    scale = np.sqrt(np.diag(G))
    if not np.all(scale > 0):  # a zero column: rank deficient
        return None
    eigvals, eigvecs = np.linalg.eigh(G / np.outer(scale, scale))
    if not (eigvals[0] > 0 and eigvals[-1] <= COND_LIMIT * eigvals[0]):
        return None
    return (eigvecs @ ((eigvecs.T @ (Aty / scale)) / eigvals)) / scale
