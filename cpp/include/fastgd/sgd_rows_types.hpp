#pragma once
/// The pieces of single-row SGD (sgd_rows.hpp) that the per-instruction-set epoch
/// kernels (arch/sgd_rows_epoch.hpp) share with the driver: the settings of a step,
/// one fit's weights in scikit-learn's lazy form, one epoch's inputs and outputs, and
/// the kernel table.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "fastgd/always_inline.hpp"
#include "fastgd/csr.hpp"
#include "fastgd/dispatch.hpp"
#include "fastgd/interrupt.hpp"
#include "fastgd/schedule.hpp"

namespace fastgd {

/// What every step of a fit does (scikit-learn's _plain_sgd, minus the passive-aggressive
/// rates and the one-class SVM).
struct sgd_rows_step_config {
    loss_spec loss{loss_kind::squared_error, 0.1};
    double alpha = 1e-4;      // the penalty's strength
    double l1_ratio = 0.15;   // 0: l2 only, 1: l1 only
    bool l1_proximal = false; // l1 by soft-thresholding every weight (O(d) a step) instead of
                              // scikit-learn's cumulative truncated gradient (the row's nonzeros)
    bool fit_intercept = true;
    double intercept_decay = 1.0;  // scikit-learn: 1 for dense X, 0.01 for sparse X
    std::size_t average = 0;       // 0: off; a >= 1: average from (1-based) step a on
    bool need_loss = false;        // sum L_i over the epoch (tol, record or a callback)
    schedule lr;                   // at the global step count t = 0, 1, ...

    bool l2_on() const { return alpha > 0.0 && l1_ratio < 1.0; }
    bool l1_on() const { return alpha > 0.0 && l1_ratio > 0.0; }
};

/// One fit's weights in scikit-learn's WeightVector form: the weights are wscale * v; the
/// average is (aw + avg_a v) / avg_b (Bottou's lazy averaging); q and u are the truncated
/// gradient's per-feature and cumulative l1 penalties.
///
/// The lazy average is kept lazy between epochs and calls (only scikit-learn's own reset,
/// when wscale falls below its floor, folds it): the truncated l1 changes v after the
/// average's update, and how much of that change reaches the average depends on avg_a /
/// avg_b, so folding at other times would change scikit-learn's results.
template <typename T>
struct sgd_rows_weights {
    std::vector<T> v;   // d
    std::vector<T> aw;  // d when averaging, else empty
    std::vector<T> q;   // d when l1 is truncated, else empty
    double wscale = 1.0;
    double b = 0.0;
    double avg_a = 0.0;
    double avg_b = 1.0;
    double ab = 0.0;  // the averaged intercept
    double u = 0.0;

    /// wscale into v and the lazy average into aw: scikit-learn's reset_wscale.
    FASTGD_ALWAYS_INLINE void fold() {
        const std::size_t d = v.size();
        if (!aw.empty()) {
            for (std::size_t j = 0; j < d; ++j) aw[j] = static_cast<T>(aw[j] + avg_a * v[j]);
            const double inv_b = 1.0 / avg_b;
            for (std::size_t j = 0; j < d; ++j) aw[j] = static_cast<T>(aw[j] * inv_b);
            avg_a = 0.0;
            avg_b = 1.0;
        }
        fold_scale();
    }

    /// wscale into v only, the lazy average unchanged (avg_a v stays the same vector):
    /// after every epoch, so the state between epochs (and calls) is wscale = 1.
    FASTGD_ALWAYS_INLINE void fold_scale() {
        if (wscale == 1.0) return;
        for (std::size_t j = 0; j < v.size(); ++j) v[j] = static_cast<T>(v[j] * wscale);
        if (!aw.empty()) avg_a /= wscale;
        wscale = 1.0;
    }

