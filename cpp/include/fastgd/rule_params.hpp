#pragma once
/// Hyperparameters and per-step scalars of the update rules (torch.optim's names).
/// Plain data: shared by the per-instruction-set kernels and the optimizer objects.

#include <cstddef>

namespace fastgd {

enum class rule_kind { sgd, adam, adagrad, rmsprop, adadelta, adamax, nadam, radam };

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
    bool decoupled_weight_decay = false;  // AdamW: theta *= 1 - lr * weight_decay
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
};

/// What a step needs besides the arrays: worked out once per step in double.
struct step_scalars {
    double lr = 0.0;  // the learning rate of this step (a schedule's value)
    double a = 0.0;   // rule-specific: step size, bias corrections, ...
    double b = 0.0;
    double c = 0.0;
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
    }
    return 0;
}

}  // namespace fastgd
