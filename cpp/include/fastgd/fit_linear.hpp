#pragma once
/// A linear model under any of scikit-learn's SGD losses (linear_loss.hpp) by gradient
/// descent: the whole loop (epochs, shuffles, mini-batches, steps, proximal l1 steps,
/// stopping rules) with no Python in it. The sibling of fit_least_squares.hpp: it
/// shares its configuration (fit_config), row order (permutation.hpp), update rules
/// (optimizer.hpp), divergence rule and statuses; the gradient comes from the loss
/// kernels instead of the least-squares residual kernel.
///
/// Objective: J = (1/m) sum_i s_i L(z_i, y_i) + alpha ((1 - rho)/2 ||w||^2 + rho ||w||_1),
/// over the m rows of a step (all n for full batch). Parameters: theta = [w (d K values,
/// W row-major for the multinomial), b (K values)], K = 1 for binary and regression
/// losses; b stays 0 when the intercept is not fitted.
///
/// l1 (rho alpha > 0) is applied by proximal steps: after each step of the rule on the
/// smooth part, w <- soft_threshold(w, lr alpha rho) (the intercept never). Full batch
/// with plain gradient descent is FISTA with gradient restart (O'Donoghue & Candes 2015),
/// or ISTA when `accelerate` is off.

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

#include "fastgd/fit_least_squares.hpp"
#include "fastgd/linear_loss.hpp"

namespace fastgd {

struct linear_fit_config {
    fit_config base;  // lr (a given number or schedule: lr_auto is not used), gradient (stream or batch), ...
    loss_spec loss{loss_kind::squared_error, 0.1};
    std::size_t n_classes = 1;  // > 1: the multinomial log loss (labels), else y
    double alpha = 0.0;
    double l1_ratio = 0.0;
    bool accelerate = false;  // FISTA with restart (full batch, plain steps)
    /// The scale of the loss's derivative for the optimality test: rms of y centred
    /// (regression), 1 (classification).
    double derivative_scale = 1.0;
};

namespace detail {

/// One linear-model fit in named steps (the shape of least_squares_fit). M is the
/// matrix: design<T> (dense) or csr_design<T, I> (CSR); the loop is the same.
template <typename T, typename M, typename OnEpoch>
class linear_fit {
public:
    linear_fit(const M& A, const T* sw, const int* labels, const linear_fit_config& config,
               interrupt_poller& poller, optimizer<T>& rule, std::vector<T> theta0, OnEpoch& on_epoch)
        : A_(A), sw_(sw), labels_(labels), c_(config), poller_(poller), rule_(rule), on_epoch_(on_epoch),
          n_(A.n), d_(A.d), K_(config.n_classes), nw_(A.d * config.n_classes), p_(nw_ + config.n_classes),
          full_batch_(config.base.full_batch()), may_stop_(config.base.may_stop()),
          l1_(config.alpha * config.l1_ratio), l2_(config.alpha * (1.0 - config.l1_ratio)) {
        if (!full_batch_ && c_.base.batch_size == 0) throw std::invalid_argument("batch_size must be >= 1");
        if (c_.base.lr_auto) throw std::invalid_argument("fit_linear takes its learning rate given");
        if (theta0.empty()) theta0.assign(p_, T(0));
        if (theta0.size() != p_) throw std::invalid_argument("theta0 must have one value per parameter");
        out_.theta = std::move(theta0);
        if (!A_.intercept)
            for (std::size_t k = 0; k < K_; ++k) out_.theta[nw_ + k] = T(0);
    }

    fit_output<T> run() {
        const fit_config& c = c_.base;
        double loss = full_loss_and_grad(out_.theta, grad_);
        const divergence_rule diverged(loss);
        if (c.record) record(loss);
        if (diverged(loss, out_.theta.data(), p_)) return stop_with(fit_status::diverged);
        if (may_stop_ && full_batch_ && measure(grad_) <= c.gtol_stop) return stop_with(fit_status::converged);
        if (!full_batch_ && c.shuffle == shuffle_kind::none) {
            order_.resize(n_);
            std::iota(order_.begin(), order_.end(), std::size_t{0});
        }
        for (std::size_t epoch = 0; epoch < c.max_iter; ++epoch) {
            previous_ = out_.theta;
            if (!one_epoch(epoch, loss)) {
                out_.n_iter = epoch;
                return stop_with(fit_status::stopped);
            }
            out_.n_iter = epoch + 1;
            if (c.record) record(loss);
            if (diverged(loss, out_.theta.data(), p_)) return stop_with(fit_status::diverged);
            if (on_epoch_(out_.n_iter, loss, out_.theta)) return stop_with(fit_status::stopped);
            if (const auto status = check_stop(loss)) return stop_with(*status);
            if (poller_.tick(n_ * (nw_ + 1))) return stop_with(fit_status::stopped);
        }
        return stop_with(fit_status::max_iter);
    }

private:
    void record(double loss) {
        out_.losses.push_back(loss);
        out_.path.insert(out_.path.end(), out_.theta.begin(), out_.theta.end());
    }

