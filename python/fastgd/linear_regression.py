"""Linear regression by gradient descent (C++ loops) and by the normal equations."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike

from . import _core
from . import _validation as v
from ._warnings import DivergenceWarning, StalledWarning
from .optimizers import RULES, SGD, Optimizer
from .schedules import Schedule

__all__ = [  # DivergenceWarning is re-exported: minimize, estimator and demo import it here
    "DEFAULT_GTOL",
    "DEFAULT_GTOL_STOP",
    "DivergenceWarning",
    "FitResult",
    "FitSettings",
    "StalledWarning",
    "default_gtol",
    "fit_least_squares",
    "fit_settings",
    "normal_equations",
    "run_fit",
]

#: The lecture's descent methods, by name: (momentum used?, nesterov?).
LECTURE_METHODS: dict[str, tuple[bool, bool]] = {
    "gd": (False, False),
    "sgd": (False, False),
    "momentum": (True, False),
    "nesterov": (True, True),
}
#: Every optimizer name fit_least_squares takes.
OPTIMIZER_NAMES = sorted(set(LECTURE_METHODS) | set(RULES))
DEFAULT_LR = 0.01


def resolve_optimizer(
    optimizer: Any, lr: Any, momentum: Any, params: dict[str, Any] | None = None
) -> tuple[str, Optimizer, bool]:
    """(display name, the rule with its hyperparameters, lr is "auto") from what
    fit_least_squares was given. The rule's lr is the fit's learning rate; ``params``
    are a named rule's other hyperparameters (torch.optim's names, e.g. betas)."""
    if params is not None and not isinstance(params, dict):
        raise TypeError(f"optimizer_params must be a dict or None, got {type(params).__name__}")
    lr_auto = isinstance(lr, str)
    if lr_auto and lr != "auto":
        raise ValueError(f"lr must be a number > 0 or 'auto', got {lr!r}")
    if isinstance(optimizer, Optimizer):
        if params:
            raise ValueError("optimizer_params is for a named optimizer; set them on the instance")
        name = type(optimizer).__name__.lower()
        hyper = optimizer.hyperparameters
        if name == "sgd" and hyper["momentum"] > 0:  # name it as the lecture does
            name = "nesterov" if hyper["nesterov"] else "momentum"
        if not lr_auto and lr != DEFAULT_LR and float(lr) != optimizer.lr:
            raise ValueError(
                f"lr={lr!r} conflicts with the optimizer's lr={optimizer.lr!r}; set the learning rate in one place"
            )
        rule = optimizer
    elif isinstance(optimizer, str):
        name = optimizer.lower()
        if name not in OPTIMIZER_NAMES:
            raise ValueError(
                f"unknown optimizer {optimizer!r}; known: {', '.join(OPTIMIZER_NAMES)}"
            )
        rule_lr = 1.0 if lr_auto else v.positive(lr, "lr")  # the lr is set per fit below
        if name in LECTURE_METHODS:
            uses_momentum, nesterov = LECTURE_METHODS[name]
            beta = 0.0
            if uses_momentum:
                beta = v.real_number(momentum, "momentum")
                if not 0.0 < beta < 1.0:
                    raise ValueError(
                        f"momentum must be in (0, 1) for optimizer={name!r}, got {momentum!r}"
                    )
            rule = _build(SGD, name, dict(lr=rule_lr, momentum=beta, nesterov=nesterov), params)
        else:
            rule = _build(RULES[name], name, dict(lr=rule_lr), params)
    else:
        raise TypeError(
            f"optimizer must be a name ({', '.join(OPTIMIZER_NAMES)}) or a fastgd optimizer instance, "
            f"got {type(optimizer).__name__}"
        )
    if lr_auto and rule.kind != "sgd":
        raise ValueError(
            f"lr='auto' (1/L) is for gradient descent with or without momentum; {name} scales its own "
            "steps: pass lr as a number"
        )
    if not lr_auto and not isinstance(rule.hyperparameters["lr"], Schedule) and not rule.lr > 0:
        raise ValueError(f"lr must be a finite number > 0, got {rule.lr!r}")
    return name, rule, lr_auto


def _build(
    cls: type[Optimizer], name: str, given: dict[str, Any], params: dict[str, Any] | None
) -> Optimizer:
    extra = dict(params or {})
    clash = sorted(set(extra) & set(given))
    if clash:
        raise ValueError(
            f"optimizer_params may not set {', '.join(clash)}: they are arguments of their own"
        )
    try:
        return cls(**given, **extra)
    except TypeError as exc:  # an unknown keyword: name the optimizer and what it takes
        raise TypeError(f"optimizer_params for {name!r}: {exc}") from None


GRADIENT_MODES = ("auto", "stream", "gram")

#: The default gtol of the optimality test behind "converged", by the dtype of the
#: computation. float32 gradients carry ~1e-7 relative rounding per term and a
#: float32 step stops moving theta near |theta| * 6e-8, so float32 gets a looser one.
DEFAULT_GTOL: dict[str, float] = {"float64": 1e-4, "float32": 1e-3}
#: With gtol=None the fit stops by the test alone (before tol fires) only at about
#: the rounding floor of the measure, so that a small tol still buys its digits
#: (stopping at DEFAULT_GTOL would leave coefficients ~1e-4 off where tol=1e-10 was
#: asked). A gtol given by the user is both thresholds.
DEFAULT_GTOL_STOP: dict[str, float] = {"float64": 1e-12, "float32": 1e-6}


def _dtype_key(dtype: np.dtype[Any]) -> str:
    return "float32" if np.dtype(dtype) == np.float32 else "float64"


def default_gtol(dtype: np.dtype[Any]) -> float:
    """The gtol used when gtol=None, for a fit computed in this dtype."""
    return DEFAULT_GTOL[_dtype_key(dtype)]


@dataclass
class FitResult:
    r"""The outcome of :func:`fit_least_squares`.

    Attributes
    ----------
    coef : ndarray, shape (d,)
        Fitted weights, in the dtype of the computation (float32 or float64).
    intercept : float
        Fitted bias (0.0 when ``fit_intercept=False``).
    losses : ndarray
        The mean squared error (plus the l2 penalty) over all rows: the initial
        loss, then one after every epoch. Empty when ``record=False``.
    n_iter : int
        Epochs run (for full-batch methods, steps).
    status : {"converged", "stalled", "max_iter", "diverged", "stopped"}
        "converged": the first-order optimality test passed (see ``optimality``);
        "stalled": theta stopped moving (an epoch changed it by less than ``tol``)
        but the test did not pass, so the answer is not a minimum.
    message : str
    lr : float
        The learning rate used (the one ``lr="auto"`` picked, if so).
    optimizer : str
    gradient : {"stream", "gram", "batch"}
        How gradients were computed: streaming X, from the Gram form, or per mini-batch.
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


