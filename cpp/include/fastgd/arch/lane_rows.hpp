#pragma once
/// linear_rows for the losses with a vector form (a lanes() member, losses.hpp: all
/// of them; for the log loss, whose libm calls would cost more than a row's
/// multiply-adds, it is what makes the kernel fast): the dots of a block of rows,
/// then their values and derivatives a register at a time, then their gradient
/// terms. Same contract and the same dots and gradient sums as linear_rows
/// (arch/least_squares_rows.hpp); only the loss's exp and log1p differ, by a few ulp.
/// Dense rows in order of at most max_across_d values go across the lanes first
/// (across_rows, with margin_lanes below), those of at most 4 vectors through
/// narrow_margin_rows: their dots are summed in another order, so those rows agree
/// with linear_rows to rounding, not to the bit; and float32 rows there take the
/// loss in float (its lanes over floats), to float's precision.
/// Part of the per-instruction-set kernels: see arch/least_squares_rows.hpp.

#include <cstddef>
#include <type_traits>
#include <utility>

#include "fastgd/arch/least_squares_rows.hpp"
#include "fastgd/arch/losses.hpp"
#include "fastgd/arch/simd.hpp"

namespace fastgd {
namespace FASTGD_ARCH {

/// has_lanes<margin_loss<L>>::value: L has lanes() over a register of doubles, so
/// lane_rows evaluates it (never without vector extensions).
template <typename Loss, typename = void>
struct has_lanes {
    static constexpr bool value = false;
};
#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
template <typename Loss, typename V>
using lanes_call = decltype(std::declval<const Loss&>().lanes(V{}, V{}, std::declval<V&>()));
template <typename Loss>
struct has_lanes<margin_loss<Loss>, std::void_t<lanes_call<Loss, vf64>>> {
    static constexpr bool value = true;
};

// A register of floats as two registers of doubles (its low and high halves).
inline void widen(vf32 v, vf64& lo, vf64& hi) {
    lo = __builtin_convertvector(low_half(v), vf64);
    hi = __builtin_convertvector(high_half(v), vf64);
}

/// across_rows' hooks (least_squares_rows.hpp) for a loss with lanes(): the sum is
/// the dot x.w; z = dot + b rounded in T, as margin_loss::row. Double rows: the
/// loss in double, as lane_rows' blocks. Float rows: the loss in float (one register
/// of floats; two of doubles and their conversions cost as much as the rows' reads),
/// value and derivative times the weight in float, summed in double.
template <typename Loss>
struct margin_lanes {
    const Loss& loss;
    template <typename V>
    V start(V, V) const {
        return V{};
    }
    vf64 finish(vf64 dot, vf64 b, vf64 y, const vf64* s, vf64& lv, vf64& bv) const {
        vf64 v;
        vf64 dz = loss.lanes(dot + b, y, v);
        if (s) {
            dz *= *s;
            v *= *s;
        }
        lv += v;
        bv += dz;
        return dz;
    }
    vf32 finish(vf32 dot, vf32 b, vf32 y, const vf32* s, vf64& lv, vf64& bv) const {
        vf32 v;
        vf32 dz = loss.lanes(dot + b, y, v);  // in float: one register, not two of doubles
        if (s) {
            dz *= *s;
            v *= *s;
        }
        vf64 v0, v1, e0, e1;
        widen(v, v0, v1);
        widen(dz, e0, e1);
        lv += v0 + v1;
        bv += e0 + e1;
        return dz;
    }
};

/// Rows in order (no idx) of at most V vectors each, a register of rows at a time:
/// their dots x.w (every row V masked loads, as narrow_residual_rows: the lanes past d
/// belong to the next row), their values and derivatives in one margin_lanes call,
/// then their gradient terms into V registers, stored to g once per call. The rows
/// are in L1 when read the second time. Rows whose last load would pass row end - 1,
/// and the last rows short of a register, are left to the caller. Returns the first
/// row not done.
template <std::size_t V, typename T, typename Lanes>
std::size_t narrow_margin_rows(const T* X, const T* y, const T* sw, std::size_t d, const T* w, T b,
                               std::size_t begin, std::size_t end, T* g, double& loss, double& gb,
                               const Lanes& lanes) {
    constexpr std::size_t W = width<T>;
    const narrow_rows<V, T> rows(w, d);
    const std::size_t stop = rows.stop(begin, end);
    vec<T> gv[V] = {};
    const vec<T> bw = splat(b);
    vf64 lv{}, bv{};
    std::size_t i = begin;
    for (; i + W <= stop; i += W) {
        const T* p = X + i * d;
        if (d * sizeof(T) <= short_row_bytes) prefetch_ahead(p, W * d * sizeof(T));
        T dots[W], a[W];
        for (std::size_t k = 0; k < W; ++k) dots[k] = hsum(rows.dot(p + k * d));
        vec<T> s;
        if (sw) s = load(sw + i);
        store(a, lanes.finish(load(dots), bw, y ? load(y + i) : vec<T>{}, sw ? &s : nullptr, lv, bv));
        for (std::size_t k = 0; k < W; ++k)
            for (std::size_t v = 0; v < V; ++v) gv[v] += a[k] * rows.x(p + k * d, v);
    }
    rows.add_to(gv, g);
    loss += hsum(lv);
    gb += hsum(bv);
    return i;
}

/// The first rows of [begin, end) across the lanes when src is dense, in order and
/// at most max_across_d wide, or by narrow_margin_rows when at most 4 vectors wide;
/// returns the first row not done.
template <typename T, typename Loss>
std::size_t across_margin_rows(const row_source<T>& src, const T* w, T b, std::size_t begin, std::size_t end, T* g,
                               double& loss, double& gb, const Loss& loss_fn) {
    constexpr std::size_t W = width<T>;
    const std::size_t d = src.d;
    if (src.idx || d == 0 || d > 4 * W) return begin;
    const margin_lanes<Loss> lanes{loss_fn};
    if (d <= max_across_d) return across_rows_for(d, src.X, src.y, src.sw, w, b, begin, end, g, loss, gb, lanes);
    if (d <= W) return narrow_margin_rows<1>(src.X, src.y, src.sw, d, w, b, begin, end, g, loss, gb, lanes);
    if (d <= 2 * W) return narrow_margin_rows<2>(src.X, src.y, src.sw, d, w, b, begin, end, g, loss, gb, lanes);
    if (d <= 3 * W) return narrow_margin_rows<3>(src.X, src.y, src.sw, d, w, b, begin, end, g, loss, gb, lanes);
    return narrow_margin_rows<4>(src.X, src.y, src.sw, d, w, b, begin, end, g, loss, gb, lanes);
}
/// Other row sources (CSR): none.
template <typename Src, typename T, typename G, typename Loss>
std::size_t across_margin_rows(const Src&, const T*, T, std::size_t begin, std::size_t, G*, double&, double&,
                               const Loss&) {
    return begin;
}
#endif

/// linear_rows (same arguments, same result) for a margin loss with lanes(): blocks of
/// Src::block_rows rows (dense: 4, the loss in a register of 4 or 8 doubles, padded),
/// after across_margin_rows; the rows left over go through linear_rows itself.
/// Dense blocks of 4 rows, not of a register of 8 (AVX-512), read better from memory
/// (Zen 4, 2 threads, d = 64-2000, alternating builds: better in 22 of 35 pairs; at
/// d = 256 in 9 of 12, squared error float64 47-55% -> 67-90% of the read-only pass).
template <bool Weighted, typename Src, typename T, typename G, typename Loss>
double lane_rows(const Src& src, const T* w, bool intercept, std::size_t begin, std::size_t end, G* g,
                 double* g_intercept, const margin_loss<Loss>& loss_fn) {
    double loss = 0.0;
    std::size_t i = begin;
#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
    constexpr std::size_t L = width<double>, B = Src::block_rows;  // powers of 2, B a multiple of 4
    constexpr std::size_t Z = B > L ? B : L;  // the lanes evaluated: rows, then padding
    const T b = intercept ? w[src.d] : T(0);
    double gb = 0.0;
    i = across_margin_rows(src, w, b, i, end, g, loss, gb, loss_fn.loss);
    T blocks[2][B];
    T* r = blocks[0];  // this block's dots, then its rows' derivatives
    if (i + B <= end) src.block_dots(i, w, r);
    for (; i + B <= end; i += B) {
        double z[Z] = {}, y[Z] = {}, dz[Z], v[Z];  // lanes past B: 0, evaluated and unused
        for (std::size_t k = 0; k < B; ++k) {
            z[k] = static_cast<double>(r[k] + b);  // rounded in T, as margin_loss::row
            y[k] = static_cast<double>(src.target(i + k));
        }
        for (std::size_t q = 0; q < Z; q += L) {
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
        r = gradient_and_next_dots(src, i, end, w, g, r, blocks);
    }
    if (intercept) *g_intercept += gb;
#endif
    return loss + linear_rows<Weighted>(src, w, intercept, i, end, g, g_intercept, loss_fn);
}

}  // namespace FASTGD_ARCH
}  // namespace fastgd