    fit_output<T> stop_with(fit_status status) {
        out_.status = status;
        return std::move(out_);
    }

    /// The mean loss (with the whole penalty) over the rows of B at theta, and into g
    /// the gradient of its smooth part (the l2 term; l1 is the proximal step's).
    double loss_and_grad(const M& B, const std::vector<T>& theta, std::vector<double>& g) {
        if (K_ > 1)
            softmax_sums_into(B, labels_, sw_, theta.data(), theta.data() + nw_, K_, c_.base.n_threads, sums_);
        else
            linear_loss_sums_into(B, sw_, c_.loss, theta.data(), c_.base.n_threads, sums_);
        const double inv = 1.0 / static_cast<double>(B.n);
        g.assign(sums_.grad.begin(), sums_.grad.end());
        for (double& x : g) x *= inv;
        if (!A_.intercept)
            for (std::size_t k = 0; k < K_; ++k) g[nw_ + k] = 0.0;
        double value = inv * sums_.loss;
        if (c_.alpha != 0.0) {
            // The smooth part's gradient (l1_ratio 0), the whole penalty's value.
            value += add_penalty(theta.data(), nw_, l2_, 0.0, g.data());
            double ab = 0.0;
            for (std::size_t j = 0; j < nw_; ++j) ab += std::fabs(static_cast<double>(theta[j]));
            value += l1_ * ab;
        }
        return value;
    }

    double full_loss_and_grad(const std::vector<T>& theta, std::vector<double>& g) {
        return loss_and_grad(A_, theta, g);
    }

    /// w <- soft_threshold(w, threshold): the proximal map of threshold ||w||_1.
    void soft_threshold(std::vector<T>& theta, double threshold) const {
        if (!(threshold > 0.0)) return;
        for (std::size_t j = 0; j < nw_; ++j) {
            const double w = static_cast<double>(theta[j]);
            const double shrunk = std::fabs(w) - threshold;
            theta[j] = shrunk > 0.0 ? static_cast<T>(w > 0 ? shrunk : -shrunk) : T(0);
        }
    }

    /// A step of the rule on gradient g (at theta), then the proximal l1 step.
    void prox_step(std::vector<T>& theta, const std::vector<double>& g) {
        const double lr = c_.base.lr_at(rule_.steps());  // times the adaptive rule's factor
        rule_.step_rounded(theta.data(), g.data(), p_, lr);
        soft_threshold(theta, lr * l1_);
    }

    bool one_epoch(std::size_t epoch, double& loss) {
        const fit_config& c = c_.base;
        if (full_batch_) {
            if (!c_.accelerate) {
                prox_step(out_.theta, grad_);  // grad_ is at theta (from the last evaluation)
                loss = full_loss_and_grad(out_.theta, grad_);
                return true;
            }
            // FISTA: the step from the extrapolated point y, with a restart whenever
            // the momentum points against the step (the gradient restart).
            if (y_.empty()) {
                y_ = out_.theta;
                grad_y_ = grad_;
            }
            std::vector<T> next = y_;
            prox_step(next, grad_y_);
            double align = 0.0;
            for (std::size_t j = 0; j < p_; ++j)
                align += (static_cast<double>(y_[j]) - static_cast<double>(next[j])) *
                         (static_cast<double>(next[j]) - static_cast<double>(out_.theta[j]));
            const double t_next = 0.5 * (1.0 + std::sqrt(1.0 + 4.0 * t_ * t_));
            const double beta = align > 0.0 ? 0.0 : (t_ - 1.0) / t_next;
            t_ = align > 0.0 ? 1.0 : t_next;
            for (std::size_t j = 0; j < p_; ++j)
                y_[j] = static_cast<T>(static_cast<double>(next[j]) +
                                       beta * (static_cast<double>(next[j]) - static_cast<double>(out_.theta[j])));
            out_.theta = std::move(next);
            loss = full_loss_and_grad(out_.theta, grad_);
            if (beta == 0.0)
                grad_y_ = grad_;  // y = theta
            else
                loss_and_grad(A_, y_, grad_y_);
            return true;
        }
        epoch_order(c.shuffle, c.seed, epoch, n_, c.shuffle_block_rows, order_, c.n_threads);
        double epoch_sum = 0.0;
        for (std::size_t start = 0; start < n_; start += c.batch_size) {
            const std::size_t m = std::min(c.batch_size, n_ - start);
            M batch = A_;
            batch.idx = order_.data() + start;
            batch.n = m;
            epoch_sum += loss_and_grad(batch, out_.theta, batch_grad_) * static_cast<double>(m);
            prox_step(out_.theta, batch_grad_);
            if (poller_.tick(m * (nw_ + 1))) return false;
        }
        loss = c.record ? full_loss_and_grad(out_.theta, grad_) : epoch_sum / static_cast<double>(n_);
        return true;
    }

