#pragma once
/// cg_method: nonlinear conjugate gradient, Polak-Ribiere+ (beta = max(0, PR)),
/// restarted along -g every d iterations and whenever p is not a descent direction;
/// strong Wolfe with c1 = 1e-4, c2 = 0.1 (Nocedal & Wright's choice for CG; scipy's
/// CG uses 0.4); first trial step min(1, 1.01 * 2 (f_k - f_{k-1}) / g.p) (N&W 3.60,
/// as scipy), min(1, 1.01 / ||g||) at the first iteration. No box.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "fastgd/method_common.hpp"

namespace fastgd {

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

}  // namespace fastgd
