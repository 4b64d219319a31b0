#pragma once
/// Runtime CPU dispatch: one table of kernels per instruction set, chosen once.
///
/// The tables are built in cpp/dispatch/ (one translation unit per instruction
/// set). The environment variable FASTGD_ARCH=baseline|avx2|avx512 caps the choice,
/// so every copy can be tested on a machine that has the wider one.

#include <cstddef>
#include <cstdint>

#include "fastgd/rule_params.hpp"

namespace fastgd {

/// The losses of the linear models (arch/losses.hpp has their definitions).
enum class loss_kind : int {
    squared_error = 0,
    huber = 1,
    epsilon_insensitive = 2,
    squared_epsilon_insensitive = 3,
    log_loss = 4,
    hinge = 5,
    squared_hinge = 6,
    modified_huber = 7,
    perceptron = 8,
};
constexpr int n_loss_kinds = 9;

struct loss_spec {
    loss_kind kind;
    double epsilon;  // huber, epsilon_insensitive, squared_epsilon_insensitive
};

template <typename T>
struct row_kernels {
    /// See arch/least_squares_rows.hpp: residual_rows. idx may be nullptr; y may be nullptr (y = 0).
    double (*residual_rows)(const T* X, const T* y, std::size_t d, const std::size_t* idx, const T* w,
                            bool intercept, std::size_t begin, std::size_t end, T* g, double* g_intercept);
    /// See arch/least_squares_rows.hpp: gram_rows.
    double (*gram_rows)(const T* X, const T* y, std::size_t d, const std::size_t* idx, bool intercept,
                        std::size_t begin, std::size_t end, double* G, double* Xty, double* scratch);
    /// See arch/least_squares_rows.hpp: sum_rows (a bandwidth probe).
    double (*sum_rows)(const T* X, std::size_t d, std::size_t begin, std::size_t end);
    /// See arch/least_squares_rows.hpp: sample_sgd_step.
    double (*sample_sgd_step)(const T* x, T y, T* w, std::size_t d, bool intercept, T lr, T ridge);
    /// See arch/gradient_scale.hpp.
    void (*scale_gradient)(T* g, const T* theta, std::size_t d, T scale, T ridge);
    /// See arch/update_rules.hpp.
    void (*apply_rule)(const rule_params& o, const step_scalars& k, T* p, const T* grad, T* s0, T* s1, T* s2,
                       std::size_t n);
    /// See arch/least_squares_rows.hpp: linear_rows with the loss spec.kind (sw may be nullptr: weights 1);
    /// arch/lane_rows.hpp for a loss with a vector form (every loss has one).
    double (*loss_rows)(const loss_spec& spec, const T* X, const T* y, const T* sw, std::size_t d,
                        const std::size_t* idx, const T* w, bool intercept, std::size_t begin, std::size_t end, T* g,
                        double* g_intercept);
    /// See arch/least_squares_rows.hpp: softmax_rows.
    double (*softmax_rows)(const T* X, const int* labels, const T* sw, std::size_t d, const std::size_t* idx,
                           const T* Wt, const T* b, std::size_t K, std::size_t begin, std::size_t end, T* G,
                           double* gb, T* zs, double* es);
    /// loss_rows over the rows of a CSR matrix (data, indices, indptr as scipy holds
    /// them, checked by the caller; nnz their checked length), one per index type; the
    /// gradient accumulates in double over the nonzeros only (g: d values,
    /// *g_intercept: the intercept's).
    double (*loss_rows_csr32)(const loss_spec& spec, const T* data, const std::int32_t* indices,
                              const std::int32_t* indptr, std::size_t nnz, const T* y, const T* sw, std::size_t d,
                              const std::size_t* idx, const T* w, bool intercept, std::size_t begin, std::size_t end,
                              double* g, double* g_intercept);
    double (*loss_rows_csr64)(const loss_spec& spec, const T* data, const std::int64_t* indices,
                              const std::int64_t* indptr, std::size_t nnz, const T* y, const T* sw, std::size_t d,
                              const std::size_t* idx, const T* w, bool intercept, std::size_t begin, std::size_t end,
                              double* g, double* g_intercept);
    /// softmax_rows over CSR rows (Gt in double), one per index type.
    double (*softmax_rows_csr32)(const T* data, const std::int32_t* indices, const std::int32_t* indptr,
                                 std::size_t nnz, const int* labels, const T* sw, std::size_t d,
                                 const std::size_t* idx, const T* Wt, const T* b, std::size_t K, std::size_t begin,
                                 std::size_t end, double* Gt, double* gb, T* zs, double* es);
    double (*softmax_rows_csr64)(const T* data, const std::int64_t* indices, const std::int64_t* indptr,
                                 std::size_t nnz, const int* labels, const T* sw, std::size_t d,
                                 const std::size_t* idx, const T* Wt, const T* b, std::size_t K, std::size_t begin,
                                 std::size_t end, double* Gt, double* gb, T* zs, double* es);
};

/// The minimizers' vector kernels (double only).
struct minimizer_kernels {
    /// See arch/lbfgs_compact.hpp: lbfgs_pair_dots, lbfgs_combine, lbfgs_new_pair_dots.
    void (*lbfgs_pair_dots)(const double* const* s, const double* const* y, std::size_t m, std::size_t d,
                            const double* g, const double* yn, double* sg, double* yg, double* sy, double* yy,
                            double* scratch);
    double (*lbfgs_combine)(const double* const* s, const double* const* y, std::size_t m, std::size_t d,
                            const double* g, double cg, const double* cs, const double* cy, double* out);
    void (*lbfgs_new_pair_dots)(const double* x, const double* xt, const double* g, const double* gt,
                                std::size_t d, double* s, double* y, const double* const* S,
                                const double* const* Y, std::size_t m, double* sg, double* yg, double* sy,
                                double* yy, double* scratch, double* sums);
    /// arch/rosenbrock.hpp: the built-in rosenbrock's value, its gradient into g.
    double (*rosenbrock)(const double* x, std::size_t d, double* g);
    /// arch/rosenbrock.hpp: coordinates [lo, hi) of it at xt = x + t p (see rosenbrock_along).
    double (*rosenbrock_along)(const double* x, const double* p, double t, std::size_t d, std::size_t lo,
                               std::size_t hi, double* xt, double* g, double* gp);
};

struct kernel_table {
    const char* name;
    row_kernels<float> f32;
    row_kernels<double> f64;
    minimizer_kernels minimizer;
};

/// The table for the widest instruction set this CPU (and FASTGD_ARCH) allows.
const kernel_table& kernels();

template <typename T>
const row_kernels<T>& kernels_for();
template <>
inline const row_kernels<float>& kernels_for<float>() {
    return kernels().f32;
}
template <>
inline const row_kernels<double>& kernels_for<double>() {
    return kernels().f64;
}

/// The CSR kernels for index type I (int32_t or int64_t).
template <typename T, typename I>
auto csr_loss_rows(const row_kernels<T>& k) {
    if constexpr (sizeof(I) == 4)
        return k.loss_rows_csr32;
    else
        return k.loss_rows_csr64;
}
template <typename T, typename I>
auto csr_softmax_rows(const row_kernels<T>& k) {
    if constexpr (sizeof(I) == 4)
        return k.softmax_rows_csr32;
    else
        return k.softmax_rows_csr64;
}

}  // namespace fastgd
