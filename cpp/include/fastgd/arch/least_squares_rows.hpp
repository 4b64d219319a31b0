#pragma once
/// The inner loops that read X: fused residual/loss/gradient and the Gram matrix.
///
/// This header is compiled once per instruction set (see cpp/dispatch/): each
/// including file defines FASTGD_ARCH (a namespace name) and FASTGD_VECTOR_BYTES
/// (the register width it targets). Everything here lives in that namespace and
/// uses no standard-library templates, so copies built with different -m flags
/// never meet at link time. The loops are written with small fixed-size lane
/// arrays that the compiler maps onto vector registers.
///
/// NumPy twin: fastgd.reference.least_squares_loss_grad (the fused rows).

#include <cstddef>
#include <utility>

#include "fastgd/arch/losses.hpp"
#include "fastgd/arch/row_step.hpp"
#include "fastgd/arch/simd.hpp"

#if !defined(FASTGD_ARCH) || !defined(FASTGD_VECTOR_BYTES)
#error "include this header through cpp/dispatch/kernels_*.cpp"
#endif

namespace fastgd {
namespace FASTGD_ARCH {

// Asks for the block that starts prefetch_lead_bytes past the next one while this
// one is computed (8 KB did best of 0, 3 and 8 KB on an Intel development machine).
// Only for rows of at most short_row_bytes: on AMD's Zen 4 (bench/bandwidth.py, 2
// threads, rows in order) it helped rows of up to 64 bytes (hinge, d = 4 float64:
// 61-63% of the read-only pass with it, 46-50% without) and slowed longer ones,
// which the hardware prefetcher follows alone (least squares, d = 256 float64:
// 41-43% with it, 81-82% without; d = 32: 64-88% against 83-87%).
constexpr std::size_t short_row_bytes = 64;
// Rows of up to 8 KB: a block's dots read its rows one after the other (see
// row_source::block_axpys_dots for the measurements).
constexpr std::size_t in_order_row_bytes = 8192;
constexpr std::size_t prefetch_lead_bytes = 8192;
inline void prefetch_ahead(const void* p, std::size_t bytes) {
#if defined(__GNUC__)
    const char* c = static_cast<const char*>(p) + bytes + prefetch_lead_bytes;
    for (std::size_t off = 0; off < bytes; off += 64) __builtin_prefetch(c + off, 0, 3);
    asm volatile("" : : "r"(c));  // GCC deletes a loop of prefetches alone
#else
    (void)p;
    (void)bytes;
#endif
}

// Each kernel below runs a vector loop where the compiler has vector extensions
// (FASTGD_HAVE_VECTOR_EXTENSIONS) and finishes, or does all the work, in scalar code.

// out[i] = x_i . w for four rows at once, two accumulators per row to hide FMA
// latency; w is loaded once per four rows. column(k) runs for each vector k of the
// columns in the same sweep (axpy4_dot4's gradient terms; nothing for dot4).
template <typename T, typename Column>
inline void dot4_sweep(const T* x0, const T* x1, const T* x2, const T* x3, const T* w, std::size_t d, T* out,
                       const Column& column) {
    std::size_t j = 0;
    T s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
    constexpr std::size_t W = width<T>;
    vec<T> a0{}, a1{}, a2{}, a3{}, b0{}, b1{}, b2{}, b3{};
    for (; j + 2 * W <= d; j += 2 * W) {
        const vec<T> wa = load(w + j), wb = load(w + j + W);
        a0 += load(x0 + j) * wa;
        b0 += load(x0 + j + W) * wb;
        a1 += load(x1 + j) * wa;
        b1 += load(x1 + j + W) * wb;
        a2 += load(x2 + j) * wa;
        b2 += load(x2 + j + W) * wb;
        a3 += load(x3 + j) * wa;
        b3 += load(x3 + j + W) * wb;
        column(j);
        column(j + W);
    }
    if (j + W <= d) {
        const vec<T> wa = load(w + j);
        a0 += load(x0 + j) * wa;
        a1 += load(x1 + j) * wa;
        a2 += load(x2 + j) * wa;
        a3 += load(x3 + j) * wa;
        column(j);
        j += W;
    }
    s0 = hsum(a0 + b0), s1 = hsum(a1 + b1), s2 = hsum(a2 + b2), s3 = hsum(a3 + b3);
#else
    (void)column;
#endif
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
inline void dot4(const T* x0, const T* x1, const T* x2, const T* x3, const T* w, std::size_t d, T* out) {
    dot4_sweep(x0, x1, x2, x3, w, d, out, [](std::size_t) {});
}

#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
// g[k:k+W] += r0 x0[k:k+W] + r1 x1[k:k+W] + r2 x2[k:k+W] + r3 x3[k:k+W]
template <typename T>
inline void axpy4_vector(T* g, const T* x0, const T* x1, const T* x2, const T* x3, vec<T> r0, vec<T> r1,
                         vec<T> r2, vec<T> r3, std::size_t k) {
    store(g + k, load(g + k) + ((r0 * load(x0 + k) + r1 * load(x1 + k)) + (r2 * load(x2 + k) + r3 * load(x3 + k))));
}
#endif

// g += r0 x0 + r1 x1 + r2 x2 + r3 x3 over columns [j, d), one at a time.
template <typename T>
inline void axpy4_scalar(T* g, const T* x0, const T* x1, const T* x2, const T* x3, const T* r, std::size_t j,
                         std::size_t d) {
    for (; j < d; ++j) g[j] += (r[0] * x0[j] + r[1] * x1[j]) + (r[2] * x2[j] + r[3] * x3[j]);
}

// g += r0 x0 + r1 x1 + r2 x2 + r3 x3
template <typename T>
inline void axpy4(T* g, const T* x0, const T* x1, const T* x2, const T* x3, const T* r, std::size_t d) {
    std::size_t j = 0;
#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
    constexpr std::size_t W = width<T>;
    const vec<T> r0 = splat(r[0]), r1 = splat(r[1]), r2 = splat(r[2]), r3 = splat(r[3]);
    for (; j + W <= d; j += W) axpy4_vector(g, x0, x1, x2, x3, r0, r1, r2, r3, j);
#endif
    axpy4_scalar(g, x0, x1, x2, x3, r, j, d);
}

// axpy4 on rows p0..p3 and dot4 on rows x0..x3 in one sweep over the columns: the
// next block's rows stream in from L2 or memory for their dots while this block's
// rows, still in L1, update g; w and g are loaded once for both. The same sums in
// the same order as axpy4 and dot4.
template <typename T>
inline void axpy4_dot4(T* g, const T* p0, const T* p1, const T* p2, const T* p3, const T* r, const T* x0,
                       const T* x1, const T* x2, const T* x3, const T* w, std::size_t d, T* out) {
    std::size_t j = 0;
#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
    const vec<T> r0 = splat(r[0]), r1 = splat(r[1]), r2 = splat(r[2]), r3 = splat(r[3]);
    dot4_sweep(x0, x1, x2, x3, w, d, out,
               [&](std::size_t k) { axpy4_vector(g, p0, p1, p2, p3, r0, r1, r2, r3, k); });
    j = d - d % width<T>;
#else
    dot4(x0, x1, x2, x3, w, d, out);
#endif
    axpy4_scalar(g, p0, p1, p2, p3, r, j, d);
}

template <typename T>
inline void axpy1(T* g, const T* x, T r, std::size_t d) {
    std::size_t j = 0;
#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
    constexpr std::size_t W = width<T>;
    const vec<T> rv = splat(r);
    for (; j + W <= d; j += W) store(g + j, load(g + j) + rv * load(x + j));
#endif
    for (; j < d; ++j) g[j] += r * x[j];
}

// Row r of X, either X[r] or X[idx[r]], with its target and sample weight: the
// dense row source of the generic kernels below (linear_rows, softmax_rows), which
// read rows only through dots4/dot/axpys4/axpy. csr_source is the sparse one.
template <typename T>
struct row_source {
    const T* X;
    const T* y;
    std::size_t d;
    const std::size_t* idx;  // nullptr: rows in order
    const T* sw;             // sample weights; nullptr: all 1
    std::size_t at(std::size_t r) const { return idx ? idx[r] : r; }
    const T* row(std::size_t r) const { return X + at(r) * d; }
    T target(std::size_t r) const { return y ? y[at(r)] : T(0); }
    T weight(std::size_t r) const { return sw[at(r)]; }
    /// out[q] = x_{r+q} . w, q < 4. Rows of up to in_order_row_bytes: one row after
    /// the other, reading memory in order; longer rows (or shared): four rows at once,
    /// sharing each load of w. Both give the same bits (same lanes, same order).
    void dots4(std::size_t r, const T* w, T* out, bool shared = false) const {
        const T* x0 = row(r);
        const T* x1 = row(r + 1);
        const T* x2 = row(r + 2);
        const T* x3 = row(r + 3);
        if (!shared && d * sizeof(T) <= in_order_row_bytes) {
            out[0] = dot1(x0, w, d);
            out[1] = dot1(x1, w, d);
            out[2] = dot1(x2, w, d);
            out[3] = dot1(x3, w, d);
        } else {
            dot4(x0, x1, x2, x3, w, d, out);
        }
    }
    T dot(std::size_t r, const T* w) const { return dot1(row(r), w, d); }
    /// g += sum_q a[q] x_{r+q}, q < 4.
    void axpys4(std::size_t r, T* g, const T* a) const { axpy4(g, row(r), row(r + 1), row(r + 2), row(r + 3), a, d); }
    /// axpys4(r, g, a), then dots4(next, w, out), in one sweep (axpy4_dot4).
    void axpys4_dots4(std::size_t r, T* g, const T* a, std::size_t next, const T* w, T* out) const {
        axpy4_dot4(g, row(r), row(r + 1), row(r + 2), row(r + 3), a, row(next), row(next + 1), row(next + 2),
                   row(next + 3), w, d, out);
    }
    /// linear_rows' block: block_rows rows' dots, then their losses, then their
    /// gradient terms (four rows: what the dense kernel always did).
    static constexpr std::size_t block_rows = 4;
    void block_dots(std::size_t r, const T* w, T* out) const { dots4(r, w, out); }
    void block_axpys(std::size_t r, T* g, const T* a) const { axpys4(r, g, a); }
    /// block_axpys(r, g, a), then block_dots(next, w, out). Rows of over
    /// in_order_row_bytes in one sweep (axpy4_dot4), whose dots read four rows at once;
    /// shorter ones one after the other, as dots4 reads them. The sweep was faster at
    /// every width with X in L2, but from memory (Zen 4, 2 threads, share of the
    /// read-only pass, alternating builds, two rounds) only for rows of over 8 KB:
    /// d = 1500 and 2000 float64, 8 KB as the limit against 16 KB, 58-76% against
    /// 54-75% (10 of 12 pairs better). Rows of up to 8 KB did better in order:
    /// d = 256 float32 61-66% against 32-42% in the sweep; d = 600 and 800 float64
    /// and d = 2000 float32, 8 KB against 4 KB: 71-85% against 46-72% (18 of 18).
    void block_axpys_dots(std::size_t r, T* g, const T* a, std::size_t next, const T* w, T* out) const {
        if (d * sizeof(T) <= in_order_row_bytes) {
            axpys4(r, g, a);
            dots4(next, w, out);
        } else {
            axpys4_dots4(r, g, a, next, w, out);
        }
    }
    void axpy(std::size_t r, T* g, T a) const { axpy1(g, row(r), a, d); }
};

// Row r of a CSR matrix (scipy's arrays, fastgd/csr.hpp: indices I in [0, d), sorted,
// checked by the caller), or row idx[r]: the sparse row source. Dot products read
// the row's nonzeros only; the gradient accumulates into G (double: the CSR drivers
// keep one double accumulator per task) over the nonzeros only. The arrays are the
// caller's, read without the GIL: another thread may rewrite them after the check,
// so every offset is clamped to nnz (the checked count) and every column outside
// [0, d) is skipped (a wrong answer then, never a read or write out of bounds).
template <typename T, typename I>
struct csr_source {
    const T* data;
    const I* indices;
    const I* indptr;
    const T* y;
    std::size_t d;
    const std::size_t* idx;
    const T* sw;
    std::size_t nnz;  // the checked length of data and indices
    std::size_t at(std::size_t r) const { return idx ? idx[r] : r; }
    T target(std::size_t r) const { return y ? y[at(r)] : T(0); }
    T weight(std::size_t r) const { return sw[at(r)]; }
    // Row r's nonzeros [k, e), clamped to the checked nnz.
    void span(std::size_t r, std::size_t& k, std::size_t& e) const {
        const std::size_t i = at(r);
        k = static_cast<std::size_t>(indptr[i]);
        e = static_cast<std::size_t>(indptr[i + 1]);
        if (e > nnz) e = nnz;
    }
    // x_k . w_{j_k} with j_k outside [0, d) read as 0 (branch-free: a select).
    T term(std::size_t k, const T* w) const {
        const std::size_t j = static_cast<std::size_t>(indices[k]);
        const bool in = j < d;
        return (in ? data[k] : T(0)) * w[in ? j : 0];
    }
#if defined(__GNUC__)
    __attribute__((always_inline))
#endif
    T dot(std::size_t r, const T* w) const {
        std::size_t k, e;
        span(r, k, e);
        T s0 = 0, s1 = 0;  // two chains: the gathers of w overlap
        for (; k + 2 <= e; k += 2) {
            s0 += term(k, w);
            s1 += term(k + 1, w);
        }
        if (k < e) s0 += term(k, w);
        return s0 + s1;
    }
    void dots4(std::size_t r, const T* w, T* out, bool = false) const {
        for (std::size_t q = 0; q < 4; ++q) out[q] = dot(r + q, w);
    }
    template <typename G>
#if defined(__GNUC__)
    __attribute__((always_inline))
#endif
    void axpy(std::size_t r, G* g, T a) const {
        std::size_t k, e;
        span(r, k, e);
        const G ag = static_cast<G>(a);
        for (; k < e; ++k) {
            const std::size_t j = static_cast<std::size_t>(indices[k]);
            if (j < d) g[j] += ag * static_cast<G>(data[k]);
        }
    }
    template <typename G>
    void axpys4(std::size_t r, G* g, const T* a) const {
        for (std::size_t q = 0; q < 4; ++q) axpy(r + q, g, a[q]);
    }
    /// linear_rows' block: the dots of 64 rows (gathers of w only), their losses,
    /// then their gradient terms (scatters into g only): two simple loops over rows
    /// that stay in L1/L2, measured faster than interleaving the gathers of one row
    /// with the scatters of the last (w and g are each d values, too big for L2).
    static constexpr std::size_t block_rows = 64;
    void block_dots(std::size_t r, const T* w, T* out) const {
        for (std::size_t q = 0; q < block_rows; ++q) out[q] = dot(r + q, w);
    }
    template <typename G>
    void block_axpys(std::size_t r, G* g, const T* a) const {
        for (std::size_t q = 0; q < block_rows; ++q) axpy(r + q, g, a[q]);
    }
    template <typename G>
    void block_axpys_dots(std::size_t r, G* g, const T* a, std::size_t next, const T* w, T* out) const {
        block_axpys(r, g, a);
        block_dots(next, w, out);
    }
};

/// The gradient terms of the block of rows [i, i + B) (their derivatives in r, one of
/// blocks), with the next block's dots (into the other) when a whole block follows
/// before end; returns where the next block's dots are.
template <typename Src, typename T, typename G, std::size_t B>
T* gradient_and_next_dots(const Src& src, std::size_t i, std::size_t end, const T* w, G* g, T* r, T (&blocks)[2][B]) {
    T* next = r == blocks[0] ? blocks[1] : blocks[0];
    if (i + 2 * B > end) {
        src.block_axpys(i, g, r);
        return r;
    }
    src.block_axpys_dots(i, g, r, i + B, w, next);
    return next;
}

/// Rows [begin, end) of a linear model under a loss (losses.hpp): with
/// z_i = x_i . w (+ w[d] when intercept) and dL_i = the loss's derivative at z_i
/// (times the sample weight s_i when src.sw), g[0:d] += sum dL_i x_i (in T),
/// *g_intercept += sum dL_i; returns sum s_i L_i in double.
/// src.y == nullptr means y = 0 (used for Hessian-vector products). src is a row
/// source (row_source: dense rows, g in T; csr_source: CSR rows, g in double): one
/// kernel for both matrix kinds. Weighted is
/// src.sw != nullptr, a template parameter so that the unweighted loop is the
/// plain expression the compiler fuses into multiply-adds as it always has.
template <bool Weighted, typename Src, typename T, typename G, typename Loss>
double linear_rows(const Src& src, const T* w, bool intercept, std::size_t begin, std::size_t end, G* g,
                   double* g_intercept, const Loss& loss_fn) {
    const std::size_t d = src.d;
    const T b = intercept ? w[d] : T(0);
    double loss = 0.0, gb = 0.0;
    std::size_t i = begin;
    constexpr std::size_t B = Src::block_rows;  // a multiple of 4
    T blocks[2][B];
    T* rb = blocks[0];  // this block's dots, then its rows' derivatives
    if (i + B <= end) src.block_dots(i, w, rb);
    for (; i + B <= end; i += B) {
        for (std::size_t q = 0; q < B; q += 4) {
            T* r = rb + q;
            double v[4], rd[4];
            for (int k = 0; k < 4; ++k) {
                const std::size_t row = i + q + static_cast<std::size_t>(k);
                r[k] = loss_fn.row(r[k], b, src.target(row), v[k]);
                if constexpr (Weighted) {
                    const T s = src.weight(row);
                    r[k] *= s;
                    v[k] *= static_cast<double>(s);
                }
                rd[k] = static_cast<double>(r[k]);
            }
            // Pairwise, so the loop-carried chain is one add per four rows. value_of
            // is written into the sum, so least squares keeps its multiply-adds.
            if constexpr (Weighted)
                loss += (v[0] + v[1]) + (v[2] + v[3]);
            else
                loss += (loss_fn.value_of(v[0], rd[0]) + loss_fn.value_of(v[1], rd[1])) +
                        (loss_fn.value_of(v[2], rd[2]) + loss_fn.value_of(v[3], rd[3]));
            gb += (rd[0] + rd[1]) + (rd[2] + rd[3]);
        }
        rb = gradient_and_next_dots(src, i, end, w, g, rb, blocks);
    }
    for (; i < end; ++i) {
        double v;
        T r = loss_fn.row_tail(src.dot(i, w), b, src.target(i), v);
        if constexpr (Weighted) {
            const T s = src.weight(i);
            r *= s;
            v *= static_cast<double>(s);
        }
        if constexpr (Weighted)
            loss += v;
        else
            loss += loss_fn.value_of(v, static_cast<double>(r));
        gb += static_cast<double>(r);
        src.axpy(i, g, r);
    }
    if (intercept) *g_intercept += gb;
    return loss;
}

#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
// Same-size integer lanes of vec<T>, for masking.
template <typename T>
struct lane_bits;
template <>
struct lane_bits<double> {
    typedef long long type __attribute__((vector_size(FASTGD_VECTOR_BYTES)));
};
template <>
struct lane_bits<float> {
    typedef int type __attribute__((vector_size(FASTGD_VECTOR_BYTES)));
};

/// The narrow-rows kernels' view of rows in order of at most V vectors each: w in V
/// registers (zero past d), and every row read as V loads with the lanes past d zeroed
/// by a mask (they belong to the next row). stop(begin, end): the end of the rows whose
/// V loads stay inside rows [begin, end) (begin when none does).
template <std::size_t V, typename T>
struct narrow_rows {
    static constexpr std::size_t W = width<T>;
    using bits = typename lane_bits<T>::type;
    std::size_t d;
    vec<T> wv[V];
    bits keep[V];

    narrow_rows(const T* w, std::size_t d_) : d(d_) {
        T w_pad[V * W] = {};
        for (std::size_t j = 0; j < d; ++j) w_pad[j] = w[j];
        for (std::size_t v = 0; v < V; ++v) {
            wv[v] = load(w_pad + v * W);
            for (std::size_t l = 0; l < W; ++l) keep[v][l] = v * W + l < d ? -1 : 0;
        }
    }
    std::size_t stop(std::size_t begin, std::size_t end) const {
        if (end * d < V * W) return begin;
        const std::size_t last = (end * d - V * W) / d + 1;
        return last < end ? last : end;
    }
    /// Vector v of the row at p.
    vec<T> x(const T* p, std::size_t v) const { return (vec<T>)((bits)load(p + v * W) & keep[v]); }
    /// x.w summed in one register (x[v] kept for the gradient when given).
    vec<T> dot(const T* p, vec<T>* x_out = nullptr) const {
        vec<T> acc{};
        for (std::size_t v = 0; v < V; ++v) {
            const vec<T> xv = x(p, v);
            if (x_out) x_out[v] = xv;
            acc = v == 0 ? xv * wv[0] : acc + xv * wv[v];
        }
        return acc;
    }
    /// Adds the V registers of g to g[0:d].
    void add_to(const vec<T>* gv, T* g) const {
        T g_pad[V * W];
        for (std::size_t v = 0; v < V; ++v) store(g_pad + v * W, gv[v]);
        for (std::size_t j = 0; j < d; ++j) g[j] += g_pad[j];
    }
};

/// Least squares over rows in order (no idx) of at most V vectors each (narrow_rows),
/// the gradient in 2 V registers (even and odd rows) for the whole call. The
/// generic kernel spends more on the loop edges of each short row (dot1, axpy4)
/// and on g in memory than on reading it. Rows whose last load would pass row
/// end - 1 are left to the caller. Returns the first row not done.
template <std::size_t V, typename T>
std::size_t narrow_residual_rows(const T* X, const T* y, std::size_t d, const T* w, T b, std::size_t begin,
                                 std::size_t end, T* g, double& loss, double& gb) {
    const narrow_rows<V, T> rows(w, d);
    const std::size_t stop = rows.stop(begin, end);
    vec<T> ge[V] = {}, go[V] = {};
    std::size_t i = begin;
    const auto row_residual = [&](std::size_t r, vec<T>* x) {
        return hsum(rows.dot(X + r * d, x)) + (b - (y ? y[r] : T(0)));
    };
    for (; i + 4 <= stop; i += 4) {
        if (d * sizeof(T) <= short_row_bytes) prefetch_ahead(X + i * d, 4 * d * sizeof(T));
        vec<T> x0[V], x1[V], x2[V], x3[V];
        const T r0 = row_residual(i, x0), r1 = row_residual(i + 1, x1);
        const T r2 = row_residual(i + 2, x2), r3 = row_residual(i + 3, x3);
        for (std::size_t v = 0; v < V; ++v) {
            ge[v] += r0 * x0[v] + r2 * x2[v];
            go[v] += r1 * x1[v] + r3 * x3[v];
        }
        const double d0 = r0, d1 = r1, d2 = r2, d3 = r3;
        loss += (d0 * d0 + d1 * d1) + (d2 * d2 + d3 * d3);
        gb += (d0 + d1) + (d2 + d3);
    }
    for (; i < stop; ++i) {
        vec<T> x[V];
        const T r = row_residual(i, x);
        for (std::size_t v = 0; v < V; ++v) ge[v] += r * x[v];
        loss += static_cast<double>(r) * static_cast<double>(r);
        gb += static_cast<double>(r);
    }
    for (std::size_t v = 0; v < V; ++v) ge[v] += go[v];
    rows.add_to(ge, g);
    return i;
}

/// The columns of a block of W rows in order of D values each, loaded as D
/// registers (r[q] = values q W .. q W + W - 1): lane k of column j is value k D + j,
/// in register (k D + j) / W. Each column is put together by shuffles, one pair of
/// registers at a time, each pair's lanes merged in by a blend: 2 ceil(D / 2) - 1
/// shuffles a column. They replace a hardware gather a column, slow on AMD's Zen 4
/// even from cache (least squares at d = 4 float64, X in L2, one thread: 8-16 GB/s
/// with gathers, 18-25 GB/s with shuffles).
template <std::size_t D, std::size_t W>
struct block_columns {
    static constexpr std::size_t reg(std::size_t j, std::size_t k) { return (k * D + j) / W; }
    static constexpr std::size_t lane(std::size_t j, std::size_t k) { return (k * D + j) % W; }
    /// Index of lane k of column j in the pair (r[2p], r[2p + 1]); 0 (unused) if not in it.
    static constexpr int from_pair(std::size_t j, std::size_t p, std::size_t k) {
        return reg(j, k) / 2 == p ? static_cast<int>((reg(j, k) % 2) * W + lane(j, k)) : 0;
    }
    /// The blend of the column so far (lanes < W) with pair p's part (lanes >= W).
    static constexpr int merged(std::size_t j, std::size_t p, std::size_t k) {
        return static_cast<int>(reg(j, k) / 2 == p ? W + k : k);
    }
    static constexpr bool uses_pair(std::size_t j, std::size_t p) {
        for (std::size_t k = 0; k < W; ++k)
            if (reg(j, k) / 2 == p) return true;
        return false;
    }
};

template <std::size_t D, std::size_t J, std::size_t P, typename V, std::size_t... K>
inline V pair_part(const V* r, std::index_sequence<K...>) {
    using C = block_columns<D, sizeof...(K)>;
    return __builtin_shufflevector(r[2 * P], r[2 * P + 1 < D ? 2 * P + 1 : 2 * P], C::from_pair(J, P, K)...);
}
template <std::size_t D, std::size_t J, std::size_t P, typename V, std::size_t... K>
inline V merge_pair(V column, V part, std::index_sequence<K...>) {
    return __builtin_shufflevector(column, part, block_columns<D, sizeof...(K)>::merged(J, P, K)...);
}
template <std::size_t D, std::size_t J, std::size_t P = 1, typename V, typename Lanes>
inline V merge_pairs(const V* r, V column, Lanes lanes) {
    if constexpr (2 * P >= D) {
        return column;
    } else {
        if constexpr (block_columns<D, Lanes::size()>::uses_pair(J, P))
            column = merge_pair<D, J, P>(column, pair_part<D, J, P>(r, lanes), lanes);
        return merge_pairs<D, J, P + 1>(r, column, lanes);
    }
}
/// Column J of the block r (D registers; see block_columns).
template <std::size_t D, std::size_t J, typename V>
inline V block_column(const V* r) {
    constexpr std::size_t W = sizeof(V) / sizeof(r[0][0]);
    if constexpr (D == 1) {
        return r[0];
    } else {
        constexpr auto lanes = std::make_index_sequence<W>{};
        return merge_pairs<D, J>(r, pair_part<D, J, 0>(r, lanes), lanes);
    }
}
template <std::size_t D, typename V, std::size_t... J>
inline void block_columns_of(const V* r, V* x, std::index_sequence<J...>) {
    ((x[J] = block_column<D, J>(r)), ...);
}

// The loss sums of W residuals in double: lv += r^2, bv += r. Float lanes are
// widened half a register at a time (each half one double register; converting
// the whole register at once is a vector wider than the target has).
inline void add_residuals(vf64 r, vf64& lv, vf64& bv) {
    lv += r * r;
    bv += r;
}
inline void add_residuals(vf32 r, vf64& lv, vf64& bv) {
    const vf64 a = __builtin_convertvector(low_half(r), vf64), c = __builtin_convertvector(high_half(r), vf64);
    lv += a * a + c * c;
    bv += a + c;
}

/// across_rows' least squares: the sum starts at b - y, so it ends as the residual
/// r, which is also the derivative (the caller scales by 2); r^2 and r summed in double.
struct residual_lanes {
    template <typename V>
    V start(V b, V y) const {
        return b - y;
    }
    template <typename V>
    V finish(V r, V, V, const V*, vf64& lv, vf64& bv) const {
        add_residuals(r, lv, bv);
        return r;
    }
};

/// Rows in order of exactly D values, W rows at a time across the lanes: lane k of
/// column vector j is row k's x_j, so each row's sum x.w is D lane-wise
/// multiply-adds (no horizontal sum per row) and g_j gets dL * x_j in its own
/// register, summed across lanes once per call. The loss enters through Lanes:
/// start(b, y) is where the sum starts, finish(sum, b, y, s, lv, bv) returns the
/// register of derivatives (times the weights s when s is not null) and adds the
/// values to lv and the derivatives to bv, in double (residual_lanes above; the
/// margin losses' in lane_rows.hpp). Rows past the last full group of W are left
/// to the caller. Returns the first row not done.
template <std::size_t D, typename T, typename Lanes>
std::size_t across_rows(const T* X, const T* y, const T* sw, const T* w, T b, std::size_t begin, std::size_t end,
                        T* g, double& loss, double& gb, const Lanes& lanes) {
    constexpr std::size_t W = width<T>;
    vec<T> wv[D], gv[D];
    for (std::size_t j = 0; j < D; ++j) {
        wv[j] = splat(w[j]);
        gv[j] = vec<T>{};
    }
    const vec<T> bw = splat(b);
    vf64 lv{}, bv{};
    std::size_t i = begin;
    for (; i + W <= end; i += W) {
        const T* p = X + i * D;
        if constexpr (D * sizeof(T) <= short_row_bytes) prefetch_ahead(p, W * D * sizeof(T));
        vec<T> r[D], x[D];
        for (std::size_t q = 0; q < D; ++q) r[q] = load(p + q * W);
        block_columns_of<D>(r, x, std::make_index_sequence<D>{});
        const vec<T> yv = y ? load(y + i) : vec<T>{};
        vec<T> z = lanes.start(bw, yv);
        for (std::size_t j = 0; j < D; ++j) z += x[j] * wv[j];
        vec<T> s;
        if (sw) s = load(sw + i);
        const vec<T> dz = lanes.finish(z, bw, yv, sw ? &s : nullptr, lv, bv);
        for (std::size_t j = 0; j < D; ++j) gv[j] += dz * x[j];
    }
    for (std::size_t j = 0; j < D; ++j) g[j] += hsum(gv[j]);
    loss += hsum(lv);
    gb += hsum(bv);
    return i;
}

// across_rows<D> for the run-time d, D = 1 .. max_across_d. Rows of 9 to 15 values
// went faster through narrow_rows (in L2, one thread, AVX-512 and AVX2 on Zen 4):
// their columns cost more shuffles than their rows cost horizontal sums.
constexpr std::size_t max_across_d = 8;
template <std::size_t D = 1, typename T, typename Lanes>
std::size_t across_rows_for(std::size_t d, const T* X, const T* y, const T* sw, const T* w, T b, std::size_t begin,
                            std::size_t end, T* g, double& loss, double& gb, const Lanes& lanes) {
    if (d == D) return across_rows<D>(X, y, sw, w, b, begin, end, g, loss, gb, lanes);
    if constexpr (D < max_across_d)
        return across_rows_for<D + 1>(d, X, y, sw, w, b, begin, end, g, loss, gb, lanes);
    return begin;
}
#endif

/// Least squares: r_i = x_i . w (+ w[d] when intercept) - y_i;
/// g[0:d] += sum r_i x_i (in T), *g_intercept += sum r_i; returns sum r_i^2 in double.
/// Rows in order of at most max_across_d values take across_rows, those of
/// at most 4 vectors narrow_residual_rows, the rest (and the tails) linear_rows.
template <typename T>
double residual_rows(const row_source<T>& src, const T* w, bool intercept, std::size_t begin, std::size_t end,
                     T* g, double* g_intercept) {
#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
    constexpr std::size_t W = width<T>;
    const std::size_t d = src.d;
    if (!src.idx && d > 0 && (d <= max_across_d || d <= 4 * W)) {
        const T b = intercept ? w[d] : T(0);
        double loss = 0.0, gb = 0.0;
        std::size_t done = begin;
        if (d <= max_across_d)
            done = across_rows_for(d, src.X, src.y, static_cast<const T*>(nullptr), w, b, begin, end, g, loss, gb,
                                   residual_lanes{});
        else if (d <= W)
            done = narrow_residual_rows<1>(src.X, src.y, d, w, b, begin, end, g, loss, gb);
        else if (d <= 2 * W)
            done = narrow_residual_rows<2>(src.X, src.y, d, w, b, begin, end, g, loss, gb);
        else if (d <= 3 * W)
            done = narrow_residual_rows<3>(src.X, src.y, d, w, b, begin, end, g, loss, gb);
        else
            done = narrow_residual_rows<4>(src.X, src.y, d, w, b, begin, end, g, loss, gb);
        if (intercept) *g_intercept += gb;
        return loss + linear_rows<false>(src, w, intercept, done, end, g, g_intercept, residual_loss{});
    }
#endif
    return linear_rows<false>(src, w, intercept, begin, end, g, g_intercept, residual_loss{});
}

// One row's softmax log loss from its scores z (K values): dz = s (p - e_c) (in T),
// gb += dz (double); returns s L. es: K doubles of scratch.
template <typename T>
inline double softmax_row(const T* z, std::size_t K, std::size_t c, double s, T* dz, double* gb, double* es) {
    double m = static_cast<double>(z[0]);
    for (std::size_t k = 1; k < K; ++k) m = static_cast<double>(z[k]) > m ? static_cast<double>(z[k]) : m;
    double S = 0.0;
    for (std::size_t k = 0; k < K; ++k) {
        es[k] = std::exp(static_cast<double>(z[k]) - m);
        S += es[k];
    }
    for (std::size_t k = 0; k < K; ++k) {
        const double dk = s * (es[k] / S - (k == c ? 1.0 : 0.0));
        dz[k] = static_cast<T>(dk);
        gb[k] += dk;
    }
    return s * (std::log(S) + m - static_cast<double>(z[c]));
}

/// Multinomial log loss over rows [begin, end), class-major: Wt is W^T (K x d,
/// row-major, so each class's weights are contiguous), b has K values; per row
/// z = W^T x + b, p = softmax(z) (shifted by max z), L = log sum exp(z) - z_c for
/// the row's class c = labels[row] (checked in [0, K) by the caller). With
/// dL = s_i (p - e_c): Gt (K x d, W^T's layout) += dL x^T (in T), gb[0:K] += dL
/// (double); returns sum s_i L_i. Four rows at a time share each load of a class's
/// weights and of its gradient row (dot4/axpy4). Scratch: zs (8 K values of T),
/// es (K doubles).
template <typename Src, typename T, typename G>
double softmax_rows(const Src& src, const int* labels, const T* Wt, const T* b, std::size_t K, std::size_t begin,
                    std::size_t end, G* Gt, double* gb, T* zs, double* es) {
    const std::size_t d = src.d;
    T* z = zs;           // 4 rows x K scores
    T* dz = zs + 4 * K;  // 4 rows x K derivatives
    double loss = 0.0;
    std::size_t i = begin;
    for (; i + 4 <= end; i += 4) {
        for (std::size_t k = 0; k < K; ++k) {
            T out[4];
            src.dots4(i, Wt + k * d, out, true);
            for (std::size_t r = 0; r < 4; ++r) z[r * K + k] = out[r] + b[k];
        }
        for (std::size_t r = 0; r < 4; ++r) {
            const std::size_t row = src.at(i + r);
            const double s = src.sw ? static_cast<double>(src.sw[row]) : 1.0;
            loss += softmax_row(z + r * K, K, static_cast<std::size_t>(labels[row]), s, dz + r * K, gb, es);
        }
        for (std::size_t k = 0; k < K; ++k) {
            const T r4[4] = {dz[k], dz[K + k], dz[2 * K + k], dz[3 * K + k]};
            src.axpys4(i, Gt + k * d, r4);
        }
    }
    for (; i < end; ++i) {
        for (std::size_t k = 0; k < K; ++k) z[k] = src.dot(i, Wt + k * d) + b[k];
        const std::size_t row = src.at(i);
        const double s = src.sw ? static_cast<double>(src.sw[row]) : 1.0;
        loss += softmax_row(z, K, static_cast<std::size_t>(labels[row]), s, dz, gb, es);
        for (std::size_t k = 0; k < K; ++k) src.axpy(i, Gt + k * d, dz[k]);
    }
    return loss;
}

/// One plain SGD step on one sample, fused: r = x.w (+ w[d]) - y, then
/// w -= lr (2 r x + ridge w) and w[d] -= lr 2 r. The hot loop of single-sample SGD
/// without momentum (one pass over the row, no gradient buffer). Returns r^2.
template <typename T>
double sample_sgd_step(const T* x, T y, T* w, std::size_t d, bool intercept, T lr, T ridge) {
    const T r = dot1(x, w, d) + (intercept ? w[d] : T(0)) - y;
    const T two_r = T(2) * r;
    sgd_row_update(w, x, d, two_r, lr, ridge);
    if (intercept) w[d] -= lr * two_r;
    return static_cast<double>(r) * static_cast<double>(r);
}

/// Sum of every element of rows [begin, end): a read-only pass over X, the
/// bandwidth ceiling the fused kernel is measured against.
template <typename T>
double sum_rows(const row_source<T>& src, std::size_t begin, std::size_t end) {
    const T* p = src.row(begin);
    const std::size_t count = (end - begin) * src.d;
    std::size_t j = 0;
#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
    constexpr std::size_t W = width<T>;
    vec<T> a{}, b{}, c{}, e{};
    for (; j + 4 * W <= count; j += 4 * W) {
        a += load(p + j);
        b += load(p + j + W);
        c += load(p + j + 2 * W);
        e += load(p + j + 3 * W);
    }
    double s = static_cast<double>(hsum((a + b) + (c + e)));
#else
    double s = 0.0;
#endif
    for (; j < count; ++j) s += static_cast<double>(p[j]);
    return s;
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
