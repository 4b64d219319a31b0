#pragma once
/// One descent loop for any objective: step, record, stop. How a step is made is the
/// method's business (descent_methods.hpp: a first-order rule, L-BFGS, CG, BFGS, with
/// their line searches); the loop evaluates, records, applies the stopping rules and
/// the optimality test, and polls Ctrl-C.
///
/// Stops when a step moves x by less than tol (the lecture's stopping rule), when
/// the first-order optimality test passes and the caller asked to stop on it,
/// after max_iter steps, when the value or x is not finite or runs away
/// ("diverged": dome and hill end here, never as NaN), or when the objective or
/// the poller asks ("stopped").
///
/// The optimality test is ||g||_2 <= max(gtol, grtol * ||g(x0)||_2); with a box, g is
/// the projected gradient x - P(x - g) (grad_norm and grad_norms report its norm). A
/// method's failed step (no acceptable step along its direction) ends the run:
/// "converged" if the test passes, else "stalled". max_fev > 0 ends it (status
/// "max_iter", the same as max_iter) once that many evaluations are spent; the last
/// iteration's line search may overrun it by a few.
///
/// Counting: nfev = objective evaluations (a value-and-gradient call is one; with
/// finite differences each value is one), njev = gradients. A short step
/// ends "converged" only when it passes; otherwise "stalled" (a tiny learning rate,
/// a schedule decayed to 0 or an Adam step of 1e-12 also make short steps, far
/// from any minimum).
///
/// NumPy twin: fastgd.reference.descent_path (the steps, without the stopping rules).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <type_traits>
#include <vector>

#include "fastgd/box_bounds.hpp"
#include "fastgd/descent_methods.hpp"
#include "fastgd/finite_differences.hpp"
#include "fastgd/fit_least_squares.hpp"  // detail::all_finite
#include "fastgd/fit_status.hpp"
#include "fastgd/interrupt.hpp"
#include "fastgd/optimizer.hpp"
#include "fastgd/schedule.hpp"

namespace fastgd {

struct minimize_config {
    std::size_t max_iter = 1000;
    double tol = 1e-10;    // the stopping rule, on ||x_{k+1} - x_k||_2; negative: never
    double gtol = 1e-6;    // the optimality test's absolute tolerance on ||grad||_2
    double grtol = 1e-6;   // ... and its relative one, times ||grad(x0)||_2
    bool stop_on_gradient = false;  // stop ("converged") as soon as the test passes
    /// Keep x0, every k-th iterate and the last (path, values, gradient norms); 0: none.
    std::size_t record_every = 1;
    /// A value this far from the starting one (relative to max(1, |f0|)) counts as diverged.
    double explode_factor = 1e12;
    std::size_t max_fev = 0;  // evaluations; 0: no limit
    box_bounds box;           // none by default
    fd_scheme fd = fd_scheme::none;  // a gradient from values only (the objective's g ignored)
};

struct minimize_output {
    std::vector<double> x;
    double fun = 0.0;
    std::size_t nit = 0;
    fit_status status = fit_status::max_iter;
    double grad_norm = 0.0;          // ||grad|| at x
    double gradient_threshold = 0.0;  // max(gtol, grtol * ||grad(x0)||)
    std::vector<double> path;        // rows x d, row-major (rows: see record_every)
    std::vector<double> losses;      // one per row of path
    std::vector<double> grad_norms;  // one per row of path
    std::vector<double> jac;         // the gradient at x (not the projected one)
    std::size_t nfev = 0, njev = 0;
};

/// has_along<V>::value: V evaluates along a line in a pass of its own (builtin_objective).
template <typename V, typename = void>
struct has_along : std::false_type {};
template <typename V>
struct has_along<V, decltype(void(&V::along))> : std::true_type {};

/// The objective as the loop and its method see it: every call counted, finite
/// differences when asked, the box at hand. A finite-difference gradient (d or 2d
/// values) polls for Ctrl-C between its values: a requested stop sets `stop`.
template <typename ValueAndGrad>
class counted_objective {
public:
    counted_objective(ValueAndGrad& vg, const minimize_config& c, std::size_t d, bool& stop,
                      minimize_output& out, interrupt_poller& poller, bool on_threads)
        : vg_(vg),
          c_(c),
          d_(d),
          on_threads_(on_threads),
          stop_(stop),
          out_(out),
          poller_(poller),
          scratch_(c.fd == fd_scheme::none ? 0 : d),
          xs_(scratch_.size()) {}

