#pragma once
/// Linear regression by gradient descent: the whole loop (epochs, shuffles,
/// mini-batches, steps, stopping rules) with no Python in it.
///
/// Objective (reduction "mean"): J(w, b) = (1/n) sum (x_i.w + b - y_i)^2 + l2 ||w||^2.
/// A mini-batch B uses (1/|B|) over its rows. Parameters are theta = [w, b].

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "fastgd/fit_status.hpp"
#include "fastgd/interrupt.hpp"
#include "fastgd/least_squares.hpp"
#include "fastgd/lipschitz.hpp"
#include "fastgd/optimizer.hpp"
#include "fastgd/permutation.hpp"
#include "fastgd/schedule.hpp"

namespace fastgd {

struct fit_config {
    schedule lr;                  // the learning rate of each step (a constant by default)
    std::size_t batch_size = 0;   // 0: full batch
    std::size_t max_iter = 1000;  // epochs
    double tol = 1e-6;  // stop when ||theta_epoch_end - theta_epoch_start||_2 < tol; < 0: never stop early
    /// "converged" at a stop by tol needs optimality_measure (least_squares.hpp) <= gtol.
    double gtol = 1e-4;
    /// Where the full gradient is at hand, the fit stops ("converged") as soon as the
    /// measure is <= gtol_stop. Equal to gtol when the user set gtol; by default far
    /// below it (the rounding floor), so that a small tol still buys its digits.
    double gtol_stop = 1e-4;
    double l2 = 0.0;
    bool shuffle = true;
    std::uint64_t seed = 0;
    bool record = true;  // the full-data loss after every epoch
    bool use_gram = false;
    rule_params rule;      // its lr is ignored: the step size is fit_config::lr
    bool lr_auto = false;  // lr = 1/L instead, L by power iteration (over the Gram form when built)
    int n_threads = 1;
};

/// The divergence rule of every least-squares fit (in memory here, over chunks in
/// fastgd.chunked through the binding): a loss or theta not finite, or a loss above
/// 10^12 times max(the initial loss, 1). Relative to the first loss, but never below
/// 1: data with a tiny first loss (y ~ 1e-58) must not count an ordinary first step
/// as a blow-up.
struct divergence_rule {
    static constexpr double explode_factor = 1e12;
    double limit;
    explicit divergence_rule(double loss0) : limit(explode_factor * std::max(loss0, 1.0)) {}
    template <typename T>
    bool operator()(double loss, const T* theta, std::size_t p) const {
        if (!std::isfinite(loss) || loss > limit) return true;
        for (std::size_t i = 0; i < p; ++i)
            if (!std::isfinite(theta[i])) return true;
        return false;
    }
};

template <typename T>
struct fit_output {
    double lr = 0.0;             // the learning rate chosen by lr_auto
    std::vector<T> theta;        // [w, b]
    std::vector<double> losses;  // initial loss, then one per epoch (when record)
    std::size_t n_iter = 0;
    fit_status status = fit_status::max_iter;
    /// The optimality measure at the returned theta when it was computed (NaN when not).
    double optimality = std::nan("");
};

namespace detail {

// Shuffled rows defeat the hardware prefetcher, and a row fetched from DRAM costs
// ~100 ns, more than a small step. Rows are requested one batch (at least this
// many rows) ahead of their use.
constexpr std::size_t prefetch_rows_ahead = 24;

template <typename T>
void prefetch_rows(const design<T>& A, const std::size_t* order, std::size_t from, std::size_t to) {
#if defined(__GNUC__)
    // GCC deletes a loop whose only effect is __builtin_prefetch; the empty
    // volatile asm marks each iteration as having an effect, so the loop stays.
    // Every line the row touches: a row need not start on a 64-byte boundary.
    const std::uintptr_t bytes = A.d * sizeof(T);
    for (std::size_t r = from; r < to; ++r) {
        const auto row = reinterpret_cast<std::uintptr_t>(A.X + order[r] * A.d);
        for (std::uintptr_t line = row & ~std::uintptr_t{63}; line < row + bytes; line += 64)
            __builtin_prefetch(reinterpret_cast<const void*>(line), 0, 3);
        __builtin_prefetch(A.y + order[r], 0, 3);
        asm volatile("" : : "r"(row));
    }
#else
    (void)A, (void)order, (void)from, (void)to;
#endif
}

template <typename T>
double l2_penalty(const std::vector<T>& theta, std::size_t d, double l2) {
    if (l2 == 0.0) return 0.0;
    double s = 0.0;
    for (std::size_t j = 0; j < d; ++j) s += static_cast<double>(theta[j]) * static_cast<double>(theta[j]);
    return l2 * s;
}

// Turns unscaled sums over m rows into the mean loss and its gradient (in place).
template <typename T>
double scale_to_mean(residual_sums<T>& s, std::size_t m, const std::vector<T>& theta, std::size_t d,
                     double l2) {
    const double inv = 1.0 / static_cast<double>(m);
    for (auto& g : s.grad) g *= 2.0 * inv;
    if (l2 != 0.0)
        for (std::size_t j = 0; j < d; ++j) s.grad[j] += 2.0 * l2 * static_cast<double>(theta[j]);
    return s.sum_sq * inv + l2_penalty(theta, d, l2);
}

template <typename T>
double mean_square(const T* y, std::size_t n) {
    double s = 0.0;
    for (std::size_t i = 0; i < n; ++i) s += static_cast<double>(y[i]) * static_cast<double>(y[i]);
    return s / static_cast<double>(n);
}

template <typename T>
bool all_finite(const std::vector<T>& v) {
    for (const T x : v)
        if (!std::isfinite(x)) return false;
    return true;
}

template <typename T>
double distance(const std::vector<T>& a, const std::vector<T>& b) {
    double s = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double diff = static_cast<double>(a[i]) - static_cast<double>(b[i]);
        s += diff * diff;
    }
    return std::sqrt(s);
}

// One step on a batch of at most chunk_rows rows: one kernel call, gradient kept in
// T, no thread or task machinery. This is the hot path of single-sample SGD.
template <typename T>
struct small_batch_stepper {
    std::vector<T> grad;
    explicit small_batch_stepper(std::size_t p) : grad(p) {}

