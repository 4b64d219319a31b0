#pragma once
/// Turning a mini-batch's gradient sums into the mean gradient with its l2 term.
/// Part of the per-instruction-set kernels: see arch/least_squares_rows.hpp.

#include <cstddef>

#include "fastgd/arch/simd.hpp"

namespace fastgd {
namespace FASTGD_ARCH {

/// g[0:d] = scale * g + ridge * theta, vectorised like the update rules so that
/// their loads find whole stores to forward from.
template <typename T>
void scale_gradient(T* g, const T* theta, std::size_t d, T scale, T ridge) {
    std::size_t j = 0;
#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
    constexpr std::size_t W = width<T>;
    const vec<T> s = splat(scale), r = splat(ridge);
    for (; j + W <= d; j += W) store(g + j, s * load(g + j) + r * load(theta + j));
#endif
    for (; j < d; ++j) g[j] = scale * g[j] + ridge * theta[j];
}

}  // namespace FASTGD_ARCH
}  // namespace fastgd
