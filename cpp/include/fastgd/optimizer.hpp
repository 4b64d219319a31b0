#pragma once
/// An update rule with its state: one in-place step at a time on a contiguous
/// array of parameters, vectorised for this CPU and threaded for long arrays.
/// The rules and their defaults are torch.optim's (see rule_params.hpp).
///
/// NumPy twin: fastgd.reference.OptimizerReference (one function per rule).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "fastgd/buffer.hpp"
#include "fastgd/dispatch.hpp"
#include "fastgd/power_sequence.hpp"
#include "fastgd/rule_params.hpp"
#include "fastgd/threads.hpp"

namespace fastgd {

/// Elements an update rule steps as one piece of work: long arrays are split into
/// blocks of this size across threads, short ones are batched into blocks as long.
constexpr std::size_t step_block = std::size_t{1} << 16;

template <typename T>
class optimizer {
public:
    explicit optimizer(const rule_params& p) : params_(p) {}

    const rule_params& params() const { return params_; }
    std::size_t steps() const { return steps_; }
    std::size_t size() const { return size_; }
    double mu_product() const { return mu_product_; }  // NAdam's running product of momentum factors
    std::vector<state_vector<T>>& state() { return state_; }
    const std::vector<state_vector<T>>& state() const { return state_; }

    /// Count a step taken outside step() (a fused kernel doing this rule's update).
    void count_step() { ++steps_; }

    /// Forget the state: the next step is a first step again.
    void reset() {
        state_.clear();
        steps_ = 0;
        size_ = 0;
        mu_product_ = 1.0;
    }

    /// Replace the state (sizes are checked by the caller).
    void restore(std::size_t steps, double mu_product, std::vector<state_vector<T>> state, std::size_t size) {
        steps_ = steps;
        mu_product_ = mu_product;
        state_ = std::move(state);
        size_ = size;
    }

    /// Replace the hyperparameters (torch's live param_groups: the next step uses
    /// them, the moments are kept). The rule and the set of state arrays must stay.
    void set_params(const rule_params& p) {
        check_params(p);
        params_ = p;
    }

    /// Throws what set_params(p) would throw, changing nothing.
    void check_params(const rule_params& p) const {
        if (p.kind != params_.kind) throw std::invalid_argument("the update rule of an optimizer cannot change");
        if (size_ != 0 && state_arrays(p) != static_cast<int>(state_.size()))
            throw std::invalid_argument(
                "this change of hyperparameters changes the optimizer's state arrays (e.g. amsgrad, centered, "
                "or momentum to or from 0) after the first step; make a new optimizer instead");
    }

    /// Allocate the state for n parameters if there is none yet (the first step, or
    /// the first after a stateless restore), else check n: the only part of a step
    /// that can fail, so a caller stepping many arrays does it for all of them first.
    void prepare(std::size_t n) {
        if (size_ == 0) allocate(n);
        if (n != size_)
            throw std::invalid_argument("params has " + std::to_string(n) +
                                        " elements but the optimizer state has " + std::to_string(size_) +
                                        "; call reset() to start over");
    }

    /// Count the step and work out its scalars; apply() then updates any parts of
    /// the array with them (after prepare()).
    step_scalars begin_step(double lr) noexcept {
        ++steps_;
        return scalars(lr);
    }

    /// params[begin:end] updated in place with grad[begin:end] (pointers to element 0).
    void apply(const step_scalars& k, T* p, const T* grad, std::size_t begin, std::size_t end) noexcept {
        T* s[3] = {nullptr, nullptr, nullptr};
        for (std::size_t i = 0; i < state_.size(); ++i) s[i] = state_[i].data() + begin;
        kernels_for<T>().apply_rule(params_, k, p + begin, grad + begin, s[0], s[1], s[2], end - begin);
    }