    /// Returns the batch's sum of squared residuals (before the step).
    double step(const design<T>& A, const std::size_t* rows, std::size_t m, std::vector<T>& theta,
                optimizer<T>& rule, const fit_config& c) {
        const std::size_t d = A.d;
        const rule_params& o = rule.params();
        if (m == 1 && o.kind == rule_kind::sgd && o.momentum == 0.0 && o.weight_decay == 0.0 && !o.maximize) {
            // Plain single-sample SGD: the fused step (the same update, one pass over the row).
            const double lr = c.lr.at(rule.steps());
            rule.count_step();
            return kernels_for<T>().sample_sgd_step(A.X + rows[0] * d, A.y[rows[0]], theta.data(), d,
                                                    A.intercept, static_cast<T>(lr),
                                                    static_cast<T>(2.0 * c.l2));
        }
        std::fill(grad.begin(), grad.end(), T(0));
        double g_intercept = 0.0;
        const double sum_sq = kernels_for<T>().residual_rows(A.X, A.y, d, rows, theta.data(), A.intercept, 0,
                                                             m, grad.data(), &g_intercept);
        const T scale = static_cast<T>(2.0 / static_cast<double>(m));
        const T ridge = static_cast<T>(2.0 * c.l2);
        kernels_for<T>().scale_gradient(grad.data(), theta.data(), d, scale, ridge);
        if (A.intercept) grad[d] = static_cast<T>(2.0 * g_intercept / static_cast<double>(m));
        rule.step(theta.data(), grad.data(), theta.size(), c.lr.at(rule.steps()));
        return sum_sq;
    }
};

}  // namespace detail

/// L = largest eigenvalue of the Hessian (2/n) A^T A + 2 l2 I_w of the mean loss,
/// by power iteration over X (or over the Gram form when one is given). NaN when
/// the poller asked to stop.
/// L of least squares from the Gram form G = A^T A (p x p, row-major) of n rows whose
/// first d parameters carry the l2 penalty. Also what fits on Dask arrays use, with
/// G added up from the chunks, so both find the same learning rate.
inline double gram_lipschitz(const double* G, std::size_t p, std::size_t d, std::size_t n, double l2,
                             interrupt_poller* poller = nullptr) {
    const double scale = 2.0 / static_cast<double>(n);
    return largest_eigenvalue(p, [&](const double* v, double* out) {
        for (std::size_t i = 0; i < p; ++i) {
            double s = 0.0;
            for (std::size_t j = 0; j < p; ++j) s += G[i * p + j] * v[j];
            out[i] = scale * s;
        }
        for (std::size_t j = 0; j < d; ++j) out[j] += 2.0 * l2 * v[j];
        return !(poller && poller->tick(p * p));
    });
}

template <typename T>
double least_squares_lipschitz(const design<T>& A, double l2, int n_threads, const gram_form* F,
                               interrupt_poller& poller) {
    const std::size_t p = A.p();
    if (F) return gram_lipschitz(F->G.data(), p, A.d, A.n, l2, &poller);
    const double scale = 2.0 / static_cast<double>(A.n);
    residual_sums<T> sums;
    std::vector<T> v_t(p);
    design<T> H = A;
    H.y = nullptr;  // with y = 0 the gradient sums are A^T A v
    return largest_eigenvalue(p, [&](const double* v, double* out) {
        for (std::size_t i = 0; i < p; ++i) v_t[i] = static_cast<T>(v[i]);
        residual_sums_into(H, v_t.data(), n_threads, sums);
        for (std::size_t i = 0; i < p; ++i) out[i] = scale * sums.grad[i];
        for (std::size_t j = 0; j < A.d; ++j) out[j] += 2.0 * l2 * v[j];
        return !poller.tick(A.n * p);
    });
}

