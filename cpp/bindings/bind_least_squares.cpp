#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.hpp"
#include "fastgd/fit_least_squares.hpp"
#include "fastgd/least_squares.hpp"
#include "fastgd/threads.hpp"

namespace fastgd::bindings {
namespace {

// A failed allocation as a MemoryError naming the size (pybind11 says only "std::bad_alloc").
[[noreturn]] void out_of_memory(const char* what, double bytes) {
    const std::string msg = std::string(what) + " ran out of memory: it needs about " +
                            std::to_string(static_cast<long long>(bytes / (1 << 20)) + 1) +
                            " MiB of working arrays; free memory or pass fewer rows";
    PyErr_SetString(PyExc_MemoryError, msg.c_str());
    throw py::error_already_set();
}

// Sum-of-squares loss and gradient; rows (optional) selects a mini-batch. With
// intercept, w is theta = [w, b] (d + 1 values) and the gradient has b's last.
template <typename T>
py::tuple loss_grad_impl(in_array<T> X, in_array<T> y, in_array<T> w,
                         std::optional<in_array<std::int64_t>> rows, bool mean, double l2, bool intercept) {
    const std::size_t n = static_cast<std::size_t>(X.shape(0)), d = static_cast<std::size_t>(X.shape(1));
    const std::size_t p = d + (intercept ? 1 : 0);
    if (static_cast<std::size_t>(w.size()) != p)
        throw std::invalid_argument("w must have " + std::to_string(p) + " values (d" +
                                    (intercept ? " + 1 with the intercept last)" : ")"));
    const std::vector<std::size_t> idx = row_copy(rows, n);
    design<T> A{X.data(), y.data(), rows ? idx.size() : n, d, intercept, rows ? idx.data() : nullptr};
    residual_sums<T> sums;
    {
        // Safe without the GIL: the arrays are held alive by this frame and only read.
        py::gil_scoped_release release;
        residual_sums_into(A, w.data(), get_num_threads(), sums);
    }
    const double m = static_cast<double>(A.n);
    const double scale = mean ? 1.0 / m : 1.0;
    double penalty = 0.0;
    py::array_t<T> grad(static_cast<py::ssize_t>(p));
    T* g = grad.mutable_data();
    const T* wp = w.data();
    for (std::size_t j = 0; j < d; ++j) {
        const double wj = static_cast<double>(wp[j]);
        penalty += wj * wj;
        g[j] = static_cast<T>(2.0 * scale * sums.grad[j] + 2.0 * l2 * wj);
    }
    if (intercept) g[d] = static_cast<T>(2.0 * scale * sums.grad[d]);  // no penalty on b
    return py::make_tuple(scale * sums.sum_sq + l2 * penalty, grad);
}

template <typename T>
py::tuple loss_grad(in_array<T> X, in_array<T> y, in_array<T> w, std::optional<in_array<std::int64_t>> rows,
                    bool mean, double l2, bool intercept) {
    try {
        return loss_grad_impl<T>(X, y, w, rows, mean, l2, intercept);
    } catch (const std::bad_alloc&) {
        const double m = rows ? static_cast<double>(rows->size()) : 0.0;
        const double d = static_cast<double>(X.shape(1));
        out_of_memory("least_squares_loss_grad", 8.0 * (m + 64.0 * (d + 1.0)) + 8.0 * d);
    }
}

template <typename T>
double lipschitz(in_array<T> X, bool intercept, double l2) {
    design<T> A{X.data(), nullptr, static_cast<std::size_t>(X.shape(0)), static_cast<std::size_t>(X.shape(1)),
                intercept};
    interrupt_poller poller(python_signal_check());
    double L = 0.0;
    try {
        // Safe without the GIL: X is held alive by this frame and only read; the
        // poller takes the GIL back to check for Ctrl-C.
        py::gil_scoped_release release;
        L = least_squares_lipschitz_auto(A, l2, get_num_threads(), nullptr, poller);
    } catch (const std::bad_alloc&) {
        out_of_memory("lr='auto' (the largest eigenvalue of X^T X)", gram_bytes(A.p(), A.n));
    }
    if (std::isnan(L) && PyErr_Occurred()) throw py::error_already_set();
    return L;
}

// The optimality measure of least squares (least_squares.hpp) from sums added up
// elsewhere: the chunked fits (memmap, Dask) use the same rule as the in-memory fit.
double optimality(const in_array<double>& g, const in_array<double>& col_sq, const in_array<double>& theta,
                  std::size_t d, double l2, std::size_t n, double r_sq, double y_c_sq) {
    const std::size_t p = static_cast<std::size_t>(g.size());
    const bool same_length =
        static_cast<std::size_t>(col_sq.size()) == p && static_cast<std::size_t>(theta.size()) == p;
    if (g.ndim() != 1 || col_sq.ndim() != 1 || theta.ndim() != 1 || !same_length || d > p || n == 0)
        throw std::invalid_argument("g, col_sq and theta must be 1-D of one length p >= d, and n > 0");
    return optimality_measure(g.data(), col_sq.data(), p, d, theta.data(), l2, n, r_sq, y_c_sq);
}

// X^T X, X^T y and y^T y in one threaded pass, in double, bitwise the same for any
// thread count (fixed slices): the chunked fits add these up from their chunks.
// BLAS (X.T @ X) splits its sums by the threads it happens to use, so a Dask fit
// run twice could differ in the last bit.
// With intercept, of A = [X, 1]: G is (d + 1) x (d + 1), its last row the column sums.
template <typename T>
py::tuple gram_of(in_array<T> X, in_array<T> y, bool intercept) {
    if (X.ndim() != 2 || y.ndim() != 1 || y.shape(0) != X.shape(0))
        throw std::invalid_argument("X must be 2-D and y 1-D with one value per row of X");
    design<T> A{X.data(), y.data(), static_cast<std::size_t>(X.shape(0)), static_cast<std::size_t>(X.shape(1)),
                intercept};
    gram_form F;
    try {
        // Safe without the GIL: X and y are held alive by this frame and only read.
        py::gil_scoped_release release;
        F = compute_gram(A, get_num_threads());
    } catch (const std::bad_alloc&) {
        out_of_memory("the Gram form X^T X", gram_bytes(A.p(), A.n));
    }
    py::array_t<double> G({static_cast<py::ssize_t>(A.p()), static_cast<py::ssize_t>(A.p())});
    std::copy(F.G.begin(), F.G.end(), G.mutable_data());
    return py::make_tuple(G, to_numpy(F.Xty.data(), F.Xty.size()), F.yy);
}

template <typename T>
void define_for(py::module_& m) {
    m.def("least_squares_loss_grad", &loss_grad<T>, py::arg("X").noconvert(), py::arg("y").noconvert(),
          py::arg("w").noconvert(), py::arg("rows").noconvert(), py::arg("mean"), py::arg("l2"),
          py::arg("intercept") = false);
    m.def("least_squares_lipschitz", &lipschitz<T>, py::arg("X").noconvert(), py::arg("intercept"),
          py::arg("l2"));
    m.def("least_squares_gram", &gram_of<T>, py::arg("X").noconvert(), py::arg("y").noconvert(),
          py::arg("intercept") = false,
          "(A^T A, A^T y, y^T y) in double for A = X or [X, 1], the same bits for any thread count.");
}

}  // namespace

void register_least_squares(py::module_& m) {
    define_for<float>(m);
    define_for<double>(m);
    m.def(
        "gram_lipschitz",
        [](const in_array<double>& G, std::size_t d, std::size_t n, double l2) {
            if (G.ndim() != 2 || G.shape(0) != G.shape(1) || static_cast<std::size_t>(G.shape(0)) < d || n == 0)
                throw py::value_error("G must be a square matrix of at least d rows, and n > 0");
            return gram_lipschitz(G.data(), static_cast<std::size_t>(G.shape(0)), d, n, l2);
        },
        py::arg("G").noconvert(), py::arg("d"), py::arg("n"), py::arg("l2"),
        "L of least squares from A^T A (the power iteration of the in-memory fits).");
    m.def("least_squares_optimality", &optimality, py::arg("g").noconvert(), py::arg("col_sq").noconvert(),
          py::arg("theta").noconvert(), py::arg("d"), py::arg("l2"), py::arg("n"), py::arg("r_sq"),
          py::arg("y_c_sq"), "The optimality measure behind 'converged' (least_squares.hpp).");
}

}  // namespace fastgd::bindings
