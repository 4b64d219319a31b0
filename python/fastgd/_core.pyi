# Type stub for the compiled module (cpp/bindings/). Private: use the fastgd package.
from collections.abc import Callable
from typing import Any, Literal, TypeAlias, overload

import numpy as np
from numpy.typing import NDArray

__version__: str

def set_num_threads(k: int) -> None: ...
def get_num_threads() -> int: ...
def simd_arch() -> str: ...
def arch_request() -> tuple[str, str]: ...
def build_info() -> dict[str, Any]: ...
def all_finite(X: NDArray[Any]) -> bool: ...

class _testing:
    """The submodule _core._testing: hooks for tests and benchmarks, not used by fastgd."""

    @staticmethod
    def test_function(name: str, x: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]: ...
    @staticmethod
    def stream_sum(X: NDArray[Any]) -> float: ...
    @staticmethod
    def stream_axpy(a: NDArray[Any], b: NDArray[Any], q: float) -> None: ...
    @staticmethod
    def permutation(seed: int, epoch: int, n: int, block_rows: int = 0) -> NDArray[np.int64]: ...
    @staticmethod
    def shuffle_block_rows(row_bytes: int) -> int: ...
    @staticmethod
    def sgd_rows_arch() -> str: ...

def least_squares_loss_grad(
    X: NDArray[Any],
    y: NDArray[Any],
    w: NDArray[Any],
    rows: NDArray[np.int64] | None,
    mean: bool,
    l2: float,
    intercept: bool = ...,
) -> tuple[float, NDArray[Any]]: ...
@overload
def linear_loss_grad(
    X: NDArray[Any],
    y: NDArray[Any],
    w: NDArray[Any],
    b: float,
    sample_weight: NDArray[Any] | None,
    rows: NDArray[np.int64] | None,
    loss: int,
    epsilon: float,
    alpha: float,
    l1_ratio: float,
) -> tuple[float, NDArray[Any], float]: ...
@overload
def linear_loss_grad(
    X: NDArray[Any],
    y: NDArray[Any],
    w: NDArray[Any],
    b: float,
    sample_weight: NDArray[Any] | None,
    rows: NDArray[np.int64] | None,
    loss: int,
    epsilon: float,
    alpha: float,
    l1_ratio: float,
    y_check: int,
) -> tuple[float, NDArray[Any], float] | None: ...
def multinomial_loss_grad(
    X: NDArray[Any],
    labels: NDArray[np.int64],
    W: NDArray[Any],
    b: NDArray[Any],
    sample_weight: NDArray[Any] | None,
    rows: NDArray[np.int64] | None,
    alpha: float,
    l1_ratio: float,
) -> tuple[float, NDArray[Any], NDArray[Any]]: ...
def least_squares_lipschitz(X: NDArray[Any], intercept: bool, l2: float) -> float: ...
def gram_lipschitz(G: NDArray[np.float64], d: int, n: int, l2: float) -> float: ...
def least_squares_gram(
    X: NDArray[Any], y: NDArray[Any], intercept: bool = ...
) -> tuple[NDArray[np.float64], NDArray[np.float64], float]: ...
def fit_least_squares(
    X: NDArray[Any],
    y: NDArray[Any],
    settings: dict[str, Any],
    *,
    theta0: NDArray[Any] | None = ...,
    state: Any = ...,
    callback: Callable[[int, float, NDArray[Any]], Any] | None = ...,
) -> dict[str, Any]: ...
def fit_linear(
    X: NDArray[Any],
    y: NDArray[Any],
    settings: dict[str, Any],
    n_classes: int,
    sample_weight: NDArray[Any] | None = ...,
    *,
    theta0: NDArray[Any] | None = ...,
    state: Any = ...,
    callback: Callable[[int, float, NDArray[Any]], Any] | None = ...,
) -> dict[str, Any]: ...
def fit_linear_csr(
    data: NDArray[Any],
    indices: NDArray[Any],
    indptr: NDArray[Any],
    n_rows: int,
    n_cols: int,
    y: NDArray[Any],
    settings: dict[str, Any],
    n_classes: int,
    sample_weight: NDArray[Any] | None = ...,
    *,
    theta0: NDArray[Any] | None = ...,
    state: Any = ...,
    callback: Callable[[int, float, NDArray[Any]], Any] | None = ...,
) -> dict[str, Any]: ...
def csr_loss_grad(
    data: NDArray[Any],
    indices: NDArray[Any],
    indptr: NDArray[Any],
    n_rows: int,
    n_cols: int,
    y: NDArray[Any],
    w: NDArray[Any],
    b: float,
    sample_weight: NDArray[Any] | None,
    rows: NDArray[np.int64] | None,
    loss: int,
    epsilon: float,
    alpha: float,
    l1_ratio: float,
) -> tuple[float, NDArray[Any], float]: ...
def csr_multinomial_loss_grad(
    data: NDArray[Any],
    indices: NDArray[Any],
    indptr: NDArray[Any],
    n_rows: int,
    n_cols: int,
    labels: NDArray[np.int64],
    W: NDArray[Any],
    b: NDArray[Any],
    sample_weight: NDArray[Any] | None,
    rows: NDArray[np.int64] | None,
    alpha: float,
    l1_ratio: float,
) -> tuple[float, NDArray[Any], NDArray[Any]]: ...
def csr_lipschitz(
    data: NDArray[Any],
    indices: NDArray[Any],
    indptr: NDArray[Any],
    n_rows: int,
    n_cols: int,
    intercept: bool,
) -> tuple[float, float]: ...
def gram_bytes(p: int, n: int) -> float: ...
def fit_diverged(loss: float, loss0: float, theta: NDArray[Any]) -> bool: ...