    double operator()(const double* x, double* g) {
        if (c_.fd == fd_scheme::none) {
            ++out_.nfev, ++out_.njev;
            return vg_(x, g);
        }
        auto value = [&](const double* xp) {
            ++out_.nfev;
            const double v = vg_(xp, scratch_.data());
            if (poller_.tick(64 * (d_ + 1))) stop_ = true;
            return v;
        };
        const double f = value(x);
        if (stop_) return f;
        std::copy(x, x + d_, xs_.begin());
        ++out_.njev;
        fd_gradient(value, [&] { return stop_; }, c_.fd, xs_.data(), f, g, d_, c_.box);
        return f;
    }

    /// f at xt = x + t p (projected into the box), its gradient into g and gp = g.p:
    /// the objective's own pass when it has one (builtin_objective::along; without a
    /// box or finite differences; on the thread pool for a method whose passes run
    /// there, runs_in_parts), else the point, the evaluation and the product.
    double along(const double* x, double t, const double* p, double* xt, double* g, double& gp) {
        if constexpr (has_along<ValueAndGrad>::value) {
            double f = 0.0;
            if (c_.fd == fd_scheme::none && !c_.box.active() && vg_.along(x, t, p, xt, g, f, gp, on_threads_)) {
                ++out_.nfev, ++out_.njev;
                return f;
            }
        }
        for (std::size_t j = 0; j < d_; ++j) xt[j] = x[j] + t * p[j];
        c_.box.project(xt, d_);  // t <= the step to the boundary keeps x + t p inside up to rounding
        const double f = (*this)(xt, g);
        if (!stop_) gp = fastgd::dot(g, p, d_);
        return f;
    }

