#pragma once
/// Learning-rate schedules, evaluated at step t = 0, 1, 2, ... inside the loops.
/// NumPy twin: fastgd.reference.schedule_value.

#include <cmath>
#include <cstddef>
#include <sstream>
#include <stdexcept>
#include <string>

#include "fastgd/always_inline.hpp"

namespace fastgd {

enum class schedule_kind { constant, inverse_scaling, inverse_time, step, exponential, cosine };

struct schedule {
    schedule_kind kind = schedule_kind::constant;
    double lr0 = 1e-3;
    double gamma = 0.1;       // step, exponential: the decay factor
    double power = 0.25;      // inverse_scaling: lr0 / (t + 1)^power (scikit-learn's invscaling)
    double decay = 0.0;       // inverse_time: lr0 / (1 + decay t) (scikit-learn's "optimal")
    double step_size = 1.0;   // step: decay every step_size steps
    double t_max = 1.0;       // cosine: steps from lr0 down to eta_min
    double eta_min = 0.0;     // cosine: the floor
    double warmup_steps = 0;  // linear warmup from start_factor * lr(0) to lr(0), then lr(t - warmup)
    double start_factor = 0.0;

    /// Refuse a schedule that could give a NaN, negative, growing or zero rate from the
    /// start: lr0 > 0 (a rate of 0 never moves; the plain, unscheduled lr may be 0, as
    /// in torch), gamma in (0, 1], power >= 0, step_size and t_max > 0, 0 <= eta_min
    /// (<= lr0 for cosine), decay >= 0, warmup_steps >= 0, start_factor in [0, 1]. Every field is
    /// checked whatever the kind, so that a field is never silently out of range.
    /// A schedule may still decay towards 0 (exponential, cosine to eta_min = 0): the
    /// fits report a run that stops moving as "stalled", not "converged".
    void validate() const {
        check(std::isfinite(lr0) && lr0 > 0.0, "lr0", "a finite number > 0", lr0);
        check(gamma > 0.0 && gamma <= 1.0, "gamma", "in (0, 1]", gamma);
        check(std::isfinite(power) && power >= 0.0, "power", "a finite number >= 0", power);
        check(std::isfinite(decay) && decay >= 0.0, "decay", "a finite number >= 0", decay);
        check(std::isfinite(step_size) && step_size > 0.0, "step_size", "a finite number > 0", step_size);
        check(std::isfinite(t_max) && t_max > 0.0, "t_max", "a finite number > 0", t_max);
        check(std::isfinite(eta_min) && eta_min >= 0.0, "eta_min", "a finite number >= 0", eta_min);
        if (kind == schedule_kind::cosine)
            check(eta_min <= lr0, "eta_min", "<= lr0 (the cosine decays from lr0 to eta_min)", eta_min);
        check(std::isfinite(warmup_steps) && warmup_steps >= 0.0, "warmup_steps", "a finite number >= 0",
              warmup_steps);
        check(start_factor >= 0.0 && start_factor <= 1.0, "start_factor", "in [0, 1]", start_factor);
    }

    /// The learning rate of step t.
    FASTGD_ALWAYS_INLINE double at(std::size_t step) const {
        const double t = static_cast<double>(step);
        if (t < warmup_steps) return base(0.0) * (start_factor + (1.0 - start_factor) * t / warmup_steps);
        return base(t - warmup_steps);
    }

private:
    static void check(bool ok, const char* name, const char* expected, double got) {
        if (ok) return;
        std::ostringstream os;
        os << "schedule " << name << " must be " << expected << ", got " << got;
        throw std::invalid_argument(os.str());
    }

    FASTGD_ALWAYS_INLINE double base(double t) const {
        switch (kind) {
            case schedule_kind::constant:
                return lr0;
            case schedule_kind::inverse_scaling:
                return lr0 / std::pow(t + 1.0, power);
            case schedule_kind::inverse_time:
                return lr0 / (1.0 + decay * t);
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
