#pragma once
/// first_order_method: an optimizer<double> rule (gd, adam, ...) with its learning
/// rate; line search "none" (the rule's step, then P: projected gradient) or
/// "armijo" (backtracking on the rule's proposed step p = P(x_rule) - x; when
/// g.p >= 0, as momentum can propose, the rule's step is taken unchanged).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "fastgd/optimizer.hpp"
#include "fastgd/schedule.hpp"
#include "fastgd/method_common.hpp"

namespace fastgd {

class first_order_method {
public:
    first_order_method(const rule_params& p, const schedule& lr, line_search_kind search)
        : rule_(p), lr_(lr), armijo_(search == line_search_kind::armijo) {}

    const optimizer<double>& rule() const { return rule_; }

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

}  // namespace fastgd
