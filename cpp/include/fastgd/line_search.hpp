#pragma once
/// Line searches for minimize's methods: a step length t along a direction p from x.
///
/// - More-Thuente (MINPACK-2's dcsrch/dcstep; J. J. More and D. J. Thuente, "Line search
///   algorithms with guaranteed sufficient decrease", ACM TOMS 20(3), 1994): finds t
///   with the strong Wolfe conditions
///       phi(t) <= phi(0) + ftol t phi'(0)   and   |phi'(t)| <= gtol |phi'(0)|
///   by safeguarded cubic/quadratic interpolation on phi(t) = f(x + t p). Written here
///   from the published algorithm (the same one scipy's _dcsrch.py ports); the state
///   machine of the Fortran (task = "FG", "CONVERGENCE", "WARNING ...") becomes a class
///   the caller feeds with (phi, phi') until it says done.
/// - Armijo backtracking: t = t0, t0/2, t0/4, ... the first t with
///   f(x + t p) <= f(x) + c1 t g.p (the caller evaluates; see minimize's methods).
///
/// Both are pure arithmetic on scalars: the caller owns the vectors and every
/// evaluation (and counts it).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "fastgd/box_bounds.hpp"
#include "fastgd/dot.hpp"

namespace fastgd {

/// One More-Thuente search. Call start(...) with phi(0), phi'(0) < 0 and the first
/// trial step; then evaluate phi and phi' at step() and call next(phi, dphi) until it
/// returns something other than line_search_state::evaluate.
enum class line_search_state {
    evaluate,   // evaluate at step() and call next()
    converged,  // step() satisfies the strong Wolfe conditions
    warning,    // no better step can be found (rounding, xtol, stpmax or stpmin reached)
    error       // bad input (phi'(0) >= 0, a step outside [stpmin, stpmax], ...)
};

class more_thuente {
public:
    more_thuente(double ftol, double gtol, double xtol, double stpmin, double stpmax)
        : ftol_(ftol), gtol_(gtol), xtol_(xtol), stpmin_(stpmin), stpmax_(stpmax) {}

    line_search_state start(double f0, double g0, double stp) {
        stp_ = stp;
        if (!(stp >= stpmin_) || !(stp <= stpmax_) || !(g0 < 0.0) || ftol_ < 0.0 || gtol_ < 0.0 ||
            xtol_ < 0.0 || stpmin_ < 0.0 || stpmax_ < stpmin_)
            return line_search_state::error;
        brackt_ = false;
        stage_ = 1;
        finit_ = f0;
        ginit_ = g0;
        gtest_ = ftol_ * ginit_;
        width_ = stpmax_ - stpmin_;
        width1_ = width_ / 0.5;
        stx_ = 0.0, fx_ = finit_, gx_ = ginit_;
        sty_ = 0.0, fy_ = finit_, gy_ = ginit_;
        stmin_ = 0.0;
        stmax_ = stp_ + xtrapu * stp_;
        return line_search_state::evaluate;
    }

    double step() const { return stp_; }

    /// phi and phi' at step(): the next state.
    line_search_state next(double f, double g) {
        const double ftest = finit_ + stp_ * gtest_;
        if (stage_ == 1 && f <= ftest && g >= 0.0) stage_ = 2;
        // Warnings: no progress possible.
        if (brackt_ && (stp_ <= stmin_ || stp_ >= stmax_)) return line_search_state::warning;
        if (brackt_ && stmax_ - stmin_ <= xtol_ * stmax_) return line_search_state::warning;
        if (stp_ == stpmax_ && f <= ftest && g <= gtest_) return line_search_state::warning;
        if (stp_ == stpmin_ && (f > ftest || g >= gtest_)) return line_search_state::warning;
        // The strong Wolfe conditions.
        if (f <= ftest && std::fabs(g) <= gtol_ * (-ginit_)) return line_search_state::converged;
        if (stage_ == 1 && f <= fx_ && f > ftest) {
            // Stage 1 on the modified function psi(t) = phi(t) - phi(0) - ftol t phi'(0)
            // while no step with psi <= 0 and phi' >= 0 has been seen.
            const double fm = f - stp_ * gtest_;
            double fxm = fx_ - stx_ * gtest_, fym = fy_ - sty_ * gtest_;
            const double gm = g - gtest_;
            double gxm = gx_ - gtest_, gym = gy_ - gtest_;
            dcstep(stx_, fxm, gxm, sty_, fym, gym, stp_, fm, gm);
            fx_ = fxm + stx_ * gtest_;
            fy_ = fym + sty_ * gtest_;
            gx_ = gxm + gtest_;
            gy_ = gym + gtest_;
        } else {
            dcstep(stx_, fx_, gx_, sty_, fy_, gy_, stp_, f, g);
        }
        // Bisect when the interval has not shrunk enough.
        if (brackt_) {
            if (std::fabs(sty_ - stx_) >= 0.66 * width1_) stp_ = stx_ + 0.5 * (sty_ - stx_);
            width1_ = width_;
            width_ = std::fabs(sty_ - stx_);
        }
        if (brackt_) {
            stmin_ = std::min(stx_, sty_);
            stmax_ = std::max(stx_, sty_);
        } else {
            stmin_ = stp_ + xtrapl * (stp_ - stx_);
            stmax_ = stp_ + xtrapu * (stp_ - stx_);
        }
        stp_ = std::min(std::max(stp_, stpmin_), stpmax_);
        // Rounding errors or the interval's width: the best step so far is the last try.
        if ((brackt_ && (stp_ <= stmin_ || stp_ >= stmax_)) || (brackt_ && stmax_ - stmin_ <= xtol_ * stmax_))
            stp_ = stx_;
        return line_search_state::evaluate;
    }

