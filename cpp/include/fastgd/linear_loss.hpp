#pragma once
/// Linear models under scikit-learn's SGD losses and penalties: value and gradient
/// in one pass over X, with the task split of least_squares.hpp (bitwise the same
/// for any thread count).
///
/// The objective over the m rows used (all of X, or a mini-batch idx) is
///     J = (1/m) sum_i s_i L(z_i, y_i) + alpha R(w),   z_i = x_i . w + b,
///     R(w) = (1 - l1_ratio)/2 ||w||^2 + l1_ratio ||w||_1,
/// the intercept never penalised; the multinomial log loss has W (d x K) and b (K).
///
/// X is dense (design<T>) or a CSR matrix (csr_design<T, I>, scipy's arrays read in
/// place): the same kernels read either row source (arch/least_squares_rows.hpp), and
/// every function here has one overload per matrix kind, so fit_linear.hpp's loop is
/// written once.
///
/// NumPy twin: fastgd.reference.loss_grad.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "fastgd/csr.hpp"
#include "fastgd/dispatch.hpp"
#include "fastgd/interrupt.hpp"
#include "fastgd/least_squares.hpp"
#include "fastgd/lipschitz.hpp"
#include "fastgd/threads.hpp"

namespace fastgd {

/// Unscaled sums: sum s_i L_i and sum s_i dL_i a_i (a_i = [x_i, 1]; the
/// multinomial: d K values of W's gradient row-major, then K for b).
struct loss_sums {
    double loss = 0.0;
    std::vector<double> grad;
    bool y_ok = true;  // false: y failed the y_check asked for, and the sums are not meaningful
};

/// What linear_loss_sums_into checks of y, chunk by chunk, just before the kernel
/// reads the same values from cache: nothing, that every target is finite (the
/// regression losses), or that every label is -1 or +1 (the binary losses). A
/// separate pass over y would cost as much as one over X when d = 1.
enum class y_check { none, finite, plus_minus_one };

/// Whether y[begin, end) passes check (rows in order). On the bits, so that the loop
/// vectorises (GCC keeps floating-point compares in this loop scalar): a finite value
/// has an exponent field below all ones, so adding one to that field leaves the sign
/// bit clear; -1 and +1 are the bits of 1 once the sign is cleared.
template <typename T>
bool y_passes(const T* y, std::size_t begin, std::size_t end, y_check check) {
    using U = std::conditional_t<sizeof(T) == 8, std::uint64_t, std::uint32_t>;
    constexpr int mantissa = std::numeric_limits<T>::digits - 1;
    constexpr U sign = U{1} << (8 * sizeof(T) - 1), exponent = ~sign & ~((U{1} << mantissa) - 1);
    U one;
    const T one_t = 1;
    std::memcpy(&one, &one_t, sizeof one);
    const auto bits = [y](std::size_t i) {
        U u;
        std::memcpy(&u, y + i, sizeof u);
        return u;
    };
    U seen = 0;
    if (check == y_check::finite) {
        for (std::size_t i = begin; i < end; ++i) seen |= (bits(i) & exponent) + (U{1} << mantissa);
        return (seen & sign) == 0;
    }
    if (check == y_check::plus_minus_one)
        for (std::size_t i = begin; i < end; ++i) seen |= (bits(i) & ~sign) ^ one;
    return seen == 0;
}

/// Sums of a binary or regression loss at theta = [w, b] (d + 1 values): the
/// intercept's gradient is always computed (b = 0 fits none). sw: n weights or nullptr.
/// check (rows in order only, A.idx null): when y fails it, out.y_ok is false and the
/// chunks after the failing one skip their work.
template <typename T>
void linear_loss_sums_into(const design<T>& A, const T* sw, const loss_spec& spec, const T* theta, int n_threads,
                           loss_sums& out, y_check check = y_check::none) {
    if (A.idx && check != y_check::none)
        throw std::invalid_argument("linear_loss_sums_into: y_check needs rows in order");
    const auto& k = kernels_for<T>();
    std::atomic<bool> y_ok{true};
    const auto chunk = [&](std::size_t c, std::size_t c_end, T* scratch, double*, double* acc_b) {
        if (check != y_check::none) {
            if (!y_ok.load(std::memory_order_relaxed)) return 0.0;
            if (!y_passes(A.y, c, c_end, check)) {
                y_ok.store(false, std::memory_order_relaxed);
                return 0.0;
            }
        }
        return k.loss_rows(spec, A.X, A.y, sw, A.d, A.idx, theta, true, c, c_end, scratch, acc_b);
    };
    std::vector<T> scratch;
    out.loss = detail::blocked_row_sums(A.n, A.d, A.d, A.d + 1, 0, 0, n_threads, chunk, out.grad, scratch);
    out.y_ok = y_ok.load();
}

/// Sums of the multinomial log loss at W (d x K, row-major) and b (K): labels
/// hold n class indices in [0, K) (checked by the caller), read through A.idx.
/// out.grad: W's gradient (d x K, row-major), then b's (K).
template <typename T>
void softmax_sums_into(const design<T>& A, const int* labels, const T* sw, const T* W, const T* b, std::size_t K,
                       int n_threads, loss_sums& out) {
    const auto& k = kernels_for<T>();
    const std::size_t d = A.d, g_len = d * K;
    std::vector<T> Wt(g_len);  // class-major: the kernel reads and writes W^T's layout
    for (std::size_t j = 0; j < d; ++j)
        for (std::size_t c = 0; c < K; ++c) Wt[c * d + j] = W[j * K + c];
    const auto chunk = [&](std::size_t c, std::size_t c_end, T* scratch, double* extra, double* acc_b) {
        return k.softmax_rows(A.X, labels, sw, d, A.idx, Wt.data(), b, K, c, c_end, scratch, acc_b,
                              scratch + g_len, extra);
    };
    std::vector<T> scratch;
    std::vector<double> grad_t;
    // Each row costs about d K multiply-adds twice: size the tasks by d K.
    out.loss = detail::blocked_row_sums(A.n, g_len, g_len, g_len + K, 8 * K, K, n_threads, chunk, grad_t, scratch);
    out.grad.assign(g_len + K, 0.0);
    for (std::size_t j = 0; j < d; ++j)
        for (std::size_t c = 0; c < K; ++c) out.grad[j * K + c] = grad_t[c * d + j];
    for (std::size_t c = 0; c < K; ++c) out.grad[g_len + c] = grad_t[g_len + c];
}

/// A CSR matrix with its targets, rows optionally selected by idx (n of them): the
/// sparse twin of design<T> (same member names, so a fit copies and narrows either
/// the same way). X.n is the matrix's row count; n the rows used; nnz the count of
/// nonzeros check_csr returned (the kernels clamp every offset to it).
template <typename T, typename I>
struct csr_design {
    csr_view<T, I> X;
    std::size_t nnz;
    const T* y;  // nullptr: y = 0
    std::size_t n;
    std::size_t d;
    bool intercept;
    const std::size_t* idx = nullptr;
};

/// Throws std::invalid_argument unless the CSR arrays are safe to read: indptr of n + 1
/// non-decreasing offsets from 0 to at most the lengths of data and indices, and every
/// index of a row in [0, d). O(nnz); run before any read without the GIL. Returns nnz.
/// (The kernels still clamp offsets to it and skip columns outside [0, d): another
/// thread may rewrite the arrays while they run.)
template <typename T, typename I>
std::size_t check_csr(const csr_view<T, I>& X, std::size_t data_len, std::size_t indices_len) {
    if (X.indptr[0] != 0) throw std::invalid_argument("X.indptr must start at 0");
    for (std::size_t i = 0; i < X.n; ++i)
        if (X.indptr[i + 1] < X.indptr[i]) throw std::invalid_argument("X.indptr must be non-decreasing");
    const std::size_t nnz = static_cast<std::size_t>(X.indptr[X.n]);
    if (nnz > data_len || nnz > indices_len)
        throw std::invalid_argument("X.indptr points past the end of X.data or X.indices");
    // One branch-free (vectorised) pass; the offending index is looked up only on failure.
    using U = std::make_unsigned_t<I>;
    const U d = static_cast<U>(std::min<std::size_t>(X.d, static_cast<std::size_t>(std::numeric_limits<I>::max())));
    U largest = 0;  // a max reduction: negatives wrap above any d
    for (std::size_t k = 0; k < nnz; ++k) largest = std::max(largest, static_cast<U>(X.indices[k]));
    if ((nnz == 0 || largest < d) && X.d <= static_cast<std::size_t>(std::numeric_limits<I>::max())) return nnz;
    for (std::size_t k = 0; k < nnz; ++k)
        if (X.indices[k] < 0 || static_cast<std::size_t>(X.indices[k]) >= X.d)
            throw std::invalid_argument("X.indices must be in [0, " + std::to_string(X.d) + "); got " +
                                        std::to_string(static_cast<long long>(X.indices[k])));
    return nnz;
}

namespace detail {

/// The task split of the CSR passes: rows cut into a number of tasks that depends
/// only on the rows used (n), the matrix's mean nonzeros a row and p (never on the
/// thread count), each task summing into its own p doubles (over nonzeros only: a
/// task's cost is its nonzeros, not d), added in task order: the same bits for any
/// thread count. At most 8 tasks, and at most 2^24 doubles of task sums.
/// chunk(begin, end, g, scratch, es) adds rows [begin, end) into g (p doubles) and
/// returns their loss; scratch (extra_t values of T) and es (extra_len doubles) are
/// per worker.
template <typename T, typename Chunk>
double csr_row_sums(std::size_t n, double nnz_per_row, std::size_t p, std::size_t extra_t, std::size_t extra_len,
                    int n_threads, const Chunk& chunk, std::vector<double>& grad) {
    grad.assign(p, 0.0);
    if (n == 0) return 0.0;
    const double work = static_cast<double>(n) * (nnz_per_row + 1.0);
    const double by_memory =
        static_cast<double>(std::size_t{1} << 24) / static_cast<double>(std::max<std::size_t>(p, 1));
    const double by_work = std::floor(work / static_cast<double>(std::size_t{1} << 18));
    const std::size_t n_tasks = static_cast<std::size_t>(
        std::max(1.0, std::min({4.0, by_work, by_memory, static_cast<double>(n)})));
    if (n_tasks == 1) {
        std::vector<T> scratch(extra_t);
        std::vector<double> es(extra_len);
        return chunk(std::size_t{0}, n, grad.data(), scratch.data(), es.data());
    }
    const std::size_t rows_per_task = (n + n_tasks - 1) / n_tasks;
    // Per task: p sums, then the loss; task 0 sums into grad itself (one fewer d-sized
    // buffer to fault in and add up).
    std::vector<double> partial((n_tasks - 1) * (p + 1), 0.0);
    double loss0 = 0.0;
    std::atomic<bool> out_of_memory{false};
    parallel_for(n_tasks, n_threads, [&](std::size_t first, std::size_t last) {
        // No exception may leave a worker thread: reported, rethrown below.
        std::vector<T> scratch;
        std::vector<double> es;
        try {
            scratch.resize(extra_t);
            es.resize(extra_len);
        } catch (const std::bad_alloc&) {
            out_of_memory = true;
            return;
        }
        for (std::size_t t = first; t < last; ++t) {
            double* acc = t == 0 ? grad.data() : partial.data() + (t - 1) * (p + 1);
            const std::size_t b = std::min(n, t * rows_per_task), e = std::min(n, b + rows_per_task);
            (t == 0 ? loss0 : acc[p]) = chunk(b, e, acc, scratch.data(), es.data());
        }
    });
    if (out_of_memory) throw std::bad_alloc();
    double loss = loss0;
    for (std::size_t t = 1; t < n_tasks; ++t) {
        const double* acc = partial.data() + (t - 1) * (p + 1);
        for (std::size_t j = 0; j < p; ++j) grad[j] += acc[j];
        loss += acc[p];
    }
    return loss;
}

template <typename T, typename I>
double nnz_per_row(const csr_design<T, I>& A) {
    return A.X.n ? static_cast<double>(A.nnz) / static_cast<double>(A.X.n) : 0.0;
}

}  // namespace detail

/// linear_loss_sums_into over CSR rows (the gradient over nonzeros only).
template <typename T, typename I>
void linear_loss_sums_into(const csr_design<T, I>& A, const T* sw, const loss_spec& spec, const T* theta,
                           int n_threads, loss_sums& out) {
    const auto rows = csr_loss_rows<T, I>(kernels_for<T>());
    const std::size_t d = A.d;
    const auto chunk = [&](std::size_t b, std::size_t e, double* g, T*, double*) {
        return rows(spec, A.X.data, A.X.indices, A.X.indptr, A.nnz, A.y, sw, d, A.idx, theta, true, b, e, g, g + d);
    };
    out.loss = detail::csr_row_sums<T>(A.n, detail::nnz_per_row(A), d + 1, 0, 0, n_threads, chunk, out.grad);
}

/// softmax_sums_into over CSR rows.
template <typename T, typename I>
void softmax_sums_into(const csr_design<T, I>& A, const int* labels, const T* sw, const T* W, const T* b,
                       std::size_t K, int n_threads, loss_sums& out) {
    const auto rows = csr_softmax_rows<T, I>(kernels_for<T>());
    const std::size_t d = A.d, g_len = d * K;
    std::vector<T> Wt(g_len);  // class-major, as the kernel reads it
    for (std::size_t j = 0; j < d; ++j)
        for (std::size_t c = 0; c < K; ++c) Wt[c * d + j] = W[j * K + c];
    const auto chunk = [&](std::size_t s, std::size_t e, double* g, T* zs, double* es) {
        return rows(A.X.data, A.X.indices, A.X.indptr, A.nnz, labels, sw, d, A.idx, Wt.data(), b, K, s, e, g,
                    g + g_len, zs, es);
    };
    std::vector<double> grad_t;
    out.loss = detail::csr_row_sums<T>(A.n, detail::nnz_per_row(A) * static_cast<double>(K), g_len + K, 8 * K, K,
                                       n_threads, chunk, grad_t);
    out.grad.assign(g_len + K, 0.0);
    for (std::size_t j = 0; j < d; ++j)
        for (std::size_t c = 0; c < K; ++c) out.grad[j * K + c] = grad_t[c * d + j];
    for (std::size_t c = 0; c < K; ++c) out.grad[g_len + c] = grad_t[g_len + c];
}

/// The squared norms of X's columns over all its rows (d values, in double).
template <typename T>
void column_square_sums(const design<T>& A, std::vector<double>& col_sq) {
    col_sq.assign(A.d, 0.0);
    for (std::size_t i = 0; i < A.n; ++i) {
        const T* row = A.X + i * A.d;
        for (std::size_t j = 0; j < A.d; ++j) col_sq[j] += static_cast<double>(row[j]) * row[j];
    }
}
template <typename T, typename I>
void column_square_sums(const csr_design<T, I>& A, std::vector<double>& col_sq) {
    col_sq.assign(A.d, 0.0);
    for (std::size_t k = 0; k < A.nnz; ++k) {
        const std::size_t j = static_cast<std::size_t>(A.X.indices[k]);
        if (j < A.d) col_sq[j] += static_cast<double>(A.X.data[k]) * A.X.data[k];  // (see csr_source)
    }
}

/// The largest squared row norm of X (the mini-batch lr="auto" bound); nnz from check_csr.
template <typename T, typename I>
double max_row_square(const csr_view<T, I>& X, std::size_t nnz) {
    double worst = 0.0;
    for (std::size_t i = 0; i < X.n; ++i) {
        double s = 0.0;
        const std::size_t e = std::min(X.row_end(i), nnz);
        for (std::size_t k = X.row_begin(i); k < e; ++k) s += static_cast<double>(X.data[k]) * X.data[k];
        worst = std::max(worst, s);
    }
    return worst;
}

/// L = the largest eigenvalue of (2/n) A^T A, A = [X, 1] (the 1 when intercept): what
/// least_squares_lipschitz gives for dense X (l2 = 0), by power iteration over the
/// CSR rows (the squared-error kernel at y = 0 gives A^T A v). NaN when the poller
/// asked to stop.
template <typename T, typename I>
double csr_lipschitz(const csr_view<T, I>& X, std::size_t nnz, bool intercept, int n_threads,
                     interrupt_poller& poller) {
    const std::size_t d = X.d, p = d + (intercept ? 1 : 0);
    const csr_design<T, I> H{X, nnz, nullptr, X.n, d, true};
    const loss_spec spec{loss_kind::squared_error, 0.0};
    const double scale = X.n ? 2.0 / static_cast<double>(X.n) : 0.0;
    std::vector<T> v_t(d + 1, T(0));
    loss_sums sums;
    return largest_eigenvalue(p, [&](const double* v, double* out) {
        for (std::size_t i = 0; i < p; ++i) v_t[i] = static_cast<T>(v[i]);
        linear_loss_sums_into(H, static_cast<const T*>(nullptr), spec, v_t.data(), n_threads, sums);
        for (std::size_t i = 0; i < p; ++i) out[i] = scale * sums.grad[i];
        return !poller.tick(nnz + X.n);
    });
}

/// Adds alpha R(w) to the value and alpha dR/dw to the gradient (w: the first
/// count values of theta; l1's subgradient is sign(w), 0 at 0). Returns R's value times alpha.
template <typename T>
double add_penalty(const T* w, std::size_t count, double alpha, double l1_ratio, double* grad) {
    if (alpha == 0.0) return 0.0;
    double sq = 0.0, ab = 0.0;
    for (std::size_t j = 0; j < count; ++j) {
        const double wj = static_cast<double>(w[j]);
        sq += wj * wj;
        ab += std::fabs(wj);
        const double sign = wj > 0 ? 1.0 : (wj < 0 ? -1.0 : 0.0);
        grad[j] += alpha * ((1.0 - l1_ratio) * wj + l1_ratio * sign);
    }
    return alpha * (0.5 * (1.0 - l1_ratio) * sq + l1_ratio * ab);
}

}  // namespace fastgd