    std::optional<fit_status> check_stop(double loss) {
        const fit_config& c = c_.base;
        const bool at_hand = may_stop_ && (full_batch_ || c.record);
        if (at_hand && measure(grad_) <= c.gtol_stop) return fit_status::converged;
        if (c.plateau.on()) return c_.base.plateau_after_epoch(loss, rule_.steps());  // scikit-learn's rule
        if (distance(out_.theta, previous_) < c.tol) {
            bool optimal;
            if (at_hand) {
                optimal = out_.optimality <= c.gtol;
            } else {
                full_loss_and_grad(out_.theta, grad_);
                optimal = measure(grad_) <= c.gtol;
            }
            return optimal ? fit_status::converged : fit_status::stalled;
        }
        return std::nullopt;
    }

    /// The first-order optimality test: the minimum-norm subgradient G of J at theta
    /// (g the smooth part's gradient; for w_j = 0 under l1, max(0, |g_j| - alpha rho),
    /// else g_j + alpha rho sign(w_j)), each relative to the size a gradient entry
    /// has, rms(a_j) * derivative_scale + alpha (1 - rho) |w_j| (rms of column j of
    /// A = [X, 1]): max_j |G_j| / scale_j. Invariant to rescaling a column of X.
    double measure(const std::vector<double>& g) {
        if (col_rms_.empty()) {
            column_square_sums(A_, col_rms_);  // over the nonzeros only for CSR
            for (double& s : col_rms_) s = std::sqrt(s / static_cast<double>(n_));
        }
        double worst = 0.0;
        for (std::size_t j = 0; j < p_; ++j) {
            const bool weight = j < nw_;
            const double w = static_cast<double>(out_.theta[j]);
            double G = g[j];
            if (weight && l1_ > 0.0) G = w != 0.0 ? G + l1_ * (w > 0 ? 1.0 : -1.0) : std::max(0.0, std::fabs(G) - l1_);
            const double rms = weight ? col_rms_[j / K_] : (A_.intercept ? 1.0 : 0.0);
            const double scale = rms * c_.derivative_scale + (weight ? l2_ * std::fabs(w) : 0.0);
            if (scale > 0.0) worst = std::max(worst, std::fabs(G) / scale);
            else if (G != 0.0) worst = INFINITY;
        }
        out_.optimality = worst;
        return worst;
    }

    const M& A_;
    const T* sw_;
    const int* labels_;
    linear_fit_config c_;
    interrupt_poller& poller_;
    optimizer<T>& rule_;
    OnEpoch& on_epoch_;
    const std::size_t n_, d_, K_, nw_, p_;
    const bool full_batch_, may_stop_;
    const double l1_, l2_;
    fit_output<T> out_;
    loss_sums sums_;
    std::vector<double> grad_, grad_y_, batch_grad_;
    std::vector<T> previous_, y_;
    double t_ = 1.0;
    std::vector<std::size_t> order_;
    std::vector<double> col_rms_;
};

}  // namespace detail

/// Runs the descent from theta0 (p = d K + K values; empty: zeros) as config says.
/// y: n targets or labels in {-1, +1} (K = 1; nullptr for the multinomial); labels:
/// n class indices in [0, K) (the multinomial; checked by the caller); sw: n weights
/// or nullptr. A: design<T> (dense) or csr_design<T, I> (CSR, its arrays read in
/// place). Statuses as fit_least_squares.
template <typename T, typename M, typename OnEpoch = no_epoch_callback>
fit_output<T> fit_linear(const M& A, const T* sw, const int* labels, const linear_fit_config& config,
                         interrupt_poller& poller, optimizer<T>& rule, std::vector<T> theta0 = {},
                         OnEpoch&& on_epoch = OnEpoch{}) {
    return detail::linear_fit<T, M, std::remove_reference_t<OnEpoch>>(A, sw, labels, config, poller, rule,
                                                                     std::move(theta0), on_epoch)
        .run();
}

}  // namespace fastgd