    /// The best step so far (lowest phi seen, the endpoint stx of the interval).
    double best_step() const { return stx_; }

private:
    static constexpr double xtrapl = 1.1, xtrapu = 4.0;

    /// dcstep: a safeguarded step from the interval [stx, sty] (values fx, fy,
    /// derivatives dx, dy) and the trial stp (fp, dp); updates the interval and stp.
    void dcstep(double& stx, double& fx, double& dx, double& sty, double& fy, double& dy, double& stp,
                double fp, double dp) {
        const double sgnd = dp * (dx / std::fabs(dx));
        double stpf;
        if (fp > fx) {
            // Case 1: a higher value. The minimum is bracketed.
            const double theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp;
            const double s = std::max({std::fabs(theta), std::fabs(dx), std::fabs(dp)});
            double gamma = s * std::sqrt((theta / s) * (theta / s) - (dx / s) * (dp / s));
            if (stp < stx) gamma = -gamma;
            const double p = (gamma - dx) + theta;
            const double q = ((gamma - dx) + gamma) + dp;
            const double r = p / q;
            const double stpc = stx + r * (stp - stx);
            const double stpq = stx + ((dx / ((fx - fp) / (stp - stx) + dx)) / 2.0) * (stp - stx);
            stpf = std::fabs(stpc - stx) < std::fabs(stpq - stx) ? stpc : stpc + (stpq - stpc) / 2.0;
            brackt_ = true;
        } else if (sgnd < 0.0) {
            // Case 2: lower value, derivatives of opposite sign. Bracketed.
            const double theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp;
            const double s = std::max({std::fabs(theta), std::fabs(dx), std::fabs(dp)});
            double gamma = s * std::sqrt((theta / s) * (theta / s) - (dx / s) * (dp / s));
            if (stp > stx) gamma = -gamma;
            const double p = (gamma - dp) + theta;
            const double q = ((gamma - dp) + gamma) + dx;
            const double r = p / q;
            const double stpc = stp + r * (stx - stp);
            const double stpq = stp + (dp / (dp - dx)) * (stx - stp);
            stpf = std::fabs(stpc - stp) > std::fabs(stpq - stp) ? stpc : stpq;
            brackt_ = true;
        } else if (std::fabs(dp) < std::fabs(dx)) {
            // Case 3: lower value, same sign, the derivative decreases in magnitude.
            const double theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp;
            const double s = std::max({std::fabs(theta), std::fabs(dx), std::fabs(dp)});
            double gamma = s * std::sqrt(std::max(0.0, (theta / s) * (theta / s) - (dx / s) * (dp / s)));
            if (stp > stx) gamma = -gamma;
            const double p = (gamma - dp) + theta;
            const double q = (gamma + (dx - dp)) + gamma;
            const double r = p / q;
            double stpc;
            if (r < 0.0 && gamma != 0.0)
                stpc = stp + r * (stx - stp);
            else if (stp > stx)
                stpc = stmax_;
            else
                stpc = stmin_;
            const double stpq = stp + (dp / (dp - dx)) * (stx - stp);
            if (brackt_) {
                stpf = std::fabs(stpc - stp) < std::fabs(stpq - stp) ? stpc : stpq;
                if (stp > stx)
                    stpf = std::min(stp + 0.66 * (sty - stp), stpf);
                else
                    stpf = std::max(stp + 0.66 * (sty - stp), stpf);
            } else {
                stpf = std::fabs(stpc - stp) > std::fabs(stpq - stp) ? stpc : stpq;
                stpf = std::max(stmin_, std::min(stmax_, stpf));
            }
        } else {
            // Case 4: lower value, same sign, the derivative does not decrease.
            if (brackt_) {
                const double theta = 3.0 * (fp - fy) / (sty - stp) + dy + dp;
                const double s = std::max({std::fabs(theta), std::fabs(dy), std::fabs(dp)});
                double gamma = s * std::sqrt((theta / s) * (theta / s) - (dy / s) * (dp / s));
                if (stp > sty) gamma = -gamma;
                const double p = (gamma - dp) + theta;
                const double q = ((gamma - dp) + gamma) + dy;
                const double r = p / q;
                stpf = stp + r * (sty - stp);
            } else {
                stpf = stp > stx ? stmax_ : stmin_;
            }
        }
        // The new interval.
        if (fp > fx) {
            sty = stp, fy = fp, dy = dp;
        } else {
            if (sgnd < 0.0) sty = stx, fy = fx, dy = dx;
            stx = stp, fx = fp, dx = dp;
        }
        stp = stpf;
    }

