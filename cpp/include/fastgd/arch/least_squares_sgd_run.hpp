#pragma once
/// Plain single-sample SGD on least squares over a run of rows, one call per run:
/// the hot loop of fit_least_squares(optimizer="sgd", batch_size=1) without momentum,
/// weight decay or maximize. Per row, the arithmetic of sample_sgd_step
/// (arch/least_squares_rows.hpp): r = x.w + b - y (the dot in its order), then
/// w -= lr (2 r x + ridge w) and b -= lr 2 r.
///
/// Each step waits on the one before (the next dot reads the updated w), so the
/// epoch is a latency chain, not a stream (~20 ns a row at d = 32 with AVX-512, with
/// X in cache). When d is a whole number of vector registers (at most
/// max_register_vectors), w lives in registers for the whole run, and without a
/// ridge the steps go four rows at a time (grouped_steps), which cuts the chain to
/// ~9 ns a row: the epoch then streams X at about the speed of a pass of dots.

#include <cstddef>
#include <cstdint>

#include "fastgd/prefetch.hpp"
#include "fastgd/arch/row_step.hpp"
#include "fastgd/arch/simd.hpp"
#include "fastgd/sgd_rows_types.hpp"

namespace fastgd {
namespace FASTGD_ARCH {
namespace least_squares_sgd_detail {

// Rows are requested this many steps ahead: shuffled rows defeat the hardware
// prefetcher, and even rows in order came faster with it.
constexpr std::size_t ahead = 24;
// w in registers up to this many vectors (d = 64 doubles with AVX-512): the rest of
// the 32 registers hold the row, the products and the constants.
constexpr std::size_t max_register_vectors = 8;

#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
/// w as NV registers (d = NV * width).
template <typename T, std::size_t NV>
struct register_weights {
    vec<T> w[NV];

    explicit register_weights(const T* theta) {
        for (std::size_t k = 0; k < NV; ++k) w[k] = load(theta + k * width<T>);
    }
    void store_to(T* theta) const {
        for (std::size_t k = 0; k < NV; ++k) store(theta + k * width<T>, w[k]);
    }
    /// dot1's order: even vectors into a, odd ones into b, then hsum(a + b).
    T dot(const T* x) const {
        vec<T> a{}, b{};
        for (std::size_t k = 0; k < NV; ++k) {
            if (k % 2 == 0) a += load(x + k * width<T>) * w[k];
            else b += load(x + k * width<T>) * w[k];
        }
        return hsum(a + b);
    }
    void update(const T* x, T two_r, T lr, T ridge) {
        const vec<T> tr = splat(two_r), lv = splat(lr), rv = splat(ridge);
        for (std::size_t k = 0; k < NV; ++k) w[k] = w[k] - lv * (tr * load(x + k * width<T>) + rv * w[k]);
    }
};
#endif

/// w in memory, any d: sample_sgd_step's loops.
template <typename T>
struct memory_weights {
    T* w;
    std::size_t d;

