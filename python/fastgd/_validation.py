"""Checks and conversions at the Python edge: one place that turns user input into
exactly what the C++ core wants, or raises an error a person can act on."""

from __future__ import annotations

import math
import numbers
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from . import _core


def float_dtype_of(arr: np.ndarray, name: str) -> np.dtype[Any]:
    """The float dtype fastgd computes in for an input of this dtype."""
    kind = arr.dtype.kind
    if kind == "f":
        return np.dtype(np.float32) if arr.dtype.itemsize <= 4 else np.dtype(np.float64)
    if kind in "iub":
        return np.dtype(np.float64)
    raise TypeError(f"{name} must hold real numbers (float, int or bool), got dtype {arr.dtype}")


def as_array(value: ArrayLike, name: str) -> np.ndarray:
    """np.asarray with a readable error for things that are not arrays of numbers."""
    if hasattr(value, "__dask_graph__"):
        raise TypeError(
            f"{name} is a Dask array; fit_least_squares and GDRegressor take Dask arrays, "
            "this function takes NumPy arrays"
        )
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} could not be read as an array of numbers: {exc}") from None
    if arr.dtype.kind not in "fiub":
        raise TypeError(
            f"{name} must hold real numbers (float, int or bool), got dtype {arr.dtype}"
        )
    return arr


def design_matrix(X: ArrayLike, name: str = "X") -> np.ndarray:
    """A C-contiguous float32/float64 2-D array: float32 stays float32, everything
    else becomes float64. The caller's array is never modified; it is copied only
    when its dtype or layout requires it."""
    arr = as_array(X, name)
    if arr.ndim != 2:
        hint = "; use X.reshape(-1, 1) for a single feature" if arr.ndim == 1 else ""
        raise ValueError(
            f"{name} must be a 2-D array (n_samples, n_features), got shape {arr.shape}{hint}"
        )
    dtype = float_dtype_of(arr, name)
    return contiguous(arr, dtype)


def vector(
    v: ArrayLike, name: str, length: int, dtype: np.dtype[Any], length_of: str
) -> np.ndarray:
    """A C-contiguous 1-D array of `length` elements in `dtype`."""
    arr = as_array(v, name)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {arr.shape}")
    if arr.shape[0] != length:
        raise ValueError(f"{name} has length {arr.shape[0]} but {length_of} {length}")
    return contiguous(arr, dtype)


def contiguous(arr: ArrayLike, dtype: Any = None) -> np.ndarray:
    """arr as a C-contiguous, aligned array of dtype, copied only when it is not one
    already. Aligned matters: arrays rebuilt from bytes (pickled over a network,
    np.frombuffer at an odd offset) can be misaligned, and the C++ core reads
    them as typed pointers. A byte-swapped array ('>f8' on this machine) is
    converted to the native byte order, with or without a dtype: the core reads
    native numbers, and dtypes are compared by value, never by type number."""
    if dtype is None:
        a = np.asanyarray(arr)
        dtype = a.dtype if a.dtype.isnative else a.dtype.newbyteorder("=")
        arr = a
    return np.require(arr, dtype=np.dtype(dtype).newbyteorder("="), requirements=["C", "A"])


def native_byte_order(x: Any) -> Any:
    """x itself, or a copy in the native byte order when x is a byte-swapped NumPy
    array: libraries that compare dtypes by value (scikit-learn's checks among them)
    would otherwise read '>f4' as "not float32" and promote it."""
    if isinstance(x, np.ndarray) and not x.dtype.isnative:
        return x.astype(x.dtype.newbyteorder("="))
    return x


def all_finite(arr: np.ndarray) -> bool:
    """True when arr holds no NaN or inf. The core's all_finite decides in one threaded
    read of a C-contiguous float array; other arrays go through NumPy."""
    checked_in_core = (
        arr.dtype in (np.float32, np.float64) and arr.flags.c_contiguous and arr.flags.aligned
    )
    return _core.all_finite(arr) if checked_in_core else bool(np.isfinite(arr).all())


def require_finite(arr: np.ndarray, name: str) -> None:
    """Raise if arr holds NaN or inf (:func:`all_finite`), counting them."""
    if not all_finite(arr):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(
            f"{name} contains {bad} NaN or infinite value(s); remove or impute them first"
        )


def describe(value: Any, limit: int = 80) -> str:
    """repr(value) for an error message: shortened, and never an error itself (the
    repr of an int of more than 4300 digits raises ValueError)."""
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - any failing repr is replaced by the type's name
        return f"<{type(value).__name__} too large to print>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def real_number(value: Any, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number, got {type(value).__name__} {describe(value)}"
        )
    try:
        return float(value)
    except OverflowError:  # an int beyond the range of a double
        raise ValueError(f"{name} must be a finite number, got {describe(value)}") from None


