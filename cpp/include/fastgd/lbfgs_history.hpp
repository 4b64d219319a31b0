#pragma once
/// L-BFGS's memory: the newest m pairs s = x_{k+1} - x_k, y = g_{k+1} - g_k, and the
/// two-loop recursion that applies the inverse-Hessian approximation they define
/// (Nocedal & Wright, Numerical Optimization, Algorithm 7.4). minimize's "lbfgs" and
/// fastgd.LBFGS (torch.optim.LBFGS's rule) both step with it.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <vector>

#include "fastgd/dispatch.hpp"
#include "fastgd/dot.hpp"

namespace fastgd {

class lbfgs_history {
public:
    lbfgs_history(std::size_t capacity, std::size_t d)
        : capacity_(capacity), d_(d), s_(capacity * d), y_(capacity * d), rho_(capacity), alpha_(capacity) {
        if (capacity == 0) throw std::invalid_argument("the L-BFGS history needs at least one pair");
    }

    std::size_t capacity() const { return capacity_; }
    std::size_t dim() const { return d_; }
    /// Pairs held (at most capacity()).
    std::size_t size() const { return size_; }
    void clear() { size_ = first_ = 0; }

    /// Keeps (s, y), forgetting the oldest pair when full. ys = y.s must be > 0
    /// (the curvature condition): the caller decides what to skip.
    void push(const double* s, const double* y, double ys) { push_rho(s, y, 1.0 / ys); }

    /// push() with rho = 1 / (y.s) given: a restored state keeps its exact rho.
    void push_rho(const double* s, const double* y, double rho) {
        std::size_t slot;
        if (size_ < capacity_) {
            slot = (first_ + size_++) % capacity_;
        } else {
            slot = first_;
            first_ = (first_ + 1) % capacity_;
        }
        std::copy(s, s + d_, s_.begin() + static_cast<std::ptrdiff_t>(slot * d_));
        std::copy(y, y + d_, y_.begin() + static_cast<std::ptrdiff_t>(slot * d_));
        rho_[slot] = rho;
    }

    /// Forgets the newest pair (with push_oldest, undoes a push: fastgd.LBFGS rolls
    /// back an iteration whose evaluation raised).
    void pop_newest() {
        if (size_ == 0) throw std::logic_error("pop_newest on an empty L-BFGS history");
        --size_;
    }

    /// Puts (s, y, rho) back as the oldest pair; needs size() < capacity().
    void push_oldest(const double* s, const double* y, double rho) {
        if (size_ == capacity_) throw std::logic_error("push_oldest on a full L-BFGS history");
        first_ = (first_ + capacity_ - 1) % capacity_;
        ++size_;
        std::copy(s, s + d_, s_.begin() + static_cast<std::ptrdiff_t>(first_ * d_));
        std::copy(y, y + d_, y_.begin() + static_cast<std::ptrdiff_t>(first_ * d_));
        rho_[first_] = rho;
    }

    /// The first loop's coefficient alpha_i = rho_i s_i.q of the last descent_direction,
    /// pair i oldest first (torch.optim.LBFGS keeps them as state["al"]).
    double alpha(std::size_t i) const { return alpha_[i]; }

    /// The i-th pair held, oldest first (i < size()).
    const double* s(std::size_t i) const { return s_.data() + slot(i) * d_; }
    const double* y(std::size_t i) const { return y_.data() + slot(i) * d_; }
    double rho(std::size_t i) const { return rho_[slot(i)]; }

    /// out = -H g, with H the L-BFGS inverse Hessian built on H0 = gamma * I (gamma is
    /// usually s.y / y.y of the newest pair). out may not alias g. Fused: each update
    /// out += c v rounds once (std::fma), as torch's add_(v, alpha=c) does, and the dot
    /// products are dot.hpp's (fastgd.LBFGS follows torch's numbers). The default runs
    /// the dispatched kernel (arch/lbfgs_two_loop.hpp: the widest instruction set,
    /// each dot product fused into the pass before it).
    template <bool Fused = false>
    void descent_direction(const double* g, double* out, double gamma) {
        if constexpr (!Fused) {
            if (size_ == 0) {
                for (std::size_t j = 0; j < d_; ++j) out[j] = -g[j];
                return;
            }
            s_of_.resize(size_), y_of_.resize(size_), rho_of_.resize(size_);
            for (std::size_t i = 0; i < size_; ++i) s_of_[i] = s(i), y_of_[i] = y(i), rho_of_[i] = rho(i);
            kernels().minimizer.lbfgs_two_loop(s_of_.data(), y_of_.data(), rho_of_.data(), alpha_.data(), size_,
                                               d_, g, out, gamma);
            return;
        }
        for (std::size_t j = 0; j < d_; ++j) out[j] = -g[j];
        for (std::size_t i = size_; i-- > 0;) {
            const double* yi = y(i);
            const double a = dot(s(i), out) * rho(i);
            alpha_[i] = a;
            for (std::size_t j = 0; j < d_; ++j) out[j] = std::fma(-a, yi[j], out[j]);
        }
        for (std::size_t j = 0; j < d_; ++j) out[j] *= gamma;
        for (std::size_t i = 0; i < size_; ++i) {
            const double* si = s(i);
            const double c = alpha_[i] - dot(y(i), out) * rho(i);
            for (std::size_t j = 0; j < d_; ++j) out[j] = std::fma(c, si[j], out[j]);
        }
    }

    double dot(const double* a, const double* b) const { return fastgd::dot(a, b, d_); }

private:
    std::size_t slot(std::size_t i) const { return (first_ + i) % capacity_; }

    std::size_t capacity_, d_;
    std::size_t size_ = 0, first_ = 0;
    std::vector<double> s_, y_, rho_, alpha_;
    std::vector<const double*> s_of_, y_of_;  // the kernel's view, oldest first
    std::vector<double> rho_of_;
};

}  // namespace fastgd
