#pragma once
/// scikit-learn's single-row SGD (_plain_sgd + WeightVector) as a compiled engine: K
/// independent fits (one-vs-rest) over a dense or CSR X, each epoch visiting the rows
/// in order or in fastgd's seeded shuffle, with scikit-learn's tol / n_iter_no_change
/// rule (loss_plateau.hpp), its adaptive rate, the divergence rule of the other fits,
/// and Ctrl-C. The step itself is arch/sgd_rows_epoch.hpp (per instruction set).
///
/// Fits run over the threads, one fit a task: each fit's arithmetic is the same on
/// any thread, so results do not depend on the thread count.
/// NumPy twin: the reference loop in tests/test_sgd_rows.py.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "fastgd/fit_least_squares.hpp"  // divergence_rule
#include "fastgd/fit_status.hpp"
#include "fastgd/interrupt.hpp"
#include "fastgd/loss_plateau.hpp"
#include "fastgd/permutation.hpp"
#include "fastgd/sgd_rows_types.hpp"
#include "fastgd/threads.hpp"

namespace fastgd {

struct sgd_rows_config {
    sgd_rows_step_config step;
    double tol = -1.0;  // < 0: off
    std::size_t n_iter_no_change = 5;
    bool adaptive = false;
    std::size_t max_iter = 5;
    shuffle_kind shuffle = shuffle_kind::rows;
    std::size_t shuffle_block_rows = 1024;  // "blocks": rows a block (shuffle_block_rows(row bytes))
    bool record = false;
    std::size_t t0 = 0;      // steps taken before this call (the schedule continues)
    std::size_t epoch0 = 0;  // epochs taken before this call (the shuffles continue)
    int n_threads = 1;
};

/// One of the K fits: its labels, seed, class weights and weights (in and out).
template <typename T>
struct sgd_rows_fit {
    const T* y = nullptr;  // n targets / labels +-1
    std::uint64_t seed = 0;
    double weight_pos = 1.0, weight_neg = 1.0;
    sgd_rows_weights<T> w;
    // Out:
    std::vector<double> losses;  // the epoch's mean of s_i L_i, when record
    std::size_t n_iter = 0;
    std::size_t t = 0;  // the step count at the end
    fit_status status = fit_status::max_iter;
    bool bad_input = false;  // X's CSR arrays turned out of range (changed while running)
    std::exception_ptr error;
};

/// alpha ((1 - l1_ratio)/2 ||w||^2 + l1_ratio ||w||_1) at w (the scale folded in).
template <typename T>
double penalty_value(const sgd_rows_step_config& step, const std::vector<T>& w) {
    if (!(step.alpha > 0.0)) return 0.0;
    double sq = 0.0, ab = 0.0;
    for (const T x : w) {
        sq += static_cast<double>(x) * static_cast<double>(x);
        ab += std::fabs(static_cast<double>(x));
    }
    return step.alpha * (0.5 * (1.0 - step.l1_ratio) * sq + step.l1_ratio * ab);
}

/// Runs every fit. run_epoch(sgd_rows_epoch<T>&) is one epoch over X (the kernel table's
/// entry, X bound); caller_stop() is polled from the calling thread only (it may take the
/// GIL); on_epoch(epoch, mean loss, weights) -> true stops (used with one fit only).
template <typename T, typename RunEpoch, typename OnEpoch>
void fit_rows(const sgd_rows_config& c, std::size_t n, const T* sw, std::vector<sgd_rows_fit<T>>& fits,
              RunEpoch&& run_epoch, const std::function<bool()>& caller_stop, OnEpoch&& on_epoch) {
    std::atomic<bool> stop_flag{false};
    const std::thread::id caller = std::this_thread::get_id();
    const bool need_loss = c.step.need_loss;
    // (Only for long shuffles: waking a thread costs more than shuffling a few 10^5 rows.)
    const int shuffle_threads = fits.size() < static_cast<std::size_t>(c.n_threads) && n >= (std::size_t{1} << 19)
                                    ? c.n_threads / static_cast<int>(fits.size())
                                    : 1;
    // Threads the fits leave idle: a CSR epoch gathers its rows on one (sgd_rows_gather.hpp).
    const int epoch_threads = std::max(1, c.n_threads / static_cast<int>(std::max<std::size_t>(1, fits.size())));
    auto one_fit = [&](sgd_rows_fit<T>& f) {
        loss_plateau plateau;
        plateau.tol = c.tol;
        plateau.n_iter_no_change = c.n_iter_no_change;
        plateau.adaptive = c.adaptive;
        interrupt_poller poller([&] {
            if (stop_flag.load(std::memory_order_relaxed)) return true;
            if (std::this_thread::get_id() == caller && caller_stop && caller_stop()) {
                stop_flag.store(true);
                return true;
            }
            return false;
        });
        std::vector<std::size_t> order, index_buffer;
        std::optional<divergence_rule> diverged;
        std::size_t t = c.t0;
        f.status = fit_status::max_iter;
        for (std::size_t epoch = 0; epoch < c.max_iter; ++epoch) {
            // Threads the fits leave idle compute the shuffle (its result does not depend on them).
            epoch_order(c.shuffle, f.seed, c.epoch0 + epoch, n, c.shuffle_block_rows, order, shuffle_threads);
            sgd_rows_epoch<T> e;
            e.y = f.y;
            e.sw = sw;
            e.weight_pos = f.weight_pos;
            e.weight_neg = f.weight_neg;
            e.order = c.shuffle != shuffle_kind::none ? order.data() : nullptr;
            e.lr_scale = plateau.lr_scale();
            e.w = &f.w;
            e.t = t;
            e.poller = &poller;
            e.index_buffer = &index_buffer;
            e.threads = epoch_threads;
            run_epoch(e);
            t = e.t;
            f.w.fold_scale();
            if (e.bad_index) {
                f.bad_input = true;
                f.status = fit_status::stopped;
                break;
            }
            if (e.stopped) {
                f.status = fit_status::stopped;
                break;
            }
            f.n_iter = epoch + 1;
            // scikit-learn's objective for its tol: the mean unweighted loss over the
            // epoch's steps plus the penalty (scikit-learn adds it at every step; here
            // at the epoch's end weights, one O(d) pass an epoch).
            const double mean =
                need_loss ? e.loss_sum / static_cast<double>(n) + penalty_value(c.step, f.w.v) : 0.0;
            if (c.record) f.losses.push_back(mean);
            if (!diverged) diverged.emplace(mean);
            const T* v = f.w.v.data();
            if ((*diverged)(mean, v, f.w.v.size()) || !std::isfinite(f.w.b)) {
                f.status = fit_status::diverged;
                break;
            }
            if (on_epoch(f.n_iter, need_loss ? mean : std::nan(""), f.w)) {
                f.status = fit_status::stopped;
                break;
            }
            if (plateau.after_epoch(mean, c.step.lr.at(t) * plateau.lr_scale()) == loss_plateau::verdict::stop) {
                f.status = fit_status::no_improvement;
                break;
            }
        }
        f.t = t;
    };
    parallel_for(fits.size(), c.n_threads, [&](std::size_t first, std::size_t last) {
        for (std::size_t k = first; k < last; ++k) {
            try {
                one_fit(fits[k]);
            } catch (...) {  // nothing may leave a worker: reported after the join
                fits[k].error = std::current_exception();
                fits[k].status = fit_status::stopped;
            }
        }
    });
}

}  // namespace fastgd
