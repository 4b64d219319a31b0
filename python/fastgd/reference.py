"""Plain NumPy versions of fastgd's kernels and loops, written to be read.

They take the same arguments and return the same results as the compiled core,
and follow the same order of operations where it matters (the shuffles, the
batches, the stopping rules). Tests use them as the oracle; benchmarks time the
core against them. They validate nothing: pass clean float arrays.

What each one is the twin of (the C++ file says so at its top):

- ``least_squares_loss_grad``: least_squares.hpp and arch/least_squares_rows.hpp
  (the fused loss and gradient, full batch or over rows).
- ``loss_value``, ``loss_derivative``, ``penalty``, ``loss_grad`` and
  ``multinomial_loss_grad``: arch/losses.hpp, linear_loss.hpp and the row kernels
  (scikit-learn's SGD losses and penalties; y already in {-1, +1} for the binary
  losses, l1_ratio the effective one).
- ``permutation``, ``block_permutation``, ``shuffle_block_rows``: permutation.hpp
  (the seeded, portable shuffles of an epoch: of the rows, of blocks of rows).
- ``fit_least_squares``: fit_least_squares.hpp (epochs of shuffled mini-batches or
  full-batch steps, the short-step and divergence rules).
- ``schedule_value``: schedule.hpp.
- ``OptimizerReference``: optimizer.hpp, arch/update_rules.hpp and adafactor.hpp (one
  function per rule, torch.optim's algorithms; Lion is optax's).
- ``descent_path``: minimize.hpp (its steps; not its stopping rules).
- ``normal_equations``: the lecture's closed form, against which the descent is
  checked (the package's own ``fastgd.normal_equations`` solves it stably).

Not covered, with the oracle used instead: ``lr="auto"`` (the power iteration of
lipschitz.hpp; tests check 1/L against ``np.linalg.eigvalsh``), the Gram form and
the first-order optimality test behind "converged"/"stalled" (this reference's fit
reports a short step as "converged"), the chunked (memmap, Dask) fits (compared
with the in-memory fit), the built-in objectives of test_functions.hpp (their twins
are the Python formulas in ``fastgd.objectives``), and threads and dispatch (results
are bitwise the same for every thread count and instruction set).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from ._namespace import public_dir
from .objectives import get
from .optimizer_names import resolve_optimizer
from .optimizers import Optimizer
from .results import FitResult

__all__ = [
    "OptimizerReference",
    "block_permutation",
    "descent_path",
    "fit_least_squares",
    "least_squares_loss_grad",
    "loss_derivative",
    "loss_grad",
    "loss_value",
    "multinomial_loss_grad",
    "normal_equations",
    "penalty",
    "permutation",
    "schedule_value",
    "shuffle_block_rows",
]

__dir__ = public_dir(__all__)


Array = np.ndarray[Any, Any]

GOLDEN_GAMMA = 0x9E3779B97F4A7C15
MASK64 = (1 << 64) - 1


def least_squares_loss_grad(
    X: Array,
    y: Array,
    w: Array,
    reduction: str = "mean",
    l2: float = 0.0,
    rows: Array | None = None,
) -> tuple[float, Array]:
    """J = mean or sum of (Xw - y)^2, plus l2 ||w||^2; and its gradient."""
    if rows is not None:
        X, y = X[rows], y[rows]
    r = X @ w - y
    scale = 1.0 / X.shape[0] if reduction == "mean" else 1.0
    loss = scale * float(r.astype(np.float64) @ r) + l2 * float(w.astype(np.float64) @ w)
    grad = 2.0 * scale * (X.T @ r) + 2.0 * l2 * w
    return loss, grad.astype(X.dtype)


def loss_value(loss: str, z: Array, y: Array, epsilon: float = 0.1) -> Array:
    """L(z, y) per row, scikit-learn's definitions (r = z - y, m = y z)."""
    z, y = np.asarray(z, np.float64), np.asarray(y, np.float64)
    r, m = z - y, y * z
    if loss == "squared_error":
        return 0.5 * r**2
    if loss == "huber":
        return np.where(np.abs(r) <= epsilon, 0.5 * r**2, epsilon * np.abs(r) - 0.5 * epsilon**2)
    if loss == "epsilon_insensitive":
        return np.maximum(0.0, np.abs(r) - epsilon)
    if loss == "squared_epsilon_insensitive":
        return np.maximum(0.0, np.abs(r) - epsilon) ** 2
    if loss == "log_loss":
        return np.logaddexp(0.0, -m)  # log(1 + exp(-m)) without overflow
    if loss == "hinge":
        return np.maximum(0.0, 1.0 - m)
    if loss == "squared_hinge":
        return np.maximum(0.0, 1.0 - m) ** 2
    if loss == "modified_huber":
        return np.where(m >= 1.0, 0.0, np.where(m >= -1.0, (1.0 - m) ** 2, -4.0 * m))
    if loss == "perceptron":
        return np.maximum(0.0, -m)
    raise ValueError(f"unknown loss {loss!r}")


