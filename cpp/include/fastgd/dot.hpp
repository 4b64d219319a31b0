#pragma once
/// The dot product of the minimizers' vectors (L-BFGS's two-loop recursion, line
/// searches, CG, BFGS): eight running sums, one per j mod 8, added pairwise at the end.
/// One running sum is a chain of dependent additions (one element per add latency);
/// eight independent ones vectorise and keep the adders busy. The order is fixed, so
/// the result is the same on every CPU and run (not the order of a plain loop, nor of
/// a BLAS: tests compare with tolerances).

#include <cmath>
#include <cstddef>
#include <vector>

namespace fastgd {

inline double dot(const double* a, const double* b, std::size_t n) {
    double s[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    std::size_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (std::size_t k = 0; k < 8; ++k) s[k] += a[j + k] * b[j + k];
    for (std::size_t k = 0; j < n; ++j, ++k) s[k] += a[j] * b[j];  // the tail: fewer than 8
    return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]));
}

/// ||a - b||_2 over the same eight running sums.
inline double distance(const double* a, const double* b, std::size_t n) {
    double s[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    std::size_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (std::size_t k = 0; k < 8; ++k) s[k] += (a[j + k] - b[j + k]) * (a[j + k] - b[j + k]);
    for (std::size_t k = 0; j < n; ++j, ++k) s[k] += (a[j] - b[j]) * (a[j] - b[j]);
    return std::sqrt(((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7])));
}

inline double dot(const std::vector<double>& a, const std::vector<double>& b) {
    return dot(a.data(), b.data(), a.size());
}

}  // namespace fastgd
