#pragma once
/// torch.optim.LBFGS's algorithm (torch/optim/lbfgs.py, itself after minFunc), ported
/// operation for operation on a flat float64 copy of the parameters: the step with its
/// stopping tests, the optional strong-Wolfe line search (_strong_wolfe, from torch7's
/// lswolfe.lua) and its cubic interpolation (_cubic_interpolate, polyinterp.lua).
/// fastgd.LBFGS drives it; the objective is a callback (a Python closure in the
/// binding), so this header knows nothing of Python.
///
/// Moves x + t d round once (std::fma), as torch's p.add_(d, alpha=t) does on CPU.
///
/// Differences from torch, on purpose:
/// - a non-finite loss or gradient is an error (std::domain_error), where torch steps
///   on with NaN: the parameters go back to the last point of finite values;
/// - an exception from the objective (or from poll) rolls the state back to the end of
///   the last completed iteration (torch keeps a partly updated state); the parameters
///   stay at the point being evaluated, as in torch.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "fastgd/lbfgs_history.hpp"

namespace fastgd {

struct torch_lbfgs_options {
    double lr = 1.0;
    long long max_iter = 20;
    long long max_eval = 25;  // torch: max_iter * 5 // 4
    double tolerance_grad = 1e-7;
    double tolerance_change = 1e-9;
    std::size_t history_size = 100;
    bool strong_wolfe = false;
};

/// torch's _cubic_interpolate: the minimiser of the cubic through (x1, f1, g1) and
/// (x2, f2, g2), clamped to [lo, hi] (the points' span when `bounded` is false).
/// Python's min/max and std::min/max pick the same element, ties and NaN included.
inline double torch_cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2,
                                      bool bounded = false, double lo = 0.0, double hi = 0.0) {
    double xmin_bound = lo, xmax_bound = hi;
    if (!bounded) {
        xmin_bound = x1 <= x2 ? x1 : x2;
        xmax_bound = x1 <= x2 ? x2 : x1;
    }
    const double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
    const double d2_square = d1 * d1 - g1 * g2;
    if (d2_square >= 0) {
        const double d2 = std::sqrt(d2_square);
        double min_pos;
        if (x1 <= x2)
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2));
        else
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
        return std::min(std::max(min_pos, xmin_bound), xmax_bound);
    }
    return (xmin_bound + xmax_bound) / 2.0;
}

/// The state torch keeps in optimizer.state[first param] (its names), flat vectors of
/// the parameters' total size. `started` is false until a step enters its loop (torch
/// then has only func_evals and n_iter); `has_al` until a second iteration ran.
struct torch_lbfgs_state {
    long long func_evals = 0;
    long long n_iter = 0;
    bool started = false;
    std::vector<double> d;
    double t = 0.0;
    double H_diag = 1.0;
    std::vector<double> prev_flat_grad;
    double prev_loss = 0.0;
    bool has_al = false;
    std::vector<double> al;  // history_size entries; NaN where torch has None
};

class torch_lbfgs {
public:
    torch_lbfgs(std::size_t n, const torch_lbfgs_options& options)
        : n_(n), options_(checked(options)), history_(options.history_size, n) {}

    std::size_t dim() const { return n_; }
    const torch_lbfgs_options& options() const { return options_; }
    const torch_lbfgs_state& state() const { return state_; }
    const lbfgs_history& history() const { return history_; }

    /// New options (param_groups edited). A new history_size keeps the newest pairs.
    void set_options(const torch_lbfgs_options& options) {
        checked(options);
        if (options.history_size != options_.history_size) {
            lbfgs_history resized(options.history_size, n_);
            const std::size_t keep = std::min(history_.size(), options.history_size);
            for (std::size_t i = history_.size() - keep; i < history_.size(); ++i)
                resized.push_rho(history_.s(i), history_.y(i), history_.rho(i));
            history_ = std::move(resized);
            if (state_.has_al) state_.al.resize(options.history_size, std::numeric_limits<double>::quiet_NaN());
        }
        options_ = options;
    }

    /// Forget everything: the next step is a first step.
    void reset() {
        state_ = torch_lbfgs_state{};
        history_.clear();
    }

