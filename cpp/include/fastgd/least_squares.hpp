#pragma once
/// Least squares: loss and gradient in one pass over X, threaded and deterministic,
/// and the Gram form (X^T X, X^T y) for many cheap full-batch steps.
///
/// Rows are cut into tasks whose size depends only on d; each task's partial sums
/// are kept apart and added in task order, so the result is bitwise identical for
/// any thread count. Within a task, float32 gradients accumulate in float32 over
/// chunks of at most 256 rows, and chunks are added in double.
///
/// NumPy twin: fastgd.reference.least_squares_loss_grad (the Gram form has none).

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <limits>
#include <new>
#include <vector>

#include "fastgd/dispatch.hpp"
#include "fastgd/interrupt.hpp"
#include "fastgd/threads.hpp"

namespace fastgd {

/// Unscaled sums over a set of rows: sum r_i^2 and sum r_i a_i, a_i = [x_i, 1 if intercept].
/// Reused across steps, so a step allocates nothing.
template <typename T>
struct residual_sums {
    double sum_sq = 0.0;
    std::vector<double> grad;  // length d + intercept
    std::vector<T> scratch;    // length d: one chunk's float accumulator
    std::vector<double> delta;  // length p: theta - theta_ref of the Gram form's expansion
};

/// A (n x d) row-major matrix with targets; rows optionally selected by idx (n of them).
template <typename T>
struct design {
    const T* X;
    const T* y;  // nullptr: y = 0
    std::size_t n;
    std::size_t d;
    bool intercept;
    const std::size_t* idx = nullptr;
    std::size_t p() const { return d + (intercept ? 1 : 0); }
};

namespace detail {

constexpr std::size_t chunk_rows = 256;                      // float32 accumulation span
constexpr std::size_t task_elements = std::size_t{1} << 18;  // about 2 MB of float64 X
constexpr std::size_t serial_elements = std::size_t{1}
                                        << 18;  // below this, one thread (a spawn costs ~30 us)

inline std::size_t task_rows(std::size_t d) {
    const std::size_t rows = task_elements / std::max<std::size_t>(d, 1);
    return std::max<std::size_t>(chunk_rows, (rows / chunk_rows) * chunk_rows);
}

// Sums over rows [begin, end) into a double accumulator, chunk by chunk:
// chunk(c, c_end, scratch, extra, acc + g_len) adds the T sums of rows [c, c_end)
// into scratch (g_len values, zeroed here), may add double sums into acc[g_len:p)
// itself, and returns its share of the loss; scratch is then added into acc[0:g_len).
template <typename T, typename Chunk>
double task_sums(std::size_t begin, std::size_t end, std::size_t g_len, T* scratch, double* extra, double* acc,
                 const Chunk& chunk) {
    double loss = 0.0;
    for (std::size_t c = begin; c < end; c += chunk_rows) {
        const std::size_t c_end = std::min(end, c + chunk_rows);
        std::fill(scratch, scratch + g_len, T(0));
        loss += chunk(c, c_end, scratch, extra, acc + g_len);
        for (std::size_t j = 0; j < g_len; ++j) acc[j] += static_cast<double>(scratch[j]);
    }
    return loss;
}

/// The task split of every fused pass: rows cut into tasks of task_rows(width)
/// rows (width: the values per row that set the cost), each task's sums (p
/// values: g_len from the T scratch, the rest added in double by chunk) kept apart
/// and added in task order, so the result has the same bits for any thread count.
/// scratch (T, g_len values + extra_t) and extra (double, extra_len values) are
/// per worker; chunk is called as in task_sums (extra = nullptr when extra_len is 0).
/// Returns the loss; grad gets the p sums. single_scratch is reused when one task
/// covers all rows (a fit's step then allocates nothing).
template <typename T, typename Chunk>
double blocked_row_sums(std::size_t n, std::size_t width, std::size_t g_len, std::size_t p, std::size_t extra_t,
                        std::size_t extra_len, int n_threads, const Chunk& chunk, std::vector<double>& grad,
                        std::vector<T>& single_scratch) {
    grad.assign(p, 0.0);
    if (n == 0) return 0.0;
    const std::size_t rows_per_task = task_rows(width);
    const std::size_t n_tasks = (n + rows_per_task - 1) / rows_per_task;
    const bool serial = n * std::max<std::size_t>(width, 1) < serial_elements;
    if (n_tasks == 1) {
        single_scratch.resize(g_len + extra_t);
        std::vector<double> extra(extra_len);
        return task_sums(std::size_t{0}, n, g_len, single_scratch.data(), extra.data(), grad.data(), chunk);
    }
    std::vector<double> partial(n_tasks * (p + 1), 0.0);  // per task: p sums, then the loss
    const int threads = serial ? 1 : n_threads;
    std::atomic<bool> out_of_memory{false};
    parallel_for(n_tasks, threads, [&](std::size_t first, std::size_t last) {
        // No exception may leave a worker thread: a failed scratch allocation is
        // reported here and rethrown by the caller's thread below.
        std::vector<T> scratch;
        std::vector<double> extra;
        try {
            scratch.resize(g_len + extra_t);
            extra.resize(extra_len);
        } catch (const std::bad_alloc&) {
            out_of_memory = true;
            return;
        }
        for (std::size_t t = first; t < last; ++t) {
            double* acc = partial.data() + t * (p + 1);
            const std::size_t b = t * rows_per_task, e = std::min(n, b + rows_per_task);
            acc[p] = task_sums(b, e, g_len, scratch.data(), extra.data(), acc, chunk);
        }
    });
    if (out_of_memory) throw std::bad_alloc();
    double loss = 0.0;
    for (std::size_t t = 0; t < n_tasks; ++t) {
        const double* acc = partial.data() + t * (p + 1);
        for (std::size_t j = 0; j < p; ++j) grad[j] += acc[j];
        loss += acc[p];
    }
    return loss;
}

}  // namespace detail

/// Unscaled residual sums at parameters w (length p: coefficients, then intercept).
template <typename T>
void residual_sums_into(const design<T>& A, const T* w, int n_threads, residual_sums<T>& out) {
    const auto& k = kernels_for<T>();
    const auto chunk = [&](std::size_t c, std::size_t c_end, T* scratch, double*, double* acc_b) {
        return k.residual_rows(A.X, A.y, A.d, A.idx, w, A.intercept, c, c_end, scratch, acc_b);
    };
    out.sum_sq = detail::blocked_row_sums(A.n, A.d, A.d, A.p(), 0, 0, n_threads, chunk, out.grad, out.scratch);
}

/// Sum of all elements of X with the same task split and threads as the gradient:
/// the read-only bandwidth ceiling for benchmarks.
template <typename T>
double stream_sum(const design<T>& A, int n_threads) {
    const std::size_t rows_per_task = detail::task_rows(A.d);
    const std::size_t n_tasks = (A.n + rows_per_task - 1) / rows_per_task;
    std::vector<double> partial(n_tasks, 0.0);
    const auto& k = kernels_for<T>();
    parallel_for(n_tasks, n_threads, [&](std::size_t first, std::size_t last) {
        for (std::size_t t = first; t < last; ++t)
            partial[t] = k.sum_rows(A.X, A.d, t * rows_per_task, std::min(A.n, (t + 1) * rows_per_task));
    });
    double s = 0.0;
    for (const double x : partial) s += x;
    return s;
}

/// The Gram form of least squares over [X, 1]: G = A^T A (p x p, full), Xty = A^T y,
/// yy = y^T y, all in double.
///
/// The loss and gradient at theta are expanded about an anchor theta_ref where the
/// residual r_ref was streamed exactly: with delta = theta - theta_ref,
/// ||r||^2 = delta^T G delta + 2 delta^T A^T r_ref + ||r_ref||^2 and A^T r = G delta + A^T r_ref.
/// At theta_ref = 0 that is the textbook w^T G w - 2 w^T Xty + yy. The expansion
/// cancels when ||r||^2 is far below its terms (y ~ 1e7 fitted to a 1e-6 MSE
/// loses every digit), so the fit moves the anchor to theta with one streamed pass
/// when that happens (reanchor_gram): the terms shrink with the residual.
struct gram_form {
    std::size_t p = 0;
    std::vector<double> G;
    std::vector<double> Xty;
    double yy = 0.0;
    bool complete = true;  // false when a stop request cut the pass short
    std::vector<double> ref_theta;  // theta_ref (p values)
    std::vector<double> ref_grad;   // A^T r_ref, unscaled (at 0: -Xty)
    double ref_sq = 0.0;            // ||r_ref||^2 (at 0: yy)
};

/// Bytes compute_gram allocates for p parameters and n rows: G, one partial G per
/// slice, and the vectors (what the fit checks before asking for them).
inline double gram_bytes(std::size_t p, std::size_t n) {
    const double pp = static_cast<double>(p) * static_cast<double>(p);
    const double budget = pp > 0 ? std::floor(static_cast<double>(std::size_t{1} << 22) / pp) : 1.0;
    const double slices = std::max(1.0, std::min({8.0, budget, std::ceil(static_cast<double>(n) / 1024.0)}));
    return 8.0 * ((1.0 + slices) * pp + (slices + 8.0) * static_cast<double>(p));
}

/// Build the Gram form in one pass. Rows are split into a number of slices that
/// depends only on n and d, each with its own partial G, summed in slice order.
/// The pass costs n p^2 / 2 multiply-adds, so it polls `poller` (from the calling
/// thread) and stops early, with complete = false, when asked to.
template <typename T>
gram_form compute_gram(const design<T>& A, int n_threads, interrupt_poller* poller = nullptr) {
    gram_form out;
    const std::size_t p = A.p();
    out.p = p;
    out.G.assign(p * p, 0.0);
    out.Xty.assign(p, 0.0);
    const std::size_t budget = (std::size_t{1} << 22) / std::max<std::size_t>(p * p, 1);
    const std::size_t by_rows = (A.n + 1023) / 1024;
    const std::size_t n_slices = std::max<std::size_t>(1, std::min({std::size_t{8}, budget, by_rows}));
    const std::size_t slice_rows = ((A.n + n_slices - 1) / n_slices + 3) / 4 * 4;
    // Rows per poll: about 2^22 multiply-adds (a few ms), a multiple of 4.
    const std::size_t block_rows = std::max<std::size_t>(4, ((std::size_t{1} << 22) / (p * p + 1)) / 4 * 4);
    std::vector<double> partial_G(n_slices * p * p, 0.0), partial_b(n_slices * p, 0.0),
        partial_yy(n_slices, 0.0);
    std::atomic<bool> stop{false}, out_of_memory{false};
    const auto& k = kernels_for<T>();
    parallel_for(n_slices, n_threads, [&](std::size_t first, std::size_t last) {
        // No exception may leave a worker thread: reported, rethrown below.
        std::vector<double> scratch;
        try {
            scratch.resize(4 * p);
        } catch (const std::bad_alloc&) {
            out_of_memory = true;
            stop = true;
            return;
        }
        for (std::size_t s = first; s < last; ++s) {
            const std::size_t b = std::min(A.n, s * slice_rows), e = std::min(A.n, b + slice_rows);
            for (std::size_t r = b; r < e && !stop.load(std::memory_order_relaxed); r += block_rows) {
                partial_yy[s] +=
                    k.gram_rows(A.X, A.y, A.d, A.idx, A.intercept, r, std::min(e, r + block_rows),
                                partial_G.data() + s * p * p, partial_b.data() + s * p, scratch.data());
                if (first == 0 && poller && poller->tick(block_rows * p * p))
                    stop = true;  // the caller's thread
            }
        }
    });
    if (out_of_memory) throw std::bad_alloc();
    out.complete = !stop;
    for (std::size_t s = 0; s < n_slices; ++s) {
        for (std::size_t i = 0; i < p * p; ++i) out.G[i] += partial_G[s * p * p + i];
        for (std::size_t j = 0; j < p; ++j) out.Xty[j] += partial_b[s * p + j];
        out.yy += partial_yy[s];
    }
    for (std::size_t i = 0; i < p; ++i)  // mirror the upper triangle
        for (std::size_t j = 0; j < i; ++j) out.G[i * p + j] = out.G[j * p + i];
    out.ref_theta.assign(p, 0.0);  // the anchor at theta = 0: r_ref = -y
    out.ref_grad.resize(p);
    for (std::size_t j = 0; j < p; ++j) out.ref_grad[j] = -out.Xty[j];
    out.ref_sq = out.yy;
    return out;
}

/// Unscaled residual sums from the Gram form, expanded about its anchor (see
/// gram_form): O(p^2). Returns false when the loss cancelled, i.e. came out below
/// 1e-8 of the terms it is the sum of (fewer than ~8 digits left): the caller then
/// streams the residual once and moves the anchor there (reanchor_gram). At the
/// anchor theta = 0 the arithmetic is exactly w^T G w - 2 w^T Xty + yy.
template <typename T>
bool residual_sums_from_gram(const gram_form& F, const T* w, residual_sums<T>& out) {
    const std::size_t p = F.p;
    out.grad.assign(p, 0.0);
    out.delta.resize(p);
    const double* delta = out.delta.data();
    for (std::size_t j = 0; j < p; ++j) out.delta[j] = static_cast<double>(w[j]) - F.ref_theta[j];
    double dGd = 0.0, db = 0.0, terms = 0.0;
    for (std::size_t i = 0; i < p; ++i) {
        double s = 0.0;
        const double* Gi = &F.G[i * p];
        for (std::size_t j = 0; j < p; ++j) s += Gi[j] * delta[j];
        const double di = delta[i];
        dGd += di * s;
        db += di * F.ref_grad[i];
        terms += std::fabs(di * F.ref_grad[i]);
        out.grad[i] = s + F.ref_grad[i];
    }
    const double sum_sq = dGd + 2.0 * db + F.ref_sq;
    out.sum_sq = std::max(0.0, sum_sq);
    return !(sum_sq < 1e-8 * (std::fabs(dGd) + 2.0 * terms + F.ref_sq));
}

/// Moves the Gram form's anchor to w with one streamed pass, and leaves the exact
/// residual sums at w in out.
template <typename T>
void reanchor_gram(gram_form& F, const design<T>& A, const T* w, int n_threads, residual_sums<T>& out) {
    residual_sums_into(A, w, n_threads, out);
    for (std::size_t j = 0; j < F.p; ++j) F.ref_theta[j] = static_cast<double>(w[j]);
    F.ref_grad = out.grad;
    F.ref_sq = out.sum_sq;
}

/// One pass over X that gives the residual sums at w and the squared norms of the
/// columns of A = [X, 1] (col_sq, p values): what the optimality test needs where
/// no gradient is at hand (the end of a mini-batch fit). Plain loops in double (it
/// runs once per fit); tasks as in residual_sums_into, so any thread count gives
/// the same bits.
template <typename T>
void column_residual_sums(const design<T>& A, const T* w, int n_threads, residual_sums<T>& out,
                          std::vector<double>& col_sq) {
    const std::size_t p = A.p(), d = A.d;
    out.grad.assign(p, 0.0);
    out.sum_sq = 0.0;
    col_sq.assign(p, 0.0);
    if (A.n == 0) return;
    const std::size_t rows_per_task = detail::task_rows(d);
    const std::size_t n_tasks = (A.n + rows_per_task - 1) / rows_per_task;
    std::vector<double> partial(n_tasks * (2 * p + 1), 0.0);  // per task: grad, col_sq, sum_sq
    const double b = A.intercept ? static_cast<double>(w[d]) : 0.0;
    parallel_for(n_tasks, n_threads, [&](std::size_t first, std::size_t last) {
        for (std::size_t t = first; t < last; ++t) {
            double* acc = partial.data() + t * (2 * p + 1);
            const std::size_t e = std::min(A.n, (t + 1) * rows_per_task);
            for (std::size_t i = t * rows_per_task; i < e; ++i) {
                const std::size_t row = A.idx ? A.idx[i] : i;
                const T* x = A.X + row * d;
                double r = b - (A.y ? static_cast<double>(A.y[row]) : 0.0);
                for (std::size_t j = 0; j < d; ++j)
                    r += static_cast<double>(x[j]) * static_cast<double>(w[j]);
                for (std::size_t j = 0; j < d; ++j) {
                    const double xj = static_cast<double>(x[j]);
                    acc[j] += r * xj;
                    acc[p + j] += xj * xj;
                }
                if (A.intercept) {
                    acc[d] += r;
                    acc[p + d] += 1.0;
                }
                acc[2 * p] += r * r;
            }
        }
    });
    for (std::size_t t = 0; t < n_tasks; ++t) {
        const double* acc = partial.data() + t * (2 * p + 1);
        for (std::size_t j = 0; j < p; ++j) {
            out.grad[j] += acc[j];
            col_sq[j] += acc[p + j];
        }
        out.sum_sq += acc[2 * p];
    }
}

/// The first-order optimality measure of least squares (the test behind
/// "converged"). With A = [X, 1] (columns a_j), r = A theta - y over n rows and g
/// the gradient of the mean loss (g_j = (2/n) a_j^T r + 2 l2 theta_j for the
/// penalised coefficients), it is
///
///     max_j |g_j| / ((2/n) ||a_j|| Y + 2 l2 |theta_j|),   Y = max(||y_c||, ||r||),
///
/// where y_c is y centred when the intercept is fitted (y itself otherwise), and
/// zero columns are skipped (their coefficient does not change the fit). Without
/// l2 it is the largest cosine-like ratio |a_j^T r| / (||a_j|| Y): the residual is
/// orthogonal to every column up to this relative to the spread of y. It does not
/// change when a column of X is scaled, when y is scaled, or (with an intercept)
/// when y is shifted, and it is at most 1. y_c_sq = ||y_c||^2, r_sq = ||r||^2,
/// col_sq the p squared column norms.
template <typename Theta>
double optimality_measure(const double* g, const double* col_sq, std::size_t p, std::size_t d,
                          const Theta* theta, double l2, std::size_t n, double r_sq, double y_c_sq) {
    const double Y = std::max({std::sqrt(std::max(y_c_sq, 0.0)), std::sqrt(std::max(r_sq, 0.0)),
                               std::numeric_limits<double>::min()});
    const double scale = 2.0 / static_cast<double>(n);
    double worst = 0.0;
    for (std::size_t j = 0; j < p; ++j) {
        if (!(col_sq[j] > 0.0)) continue;  // a zero column: its coefficient changes nothing
        double denom = scale * std::sqrt(col_sq[j]) * Y;
        if (j < d) denom += 2.0 * l2 * std::fabs(static_cast<double>(theta[j]));
        const double ratio = std::fabs(g[j]) / denom;
        if (std::isnan(ratio)) return ratio;  // never "optimal"
        worst = std::max(worst, ratio);
    }
    return worst;
}

/// ||y_c||^2: the squared norm of y centred (intercept) or of y, in two passes in
/// double (a one-pass sum(y^2) - n mean^2 cancels when y ~ 1e7).
template <typename T>
double centred_square_sum(const T* y, std::size_t n, bool centre) {
    double mean = 0.0;
    if (centre && n > 0) {
        for (std::size_t i = 0; i < n; ++i) mean += static_cast<double>(y[i]);
        mean /= static_cast<double>(n);
    }
    double s = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const double v = static_cast<double>(y[i]) - mean;
        s += v * v;
    }
    return s;
}

}  // namespace fastgd
