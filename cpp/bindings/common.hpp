#pragma once
// Included first by every binding file, so every translation unit sees the same
// pybind11 configuration and array aliases.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "fastgd/rule_params.hpp"
#include "fastgd/schedule.hpp"

namespace py = pybind11;

namespace fastgd::bindings {

// Read-only inputs: the Python layer has already converted them to exactly this
// dtype and C order, so no conversion happens here (noconvert on the arguments).
template <typename T>
using in_array = py::array_t<T, py::array::c_style>;

template <typename T>
py::array_t<T> to_numpy(const T* data, std::size_t n) {
    py::array_t<T> out(static_cast<py::ssize_t>(n));
    std::copy(data, data + n, out.mutable_data());
    return out;
}

/// A NumPy array of the given shape that takes over a vector's buffer: no copy, and
/// no fresh pages to fault in (long recorded paths are megabytes).
template <typename T>
py::array_t<T> adopt(std::vector<T>&& v, std::vector<py::ssize_t> shape) {
    if (v.size() < v.capacity() / 2) v.shrink_to_fit();  // a generous reservation, little used
    auto* owned = new std::vector<T>(std::move(v));
    py::capsule free_when_done(owned, [](void* ptr) { delete static_cast<std::vector<T>*>(ptr); });
    return py::array_t<T>(std::move(shape), owned->data(), free_when_done);
}

/// A private, bounds-checked copy of rows (another thread may rewrite the caller's
// array while the kernel reads it without the GIL).
inline std::vector<std::size_t> row_copy(const std::optional<in_array<std::int64_t>>& rows, std::size_t n) {
    std::vector<std::size_t> idx;
    if (!rows) return idx;
    const auto* r = rows->data();
    const std::size_t m = static_cast<std::size_t>(rows->size());
    idx.resize(m);
    for (std::size_t i = 0; i < m; ++i) {
        const std::int64_t k = r[i];
        if (k < 0 || static_cast<std::size_t>(k) >= n)
            throw std::invalid_argument("rows must be in [0, " + std::to_string(n) + ") for X with " +
                                        std::to_string(n) + " rows; got " + std::to_string(k) +
                                        " (was rows changed by another thread?)");
        idx[i] = static_cast<std::size_t>(k);
    }
    return idx;
}

/// A stop check for C++ loops running with the GIL released: takes the GIL and runs
/// Python's signal handlers. A raised KeyboardInterrupt stays set for the caller.
inline std::function<bool()> python_signal_check() {
    return [] {
        py::gil_scoped_acquire gil;
        return PyErr_CheckSignals() != 0;
    };
}

/// Update-rule hyperparameters from a kind name and a dict (bind_optimizer.cpp).
rule_params rule_params_from(const std::string& kind, const py::dict& hyper);
/// The learning-rate schedule in hyper["schedule"], or a constant hyper["lr"].
schedule schedule_from(const py::dict& hyper);

// Each area registers its functions on the module m; `testing` is the submodule
// _core._testing, for hooks that only tests and benchmarks use.
void register_threads(py::module_& m);
void register_checks(py::module_& m, py::module_& testing);
void register_least_squares(py::module_& m);
void register_losses(py::module_& m);
void register_fit(py::module_& m, py::module_& testing);
void register_optimizer(py::module_& m, py::module_& testing);
void register_param_groups(py::module_& m);
void register_minimize(py::module_& m, py::module_& testing);
void register_sparse(py::module_& m);
void register_sgd_rows(py::module_& m, py::module_& testing);
void register_lbfgs(py::module_& m);

}  // namespace fastgd::bindings
