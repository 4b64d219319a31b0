#pragma once
/// The chained Rosenbrock function, sum over i of 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2,
/// and its gradient: the built-in objective of test_functions.hpp, compiled per
/// instruction set (at d = 10^4, L-BFGS evaluates it once or twice an iteration of
/// about 50 us). NumPy twin: fastgd.objectives' "rosenbrock".

#include <cstddef>

namespace fastgd {
namespace FASTGD_ARCH {
namespace rosenbrock_detail {

inline double add_pairwise(const double* v) {
    return ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]));
}

/// Coordinates [lo, hi) of d >= 2 (a part of builtin_objective.hpp's, or all of them):
/// g[lo..hi) written, the terms i in [lo, hi) (those that exist: i < d - 1) summed and
/// returned. Along: the point is xt = x + t p, computed where it is read (also at the
/// neighbours lo - 1 and hi, which another part writes), written to xt[lo..hi), and
/// *gp = g.p over [lo, hi). Else the point is x (p, xt, gp unused).
template <bool Along>
double range(const double* x, const double* p, double t, std::size_t d, std::size_t lo, std::size_t hi,
             double* xt, double* g, double* gp) {
    // Term i couples x[i] and x[i+1]: g[i] gets term i's and term i-1's parts,
    // each written once (no store feeding the next element's load), and the sums
    // run over eight running sums, so that both vectorise.
    double v[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0}, q[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    auto at = [&](std::size_t i) {
        if constexpr (Along) return x[i] + t * p[i];
        return x[i];
    };
    auto put = [&](std::size_t i, double gi, double& gp_sum) {
        g[i] = gi;
        if constexpr (Along) {
            xt[i] = at(i);
            gp_sum += gi * p[i];
        }
    };
    auto term = [&](std::size_t i, double& acc) {  // adds term i, returns its part of g[i]
        const double a = at(i), dd = at(i + 1) - a * a;
        acc += 100 * dd * dd + (1 - a) * (1 - a);
        return -400 * a * dd - 2 * (1 - a);
    };
    auto coupled = [&](std::size_t i, std::size_t k) {  // g[i] from terms i - 1 and i
        put(i, 200 * (at(i) - at(i - 1) * at(i - 1)) + term(i, v[k]), q[k]);
    };
    const std::size_t n = d - 1;  // terms; d >= 2 (check_dimension)
    std::size_t i = lo;
    if (i == 0) put(0, term(0, v[0]), q[0]), i = 1;
    const std::size_t end = hi < n ? hi : n;
    for (; i + 8 <= end; i += 8)
        for (std::size_t k = 0; k < 8; ++k) coupled(i + k, k);
    for (std::size_t k = 0; i < end; ++i, ++k) coupled(i, k);
    if (hi == d) put(n, 200 * (at(n) - at(n - 1) * at(n - 1)), q[0]);
    if constexpr (Along) *gp = add_pairwise(q);
    return add_pairwise(v);
}

}  // namespace rosenbrock_detail

/// f(x), with the gradient written to g; d >= 2.
inline double rosenbrock_value_grad(const double* x, std::size_t d, double* g) {
    return rosenbrock_detail::range<false>(x, nullptr, 0.0, d, 0, d, nullptr, g, nullptr);
}

/// Coordinates [lo, hi) of f at xt = x + t p (rosenbrock_detail::range<true>): writes
/// xt[lo..hi) and g[lo..hi), returns the part's terms of f, *gp = its part of g.p.
inline double rosenbrock_along(const double* x, const double* p, double t, std::size_t d, std::size_t lo,
                               std::size_t hi, double* xt, double* g, double* gp) {
    return rosenbrock_detail::range<true>(x, p, t, d, lo, hi, xt, g, gp);
}

}  // namespace FASTGD_ARCH
}  // namespace fastgd
