#pragma once
/// linear_rows for the losses with a vector form (a lanes() member, losses.hpp: the
/// log loss), whose libm calls would cost more than a row's multiply-adds: the dots
/// of a block of rows, then their values and derivatives a register at a time, then
/// their gradient terms. Same contract and the same dots and gradient sums as
/// linear_rows (arch/least_squares_rows.hpp); only the loss's exp and log1p differ,
/// by a few ulp.
/// Part of the per-instruction-set kernels: see arch/least_squares_rows.hpp.

#include <cstddef>

#include "fastgd/arch/least_squares_rows.hpp"
#include "fastgd/arch/losses.hpp"
#include "fastgd/arch/simd.hpp"

namespace fastgd {
namespace FASTGD_ARCH {

/// has_lanes<margin_loss<L>>::value: L has lanes(), so lane_rows evaluates it.
template <typename Loss, typename = void>
struct has_lanes {
    static constexpr bool value = false;
};
template <typename Loss>
struct has_lanes<margin_loss<Loss>, decltype(void(&Loss::lanes))> {
    static constexpr bool value = true;
};

/// linear_rows (same arguments, same result) for a margin loss with lanes(): blocks of
/// Src::block_rows rows, or of one register of doubles if more (AVX-512: 8 dense
/// rows); the rows left over go through linear_rows itself.
template <bool Weighted, typename Src, typename T, typename G, typename Loss>
double lane_rows(const Src& src, const T* w, bool intercept, std::size_t begin, std::size_t end, G* g,
                 double* g_intercept, const margin_loss<Loss>& loss_fn) {
    double loss = 0.0;
    std::size_t i = begin;
#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
    constexpr std::size_t L = width<double>, S = Src::block_rows;  // powers of 2, S a multiple of 4
    constexpr std::size_t B = S > L ? S : L;
    const T b = intercept ? w[src.d] : T(0);
    double gb = 0.0;
    for (; i + B <= end; i += B) {
        T r[B];
        for (std::size_t q = 0; q < B; q += S) {
            src.prefetch4(i + q);
            src.block_dots(i + q, w, r + q);
        }
        double z[B], y[B], dz[B], v[B];
        for (std::size_t k = 0; k < B; ++k) {
            z[k] = static_cast<double>(r[k] + b);  // rounded in T, as margin_loss::row
            y[k] = static_cast<double>(src.target(i + k));
        }
        for (std::size_t q = 0; q < B; q += L) {
            vf64 zq, yq, vq;
            __builtin_memcpy(&zq, z + q, sizeof zq);
            __builtin_memcpy(&yq, y + q, sizeof yq);
            const vf64 dq = loss_fn.loss.lanes(zq, yq, vq);
            __builtin_memcpy(dz + q, &dq, sizeof dq);
            __builtin_memcpy(v + q, &vq, sizeof vq);
        }
        // Summed four rows at a time, pairwise, as linear_rows.
        for (std::size_t q = 0; q < B; q += 4) {
            double rd[4];
            for (std::size_t k = q; k < q + 4; ++k) {
                r[k] = static_cast<T>(dz[k]);
                if constexpr (Weighted) {
                    const T s = src.weight(i + k);
                    r[k] *= s;
                    v[k] *= static_cast<double>(s);
                }
                rd[k - q] = static_cast<double>(r[k]);
            }
            loss += (v[q] + v[q + 1]) + (v[q + 2] + v[q + 3]);
            gb += (rd[0] + rd[1]) + (rd[2] + rd[3]);
        }
        for (std::size_t q = 0; q < B; q += S) src.block_axpys(i + q, g, r + q);
    }
    if (intercept) *g_intercept += gb;
#endif
    return loss + linear_rows<Weighted>(src, w, intercept, i, end, g, g_intercept, loss_fn);
}

}  // namespace FASTGD_ARCH
}  // namespace fastgd