    T dot(const T* x) const { return dot1(x, w, d); }
    void update(const T* x, T two_r, T lr, T ridge) { sgd_row_update(w, x, d, two_r, lr, ridge); }
};

/// r clipped to [-limit, limit], NaN kept: the branch is almost never taken, so
/// it adds nothing to the chain of steps.
template <typename T>
T clipped(T r, T limit) {
    if (!(r <= limit && r >= -limit)) return r < -limit ? -limit : (r > limit ? limit : r);
    return r;
}

template <typename T>
void prefetch_ahead(const least_squares_sgd_run<T>& run, std::size_t i) {
    if (i + ahead < run.n) {
        const std::size_t later = run.order ? run.order[i + ahead] : i + ahead;
        prefetch_lines(run.X + later * run.d, run.d * sizeof(T));
        prefetch_lines(run.y + later, sizeof(T));
    }
}

/// Steps at positions [begin, end) with w held by `weights`; b is theta's intercept
/// (0 without one).
template <typename T, typename Weights>
double steps(const least_squares_sgd_run<T>& run, std::size_t begin, std::size_t end, Weights& weights, T& b) {
    const std::size_t d = run.d;
    const std::size_t* order = run.order;
    double sum_sq = 0.0;
    for (std::size_t i = begin; i < end; ++i) {
        prefetch_ahead(run, i);
        const std::size_t row = order ? order[i] : i;
        const T* x = run.X + row * d;
        const T r = weights.dot(x) + b - run.y[row];
        const T two_r = T(2) * clipped(r, run.max_residual);
        const T lr = run.lrs ? run.lrs[i - run.begin] : run.lr;
        weights.update(x, two_r, lr, run.ridge);
        if (run.intercept) b -= lr * two_r;
        sum_sq += static_cast<double>(r) * static_cast<double>(r);
    }
    return sum_sq;
}

#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
/// dot(x, z) over NV registers, in dot1's order.
template <typename T, std::size_t NV>
T row_dot(const T* x, const T* z) {
    vec<T> a{}, b{};
    for (std::size_t k = 0; k < NV; ++k) {
        if (k % 2 == 0) a += load(x + k * width<T>) * load(z + k * width<T>);
        else b += load(x + k * width<T>) * load(z + k * width<T>);
    }
    return hsum(a + b);
}

// Rows a group in grouped_steps.
constexpr std::size_t group_rows = 4;

/// Without a ridge (w_j = w_{j-1} - a_j x_j, a_j = 2 lr_j r_j), the residuals of a
/// group of rows all come from the w before it: r_j = (x_j.w + b - y_j) -
/// sum_{k<j} a_k (x_j.x_k + 1) (the 1 is the intercept's column, 0 without one).
/// The dots with w and between the rows do not wait on the steps, so what each step
/// waits on shrinks from a dot, its horizontal sum and an update of w to one
/// multiply and one multiply-add (the same steps; the residuals differ from the
/// step-by-step ones by rounding only).
template <typename T, std::size_t NV>
double grouped_steps(const least_squares_sgd_run<T>& run, register_weights<T, NV>& weights, T& b) {
    constexpr std::size_t G = group_rows;
    const std::size_t d = run.d;
    const T one = run.intercept ? T(1) : T(0);
    double sum_sq = 0.0;
    std::size_t i = run.begin;
    for (; i + G <= run.end; i += G) {
        const T* x[G];
        T pre[G], two_lr[G];
        for (std::size_t j = 0; j < G; ++j) {
            prefetch_ahead(run, i + j);
            const std::size_t row = run.order ? run.order[i + j] : i + j;
            x[j] = run.X + row * d;
            pre[j] = weights.dot(x[j]) + b - run.y[row];
            two_lr[j] = T(2) * (run.lrs ? run.lrs[i + j - run.begin] : run.lr);
        }
        T a[G];
        for (std::size_t j = 0; j < G; ++j) {
            T r = pre[j];
            for (std::size_t k = 0; k < j; ++k) r -= a[k] * (row_dot<T, NV>(x[j], x[k]) + one);
            a[j] = two_lr[j] * clipped(r, run.max_residual);
            sum_sq += static_cast<double>(r) * static_cast<double>(r);
        }
        for (std::size_t j = 0; j < G; ++j) {
            const vec<T> av = splat(a[j]);
            for (std::size_t k = 0; k < NV; ++k) weights.w[k] = weights.w[k] - av * load(x[j] + k * width<T>);
            if (run.intercept) b -= a[j];
        }
    }
    return sum_sq + steps(run, i, run.end, weights, b);
}
#endif

template <typename T, std::size_t NV>
double steps_in_registers(const least_squares_sgd_run<T>& run, T* theta) {
#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
    if constexpr (NV >= 1) {
        if (run.d == NV * width<T>) {
            register_weights<T, NV> weights(theta);
            T b = run.intercept ? theta[run.d] : T(0);
            const double sum_sq =
                run.ridge == T(0) ? grouped_steps(run, weights, b) : steps(run, run.begin, run.end, weights, b);
            weights.store_to(theta);
            if (run.intercept) theta[run.d] = b;
            return sum_sq;
        }
        return steps_in_registers<T, NV - 1>(run, theta);
    }
#endif
    memory_weights<T> weights{theta, run.d};
    T b = run.intercept ? theta[run.d] : T(0);
    const double sum_sq = steps(run, run.begin, run.end, weights, b);
    if (run.intercept) theta[run.d] = b;
    return sum_sq;
}

/// The run's steps on theta = [w, b]; returns the sum of the squared residuals
/// (each before its step).
template <typename T>
double least_squares_sgd(const least_squares_sgd_run<T>& run, T* theta) {
    return steps_in_registers<T, max_register_vectors>(run, theta);
}

}  // namespace least_squares_sgd_detail
}  // namespace FASTGD_ARCH
}  // namespace fastgd
