#pragma once
/// How minimize's one loop (minimize.hpp) makes a step: a *method* moves (x, f, g) to
/// the next iterate, calling the loop's counted objective as often as it needs. The
/// loop records, applies the stopping rules and the optimality test, polls Ctrl-C.
///
/// A method's step(fg, x, f, g) returns step_outcome::moved (x, f, g hold the new
/// iterate, or the objective asked to stop: fg.stopped()) or step_outcome::failed
/// (no acceptable step: x, f, g unchanged). fg(x, g) returns f(x) and writes g(x);
/// fg.box() is the box (P = its projection); fg.stopped() the objective's stop flag.
///
/// - first_order_method: an optimizer<double> rule (gd, adam, ...) with its learning
///   rate; line search "none" (the rule's step, then P: projected gradient) or
///   "armijo" (backtracking on the rule's proposed step p = P(x_rule) - x; when
///   g.p >= 0, as momentum can propose, the rule's step is taken unchanged).
/// - lbfgs_method: L-BFGS (lbfgs_history.hpp), H0 = (s.y / y.y) I of the newest pair,
///   a pair skipped when y.s <= eps y.y; strong Wolfe (More-Thuente, c1 = 1e-3,
///   c2 = 0.9 as scipy's L-BFGS-B) or Armijo; the first trial step min(1, 1/||p||) at
///   the first iteration, 1 after. A failed search clears the history and retries once
///   along -g. With a box: the active-set projected L-BFGS (NOT L-BFGS-B's generalized
///   Cauchy point and subspace minimization): the coordinates at a bound whose gradient
///   points out of the box are held (their gradient and direction components 0), the
///   two-loop direction acts on the free ones (a descent direction: g.p = -g_F.H g_F);
///   the step is the strong Wolfe search capped at the boundary (t <= t_max, x + t p in
///   the box) when the first trial step fits, else (or with line_search "armijo") an
///   Armijo backtracking along the projected path P(x + t p). x never leaves the box.
/// - cg_method: nonlinear conjugate gradient, Polak-Ribiere+ (beta = max(0, PR)),
///   restarted along -g every d iterations and whenever p is not a descent direction;
///   strong Wolfe with c1 = 1e-4, c2 = 0.1 (Nocedal & Wright's choice for CG; scipy's
///   CG uses 0.4); first trial step min(1, 1.01 * 2 (f_k - f_{k-1}) / g.p) (N&W 3.60,
///   as scipy), min(1, 1.01 / ||g||) at the first iteration. No box.
/// - bfgs_method: dense inverse-Hessian BFGS (N&W 6.17), H0 = I for the first step
///   (trial step min(1, 1/||g||)), rescaled to (s.y / y.y) I before the first update
///   (N&W 6.20); strong Wolfe c1 = 1e-4, c2 = 0.9 (or Armijo). d <= max_bfgs_dimension.
///   No box.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "fastgd/box_bounds.hpp"
#include "fastgd/lbfgs_history.hpp"
#include "fastgd/line_search.hpp"
#include "fastgd/optimizer.hpp"
#include "fastgd/schedule.hpp"

