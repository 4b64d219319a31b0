"""scikit-learn's SGD losses and penalties on a linear model, value and gradient in
one fused pass over ``X`` (the C++ row kernels take the loss as a parameter).

The objective over the m rows used (all of ``X``, or ``rows``) is scikit-learn's SGD
objective

.. math:: J = \\frac1m \\sum_i s_i L(z_i, y_i) + \\alpha R(w), \\quad z_i = x_i \\cdot w + b,
   \\quad R(w) = \\frac{1 - \\rho}{2}\\|w\\|^2 + \\rho \\|w\\|_1

(s_i the sample weights, rho the ``l1_ratio``; the intercept b is never penalised).
The losses, as scikit-learn defines them (r = z - y; for classification m = y z
with y in {-1, +1}):

===============================  ==========================================================
``squared_error``                r^2 / 2
``huber``                        r^2 / 2 for \\|r\\| <= epsilon, epsilon \\|r\\| - epsilon^2 / 2 beyond
``epsilon_insensitive``          max(0, \\|r\\| - epsilon)
``squared_epsilon_insensitive``  max(0, \\|r\\| - epsilon)^2
``log_loss``                     log(1 + exp(-m)); with ``w`` of shape (d, K): the
                                 multinomial (softmax) log loss, y a class index
``hinge``                        max(0, 1 - m)
``squared_hinge``                max(0, 1 - m)^2
``modified_huber``               max(0, 1 - m)^2 for m >= -1, -4 m below
``perceptron``                   max(0, -m)
===============================  ==========================================================
"""

from __future__ import annotations

from typing import Any, TypeGuard

import numpy as np
from numpy.typing import ArrayLike

from . import _core
from . import _validation as v
from ._namespace import public_dir

__all__ = [
    "CLASSIFICATION_LOSSES",
    "LOSSES",
    "PENALTIES",
    "REGRESSION_LOSSES",
    "loss_grad",
]

__dir__ = public_dir(__all__)

#: Every loss name and its id in the C++ core (dispatch.hpp: loss_kind).
LOSSES: dict[str, int] = {
    "squared_error": 0,
    "huber": 1,
    "epsilon_insensitive": 2,
    "squared_epsilon_insensitive": 3,
    "log_loss": 4,
    "hinge": 5,
    "squared_hinge": 6,
    "modified_huber": 7,
    "perceptron": 8,
}
#: Losses of real-valued targets.
REGRESSION_LOSSES = (
    "squared_error",
    "huber",
    "epsilon_insensitive",
    "squared_epsilon_insensitive",
)
#: Binary losses: labels {-1, +1} (or {0, 1}, converted); log_loss is also multinomial.
CLASSIFICATION_LOSSES = ("log_loss", "hinge", "squared_hinge", "modified_huber", "perceptron")
#: The penalties and the l1_ratio each one means (None: the one given, elasticnet).
PENALTIES: dict[str | None, float | None] = {None: 0.0, "l2": 0.0, "l1": 1.0, "elasticnet": None}

Array = np.ndarray[Any, Any]


def check_loss(loss: Any) -> str:
    """loss itself when it names a loss; else an error listing the names."""
    if not isinstance(loss, str) or loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}; got {v.describe(loss)}")
    return loss


def penalty_weights(penalty: Any, alpha: Any, l1_ratio: Any) -> tuple[float, float]:
    """(alpha, l1_ratio) as the kernel applies them: penalty=None is alpha = 0, "l2"
    is l1_ratio = 0 and "l1" is l1_ratio = 1 (scikit-learn's meaning)."""
    if not (penalty is None or (isinstance(penalty, str) and penalty in PENALTIES)):
        raise ValueError(
            f"penalty must be None, 'l2', 'l1' or 'elasticnet'; got {v.describe(penalty)}"
        )
    alpha_ = v.nonnegative(alpha, "alpha")
    ratio = v.real_number(l1_ratio, "l1_ratio")
    if not 0.0 <= ratio <= 1.0:
        raise ValueError(f"l1_ratio must be in [0, 1], got {v.describe(l1_ratio)}")
    if penalty is None:
        return 0.0, 0.0
    fixed = PENALTIES[penalty]
    return alpha_, ratio if fixed is None else fixed


