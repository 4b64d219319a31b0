#pragma once
/// bfgs_method: dense inverse-Hessian BFGS (N&W 6.17), H0 = I for the first step
/// (trial step min(1, 1/||g||)), rescaled to (s.y / y.y) I before the first update
/// (N&W 6.20); strong Wolfe c1 = 1e-4, c2 = 0.9 (or Armijo). d <= max_bfgs_dimension.
/// No box.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "fastgd/method_common.hpp"

namespace fastgd {

/// Dense BFGS holds d * d doubles: larger problems are refused (use lbfgs).
constexpr std::size_t max_bfgs_dimension = 2000;

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
