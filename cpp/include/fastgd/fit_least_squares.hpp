#pragma once
/// Linear regression by gradient descent: the whole loop (epochs, shuffles,
/// mini-batches, steps, stopping rules) with no Python in it.
///
/// Objective (reduction "mean"): J(w, b) = (1/n) sum (x_i.w + b - y_i)^2 + l2 ||w||^2.
/// A mini-batch B uses (1/|B|) over its rows. Parameters are theta = [w, b].
/// NumPy twin: fastgd.reference.fit_least_squares.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "fastgd/fit_status.hpp"
#include "fastgd/interrupt.hpp"
#include "fastgd/least_squares.hpp"
#include "fastgd/lipschitz.hpp"
#include "fastgd/loss_plateau.hpp"
#include "fastgd/optimizer.hpp"
#include "fastgd/permutation.hpp"
#include "fastgd/prefetch.hpp"
#include "fastgd/schedule.hpp"
#include "fastgd/sgd_rows_types.hpp"

namespace fastgd {

/// How the gradient of each step is computed: the fit plan's decision (Python's
/// fastgd.fit_plan), never re-decided here.
enum class gradient_mode {
    stream,  // full batch, reading X every step
    gram,    // full batch, from the Gram form A^T A built once (O(p^2) a step)
    batch,   // mini-batches of batch_size rows
};

struct fit_config {
    schedule lr;           // the learning rate of each step (a constant by default)
    bool lr_auto = false;  // full batch only: lr = 1/L instead, L by power iteration
    gradient_mode gradient = gradient_mode::stream;
    std::size_t batch_size = 1;   // rows per step (gradient_mode::batch only)
    std::size_t max_iter = 1000;  // epochs
    double tol = 1e-6;  // stop when ||theta_epoch_end - theta_epoch_start||_2 < tol; < 0: never stop early
    /// scikit-learn's rule (tol with n_iter_no_change, and the adaptive rate) on the
    /// epoch loss. When on, it replaces the step-length rule above (tol < 0 then); the
    /// optimality test that ends a full-batch fit as "converged" stays on. Its state
    /// (the best loss, the count, the rate's factor) lives in the fit's copy.
    loss_plateau plateau;
    /// "converged" at a stop by tol needs optimality_measure (least_squares.hpp) <= gtol.
    double gtol = 1e-4;
    /// Where the full gradient is at hand, the fit stops ("converged") as soon as the
    /// measure is <= gtol_stop. Equal to gtol when the user set gtol; by default far
    /// below it (the rounding floor), so that a small tol still buys its digits.
    double gtol_stop = 1e-4;
    double l2 = 0.0;
    shuffle_kind shuffle = shuffle_kind::rows;
    std::size_t shuffle_block_rows = 1024;  // "blocks": rows a block (shuffle_block_rows(row bytes))
    std::uint64_t seed = 0;
    bool record = true;  // the full-data loss after every epoch
    int n_threads = 1;
    /// X is not known to be finite: the fit finds out (fit_output::x_finite). Plain
    /// single-sample SGD from theta = 0 learns it from its first epoch (a NaN or inf
    /// in a row makes that row's residual non-finite); other fits read X first.
    bool verify_x_finite = false;

