#pragma once
/// The largest eigenvalue of a symmetric positive semi-definite operator by power
/// iteration: L for least squares, so lr = 1/L makes full-batch GD converge.

#include <cmath>
#include <cstddef>
#include <vector>

#include "fastgd/permutation.hpp"

namespace fastgd {

/// hv(v, out) writes H v into out (both length p) and returns false to stop early.
/// Returns the Rayleigh quotient after the iteration settles to rel_tol (or
/// max_iter), which never exceeds lambda_max; NaN when hv asked to stop.
template <typename HessianVector>
double largest_eigenvalue(std::size_t p, HessianVector&& hv, int max_iter = 100, double rel_tol = 1e-4) {
    if (p == 0) return 0.0;
    std::vector<double> v(p), hv_out(p);
    // A fixed, mostly positive start: data columns are often correlated with the top eigenvector.
    double norm = 0.0;
    for (std::size_t i = 0; i < p; ++i) {
        v[i] = 1.0 + 0.5 * static_cast<double>(mix64(i + 1) >> 11) * 0x1.0p-53;
        norm += v[i] * v[i];
    }
    norm = std::sqrt(norm);
    for (auto& x : v) x /= norm;
    double lambda = 0.0;
    for (int it = 0; it < max_iter; ++it) {
        if (!hv(v.data(), hv_out.data())) return std::nan("");
        double rq = 0.0, out_norm = 0.0;
        for (std::size_t i = 0; i < p; ++i) {
            rq += v[i] * hv_out[i];
            out_norm += hv_out[i] * hv_out[i];
        }
        out_norm = std::sqrt(out_norm);
        const double previous = lambda;
        lambda = rq;
        if (!(out_norm > 0.0) || !std::isfinite(out_norm)) break;
        for (std::size_t i = 0; i < p; ++i) v[i] = hv_out[i] / out_norm;
        if (it > 0 && std::fabs(lambda - previous) <= rel_tol * std::fabs(lambda)) break;
    }
    return lambda;
}

}  // namespace fastgd