    double ftol_, gtol_, xtol_, stpmin_, stpmax_;
    bool brackt_ = false;
    int stage_ = 1;
    double stp_ = 0.0, finit_ = 0.0, ginit_ = 0.0, gtest_ = 0.0, width_ = 0.0, width1_ = 0.0;
    double stx_ = 0.0, fx_ = 0.0, gx_ = 0.0, sty_ = 0.0, fy_ = 0.0, gy_ = 0.0, stmin_ = 0.0, stmax_ = 0.0;
};


/// What a search along a direction ended with: `accepted` (xt, ft, gt hold the new
/// point), `failed` (no acceptable step: x, f, g are to be kept) or `stopped` (the
/// objective asked to stop).
enum class search_result { accepted, failed, stopped };

/// The strong Wolfe search along p from (x, f, g), gp = g.p < 0, first trial stp0:
/// More-Thuente with ftol = c1, gtol = c2, xtol = 0.1, steps in [0, stpmax] (L-BFGS-B
/// takes 1e10, or the step to the box's boundary), at most max_evals evaluations.
/// `fg.along(x, t, p, xt, gt, dg)` evaluates at x + t p (and counts: minimize.hpp's
/// counted_objective). A value that is not finite restarts the search from a step ten times shorter.
/// Accepted: the strong Wolfe conditions hold, or the search ended on a warning or
/// its budget at a point of sufficient decrease.
template <typename F>
search_result wolfe_search(F& fg, const std::vector<double>& x, double f, const std::vector<double>& p, double gp,
                           double stp0, double stpmax, double c1, double c2, std::size_t max_evals,
                           std::vector<double>& xt, double& ft, std::vector<double>& gt) {
    more_thuente search(c1, c2, 0.1, 0.0, stpmax);
    line_search_state state = search.start(f, gp, std::min(stp0, stpmax));
    if (state != line_search_state::evaluate) return search_result::failed;
    double t = search.step();
    ft = std::nan("");
    for (std::size_t k = 0; k < max_evals; ++k) {
        t = search.step();
        double dg = 0.0;
        ft = fg.along(x.data(), t, p.data(), xt.data(), gt.data(), dg);  // at x + t p, in the box
        if (fg.stopped()) return search_result::stopped;
        if (!std::isfinite(ft) || !std::isfinite(dg)) {
            search = more_thuente(c1, c2, 0.1, 0.0, 0.1 * t);
            if (search.start(f, gp, 0.1 * t) != line_search_state::evaluate) return search_result::failed;
            continue;
        }
        state = search.next(ft, dg);
        if (state == line_search_state::converged) return search_result::accepted;
        if (state != line_search_state::evaluate) break;
    }
    // A warning or the budget: keep the last point if it decreased f enough.
    const bool decrease = std::isfinite(ft) && ft <= f + c1 * t * gp && ft < f;
    return decrease ? search_result::accepted : search_result::failed;
}

/// Armijo backtracking along the projected path P(x + t p) (P the identity without a
/// box): t = stp0, stp0/2, ... the first t with f(xt) <= f + c1 g.(xt - x) and f(xt) <= f,
/// at most max_evals evaluations. (Without a box g.(xt - x) = t g.p.)
template <typename F>
search_result armijo_search(F& fg, const std::vector<double>& x, double f, const std::vector<double>& g,
                            const std::vector<double>& p, double stp0, double c1, std::size_t max_evals,
                            std::vector<double>& xt, double& ft, std::vector<double>& gt) {
    const std::size_t d = x.size();
    double t = stp0;
    // In a box, halving t may project onto the same point again: not evaluated twice.
    std::vector<double> last;
    for (std::size_t k = 0; k < max_evals; ++k, t *= 0.5) {
        for (std::size_t j = 0; j < d; ++j) xt[j] = x[j] + t * p[j];
        if (fg.box().active()) {
            fg.box().project(xt.data(), d);
            if (xt == last) continue;
            last = xt;
        }
        ft = fg(xt.data(), gt.data());
        if (fg.stopped()) return search_result::stopped;
        double decrease = 0.0;
        for (std::size_t j = 0; j < d; ++j) decrease += g[j] * (xt[j] - x[j]);
        if (ft <= f + c1 * decrease && ft <= f) return search_result::accepted;
    }
    return search_result::failed;
}

}  // namespace fastgd