class LossPlateau:
    """scikit-learn's tol/n_iter_no_change rule (loss_plateau.hpp), the one copy."""

    def __init__(self, tol: float, n_iter_no_change: int, adaptive: bool = ...) -> None: ...
    def after_epoch(self, loss: float, lr_now: float) -> Literal["go_on", "lower_lr", "stop"]: ...
    @property
    def lr_scale(self) -> float: ...

def least_squares_optimality(
    g: NDArray[np.float64],
    col_sq: NDArray[np.float64],
    theta: NDArray[np.float64],
    d: int,
    l2: float,
    n: int,
    r_sq: float,
    y_c_sq: float,
) -> float: ...

class GradNeedsConversion(ValueError): ...

class Optimizer:
    """Every method runs under the object's lock (taken without the GIL)."""

    def __init__(self, kind: str, hyper: dict[str, Any]) -> None: ...
    def step(self, params: object, grad: object) -> None: ...
    def reset(self) -> None: ...
    def set_hyper(self, hyper: dict[str, Any]) -> None: ...
    @property
    def dtype(self) -> np.dtype[Any] | None: ...
    def state(self) -> tuple[int, float, list[NDArray[Any]], int, str] | None: ...
    def full_state(
        self,
    ) -> tuple[int, float, list[NDArray[Any]], int, str, dict[str, Any]] | None: ...
    def load_state(
        self,
        steps: int,
        mu_product: float,
        arrays: list[NDArray[Any]],
        dtype: str,
        size: int,
        extras: dict[str, Any] | None = None,
    ) -> None: ...

class ParamGroups:
    """Many arrays, each with its own state, stepped in one call (one GIL release)."""

    def __init__(self, kind: str) -> None: ...
    def add_group(self, hyper: dict[str, Any], n_arrays: int) -> None: ...
    def set_group(self, group: int, hyper: dict[str, Any]) -> None: ...
    def step(self, params: list[Any], grads: list[Any]) -> None: ...
    def reset(self) -> None: ...
    def state(
        self,
    ) -> list[tuple[int, float, list[NDArray[Any]], int, str, dict[str, Any]] | None]: ...
    def load_state(self, hypers: list[dict[str, Any]], states: list[Any]) -> None: ...
    def __len__(self) -> int: ...

def schedule_at(hyper: dict[str, Any], t: int) -> float: ...

# settings: max_iter, tol, gtol, grtol, stop_on_gradient, record_every (minimize._Settings),
# and (issue 15; optional until minimize.py passes them) lower, upper (float64 (d,) or
# None), fd ("none" | "2-point" | "3-point"; "none" for minimize_callable), max_fev (0: no
# limit). kind: a rule name or "lbfgs" | "cg" | "bfgs"; hyper for those: {"history": int
# >= 1 (lbfgs), "line_search": "strong_wolfe" | "armijo"}; for a rule: its hyperparameters
# and optionally "line_search": "none" | "armijo".
_MinimizeOutput: TypeAlias = tuple[
    NDArray[np.float64],  # x
    float,  # fun
    int,  # nit
    str,  # status
    NDArray[np.float64],  # path (rows, d)
    NDArray[np.float64],  # losses
    NDArray[np.float64],  # grad_norms
    float,  # grad_norm at x (projected with bounds)
    float,  # gradient_threshold
    NDArray[np.float64],  # jac: the gradient at x
    int,  # nfev
    int,  # njev
]

def minimize_callable(
    fn: Any,
    x0: NDArray[np.float64],
    kind: str,
    hyper: dict[str, Any],
    settings: dict[str, Any],
    callback: Any,
) -> _MinimizeOutput: ...
def minimize_builtin(
    name: str,
    x0: NDArray[np.float64],
    kind: str,
    hyper: dict[str, Any],
    settings: dict[str, Any],
    callback: Any,
) -> _MinimizeOutput: ...
def evaluate_rows(name: str, points: NDArray[np.float64]) -> NDArray[np.float64]: ...
def minimize_many(
    name: str,
    runs: list[tuple[NDArray[np.float64], str, dict[str, Any]]],
    settings: dict[str, Any],
) -> list[_MinimizeOutput]: ...
def sgd_rows_dense(
    X: NDArray[Any],
    Y: NDArray[Any],
    sample_weight: NDArray[Any] | None = None,
    *,
    settings: dict[str, Any],
    init: dict[str, NDArray[Any]],
    callback: Callable[[int, float, NDArray[Any], float], bool] | None = None,
) -> dict[str, Any]: ...
def sgd_rows_csr(
    data: NDArray[Any],
    indices: NDArray[Any],
    indptr: NDArray[Any],
    d: int,
    Y: NDArray[Any],
    sample_weight: NDArray[Any] | None = None,
    *,
    settings: dict[str, Any],
    init: dict[str, NDArray[Any]],
    callback: Callable[[int, float, NDArray[Any], float], bool] | None = None,
) -> dict[str, Any]: ...

class TorchLBFGS:
    """torch.optim.LBFGS's algorithm over a flat float64 copy of the params
    (fastgd/torch_lbfgs.hpp); fastgd.LBFGS is its face. The step holds the GIL."""

    def __init__(self, n: int, options: dict[str, Any]) -> None: ...
    def step(
        self, params: list[NDArray[Any]], evaluate: Callable[[], tuple[float, NDArray[np.float64]]]
    ) -> float: ...
    def set_options(self, options: dict[str, Any]) -> None: ...
    def reset(self) -> None: ...
    def state(self) -> dict[str, Any]: ...
    def load_state(self, saved: dict[str, Any]) -> None: ...
    @property
    def dim(self) -> int: ...
