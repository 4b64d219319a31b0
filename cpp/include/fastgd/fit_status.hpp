#pragma once
/// How a descent loop ended: shared by the least-squares fit and minimize.

namespace fastgd {

/// converged: a first-order optimality test passed; stalled: the stopping rule
/// (a short step) fired but the optimality test did not pass; max_iter; diverged
/// (the loss or the parameters became infinite or ran away); stopped (a callback,
/// Ctrl-C or an error asked).
enum class fit_status { converged, stalled, max_iter, diverged, stopped };

inline const char* to_string(fit_status s) {
    switch (s) {
        case fit_status::converged:
            return "converged";
        case fit_status::stalled:
            return "stalled";
        case fit_status::max_iter:
            return "max_iter";
        case fit_status::diverged:
            return "diverged";
        case fit_status::stopped:
            return "stopped";
    }
    return "unknown";
}

}  // namespace fastgd