def _gram_is_faster(n: int, p: int, max_iter: int) -> bool:
    # Building the Gram form cost about p/5 streamed passes over X for p < 64 and
    # p/11 for p >= 128 on the development machine (2 cores, AVX2); each streamed
    # step is one pass, each Gram step O(p^2). p/8 splits the difference.
    if n < 2 * p or p > 1024:
        return False
    return p / 8.0 < max_iter + 1


def _lipschitz(Xa: np.ndarray, fit_intercept: bool, l2: float) -> float:
    return float(_core.least_squares_lipschitz(Xa, fit_intercept, l2))


def expected_smoothness(L: float, L_max: float, n: int, b: int) -> float:
    """The smoothness of a b-row mini-batch gradient in expectation (Gower et al. 2019):
    between the full Hessian's L (b = n) and the largest single-row one L_max (b = 1)."""
    if b >= n or n < 2:
        return L
    return n * (b - 1) / (b * (n - 1)) * L + (n - b) / (b * (n - 1)) * L_max


def _auto_lr(Xa: np.ndarray, fit_intercept: bool, l2: float, batch: int | None) -> float:
    """1/L for full batch; for mini-batches of b rows, 1/L_b with the expected
    smoothness L_b = n(b-1)/(b(n-1)) L + (n-b)/(b(n-1)) L_max (Gower et al. 2019),
    L_max = max_i 2(||x_i||^2 + intercept) + 2 l2."""
    n = Xa.shape[0]
    L = _lipschitz(Xa, fit_intercept, l2)
    if batch is not None and batch < n and n > 1:
        row_sq = np.einsum("ij,ij->i", Xa, Xa, dtype=np.float64)
        L_max = 2.0 * (float(row_sq.max()) + (1.0 if fit_intercept else 0.0)) + 2.0 * l2
        L = expected_smoothness(L, L_max, n, batch)
    if not (L > 0.0 and math.isfinite(L)):
        raise ValueError("lr='auto' needs a non-zero X (the loss is flat); pass lr explicitly")
    return 1.0 / L


