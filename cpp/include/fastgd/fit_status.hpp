#pragma once
/// How a descent loop ended: shared by the least-squares fit and minimize.

namespace fastgd {

/// converged: a first-order optimality test passed; stalled: the stopping rule
/// (a short step) fired but the optimality test did not pass; max_iter; diverged
/// (the loss or the parameters became infinite or ran away); stopped (a callback,
/// Ctrl-C or an error asked); no_improvement: scikit-learn's rule (loss_plateau.hpp)
/// fired, the loss not lower by tol for n_iter_no_change epochs in a row.
enum class fit_status { converged, stalled, max_iter, diverged, stopped, no_improvement };

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
        case fit_status::no_improvement:
            return "no_improvement";
    }
    return "unknown";
}

}  // namespace fastgd
