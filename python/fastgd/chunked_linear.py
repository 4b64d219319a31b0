"""fit_linear over row chunks: Dask arrays where their chunks live, memmaps in row
blocks, for every loss of fastgd.losses (the multinomial too).

fit_linear sends here a Dask X or y (or sample_weight) and a ``numpy.memmap`` X. The
chunks are fastgd.chunked's (DaskChunks: persisted on the cluster, the tasks run on
the workers; MemmapChunks: blocks of about 64 MB read one after the other, their
pages released behind the pass).

- **Labels.** The classes come from y once: a Dask y's ``unique()`` is computed (one
  pass); the labels are then encoded chunk by chunk where they live (binary: the
  larger class +1, the other -1; the multinomial: the class's index), with the
  in-memory fit's checks and messages (one class only, labels that do not fit the
  loss, NaN).
- **Full batch.** Every epoch each chunk returns its loss sum and gradient sum at
  theta (the fused C++ kernels behind ``fastgd.loss_grad``); the client adds them,
  divides by n, adds the l2 part and takes one step of the rule, then the proximal
  l1 step (soft threshold), FISTA with gradient restart when accelerated: the
  in-memory loop of fit_linear.hpp, step for step, so the result equals the
  in-memory fit up to float rounding (the sums are added in another order).
- **Mini-batches** as fastgd.chunked does for least squares. On Dask: local SGD with
  parameter averaging (each round every chunk runs one epoch of mini-batch steps
  from the current parameters, fresh optimizer state (a schedule starts over) and
  its own shuffle, in the C++ loop; the new parameters are the chunks' results
  weighted by n_chunk / n; ``max_iter`` counts rounds). On a
  memmap: the blocks in order, each block's mini-batch steps (shuffled within the
  block) in the C++ loop, the parameters and the optimizer state carried from block
  to block; unshuffled, with block sizes that are multiples of batch_size, that is
  exactly the in-memory fit (shuffled, the rows are shuffled within each block).
  After each epoch one more pass over the chunks finds J over all rows and its
  gradient (for the divergence and stopping tests; ``record=True`` keeps J in
  ``losses``, as the in-memory fit records it).
- **lr="auto"** is the in-memory fit's bound, from sums over the chunks: 1/L with
  L = c max(s) lambda_max((1/n) A^T A) + alpha (1 - rho) (c the loss's curvature
  bound, fit_linear's ``_CURVATURE``), lambda_max found by the same power iteration
  on A^T A added up from the chunks (so the same lr as in memory), for mini-batches
  the expected smoothness of a batch with L_max = c max(s) max_i ||a_i||^2 + alpha
  (1 - rho). Above 2048 features the d x d sum is not formed and the
  trace trace((1/n) A^T A) >= lambda_max stands in (a larger L, a smaller but still
  safe step).
"""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _core
from . import _validation as v
from .chunked import (
    Chunks,
    DaskChunks,
    MemmapChunks,
    _lipschitz,
    _seed,
    chunks_of,
    with_known_chunks,
)
from .fit_linear import (
    _epoch_callback,
    _initial_theta,
    _labels,
    _unpack,
    checked_options,
    derivative_scale,
    fista_for,
    linear_plan,
    linear_result,
    smoothness,
    warn_outcome,
)
from .fit_plan import FitPlan
from .in_memory import OptimizerState
from .losses import LOSSES, REGRESSION_LOSSES, sample_weights
from .results import FitResult

__all__ = ["fit_linear_chunked"]

Array = np.ndarray[Any, Any]

#: Above this many features lr="auto" bounds lambda_max by the trace instead of
#: adding up the d x d matrix A^T A from the chunks.
GRAM_FEATURES = 2048


# --- the work of one chunk (runs where the chunk lives) -------------------------------


def _labels_of(y: Array, K: int) -> Array:
    """The core's labels of a chunk: class indices (int64) for the multinomial."""
    return v.contiguous(y, np.int64) if K > 1 else v.contiguous(y)