namespace fastgd {

enum class step_outcome { moved, failed };

enum class line_search_kind { none, armijo, strong_wolfe };

/// Dense BFGS holds d * d doubles: larger problems are refused (use lbfgs).
constexpr std::size_t max_bfgs_dimension = 2000;

namespace detail {
constexpr double armijo_c1 = 1e-4;
constexpr std::size_t armijo_max_evals = 31;  // t = 1, 1/2, ..., 2^-30
constexpr std::size_t wolfe_max_evals = 20;   // L-BFGS-B's maxls
constexpr double max_step = 1e10;             // L-BFGS-B's largest step without a box

/// The largest t with x + t p inside the box (max_step without a box or a limit).
inline double step_to_boundary(const box_bounds& box, const std::vector<double>& x, const std::vector<double>& p) {
    double t = max_step;
    if (!box.active()) return t;
    for (std::size_t j = 0; j < x.size(); ++j) {
        if (p[j] < 0.0) t = std::min(t, (box.lower[j] - x[j]) / p[j]);
        if (p[j] > 0.0) t = std::min(t, (box.upper[j] - x[j]) / p[j]);
    }
    return std::max(t, 0.0);
}

inline double norm2(const std::vector<double>& v) { return std::sqrt(dot(v, v)); }

/// Moves (x, f, g) to the search's point when accepted.
inline step_outcome take(search_result r, std::vector<double>& x, double& f, std::vector<double>& g,
                         std::vector<double>& xt, double ft, std::vector<double>& gt) {
    if (r == search_result::failed) return step_outcome::failed;
    if (r == search_result::accepted) {
        x.swap(xt);
        g.swap(gt);
        f = ft;
    }
    return step_outcome::moved;  // accepted, or stopped (the loop sees fg.stopped())
}
}  // namespace detail

class first_order_method {
public:
    first_order_method(const rule_params& p, const schedule& lr, line_search_kind search)
        : rule_(p), lr_(lr), armijo_(search == line_search_kind::armijo) {}

    const optimizer<double>& rule() const { return rule_; }
    void set_schedule(const schedule& lr) { lr_ = lr; }

    template <typename F>
    step_outcome step(F& fg, std::vector<double>& x, double& f, std::vector<double>& g) {
        const std::size_t d = x.size();
        if (!armijo_) {
            rule_.step(x.data(), g.data(), d, lr_.at(rule_.steps()));
            fg.box().project(x.data(), d);
            f = fg(x.data(), g.data());
            return step_outcome::moved;
        }
        xr_ = x;
        rule_.step(xr_.data(), g.data(), d, lr_.at(rule_.steps()));
        fg.box().project(xr_.data(), d);
        p_.resize(d);
        for (std::size_t j = 0; j < d; ++j) p_[j] = xr_[j] - x[j];
        if (!(dot(g, p_) < 0.0)) {  // not a descent step (momentum, or none): the rule's step as it is
            x.swap(xr_);
            f = fg(x.data(), g.data());
            return step_outcome::moved;
        }
        xt_.resize(d), gt_.resize(d);
        double ft = 0.0;
        const search_result r =
            armijo_search(fg, x, f, g, p_, 1.0, detail::armijo_c1, detail::armijo_max_evals, xt_, ft, gt_);
        return detail::take(r, x, f, g, xt_, ft, gt_);
    }

private:
    optimizer<double> rule_;
    schedule lr_;
    bool armijo_;
    std::vector<double> xr_, p_, xt_, gt_;
};

class lbfgs_method {
public:
    lbfgs_method(std::size_t history, std::size_t d, line_search_kind search)
        : memory_(history, d), wolfe_(search != line_search_kind::armijo) {}