    bool full_batch() const { return gradient != gradient_mode::batch; }
    bool use_gram() const { return gradient == gradient_mode::gram; }
    /// Some stopping rule is on: the step-length rule or scikit-learn's.
    bool may_stop() const { return tol >= 0.0 || plateau.on(); }
    /// The rate of step t: the schedule's, times the factor the adaptive rule put on it.
    double lr_at(std::size_t t) const { return lr.at(t) * plateau.lr_scale(); }
    /// scikit-learn's rule after an epoch with this loss (steps: the rule's steps so
    /// far): no_improvement when it ends the fit; lowers the rate when adaptive.
    std::optional<fit_status> plateau_after_epoch(double loss, std::size_t steps) {
        if (plateau.after_epoch(loss, lr_at(steps)) == loss_plateau::verdict::stop) return fit_status::no_improvement;
        return std::nullopt;
    }
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
    std::vector<T> path;         // theta beside each recorded loss: p values a row (when record)
    std::size_t n_iter = 0;
    fit_status status = fit_status::max_iter;
    /// The optimality measure at the returned theta when it was computed (NaN when not).
    double optimality = std::nan("");
    /// False when X holds NaN or inf (looked for only with fit_config::verify_x_finite):
    /// the fit stopped there, and nothing else here means anything.
    bool x_finite = true;
};

/// True when no element of A's X is NaN or infinite: one threaded read decides almost
/// always (NaN and inf propagate through a sum); only a sum that overflowed (huge
/// finite values) has every element looked at.
template <typename T>
bool finite_design(const design<T>& A, int n_threads) {
    if (std::isfinite(stream_sum(A, n_threads))) return true;
    const std::size_t size = A.n * A.d;
    for (std::size_t i = 0; i < size; ++i)
        if (!std::isfinite(A.X[i])) return false;
    return true;
}

namespace detail {

// Shuffled rows defeat the hardware prefetcher, and a row fetched from DRAM costs
// ~100 ns, more than a small step. Rows are requested one batch (at least this
// many rows) ahead of their use.
constexpr std::size_t prefetch_rows_ahead = 24;

template <typename T>
void prefetch_rows(const design<T>& A, const std::size_t* order, std::size_t from, std::size_t to) {
    for (std::size_t r = from; r < to; ++r) {
        prefetch_lines(A.X + order[r] * A.d, A.d * sizeof(T));
        prefetch(A.y + order[r]);
    }
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

/// Plain SGD (no momentum, weight decay or maximize): one row's step fuses its
/// gradient and update (sample_sgd_step), and a run of rows is one kernel call.
inline bool plain_sgd(const rule_params& o) {
    return o.kind == rule_kind::sgd && o.momentum == 0.0 && o.weight_decay == 0.0 && !o.maximize;
}

// Single-sample SGD polls between runs of this many rows (one kernel call each).
constexpr std::size_t sgd_run_rows = 4096;

// One step on a batch of at most chunk_rows rows: one kernel call, gradient kept in
// T, no thread or task machinery. (Plain single-sample SGD takes whole runs of rows a
// call instead: least_squares_fit::single_sample_epoch.)
template <typename T>
struct small_batch_stepper {
    std::vector<T> grad;
    explicit small_batch_stepper(std::size_t p) : grad(p) {}

    /// Returns the batch's sum of squared residuals (before the step).
    double step(const design<T>& A, const std::size_t* rows, std::size_t m, std::vector<T>& theta,
                optimizer<T>& rule, const fit_config& c) {
        const std::size_t d = A.d;
        const rule_params& o = rule.params();
        if (m == 1 && plain_sgd(o)) {
            // Plain single-sample SGD: the fused step (the same update, one pass over the row).
            const double lr = c.lr_at(rule.steps());
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
        rule.step(theta.data(), grad.data(), theta.size(), c.lr_at(rule.steps()));
        return sum_sq;
    }
};

}  // namespace detail

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

/// L = largest eigenvalue of the Hessian (2/n) A^T A + 2 l2 I_w of the mean loss,
/// by power iteration over X (or over the Gram form when one is given). NaN when
/// the poller asked to stop.
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

namespace detail {

/// One least-squares fit in named steps: resolve_lr, one_epoch, check_stop (see
/// fit_least_squares below, which runs them).
template <typename T, typename OnEpoch>
class least_squares_fit {
public:
    least_squares_fit(const design<T>& A, const fit_config& config, interrupt_poller& poller, optimizer<T>& rule,
                      std::vector<T> theta0, OnEpoch& on_epoch)
        : A_(A), c_(config), poller_(poller), rule_(rule), on_epoch_(on_epoch), p_(A.p()), n_(A.n), d_(A.d),
          from_zero_(theta0.empty()), full_batch_(config.full_batch()), use_gram_(config.use_gram()),
          may_stop_(config.may_stop()), small_batch_(A.p()) {
        if (!full_batch_ && c_.batch_size == 0) throw std::invalid_argument("batch_size must be >= 1");
        if (c_.lr_auto && !full_batch_)
            throw std::invalid_argument("lr_auto (1/L) is for full-batch fits; pass the mini-batch lr");
        if (from_zero_) theta0.assign(p_, T(0));
        if (theta0.size() != p_) throw std::invalid_argument("theta0 must have one value per parameter");
        out_.theta = std::move(theta0);
    }

    fit_output<T> run() {
        x_unchecked_ = c_.verify_x_finite;
        if (x_unchecked_ && !first_epoch_checks_x() && !check_x()) return stop_with(fit_status::stopped);
        if (!build_gram() || !resolve_lr()) return stop_with(fit_status::stopped);
        // From theta = 0 the initial loss is mean(y^2): mini-batch runs need no pass
        // over X for it (full-batch runs need the gradient anyway).
        double loss = full_batch_ || !from_zero_ ? full_loss_and_grad() : mean_square(A_.y, n_);
        const divergence_rule diverged(loss);
        if (c_.record) record(loss);
        if (diverged(loss, out_.theta.data(), p_)) return stop_with(fit_status::diverged);
        // Already optimal (a warm start): no step to take.
        if (may_stop_ && full_batch_ && measure(sums_) <= c_.gtol_stop) return stop_with(fit_status::converged);
        if (!full_batch_ && c_.shuffle == shuffle_kind::none) {
            order_.resize(n_);
            std::iota(order_.begin(), order_.end(), std::size_t{0});
        }
        for (std::size_t epoch = 0; epoch < c_.max_iter; ++epoch) {
            previous_ = out_.theta;
            if (!one_epoch(epoch, loss)) {
                out_.n_iter = epoch;
                return stop_with(fit_status::stopped);
            }
            out_.n_iter = epoch + 1;
            if (c_.record) record(loss);
            if (diverged(loss, out_.theta.data(), p_)) return stop_with(fit_status::diverged);
            if (on_epoch_(out_.n_iter, loss, out_.theta)) return stop_with(fit_status::stopped);
            if (const auto status = check_stop(loss)) return stop_with(*status);
            if (poller_.tick(use_gram_ ? p_ * p_ : n_ * (d_ + 1))) return stop_with(fit_status::stopped);
        }
        return stop_with(fit_status::max_iter);
    }

private:
    void record(double loss) {
        out_.losses.push_back(loss);
        out_.path.insert(out_.path.end(), out_.theta.begin(), out_.theta.end());
    }

    fit_output<T> stop_with(fit_status status) {
        if (x_unchecked_) check_x();  // stopped within the first epoch
        out_.status = status;
        return std::move(out_);
    }

    /// Plain single-sample SGD from theta = 0 visits every row in its first epoch
    /// before X is read for anything else: single_sample_epoch checks X there.
    bool first_epoch_checks_x() const {
        return !full_batch_ && c_.batch_size == 1 && plain_sgd(rule_.params()) && from_zero_ && c_.max_iter > 0;
    }

    /// Reads X for a NaN or inf (x_finite); true when there is none.
    bool check_x() {
        x_unchecked_ = false;
        out_.x_finite = finite_design(A_, c_.n_threads);
        return out_.x_finite;
    }

    /// The Gram form, when the plan says so. False when the poller asked to stop.
    bool build_gram() {
        if (!use_gram_) return true;
        F_ = compute_gram(A_, c_.n_threads, &poller_);
        return F_.complete;
    }

    /// lr = 1/L when asked (full batch), by the cheaper route (the Gram form when built
    /// or cheaper than streaming). False when the poller asked to stop.
    bool resolve_lr() {
        if (!c_.lr_auto) return true;
        const double L = least_squares_lipschitz_auto(A_, c_.l2, c_.n_threads, use_gram_ ? &F_ : nullptr, poller_);
        if (std::isnan(L)) return false;
        if (!(L > 0.0) || !std::isfinite(L))
            throw std::invalid_argument("lr='auto' needs a non-zero X (the loss is flat); pass lr explicitly");
        c_.lr = schedule{};
        c_.lr.lr0 = out_.lr = 1.0 / L;
        return true;
    }

    double full_loss_and_grad() {
        if (!use_gram_)
            residual_sums_into(A_, out_.theta.data(), c_.n_threads, sums_);
        else if (!residual_sums_from_gram(F_, out_.theta.data(), sums_))
            reanchor_gram(F_, A_, out_.theta.data(), c_.n_threads, sums_);  // it cancelled: stream once
        return scale_to_mean(sums_, n_, out_.theta, d_, c_.l2);
    }

    /// One epoch: a full-batch step, or the mini-batch steps over all rows. Sets loss
    /// to the epoch's loss; false when the poller asked to stop mid-epoch.
    bool one_epoch(std::size_t epoch, double& loss) {
        if (full_batch_) {
            rule_.step_rounded(out_.theta.data(), sums_.grad.data(), p_, c_.lr_at(rule_.steps()));
            loss = full_loss_and_grad();
            return true;
        }
        epoch_order(c_.shuffle, c_.seed, epoch, n_, c_.shuffle_block_rows, order_, c_.n_threads);
        double epoch_sum_sq = 0.0;
        if (c_.batch_size == 1 && plain_sgd(rule_.params())) {
            if (!single_sample_epoch(epoch_sum_sq)) return false;
        } else if (!batch_epoch(epoch_sum_sq)) {
            return false;
        }
        // Without a recorded full loss, the mean of the mini-batch losses watches for divergence.
        loss = c_.record ? full_loss_and_grad()
                         : epoch_sum_sq / static_cast<double>(n_) + l2_penalty(out_.theta, d_, c_.l2);
        return true;
    }

    /// The epoch of plain single-sample SGD: runs of sgd_run_rows steps, one kernel
    /// call each (w stays in registers through a run when d is small), polled between.
    /// Adds the squared residuals to sum_sq; false when the poller asked to stop.
    bool single_sample_epoch(double& sum_sq) {
        least_squares_sgd_run<T> run;
        run.X = A_.X;
        run.y = A_.y;
        run.n = n_;
        run.d = d_;
        run.intercept = A_.intercept;
        run.order = c_.shuffle == shuffle_kind::none ? nullptr : order_.data();
        run.ridge = static_cast<T>(2.0 * c_.l2);
        const bool constant_lr = c_.lr.kind == schedule_kind::constant && c_.lr.warmup_steps == 0.0;
        const auto kernel = sgd_rows_kernels_of<T>().least_squares_sgd;
        // The first epoch checks X when asked: a row with a NaN or inf has a NaN or
        // infinite residual (x_j w_j is one, even with w_j = 0), so a run whose sum of
        // squares is finite saw finite rows. A non-finite sum (such a row, or a
        // divergence) has X read once to tell which.
        for (std::size_t start = 0; start < n_; start += sgd_run_rows) {
            run.begin = start;
            run.end = std::min(n_, start + sgd_run_rows);
            const std::size_t m = run.end - run.begin, t = rule_.steps();
            if (constant_lr) {
                run.lr = static_cast<T>(c_.lr_at(t));
            } else {
                lrs_.resize(m);
                for (std::size_t k = 0; k < m; ++k) lrs_[k] = static_cast<T>(c_.lr_at(t + k));
                run.lrs = lrs_.data();
            }
            const double run_sum_sq = kernel(run, out_.theta.data());
            sum_sq += run_sum_sq;
            for (std::size_t k = 0; k < m; ++k) rule_.count_step();
            if (x_unchecked_ && !std::isfinite(run_sum_sq) && !check_x()) return false;
            if (poller_.tick(m * (d_ + 1))) return false;
        }
        x_unchecked_ = false;  // every row had a finite residual: X is finite
        return true;
    }

    /// The epoch's mini-batch steps (any rule, any batch size). Adds the batches'
    /// squared residuals to sum_sq; false when the poller asked to stop.
    bool batch_epoch(double& epoch_sum_sq) {
        std::size_t prefetched = 0;
        for (std::size_t start = 0; start < n_; start += c_.batch_size) {
            const std::size_t m = std::min(c_.batch_size, n_ - start);
            const std::size_t ahead = std::min(n_, start + m + std::max(m, prefetch_rows_ahead));
            if (prefetched < ahead) {
                prefetch_rows(A_, order_.data(), prefetched, ahead);
                prefetched = ahead;
            }
            if (m <= chunk_rows) {
                epoch_sum_sq += small_batch_.step(A_, order_.data() + start, m, out_.theta, rule_, c_);
            } else {
                design<T> batch = A_;
                batch.idx = order_.data() + start;
                batch.n = m;
                residual_sums_into(batch, out_.theta.data(), c_.n_threads, sums_);
                epoch_sum_sq += sums_.sum_sq;
                scale_to_mean(sums_, m, out_.theta, d_, c_.l2);
                rule_.step_rounded(out_.theta.data(), sums_.grad.data(), p_, c_.lr_at(rule_.steps()));
            }
            if (poller_.tick(m * (d_ + 1))) return false;
        }
        return true;
    }

    /// After an epoch with this loss: where the full gradient is at hand (full batch,
    /// or recorded), a passing optimality test ends the fit ("converged"); then
    /// scikit-learn's rule when it is on ("no_improvement"), else a short step without
    /// the test is "stalled". Nothing when the fit goes on.
    std::optional<fit_status> check_stop(double loss) {
        const bool at_hand = may_stop_ && (full_batch_ || c_.record);
        if (at_hand && measure(sums_) <= c_.gtol_stop) return fit_status::converged;
        if (c_.plateau.on()) return c_.plateau_after_epoch(loss, rule_.steps());
        if (distance(out_.theta, previous_) < c_.tol) {
            const bool optimal = at_hand ? out_.optimality <= c_.gtol : measure_with_a_pass();
            return optimal ? fit_status::converged : fit_status::stalled;
        }
        return std::nullopt;
    }

    // The optimality test (optimality_measure): ||y_c|| once (a pass over y only),
    // the column norms once per fit (free from the Gram form; one pass over X
    // otherwise, fused with the final gradient of a mini-batch fit that records
    // nothing), and the gradient wherever it is at hand: every full-batch step,
    // every recorded epoch, and one full pass when a mini-batch fit stops by tol.
    double measure(const residual_sums<T>& s) {  // s: the mean gradient, unscaled sum_sq
        if (col_sq_.empty()) {
            if (use_gram_) {
                col_sq_.resize(p_);
                for (std::size_t j = 0; j < p_; ++j) col_sq_[j] = F_.G[j * p_ + j];
            } else {
                residual_sums<T> unused;
                column_residual_sums(A_, out_.theta.data(), c_.n_threads, unused, col_sq_);
            }
        }
        if (std::isnan(y_c_sq_)) y_c_sq_ = centred_square_sum(A_.y, n_, A_.intercept);
        out_.optimality =
            optimality_measure(s.grad.data(), col_sq_.data(), p_, d_, out_.theta.data(), c_.l2, n_, s.sum_sq, y_c_sq_);
        return out_.optimality;
    }

    // At the end of a mini-batch fit: one pass for the gradient and the column norms.
    bool measure_with_a_pass() {
        residual_sums<T> s;
        column_residual_sums(A_, out_.theta.data(), c_.n_threads, s, col_sq_);
        scale_to_mean(s, n_, out_.theta, d_, c_.l2);
        return measure(s) <= c_.gtol;
    }

    const design<T>& A_;
    fit_config c_;
    interrupt_poller& poller_;
    optimizer<T>& rule_;
    OnEpoch& on_epoch_;
    const std::size_t p_, n_, d_;
    const bool from_zero_, full_batch_, use_gram_;
    const bool may_stop_;  // no rule on (tol None in Python) runs exactly max_iter epochs
    fit_output<T> out_;
    gram_form F_;
    residual_sums<T> sums_;
    std::vector<T> previous_;
    std::vector<std::size_t> order_;
    std::vector<T> lrs_;  // single-sample SGD with a schedule: the rates of a run's steps
    bool x_unchecked_ = false;  // verify_x_finite, until X is known finite or not
    small_batch_stepper<T> small_batch_;
    std::vector<double> col_sq_;
    double y_c_sq_ = std::nan("");
};

}  // namespace detail

/// Runs the descent from theta0 (p values, [w, b]; empty: zeros) with `rule`, whose
/// state carries over from earlier fits (partial_fit, warm starts) and on to later
/// ones, as config (the fit plan) says. on_epoch(epoch, loss, theta) runs after
/// every epoch and returns true to stop ("stopped"). A.idx must be nullptr. poller
/// is ticked with the work done. The status is "converged" only where the
/// optimality test passed (see fit_config::gtol and optimality_measure); a step
/// shorter than tol without it is "stalled"; tol < 0 runs max_iter epochs.
template <typename T, typename OnEpoch = no_epoch_callback>
fit_output<T> fit_least_squares(const design<T>& A, const fit_config& config, interrupt_poller& poller,
                                optimizer<T>& rule, std::vector<T> theta0 = {}, OnEpoch&& on_epoch = OnEpoch{}) {
    return detail::least_squares_fit<T, std::remove_reference_t<OnEpoch>>(A, config, poller, rule, std::move(theta0),
                                                                         on_epoch)
        .run();
}

}  // namespace fastgd
