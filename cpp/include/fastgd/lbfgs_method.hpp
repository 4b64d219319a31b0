#pragma once
/// lbfgs_method: L-BFGS (lbfgs_history.hpp), H0 = (s.y / y.y) I of the newest pair,
/// a pair skipped when y.s <= eps y.y; strong Wolfe (More-Thuente, c1 = 1e-3,
/// c2 = 0.9 as scipy's L-BFGS-B) or Armijo; the first trial step min(1, 1/||p||) at
/// the first iteration without a box (1 in a box, as L-BFGS-B), 1 after. A failed search clears the history and retries once
/// along -g. With a box: the active-set projected L-BFGS (NOT L-BFGS-B's generalized
/// Cauchy point and subspace minimization): the coordinates at a bound whose gradient
/// points out of the box are held (their gradient and direction components 0), the
/// two-loop direction acts on the free ones, with the pairs restricted to them (a
/// descent direction: g.p = -g_F.H_F g_F);
/// the step is the strong Wolfe search capped at the boundary (t <= t_max, x + t p in
/// the box) when the first trial step fits, else (or with line_search "armijo") an
/// Armijo backtracking along the projected path P(x + t p). x never leaves the box.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "fastgd/dispatch.hpp"
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
        step_sums_valid_ = false;
        const box_bounds& box = fg.box();
        p_.resize(d), xt_.resize(d), gt_.resize(d);
        // The gradient with the held coordinates 0 (g itself without a box).
        if (box.active()) {
            gf_.resize(d);
            for (std::size_t j = 0; j < d; ++j) gf_[j] = box.held(j, x.data(), g.data()) ? 0.0 : g[j];
        }
        const std::vector<double>& gf = box.active() ? gf_ : g;
        search_result r = search_result::failed;
        double ft = 0.0;
        for (int attempt = 0; attempt < 2 && r == search_result::failed; ++attempt) {
            if (attempt == 1) {
                if (memory_.size() == 0) break;  // already along -g: no retry
                memory_.clear();
            }
            const double gp = direction(gf, box, x, g);
            if (!(gp < 0.0)) {
                if (memory_.size() == 0) return step_outcome::failed;  // -g_F is 0: nothing to do
                continue;
            }
            const double first =
                iterations_ == 0 && !box.active() ? std::min(1.0, 1.0 / detail::norm2(p_)) : 1.0;
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
        // The new pair: s = x_new - x, y = g_new - g (xt_, gt_ still hold the new point),
        // written straight into the history's spare slot, y.s, y.y, s.s and g_new.g_new
        // and the next direction's products with g_new in the same pass.
        memory_.new_pair(x.data(), xt_.data(), g.data(), gt_.data(), step_sums_);
        step_sums_valid_ = true;
        const double ys = step_sums_[0], yy = step_sums_[1];
        if (ys > std::numeric_limits<double>::epsilon() * yy) {
            memory_.commit_new_pair(1.0 / ys);
            gamma_ = ys / yy;
        }
        return detail::take(r, x, f, g, xt_, ft, gt_);
    }

    /// After a step: nullptr when x did not move, else {y.s, y.y, ||x_new - x||^2,
    /// ||g_new||^2} of the step (summed by the new pair's pass).
    const double* step_sums() const { return step_sums_valid_ ? step_sums_ : nullptr; }

private:
    /// p_ = -H gf (the held coordinates 0); returns g.p_. With coordinates held, H is
    /// the L-BFGS matrix of the pairs restricted to the free coordinates (s_F, y_F; a
    /// pair with y_F.s_F <= eps y_F.y_F left out), so that the direction is the reduced
    /// problem's own quasi-Newton step rather than a slice of the full one.
    double direction(const std::vector<double>& gf, const box_bounds& box, const std::vector<double>& x,
                     const std::vector<double>& g) {
        const std::size_t d = gf.size();
        if (memory_.size() == 0) {
            for (std::size_t j = 0; j < d; ++j) p_[j] = -gf[j];
            return dot(g, p_);
        }
        free_.assign(d, 1);
        bool any_held = false;
        if (box.active())
            for (std::size_t j = 0; j < d; ++j)
                if (box.held(j, x.data(), g.data())) free_[j] = 0, any_held = true;
        if (!any_held) return memory_.compact_direction(gf.data(), p_.data(), gamma_);  // gf = g here
        const std::size_t m = memory_.size();
        alpha_.assign(m, 0.0), rho_.assign(m, 0.0);
        auto masked_dot = [&](const double* a, const double* b) {
            double t = 0.0;
            for (std::size_t j = 0; j < d; ++j)
                if (free_[j]) t += a[j] * b[j];
            return t;
        };
        double gamma = 0.0;
        for (std::size_t i = m; i-- > 0;) {
            const double ys = masked_dot(memory_.y(i), memory_.s(i));
            const double yy = masked_dot(memory_.y(i), memory_.y(i));
            if (ys > std::numeric_limits<double>::epsilon() * yy && yy > 0.0) {
                rho_[i] = 1.0 / ys;
                if (gamma == 0.0) gamma = ys / yy;  // the newest pair kept
            }
        }
        if (gamma == 0.0) gamma = 1.0;
        for (std::size_t j = 0; j < d; ++j) p_[j] = free_[j] ? -gf[j] : 0.0;
        for (std::size_t i = m; i-- > 0;) {
            if (rho_[i] == 0.0) continue;
            const double* yi = memory_.y(i);
            alpha_[i] = rho_[i] * masked_dot(memory_.s(i), p_.data());
            for (std::size_t j = 0; j < d; ++j)
                if (free_[j]) p_[j] -= alpha_[i] * yi[j];
        }
        for (std::size_t j = 0; j < d; ++j) p_[j] *= gamma;
        for (std::size_t i = 0; i < m; ++i) {
            if (rho_[i] == 0.0) continue;
            const double* si = memory_.s(i);
            const double b = rho_[i] * masked_dot(memory_.y(i), p_.data());
            for (std::size_t j = 0; j < d; ++j)
                if (free_[j]) p_[j] += (alpha_[i] - b) * si[j];
        }
        return dot(g, p_);
    }

    lbfgs_history memory_;
    bool wolfe_;
    double gamma_ = 1.0;
    std::size_t iterations_ = 0;
    double step_sums_[4] = {};
    bool step_sums_valid_ = false;
    std::vector<double> gf_, p_, xt_, gt_, alpha_, rho_;
    std::vector<unsigned char> free_;
};

}  // namespace fastgd