def _chunk_sums(
    X: Array, y: Array, theta: Array, K: int, loss: int, epsilon: float, sw: Array | None
) -> tuple[float, Array]:
    """sum_i s_i L_i and sum_i s_i dL_i a_i (a_i = [x_i, 1]) over one chunk at theta,
    float64 (the mean of the kernel times the rows: its sums)."""
    m, d = X.shape
    if m == 0:
        return 0.0, np.zeros(d * K + K)
    Xc = v.contiguous(X)
    swc = None if sw is None else v.contiguous(sw, X.dtype)
    t = theta.astype(X.dtype)
    if K > 1:
        value, gW, gb = _core.multinomial_loss_grad(
            Xc,
            _labels_of(y, K),
            v.contiguous(t[: d * K].reshape(d, K)),
            t[d * K :].copy(),
            swc,
            None,
            0.0,
            0.0,
        )
        grad = np.concatenate([np.ravel(gW).astype(np.float64), np.asarray(gb, np.float64)])
    else:
        value, gw, gb1 = _core.linear_loss_grad(
            Xc,
            v.contiguous(y, X.dtype),
            t[:d].copy(),
            float(t[d]),
            swc,
            None,
            loss,
            epsilon,
            0.0,
            0.0,
        )
        grad = np.append(np.asarray(gw, np.float64), float(gb1))
    return float(value) * m, grad * m


def _chunk_weight_stats(X: Array, y: Array, sw: Array | None) -> tuple[int, float]:
    """(weights that are not finite or < 0, the largest weight) of one chunk."""
    if sw is None or sw.size == 0:
        return 0, 1.0 if sw is None else 0.0
    s = np.asarray(sw, dtype=np.float64)
    bad = ~(np.isfinite(s) & (s >= 0))
    return int(bad.sum()), float(s[~bad].max(initial=0.0))


def _chunk_epoch(
    X: Array,
    y: Array,
    settings: dict[str, Any],
    K: int,
    theta: Array,
    seed_and_sw: tuple[int, Array | None],
    state: Any = None,
) -> tuple[Array, Any]:
    """One epoch of mini-batch steps over a chunk from theta, in the C++ loop: theta
    after it and the rule's state."""
    seed, sw = seed_and_sw
    if X.shape[0] == 0:
        return theta, state
    out = _core.fit_linear(
        v.contiguous(X),
        _labels_of(y, K),
        {**settings, "seed": seed},
        max(1, K),
        None if sw is None else v.contiguous(sw, X.dtype),
        theta0=theta,
        state=state,
    )
    return out["theta"], OptimizerState(**out["state"])


# --- the data ---------------------------------------------------------------------------


def _encoded_labels(y: Any, n: int, loss: str, dtype: np.dtype[Any]) -> tuple[Any, Array]:
    """(y as the core reads it, in dtype: -1/+1 or class indices; the classes). A
    Dask y stays on the cluster: its classes are computed once, then each chunk is
    encoded where it lives."""
    if not v.is_dask_array(y):
        ya, classes = _labels(y, n, loss, dtype)
        return ya.astype(dtype), classes
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(
            f"y must be a 1-D array of {n} labels (one per row of X), got shape {y.shape}"
        )
    import dask.array as da

    values = np.asarray(da.unique(y).compute())
    # The in-memory checks and messages, on the distinct values (one row each).
    _, classes = _labels(values, values.size, loss, dtype)
    multinomial = classes.size > 2

    def encode(block: Array) -> Array:
        index = np.searchsorted(classes, block)
        return (index if multinomial else np.where(index == 1, 1, -1)).astype(dtype)

    return y.map_blocks(encode, dtype=dtype), classes


def _weight_parts(chunks: Chunks, sample_weight: Any) -> tuple[list[Any], Any]:
    """Each chunk's sample weights (None without them), and what they were read
    from: NumPy weights checked here (fastgd.losses.sample_weights) and split like
    X; a Dask sample_weight split like X and held where the chunks are (its values
    checked there, by the caller)."""
    n, parts = chunks.n, len(chunks.chunk_sizes)
    if sample_weight is None:
        return [None] * parts, None
    if v.is_dask_array(sample_weight):
        if not isinstance(chunks, DaskChunks):
            raise TypeError("sample_weight is a Dask array but X is a memmap: pass NumPy weights")
        sw = with_known_chunks(sample_weight, None)[0]
        if sw.ndim != 1 or sw.shape[0] != n:
            raise ValueError(
                f"sample_weight must be a 1-D array of {n} weights (one per row of X), "
                f"got shape {sw.shape}"
            )
        if sw.dtype.kind not in "biuf":
            raise TypeError(f"sample_weight must hold real numbers, got dtype {sw.dtype}")
        return chunks.parts_of(sw.astype(chunks.dtype)), sw
    sw_a = sample_weights(sample_weight, n, chunks.dtype)
    assert sw_a is not None
    if isinstance(chunks, DaskChunks):
        import dask.array as da

        return chunks.parts_of(da.from_array(sw_a, chunks=(tuple(chunks.chunk_sizes),))), sw_a
    bounds = np.cumsum([0, *chunks.chunk_sizes])
    return [sw_a[s:e] for s, e in itertools.pairwise(bounds)], sw_a


