#pragma once
/// lbfgs_method: L-BFGS (lbfgs_history.hpp), H0 = (s.y / y.y) I of the newest pair,
/// a pair skipped when y.s <= eps y.y; strong Wolfe (More-Thuente, c1 = 1e-3,
/// c2 = 0.9 as scipy's L-BFGS-B) or Armijo; the first trial step min(1, 1/||p||) at
/// the first iteration, 1 after. A failed search clears the history and retries once
/// along -g. With a box: the active-set projected L-BFGS (NOT L-BFGS-B's generalized
/// Cauchy point and subspace minimization): the coordinates at a bound whose gradient
/// points out of the box are held (their gradient and direction components 0), the
/// two-loop direction acts on the free ones (a descent direction: g.p = -g_F.H g_F);
/// the step is the strong Wolfe search capped at the boundary (t <= t_max, x + t p in
/// the box) when the first trial step fits, else (or with line_search "armijo") an
/// Armijo backtracking along the projected path P(x + t p). x never leaves the box.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "fastgd/lbfgs_history.hpp"
#include "fastgd/method_common.hpp"

namespace fastgd {

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

}  // namespace fastgd