def loss_derivative(loss: str, z: Array, y: Array, epsilon: float = 0.1) -> Array:
    """dL/dz per row (at a kink, scikit-learn's choice: hinge and perceptron take -y
    where m equals the threshold)."""
    z, y = np.asarray(z, np.float64), np.asarray(y, np.float64)
    r, m = z - y, y * z
    if loss == "squared_error":
        return r
    if loss == "huber":
        return np.clip(r, -epsilon, epsilon)
    if loss == "epsilon_insensitive":
        return np.where(r > epsilon, 1.0, np.where(r < -epsilon, -1.0, 0.0))
    if loss == "squared_epsilon_insensitive":
        return np.where(np.abs(r) > epsilon, 2.0 * np.sign(r) * (np.abs(r) - epsilon), 0.0)
    if loss == "log_loss":
        return -y / (1.0 + np.exp(np.minimum(m, 700.0)))  # -y sigmoid(-m)
    if loss == "hinge":
        return np.where(m <= 1.0, -y, 0.0)
    if loss == "squared_hinge":
        return np.where(m < 1.0, -2.0 * y * (1.0 - m), 0.0)
    if loss == "modified_huber":
        return np.where(m >= 1.0, 0.0, np.where(m >= -1.0, -2.0 * (1.0 - m) * y, -4.0 * y))
    if loss == "perceptron":
        return np.where(m <= 0.0, -y, 0.0)
    raise ValueError(f"unknown loss {loss!r}")


def penalty(w: Array, alpha: float, l1_ratio: float) -> tuple[float, Array]:
    """alpha R(w) and its (sub)gradient, R = (1 - l1_ratio)/2 ||w||^2 + l1_ratio ||w||_1."""
    w = np.asarray(w, np.float64)
    value = alpha * ((1.0 - l1_ratio) / 2.0 * np.sum(w**2) + l1_ratio * np.sum(np.abs(w)))
    return float(value), alpha * ((1.0 - l1_ratio) * w + l1_ratio * np.sign(w))


def loss_grad(
    X: Array,
    y: Array,
    w: Array,
    loss: str,
    intercept: float = 0.0,
    alpha: float = 0.0,
    l1_ratio: float = 0.0,
    sample_weight: Array | None = None,
    rows: Array | None = None,
    epsilon: float = 0.1,
) -> tuple[float, Array, float]:
    """(1/m) sum s_i L(x_i w + b, y_i) + alpha R(w), its gradient in w and in b, in
    float64 (y in {-1, +1} for the binary losses)."""
    X, y = np.asarray(X, np.float64), np.asarray(y, np.float64)
    s = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, np.float64)
    if rows is not None:
        X, y, s = X[rows], y[rows], s[rows]
    z = X @ np.asarray(w, np.float64) + intercept
    dz = s * loss_derivative(loss, z, y, epsilon)
    m = X.shape[0]
    pen, pen_grad = penalty(w, alpha, l1_ratio)
    value = float(np.sum(s * loss_value(loss, z, y, epsilon))) / m + pen
    return value, X.T @ dz / m + pen_grad, float(np.sum(dz)) / m