def _message(
    status: str,
    n_iter: int,
    tol: float,
    max_iter: int,
    lr: float,
    optimality: float = math.nan,
    gtol: float = math.nan,
) -> str:
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
    if status == "max_iter":
        return f"reached max_iter={max_iter} epochs before theta changed by less than tol={tol:g}"
    if status == "stopped":
        return f"stopped by the callback after epoch {n_iter}"
    return f"diverged in epoch {n_iter}: the loss or theta became infinite, NaN or exploded with lr={lr:g}"


def fit_least_squares(
    X: ArrayLike,
    y: ArrayLike,
    optimizer: str | Optimizer = "sgd",
    lr: float | Literal["auto"] = DEFAULT_LR,
    batch_size: int | None = None,
    max_iter: int = 1000,
    tol: float | None = 1e-6,
    fit_intercept: bool = True,
    l2: float = 0.0,
    shuffle: bool = True,
    random_state: Any = None,
    momentum: float = 0.9,
    record: bool = True,
    gradient: Literal["auto", "stream", "gram"] = "auto",
    coef_init: ArrayLike | None = None,
    intercept_init: float | None = None,
    callback: Callable[[int, float, np.ndarray], Any] | None = None,
    gtol: float | None = None,
) -> FitResult:
    r"""Fit linear regression by gradient descent, the whole loop in C++.

    Minimises :math:`J(w, b) = \frac1n \sum_i (x_i \cdot w + b - y_i)^2 + l_2 \|w\|^2`
    from :math:`w = 0, b = 0` (or ``coef_init``, ``intercept_init``).

    Parameters
    ----------
    X : array_like, shape (n, d)
        float32 stays float32; other real dtypes become float64. No NaN or inf.
        A Dask array is fitted where its chunks live, a numpy.memmap is streamed in
        row blocks without loading it (see fastgd.chunked).
    y : array_like, shape (n,)
    optimizer : str or Optimizer
        The lecture's methods: "gd" and "sgd" take plain steps
        :math:`\theta \leftarrow \theta - \alpha \nabla J` ("gd" only full batch);
        "momentum" is the heavy ball
        :math:`v \leftarrow \beta v + \alpha \nabla J,\ \theta \leftarrow \theta - v`,
        "nesterov" its look-ahead variant (both as torch.optim.SGD with ``momentum=beta``).
        The family since: "adam", "adamw", "adagrad", "rmsprop", "adadelta", "adamax",
        "nadam", "radam" with torch.optim's defaults, or an instance such as
        ``fastgd.Adam(lr=0.05, amsgrad=True)`` carrying its hyperparameters (its own
        state is neither used nor changed; its lr is the fit's learning rate).
    lr : float > 0 or "auto"
        Learning rate :math:`\alpha` for a named optimizer. "auto" (gradient descent
        with or without momentum only) uses 1/L, L the largest eigenvalue of the
        Hessian found by power iteration (for mini-batches, the expected smoothness
        of a batch), so the descent converges without tuning.
    batch_size : int >= 1 or None
        None: full batch (gradient descent). An int: mini-batch SGD with that many
        rows per step (1: single-sample SGD); ``batch_size >= n`` is full batch.
    max_iter : int >= 0
        Maximum number of epochs (full passes over the data).
    tol : float >= 0 or None
        The lecture's stopping rule: stop when an epoch changes theta = [w, b] by
        less than ``tol`` in Euclidean norm. A stop by ``tol`` is "converged" only
        when the optimality test (``gtol``) passes there, else "stalled" (with a
        StalledWarning). None: no early stop at all, by either test (exactly
        ``max_iter`` epochs).
    fit_intercept : bool
        Learn the bias b (otherwise b = 0).
    l2 : float >= 0
        Ridge penalty on w (not on b).
    shuffle : bool
        Reshuffle rows every epoch (mini-batch only).
    random_state : None, int or numpy.random.Generator
        Seed of the shuffles. The same seed gives the same result on every platform.
    momentum : float in [0, 1)
        :math:`\beta` for "momentum" and "nesterov".
    record : bool
        Record the full-data loss after every epoch (mini-batch: one extra pass per epoch).
    gradient : {"auto", "stream", "gram"}
        Full batch only: "stream" reads X every step; "gram" forms X^T X and X^T y once
        (in one pass) and then costs O(d^2) a step; "auto" picks the faster.
    coef_init : array_like (d,), optional
        Start from these weights instead of 0.
    intercept_init : float, optional
        Start from this bias instead of 0 (needs ``fit_intercept``).
    callback : callable, optional
        ``callback(epoch, loss, coef)`` after every epoch (``coef`` a copy of w);
        returning True stops the fit (status "stopped"); its exceptions propagate.
    gtol : float >= 0 or None
        The first-order optimality test behind "converged". With A = [X, 1] (columns
        :math:`a_j`), the residual :math:`r = A\theta - y` and g the gradient of J,
        it passes when

        .. math:: \max_j \frac{|g_j|}{\frac2n \|a_j\| \max(\|y_c\|, \|r\|) + 2 l_2 |\theta_j|} \le gtol,

        :math:`y_c` being y centred when the intercept is fitted (else y), zero
        columns skipped. Without l2 this says the residual is orthogonal to every
        column of X up to ``gtol`` relative to the spread of y: it does not change
        when a column of X or y is rescaled (or y shifted), so an ill-conditioned X
        cannot fool it. The test runs where the full gradient is at hand (every
        full-batch step, every recorded epoch; a mini-batch fit that records
        nothing runs it once, with one pass over X, when it stops by ``tol``).
        None: "converged" needs 1e-4 for float64 and 1e-3 for float32
        (``DEFAULT_GTOL``), and the fit stops by the test alone, before ``tol``
        fires, only at 1e-12 / 1e-6 (``DEFAULT_GTOL_STOP``, about the rounding
        floor), so ``tol`` still decides how many digits you get. A number: both;
        the fit stops ("converged") as soon as the test passes. Unless ``tol`` is
        None, which runs exactly ``max_iter`` epochs.

    Returns
    -------
    FitResult

    Warns
    -----
    DivergenceWarning
        When the run diverged, with the learning rate that would be safe.
    StalledWarning
        When the run stalled (a short step without a passing optimality test),
        with what to do.
    """
    from .chunked import chunks_of, fit_chunked, is_chunked, with_known_chunks

    v.refuse_sparse(X, "X", "fit_least_squares")
    v.refuse_sparse(y, "y", "fit_least_squares")
    chunked = is_chunked(X, y)
    if chunked:
        # Dask arrays stay on the cluster, a memmap is streamed: fastgd.chunked. Boolean
        # indexing leaves NaN chunk sizes, computed first.
        X, y = with_known_chunks(X, y)
        Xc: Any = X
        if not hasattr(Xc, "shape") or len(Xc.shape) != 2:
            raise TypeError("with a Dask y, X must be a 2-D Dask array too")
        n, d = int(Xc.shape[0]), int(Xc.shape[1])
        dtype = np.dtype(np.float32 if Xc.dtype == np.float32 else np.float64)
    else:
        Xa = v.design_matrix(X)
        n, d = Xa.shape
        ya = v.vector(y, "y", n, Xa.dtype, "X has n_samples =")
        if n == 0:
            raise ValueError("X has no rows (n_samples = 0)")
        v.require_finite(Xa, "X")
        v.require_finite(ya, "y")
        dtype = Xa.dtype

    settings = fit_settings(
        n,
        optimizer,
        lr,
        momentum,
        batch_size,
        max_iter,
        tol,
        fit_intercept,
        l2,
        shuffle,
        record,
        gradient,
        gtol=gtol,
    )
    seed = v.seed_from(random_state)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    theta0 = _initial_theta(coef_init, intercept_init, d, settings.fit_intercept, dtype)
    on_epoch = None
    if callback is not None:
        user = callback

        def on_epoch(epoch: int, loss: float, theta: np.ndarray) -> Any:
            return user(epoch, loss, theta[:d].copy())

    if chunked:
        fit = fit_chunked(chunks_of(X, y), settings, seed, theta0=theta0, on_epoch=on_epoch)
    else:
        fit, _ = run_fit(Xa, ya, settings, seed, theta0=theta0, on_epoch=on_epoch)
    if fit.status == "diverged":
        warnings.warn(fit.message, DivergenceWarning, stacklevel=2)
    elif fit.status == "stalled":
        warnings.warn(fit.message, StalledWarning, stacklevel=2)
    return fit


