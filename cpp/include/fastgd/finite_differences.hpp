#pragma once
/// A gradient from values only, as scipy.optimize's approx_derivative does:
/// - "2-point": forward differences, h_j = sqrt(eps) max(1, |x_j|), d values besides f(x);
/// - "3-point": central differences, h_j = eps^(1/3) max(1, |x_j|), 2d values.
/// Inside a box the step turns inward at a bound (2-point: -h_j when x_j + h_j would
/// leave the box; 3-point: a one-sided 3-point formula, (-3 f0 + 4 f(x+h) - f(x+2h))/2h,
/// toward the interior when x_j +- h_j would leave it; in a box narrower than that, a
/// one-sided 2-point step into the larger room), so f is never evaluated outside the
/// box. The error is O(h) (2-point) and O(h^2) (3-point). Away from bounds a gradient
/// costs d values (2-point) or 2d (3-point).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

#include "fastgd/box_bounds.hpp"

namespace fastgd {

enum class fd_scheme { none, two_point, three_point };

/// g <- the finite-difference gradient of `value` at x, f0 = value(x) given. `value(xp)`
/// returns f at xp; x is a scratch copy the function perturbs and restores. Returns
/// false as soon as `value` asks to stop (its `stop` flag, checked by the caller's lambda).
template <typename Value, typename Stop>
bool fd_gradient(Value&& value, Stop&& stopped, fd_scheme scheme, double* x, double f0, double* g,
                 std::size_t d, const box_bounds& box) {
    const double eps = std::numeric_limits<double>::epsilon();
    const double rel = scheme == fd_scheme::two_point ? std::sqrt(eps) : std::cbrt(eps);
    for (std::size_t j = 0; j < d; ++j) {
        const double xj = x[j];
        const double h = rel * std::max(1.0, std::fabs(xj));
        const double up = box.active() ? box.upper[j] - xj : std::numeric_limits<double>::infinity();
        const double down = box.active() ? xj - box.lower[j] : std::numeric_limits<double>::infinity();
        if (up <= 0.0 && down <= 0.0) {  // lower == upper: the coordinate cannot move
            g[j] = 0.0;
            continue;
        }
        if (scheme == fd_scheme::three_point && h <= up && h <= down) {
            x[j] = xj + h;
            const double dx = x[j] - xj;  // the step as represented
            const double fp = value(x);
            x[j] = xj - dx;
            const double fm = value(x);
            x[j] = xj;
            if (stopped()) return false;
            g[j] = (fp - fm) / (2.0 * dx);
        } else if (scheme == fd_scheme::three_point && (2.0 * h <= up || 2.0 * h <= down)) {
            // One-sided 3-point formula toward the interior (still O(h^2)).
            x[j] = 2.0 * h <= up ? xj + h : xj - h;
            const double dx = x[j] - xj;
            const double f1 = value(x);
            x[j] = xj + 2.0 * dx;
            const double f2 = value(x);
            x[j] = xj;
            if (stopped()) return false;
            g[j] = (-3.0 * f0 + 4.0 * f1 - f2) / (2.0 * dx);
        } else {
            // Forward (backward at an upper bound); in a box narrower than h, the
            // larger room. A 3-point scheme here spends its second value on nothing
            // better, so it takes the 2-point formula and one value.
            double step = h <= up ? h : (h <= down ? -h : (up >= down ? up : -down));
            x[j] = xj + step;
            const double dx = x[j] - xj;
            const double f1 = value(x);
            x[j] = xj;
            if (stopped()) return false;
            g[j] = (f1 - f0) / dx;
        }
    }
    return true;
}

}  // namespace fastgd
