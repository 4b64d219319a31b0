#pragma once
/// What minimize's methods share: the step outcome, the line-search choice and the
/// constants of their searches. The methods: first_order_method.hpp, lbfgs_method.hpp,
/// cg_method.hpp, bfgs_method.hpp (descent_methods.hpp includes them all).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "fastgd/box_bounds.hpp"
#include "fastgd/line_search.hpp"

namespace fastgd {

enum class step_outcome { moved, failed };

enum class line_search_kind { none, armijo, strong_wolfe };

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

}  // namespace fastgd