def multinomial_loss_grad(
    X: Array,
    y: Array,
    W: Array,
    b: Array,
    alpha: float = 0.0,
    l1_ratio: float = 0.0,
    sample_weight: Array | None = None,
    rows: Array | None = None,
) -> tuple[float, Array, Array]:
    """The softmax log loss: (1/m) sum s_i (log sum_k exp(z_ik) - z_i,y_i) +
    alpha R(W), Z = X W + b; gradients X^T (s (P - Y)) / m and the column sums."""
    X = np.asarray(X, np.float64)
    y = np.asarray(y, np.int64)
    s = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, np.float64)
    if rows is not None:
        X, y, s = X[rows], y[rows], s[rows]
    Z = X @ np.asarray(W, np.float64) + np.asarray(b, np.float64)
    zmax = Z.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(Z - zmax).sum(axis=1)) + zmax[:, 0]
    rows_ = np.arange(X.shape[0])
    P = np.exp(Z - log_norm[:, None])
    Y = np.zeros_like(P)
    Y[rows_, y] = 1.0
    D = s[:, None] * (P - Y)
    m = X.shape[0]
    pen, pen_grad = penalty(W, alpha, l1_ratio)
    value = float(np.sum(s * (log_norm - Z[rows_, y]))) / m + pen
    return value, X.T @ D / m + pen_grad, D.sum(axis=0) / m


