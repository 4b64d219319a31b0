// The compiled half of sparse X (scipy.sparse CSR) in fastgd.loss_grad and lr="auto"
// of fastgd.fit_linear: scipy's data, indices and indptr are read in place (never
// copied), after check_csr (linear_loss.hpp) has checked every offset and index, so
// nothing read without the GIL is out of bounds. fit_linear's CSR entry is in bind_fit.cpp.
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.hpp"
#include "loss_results.hpp"
#include "fastgd/linear_loss.hpp"
#include "fastgd/threads.hpp"

namespace fastgd::bindings {
namespace {

[[noreturn]] void out_of_memory(const char* what, double bytes) {
    const std::string msg = std::string(what) + " ran out of memory: it needs about " +
                            std::to_string(static_cast<long long>(bytes / (1 << 20)) + 1) +
                            " MiB of working arrays";
    PyErr_SetString(PyExc_MemoryError, msg.c_str());
    throw py::error_already_set();
}

/// The CSR view of scipy's arrays, checked (check_csr); nnz gets the checked count.
template <typename T, typename I>
csr_view<T, I> checked_view(const in_array<T>& data, const in_array<I>& indices, const in_array<I>& indptr,
                            std::size_t n, std::size_t d, std::size_t& nnz) {
    if (data.ndim() != 1 || indices.ndim() != 1 || indptr.ndim() != 1)
        throw std::invalid_argument("X.data, X.indices and X.indptr must be 1-D");
    if (static_cast<std::size_t>(indptr.size()) != n + 1)
        throw std::invalid_argument("X.indptr must have n_rows + 1 = " + std::to_string(n + 1) + " values");
    const csr_view<T, I> X{data.data(), indices.data(), indptr.data(), n, d};
    nnz = check_csr(X, static_cast<std::size_t>(data.size()), static_cast<std::size_t>(indices.size()));
    return X;
}

template <typename T, typename I>
py::tuple csr_loss_grad(in_array<T> data, in_array<I> indices, in_array<I> indptr, std::size_t n, std::size_t d,
                        in_array<T> y, in_array<T> w, double b, std::optional<in_array<T>> sample_weight,
                        std::optional<in_array<std::int64_t>> rows, int loss, double epsilon, double alpha,
                        double l1_ratio) {
    if (loss < 0 || loss >= n_loss_kinds) throw std::invalid_argument("unknown loss id " + std::to_string(loss));
    std::size_t nnz = 0;
    const csr_view<T, I> X = checked_view(data, indices, indptr, n, d, nnz);
    if (w.ndim() != 1 || static_cast<std::size_t>(w.size()) != d)
        throw std::invalid_argument("w must have " + std::to_string(d) + " values (one per column of X)");
    const std::vector<std::size_t> idx = row_copy(rows, n);
    const std::size_t m = rows ? idx.size() : n;
    check_loss_inputs(n, y, sample_weight, m, l1_ratio);
    std::vector<T> theta(w.data(), w.data() + d);
    theta.push_back(static_cast<T>(b));
    const csr_design<T, I> A{X, nnz, y.data(), m, d, true, rows ? idx.data() : nullptr};
    const loss_spec spec{static_cast<loss_kind>(loss), epsilon};
    loss_sums sums;
    try {
        // Safe without the GIL: the arrays are held alive by this frame, only read,
        // and checked above; rows is a checked private copy, theta a private copy.
        py::gil_scoped_release release;
        linear_loss_sums_into(A, sample_weight ? sample_weight->data() : nullptr, spec, theta.data(),
                              get_num_threads(), sums);
    } catch (const std::bad_alloc&) {
        loss_grad_out_of_memory(8.0 * 9.0 * (static_cast<double>(d) + 2.0));
    }
    return linear_loss_result(sums, m, theta.data(), d, alpha, l1_ratio);
}

template <typename T, typename I>
py::tuple csr_multinomial_loss_grad(in_array<T> data, in_array<I> indices, in_array<I> indptr, std::size_t n,
                                    std::size_t d, in_array<std::int64_t> labels, in_array<T> W, in_array<T> b,
                                    std::optional<in_array<T>> sample_weight,
                                    std::optional<in_array<std::int64_t>> rows, double alpha, double l1_ratio) {
    std::size_t nnz = 0;
    const csr_view<T, I> X = checked_view(data, indices, indptr, n, d, nnz);
    const std::size_t K = class_count(W, b, d);
    const std::vector<std::size_t> idx = row_copy(rows, n);
    const std::size_t m = rows ? idx.size() : n;
    check_loss_inputs(n, labels, sample_weight, m, l1_ratio);
    const std::vector<int> cls = checked_labels(labels, n, K);
    const csr_design<T, I> A{X, nnz, nullptr, m, d, true, rows ? idx.data() : nullptr};
    loss_sums sums;
    try {
        // Safe without the GIL: as csr_loss_grad; labels are a checked private copy.
        py::gil_scoped_release release;
        softmax_sums_into(A, cls.data(), sample_weight ? sample_weight->data() : nullptr, W.data(), b.data(), K,
                          get_num_threads(), sums);
    } catch (const std::bad_alloc&) {
        loss_grad_out_of_memory(8.0 * static_cast<double>(d * K + K) * 10.0);
    }
    return multinomial_loss_result(sums, m, W.data(), d, K, alpha, l1_ratio);
}

/// (L, max_row_sq): L the largest eigenvalue of (2/n) A^T A (A = [X, 1] when
/// intercept), as least_squares_lipschitz for dense X; max_row_sq = max_i ||x_i||^2.
template <typename T, typename I>
py::tuple csr_lipschitz_py(in_array<T> data, in_array<I> indices, in_array<I> indptr, std::size_t n, std::size_t d,
                           bool intercept) {
    std::size_t nnz = 0;
    const csr_view<T, I> X = checked_view(data, indices, indptr, n, d, nnz);
    interrupt_poller poller(python_signal_check());
    double L = 0.0, row_sq = 0.0;
    try {
        // Safe without the GIL: the arrays are held alive by this frame, only read,
        // and checked above; the poller takes the GIL back to check for Ctrl-C.
        py::gil_scoped_release release;
        row_sq = max_row_square(X, nnz);
        L = csr_lipschitz(X, nnz, intercept, get_num_threads(), poller);
    } catch (const std::bad_alloc&) {
        out_of_memory("lr='auto' (the largest eigenvalue of X^T X)", 8.0 * 12.0 * (static_cast<double>(d) + 2.0));
    }
    if (std::isnan(L) && PyErr_Occurred()) throw py::error_already_set();
    return py::make_tuple(L, row_sq);
}

template <typename T, typename I>
void define_for(py::module_& m) {
    m.def("csr_loss_grad", &csr_loss_grad<T, I>, py::arg("data").noconvert(), py::arg("indices").noconvert(),
          py::arg("indptr").noconvert(), py::arg("n_rows"), py::arg("n_cols"), py::arg("y").noconvert(),
          py::arg("w").noconvert(), py::arg("b"), py::arg("sample_weight").noconvert(), py::arg("rows").noconvert(),
          py::arg("loss"), py::arg("epsilon"), py::arg("alpha"), py::arg("l1_ratio"),
          "linear_loss_grad on a CSR matrix given as its arrays (linear_loss.hpp).");
    m.def("csr_multinomial_loss_grad", &csr_multinomial_loss_grad<T, I>, py::arg("data").noconvert(),
          py::arg("indices").noconvert(), py::arg("indptr").noconvert(), py::arg("n_rows"), py::arg("n_cols"),
          py::arg("labels").noconvert(), py::arg("W").noconvert(), py::arg("b").noconvert(),
          py::arg("sample_weight").noconvert(), py::arg("rows").noconvert(), py::arg("alpha"), py::arg("l1_ratio"),
          "multinomial_loss_grad on a CSR matrix given as its arrays (linear_loss.hpp).");
    m.def("csr_lipschitz", &csr_lipschitz_py<T, I>, py::arg("data").noconvert(), py::arg("indices").noconvert(),
          py::arg("indptr").noconvert(), py::arg("n_rows"), py::arg("n_cols"), py::arg("intercept"),
          "(L, max_row_sq) of a CSR matrix: L the largest eigenvalue of (2/n) A^T A, A = [X, 1].");
}

}  // namespace

void register_sparse(py::module_& m) {
    define_for<float, std::int32_t>(m);
    define_for<float, std::int64_t>(m);
    define_for<double, std::int32_t>(m);
    define_for<double, std::int64_t>(m);
}

}  // namespace fastgd::bindings