/// L with the cheaper route: the Gram form when one is given, or when building it
/// (about p/8 passes over X) beats up to 100 streamed power-iteration passes.
template <typename T>
double least_squares_lipschitz_auto(const design<T>& A, double l2, int n_threads, const gram_form* F,
                                    interrupt_poller& poller) {
    if (!F && A.p() <= 512 && A.n > 4 * A.p()) {
        const gram_form G = compute_gram(A, n_threads, &poller);
        return G.complete ? least_squares_lipschitz(A, l2, n_threads, &G, poller) : std::nan("");
    }
    return least_squares_lipschitz(A, l2, n_threads, F, poller);
}

/// Never stops the fit: the on_epoch of a fit without a callback.
struct no_epoch_callback {
    template <typename T>
    bool operator()(std::size_t, double, const std::vector<T>&) const {
        return false;
    }
};

/// Runs the descent from theta0 (p values, [w, b]; empty: zeros) with `rule`, whose
/// state carries over from earlier fits (partial_fit, warm starts) and on to later
/// ones. on_epoch(epoch, loss, theta) runs after every epoch and returns true to
/// stop ("stopped"). A.idx must be nullptr. poller is ticked with the work done.
/// The status is "converged" only where the optimality test passed (see
/// fit_config::gtol and optimality_measure); a step shorter than tol without it is
/// "stalled"; tol < 0 runs max_iter epochs.
template <typename T, typename OnEpoch = no_epoch_callback>
fit_output<T> fit_least_squares(const design<T>& A, const fit_config& config, interrupt_poller& poller,
                                optimizer<T>& rule, std::vector<T> theta0 = {},
                                OnEpoch&& on_epoch = OnEpoch{}) {
    fit_config c = config;
    const std::size_t p = A.p(), n = A.n, d = A.d;
    fit_output<T> out;
    const bool from_zero = theta0.empty();
    if (from_zero) theta0.assign(p, T(0));
    if (theta0.size() != p) throw std::invalid_argument("theta0 must have one value per parameter");
    out.theta = std::move(theta0);
    std::vector<T> previous(p);
    residual_sums<T> sums;
    const bool full_batch = c.batch_size == 0 || c.batch_size >= n;

    gram_form F;
    if (full_batch && c.use_gram) {
        F = compute_gram(A, c.n_threads, &poller);
        if (!F.complete) {
            out.status = fit_status::stopped;
            return out;
        }
    }
    if (c.lr_auto) {
        // lr = 1/L, by the cheaper route (the Gram form when built or cheaper than streaming).
        const double L = least_squares_lipschitz_auto(A, c.l2, c.n_threads,
                                                      full_batch && c.use_gram ? &F : nullptr, poller);
        if (std::isnan(L)) {
            out.status = fit_status::stopped;
            return out;
        }
        if (!(L > 0.0) || !std::isfinite(L))
            throw std::invalid_argument(
                "lr='auto' needs a non-zero X (the loss is flat); pass lr explicitly");
        c.lr = schedule{};
        c.lr.lr0 = out.lr = 1.0 / L;
    }

    auto full_loss_and_grad = [&]() {
        if (!(full_batch && c.use_gram))
            residual_sums_into(A, out.theta.data(), c.n_threads, sums);
        else if (!residual_sums_from_gram(F, out.theta.data(), sums))
            reanchor_gram(F, A, out.theta.data(), c.n_threads, sums);  // it cancelled: stream once
        return detail::scale_to_mean(sums, n, out.theta, d, c.l2);
    };

    // The optimality test (optimality_measure): ||y_c|| once (a pass over y only),
    // the column norms once per fit (free from the Gram form; one pass over X
    // otherwise, fused with the final gradient of a mini-batch fit that records
    // nothing), and the gradient wherever it is at hand: every full-batch step,
    // every recorded epoch, and one full pass when a mini-batch fit stops by tol.
    const double y_c_sq = centred_square_sum(A.y, n, A.intercept);
    std::vector<double> col_sq;
    auto measure = [&](const residual_sums<T>& s) {  // s: the mean gradient, unscaled sum_sq
        if (col_sq.empty()) {
            if (full_batch && c.use_gram) {
                col_sq.resize(p);
                for (std::size_t j = 0; j < p; ++j) col_sq[j] = F.G[j * p + j];
            } else {
                residual_sums<T> unused;
                column_residual_sums(A, out.theta.data(), c.n_threads, unused, col_sq);
            }
        }
        out.optimality = optimality_measure(s.grad.data(), col_sq.data(), p, d, out.theta.data(), c.l2, n,
                                            s.sum_sq, y_c_sq);
        return out.optimality;
    };
    // At the end of a mini-batch fit: one pass for the gradient and the column norms.
    auto measure_with_a_pass = [&]() {
        residual_sums<T> s;
        column_residual_sums(A, out.theta.data(), c.n_threads, s, col_sq);
        detail::scale_to_mean(s, n, out.theta, d, c.l2);
        return measure(s) <= c.gtol;
    };

    // From theta = 0 the initial loss is mean(y^2): mini-batch runs need no pass
    // over X for it (full-batch runs need the gradient anyway).
    double loss = full_batch || !from_zero ? full_loss_and_grad() : detail::mean_square(A.y, n);
    const divergence_rule diverged(loss);
    if (c.record) out.losses.push_back(loss);
    auto blew_up = [&](double l) { return diverged(l, out.theta.data(), p); };
    if (blew_up(loss)) {
        out.status = fit_status::diverged;
        return out;
    }
    // tol < 0 (None in Python) runs exactly max_iter epochs: no stopping rule at all.
    const bool may_stop = c.tol >= 0.0;
    // Already optimal (a warm start): no step to take.
    if (may_stop && full_batch && measure(sums) <= c.gtol_stop) {
        out.status = fit_status::converged;
        return out;
    }

    std::vector<std::size_t> order;
    detail::small_batch_stepper<T> small_batch(p);
    if (!full_batch && !c.shuffle) {
        order.resize(n);
        std::iota(order.begin(), order.end(), std::size_t{0});
    }
    const std::size_t work_per_epoch = full_batch && c.use_gram ? p * p : n * (d + 1);

    for (std::size_t epoch = 0; epoch < c.max_iter; ++epoch) {
        previous = out.theta;
        if (full_batch) {
            rule.step_rounded(out.theta.data(), sums.grad.data(), p, c.lr.at(rule.steps()));
            loss = full_loss_and_grad();
        } else {
            if (c.shuffle) shuffled_order(c.seed, epoch, n, order, c.n_threads);
            double epoch_sum_sq = 0.0;
            std::size_t prefetched = 0;
            for (std::size_t start = 0; start < n; start += c.batch_size) {
                const std::size_t m = std::min(c.batch_size, n - start);
                const std::size_t ahead = std::min(n, start + m + std::max(m, detail::prefetch_rows_ahead));
                if (prefetched < ahead) {
                    detail::prefetch_rows(A, order.data(), prefetched, ahead);
                    prefetched = ahead;
                }
                if (m <= detail::chunk_rows) {
                    epoch_sum_sq += small_batch.step(A, order.data() + start, m, out.theta, rule, c);
                } else {
                    design<T> batch = A;
                    batch.idx = order.data() + start;
                    batch.n = m;
                    residual_sums_into(batch, out.theta.data(), c.n_threads, sums);
                    epoch_sum_sq += sums.sum_sq;
                    detail::scale_to_mean(sums, m, out.theta, d, c.l2);
                    rule.step_rounded(out.theta.data(), sums.grad.data(), p, c.lr.at(rule.steps()));
                }
                if (poller.tick(m * (d + 1))) {
                    out.n_iter = epoch;
                    out.status = fit_status::stopped;
                    return out;
                }
            }
            // Without a recorded full loss, the mean of the mini-batch losses watches for divergence.
            loss = c.record ? full_loss_and_grad()
                            : epoch_sum_sq / static_cast<double>(n) + detail::l2_penalty(out.theta, d, c.l2);
        }
        out.n_iter = epoch + 1;
        if (c.record) out.losses.push_back(loss);
        if (blew_up(loss)) {
            out.status = fit_status::diverged;
            return out;
        }
        if (on_epoch(out.n_iter, loss, out.theta)) {
            out.status = fit_status::stopped;
            return out;
        }
        // Where the full gradient is at hand (full batch, or recorded), a passing
        // optimality test ends the fit; a short step alone is "stalled".
        const bool at_hand = may_stop && (full_batch || c.record);
        if (at_hand && measure(sums) <= c.gtol_stop) {
            out.status = fit_status::converged;
            return out;
        }
        if (detail::distance(out.theta, previous) < c.tol) {
            const bool optimal = at_hand ? out.optimality <= c.gtol : measure_with_a_pass();
            out.status = optimal ? fit_status::converged : fit_status::stalled;
            return out;
        }
        if (poller.tick(work_per_epoch)) {
            out.status = fit_status::stopped;
            return out;
        }
    }
    out.status = fit_status::max_iter;
    return out;
}

}  // namespace fastgd
