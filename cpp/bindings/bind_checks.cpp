// Whole-array checks for the Python edge (_validation.require_finite), and the
// read-bandwidth probe the benchmarks judge the kernels against (_core._testing).
#include "common.hpp"

#include <cmath>
#include <cstddef>

#include "fastgd/fit_least_squares.hpp"
#include "fastgd/least_squares.hpp"
#include "fastgd/threads.hpp"

namespace fastgd::bindings {
namespace {

/// A C-contiguous array of any shape as rows: its first axis, by the rest.
template <typename T>
design<T> rows_of(const in_array<T>& X) {
    const std::size_t n = X.ndim() > 0 ? static_cast<std::size_t>(X.shape(0)) : 1;
    const std::size_t d = n == 0 ? 0 : static_cast<std::size_t>(X.size()) / n;
    return design<T>{X.data(), nullptr, n, d, false};
}

/// True when no element of X is NaN or infinite.
template <typename T>
bool all_finite(const in_array<T>& X) {
    if (X.size() == 0) return true;
    const design<T> A = rows_of(X);
    // Safe without the GIL: X is held alive by this frame and only read.
    py::gil_scoped_release release;
    return finite_design(A, get_num_threads());
}

template <typename T>
double stream_sum_of(const in_array<T>& X) {
    const design<T> A = rows_of(X);
    // Safe without the GIL: X is held alive by this frame and only read.
    py::gil_scoped_release release;
    return stream_sum(A, get_num_threads());
}

}  // namespace

void register_checks(py::module_& m, py::module_& testing) {
    m.def("all_finite", &all_finite<float>, py::arg("X").noconvert());
    m.def("all_finite", &all_finite<double>, py::arg("X").noconvert(),
          "True when no element of X (C-contiguous float32/float64, any shape) is NaN or infinite.");
    testing.def("stream_sum", &stream_sum_of<float>, py::arg("X").noconvert());
    testing.def("stream_sum", &stream_sum_of<double>, py::arg("X").noconvert(),
                "Sum of all elements, threaded like the gradient: the read-bandwidth ceiling for benchmarks.");
}

}  // namespace fastgd::bindings