# --- the fit ------------------------------------------------------------------------------


class _Objective:
    """J and the gradient of its smooth part at theta, from the chunks' sums (the
    in-memory loop's loss_and_grad)."""

    def __init__(
        self,
        chunks: Chunks,
        weights: list[Any],
        K: int,
        loss: int,
        epsilon: float,
        fit_intercept: bool,
        l1: float,
        l2: float,
    ) -> None:
        self.chunks, self.weights, self.K = chunks, weights, K
        self.loss, self.epsilon = loss, epsilon
        self.fit_intercept, self.l1, self.l2 = fit_intercept, l1, l2
        self.nw = chunks.d * K

    def __call__(self, theta: Array) -> tuple[float, Array]:
        parts = self.chunks.map(
            _chunk_sums, theta, self.K, self.loss, self.epsilon, per_chunk=self.weights
        )
        n, nw = float(self.chunks.n), self.nw
        value = math.fsum(p[0] for p in parts) / n
        g = np.sum([p[1] for p in parts], axis=0) / n
        if not self.fit_intercept:
            g[nw:] = 0.0
        w = theta[:nw].astype(np.float64)
        if self.l2 != 0.0 or self.l1 != 0.0:
            value += 0.5 * self.l2 * float(w @ w) + self.l1 * float(np.abs(w).sum())
            g[:nw] += self.l2 * w
        return value, g


def _soft_threshold(theta: Array, nw: int, threshold: float) -> None:
    """w <- sign(w) max(|w| - threshold, 0) in place (the intercepts never)."""
    if threshold > 0.0:
        w = theta[:nw].astype(np.float64)
        theta[:nw] = np.sign(w) * np.maximum(np.abs(w) - threshold, 0.0)


class _Measure:
    """fit_linear.hpp's first-order optimality test, from the column sums."""

    def __init__(
        self,
        col_sq: Array,
        n: int,
        K: int,
        fit_intercept: bool,
        l1: float,
        l2: float,
        scale: float,
    ) -> None:
        self.rms = np.repeat(np.sqrt(col_sq / n), K)  # W row-major: entry j is feature j // K
        self.K, self.fit_intercept, self.l1, self.l2, self.scale = K, fit_intercept, l1, l2, scale

    def __call__(self, theta: Array, g: Array) -> float:
        nw = self.rms.size
        w = theta[:nw].astype(np.float64)
        G = g.astype(np.float64).copy()
        if self.l1 > 0.0:
            Gw = G[:nw]
            G[:nw] = np.where(
                w != 0.0, Gw + self.l1 * np.sign(w), np.maximum(0.0, np.abs(Gw) - self.l1)
            )
        scale = np.concatenate(
            [
                self.rms * self.scale + self.l2 * np.abs(w),
                np.full(self.K, (1.0 if self.fit_intercept else 0.0) * self.scale),
            ]
        )
        positive = scale > 0.0
        worst = float(np.max(np.abs(G[positive]) / scale[positive], initial=0.0))
        if np.any(G[~positive] != 0.0):
            worst = math.inf
        return worst


def _refuse_unknown_options(others: dict[str, Any]) -> None:
    """Refuse options of fit_linear that the chunked fit does not implement, unless
    they are at fit_linear's default (an option added to fit_linear later)."""
    import inspect

    from .fit_linear import fit_linear

    defaults = {p.name: p.default for p in inspect.signature(fit_linear).parameters.values()}
    for name, value in others.items():
        default = defaults.get(name, inspect.Parameter.empty)
        if value is default or (not isinstance(value, np.ndarray) and value == default):
            continue
        raise ValueError(
            f"{name}={value!r} is not available for Dask arrays and memmaps yet; "
            f"leave it at its default ({default!r}) or pass NumPy arrays"
        )