def _initial_theta(
    coef_init: ArrayLike | None,
    intercept_init: float | None,
    d: int,
    fit_intercept: bool,
    dtype: np.dtype[Any],
) -> np.ndarray | None:
    """[w0, b0] for the core, or None to start from zeros."""
    if coef_init is None and intercept_init is None:
        return None
    theta = np.zeros(d + int(fit_intercept), dtype=dtype)
    if coef_init is not None:
        theta[:d] = v.vector(coef_init, "coef_init", d, dtype, "X has n_features =")
    if intercept_init is not None:
        if not fit_intercept:
            raise ValueError("intercept_init needs fit_intercept=True")
        theta[d] = v.real_number(intercept_init, "intercept_init")
    v.require_finite(theta, "coef_init and intercept_init")
    return theta


OptimizerState = tuple[int, float, list[np.ndarray], int]


@dataclass(frozen=True)
class FitSettings:
    """A fit's checked arguments (fit_settings), as run_fit takes them."""

    name: str
    rule: Optimizer
    lr_auto: bool
    batch: int | None
    max_iter: int
    tol: float  # -1: never
    fit_intercept: bool
    l2: float
    shuffle: bool
    record: bool
    gradient: str
    gtol: float | None = None  # None: default_gtol(dtype)

    def gtol_for(self, dtype: np.dtype[Any]) -> float:
        """The gtol of a fit computed in dtype: what "converged" needs at a stop by tol."""
        return default_gtol(dtype) if self.gtol is None else self.gtol

    def gtol_stop_for(self, dtype: np.dtype[Any]) -> float:
        """The measure at which the fit stops by the test alone, before tol fires."""
        return DEFAULT_GTOL_STOP[_dtype_key(dtype)] if self.gtol is None else self.gtol


