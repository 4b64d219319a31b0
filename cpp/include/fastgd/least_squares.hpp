#pragma once
/// Least squares: loss and gradient in one pass over X, threaded and deterministic,
/// and the Gram form (X^T X, X^T y) for many cheap full-batch steps.
///
/// Rows are cut into tasks whose size depends only on d; each task's partial sums
/// are kept apart and added in task order, so the result is bitwise identical for
/// any thread count. Within a task, float32 gradients accumulate in float32 over
/// chunks of at most 256 rows, and chunks are added in double.

#include <algorithm>
#include <atomic>
#include <cstddef>
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

// Sums over rows [begin, end) into a double accumulator, chunk by chunk.
template <typename T>
double task_sums(const design<T>& A, const T* w, std::size_t begin, std::size_t end, T* scratch,
                 double* acc) {
    const auto& k = kernels_for<T>();
    double sum_sq = 0.0;
    for (std::size_t c = begin; c < end; c += chunk_rows) {
        const std::size_t c_end = std::min(end, c + chunk_rows);
        std::fill(scratch, scratch + A.d, T(0));
        double gb = 0.0;
        sum_sq += k.residual_rows(A.X, A.y, A.d, A.idx, w, A.intercept, c, c_end, scratch, &gb);
        for (std::size_t j = 0; j < A.d; ++j) acc[j] += static_cast<double>(scratch[j]);
        if (A.intercept) acc[A.d] += gb;
    }
    return sum_sq;
}

}  // namespace detail

/// Unscaled residual sums at parameters w (length p: coefficients, then intercept).
template <typename T>
void residual_sums_into(const design<T>& A, const T* w, int n_threads, residual_sums<T>& out) {
    const std::size_t p = A.p();
    out.grad.assign(p, 0.0);
    out.sum_sq = 0.0;
    if (A.n == 0) return;
    const std::size_t rows_per_task = detail::task_rows(A.d);
    const std::size_t n_tasks = (A.n + rows_per_task - 1) / rows_per_task;
    const bool serial = A.n * std::max<std::size_t>(A.d, 1) < detail::serial_elements;
    if (n_tasks == 1) {
        out.scratch.resize(A.d);
        out.sum_sq = detail::task_sums(A, w, 0, A.n, out.scratch.data(), out.grad.data());
        return;
    }
    std::vector<double> partial(n_tasks * (p + 1), 0.0);  // per task: p sums, then sum_sq
    const int threads = serial ? 1 : n_threads;
    parallel_for(n_tasks, threads, [&](std::size_t first, std::size_t last) {
        std::vector<T> scratch(A.d);
        for (std::size_t t = first; t < last; ++t) {
            double* acc = partial.data() + t * (p + 1);
            const std::size_t b = t * rows_per_task, e = std::min(A.n, b + rows_per_task);
            acc[p] = detail::task_sums(A, w, b, e, scratch.data(), acc);
        }
    });
    for (std::size_t t = 0; t < n_tasks; ++t) {
        const double* acc = partial.data() + t * (p + 1);
        for (std::size_t j = 0; j < p; ++j) out.grad[j] += acc[j];
        out.sum_sq += acc[p];
    }
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
struct gram_form {
    std::size_t p = 0;
    std::vector<double> G;
    std::vector<double> Xty;
    double yy = 0.0;
    bool complete = true;  // false when a stop request cut the pass short
};

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
    std::atomic<bool> stop{false};
    const auto& k = kernels_for<T>();
    parallel_for(n_slices, n_threads, [&](std::size_t first, std::size_t last) {
        std::vector<double> scratch(4 * p);
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
    out.complete = !stop;
    for (std::size_t s = 0; s < n_slices; ++s) {
        for (std::size_t i = 0; i < p * p; ++i) out.G[i] += partial_G[s * p * p + i];
        for (std::size_t j = 0; j < p; ++j) out.Xty[j] += partial_b[s * p + j];
        out.yy += partial_yy[s];
    }
    for (std::size_t i = 0; i < p; ++i)  // mirror the upper triangle
        for (std::size_t j = 0; j < i; ++j) out.G[i * p + j] = out.G[j * p + i];
    return out;
}

/// Unscaled residual sums from the Gram form: sum r^2 = w^T G w - 2 w^T Xty + yy,
/// sum r a = G w - Xty. Costs O(p^2), and the loss loses relative accuracy when
/// it is far below yy (cancellation); it is clamped at zero.
template <typename T>
void residual_sums_from_gram(const gram_form& F, const T* w, residual_sums<T>& out) {
    const std::size_t p = F.p;
    out.grad.assign(p, 0.0);
    double wGw = 0.0, wb = 0.0;
    for (std::size_t i = 0; i < p; ++i) {
        double s = 0.0;
        const double* Gi = &F.G[i * p];
        for (std::size_t j = 0; j < p; ++j) s += Gi[j] * static_cast<double>(w[j]);
        wGw += static_cast<double>(w[i]) * s;
        wb += static_cast<double>(w[i]) * F.Xty[i];
        out.grad[i] = s - F.Xty[i];
    }
    out.sum_sq = std::max(0.0, wGw - 2.0 * wb + F.yy);
}

}  // namespace fastgd
