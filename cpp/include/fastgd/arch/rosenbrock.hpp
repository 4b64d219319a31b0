#pragma once
/// The chained Rosenbrock function, sum over i of 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2,
/// and its gradient: the built-in objective of test_functions.hpp, compiled per
/// instruction set (at d = 10^4, L-BFGS evaluates it once or twice an iteration of
/// about 60 us). NumPy twin: fastgd.objectives' "rosenbrock".

#include <cstddef>

namespace fastgd {
namespace FASTGD_ARCH {

/// f(x), with the gradient written to g; d >= 2.
inline double rosenbrock_value_grad(const double* x, std::size_t d, double* g) {
    // Term i couples x[i] and x[i+1]: g[i] gets term i's and term i-1's parts,
    // each written once (no store feeding the next element's load), and the value
    // sums over eight running sums, so that both vectorise.
    double v[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    const std::size_t n = d - 1;  // terms; d >= 2 (check_dimension)
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