def fit_settings(
    n: int,
    optimizer: Any,
    lr: Any,
    momentum: Any,
    batch_size: Any,
    max_iter: Any,
    tol: Any,
    fit_intercept: Any,
    l2: Any,
    shuffle: Any,
    record: Any,
    gradient: Any,
    optimizer_params: dict[str, Any] | None = None,
    gtol: Any = None,
) -> FitSettings:
    """Check fit_least_squares' arguments (for n rows), each error naming its argument."""
    name, rule, lr_auto = resolve_optimizer(optimizer, lr, momentum, optimizer_params)
    batch: int | None = None if batch_size is None else v.integer(batch_size, "batch_size", 1)
    if name == "gd" and batch is not None and batch < n:
        raise ValueError(
            f"optimizer='gd' is full-batch gradient descent; use optimizer='sgd' for batch_size={batch}"
        )
    if gradient not in GRADIENT_MODES:
        raise ValueError(f"gradient must be one of {GRADIENT_MODES}, got {gradient!r}")
    if gradient == "gram" and not (batch is None or batch >= n):
        raise ValueError("gradient='gram' needs full-batch descent (batch_size=None)")
    return FitSettings(
        name,
        rule,
        lr_auto,
        batch,
        v.integer(max_iter, "max_iter", 0, maximum=2**63 - 1),
        -1.0 if tol is None else v.nonnegative(tol, "tol"),
        v.boolean(fit_intercept, "fit_intercept"),
        v.nonnegative(l2, "l2"),
        v.boolean(shuffle, "shuffle"),
        v.boolean(record, "record"),
        gradient,
        None if gtol is None else v.nonnegative(gtol, "gtol"),
    )