def fit_linear_chunked(
    X: Any,
    y: Any,
    *,
    loss: Any,
    penalty: Any,
    alpha: Any,
    l1_ratio: Any,
    epsilon: Any,
    optimizer: Any,
    lr: Any,
    batch_size: Any,
    max_iter: Any,
    tol: Any,
    fit_intercept: Any,
    sample_weight: Any,
    shuffle: Any,
    random_state: Any,
    momentum: Any,
    record: Any,
    accelerate: Any,
    coef_init: Any,
    intercept_init: Any,
    callback: Callable[..., object] | None,
    gtol: Any,
    n_iter_no_change: Any = None,
    adaptive: bool = False,
    **others: Any,
) -> FitResult:
    """fastgd.fit_linear on a Dask X (and y, sample_weight) or a numpy.memmap X: the
    same arguments and result (see the module's notes for how it runs). An option of
    fit_linear this fit does not know (``others``) is refused unless it is at its
    default."""
    _refuse_unknown_options(others)
    loss_, alpha_, ratio, eps, accelerate = checked_options(
        y, sample_weight, loss, penalty, alpha, l1_ratio, epsilon, accelerate
    )
    X, y = with_known_chunks(X, y)
    if not v.is_dask_array(X) and not isinstance(X, np.memmap):
        raise TypeError("with a Dask y or sample_weight, X must be a 2-D Dask array too")
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got {X.ndim} dimensions")
    n, d = int(X.shape[0]), int(X.shape[1])
    if n == 0:
        raise ValueError("X has no rows (n_samples = 0)")
    dtype = v.float_dtype_of(X, "X")
    classes: Array | None = None
    K = 1
    if loss_ not in REGRESSION_LOSSES:
        y, classes = _encoded_labels(y, n, loss_, dtype)
        K = classes.size if classes.size > 2 else 1
    with contextlib.closing(chunks_of(X, y, dtype)) as chunks:
        weights, held = _weight_parts(chunks, sample_weight)
        plan = linear_plan(
            n,
            d,
            K,
            dtype,
            optimizer=optimizer,
            lr=lr,
            momentum=momentum,
            batch_size=batch_size,
            max_iter=max_iter,
            tol=tol,
            fit_intercept=fit_intercept,
            shuffle=shuffle,
            record=record,
            gtol=gtol,
            n_iter_no_change=n_iter_no_change,
            adaptive=adaptive,
        )
        seed = v.seed_from(random_state)
        hyper, schedule = plan.rule_settings()
        fista = fista_for(plan, hyper, accelerate, alpha_ * ratio)

        max_sw = 1.0
        if isinstance(held, np.ndarray):  # NumPy weights, checked by sample_weights
            max_sw = float(held.max())
        elif held is not None:  # a Dask sample_weight: checked where its chunks live
            found = chunks.map(_chunk_weight_stats, per_chunk=weights)
            bad, max_sw = sum(f[0] for f in found), max(f[1] for f in found)
            if bad:
                raise ValueError(
                    f"sample_weight must be finite and >= 0; {bad} are not: pass a weight >= 0 per row"
                )
        gram = plan.lr_auto and d <= GRAM_FEATURES
        stats = chunks.stats(gram=gram)  # also refuses NaN or inf in X (and in y)

        lr_value: float
        if plan.lr_source == "given":
            lr_value = float(plan.rule.lr)
        else:
            if gram:
                half_L = 0.5 * float(_lipschitz(stats, plan.fit_intercept, 0.0))
            else:  # the trace bound of lambda_max((1/n) A^T A)
                half_L = (float(stats.col_sq.sum()) + (n if plan.fit_intercept else 0)) / n
            L, L_max = smoothness(
                loss_, K, max_sw, alpha_, ratio, half_L, stats.max_row_sq, plan.fit_intercept
            )
            lr_value = plan.auto_lr(L, L_max)
        # A fresh rule (an optimizer instance given is never stepped); a schedule is kept.
        lr_setting = schedule if schedule is not None else lr_value
        plan = plan.with_lr(lr_value)

        regression = K == 1 and loss_ in REGRESSION_LOSSES
        scale = derivative_scale(
            loss_, K, stats.y_c_sq(plan.fit_intercept) if regression else 0.0, n
        )

        l1, l2 = alpha_ * ratio, alpha_ * (1.0 - ratio)
        theta0 = _initial_theta(coef_init, intercept_init, d, K, plan.fit_intercept, dtype)
        theta = np.zeros(d * K + K, dtype) if theta0 is None else theta0.astype(dtype)
        if not plan.fit_intercept:
            theta[d * K :] = 0
        objective = _Objective(chunks, weights, K, LOSSES[loss_], eps, plan.fit_intercept, l1, l2)
        measure = _Measure(stats.col_sq, n, K, plan.fit_intercept, l1, l2, scale)
        on_epoch = _epoch_callback(callback, d, K)

        chunk_settings: dict[str, Any] | None = None
        if not plan.full_batch:
            # One epoch of mini-batches on a chunk, no stopping rule (a chunk smaller
            # than a batch: one step on it).
            one = plan.one_epoch_on(chunks.n)
            chunk_settings = {
                **one.core_settings(lr_setting, 0, hyper),
                "loss": LOSSES[loss_],
                "epsilon": eps,
                "alpha": alpha_,
                "l1_ratio": ratio,
                "accelerate": False,
                "derivative_scale": scale,
            }
            assert chunk_settings["gradient"] == "batch"

        fit = _descend(
            chunks,
            weights,
            plan,
            objective,
            measure,
            theta,
            lr_value,
            schedule is not None,
            l1,
            fista,
            seed,
            K,
            chunk_settings,
            on_epoch,
        )
        theta_end, losses, thetas, n_iter, status, optimality = fit
        fit_result = linear_result(
            theta_end,
            np.array(losses, dtype=np.float64),
            np.array(thetas, dtype=np.float64).reshape(len(thetas), d * K + K),
            n_iter,
            status,
            optimality,
            lr_value,
            plan,
            d,
            K,
        )
        warn_outcome(fit_result, stacklevel=3)
        return fit_result


