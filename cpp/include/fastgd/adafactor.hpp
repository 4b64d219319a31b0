#pragma once
/// Adafactor (Shazeer and Stern, 2018) as torch.optim.Adafactor (torch 2.5 and later):
/// the second moment of an array of two or more dimensions is kept factored over
/// its last two, a row factor and a column factor (torch's row_var and col_var);
/// a 0-D or 1-D array keeps a full one (variance). Not element-wise: the step takes
/// the root mean square of the parameters and of the update (two reductions) and,
/// when factored, row and column means of g^2, so it needs the array's shape.
///
/// One step t (1, 2, ...) at learning rate lr, g the gradient (negated to maximize):
///     w = t^beta2_decay, rho = min(lr, 1/sqrt(t)), alpha = max(eps2, RMS(theta)) rho
///     theta <- theta (1 - lr weight_decay)
///     factored:  R <- lerp(R, mean_cols(g^2), w), C <- lerp(C, mean_rows(g^2), w),
///                V = R C / max(mean_rows(R), eps1)          (per matrix of the batch)
///     else:      V <- lerp(V, g^2, w)
///     U = g / sqrt(max(V, eps1^2)),  theta <- theta - alpha U / max(1, RMS(U) / d)
/// with torch's lerp (a + w (b - a) for w < 0.5, b - (b - a)(1 - w) else) and eps1 the
/// machine epsilon of T when not given. Sums are taken in double, in a fixed order.
///
/// NumPy twin: fastgd.reference.OptimizerReference ("adafactor").

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <vector>

#include "fastgd/rule_params.hpp"

namespace fastgd {

/// An array's shape as Adafactor sees it: `batch` matrices of rows x cols (the last
/// two dimensions) when factored, else n values.
struct adafactor_layout {
    std::size_t batch = 1, rows = 1, cols = 0;
    bool factored = false;

    /// From the parameters' shape (empty and unset: a flat vector of n, as the fits
    /// and minimize step).
    static adafactor_layout of(const std::vector<std::size_t>& shape, std::size_t n) {
        adafactor_layout l;
        if (shape.size() < 2) {
            l.cols = n;
            return l;
        }
        l.factored = true;
        l.rows = shape[shape.size() - 2];
        l.cols = shape[shape.size() - 1];
        for (std::size_t i = 0; i + 2 < shape.size(); ++i) l.batch *= shape[i];
        return l;
    }

    int state_count() const { return factored ? 2 : 1; }

    /// Doubles adafactor_step needs as scratch: the column sums and row means.
    std::size_t scratch_size() const { return factored ? cols + batch : 0; }