    /// Replace the state (checked here for sizes; the caller checks the rest). The pairs
    /// are (s, y, rho), oldest first: torch's old_stps, old_dirs and ro.
    void load(torch_lbfgs_state state, const std::vector<std::vector<double>>& s,
              const std::vector<std::vector<double>>& y, const std::vector<double>& rho) {
        if (s.size() != y.size() || s.size() != rho.size())
            throw std::invalid_argument("old_dirs, old_stps and ro must have the same length");
        if (s.size() > options_.history_size)
            throw std::invalid_argument("the state holds " + std::to_string(s.size()) +
                                        " pairs but history_size is " + std::to_string(options_.history_size));
        if (state.started) {
            if (state.d.size() != n_ || state.prev_flat_grad.size() != n_)
                throw std::invalid_argument("d and prev_flat_grad must have the parameters' total size " +
                                            std::to_string(n_));
        } else if (!s.empty()) {
            throw std::invalid_argument("a state without d holds no pairs");
        }
        for (std::size_t i = 0; i < s.size(); ++i)
            if (s[i].size() != n_ || y[i].size() != n_)
                throw std::invalid_argument("old_dirs and old_stps entries must have the parameters' total size " +
                                            std::to_string(n_));
        if (state.has_al && state.al.size() != options_.history_size)
            throw std::invalid_argument("al must have history_size entries");
        lbfgs_history history(options_.history_size, n_);
        for (std::size_t i = 0; i < s.size(); ++i) history.push_rho(s[i].data(), y[i].data(), rho[i]);
        state_ = std::move(state);
        history_ = std::move(history);
    }

    /// One torch step from the flat parameters x (their current values).
    /// - evaluate(point, g) -> loss: puts `point` into the parameters (it may round
    ///   `point` in place to their precision), calls the objective there and writes the
    ///   flat gradient into g;
    /// - place(point): puts `point` into the parameters without evaluating (may round it);
    /// - poll(): between iterations; it may throw to stop (Ctrl-C).
    /// Returns the first loss (torch's orig_loss); x ends at the parameters' new values.
    template <class Evaluate, class Place, class Poll>
    double step(std::vector<double>& x, Evaluate&& evaluate, Place&& place, Poll&& poll) {
        if (x.size() != n_) throw std::invalid_argument("the parameters' total size changed");
        const torch_lbfgs_options o = options_;
        std::vector<double> flat_grad(n_);
        double loss = evaluate(x.data(), flat_grad.data());
        if (!finite(loss, flat_grad)) throw std::domain_error(nonfinite(loss, "at the parameters as given"));
        const double orig_loss = loss;
        long long current_evals = 1;
        state_.func_evals += 1;
        bool opt_cond = max_abs(flat_grad) <= o.tolerance_grad;
        if (opt_cond) return orig_loss;

        std::vector<double> y(n_), s(n_), xt(n_), g_new(n_);
        long long n_iter = 0;
        // Each iteration is applied whole or not at all: `saved` is the state before it.
        torch_lbfgs_state saved;
        std::vector<double> dropped_s(n_), dropped_y(n_);
        while (n_iter < o.max_iter) {
            saved = state_;
            bool pushed = false, dropped = false;
            double dropped_rho = 0.0;
            try {
                n_iter += 1;
                state_.n_iter += 1;
                torch_lbfgs_state& st = state_;

                // the descent direction
                if (st.n_iter == 1) {
                    st.d.resize(n_);
                    for (std::size_t j = 0; j < n_; ++j) st.d[j] = -flat_grad[j];
                    history_.clear();  // empty already: n_iter was 0
                    st.H_diag = 1.0;
                    st.started = true;
                } else {
                    for (std::size_t j = 0; j < n_; ++j) y[j] = flat_grad[j] - st.prev_flat_grad[j];
                    for (std::size_t j = 0; j < n_; ++j) s[j] = st.d[j] * st.t;
                    const double ys = history_.dot(y.data(), s.data());
                    if (ys > 1e-10) {
                        if (history_.size() == history_.capacity()) {
                            std::copy(history_.s(0), history_.s(0) + n_, dropped_s.begin());
                            std::copy(history_.y(0), history_.y(0) + n_, dropped_y.begin());
                            dropped_rho = history_.rho(0);
                            dropped = true;
                        }
                        history_.push(s.data(), y.data(), ys);
                        pushed = true;
                        st.H_diag = ys / history_.dot(y.data(), y.data());
                    }
                    if (!st.has_al) {
                        st.al.assign(o.history_size, std::numeric_limits<double>::quiet_NaN());
                        st.has_al = true;
                    }
                    history_.descent_direction(flat_grad.data(), st.d.data(), st.H_diag);
                    for (std::size_t i = 0; i < history_.size(); ++i) st.al[i] = history_.alpha(i);
                }
                st.prev_flat_grad = flat_grad;
                st.prev_loss = loss;

                // the step length
                if (st.n_iter == 1) {
                    double l1 = 0.0;
                    for (double gj : flat_grad) l1 += std::abs(gj);
                    st.t = std::min(1.0, 1.0 / l1) * o.lr;
                } else {
                    st.t = o.lr;
                }
                const double gtd = history_.dot(flat_grad.data(), st.d.data());
                if (gtd > -o.tolerance_change) break;  // not a descent direction any more

                long long ls_func_evals = 0;
                if (o.strong_wolfe) {
                    auto obj = [&](double tt, std::vector<double>& g_out) {
                        for (std::size_t j = 0; j < n_; ++j) xt[j] = std::fma(tt, st.d[j], x[j]);
                        const double f = evaluate(xt.data(), g_out.data());
                        if (!finite(f, g_out)) {
                            place(x.data());
                            throw std::domain_error(nonfinite(f, "at a point of the line search"));
                        }
                        return f;
                    };
                    double t = st.t;
                    ls_func_evals = strong_wolfe(obj, t, st.d, loss, flat_grad, gtd, o.max_eval - current_evals);
                    st.t = t;
                    for (std::size_t j = 0; j < n_; ++j) x[j] = std::fma(st.t, st.d[j], x[j]);
                    place(x.data());
                    opt_cond = max_abs(flat_grad) <= o.tolerance_grad;
                } else {
                    for (std::size_t j = 0; j < n_; ++j) xt[j] = std::fma(st.t, st.d[j], x[j]);
                    if (n_iter != o.max_iter) {
                        const double f = evaluate(xt.data(), g_new.data());
                        if (!finite(f, g_new)) {
                            place(x.data());
                            throw std::domain_error(nonfinite(f, "after a step of length lr"));
                        }
                        loss = f;
                        flat_grad.swap(g_new);
                        opt_cond = max_abs(flat_grad) <= o.tolerance_grad;
                        ls_func_evals = 1;
                    } else {
                        place(xt.data());
                    }
                    x.swap(xt);
                }
                current_evals += ls_func_evals;
                st.func_evals += ls_func_evals;
            } catch (...) {
                state_ = std::move(saved);
                if (pushed) {
                    history_.pop_newest();
                    if (dropped) history_.push_oldest(dropped_s.data(), dropped_y.data(), dropped_rho);
                }
                throw;
            }

            // the stopping tests
            if (n_iter == o.max_iter) break;
            if (current_evals >= o.max_eval) break;
            if (opt_cond) break;
            double dt = 0.0;
            for (std::size_t j = 0; j < n_; ++j) dt = std::max(dt, std::abs(state_.d[j] * state_.t));
            if (dt <= o.tolerance_change) break;
            if (std::abs(loss - state_.prev_loss) < o.tolerance_change) break;
            poll();
        }
        return orig_loss;
    }

private:
    static torch_lbfgs_options checked(const torch_lbfgs_options& o) {
        if (!(o.lr > 0.0) || !std::isfinite(o.lr)) throw std::invalid_argument("lr must be finite and > 0");
        if (o.max_iter < 1) throw std::invalid_argument("max_iter must be >= 1");
        if (o.max_eval < 1) throw std::invalid_argument("max_eval must be >= 1");
        if (o.history_size < 1) throw std::invalid_argument("history_size must be >= 1");
        if (!(o.tolerance_grad >= 0.0) || !(o.tolerance_change >= 0.0))
            throw std::invalid_argument("tolerance_grad and tolerance_change must be >= 0");
        return o;
    }

