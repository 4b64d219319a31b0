#pragma once
/// The inner loops that read X: fused residual/loss/gradient and the Gram matrix.
///
/// This header is compiled once per instruction set (see cpp/dispatch/): each
/// including file defines FASTGD_ARCH (a namespace name) and FASTGD_VECTOR_BYTES
/// (the register width it targets). Everything here lives in that namespace and
/// uses no standard-library templates, so copies built with different -m flags
/// never meet at link time. The loops are written with small fixed-size lane
/// arrays that the compiler maps onto vector registers.

#include <cstddef>

#if !defined(FASTGD_ARCH) || !defined(FASTGD_VECTOR_BYTES)
#error "include this header through cpp/dispatch/kernels_*.cpp"
#endif

namespace fastgd {
namespace FASTGD_ARCH {

// Two accumulators' worth of lanes per row hides the FMA latency.
template <typename T>
constexpr int lanes = 2 * FASTGD_VECTOR_BYTES / static_cast<int>(sizeof(T));

inline void prefetch(const void* p) {
#if defined(__GNUC__)
    __builtin_prefetch(p, 0, 0);
#else
    (void)p;
#endif
}

// Row r of X, either X[r] or X[idx[r]].
template <typename T>
struct row_source {
    const T* X;
    const T* y;
    std::size_t d;
    const std::size_t* idx;  // nullptr: rows in order
    const T* row(std::size_t r) const { return X + (idx ? idx[r] : r) * d; }
    T target(std::size_t r) const { return y ? y[idx ? idx[r] : r] : T(0); }
};

template <typename T, int L>
inline T sum_lanes(const T (&a)[L]) {
    T s = 0;
    for (int k = 0; k < L; ++k) s += a[k];
    return s;
}

// out[i] = x_i . w for four rows at once: w is loaded once per four rows.
template <typename T>
inline void dot4(const T* __restrict x0, const T* __restrict x1, const T* __restrict x2,
                 const T* __restrict x3, const T* __restrict w, std::size_t d, T* out) {
    constexpr int L = lanes<T>;
    T a0[L] = {}, a1[L] = {}, a2[L] = {}, a3[L] = {};
    std::size_t j = 0;
    for (; j + L <= d; j += L) {
        for (int k = 0; k < L; ++k) {
            const T wk = w[j + k];
            a0[k] += x0[j + k] * wk;
            a1[k] += x1[j + k] * wk;
            a2[k] += x2[j + k] * wk;
            a3[k] += x3[j + k] * wk;
        }
    }
    T s0 = sum_lanes(a0), s1 = sum_lanes(a1), s2 = sum_lanes(a2), s3 = sum_lanes(a3);
    for (; j < d; ++j) {
        s0 += x0[j] * w[j];
        s1 += x1[j] * w[j];
        s2 += x2[j] * w[j];
        s3 += x3[j] * w[j];
    }
    out[0] = s0;
    out[1] = s1;
    out[2] = s2;
    out[3] = s3;
}

template <typename T>
inline T dot1(const T* __restrict x, const T* __restrict w, std::size_t d) {
    constexpr int L = lanes<T>;
    T a[L] = {};
    std::size_t j = 0;
    for (; j + L <= d; j += L)
        for (int k = 0; k < L; ++k) a[k] += x[j + k] * w[j + k];
    T s = sum_lanes(a);
    for (; j < d; ++j) s += x[j] * w[j];
    return s;
}

/// Rows [begin, end): r_i = x_i . w (+ w[d] when intercept) - y_i;
/// g[0:d] += sum r_i x_i (in T), *g_intercept += sum r_i; returns sum r_i^2 in double.
/// src.y == nullptr means y = 0 (used for Hessian-vector products).
template <typename T>
double residual_rows(const row_source<T>& src, const T* __restrict w, bool intercept,
                     std::size_t begin, std::size_t end, T* __restrict g, double* g_intercept) {
    const std::size_t d = src.d;
    const T b = intercept ? w[d] : T(0);
    double loss = 0.0, gb = 0.0;
    std::size_t i = begin;
    for (; i + 4 <= end; i += 4) {
        const T* x0 = src.row(i);
        const T* x1 = src.row(i + 1);
        const T* x2 = src.row(i + 2);
        const T* x3 = src.row(i + 3);
        if (src.idx) {
            // Shuffled rows defeat the hardware prefetcher: ask for the next block now.
            for (std::size_t r = i + 8; r < i + 12 && r < end; ++r) {
                const char* p = reinterpret_cast<const char*>(src.row(r));
                for (std::size_t off = 0; off < d * sizeof(T); off += 64) prefetch(p + off);
            }
        }
        T dots[4];
        dot4(x0, x1, x2, x3, w, d, dots);
        const T r0 = dots[0] + b - src.target(i);
        const T r1 = dots[1] + b - src.target(i + 1);
        const T r2 = dots[2] + b - src.target(i + 2);
        const T r3 = dots[3] + b - src.target(i + 3);
        loss += static_cast<double>(r0) * r0 + static_cast<double>(r1) * r1 +
                static_cast<double>(r2) * r2 + static_cast<double>(r3) * r3;
        gb += static_cast<double>(r0) + static_cast<double>(r1) + static_cast<double>(r2) +
              static_cast<double>(r3);
        for (std::size_t j = 0; j < d; ++j) g[j] += r0 * x0[j] + r1 * x1[j] + r2 * x2[j] + r3 * x3[j];
    }
    for (; i < end; ++i) {
        const T* x = src.row(i);
        const T r = dot1(x, w, d) + b - src.target(i);
        loss += static_cast<double>(r) * r;
        gb += static_cast<double>(r);
        for (std::size_t j = 0; j < d; ++j) g[j] += r * x[j];
    }
    if (intercept) *g_intercept += gb;
    return loss;
}

/// Rows [begin, end) of the augmented [X, 1] (the 1 when intercept):
/// G (p x p, row-major, p = d + intercept, upper triangle only) += sum a_i a_i^T,
/// Xty[0:p] += sum a_i y_i, returns sum y_i^2. All in double; scratch holds 4 * p doubles.
template <typename T>
double gram_rows(const row_source<T>& src, bool intercept, std::size_t begin, std::size_t end,
                 double* __restrict G, double* __restrict Xty, double* __restrict scratch) {
    const std::size_t d = src.d;
    const std::size_t p = d + (intercept ? 1 : 0);
    double* a0 = scratch;
    double* a1 = scratch + p;
    double* a2 = scratch + 2 * p;
    double* a3 = scratch + 3 * p;
    double yy = 0.0;
    std::size_t i = begin;
    for (; i < end; i += 4) {
        // Widen four rows to double (zero rows past the end), then a rank-4 update.
        const std::size_t m = end - i < 4 ? end - i : 4;
        double* rows[4] = {a0, a1, a2, a3};
        double ys[4] = {0.0, 0.0, 0.0, 0.0};
        for (std::size_t r = 0; r < 4; ++r) {
            if (r < m) {
                const T* x = src.row(i + r);
                for (std::size_t j = 0; j < d; ++j) rows[r][j] = static_cast<double>(x[j]);
                if (intercept) rows[r][d] = 1.0;
                ys[r] = static_cast<double>(src.target(i + r));
            } else {
                for (std::size_t j = 0; j < p; ++j) rows[r][j] = 0.0;
            }
        }
        yy += ys[0] * ys[0] + ys[1] * ys[1] + ys[2] * ys[2] + ys[3] * ys[3];
        for (std::size_t j = 0; j < p; ++j) {
            const double c0 = a0[j], c1 = a1[j], c2 = a2[j], c3 = a3[j];
            double* __restrict Gj = G + j * p;
            for (std::size_t k = j; k < p; ++k) Gj[k] += c0 * a0[k] + c1 * a1[k] + c2 * a2[k] + c3 * a3[k];
            Xty[j] += c0 * ys[0] + c1 * ys[1] + c2 * ys[2] + c3 * ys[3];
        }
    }
    return yy;
}

}  // namespace FASTGD_ARCH
}  // namespace fastgd
