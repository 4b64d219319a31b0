#pragma once
/// Learning-rate schedules, evaluated at step t = 0, 1, 2, ... inside the loops.

#include <cmath>
#include <cstddef>

namespace fastgd {

enum class schedule_kind { constant, inverse_scaling, step, exponential, cosine };

struct schedule {
    schedule_kind kind = schedule_kind::constant;
    double lr0 = 1e-3;
    double gamma = 0.1;       // step, exponential: the decay factor
    double power = 0.25;      // inverse_scaling: lr0 / (t + 1)^power (scikit-learn's invscaling)
    double step_size = 1.0;   // step: decay every step_size steps
    double t_max = 1.0;       // cosine: steps from lr0 down to eta_min
    double eta_min = 0.0;     // cosine: the floor
    double warmup_steps = 0;  // linear warmup from start_factor * lr(0) to lr(0), then lr(t - warmup)
    double start_factor = 0.0;

    /// The learning rate of step t.
    double at(std::size_t step) const {
        const double t = static_cast<double>(step);
        if (t < warmup_steps) return base(0.0) * (start_factor + (1.0 - start_factor) * t / warmup_steps);
        return base(t - warmup_steps);
    }

private:
    double base(double t) const {
        switch (kind) {
            case schedule_kind::constant:
                return lr0;
            case schedule_kind::inverse_scaling:
                return lr0 / std::pow(t + 1.0, power);
            case schedule_kind::step:
                return lr0 * std::pow(gamma, std::floor(t / step_size));
            case schedule_kind::exponential:
                return lr0 * std::pow(gamma, t);
            case schedule_kind::cosine: {
                const double pi = 3.14159265358979323846;
                const double tc = t < t_max ? t : t_max;  // stays at eta_min after t_max
                return eta_min + (lr0 - eta_min) * (1.0 + std::cos(pi * tc / t_max)) / 2.0;
            }
        }
        return lr0;
    }
};

}  // namespace fastgd