def run_fit(
    Xa: np.ndarray,
    ya: np.ndarray,
    settings: FitSettings,
    seed: int,
    theta0: np.ndarray | None = None,
    state: OptimizerState | None = None,
    on_epoch: Callable[[int, float, np.ndarray], Any] | None = None,
    lr: float | None = None,
) -> tuple[FitResult, OptimizerState]:
    """The fit on checked arrays (X float32/64 C-contiguous, y of X's dtype): the core
    call and its result, and the rule's state after it (to continue from, as
    partial_fit does). ``on_epoch(epoch, loss, theta)`` sees theta = [w, b];
    ``lr`` fixes the learning rate (a partial_fit's, found on its first batch).
    Warns nothing: the caller decides."""
    f = settings
    rule, batch, max_iter, tol, fit_intercept, l2 = (
        f.rule,
        f.batch,
        f.max_iter,
        f.tol,
        f.fit_intercept,
        f.l2,
    )
    n, d = Xa.shape
    full_batch = batch is None or batch >= n
    # Full batch: the core finds 1/L itself (from the Gram form when it builds one).
    auto_in_core = f.lr_auto and full_batch and lr is None
    if lr is not None:
        lr_ = lr
    elif auto_in_core:
        lr_ = 0.0
    else:
        lr_ = _auto_lr(Xa, fit_intercept, l2, batch) if f.lr_auto else rule.lr
    p = d + int(fit_intercept)
    if not full_batch:
        mode = "batch"
    elif f.gradient == "auto":
        mode = "gram" if _gram_is_faster(n, p, max_iter) else "stream"
    else:
        mode = f.gradient

    if mode == "gram":
        check_gram_memory(p, n)
    gtol = f.gtol_for(Xa.dtype)
    theta, losses, n_iter, status, lr_, state_out, optimality = _core.fit_least_squares(
        Xa,
        ya,
        lr_,
        0 if full_batch or batch is None else batch,
        max_iter,
        tol,
        fit_intercept,
        l2,
        f.shuffle,
        seed,
        f.record,
        mode == "gram",
        rule.kind,
        rule._core_hyper(),
        auto_in_core,
        theta0,
        state,
        on_epoch,
        gtol,
        f.gtol_stop_for(Xa.dtype),
    )
    if status == "diverged" and n_iter == 0 and theta0 is None:
        raise ValueError(
            f"the initial loss mean(y^2) is not finite in {Xa.dtype}: y is too large to square; rescale X and y"
        )
    message = _message(status, n_iter, tol, max_iter, lr_, optimality, gtol)
    if status == "diverged":
        L = _lipschitz(Xa, fit_intercept, l2)
        safe = f"full-batch GD on this data is stable for lr < 2/L = {2.0 / L:.3g}" if L > 0 else ""
        message += f"; the learning rate is likely too large: {safe} (lr='auto' picks a safe one)"
    coef = theta[:d].copy()
    intercept = float(theta[d]) if fit_intercept else 0.0
    fit = FitResult(
        coef, intercept, losses, int(n_iter), status, message, lr_, f.name, mode, float(optimality)
    )
    return fit, state_out