    /// params[0:n] updated in place with grad[0:n] at learning rate lr (this step's
    /// value of the schedule). The first step fixes n; state is allocated then.
    void step(T* p, const T* grad, std::size_t n, double lr, int n_threads = 1) {
        prepare(n);
        const step_scalars k = begin_step(lr);
        if (n <= step_block) {  // one block: the common small case, called directly
            apply(k, p, grad, 0, n);
            return;
        }
        const std::size_t n_blocks = (n + step_block - 1) / step_block;
        // Element-wise: any split gives the same result; threads only pay off on long arrays.
        const int threads = n < 4 * step_block ? 1 : n_threads;
        parallel_for(n_blocks, threads, [&](std::size_t first, std::size_t last) {
            apply(k, p, grad, first * step_block, std::min(n, last * step_block));
        });
    }

    /// The same with a gradient of another dtype (the fits' float64 sums), rounded to
    /// T first as torch computes in the parameter's dtype.
    template <typename G>
    void step_rounded(T* p, const G* grad, std::size_t n, double lr, int n_threads = 1) {
        if constexpr (std::is_same_v<G, T>) {
            step(p, grad, n, lr, n_threads);
        } else {
            rounded_.resize(n);
            for (std::size_t i = 0; i < n; ++i) rounded_[i] = static_cast<T>(grad[i]);
            step(p, rounded_.data(), n, lr, n_threads);
        }
    }

private:
    void allocate(std::size_t n) {
        size_ = n;
        const int count = state_arrays(params_);
        state_.assign(static_cast<std::size_t>(count), state_vector<T>(n, T(0)));
        if (params_.kind == rule_kind::adagrad)
            std::fill(state_[0].begin(), state_[0].end(), static_cast<T>(params_.initial_accumulator_value));
    }

    step_scalars scalars(double lr) {
        const rule_params& o = params_;
        const double t = static_cast<double>(steps_);
        step_scalars k;
        k.lr = lr;
        k.first = steps_ == 1;
        switch (o.kind) {
            case rule_kind::sgd:
            case rule_kind::rmsprop:
            case rule_kind::adadelta:
                break;
            case rule_kind::adam:
                k.step_size = lr / (1.0 - beta1_power_.at(o.beta1, steps_));
                k.sqrt_bias_correction2 = std::sqrt(1.0 - beta2_power_.at(o.beta2, steps_));
                break;
            case rule_kind::adagrad:
                k.lr = lr / (1.0 + (t - 1.0) * o.lr_decay);
                break;
            case rule_kind::adamax:
                k.step_size = lr / (1.0 - beta1_power_.at(o.beta1, steps_));
                break;
            case rule_kind::nadam: {
                const double mu = o.beta1 * (1.0 - 0.5 * std::pow(0.96, t * o.momentum_decay));
                const double mu_next = o.beta1 * (1.0 - 0.5 * std::pow(0.96, (t + 1.0) * o.momentum_decay));
                mu_product_ *= mu;
                k.grad_coef = lr * (1.0 - mu) / (1.0 - mu_product_);
                k.momentum_coef = lr * mu_next / (1.0 - mu_product_ * mu_next);
                k.bias_correction2 = 1.0 - beta2_power_.at(o.beta2, steps_);
                break;
            }
            case rule_kind::radam: {
                const double beta2_t = beta2_power_.at(o.beta2, steps_);
                const double bc2 = 1.0 - beta2_t;
                const double rho_inf = 2.0 / (1.0 - o.beta2) - 1.0;
                const double rho_t = rho_inf - 2.0 * t * beta2_t / bc2;
                k.bias_correction1 = 1.0 - beta1_power_.at(o.beta1, steps_);
                k.rectify = rho_t > 5.0;
                if (k.rectify)
                    k.rectified_scale = std::sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf /
                                    ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)) *
                          std::sqrt(bc2);
                break;
            }
        }
        return k;
    }

    rule_params params_;
    std::vector<state_vector<T>> state_;
    std::vector<T> rounded_;
    std::size_t steps_ = 0;
    std::size_t size_ = 0;
    double mu_product_ = 1.0;
    power_sequence beta1_power_, beta2_power_;
};

}  // namespace fastgd