# linear_loss_grad's y_check (linear_loss.hpp): what the kernel checks of y as it reads it.
Y_FINITE, Y_PLUS_MINUS_ONE = 1, 2


def _ready_targets(y: Any, n: int, dtype: np.dtype[Any]) -> TypeGuard[Array]:
    """y is already what the kernel reads: n values of dtype, C-contiguous and aligned."""
    return (
        isinstance(y, np.ndarray)
        and y.dtype == dtype
        and y.shape == (n,)
        and y.flags.c_contiguous
        and y.flags.aligned
    )


def binary_labels(y: ArrayLike, n: int, dtype: np.dtype[Any], loss: str) -> Array:
    """y as {-1, +1} in dtype. The rule: labels already in {-1, +1} are used as
    they are; labels in {0, 1} become 0 -> -1, 1 -> +1; anything else is refused."""
    ya = v.as_array(y, "y")
    if ya.ndim != 1 or ya.shape[0] != n:
        raise ValueError(
            f"y must be a 1-D array of {n} labels (one per row of X), got shape {ya.shape}"
        )
    one = ya == 1
    if (one | (ya == -1)).all():
        return v.contiguous(ya, dtype)
    if (one | (ya == 0)).all():
        return v.contiguous(np.where(one, 1, -1), dtype)
    values = np.unique(ya)
    shown = ", ".join(repr(x.item()) for x in values[:5]) + (", ..." if values.size > 5 else "")
    raise ValueError(
        f"y must hold binary labels in {{-1, +1}} or {{0, 1}} for loss={loss!r}; got the values "
        f"{shown}. Encode the classes first (sklearn.preprocessing.LabelEncoder), or use "
        "loss='log_loss' with w of shape (n_features, n_classes) for more than two classes"
    )


def class_indices(y: ArrayLike, n: int, n_classes: int) -> Array:
    """y as int64 class indices in [0, n_classes)."""
    ya = v.as_array(y, "y")
    if ya.ndim != 1 or ya.shape[0] != n:
        raise ValueError(f"y must be a 1-D array of {n} class indices, got shape {ya.shape}")
    if ya.dtype.kind == "f" and not (np.isfinite(ya).all() and (ya == np.round(ya)).all()):
        raise ValueError("y must hold integer class indices for the multinomial log loss")
    if ya.size and (ya.min() < 0 or ya.max() >= n_classes):
        raise ValueError(
            f"y must hold class indices in [0, {n_classes}) for w with {n_classes} columns; "
            f"got min {ya.min()}, max {ya.max()}"
        )
    return v.contiguous(ya, np.int64)


def sample_weights(sample_weight: Any, n: int, dtype: np.dtype[Any]) -> Array | None:
    """None, or n finite weights >= 0 in dtype."""
    if sample_weight is None:
        return None
    v.refuse_sparse(sample_weight, "sample_weight", "loss_grad")
    sw = v.as_array(sample_weight, "sample_weight")
    if sw.ndim != 1 or sw.shape[0] != n:
        raise ValueError(
            f"sample_weight must be a 1-D array of {n} weights (one per row of X), got shape {sw.shape}"
        )
    with np.errstate(over="ignore"):  # beyond float32: inf, refused below
        out = v.contiguous(sw, dtype)
    bad = ~(np.isfinite(out) & (out >= 0))
    if bad.any():
        raise ValueError(
            f"sample_weight must be finite and >= 0; {int(bad.sum())} are not "
            f"(the first: {out[bad][0]!r})"
        )
    return out


