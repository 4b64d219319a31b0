#pragma once
/// A box lower <= x <= upper (either side may be +-inf; both empty: no box) and
/// the projections minimize's methods need: P(x) = clip(x, lower, upper) and the
/// projected gradient x - P(x - g), whose norm is the optimality measure with bounds
/// (0 exactly at a first-order point of the box-constrained problem).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "fastgd/dot.hpp"

namespace fastgd {

struct box_bounds {
    std::vector<double> lower, upper;  // both empty, or both of length d with lower <= upper
    bool bounded = false;              // some bound is finite (set by whoever fills lower/upper)

    /// A box to respect: without a finite bound, lower and upper are not read at all.
    bool active() const { return bounded; }

    /// x <- P(x).
    void project(double* x, std::size_t d) const {
        if (!active()) return;
        for (std::size_t j = 0; j < d; ++j) x[j] = std::min(std::max(x[j], lower[j]), upper[j]);
    }

    /// ||x - P(x - g)||_2 (||g||_2 without a box).
    double projected_gradient_norm(const double* x, const double* g, std::size_t d) const {
        if (!active()) return std::sqrt(dot(g, g, d));  // dot.hpp's sums vectorise
        double s = 0.0;
        for (std::size_t j = 0; j < d; ++j) {
            double c = g[j];
            if (active()) c = x[j] - std::min(std::max(x[j] - g[j], lower[j]), upper[j]);
            s += c * c;
        }
        return std::sqrt(s);
    }

    /// True when coordinate j sits on a bound and the gradient pushes it out of the
    /// box (so a descent step holds it there).
    bool held(std::size_t j, const double* x, const double* g) const {
        if (!active()) return false;
        return (x[j] <= lower[j] && g[j] > 0.0) || (x[j] >= upper[j] && g[j] < 0.0);
    }
};

}  // namespace fastgd
