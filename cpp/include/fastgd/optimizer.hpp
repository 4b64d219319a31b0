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

#include "fastgd/adafactor.hpp"
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
    double eta() const { return eta_; }  // ASGD: the eta of the next step (float32 values, as torch keeps it)
    double mu() const { return mu_; }    // ASGD: the averaging weight of the next step

    /// The parameters' shape, set before the first step by whoever knows it (the
    /// binding of an optimizer object); unset, the parameters are a flat vector (the
    /// fits, minimize). Only Adafactor's state depends on it (see adafactor.hpp).
    void set_shape(std::vector<std::size_t> shape) {
        shape_ = std::move(shape);
        has_shape_ = true;
    }
    bool has_shape() const { return has_shape_; }
    const std::vector<std::size_t>& shape() const { return shape_; }

    /// ASGD's eta and mu, restored with the state (restore() sets the rest).
    void restore_asgd(double eta, double mu) {
        eta_ = eta;
        mu_ = mu;
    }

    /// Number of state arrays, and the length of each, for these parameters: those of
    /// state_arrays(params()), each size() long, but for Adafactor, whose factored
    /// moments follow the shape. For a state of `n` parameters (before allocation).
    int state_count(std::size_t n) const {
        if (params_.kind == rule_kind::adafactor) return adafactor_layout::of(shape_, n).state_count();
        return state_arrays(params_);
    }
    std::size_t state_size(int index, std::size_t n) const {
        if (params_.kind == rule_kind::adafactor) return adafactor_layout::of(shape_, n).state_size(index, n);
        return n;
    }
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
        eta_ = 0.0;
        mu_ = 1.0;
        shape_.clear();
        has_shape_ = false;
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
        const int wanted = p.kind == rule_kind::adafactor ? adafactor_layout::of(shape_, size_).state_count()
                                                          : state_arrays(p);
        if (size_ != 0 && wanted != static_cast<int>(state_.size()))
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
        if (params_.kind == rule_kind::adafactor)  // its sums, allocated here: apply() cannot fail
            scratch_.resize(adafactor_layout::of(shape_, n).scratch_size());
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
        if (params_.kind == rule_kind::adafactor) {  // not element-wise: one piece, the whole array
            if (begin == 0 && end == size_)
                adafactor_step(params_, adafactor_layout::of(shape_, size_), steps_, k.lr, p, grad, s[0], s[1],
                               size_, scratch_.data());
            return;
        }
        kernels_for<T>().apply_rule(params_, k, p + begin, grad + begin, s[0], s[1], s[2], end - begin);
    }

    /// Whether apply() may update the array in pieces (element-wise rules); else it
    /// takes the whole array in one call, apply(k, p, grad, 0, size()) (Adafactor).
    bool splittable() const { return params_.kind != rule_kind::adafactor; }

    /// params[0:n] updated in place with grad[0:n] at learning rate lr (this step's
    /// value of the schedule). The first step fixes n; state is allocated then.
    void step(T* p, const T* grad, std::size_t n, double lr, int n_threads = 1) {
        prepare(n);
        const step_scalars k = begin_step(lr);
        if (n <= step_block || !splittable()) {  // one block: the common small case, called directly
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
        if (has_shape_) {
            std::size_t product = 1;
            for (const std::size_t d : shape_) product *= d;
            if (product != n) throw std::invalid_argument("the optimizer's shape does not match the parameters' size");
        }
        size_ = n;
        if (params_.kind == rule_kind::adafactor) {
            state_.clear();
            for (int i = 0; i < state_count(n); ++i) state_.emplace_back(state_size(i, n), T(0));
            return;
        }
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
            case rule_kind::rprop:  // its first step starts the step sizes at k.lr
            case rule_kind::lion:
            case rule_kind::adafactor:  // adafactor.hpp works out its own from t and lr
                break;
            case rule_kind::asgd: {
                // torch keeps eta and mu as float32 scalars (its default dtype): so do we,
                // so that runs and state dicts match torch's. eta starts at this step's lr.
                if (steps_ == 1) {
                    eta_ = as_float32(lr);
                    mu_ = 1.0;
                }
                k.eta = eta_;
                k.mu = mu_;
                eta_ = as_float32(lr / std::pow(1.0 + o.lambd * lr * t, o.alpha));
                mu_ = as_float32(1.0 / std::max(1.0, t - o.t0));
                break;
            }
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

    static double as_float32(double x) { return static_cast<double>(static_cast<float>(x)); }

    rule_params params_;
    std::vector<state_vector<T>> state_;
    std::vector<T> rounded_;
    std::size_t steps_ = 0;
    std::size_t size_ = 0;
    double mu_product_ = 1.0;
    double eta_ = 0.0, mu_ = 1.0;  // ASGD
    std::vector<std::size_t> shape_;
    bool has_shape_ = false;
    std::vector<double> scratch_;  // Adafactor's column sums and row means
    power_sequence beta1_power_, beta2_power_;
};

}  // namespace fastgd
