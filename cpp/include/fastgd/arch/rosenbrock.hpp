#pragma once
/// The built-in chained Rosenbrock's value and gradient (test_functions.hpp), one copy
/// per instruction set: at d = 10^4 an L-BFGS iteration is a few passes over the
/// vectors, and the objective's arithmetic (a dozen operations a coordinate) is one of
/// the larger ones. Part of the per-instruction-set kernels: see arch/least_squares_rows.hpp.

#include <cstddef>

#if !defined(FASTGD_ARCH)
#error "include this header through cpp/dispatch/kernels_*.cpp"
#endif

namespace fastgd {
namespace FASTGD_ARCH {

/// sum_i 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2 over i < d - 1, its gradient written to g; d >= 2.
inline double rosenbrock(const double* x, double* g, std::size_t d) {
    // Term i couples x[i] and x[i+1]: g[i] gets term i's and term i-1's parts,
    // each written once (no store feeding the next element's load), and the value
    // sums over eight running sums, so that both vectorise.
    double v[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    const std::size_t n = d - 1;  // terms
    auto term = [&](std::size_t i, double& acc) {  // adds term i, returns its part of g[i]
        const double a = x[i], dd = x[i + 1] - a * a;
        acc += 100 * dd * dd + (1 - a) * (1 - a);
        return -400 * a * dd - 2 * (1 - a);
    };
    auto coupled = [&](std::size_t i, double& acc) {  // g[i] from terms i - 1 and i
        g[i] = 200 * (x[i] - x[i - 1] * x[i - 1]) + term(i, acc);
    };
    g[0] = term(0, v[0]);
    std::size_t i = 1;
    for (; i + 8 <= n; i += 8)
        for (std::size_t k = 0; k < 8; ++k) coupled(i + k, v[k]);
    for (std::size_t k = 0; i < n; ++i, ++k) coupled(i, v[k]);
    g[n] = 200 * (x[n] - x[n - 1] * x[n - 1]);
    return ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]));
}

}  // namespace FASTGD_ARCH
}  // namespace fastgd
