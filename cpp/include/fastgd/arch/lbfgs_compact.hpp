#pragma once
/// The vector passes of L-BFGS's direction in the compact form (lbfgs_history.hpp):
/// one pass for the products of every pair with g (and with the newest y), one pass
/// for the combination out = c g + sum cs_i s_i + cy_i y_i (with g.out), and the pass that forms
/// a new pair (with the next direction's products). Each pass reads every vector once: the history is read twice per
/// direction, where the two-loop recursion reads it four times and out 2m times.
/// The passes go over blocks of the coordinates, so that g, the newest y and the
/// block of out stay in L1 while the pairs stream by. The sums run over sixteen
/// running sums, one per j mod 16, added pairwise at the end: a fixed order whatever
/// the instruction set (only the fused multiply-adds of the AVX copies round
/// differently). Part of the per-instruction-set kernels: see arch/least_squares_rows.hpp.

#include <algorithm>
#include <cstddef>

#if !defined(FASTGD_ARCH)
#error "include this header through cpp/dispatch/kernels_*.cpp"
#endif

namespace fastgd {
namespace FASTGD_ARCH {
namespace compact_detail {

constexpr std::size_t lanes = 16;
constexpr std::size_t block = 512;  // 4 kB of each vector: a multiple of lanes

inline double combine(double* s) {
    for (std::size_t half = lanes / 2; half > 0; half /= 2)
        for (std::size_t k = 0; k < half; ++k) s[k] += s[k + half];
    return s[0];
}

/// Adds the block's terms of s.g, y.g (and with New, s.yn, y.yn) to the running
/// sums acc[0..4) (lanes values each); n is a multiple of lanes except in the last block.
template <bool New>
void block_dots(const double* s, const double* y, const double* g, const double* yn, std::size_t n,
                double (*acc)[lanes]) {
    double sg[lanes], yg[lanes], sy[lanes], yy[lanes];
    std::copy(acc[0], acc[0] + lanes, sg), std::copy(acc[1], acc[1] + lanes, yg);
    if constexpr (New) std::copy(acc[2], acc[2] + lanes, sy), std::copy(acc[3], acc[3] + lanes, yy);
    std::size_t j = 0;
    for (; j + lanes <= n; j += lanes)
        for (std::size_t k = 0; k < lanes; ++k) {
            sg[k] += s[j + k] * g[j + k];
            yg[k] += y[j + k] * g[j + k];
            if constexpr (New) {
                sy[k] += s[j + k] * yn[j + k];
                yy[k] += y[j + k] * yn[j + k];
            }
        }
    for (std::size_t k = 0; j < n; ++j, ++k) {
        sg[k] += s[j] * g[j];
        yg[k] += y[j] * g[j];
        if constexpr (New) {
            sy[k] += s[j] * yn[j];
            yy[k] += y[j] * yn[j];
        }
    }
    std::copy(sg, sg + lanes, acc[0]), std::copy(yg, yg + lanes, acc[1]);
    if constexpr (New) std::copy(sy, sy + lanes, acc[2]), std::copy(yy, yy + lanes, acc[3]);
}

template <bool New>
void pair_dots(const double* const* s, const double* const* y, std::size_t m, std::size_t d, const double* g,
               const double* yn, double* sg, double* yg, double* sy, double* yy, double (*acc)[4][lanes]) {
    for (std::size_t i = 0; i < m; ++i)
        for (auto& a : acc[i]) std::fill(a, a + lanes, 0.0);
    for (std::size_t b = 0; b < d; b += block) {
        const std::size_t n = std::min(block, d - b);
        for (std::size_t i = 0; i < m; ++i) block_dots<New>(s[i] + b, y[i] + b, g + b, yn + b, n, acc[i]);
    }
    for (std::size_t i = 0; i < m; ++i) {
        sg[i] = combine(acc[i][0]), yg[i] = combine(acc[i][1]);
        if constexpr (New) sy[i] = combine(acc[i][2]), yy[i] = combine(acc[i][3]);
    }
}

}  // namespace compact_detail

/// sg[i] = s_i.g and yg[i] = y_i.g for the m pairs s[i], y[i]; with yn (else nullptr,
/// sy and yy not written) also sy[i] = s_i.yn and yy[i] = y_i.yn. scratch: room for
/// 64 m values (the running sums).
inline void lbfgs_pair_dots(const double* const* s, const double* const* y, std::size_t m, std::size_t d,
                            const double* g, const double* yn, double* sg, double* yg, double* sy, double* yy,
                            double* scratch) {
    using namespace compact_detail;
    auto acc = reinterpret_cast<double (*)[4][lanes]>(scratch);
    if (yn)
        pair_dots<true>(s, y, m, d, g, yn, sg, yg, sy, yy, acc);
    else
        pair_dots<false>(s, y, m, d, g, yn, sg, yg, sy, yy, acc);
}

/// out = cg g + sum_i (cs[i] s_i + cy[i] y_i), the pairs in order (out may not alias
/// them); returns g.out, summed block by block while both are in L1.
inline double lbfgs_combine(const double* const* s, const double* const* y, std::size_t m, std::size_t d,
                            const double* g, double cg, const double* cs, const double* cy, double* out) {
    using namespace compact_detail;
    double gp[lanes] = {};
    for (std::size_t b = 0; b < d; b += block) {
        const std::size_t n = std::min(block, d - b);
        double* o = out + b;
        const double* gb = g + b;
        for (std::size_t j = 0; j < n; ++j) o[j] = cg * gb[j];
        for (std::size_t i = 0; i < m; ++i) {
            const double *si = s[i] + b, *yi = y[i] + b;
            const double a = cs[i], c = cy[i];
            for (std::size_t j = 0; j < n; ++j) {
                const double t = o[j] + a * si[j];
                o[j] = t + c * yi[j];
            }
        }
        std::size_t j = 0;
        for (; j + lanes <= n; j += lanes)
            for (std::size_t k = 0; k < lanes; ++k) gp[k] += gb[j + k] * o[j + k];
        for (std::size_t k = 0; j < n; ++j, ++k) gp[k] += gb[j] * o[j];
    }
    return combine(gp);
}

/// The new pair s = xt - x, y = gt - g written to s and y, then, as lbfgs_pair_dots
/// with g = gt and yn = that y, the products of the m pairs S[i], Y[i] and of the new
/// pair (index m of sg, yg, sy, yy: m + 1 values each) with gt and y, block by block
/// while the new pair's block is in L1: the next direction's products come from this
/// pass instead of one of their own. scratch: room for 64 (m + 1) values. sums[0..4) =
/// y.s, y.y, s.s and gt.gt (the step's length and the new gradient's norm, squared:
/// the minimize loop then needs no pass of its own for them).
inline void lbfgs_new_pair_dots(const double* x, const double* xt, const double* g, const double* gt,
                                std::size_t d, double* s, double* y, const double* const* S,
                                const double* const* Y, std::size_t m, double* sg, double* yg, double* sy,
                                double* yy, double* scratch, double* sums) {
    using namespace compact_detail;
    auto acc = reinterpret_cast<double (*)[4][lanes]>(scratch);
    for (std::size_t i = 0; i <= m; ++i)
        for (auto& a : acc[i]) std::fill(a, a + lanes, 0.0);
    double ys_sum[lanes] = {}, yy_sum[lanes] = {}, ss_sum[lanes] = {}, gg_sum[lanes] = {};
    auto add = [&](std::size_t j, std::size_t k) {
        const double sj = xt[j] - x[j], yj = gt[j] - g[j];
        s[j] = sj, y[j] = yj;
        ys_sum[k] += yj * sj;
        yy_sum[k] += yj * yj;
        ss_sum[k] += sj * sj;
        gg_sum[k] += gt[j] * gt[j];
    };
    for (std::size_t b = 0; b < d; b += block) {
        const std::size_t end = std::min(b + block, d);
        std::size_t j = b;
        for (; j + lanes <= end; j += lanes)
            for (std::size_t k = 0; k < lanes; ++k) add(j + k, k);
        for (std::size_t k = 0; j < end; ++j, ++k) add(j, k);
        for (std::size_t i = 0; i < m; ++i) block_dots<true>(S[i] + b, Y[i] + b, gt + b, y + b, end - b, acc[i]);
        block_dots<true>(s + b, y + b, gt + b, y + b, end - b, acc[m]);
    }
    for (std::size_t i = 0; i <= m; ++i) {
        sg[i] = combine(acc[i][0]), yg[i] = combine(acc[i][1]);
        sy[i] = combine(acc[i][2]), yy[i] = combine(acc[i][3]);
    }
    sums[0] = combine(ys_sum);
    sums[1] = combine(yy_sum);
    sums[2] = combine(ss_sum);
    sums[3] = combine(gg_sum);
}

}  // namespace FASTGD_ARCH
}  // namespace fastgd