def _available_memory() -> float:
    """Bytes this process could still get: MemAvailable (Linux), else the physical
    memory (sysconf), else unknown (inf)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024.0
    except OSError:
        pass
    try:
        import os

        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return math.inf


#: A Gram form above this size is refused when it is also larger than X itself.
GRAM_LIMIT_BYTES = 1 << 30


def check_gram_memory(p: int, n: int) -> None:
    """Refuse a Gram form before asking for it when it cannot fit in memory, or when
    it is over 1 GiB and larger than X itself (fewer rows than parameters: each
    Gram step would cost more than streaming X, and the memory buys nothing)."""
    need = float(_core.gram_bytes(p, n))
    if need > GRAM_LIMIT_BYTES and need > 8.0 * n * p:
        raise MemoryError(
            f"gradient='gram' needs the Gram form X^T X of {p} parameters, about "
            f"{_human_bytes(need)}: more than X itself ({n} rows), so every step would "
            "cost more than reading X; pass gradient='stream' (it needs no extra memory)"
        )
    have = _available_memory()
    if need > have:
        raise MemoryError(
            f"gradient='gram' needs the Gram form X^T X of {p} parameters, about "
            f"{_human_bytes(need)}, but only {_human_bytes(have)} of memory is available; "
            "pass gradient='stream' (it reads X every step and needs no extra memory)"
        )


def _human_bytes(b: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if b < 1024.0 or unit == "TiB":
            return f"{b:.0f} {unit}" if unit == "bytes" else f"{b:.1f} {unit}"
        b /= 1024.0
    return f"{b:.1f} TiB"


@overload
def normal_equations(
    X: ArrayLike, y: ArrayLike, fit_intercept: Literal[False] = ...
) -> np.ndarray: ...
@overload
def normal_equations(
    X: ArrayLike, y: ArrayLike, fit_intercept: Literal[True]
) -> tuple[np.ndarray, float]: ...
def normal_equations(
    X: ArrayLike, y: ArrayLike, fit_intercept: bool = False
) -> np.ndarray | tuple[np.ndarray, float]:
    r"""The analytic least-squares solution, the lecture's :math:`w = (X^T X)^{-1} X^T y`.

    Computed stably: NumPy's SVD-based ``lstsq`` on X itself (never the explicit
    inverse of :math:`X^T X`, which squares the condition number). When X is rank
    deficient, returns the minimum-norm solution.

    Returns
    -------
    coef : ndarray (d,) in float64
        when ``fit_intercept=False``;
    (coef, intercept) : tuple
        when ``fit_intercept=True`` (X and y are centred, the intercept recovered).
    """
    v.refuse_sparse(X, "X", "normal_equations")
    v.refuse_sparse(y, "y", "normal_equations")
    Xa = v.design_matrix(X)
    n = Xa.shape[0]
    ya = v.vector(y, "y", n, np.dtype(np.float64), "X has n_samples =")
    if n == 0:
        raise ValueError("X has no rows (n_samples = 0)")
    v.require_finite(Xa, "X")
    v.require_finite(ya, "y")
    X64 = Xa.astype(np.float64, copy=False)
    if not v.boolean(fit_intercept, "fit_intercept"):
        return np.linalg.lstsq(X64, ya, rcond=None)[0]
    x_mean = X64.mean(axis=0)
    y_mean = float(ya.mean())
    coef = np.linalg.lstsq(X64 - x_mean, ya - y_mean, rcond=None)[0]
    return coef, y_mean - float(x_mean @ coef)