def nonnegative(value: Any, name: str) -> float:
    x = real_number(value, name)
    if not (x >= 0.0 and math.isfinite(x)):
        raise ValueError(f"{name} must be a finite number >= 0, got {describe(value)}")
    return x


def positive(value: Any, name: str) -> float:
    x = real_number(value, name)
    if not (x > 0.0 and math.isfinite(x)):
        raise ValueError(f"{name} must be a finite number > 0, got {describe(value)}")
    return x


def integer(value: Any, name: str, minimum: int, maximum: int = 2**63 - 1) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {describe(value)}")
    x = int(value)
    if x < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {describe(x)}")
    if x > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {describe(x)}")
    return x


def boolean(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(
            f"{name} must be True or False, got {type(value).__name__} {describe(value)}"
        )
    return bool(value)


#: What ``shuffle`` accepts, and the name the core reads for each.
SHUFFLE_MODES = {False: "none", True: "rows", "rows": "rows", "blocks": "blocks"}


def shuffle_mode(value: Any, name: str = "shuffle") -> str:
    """The row order of the epochs: False "none" (in order), True or "rows" (every
    epoch a full shuffle), "blocks" (blocks of contiguous rows shuffled, and the rows
    within each block; permutation.hpp)."""
    if isinstance(value, (bool, np.bool_)):
        return SHUFFLE_MODES[bool(value)]
    if isinstance(value, str) and value in SHUFFLE_MODES:
        return SHUFFLE_MODES[value]
    raise ValueError(
        f"{name} must be True, False, 'rows' or 'blocks', got {type(value).__name__} "
        f"{describe(value)}"
    )


def seed_from(random_state: Any) -> int:
    """A uint64 seed from None (fresh entropy), an int >= 0, or a numpy Generator or
    RandomState (each draws the seed, advancing its stream)."""
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint64)[0])
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**63, dtype=np.int64))
    if isinstance(random_state, np.random.RandomState):  # as scikit-learn takes it
        return int(random_state.randint(0, 2**63 - 1, dtype=np.int64))
    if isinstance(random_state, (bool, np.bool_)) or not isinstance(random_state, numbers.Integral):
        raise TypeError(
            "random_state must be None, an int >= 0, a numpy.random.Generator or RandomState, "
            f"got {type(random_state).__name__}"
        )
    seed = int(random_state)
    if not 0 <= seed < 2**64:
        raise ValueError(f"random_state must be in [0, 2**64), got {describe(seed)}")
    return seed


def is_dask_array(x: Any) -> bool:
    """True for a dask.array.Array, without importing Dask."""
    return type(x).__module__.startswith("dask.array") and hasattr(x, "chunks")


def _real_array(value: Any, name: str) -> np.ndarray:
    """as_array, refusing Python and NumPy complex numbers with the same words."""
    if isinstance(value, (complex, np.complexfloating)):
        raise TypeError(
            f"{name} must hold real numbers (float, int or bool), got complex {value!r}"
        )
    return as_array(value, name)


def _finite_copy(arr: np.ndarray, name: str) -> np.ndarray:
    """A private C-contiguous float64 copy of finite numbers (the caller's array is
    never the one the core reads)."""
    out = np.array(arr, dtype=np.float64, order="C", copy=True)
    require_finite(out, name)
    return out


def point(x0: Any, name: str = "x0") -> np.ndarray:
    """A starting point as a private float64 copy: a list, tuple or array of real
    numbers (ints included), or one number for a 1-D problem. minimize, race and
    sweep_lr share it, so they accept and refuse the same things."""
    arr = _real_array(x0, name)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D point (a list or array of numbers), "
            f"got shape {arr.shape}"
        )
    return _finite_copy(arr, name)


def point_of_any_shape(x0: Any, name: str = "x0") -> np.ndarray:
    """A starting point of any shape (a number, a 1-D or an n-D array of real numbers,
    at least one) as a private float64 copy of that shape: minimize's x."""
    arr = _real_array(x0, name)
    if arr.size == 0:
        raise ValueError(
            f"{name} must be a non-empty point (at least one number), got shape {arr.shape}"
        )
    return _finite_copy(arr, name)


def points(x0: Any, name: str = "x0") -> np.ndarray:
    """One starting point (1-D, as :func:`point`) or several, one per row (2-D),
    as a private float64 copy."""
    arr = _real_array(x0, name)
    if arr.ndim < 2:
        return point(arr, name)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(
            f"{name} must be one point (1-D) or a non-empty list of points of equal "
            f"length (2-D), got shape {arr.shape}"
        )
    return _finite_copy(arr, name)


