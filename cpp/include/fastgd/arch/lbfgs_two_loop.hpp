#pragma once
/// L-BFGS's two-loop recursion (lbfgs_history.hpp) as one kernel per instruction set,
/// each dot product fused into the pass before it: the pass that updates out with
/// pair i also sums the next pair's product with the updated values, so each loop
/// reads every pair's vector once and out once per pair (2m + 1 passes, not 4m + 2).
/// The sums run over sixteen running sums, one per j mod 16, added pairwise at the
/// end: a fixed order whatever the instruction set (only the fused multiply-adds of
/// the AVX copies round differently), and enough independent chains to keep up with
/// the loads. Part of the per-instruction-set kernels: see arch/least_squares_rows.hpp.

#include <cstddef>

#if !defined(FASTGD_ARCH)
#error "include this header through cpp/dispatch/kernels_*.cpp"
#endif

namespace fastgd {
namespace FASTGD_ARCH {
namespace two_loop_detail {

constexpr std::size_t lanes = 16;

inline double combine(double* s) {
    for (std::size_t half = lanes / 2; half > 0; half /= 2)
        for (std::size_t k = 0; k < half; ++k) s[k] += s[k + half];
    return s[0];
}

/// out = scale * (out + c v); returns w.out of the new out (0 without w).
template <bool Sum>
double update_and_dot(double* out, double c, const double* v, double scale, const double* w, std::size_t d) {
    double s[lanes] = {};
    std::size_t j = 0;
    for (; j + lanes <= d; j += lanes)
        for (std::size_t k = 0; k < lanes; ++k) {
            const double o = scale * (out[j + k] + c * v[j + k]);
            out[j + k] = o;
            if constexpr (Sum) s[k] += w[j + k] * o;
        }
    for (std::size_t k = 0; j < d; ++j, ++k) {
        const double o = scale * (out[j] + c * v[j]);
        out[j] = o;
        if constexpr (Sum) s[k] += w[j] * o;
    }
    return Sum ? combine(s) : 0.0;
}

/// out = -g; returns w.out.
inline double negate_and_dot(double* out, const double* g, const double* w, std::size_t d) {
    double s[lanes] = {};
    std::size_t j = 0;
    for (; j + lanes <= d; j += lanes)
        for (std::size_t k = 0; k < lanes; ++k) {
            out[j + k] = -g[j + k];
            s[k] += w[j + k] * out[j + k];
        }
    for (std::size_t k = 0; j < d; ++j, ++k) {
        out[j] = -g[j];
        s[k] += w[j] * out[j];
    }
    return combine(s);
}

}  // namespace two_loop_detail

/// out = -H g with H the L-BFGS inverse Hessian of the m >= 1 pairs s[i], y[i]
/// (oldest first, rho[i] = 1 / y_i.s_i) on H0 = gamma I; alpha[i] = rho_i s_i.q of
/// the first loop. out may not alias g or the pairs.
inline void lbfgs_two_loop(const double* const* s, const double* const* y, const double* rho, double* alpha,
                           std::size_t m, std::size_t d, const double* g, double* out, double gamma) {
    using namespace two_loop_detail;
    double next = negate_and_dot(out, g, s[m - 1], d);  // s_{m-1}.q
    for (std::size_t i = m; i-- > 0;) {
        alpha[i] = next * rho[i];
        // q -= alpha_i y_i, then s_{i-1}.q; after the oldest pair, r = gamma q and y_0.r.
        if (i > 0)
            next = update_and_dot<true>(out, -alpha[i], y[i], 1.0, s[i - 1], d);
        else
            next = update_and_dot<true>(out, -alpha[i], y[i], gamma, y[0], d);
    }
    for (std::size_t i = 0; i < m; ++i) {
        const double c = alpha[i] - next * rho[i];
        // r += (alpha_i - beta_i) s_i, then y_{i+1}.r.
        if (i + 1 < m)
            next = update_and_dot<true>(out, c, s[i], 1.0, y[i + 1], d);
        else
            update_and_dot<false>(out, c, s[i], 1.0, nullptr, d);
    }
}

}  // namespace FASTGD_ARCH
}  // namespace fastgd