    static bool finite(double f, const std::vector<double>& g) {
        if (!std::isfinite(f)) return false;
        for (double v : g)
            if (!std::isfinite(v)) return false;
        return true;
    }

    static std::string nonfinite(double f, const char* where) {
        const std::string what = std::isfinite(f) ? "a non-finite gradient" : "a non-finite loss (" + std::to_string(f) + ")";
        return std::string("the closure returned ") + what + " " + where +
               "; check the objective (fastgd.LBFGS does not step on NaN or inf). The params hold the last "
               "point of finite values.";
    }

    static double max_abs(const std::vector<double>& v) {
        double m = 0.0;
        for (double x : v) m = std::max(m, std::abs(x));
        return m;
    }

    /// torch's _strong_wolfe (c1 = 1e-4, c2 = 0.9, max_ls): obj(t, g) evaluates at x + t d.
    /// On return t, f and g are the point found; the result is the evaluations made.
    template <class Obj>
    long long strong_wolfe(Obj&& obj, double& t, const std::vector<double>& d, double& f_io, std::vector<double>& g_io,
                           double gtd, long long max_ls) const {
        const double c1 = 1e-4, c2 = 0.9, tolerance_change = options_.tolerance_change;
        const double f = f_io;
        const std::vector<double>& g = g_io;
        const double d_norm = max_abs(d);
        std::vector<double> g_new(n_);
        double f_new = obj(t, g_new);
        long long ls_func_evals = 1;
        double gtd_new = history_.dot(g_new.data(), d.data());

        double t_prev = 0.0, f_prev = f, gtd_prev = gtd;
        std::vector<double> g_prev = g;
        bool done = false;
        long long ls_iter = 0;
        double bracket[2] = {0.0, 0.0}, bracket_f[2] = {0.0, 0.0}, bracket_gtd[2] = {0.0, 0.0};
        std::vector<double> bracket_g[2];
        std::size_t size = 0;  // bracket's length, 1 or 2
        auto bracket_two = [&](double t0, double f0, const std::vector<double>& g0, double gtd0, double t1, double f1,
                               const std::vector<double>& g1, double gtd1) {
            bracket[0] = t0, bracket[1] = t1;
            bracket_f[0] = f0, bracket_f[1] = f1;
            bracket_g[0] = g0, bracket_g[1] = g1;
            bracket_gtd[0] = gtd0, bracket_gtd[1] = gtd1;
            size = 2;
        };
        while (ls_iter < max_ls) {
            if (f_new > (f + c1 * t * gtd) || (ls_iter > 1 && f_new >= f_prev)) {
                bracket_two(t_prev, f_prev, g_prev, gtd_prev, t, f_new, g_new, gtd_new);
                break;
            }
            if (std::abs(gtd_new) <= -c2 * gtd) {
                bracket[0] = t, bracket_f[0] = f_new, bracket_g[0] = g_new;
                size = 1;
                done = true;
                break;
            }
            if (gtd_new >= 0) {
                bracket_two(t_prev, f_prev, g_prev, gtd_prev, t, f_new, g_new, gtd_new);
                break;
            }
            const double min_step = t + 0.01 * (t - t_prev);
            const double max_step = t * 10;
            const double tmp = t;
            t = torch_cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, true, min_step, max_step);
            t_prev = tmp;
            f_prev = f_new;
            g_prev = g_new;
            gtd_prev = gtd_new;
            f_new = obj(t, g_new);
            ls_func_evals += 1;
            gtd_new = history_.dot(g_new.data(), d.data());
            ls_iter += 1;
        }
        if (ls_iter == max_ls) {  // torch leaves bracket_gtd as it was: the zoom below does not run
            bracket[0] = 0.0, bracket[1] = t;
            bracket_f[0] = f, bracket_f[1] = f_new;
            bracket_g[0] = g, bracket_g[1] = g_new;
            size = 2;
        }
        if (size == 0) throw std::logic_error("strong_wolfe: no bracket (max_ls < 0)");

