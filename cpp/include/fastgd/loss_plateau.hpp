#pragma once
/// scikit-learn's stopping rule for its SGD estimators (tol with n_iter_no_change),
/// the one copy every descent loop uses: after each epoch, a loss that is not below
/// the best so far minus tol counts one; n_iter_no_change such epochs in a row end
/// the fit (fit_status::no_improvement), or, with the adaptive learning rate, divide
/// the rate by 5 and start counting again, until the rate is below 1e-6.
///
/// "The loss" is what each loop records for an epoch (the mean training loss over
/// the epoch's steps, or the full objective when it is recorded); tol < 0 is off.

#include <cmath>
#include <cstddef>

namespace fastgd {

struct loss_plateau {
    double tol = -1.0;               // < 0: the rule is off
    std::size_t n_iter_no_change = 5;
    bool adaptive = false;           // scikit-learn's learning_rate="adaptive"

    enum class verdict { go_on, lower_lr, stop };

    bool on() const { return tol >= 0.0; }

    /// After an epoch with this loss, at the rate lr * lr_scale() in use now.
    verdict after_epoch(double loss, double lr_now) {
        if (!on()) return verdict::go_on;
        if (loss > best_ - tol) ++count_;
        else count_ = 0;
        if (loss < best_) best_ = loss;
        if (count_ < n_iter_no_change) return verdict::go_on;
        if (adaptive && lr_now > 1e-6) {
            lr_scale_ /= 5.0;
            count_ = 0;
            return verdict::lower_lr;
        }
        return verdict::stop;
    }

    /// The factor the adaptive rule has put on the learning rate (1 until it acts).
    double lr_scale() const { return lr_scale_; }

private:
    double best_ = INFINITY;
    std::size_t count_ = 0;
    double lr_scale_ = 1.0;
};

}  // namespace fastgd