def _descend(
    chunks: Chunks,
    weights: list[Any],
    plan: FitPlan,
    objective: _Objective,
    measure: _Measure,
    theta: Array,
    lr: float,
    scheduled: bool,
    l1: float,
    fista: bool,
    seed: int,
    K: int,
    chunk_settings: dict[str, Any] | None,
    on_epoch: Callable[[int, float, Array, Any], bool] | None,
) -> tuple[Array, list[float], list[Array], int, str, float]:
    """The loop of fit_linear.hpp over the chunks: (theta, losses, thetas, n_iter,
    status, optimality)."""
    rule = plan.rule
    nw = chunks.d * K
    may_stop = plan.tol is not None
    at_hand = may_stop and (plan.full_batch or plan.record)
    steps = 0

    rate_of = plan.rule.hyperparameters["lr"] if scheduled else None
    # scikit-learn's rule (the core's loss_plateau, one copy) replaces the step rule.
    plateau: _core.LossPlateau | None = None
    if plan.tol is not None and plan.n_iter_no_change is not None:
        plateau = _core.LossPlateau(plan.tol, plan.n_iter_no_change, plan.adaptive)
    if plateau is not None and plan.adaptive and not plan.full_batch:
        raise ValueError(
            "learning_rate='adaptive' with mini-batches is not available for Dask arrays "
            "and memmaps; use full batch (batch_size=None) or another learning_rate"
        )

    def step_size() -> float:
        scale = 1.0 if plateau is None else plateau.lr_scale
        return scale * (float(rate_of(steps)) if rate_of is not None else lr)

    def prox_step(t: Array, g: Array) -> None:
        nonlocal steps
        rate = step_size()
        rule.step(t, g.astype(t.dtype))
        steps += 1
        _soft_threshold(t, nw, rate * l1)

    loss, grad = objective(theta)
    loss0 = loss
    losses: list[float] = []
    thetas: list[Array] = []
    if plan.record:
        losses.append(loss)
        thetas.append(theta.copy())
    optimality = math.nan
    if _core.fit_diverged(loss, loss0, theta.astype(np.float64)):
        return theta, losses, thetas, 0, "diverged", optimality
    if may_stop and plan.full_batch:
        optimality = measure(theta, grad)
        if optimality <= plan.gtol_stop:
            return theta, losses, thetas, 0, "converged", optimality
    state: Any = None
    y_pt: Array | None = None
    grad_y: Array | None = None
    t_k = 1.0
    work = theta.copy()
    n_iter = 0
    for epoch in range(plan.max_iter):
        previous = theta.copy()
        if not plan.full_batch:
            assert chunk_settings is not None
            theta, state = _minibatch_epoch(
                chunks, weights, chunk_settings, K, theta, seed, epoch, state
            )
            loss, grad = objective(theta)
        elif not fista:
            prox_step(theta, grad)
            loss, grad = objective(theta)
        else:
            if y_pt is None:
                y_pt, grad_y = theta.copy(), grad
            assert grad_y is not None
            work[:] = y_pt  # the rule steps one array, always the same
            prox_step(work, grad_y)
            nxt = work.copy()
            yf, nf, tf = (a.astype(np.float64) for a in (y_pt, nxt, theta))
            align = float(np.dot(yf - nf, nf - tf))
            t_next = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t_k * t_k))
            beta = 0.0 if align > 0.0 else (t_k - 1.0) / t_next
            t_k = 1.0 if align > 0.0 else t_next
            y_pt = (nf + beta * (nf - tf)).astype(theta.dtype)
            theta = nxt
            loss, grad = objective(theta)
            grad_y = grad if beta == 0.0 else objective(y_pt)[1]
        n_iter = epoch + 1
        if plan.record:
            losses.append(loss)
            thetas.append(theta.copy())
        if _core.fit_diverged(loss, loss0, theta.astype(np.float64)):
            return theta, losses, thetas, n_iter, "diverged", optimality
        if on_epoch is not None and on_epoch(n_iter, loss, *_unpack(theta, chunks.d, K)):
            return theta, losses, thetas, n_iter, "stopped", optimality
        if at_hand:
            optimality = measure(theta, grad)
            if optimality <= plan.gtol_stop:
                return theta, losses, thetas, n_iter, "converged", optimality
        if plateau is not None:
            verdict = plateau.after_epoch(loss, step_size())
            if verdict == "stop":
                if not at_hand:
                    optimality = measure(theta, grad)
                return theta, losses, thetas, n_iter, "no_improvement", optimality
            if verdict == "lower_lr" and not scheduled:  # adaptive: a constant rate
                rule.lr = step_size()  # the running rule, its state kept
            continue
        distance = float(np.linalg.norm(theta.astype(np.float64) - previous.astype(np.float64)))
        if plan.tol is not None and distance < plan.tol:
            if not at_hand:
                optimality = measure(theta, grad)
            status = "converged" if optimality <= plan.gtol else "stalled"
            return theta, losses, thetas, n_iter, status, optimality
    return theta, losses, thetas, n_iter, "max_iter", optimality


def _minibatch_epoch(
    chunks: Chunks,
    weights: list[Any],
    settings: dict[str, Any],
    K: int,
    theta: Array,
    seed: int,
    epoch: int,
    state: Any,
) -> tuple[Array, Any]:
    """One epoch of mini-batches: local SGD with averaging on Dask, the blocks in
    order with the state carried on a memmap."""
    parts = [(_seed(seed, epoch + 1, k), w) for k, w in enumerate(weights)]
    if isinstance(chunks, DaskChunks):
        results = chunks.map(_chunk_epoch, settings, K, theta, per_chunk=parts)
        share = np.array(chunks.chunk_sizes, dtype=np.float64) / chunks.n
        average = np.sum(
            [s * t.astype(np.float64) for s, (t, _) in zip(share, results, strict=True)], axis=0
        )
        return average.astype(theta.dtype), None
    assert isinstance(chunks, MemmapChunks)
    for k, (s, e) in enumerate(chunks.bounds):
        theta, state = _chunk_epoch(
            v.contiguous(chunks.X[s:e]),
            chunks.y[s:e],
            settings,
            K,
            theta,
            parts[k],
            state,
        )
        chunks._release(s, e)
    return theta, state