    /// Length of state array `index`: row_var, col_var when factored; variance else.
    std::size_t state_size(int index, std::size_t n) const {
        if (!factored) return n;
        return index == 0 ? batch * rows : batch * cols;
    }
};

namespace detail {

template <typename T>
inline T torch_lerp(T from, T to, T weight) {
    return std::fabs(weight) < T(0.5) ? from + weight * (to - from) : to - (to - from) * (T(1) - weight);
}

/// sum of term(i) for i in [0, n), in double, in a fixed order whatever the machine:
/// eight running sums (element i goes to sum i % 8), added pairwise at the end. Eight
/// independent chains keep the adds pipelined (and vectorisable without reordering).
template <typename Term>
inline double ordered_sum(std::size_t n, Term&& term) {
    double acc[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (std::size_t k = 0; k < 8; ++k) acc[k] += term(i + k);
    for (std::size_t k = 0; i < n; ++i, ++k) acc[k] += term(i);
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

}  // namespace detail

/// One Adafactor step on p[0:n] in place; s0, s1 are row_var and col_var (factored)
/// or s0 is variance; scratch holds l.scratch_size() doubles. t is this step's number
/// (1 for the first). Allocates nothing and cannot fail.
template <typename T>
void adafactor_step(const rule_params& o, const adafactor_layout& l, std::size_t t, double lr, T* p,
                    const T* grad, T* s0, T* s1, std::size_t n, double* scratch) noexcept {
    if (n == 0) return;  // nothing to update (torch divides by numel() = 0 here)
    const double eps1 = o.eps1 ? *o.eps1 : static_cast<double>(std::numeric_limits<T>::epsilon());
    const T eps1_t = static_cast<T>(eps1), eps1_sq = static_cast<T>(eps1 * eps1);
    const double tf = static_cast<double>(t);
    const T w = static_cast<T>(std::pow(tf, o.beta2_decay));
    const double rho = std::min(lr, 1.0 / std::pow(tf, 0.5));
    const double root_n = std::pow(static_cast<double>(n), 0.5);
    const double p_sq = detail::ordered_sum(n, [p](std::size_t i) {
        const double x = static_cast<double>(p[i]);
        return x * x;
    });
    const double alpha = std::max(o.eps2, std::sqrt(p_sq) / root_n) * rho;
    if (o.weight_decay != 0.0) {
        const T decay = static_cast<T>(1.0 - lr * o.weight_decay);
        for (std::size_t i = 0; i < n; ++i) p[i] *= decay;
    }
    const T sign = o.maximize ? T(-1) : T(1);
    // The update of element i is g / sqrt(max(V_i, eps1^2)); taken twice (its norm,
    // then the step) with the same operations, so both passes see the same U.
    auto update = [&](T g, T v) -> T {
        v = v < eps1_sq ? eps1_sq : v;
        return T(1) / static_cast<T>(std::sqrt(v)) * g;
    };
    double* col_sum = scratch;             // factored: sums of g^2 down each column
    double* row_mean = scratch + l.cols;   // factored: max(mean_rows(R), eps1) of each matrix
    if (l.factored) {
        const std::size_t R = l.rows, C = l.cols;
        for (std::size_t b = 0; b < l.batch; ++b) {
            const T* gb = grad + b * R * C;
            T* row_var = s0 + b * R;
            T* col_var = s1 + b * C;
            std::fill(col_sum, col_sum + C, 0.0);
            for (std::size_t r = 0; r < R; ++r) {
                const T* gr = gb + r * C;
                for (std::size_t c = 0; c < C; ++c) {  // element-wise across the columns
                    const double g = static_cast<double>(gr[c]);
                    col_sum[c] += g * g;
                }
                const double s = detail::ordered_sum(C, [gr](std::size_t c) {
                    const double g = static_cast<double>(gr[c]);
                    return g * g;
                });
                const T norm = static_cast<T>(std::sqrt(s));  // torch: norm(g, dim=-1)^2 / C
                row_var[r] = detail::torch_lerp(row_var[r], norm * norm / static_cast<T>(C), w);
            }
            for (std::size_t c = 0; c < C; ++c) {
                const T norm = static_cast<T>(std::sqrt(col_sum[c]));
                col_var[c] = detail::torch_lerp(col_var[c], norm * norm / static_cast<T>(R), w);
            }
            double s = 0.0;
            for (std::size_t r = 0; r < R; ++r) s += static_cast<double>(row_var[r]);
            const T mean = static_cast<T>(s / static_cast<double>(R));
            row_mean[b] = static_cast<double>(mean < eps1_t ? eps1_t : mean);
        }
    } else {
        for (std::size_t i = 0; i < n; ++i) {
            const T g = sign * grad[i];
            s0[i] = detail::torch_lerp(s0[i], g * g, w);
        }
    }
    // The sum of U^2 (in order: the flat vector, or row after row), then the step.
    double u_sq = 0.0;
    auto square = [](T u) { return static_cast<double>(u) * static_cast<double>(u); };
    if (!l.factored) {
        u_sq = detail::ordered_sum(n, [&](std::size_t i) { return square(update(sign * grad[i], s0[i])); });
    } else {
        const std::size_t R = l.rows, C = l.cols;
        for (std::size_t b = 0; b < l.batch; ++b)
            for (std::size_t r = 0; r < R; ++r) {
                const T row = s0[b * R + r], mean = static_cast<T>(row_mean[b]);
                const T* col = s1 + b * C;
                const T* gr = grad + (b * R + r) * C;
                u_sq += detail::ordered_sum(
                    C, [&](std::size_t c) { return square(update(sign * gr[c], row * col[c] / mean)); });
            }
    }
    const double denom = std::max(1.0, std::sqrt(u_sq) / (root_n * o.d));
    const T scale = static_cast<T>(-alpha / denom);
    if (!l.factored) {
        for (std::size_t i = 0; i < n; ++i) p[i] += scale * update(sign * grad[i], s0[i]);
    } else {
        const std::size_t R = l.rows, C = l.cols;
        for (std::size_t b = 0; b < l.batch; ++b)
            for (std::size_t r = 0; r < R; ++r) {
                const T row = s0[b * R + r], mean = static_cast<T>(row_mean[b]);
                const T* col = s1 + b * C;
                const std::size_t at = (b * R + r) * C;
                for (std::size_t c = 0; c < C; ++c) p[at + c] += scale * update(sign * grad[at + c], row * col[c] / mean);
            }
    }
}

}  // namespace fastgd