    template <typename F>
    step_outcome step(F& fg, std::vector<double>& x, double& f, std::vector<double>& g) {
        const std::size_t d = x.size();
        const box_bounds& box = fg.box();
        gf_.resize(d), p_.resize(d), xt_.resize(d), gt_.resize(d);
        for (std::size_t j = 0; j < d; ++j) gf_[j] = box.held(j, x.data(), g.data()) ? 0.0 : g[j];
        search_result r = search_result::failed;
        double ft = 0.0;
        for (int attempt = 0; attempt < 2 && r == search_result::failed; ++attempt) {
            if (attempt == 1) {
                if (memory_.size() == 0) break;  // already along -g: no retry
                memory_.clear();
            }
            direction(gf_, box, x, g);
            const double gp = dot(g, p_);
            if (!(gp < 0.0)) {
                if (memory_.size() == 0) return step_outcome::failed;  // -g_F is 0: nothing to do
                continue;
            }
            const double first = iterations_ == 0 ? std::min(1.0, 1.0 / detail::norm2(p_)) : 1.0;
            // With a box: strong Wolfe up to the boundary when the first trial fits
            // before it (the step of L-BFGS-B's line search), else Armijo along P(x + t p).
            const double stpmax = detail::step_to_boundary(box, x, p_);
            if (wolfe_ && first <= stpmax)
                r = wolfe_search(fg, x, f, p_, gp, first, stpmax, 1e-3, 0.9, detail::wolfe_max_evals, xt_, ft, gt_);
            else
                r = armijo_search(fg, x, f, g, p_, first, detail::armijo_c1, detail::armijo_max_evals, xt_, ft,
                                  gt_);
        }
        if (r != search_result::accepted) return detail::take(r, x, f, g, xt_, ft, gt_);
        ++iterations_;
        // The new pair: s = x_new - x, y = g_new - g (xt_, gt_ still hold the new point).
        s_.resize(d), y_.resize(d);
        for (std::size_t j = 0; j < d; ++j) s_[j] = xt_[j] - x[j], y_[j] = gt_[j] - g[j];
        const double ys = dot(y_, s_), yy = dot(y_, y_);
        if (ys > std::numeric_limits<double>::epsilon() * yy) {
            memory_.push(s_.data(), y_.data(), ys);
            gamma_ = ys / yy;
        }
        return detail::take(r, x, f, g, xt_, ft, gt_);
    }

private:
    /// p_ = -H gf (the held coordinates 0).
    void direction(const std::vector<double>& gf, const box_bounds& box, const std::vector<double>& x,
                   const std::vector<double>& g) {
        if (memory_.size() == 0) {
            for (std::size_t j = 0; j < gf.size(); ++j) p_[j] = -gf[j];
            return;
        }
        memory_.descent_direction(gf.data(), p_.data(), gamma_);
        if (box.active())
            for (std::size_t j = 0; j < gf.size(); ++j)
                if (box.held(j, x.data(), g.data())) p_[j] = 0.0;
    }

    lbfgs_history memory_;
    bool wolfe_;
    double gamma_ = 1.0;
    std::size_t iterations_ = 0;
    std::vector<double> gf_, p_, xt_, gt_, s_, y_;
};

class cg_method {
public:
    explicit cg_method(line_search_kind search) : wolfe_(search != line_search_kind::armijo) {}

    template <typename F>
    step_outcome step(F& fg, std::vector<double>& x, double& f, std::vector<double>& g) {
        const std::size_t d = x.size();
        p_.resize(d), xt_.resize(d), gt_.resize(d);
        bool restart = !started_ || since_restart_ >= d;
        if (!restart) {
            // Polak-Ribiere+: beta = max(0, g.(g - g_prev) / g_prev.g_prev).
            double num = 0.0;
            for (std::size_t j = 0; j < d; ++j) num += g[j] * (g[j] - g_prev_[j]);
            const double beta = std::max(0.0, num / dot(g_prev_, g_prev_));
            for (std::size_t j = 0; j < d; ++j) p_[j] = -g[j] + beta * p_[j];
            if (!(dot(g, p_) < 0.0)) restart = true;
        }
        search_result r = search_result::failed;
        double ft = 0.0;
        for (int attempt = 0; attempt < 2 && r == search_result::failed; ++attempt) {
            if (attempt == 1) {
                if (restart) break;  // already along -g
                restart = true;
            }
            if (restart)
                for (std::size_t j = 0; j < d; ++j) p_[j] = -g[j];
            const double gp = dot(g, p_);
            if (!(gp < 0.0)) return step_outcome::failed;  // g = 0
            double first = started_ ? 1.01 * 2.0 * (f - f_prev_) / gp : 1.01 / detail::norm2(g);
            if (!(first > 0.0) || !std::isfinite(first)) first = 1.0;
            first = std::min(1.0, first);
            r = wolfe_ ? wolfe_search(fg, x, f, p_, gp, first, detail::max_step, 1e-4, 0.1, detail::wolfe_max_evals, xt_, ft, gt_)
                       : armijo_search(fg, x, f, g, p_, first, detail::armijo_c1, detail::armijo_max_evals, xt_,
                                       ft, gt_);
        }
        if (r == search_result::accepted) {
            since_restart_ = restart ? 1 : since_restart_ + 1;
            started_ = true;
            f_prev_ = f;
            g_prev_ = g;
        }
        return detail::take(r, x, f, g, xt_, ft, gt_);
    }

private:
    bool wolfe_;
    bool started_ = false;
    std::size_t since_restart_ = 0;
    double f_prev_ = 0.0;
    std::vector<double> p_, g_prev_, xt_, gt_;
};

class bfgs_method {
public:
    /// Allocates d * d doubles: the caller refuses d > max_bfgs_dimension first.
    bfgs_method(std::size_t d, line_search_kind search)
        : d_(d), h_(d * d, 0.0), wolfe_(search != line_search_kind::armijo) {
        for (std::size_t j = 0; j < d; ++j) h_[j * d + j] = 1.0;
    }

