#pragma once
/// A built-in objective (test_functions.hpp) as minimize's loop calls it, with, for
/// rosenbrock, an evaluation along a line in one pass: xt = x + t p, f(xt), its
/// gradient and g.p, on the same parts of the coordinates as L-BFGS's passes
/// (lbfgs_parts.hpp). So at d = 10^4 each core keeps its part of x, p, xt and g in
/// its own cache from one pass to the next, where a one-thread line search moved
/// them between the cores every iteration.

#include <cstddef>

#include "fastgd/dispatch.hpp"
#include "fastgd/lbfgs_parts.hpp"
#include "fastgd/test_functions.hpp"

namespace fastgd {

class builtin_objective {
public:
    builtin_objective(test_function fn, std::size_t d) : fn_(fn), d_(d), parts_(d) {}

    double operator()(const double* x, double* g) const { return evaluate(fn_, x, g, d_); }

    /// f at xt = x + t p, written to xt with the gradient into g, and gp = g.p; false
    /// (nothing written) when this objective has no such pass: the caller then makes
    /// the point, evaluates and sums g.p itself. The parts run on the thread pool when
    /// on_threads (the method's own passes run on the same parts: L-BFGS's), else one
    /// after the other here (cg, bfgs: their passes are one thread's, and g and xt
    /// written by the other core would cross to this one's cache after every search).
    bool along(const double* x, double t, const double* p, double* xt, double* g, double& f, double& gp,
               bool on_threads) {
        if (fn_ != test_function::rosenbrock) return false;
        const minimizer_kernels& k = kernels().minimizer;
        parts_.run([&](std::size_t part, std::size_t lo, std::size_t n) {
            auto& sums = parts_.sums[part];
            sums[0] = k.rosenbrock_along(x, p, t, d_, lo, lo + n, xt, g, &sums[1]);
        }, on_threads);
        f = parts_.total(0);
        gp = parts_.total(1);
        return true;
    }

private:
    test_function fn_;
    std::size_t d_;
    lbfgs_parts parts_;
};

}  // namespace fastgd