    bool stopped() const { return stop_; }
    const box_bounds& box() const { return c_.box; }

private:
    ValueAndGrad& vg_;
    const minimize_config& c_;
    std::size_t d_;
    bool on_threads_;
    bool& stop_;
    minimize_output& out_;
    interrupt_poller& poller_;
    std::vector<double> scratch_, xs_;
};

/// The rows a recording of at most max_iter steps can hold: x0, every k-th
/// iterate and the last (0 when nothing is recorded).
inline std::size_t max_recorded_rows(std::size_t max_iter, std::size_t record_every) {
    if (record_every == 0) return 0;
    return max_iter / record_every + 2;
}

template <typename Method>
bool is_rprop(const Method&) {
    return false;
}
inline bool is_rprop(const first_order_method& m) { return m.rule().params().kind == rule_kind::rprop; }

/// Methods that sum the step's length and the new gradient's norm in a pass of their
/// own (lbfgs: the new pair's), so the loop keeps no copy of x and makes no pass for them.
template <typename Method>
struct sums_its_step : std::false_type {};
template <>
struct sums_its_step<lbfgs_method> : std::true_type {};

/// Methods whose vector passes run on the thread pool by parts of the coordinates
/// (lbfgs_parts.hpp): the objective's own pass along the search line does too.
template <typename Method>
struct runs_in_parts : std::false_type {};
template <>
struct runs_in_parts<lbfgs_method> : std::true_type {};

/// value_and_grad(x, g) returns f(x) and writes the gradient into g; it sets
/// `stop` to ask the loop to stop (for example, on a Python exception).
/// on_step(nit, x, f) runs after every step and returns true to stop ("stopped").
/// method: a step maker of descent_methods.hpp.
template <typename ValueAndGrad, typename OnStep, typename Method>
minimize_output minimize(ValueAndGrad&& value_and_grad, OnStep&& on_step, std::vector<double> x0,
                         Method& method, const minimize_config& c, interrupt_poller& poller, bool& stop) {
    const std::size_t d = x0.size();
    minimize_output out;
    out.x = std::move(x0);
    c.box.project(out.x.data(), d);  // the caller passes x0 inside; never leave the box
    std::vector<double> g(d), previous(sums_its_step<Method>::value ? 0 : d);  // the iterate before a step
    counted_objective<std::remove_reference_t<ValueAndGrad>> fg(value_and_grad, c, d, stop, out, poller,
                                                                 runs_in_parts<Method>::value);
    // ||g||, or with a box the projected gradient's norm (the same sum without one).
    auto measure = [&] { return c.box.projected_gradient_norm(out.x.data(), g.data(), d); };
    // No reservation up front: the vectors grow geometrically, so a run that stops
    // early holds what it used, not max_iter rows (the caller bounds max_iter rows
    // by a memory budget before it starts).
    std::size_t last_recorded = 0;
    auto record = [&](std::size_t nit, double f) {
        out.path.insert(out.path.end(), out.x.begin(), out.x.end());
        out.losses.push_back(f);
        out.grad_norms.push_back(out.grad_norm);
        last_recorded = nit;
    };
    // Sets the status and keeps the last iterate, whatever the stride. (It returns
    // nothing: the callers `return out;`, which moves the recording, never copies it.)
    auto finish = [&](fit_status s) {
        out.status = s;
        out.jac = g;
        if (c.record_every != 0 && last_recorded != out.nit) record(out.nit, out.fun);
    };
    auto stopped_by_objective = [&] {
        out.status = fit_status::stopped;
        out.jac = g;
    };
    double f = fg(out.x.data(), g.data());
    if (stop) {
        stopped_by_objective();
        return out;
    }
    const double f0 = f;
    const double runaway = c.explode_factor * std::max(1.0, std::fabs(f0));
    out.fun = f;
    out.grad_norm = measure();
    out.gradient_threshold = std::max(c.gtol, c.grtol * out.grad_norm);
    if (c.record_every != 0) record(0, f);
    auto diverged = [&](double v) {
        return !std::isfinite(v) || std::fabs(v - f0) > runaway || !detail::all_finite(out.x);
    };
    if (diverged(f) || !detail::all_finite(g)) {
        finish(fit_status::diverged);
        return out;
    }
    // A NaN threshold (an infinite ||g0|| is caught above) cannot pass: <= is false.
    auto optimal = [&] { return out.grad_norm <= out.gradient_threshold; };
    if (c.stop_on_gradient && optimal()) {
        finish(fit_status::converged);
        return out;
    }
    for (std::size_t it = 0; it < c.max_iter; ++it) {
        if constexpr (!sums_its_step<Method>::value) previous = out.x;
        const std::size_t nfev_before = out.nfev;
        const step_outcome outcome = method.step(fg, out.x, f, g);
        if (stop) {  // the objective failed: x may have moved but f is stale, record nothing more
            stopped_by_objective();
            return out;
        }
        if (outcome == step_outcome::failed) {  // x, f, g unchanged: no step decreases f
            finish(optimal() ? fit_status::converged : fit_status::stalled);
            return out;
        }
        out.nit = it + 1;
        out.fun = f;
        double moved = 0.0;
        if constexpr (sums_its_step<Method>::value) {
            const double* sums = method.step_sums();  // nullptr: x did not move
            moved = sums ? std::sqrt(sums[2]) : 0.0;
            out.grad_norm = sums && !c.box.active() ? std::sqrt(sums[3]) : measure();
        } else {
            moved = distance(out.x.data(), previous.data(), d);  // dot.hpp's, vectorised
            out.grad_norm = measure();
        }
        if (c.record_every != 0 && out.nit % c.record_every == 0) record(out.nit, f);
        // A finite sum has finite terms (previous is finite): the element-wise checks,
        // a scalar pass each, only run when the sums overflowed or saw a NaN.
        const bool x_finite = std::isfinite(moved) || detail::all_finite(out.x);
        const bool g_finite = (!c.box.active() && std::isfinite(out.grad_norm)) || detail::all_finite(g);
        if (!std::isfinite(f) || std::fabs(f - f0) > runaway || !x_finite || !g_finite) {
            finish(fit_status::diverged);
            return out;
        }
        if (c.stop_on_gradient && optimal()) {
            finish(fit_status::converged);
            return out;
        }
        // The stopping rule: a short step ends the run, but only a passing
        // optimality test makes it a convergence. Rprop skips the step of each
        // coordinate whose gradient has just flipped sign (torch's rule): a step of
        // exactly 0 there is that skip, not a stall, and the next step moves.
        if (moved < c.tol && !(moved == 0.0 && is_rprop(method))) {
            finish(optimal() ? fit_status::converged : fit_status::stalled);
            return out;
        }
        if (on_step(out.nit, out.x.data(), f) || stop || poller.tick(64 * (d + 1) * (out.nfev - nfev_before))) {
            finish(fit_status::stopped);
            return out;
        }
        if (c.max_fev != 0 && out.nfev >= c.max_fev) {
            finish(fit_status::max_iter);
            return out;
        }
    }
    finish(fit_status::max_iter);
    return out;
}

}  // namespace fastgd
