"""The least-squares kernel: loss and gradient in one fused pass over X."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from . import _core
from . import _validation as v
from .theta import pack


def least_squares_loss_grad(
    X: ArrayLike,
    y: ArrayLike,
    w: ArrayLike,
    *,
    reduction: Literal["mean", "sum"] = "mean",
    l2: float = 0.0,
    rows: ArrayLike | None = None,
    intercept: float | None = None,
) -> tuple[float, np.ndarray]:
    r"""Least-squares loss and gradient, computed in one pass over ``X``.

    For residuals :math:`r_i = x_i \cdot w + b - y_i` over the rows used (b the
    ``intercept``, 0 without one):

    - ``reduction="mean"``: :math:`J = \frac1m \sum r_i^2 + l_2\|w\|^2`,
      :math:`\nabla J = \frac2m X^T r + 2 l_2 w`;
    - ``reduction="sum"``: the lecture's :math:`J = \|Xw - y\|^2 + l_2\|w\|^2`,
      :math:`\nabla J = 2 X^T r + 2 l_2 w`.

    Each row of ``X`` is read once: its residual, its share of the loss and of the
    gradient are computed together (NumPy's ``X.T @ (X @ w - y)`` reads ``X`` twice).
    The work is split over ``fastgd.get_num_threads()`` threads in fixed row blocks,
    so the result is bitwise identical for any thread count.

    Parameters
    ----------
    X : array_like, shape (n, d)
        float32 stays float32 (the loss is accumulated in float64, the gradient in
        float32 blocks of 256 rows added in float64); other real dtypes become
        float64. Any layout is accepted; non-C-contiguous input is copied once.
    y : array_like, shape (n,)
    w : array_like, shape (d,)
    reduction : {"mean", "sum"}
    l2 : float, >= 0
        Ridge penalty coefficient.
    rows : array_like of int, optional
        Row indices of a mini-batch (repeats allowed); ``m = len(rows)``.
    intercept : float or None
        None (the default): the model has no bias, and ``grad`` is the gradient in
        w. A number b: the model is :math:`Xw + b`, and ``grad`` has the gradient
        in b last, :math:`\frac2m \sum r_i` (``"sum"``: :math:`2 \sum r_i`; no l2
        on b), all from the same pass.

    Returns
    -------
    loss : float
    grad : ndarray, shape (d,) or (d + 1,) with an intercept, the dtype of the computation

    Notes
    -----
    NaN or infinity in the inputs propagate to the result; the fits reject them.
    """
    for value, name in ((X, "X"), (y, "y"), (w, "w")):
        v.refuse_sparse(value, name, "least_squares_loss_grad")
    Xa = v.design_matrix(X)
    n, d = Xa.shape
    ya = v.vector(y, "y", n, Xa.dtype, "X has n_samples =")
    wa = v.vector(w, "w", d, Xa.dtype, "X has n_features =")
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    l2_ = v.nonnegative(l2, "l2")
    idx = v.row_indices(rows, n)
    m = n if idx is None else idx.size
    if m == 0 and reduction == "mean":
        raise ValueError(
            "the mean loss needs at least one row: X is empty" if rows is None else "rows is empty"
        )
    if intercept is not None:
        wa = pack(wa, v.real_number(intercept, "intercept"), True, Xa.dtype)
    loss, grad = _core.least_squares_loss_grad(
        Xa, ya, wa, idx, reduction == "mean", l2_, intercept is not None
    )
    return float(loss), grad