def _mix64(z: Array) -> Array:
    """SplitMix64's output function on uint64 arrays (wrapping arithmetic)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def permutation(seed: int, epoch: int, n: int) -> Array:
    """The order of rows in one epoch: a keyed four-round Feistel bijection of
    [0, 2^bits) (bits even, 2^bits >= n), walked until every value is below n."""
    bits = 2
    while bits < 64 and (1 << bits) < n:
        bits += 2
    half = np.uint64(bits // 2)
    mask = np.uint64((1 << (bits // 2)) - 1)
    state = int(_mix64(np.array([(seed + GOLDEN_GAMMA * (epoch + 1)) & MASK64], np.uint64))[0])
    keys = _mix64(
        np.array([(state + GOLDEN_GAMMA * (k + 1)) & MASK64 for k in range(4)], np.uint64)
    )

    def encrypt(x: Array) -> Array:
        left, right = x >> half, x & mask
        for key in keys:
            left, right = right, left ^ (_mix64(right ^ key) & mask)
        return (left << half) | right

    order = encrypt(np.arange(n, dtype=np.uint64))
    outside = order >= n
    while outside.any():  # cycle walking keeps it a bijection of [0, n)
        order[outside] = encrypt(order[outside])
        outside = order >= n
    return order.astype(np.int64)


#: Keys the shuffles inside the blocks apart from the order of the blocks.
WITHIN_BLOCK_SALT = 0x6A09E667F3BCC909


def shuffle_block_rows(row_bytes: int) -> int:
    """The rows of a block of shuffle="blocks" for rows of row_bytes bytes: about
    256 KB of X, within [256, 4096] rows."""
    return min(max((256 << 10) // max(1, row_bytes), 256), 4096)


def block_permutation(seed: int, epoch: int, n: int, block_rows: int) -> Array:
    """The order of rows in one epoch of shuffle="blocks": the blocks [k B, (k + 1) B)
    in the order permutation(seed, epoch, blocks), the rows of block k in the order
    permutation(s ^ salt, k, its rows), s = mix64(seed + gamma (epoch + 1))."""
    B = max(1, block_rows)
    n_blocks = -(-n // B)
    state = int(_mix64(np.array([(seed + GOLDEN_GAMMA * (epoch + 1)) & MASK64], np.uint64))[0])
    within_seed = state ^ WITHIN_BLOCK_SALT
    parts = [
        k * B + permutation(within_seed, int(k), min(B, n - k * B))
        for k in permutation(seed, epoch, n_blocks)
    ]
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def fit_least_squares(
    X: Array,
    y: Array,
    optimizer: str | Optimizer = "sgd",
    lr: float | None = None,
    batch_size: int | None = None,
    max_iter: int = 1000,
    tol: float | None = 1e-6,
    fit_intercept: bool = True,
    l2: float = 0.0,
    shuffle: bool | str = True,
    random_state: int = 0,
    momentum: float | None = None,
    record: bool = True,
) -> FitResult:
    """Linear regression by gradient descent with any update rule, in NumPy.

    theta = [w, b] starts at 0; each step on a batch B of m rows::

        r = X_B w + b - y_B
        grad_w = (2/m) X_B^T r + 2 l2 w,   grad_b = (2/m) sum(r)
        theta = rule.step(theta, grad)   (OptimizerReference: torch.optim's rules)

    lr: a number, or None for the optimizer's own default (as the compiled fit);
    "auto" is not taken (the compiled fit resolves it to a number).
    """
    n, d = X.shape
    dtype = X.dtype
    name, spec, _ = resolve_optimizer(optimizer, lr, momentum)
    lr = spec.lr
    rule = OptimizerReference(spec.kind, **spec._hyper)
    full_batch = batch_size is None or batch_size >= n
    tol = -1.0 if tol is None else tol
    seed = random_state
    A = np.hstack([X, np.ones((n, 1), dtype)]) if fit_intercept else X
    mask = np.ones(A.shape[1], dtype)  # which parameters carry the l2 penalty
    if fit_intercept:
        mask[-1] = 0

    def loss_and_grad(theta: Array, rows: Array | None) -> tuple[float, Array]:
        Ab, yb = (A, y) if rows is None else (A[rows], y[rows])
        r = Ab @ theta - yb
        m = Ab.shape[0]
        grad = (2.0 / m) * (Ab.T @ r) + 2.0 * l2 * mask * theta
        loss = float(r.astype(np.float64) @ r) / m + l2 * float(
            (mask * theta).astype(np.float64) @ theta
        )
        return loss, grad.astype(dtype)

    theta = np.zeros(A.shape[1], dtype)

    def step(theta: Array, grad: Array) -> Array:
        return rule.step(theta.copy(), grad)

    loss, grad = loss_and_grad(theta, None)
    loss0 = loss
    explode_at = 1e12 * max(loss0, 1.0)
    losses = [loss] if record else []
    status, n_iter = "max_iter", 0
    for epoch in range(max_iter):
        previous = theta
        if full_batch:
            theta = step(theta, grad)
            loss, grad = loss_and_grad(theta, None)
        else:
            assert batch_size is not None
            if shuffle == "blocks":
                order = block_permutation(seed, epoch, n, shuffle_block_rows(d * X.dtype.itemsize))
            elif shuffle is True or shuffle == "rows":
                order = permutation(seed, epoch, n)
            else:
                order = np.arange(n)
            batch_losses = 0.0
            for start in range(0, n, batch_size):
                rows = order[start : start + batch_size]
                batch_loss, batch_grad = loss_and_grad(theta, rows)
                batch_losses += (batch_loss - l2 * float((mask * theta) @ theta)) * len(rows)
                theta = step(theta, batch_grad)
            if record:
                loss, grad = loss_and_grad(theta, None)
            else:
                loss = batch_losses / n + l2 * float((mask * theta) @ theta)
        n_iter = epoch + 1
        if record:
            losses.append(loss)
        if not np.isfinite(loss) or loss > explode_at or not np.isfinite(theta).all():
            status = "diverged"
            break
        if np.linalg.norm((theta - previous).astype(np.float64)) < tol:
            status = "converged"
            break
    coef = theta[:d]
    intercept = float(theta[d]) if fit_intercept else 0.0
    return FitResult(
        coef,
        intercept,
        np.array(losses),
        n_iter,
        status,
        "",
        lr,
        name,
        "batch" if not full_batch else "stream",
    )


def normal_equations(X: Array, y: Array, fit_intercept: bool = False) -> Any:
    """The lecture's closed form, literally: w = (X^T X)^{-1} X^T y (solved, not inverted)."""
    if fit_intercept:
        A = np.hstack([X, np.ones((X.shape[0], 1))])
        theta = np.linalg.solve(A.T @ A, A.T @ y)
        return theta[:-1], float(theta[-1])
    return np.linalg.solve(X.T @ X, X.T @ y)


def schedule_value(schedule: Any, t: int) -> float:
    """A fastgd.schedules.Schedule at step t, from its formulas."""
    if t < schedule.warmup_steps:
        return schedule_value(dataclasses.replace(schedule, warmup_steps=0.0), 0) * (
            schedule.start_factor + (1 - schedule.start_factor) * t / schedule.warmup_steps
        )
    t = t - schedule.warmup_steps
    if schedule.kind == "constant":
        return float(schedule.lr0)
    if schedule.kind == "inverse_scaling":
        return schedule.lr0 / (t + 1) ** schedule.power
    if schedule.kind == "inverse_time":
        return schedule.lr0 / (1 + schedule.decay * t)
    if schedule.kind == "step":
        return schedule.lr0 * schedule.gamma ** math.floor(t / schedule.step_size)
    if schedule.kind == "exponential":
        return schedule.lr0 * schedule.gamma**t
    if schedule.kind == "cosine":
        return (
            schedule.eta_min
            + (schedule.lr0 - schedule.eta_min)
            * (1 + math.cos(math.pi * min(t, schedule.t_max) / schedule.t_max))
            / 2
        )
    raise ValueError(schedule.kind)


class _Step(NamedTuple):
    """What an update rule sees at step t (1, 2, ...): it updates ``p`` in place."""

    p: Array
    g: Array  # the gradient, sign and L2 weight decay applied
    lr: float  # this step's learning rate (a schedule evaluated at t - 1)
    t: int
    hyper: dict[str, Any]
    state: dict[str, Any]  # the rule's arrays, kept between steps
    dt: Any  # the parameters' scalar type: constants are cast to it, as in C++


def _sgd(step: _Step) -> None:
    p, g, lr, t, h, st, dt = step
    if h["momentum"] == 0:
        p -= dt(lr) * g
        return
    buf = st["b"] = g if t == 1 else dt(h["momentum"]) * st["b"] + dt(1 - h["dampening"]) * g
    p -= dt(lr) * (g + dt(h["momentum"]) * buf if h["nesterov"] else buf)


def _adam(step: _Step) -> None:
    p, g, lr, t, h, st, dt = step
    b1, b2 = h["beta1"], h["beta2"]
    m = st["m"] = st.get("m", np.zeros_like(p)) + dt(1 - b1) * (g - st.get("m", np.zeros_like(p)))
    v = st["v"] = dt(b2) * st.get("v", np.zeros_like(p)) + dt(1 - b2) * g * g
    if h["amsgrad"]:
        v = st["vmax"] = np.maximum(st.get("vmax", np.zeros_like(p)), v)
    # times 1/sqrt(1 - beta2^t), as the C++ kernel (torch divides: 1 ulp apart at most)
    denom = np.sqrt(v) * dt(1 / np.sqrt(1 - b2**t)) + dt(h["eps"])
    p -= dt(lr / (1 - b1**t)) * m / denom


def _adagrad(step: _Step) -> None:
    p, g, lr, t, h, st, dt = step
    clr = lr / (1 + (t - 1) * h["lr_decay"])
    s = st["s"] = st.get("s", np.full_like(p, h["initial_accumulator_value"])) + g * g
    p -= dt(clr) * g / (np.sqrt(s) + dt(h["eps"]))


def _rmsprop(step: _Step) -> None:
    p, g, lr, _, h, st, dt = step
    a = h["alpha"]
    sq = st["sq"] = dt(a) * st.get("sq", np.zeros_like(p)) + dt(1 - a) * g * g
    if h["centered"]:
        ga = st.get("ga", np.zeros_like(p))
        ga = st["ga"] = ga + dt(1 - a) * (g - ga)
        avg = np.sqrt(sq - ga * ga) + dt(h["eps"])
    else:
        avg = np.sqrt(sq) + dt(h["eps"])
    if h["momentum"] > 0:
        buf = st["b"] = dt(h["momentum"]) * st.get("b", np.zeros_like(p)) + g / avg
        p -= dt(lr) * buf
    else:
        p -= dt(lr) * g / avg


def _adadelta(step: _Step) -> None:
    p, g, lr, _, h, st, dt = step
    rho, eps = h["rho"], dt(h["eps"])
    sq = st["sq"] = dt(rho) * st.get("sq", np.zeros_like(p)) + dt(1 - rho) * g * g
    acc = st.get("acc", np.zeros_like(p))
    delta = np.sqrt(acc + eps) / np.sqrt(sq + eps) * g
    st["acc"] = dt(rho) * acc + dt(1 - rho) * delta * delta
    p -= dt(lr) * delta


def _adamax(step: _Step) -> None:
    p, g, lr, t, h, st, dt = step
    b1, b2 = h["beta1"], h["beta2"]
    m = st.get("m", np.zeros_like(p))
    m = st["m"] = m + dt(1 - b1) * (g - m)
    u = st["u"] = np.maximum(dt(b2) * st.get("u", np.zeros_like(p)), np.abs(g) + dt(h["eps"]))
    p -= dt(lr / (1 - b1**t)) * m / u


def _nadam(step: _Step) -> None:
    p, g, lr, t, h, st, dt = step
    b1, b2, psi = h["beta1"], h["beta2"], h["momentum_decay"]
    mu = b1 * (1 - 0.5 * 0.96 ** (t * psi))
    mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
    mu_product = st["mu_product"] = st.get("mu_product", 1.0) * mu
    m = st.get("m", np.zeros_like(p))
    m = st["m"] = m + dt(1 - b1) * (g - m)
    v = st["v"] = dt(b2) * st.get("v", np.zeros_like(p)) + dt(1 - b2) * g * g
    denom = np.sqrt(v / dt(1 - b2**t)) + dt(h["eps"])
    p -= dt(lr * (1 - mu) / (1 - mu_product)) * g / denom
    p -= dt(lr * mu_next / (1 - mu_product * mu_next)) * m / denom


def _radam(step: _Step) -> None:
    p, g, lr, t, h, st, dt = step
    b1, b2 = h["beta1"], h["beta2"]
    m = st.get("m", np.zeros_like(p))
    m = st["m"] = m + dt(1 - b1) * (g - m)
    v = st["v"] = dt(b2) * st.get("v", np.zeros_like(p)) + dt(1 - b2) * g * g
    mhat = m / dt(1 - b1**t)
    rho_inf = 2 / (1 - b2) - 1
    rho_t = rho_inf - 2 * t * b2**t / (1 - b2**t)
    if rho_t > 5:
        rect = np.sqrt(
            (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
        )
        p -= mhat * dt(lr) * (dt(rect * np.sqrt(1 - b2**t)) / (np.sqrt(v) + dt(h["eps"])))
    else:
        p -= mhat * dt(lr)


def _rprop(step: _Step) -> None:
    p, g, lr, _, h, st, dt = step
    eta_minus, eta_plus = h["etas"]
    low, high = h["step_sizes"]
    prev = st.get("prev", np.zeros_like(p))
    size = st.get("step_size", np.full_like(p, lr))
    same = np.sign(g * prev)  # 0 for NaN below, as torch.sign
    factor = np.where(same > 0, dt(eta_plus), np.where(same < 0, dt(eta_minus), dt(1)))
    size = st["step_size"] = np.clip(size * factor, dt(low), dt(high))
    used = st["prev"] = np.where(factor == dt(eta_minus), dt(0), g)
    direction = np.where(used > 0, dt(1), np.where(used < 0, dt(-1), dt(0)))
    p -= direction * size


def _float32(x: float) -> float:
    """torch keeps ASGD's eta and mu as float32 numbers (its default dtype)."""
    return float(np.float32(x))


def _asgd(step: _Step) -> None:
    p, g, lr, t, h, st, dt = step
    eta, mu = (_float32(lr), 1.0) if t == 1 else (st["eta"], st["mu"])
    p *= dt(1 - h["lambd"] * eta)
    p -= dt(eta) * g
    st["ax"] = p.copy() if mu == 1 else st["ax"] + (p - st["ax"]) * dt(mu)
    st["eta"] = _float32(lr / (1 + h["lambd"] * lr * t) ** h["alpha"])
    st["mu"] = _float32(1 / max(1, t - h["t0"]))


def _lion(step: _Step) -> None:
    p, g, lr, _, h, st, dt = step
    b1, b2 = h["beta1"], h["beta2"]
    m = st.get("m", np.zeros_like(p))
    u = np.sign(dt(1 - b1) * g + dt(b1) * m)
    st["m"] = dt(1 - b2) * g + dt(b2) * m
    p -= dt(lr) * (u + dt(h["weight_decay"]) * p)


def _torch_lerp(a: Array, b: Array, w: Any) -> Array:
    return a + w * (b - a) if abs(w) < 0.5 else b - (b - a) * (1 - w)


def _adafactor(step: _Step) -> None:
    p, g, lr, t, h, st, dt = step
    eps1, eps2 = h["eps"]
    if eps1 is None:
        eps1 = float(np.finfo(p.dtype).eps)
    w = dt(t ** h["beta2_decay"])
    rho = min(lr, 1 / t**0.5)
    if p.size == 0:
        return
    alpha = max(eps2, float(np.linalg.norm(p.astype(np.float64))) / p.size**0.5) * rho
    if h["weight_decay"]:
        p *= dt(1 - lr * h["weight_decay"])
    g64 = g.astype(np.float64) ** 2
    if p.ndim >= 2:
        rows, cols = p.shape[-2], p.shape[-1]
        row_mean = (np.sqrt(g64.sum(axis=-1, keepdims=True)).astype(p.dtype) ** 2) / dt(cols)
        col_mean = (np.sqrt(g64.sum(axis=-2, keepdims=True)).astype(p.dtype) ** 2) / dt(rows)
        r = st["row_var"] = _torch_lerp(st.get("row_var", np.zeros_like(row_mean)), row_mean, w)
        c = st["col_var"] = _torch_lerp(st.get("col_var", np.zeros_like(col_mean)), col_mean, w)
        mean = (r.astype(np.float64).sum(axis=-2, keepdims=True) / rows).astype(p.dtype)
        var = r * c / np.maximum(mean, dt(eps1))
    else:
        var = st["variance"] = _torch_lerp(st.get("variance", np.zeros_like(p)), g * g, w)
    u = dt(1) / np.sqrt(np.maximum(var, dt(eps1 * eps1))) * g
    denom = max(1.0, float(np.linalg.norm(u.astype(np.float64))) / (u.size**0.5 * h["d"]))
    p += dt(-alpha / denom) * u


#: One function per update rule, by fastgd.optimizers' kind.
_RULES: dict[str, Callable[[_Step], None]] = {
    "sgd": _sgd,
    "adam": _adam,  # also AdamW: decoupled weight decay, applied in OptimizerReference.step
    "adagrad": _adagrad,
    "rmsprop": _rmsprop,
    "adadelta": _adadelta,
    "adamax": _adamax,
    "nadam": _nadam,
    "radam": _radam,
    "rprop": _rprop,
    "asgd": _asgd,
    "lion": _lion,
    "adafactor": _adafactor,  # also takes the weight decay (after reading RMS(theta))
}


class OptimizerReference:
    """Every update rule of fastgd.optimizers, written from torch.optim's documented
    algorithms in NumPy (in params' dtype). ``hyper`` uses fastgd.optimizers' names
    (beta1 and beta2 rather than betas)."""

    def __init__(self, kind: str, **hyper: Any) -> None:
        self.kind, self.hyper, self.t = kind, hyper, 0
        self.state: dict[str, Any] = {}

    def step(self, p: Array, grad: Array) -> Array:
        """One step of the rule: p updated in place (and returned)."""
        h, dt = self.hyper, p.dtype.type
        self.t += 1
        g = -grad if h.get("maximize") else grad.copy()
        lr = h["lr"] if isinstance(h["lr"], (int, float)) else schedule_value(h["lr"], self.t - 1)
        if h.get("decoupled_weight_decay"):  # AdamW, and Adam, NAdam, RAdam with the option
            if h["weight_decay"]:
                p *= dt(1 - lr * h["weight_decay"])
        elif h.get("weight_decay") and self.kind not in (
            "lion",
            "adafactor",
        ):  # theirs is their own
            g = g + dt(h["weight_decay"]) * p
        _RULES[self.kind](_Step(p, g, lr, self.t, h, self.state, dt))
        return p


def descent_path(objective: Any, x0: Array, optimizer: Optimizer, steps: int) -> Array:
    """``steps`` steps of ``optimizer``'s rule from x0 on a registered objective, with
    no stopping rule; the path, shape (steps + 1, d). The loop of fastgd.minimize."""
    function = get(objective)
    rule = OptimizerReference(optimizer.kind, **optimizer._hyper)
    x = np.array(x0, dtype=np.float64)
    path = [x.copy()]
    for _ in range(steps):
        rule.step(x, function.grad(x))
        path.append(x.copy())
    return np.array(path)
