#include <cmath>
#include <vector>

#include "common.hpp"
#include "fastgd/fit_least_squares.hpp"
#include "fastgd/least_squares.hpp"
#include "fastgd/threads.hpp"

namespace fastgd::bindings {
namespace {

// Sum-of-squares loss and gradient; rows (optional) selects a mini-batch.
template <typename T>
py::tuple loss_grad(in_array<T> X, in_array<T> y, in_array<T> w, std::optional<in_array<std::int64_t>> rows,
                    bool mean, double l2) {
    const std::size_t n = static_cast<std::size_t>(X.shape(0)), d = static_cast<std::size_t>(X.shape(1));
    std::vector<std::size_t> idx;
    if (rows) {
        const auto* r = rows->data();
        idx.assign(r, r + rows->size());  // validated in Python: 0 <= r < n
    }
    design<T> A{X.data(), y.data(), rows ? idx.size() : n, d, false, rows ? idx.data() : nullptr};
    residual_sums<T> sums;
    {
        // Safe without the GIL: the arrays are held alive by this frame and only read.
        py::gil_scoped_release release;
        residual_sums_into(A, w.data(), get_num_threads(), sums);
    }
    const double m = static_cast<double>(A.n);
    const double scale = mean ? 1.0 / m : 1.0;
    double penalty = 0.0;
    py::array_t<T> grad(static_cast<py::ssize_t>(d));
    T* g = grad.mutable_data();
    const T* wp = w.data();
    for (std::size_t j = 0; j < d; ++j) {
        const double wj = static_cast<double>(wp[j]);
        penalty += wj * wj;
        g[j] = static_cast<T>(2.0 * scale * sums.grad[j] + 2.0 * l2 * wj);
    }
    return py::make_tuple(scale * sums.sum_sq + l2 * penalty, grad);
}

template <typename T>
double lipschitz(in_array<T> X, bool intercept, double l2) {
    design<T> A{X.data(), nullptr, static_cast<std::size_t>(X.shape(0)), static_cast<std::size_t>(X.shape(1)),
                intercept};
    interrupt_poller poller(python_signal_check());
    double L = 0.0;
    {
        // Safe without the GIL: X is held alive by this frame and only read; the
        // poller takes the GIL back to check for Ctrl-C.
        py::gil_scoped_release release;
        L = least_squares_lipschitz_auto(A, l2, get_num_threads(), nullptr, poller);
    }
    if (std::isnan(L) && PyErr_Occurred()) throw py::error_already_set();
    return L;
}

template <typename T>
double stream_sum_of(in_array<T> X) {
    design<T> A{X.data(), nullptr, static_cast<std::size_t>(X.shape(0)), static_cast<std::size_t>(X.shape(1)),
                false};
    // Safe without the GIL: X is held alive by this frame and only read.
    py::gil_scoped_release release;
    return stream_sum(A, get_num_threads());
}

template <typename T>
void define_for(py::module_& m) {
    m.def("stream_sum", &stream_sum_of<T>, py::arg("X").noconvert(),
          "Sum of all elements, threaded like the gradient: the read-bandwidth ceiling for benchmarks.");
    m.def("least_squares_loss_grad", &loss_grad<T>, py::arg("X").noconvert(), py::arg("y").noconvert(),
          py::arg("w").noconvert(), py::arg("rows").noconvert(), py::arg("mean"), py::arg("l2"));
    m.def("least_squares_lipschitz", &lipschitz<T>, py::arg("X").noconvert(), py::arg("intercept"),
          py::arg("l2"));
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
}

}  // namespace fastgd::bindings