def loss_grad(
    X: ArrayLike,
    y: ArrayLike,
    w: ArrayLike,
    *,
    loss: str = "squared_error",
    intercept: Any = 0.0,
    penalty: str | None = None,
    alpha: float = 0.0,
    l1_ratio: float = 0.15,
    sample_weight: ArrayLike | None = None,
    rows: ArrayLike | None = None,
    epsilon: float = 0.1,
) -> tuple[float, Array, Any]:
    r"""Value and gradient of a linear model's objective under one of scikit-learn's
    SGD losses, in one pass over ``X``.

    .. math:: J = \frac1m \sum_i s_i L(x_i \cdot w + b, y_i) + \alpha R(w),
       \quad R(w) = \frac{1 - \rho}{2}\|w\|^2 + \rho\|w\|_1

    over the m rows used (all rows, or ``rows``); ``fastgd.losses`` lists the losses.
    The mean divides by m, the number of rows, also with sample weights (scikit-learn's
    SGD objective; its LogisticRegression divides by the sum of the weights instead).
    Each row is read once; the work is split over ``fastgd.get_num_threads()`` threads
    in fixed row blocks, so the result is bitwise identical for any thread count.

    Parameters
    ----------
    X : array_like or scipy.sparse matrix/array, shape (n, d)
        float32 stays float32, other real dtypes become float64 (as
        ``least_squares_loss_grad``). Sparse X: see the Notes.
    y : array_like, shape (n,)
        Regression losses: real targets. Binary losses: labels in {-1, +1}, or in
        {0, 1} (0 becomes -1). Multinomial log loss: class indices in [0, K).
    w : array_like, shape (d,), or (d, K) for the multinomial log loss
    loss : str
        One of ``fastgd.losses.LOSSES``; ``"log_loss"`` with a 2-D ``w`` is the
        multinomial (softmax) log loss.
    intercept : float, or (for the multinomial) a float or K values
        The model's b, never penalised. Its gradient is always returned.
    penalty : {None, "l2", "l1", "elasticnet"}
        None ignores alpha; "l2" is l1_ratio = 0 and "l1" is l1_ratio = 1.
    alpha : float, >= 0
    l1_ratio : float in [0, 1]
        The elastic-net mixing (used with ``penalty="elasticnet"``). The l1 term's
        gradient is sign(w), 0 at 0 (a subgradient).
    sample_weight : array_like of n values >= 0, optional
        s_i (default 1).
    rows : array_like of int, optional
        Row indices of a mini-batch (repeats allowed).
    epsilon : float, >= 0
        The width of huber, epsilon_insensitive and squared_epsilon_insensitive.

    Returns
    -------
    loss : float
    grad_w : ndarray, shape of w, the dtype of the computation
    grad_intercept : float, or an ndarray of K values for the multinomial

    Notes
    -----
    Non-finite values in dense X propagate to the result (as
    ``least_squares_loss_grad``).

    With float32 X the computation is float32's: z and the derivative are rounded to
    float, and on short dense rows in order (up to four vector registers: 64 values
    with AVX-512, 32 with AVX2) the loss itself is evaluated in float, so its value
    agrees with a float64 evaluation at the same z to about 1e-7 relative. The sums
    over rows are kept in float64.

    **Sparse X.** Any scipy.sparse matrix or array is accepted. CSR is read in place
    (its data, indices and indptr are handed to C++ as they are, int32 or int64
    indices alike: no copy) when it is canonical (sorted indices, no duplicates) and
    its data is float32 or float64; CSC, COO and the other formats, non-canonical
    CSR and other data dtypes are converted to canonical CSR once (a copy; the
    caller's matrix is never changed). NaN or inf among the stored values is a
    ValueError. z_i comes from the row's nonzeros and the gradient accumulates over
    nonzeros only (O(nnz + d) per call); the results equal the dense path's to
    rounding. y, w and sample_weight stay dense.
    """
    for value, name in ((y, "y"), (w, "w")):
        v.refuse_sparse(value, name, "loss_grad")
    loss_ = check_loss(loss)
    alpha_, ratio = penalty_weights(penalty, alpha, l1_ratio)
    eps = v.nonnegative(epsilon, "epsilon")
    Xa = v.design_or_csr(X) if v.is_sparse(X) else v.design_matrix(X)
    n, d = Xa.shape
    dtype = Xa.dtype
    wa = v.as_array(w, "w")
    multinomial = wa.ndim == 2
    if multinomial:
        if loss_ != "log_loss":
            raise ValueError(
                f"w of shape {wa.shape} (one column per class) is for loss='log_loss' "
                f"(the multinomial); loss={loss_!r} takes w of shape ({d},)"
            )
        if wa.shape[0] != d or wa.shape[1] < 1:
            raise ValueError(
                f"w has shape {wa.shape} but X has n_features = {d}: pass shape ({d}, n_classes)"
            )
    elif wa.ndim != 1 or wa.shape[0] != d:
        raise ValueError(f"w has shape {wa.shape} but X has n_features = {d}: pass shape ({d},)")
    with np.errstate(over="ignore"):  # beyond float32: inf, refused by require_finite
        wa = v.contiguous(wa, dtype)
    v.require_finite(wa, "w")
    sw = sample_weights(sample_weight, n, dtype)
    idx = v.row_indices(rows, n)
    m = n if idx is None else idx.size
    if m == 0:
        raise ValueError(
            "the mean loss needs at least one row: X is empty" if rows is None else "rows is empty"
        )
    if multinomial:
        K = wa.shape[1]
        labels = class_indices(y, n, K)
        b = v.as_array(intercept, "intercept")
        if b.ndim == 0:
            b = np.full(K, b.item())
        if b.shape != (K,):
            raise ValueError(
                f"intercept must be a number or {K} values (one per class), got shape {b.shape}"
            )
        with np.errstate(over="ignore"):
            ba = v.contiguous(b, dtype)
        v.require_finite(ba, "intercept")
        if isinstance(Xa, v.CSR):
            value, gW, gb = _core.csr_multinomial_loss_grad(
                Xa.data, Xa.indices, Xa.indptr, n, d, labels, wa, ba, sw, idx, alpha_, ratio
            )
        else:
            value, gW, gb = _core.multinomial_loss_grad(Xa, labels, wa, ba, sw, idx, alpha_, ratio)
        return float(value), gW, gb
    b0 = v.real_number(intercept, "intercept")
    with np.errstate(over="ignore"):
        representable = bool(np.isfinite(dtype.type(b0)))
    if not representable:
        raise ValueError(
            f"intercept must be a finite number in the range of {dtype.name}, "
            f"got {v.describe(intercept)}"
        )
    if idx is None and not isinstance(Xa, v.CSR) and _ready_targets(y, n, dtype):
        # y is checked by the kernel as it reads it; when it fails, the full checks
        # below raise the error (or convert {0, 1} labels).
        y_check = Y_FINITE if loss_ in REGRESSION_LOSSES else Y_PLUS_MINUS_ONE
        fused = _core.linear_loss_grad(
            Xa, y, wa, b0, sw, None, LOSSES[loss_], eps, alpha_, ratio, y_check
        )
        if fused is not None:
            value0, gw0, gb0 = fused
            return float(value0), gw0, float(gb0)
    if loss_ in REGRESSION_LOSSES:
        ya = v.vector(y, "y", n, dtype, "X has n_samples =")
        v.require_finite(ya, "y")
    else:
        ya = binary_labels(y, n, dtype, loss_)
    if isinstance(Xa, v.CSR):
        value1, gw, gb1 = _core.csr_loss_grad(
            Xa.data,
            Xa.indices,
            Xa.indptr,
            n,
            d,
            ya,
            wa,
            b0,
            sw,
            idx,
            LOSSES[loss_],
            eps,
            alpha_,
            ratio,
        )
    else:
        value1, gw, gb1 = _core.linear_loss_grad(
            Xa, ya, wa, b0, sw, idx, LOSSES[loss_], eps, alpha_, ratio
        )
    return float(value1), gw, float(gb1)