    template <typename F>
    step_outcome step(F& fg, std::vector<double>& x, double& f, std::vector<double>& g) {
        const std::size_t d = d_;
        p_.resize(d), xt_.resize(d), gt_.resize(d);
        search_result r = search_result::failed;
        double ft = 0.0;
        for (int attempt = 0; attempt < 2 && r == search_result::failed; ++attempt) {
            if (attempt == 1) {
                if (!updated_) break;
                reset();
            }
            for (std::size_t i = 0; i < d; ++i) {
                double t = 0.0;
                for (std::size_t j = 0; j < d; ++j) t += h_[i * d + j] * g[j];
                p_[i] = -t;
            }
            double gp = dot(g, p_);
            if (!(gp < 0.0)) {
                if (!updated_) return step_outcome::failed;
                continue;
            }
            const double first = updated_ ? 1.0 : std::min(1.0, 1.0 / detail::norm2(p_));
            r = wolfe_ ? wolfe_search(fg, x, f, p_, gp, first, detail::max_step, 1e-4, 0.9, detail::wolfe_max_evals, xt_, ft, gt_)
                       : armijo_search(fg, x, f, g, p_, first, detail::armijo_c1, detail::armijo_max_evals, xt_,
                                       ft, gt_);
        }
        if (r != search_result::accepted) return detail::take(r, x, f, g, xt_, ft, gt_);
        s_.resize(d), y_.resize(d), hy_.resize(d);
        for (std::size_t j = 0; j < d; ++j) s_[j] = xt_[j] - x[j], y_[j] = gt_[j] - g[j];
        const double ys = dot(y_, s_), yy = dot(y_, y_);
        if (ys > std::numeric_limits<double>::epsilon() * yy) {
            if (!updated_) {  // N&W (6.20): H0 = (y.s / y.y) I before the first update
                std::fill(h_.begin(), h_.end(), 0.0);
                for (std::size_t j = 0; j < d; ++j) h_[j * d + j] = ys / yy;
            }
            // H <- (I - rho s y')H(I - rho y s') + rho s s'
            //    = H + rho((1 + rho y'Hy) s s' - Hy s' - s (Hy)')  (H symmetric)
            const double rho = 1.0 / ys;
            for (std::size_t i = 0; i < d; ++i) {
                double t = 0.0;
                for (std::size_t j = 0; j < d; ++j) t += h_[i * d + j] * y_[j];
                hy_[i] = t;
            }
            const double yhy = dot(y_, hy_);
            const double a = rho * (1.0 + rho * yhy);
            for (std::size_t i = 0; i < d; ++i)
                for (std::size_t j = 0; j < d; ++j)
                    h_[i * d + j] += a * s_[i] * s_[j] - rho * (hy_[i] * s_[j] + s_[i] * hy_[j]);
            updated_ = true;
        }
        return detail::take(r, x, f, g, xt_, ft, gt_);
    }

private:
    void reset() {
        std::fill(h_.begin(), h_.end(), 0.0);
        for (std::size_t j = 0; j < d_; ++j) h_[j * d_ + j] = 1.0;
        updated_ = false;
    }

    std::size_t d_;
    std::vector<double> h_;
    bool wolfe_;
    bool updated_ = false;
    std::vector<double> p_, xt_, gt_, s_, y_, hy_;
};

}  // namespace fastgd