        bool insuf_progress = false;
        std::size_t low_pos = bracket_f[0] <= bracket_f[size - 1] ? 0 : 1;
        std::size_t high_pos = 1 - low_pos;
        while (!done && ls_iter < max_ls) {
            if (std::abs(bracket[1] - bracket[0]) * d_norm < tolerance_change) break;
            t = torch_cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1],
                                        bracket_gtd[1]);
            const double b_max = std::max(bracket[0], bracket[1]);
            const double b_min = std::min(bracket[0], bracket[1]);
            const double eps = 0.1 * (b_max - b_min);
            if (std::min(b_max - t, t - b_min) < eps) {
                if (insuf_progress || t >= b_max || t <= b_min) {
                    if (std::abs(t - b_max) < std::abs(t - b_min))
                        t = b_max - eps;
                    else
                        t = b_min + eps;
                    insuf_progress = false;
                } else {
                    insuf_progress = true;
                }
            } else {
                insuf_progress = false;
            }
            f_new = obj(t, g_new);
            ls_func_evals += 1;
            gtd_new = history_.dot(g_new.data(), d.data());
            ls_iter += 1;
            if (f_new > (f + c1 * t * gtd) || f_new >= bracket_f[low_pos]) {
                bracket[high_pos] = t;
                bracket_f[high_pos] = f_new;
                bracket_g[high_pos] = g_new;
                bracket_gtd[high_pos] = gtd_new;
                low_pos = bracket_f[0] <= bracket_f[1] ? 0 : 1;
                high_pos = 1 - low_pos;
            } else {
                if (std::abs(gtd_new) <= -c2 * gtd) {
                    done = true;
                } else if (gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0) {
                    bracket[high_pos] = bracket[low_pos];
                    bracket_f[high_pos] = bracket_f[low_pos];
                    bracket_g[high_pos] = bracket_g[low_pos];
                    bracket_gtd[high_pos] = bracket_gtd[low_pos];
                }
                bracket[low_pos] = t;
                bracket_f[low_pos] = f_new;
                bracket_g[low_pos] = g_new;
                bracket_gtd[low_pos] = gtd_new;
            }
        }
        t = bracket[low_pos];
        f_io = bracket_f[low_pos];
        g_io = bracket_g[low_pos];
        return ls_func_evals;
    }

    std::size_t n_;
    torch_lbfgs_options options_;
    lbfgs_history history_;
    torch_lbfgs_state state_;
};

}  // namespace fastgd
