#pragma once
/// Hyperparameters and per-step scalars of the update rules (torch.optim's names).
/// Plain data: shared by the per-instruction-set kernels and the optimizer objects.

#include <cmath>
#include <cstddef>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

namespace fastgd {

enum class rule_kind { sgd, adam, adagrad, rmsprop, adadelta, adamax, nadam, radam, rprop, asgd, lion, adafactor };

struct rule_params {
    rule_kind kind = rule_kind::sgd;
    double lr = 1e-3;
    double weight_decay = 0.0;
    bool maximize = false;
    // SGD, RMSprop
    double momentum = 0.0;
    double dampening = 0.0;
    bool nesterov = false;
    // Adam family
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    bool amsgrad = false;
    bool decoupled_weight_decay = false;  // AdamW (and Adam, NAdam, RAdam with it): theta *= 1 - lr * weight_decay
    // Adagrad
    double lr_decay = 0.0;
    double initial_accumulator_value = 0.0;
    // RMSprop
    double alpha = 0.99;
    bool centered = false;
    // Adadelta
    double rho = 0.9;
    // NAdam
    double momentum_decay = 4e-3;
    // Rprop: step size factors (etas) and bounds (step_sizes)
    double eta_minus = 0.5;
    double eta_plus = 1.2;
    double step_size_min = 1e-6;
    double step_size_max = 50.0;
    // ASGD (its alpha, the power of eta's decay, is the field alpha above)
    double lambd = 1e-4;
    double t0 = 1e6;
    // Adafactor: eps1 unset means the machine epsilon of the parameters' dtype (torch's None)
    double beta2_decay = -0.8;
    std::optional<double> eps1;
    double eps2 = 1e-3;
    double d = 1.0;
};

namespace detail {

/// "name must be ..., got x": the wording of every hyperparameter refusal.
inline void require(bool ok, const char* name, const char* expected, double got) {
    if (ok) return;
    std::ostringstream os;
    os << name << " must be " << expected << ", got " << got;
    throw std::invalid_argument(os.str());
}

}  // namespace detail

/// Refuse hyperparameters that would give NaN or a step the wrong way. The Python
/// classes check the same with torch's wording; this check is for whatever reaches
/// C++ another way (a hand-made dict, a subclass), so that no such value is used.
inline void validate(const rule_params& p) {
    using detail::require;
    auto nonnegative = [](double x, const char* name) {
        require(std::isfinite(x) && x >= 0.0, name, "a finite number >= 0", x);
    };
    nonnegative(p.lr, "lr");
    nonnegative(p.weight_decay, "weight_decay");
    nonnegative(p.momentum, "momentum");
    nonnegative(p.dampening, "dampening");
    nonnegative(p.eps, "eps");
    nonnegative(p.lr_decay, "lr_decay");
    nonnegative(p.initial_accumulator_value, "initial_accumulator_value");
    nonnegative(p.alpha, "alpha");
    nonnegative(p.momentum_decay, "momentum_decay");
    require(p.beta1 >= 0.0 && p.beta1 < 1.0, "beta1", "in [0, 1)", p.beta1);
    require(p.beta2 >= 0.0 && p.beta2 < 1.0, "beta2", "in [0, 1)", p.beta2);
    require(p.rho >= 0.0 && p.rho <= 1.0, "rho", "in [0, 1]", p.rho);
    if (p.nesterov && (p.momentum <= 0.0 || p.dampening != 0.0))
        throw std::invalid_argument("Nesterov momentum requires a momentum > 0 and zero dampening");
    // Rprop, ASGD, Adafactor (their defaults pass for the other rules)
    require(p.eta_minus > 0.0 && p.eta_minus < 1.0, "eta_minus (etas[0])", "in (0, 1)", p.eta_minus);
    require(std::isfinite(p.eta_plus) && p.eta_plus > 1.0, "eta_plus (etas[1])", "a finite number > 1", p.eta_plus);
    nonnegative(p.step_size_min, "step_size_min (step_sizes[0])");
    require(std::isfinite(p.step_size_max) && p.step_size_max >= p.step_size_min, "step_size_max (step_sizes[1])",
            "a finite number >= step_size_min", p.step_size_max);
    nonnegative(p.lambd, "lambd");
    require(std::isfinite(p.t0), "t0", "a finite number", p.t0);
    require(std::isfinite(p.beta2_decay) && p.beta2_decay <= 0.0, "beta2_decay", "a finite number <= 0",
            p.beta2_decay);
    if (p.eps1) nonnegative(*p.eps1, "eps1 (eps[0])");
    nonnegative(p.eps2, "eps2 (eps[1])");
    require(std::isfinite(p.d) && p.d >= 1.0, "d", "a finite number >= 1", p.d);
}

/// Which state arrays (by index, in the order of state_arrays) can never be negative:
/// sums and averages of squares, and Adamax's running maximum of |g|. A loaded state
/// with a negative one would take the square root of it (NaN).
inline bool state_is_nonnegative(const rule_params& p, int index) {
    switch (p.kind) {
        case rule_kind::sgd:
            return false;
        case rule_kind::adam:
            return index >= 1;  // exp_avg_sq, max_exp_avg_sq
        case rule_kind::adagrad:
            return index == 0;  // sum
        case rule_kind::rmsprop:
            return index == 0;  // square_avg (grad_avg and momentum_buffer are signed)
        case rule_kind::adadelta:
            return true;  // square_avg, acc_delta
        case rule_kind::adamax:
        case rule_kind::nadam:
        case rule_kind::radam:
            return index == 1;  // exp_inf / exp_avg_sq
        case rule_kind::rprop:
            return index == 1;  // step_size (prev is a signed gradient)
        case rule_kind::asgd:
        case rule_kind::lion:
            return false;  // ax, exp_avg
        case rule_kind::adafactor:
            return true;  // row_var and col_var, or variance
    }
    return false;
}

/// What a step needs besides the arrays: worked out once per step in double.
struct step_scalars {
    double lr = 0.0;  // the learning rate of this step (a schedule's value)
    double step_size = 0.0;              // Adam, Adamax: lr / (1 - beta1^t)
    double sqrt_bias_correction2 = 0.0;  // Adam: sqrt(1 - beta2^t)
    double grad_coef = 0.0;              // NAdam: lr (1 - mu_t) / (1 - prod mu)
    double momentum_coef = 0.0;          // NAdam: lr mu_{t+1} / (1 - prod mu mu_{t+1})
    double bias_correction1 = 0.0;       // RAdam: 1 - beta1^t
    double bias_correction2 = 0.0;       // NAdam: 1 - beta2^t
    double rectified_scale = 0.0;        // RAdam: r_t sqrt(1 - beta2^t), when rectify
    double eta = 0.0;                    // ASGD: this step's eta (lr on the first step)
    double mu = 1.0;                     // ASGD: this step's averaging weight (1: ax = theta)
    bool first = false;   // the first step (SGD's momentum buffer starts at the gradient)
    bool rectify = true;  // RAdam: the variance is tractable (rho_t > 5)
};

/// Number of state arrays (each as long as the parameters) a rule keeps.
inline int state_arrays(const rule_params& p) {
    switch (p.kind) {
        case rule_kind::sgd:
            return p.momentum != 0.0 ? 1 : 0;
        case rule_kind::adam:
            return p.amsgrad ? 3 : 2;
        case rule_kind::adagrad:
            return 1;
        case rule_kind::rmsprop:
            return 1 + (p.centered ? 1 : 0) + (p.momentum > 0.0 ? 1 : 0);
        case rule_kind::adadelta:
            return 2;
        case rule_kind::adamax:
            return 2;
        case rule_kind::nadam:
            return 2;
        case rule_kind::radam:
            return 2;
        case rule_kind::rprop:
            return 2;  // prev, step_size
        case rule_kind::asgd:
            return 1;  // ax
        case rule_kind::lion:
            return 1;  // exp_avg
        case rule_kind::adafactor:
            return 2;  // row_var, col_var when factored (optimizer<T>::state_count: variance alone else)
    }
    return 0;
}

}  // namespace fastgd
