#pragma once
/// A dense row's dot product with w, and a plain SGD step's update of w from that row:
/// the two loops single-sample SGD runs per row, shared by sample_sgd_step
/// (arch/least_squares_rows.hpp) and the run kernel's w in memory
/// (arch/least_squares_sgd_run.hpp). Part of the per-instruction-set kernels.

#include <cstddef>

#include "fastgd/arch/simd.hpp"

namespace fastgd {
namespace FASTGD_ARCH {

/// x.w over d values: two running vector sums (even and odd vectors), then the tail.
template <typename T>
inline T dot1(const T* x, const T* w, std::size_t d) {
    std::size_t j = 0;
    T s = 0;
#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
    constexpr std::size_t W = width<T>;
    vec<T> a{}, b{};
    for (; j + 2 * W <= d; j += 2 * W) {
        a += load(x + j) * load(w + j);
        b += load(x + j + W) * load(w + j + W);
    }
    if (j + W <= d) {
        a += load(x + j) * load(w + j);
        j += W;
    }
    s = hsum(a + b);
#endif
    for (; j < d; ++j) s += x[j] * w[j];
    return s;
}

/// w -= lr (two_r x + ridge w) over d values.
template <typename T>
inline void sgd_row_update(T* w, const T* x, std::size_t d, T two_r, T lr, T ridge) {
    std::size_t j = 0;
#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
    constexpr std::size_t W = width<T>;
    const vec<T> tr = splat(two_r), lv = splat(lr), rv = splat(ridge);
    for (; j + W <= d; j += W) {
        const vec<T> wj = load(w + j);
        store(w + j, wj - lv * (tr * load(x + j) + rv * wj));
    }
#endif
    for (; j < d; ++j) w[j] -= lr * (two_r * x[j] + ridge * w[j]);
}

}  // namespace FASTGD_ARCH
}  // namespace fastgd
