#pragma once
/// One descent loop for any objective: step, record, stop.
///
/// Stops when a step moves x by less than tol ("converged"), the gradient norm
/// falls below gtol ("converged"), max_iter steps are taken, the value or x is not
/// finite or runs away ("diverged": dome and hill end here, never as NaN), or the
/// objective or the poller asks ("stopped").

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "fastgd/fit_least_squares.hpp"  // detail::all_finite, detail::distance
#include "fastgd/fit_status.hpp"
#include "fastgd/interrupt.hpp"
#include "fastgd/optimizer.hpp"
#include "fastgd/schedule.hpp"

namespace fastgd {

struct minimize_config {
    std::size_t max_iter = 1000;
    double tol = 1e-10;  // on ||x_{k+1} - x_k||_2; negative: never
    double gtol = -1.0;  // on ||grad||_2; negative: never
    bool record = true;  // keep the path, the values and the gradient norms
    schedule lr;
    /// A value this far from the starting one (relative to max(1, |f0|)) counts as diverged.
    double explode_factor = 1e12;
};

struct minimize_output {
    std::vector<double> x;
    double fun = 0.0;
    std::size_t nit = 0;
    fit_status status = fit_status::max_iter;
    std::vector<double> path;        // (nit + 1) x d, row-major
    std::vector<double> losses;      // nit + 1
    std::vector<double> grad_norms;  // nit + 1
};

/// value_and_grad(x, g) returns f(x) and writes the gradient into g; it sets
/// `stop` to ask the loop to stop (for example, on a Python exception).
/// on_step(nit, x, f) runs after every step and returns true to stop ("stopped").
template <typename ValueAndGrad, typename OnStep>
minimize_output minimize(ValueAndGrad&& value_and_grad, OnStep&& on_step, std::vector<double> x0,
                         optimizer<double>& rule, const minimize_config& c, interrupt_poller& poller,
                         bool& stop) {
    const std::size_t d = x0.size();
    minimize_output out;
    out.x = std::move(x0);
    std::vector<double> g(d), previous(d);
    auto norm = [](const std::vector<double>& v) {
        double s = 0.0;
        for (const double a : v) s += a * a;
        return std::sqrt(s);
    };
    auto record = [&](double f) {
        if (!c.record) return;
        out.path.insert(out.path.end(), out.x.begin(), out.x.end());
        out.losses.push_back(f);
        out.grad_norms.push_back(norm(g));
    };
    if (c.record) {  // room for 2^20 steps (for d = 2, 16 MB of path): no regrowth in most runs
        const std::size_t rows = std::min<std::size_t>(c.max_iter, std::size_t{1} << 20) + 1;
        out.path.reserve(rows * d);
        out.losses.reserve(rows);
        out.grad_norms.reserve(rows);
    }
    double f = value_and_grad(out.x.data(), g.data());
    if (stop) {
        out.status = fit_status::stopped;
        return out;
    }
    const double f0 = f;
    const double runaway = c.explode_factor * std::max(1.0, std::fabs(f0));
    out.fun = f;
    record(f);
    auto diverged = [&](double v) {
        return !std::isfinite(v) || std::fabs(v - f0) > runaway || !detail::all_finite(out.x);
    };
    if (diverged(f) || !detail::all_finite(g)) {
        out.status = fit_status::diverged;
        return out;
    }
    if (c.gtol >= 0.0 && norm(g) < c.gtol) {
        out.status = fit_status::converged;
        return out;
    }
    for (std::size_t it = 0; it < c.max_iter; ++it) {
        previous = out.x;
        rule.step(out.x.data(), g.data(), d, c.lr.at(rule.steps()));
        f = value_and_grad(out.x.data(), g.data());
        if (stop) {
            out.status = fit_status::stopped;
            return out;
        }
        out.nit = it + 1;
        out.fun = f;
        record(f);
        if (diverged(f) || !detail::all_finite(g)) {
            out.status = fit_status::diverged;
            return out;
        }
        if (detail::distance(out.x, previous) < c.tol || (c.gtol >= 0.0 && norm(g) < c.gtol)) {
            out.status = fit_status::converged;
            return out;
        }
        if (on_step(out.nit, out.x.data(), f) || stop || poller.tick(64 * (d + 1))) {
            out.status = fit_status::stopped;
            return out;
        }
    }
    out.status = fit_status::max_iter;
    return out;
}

}  // namespace fastgd