    /// The averaged weights now: (aw + avg_a v) / avg_b (with wscale = 1).
    FASTGD_ALWAYS_INLINE void average_into(T* out) const {
        const double inv_b = 1.0 / avg_b;
        for (std::size_t j = 0; j < v.size(); ++j) out[j] = static_cast<T>((aw[j] + avg_a * v[j]) * inv_b);
    }
};

/// One epoch of one fit: inputs, the state it advances and what it reports.
template <typename T>
struct sgd_rows_epoch {
    const T* y = nullptr;             // n targets or labels +-1 (a private copy)
    const T* sw = nullptr;            // n sample weights, or nullptr (all 1)
    double weight_pos = 1.0;          // class weight of rows with y > 0
    double weight_neg = 1.0;          // class weight of the others
    const std::size_t* order = nullptr;  // n rows in visiting order, or nullptr: 0..n-1
    double lr_scale = 1.0;            // the adaptive rule's factor (loss_plateau::lr_scale)
    sgd_rows_weights<T>* w = nullptr;
    std::size_t t = 0;                // the global step count (advanced)
    interrupt_poller* poller = nullptr;
    std::vector<std::size_t>* index_buffer = nullptr;  // scratch for a CSR row's checked indices
    int threads = 1;  // threads the epoch may use (those the other fits leave idle)
    // Reported:
    double loss_sum = 0.0;   // sum of L_i over the rows visited (when need_loss), added to
                             // its value on entry
    std::size_t rows_done = 0;
    bool stopped = false;    // the poller asked to stop (rows_done < n)
    bool bad_index = false;  // a CSR index or offset out of range: the epoch stopped there
};

/// Rows of a CSR X copied in an epoch's visiting order into private memory
/// (sgd_rows_gather.hpp): row k is values and indices [offsets[k], offsets[k + 1]), with
/// its target y[k] and sample weight sw[k] (sw empty: all 1). Indices are checked (< d).
template <typename T>
struct gathered_rows {
    std::vector<std::size_t> offsets{0};
    std::vector<T> values;
    std::vector<std::size_t> indices;
    std::vector<T> y, sw;
    std::size_t rows = 0;
};

/// A run of plain single-sample SGD steps on least squares (fit_least_squares with
/// optimizer="sgd", batch_size=1, no momentum, weight decay or maximize): positions
/// [begin, end) of the epoch's order (nullptr: row i at position i) over X (n x d,
/// row-major), theta = [w, b] (b when intercept). arch/least_squares_sgd_run.hpp.
template <typename T>
struct least_squares_sgd_run {
    const T* X = nullptr;
    const T* y = nullptr;
    std::size_t n = 0;  // rows, and positions of the order
    std::size_t d = 0;
    bool intercept = false;
    const std::size_t* order = nullptr;
    std::size_t begin = 0, end = 0;
    T lr = 0;               // the rate of every step, unless lrs is given:
    const T* lrs = nullptr; // the rate of the step at position i is lrs[i - begin]
    T ridge = 0;            // 2 l2
    /// A step's residual is clipped to [-max_residual, max_residual] (scikit-learn's
    /// clip of the derivative; the sum of squares takes it unclipped).
    T max_residual = std::numeric_limits<T>::infinity();
};

template <typename T>
struct sgd_rows_kernels {
    void (*dense)(const sgd_rows_step_config& c, const T* X, std::size_t n, std::size_t d, sgd_rows_epoch<T>& e);
    /// nnz: the length of data and indices as allocated (offsets are checked against it).
    void (*csr32)(const sgd_rows_step_config& c, const csr_view<T, std::int32_t>& X, std::size_t nnz,
                  sgd_rows_epoch<T>& e);
    void (*csr64)(const sgd_rows_step_config& c, const csr_view<T, std::int64_t>& X, std::size_t nnz,
                  sgd_rows_epoch<T>& e);
    /// The steps over rows gathered by sgd_rows_gather.hpp, in their order; e.y, e.sw and
    /// e.order are ignored (the rows carry their targets and weights).
    void (*gathered)(const sgd_rows_step_config& c, const gathered_rows<T>& rows, std::size_t d,
                     sgd_rows_epoch<T>& e);
    /// The run's steps on theta; returns the sum of the squared residuals, each before its step.
    double (*least_squares_sgd)(const least_squares_sgd_run<T>& run, T* theta);
};

struct sgd_rows_table {
    const char* name;
    sgd_rows_kernels<float> f32;
    sgd_rows_kernels<double> f64;
};

/// The table for the instruction set kernels() chose (cpp/dispatch/sgd_rows_dispatch.cpp).
const sgd_rows_table& sgd_rows_kernels_for_cpu();

template <typename T>
const sgd_rows_kernels<T>& sgd_rows_kernels_of();
template <>
inline const sgd_rows_kernels<float>& sgd_rows_kernels_of<float>() {
    return sgd_rows_kernels_for_cpu().f32;
}
template <>
inline const sgd_rows_kernels<double>& sgd_rows_kernels_of<double>() {
    return sgd_rows_kernels_for_cpu().f64;
}

}  // namespace fastgd
