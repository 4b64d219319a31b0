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
/// NumPy twin: fastgd.reference.loss_grad.

#include <cmath>
#include <cstddef>
#include <vector>

#include "fastgd/dispatch.hpp"
#include "fastgd/least_squares.hpp"

namespace fastgd {

/// Unscaled sums: sum s_i L_i and sum s_i dL_i a_i (a_i = [x_i, 1]; the
/// multinomial: d K values of W's gradient row-major, then K for b).
struct loss_sums {
    double loss = 0.0;
    std::vector<double> grad;
};

/// Sums of a binary or regression loss at theta = [w, b] (d + 1 values): the
/// intercept's gradient is always computed (b = 0 fits none). sw: n weights or nullptr.
template <typename T>
void linear_loss_sums_into(const design<T>& A, const T* sw, const loss_spec& spec, const T* theta, int n_threads,
                           loss_sums& out) {
    const auto& k = kernels_for<T>();
    const auto chunk = [&](std::size_t c, std::size_t c_end, T* scratch, double*, double* acc_b) {
        return k.loss_rows(spec, A.X, A.y, sw, A.d, A.idx, theta, true, c, c_end, scratch, acc_b);
    };
    std::vector<T> scratch;
    out.loss = detail::blocked_row_sums(A.n, A.d, A.d, A.d + 1, 0, 0, n_threads, chunk, out.grad, scratch);
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