def learning_rates(lrs: Any, name: str = "lrs") -> np.ndarray:
    """A non-empty 1-D float64 copy of finite numbers > 0 (any 1-D array-like)."""
    arr = _real_array(lrs, name)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D array of learning rates, got shape {arr.shape}"
        )
    out = np.array(arr, dtype=np.float64, copy=True)
    bad = ~(np.isfinite(out) & (out > 0))
    if bad.any():
        raise ValueError(
            f"{name} must be a non-empty 1-D array of finite numbers > 0; "
            f"{int(bad.sum())} are not (the first: {out[bad][0]!r})"
        )
    return out


def is_sparse(x: Any) -> bool:
    """True for a scipy.sparse matrix or array (or anything sparse-like), without
    importing SciPy."""
    return type(x).__module__.startswith("scipy.sparse") or hasattr(x, "tocsr")


class CSR(NamedTuple):
    """A scipy.sparse matrix as the core reads it (cpp/include/fastgd/csr.hpp):
    canonical CSR, finite data of float32 or float64, indices and indptr of one
    integer dtype (int32 or int64)."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    shape: tuple[int, int]

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.data.dtype


def csr_matrix(X: Any, name: str = "X", finite_checked: bool = False) -> CSR:
    """Any scipy.sparse matrix or array as a CSR for the core. CSR stays as it is
    (no copy) when already canonical, finite, float32/float64 and with matching index
    dtypes; CSC, COO and the other formats are converted to CSR once (a copy, as
    scikit-learn does). The caller's matrix is never modified.

    finite_checked: the caller has already refused NaN and inf in X's stored values
    (the estimators' input check); the values are then read again only when they were
    changed here (duplicates summed or a dtype converted, either may overflow)."""
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D sparse matrix, got {X.ndim} dimensions")
    if X.dtype.kind not in "fiub":
        raise TypeError(f"{name} must hold real numbers (float, int or bool), got dtype {X.dtype}")
    dtype = float_dtype_of(X, name)
    A = X if X.format == "csr" else X.tocsr()
    if not A.has_canonical_format:
        A = A.copy()
        A.sum_duplicates()  # sorts indices too; on the copy, never the caller's
    data = np.ascontiguousarray(A.data, dtype=dtype)
    checked = finite_checked and data is X.data  # the very values the caller checked
    if not checked and not all_finite(data):
        raise ValueError(f"{name} contains NaN or infinity in its stored values")
    index = np.int64 if np.int64 in (A.indices.dtype, A.indptr.dtype) else np.int32
    indices = np.ascontiguousarray(A.indices, dtype=index)
    indptr = np.ascontiguousarray(A.indptr, dtype=index)
    return CSR(data, indices, indptr, (int(A.shape[0]), int(A.shape[1])))


def design_or_csr(X: Any, name: str = "X") -> np.ndarray | CSR:
    """X for a compiled function that reads dense or CSR rows: a scipy.sparse matrix or
    array as a CSR (:func:`csr_matrix`: CSR read in place, other formats converted
    once), anything else as a finite C-contiguous float32/float64 2-D array
    (:func:`design_matrix` and :func:`require_finite`). Sparse-looking objects that are
    not scipy.sparse (they have tocsr() but no CSR arrays) are refused."""
    if not is_sparse(X):
        arr = design_matrix(X, name)
        require_finite(arr, name)
        return arr
    if not type(X).__module__.startswith("scipy.sparse"):
        raise TypeError(
            f"{name} looks sparse ({type(X).__name__} has tocsr()) but is not a scipy.sparse "
            f"matrix or array; pass a scipy.sparse matrix, or {name}.toarray()"
        )
    return csr_matrix(X, name)


def refuse_sparse(x: Any, name: str, where: str) -> None:
    """The one refusal of sparse input, until sparse support lands."""
    if is_sparse(x):
        raise TypeError(
            f"{where}: {name} is a sparse matrix ({type(x).__name__}); sparse matrices are not "
            f"supported yet; pass {name}.toarray() (dense) instead"
        )


def row_indices(rows: Any, n: int) -> np.ndarray | None:
    """None, or rows as a checked int64 array of indices in [0, n)."""
    if rows is None:
        return None
    r = as_array(rows, "rows")
    if r.size == 0:
        r = r.astype(np.int64)  # [] arrives as float64
    if r.ndim != 1 or r.dtype.kind not in "iu":
        raise TypeError(
            f"rows must be a 1-D array of integers, got dtype {r.dtype} and shape {r.shape}"
        )
    if r.size and (r.min() < 0 or r.max() >= n):
        raise ValueError(
            f"rows must be in [0, {n}) for X with {n} rows; got min {r.min()}, max {r.max()}"
        )
    return contiguous(r, np.int64)
