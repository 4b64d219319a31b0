#pragma once
/// What loss_grad's dense (bind_losses.cpp) and CSR (bind_sparse.cpp) entries share:
/// the checks of y, sample_weight and rows, the private copy of class labels, and the
/// step from the kernels' sums to the (value, grad, ...) tuple returned to Python.

#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.hpp"
#include "fastgd/linear_loss.hpp"

namespace fastgd::bindings {

[[noreturn]] inline void loss_grad_out_of_memory(double bytes) {
    const std::string msg = "loss_grad ran out of memory: it needs about " +
                            std::to_string(static_cast<long long>(bytes / (1 << 20)) + 1) +
                            " MiB of working arrays; pass fewer rows";
    PyErr_SetString(PyExc_MemoryError, msg.c_str());
    throw py::error_already_set();
}

/// n rows of X; y (or labels) and sample_weight must match them, m rows are summed.
template <typename Y, typename T>
void check_loss_inputs(std::size_t n, const in_array<Y>& y, const std::optional<in_array<T>>& sw, std::size_t m,
                       double l1_ratio) {
    if (y.ndim() != 1 || static_cast<std::size_t>(y.size()) != n)
        throw std::invalid_argument("y must have one value per row of X (" + std::to_string(n) + ")");
    if (sw && (sw->ndim() != 1 || static_cast<std::size_t>(sw->size()) != n))
        throw std::invalid_argument("sample_weight must have one value per row of X (" + std::to_string(n) + ")");
    if (m == 0) throw std::invalid_argument("the mean loss needs at least one row: X or rows is empty");
    if (!(l1_ratio >= 0.0 && l1_ratio <= 1.0)) throw std::invalid_argument("l1_ratio must be in [0, 1]");
}

/// The number of classes of W (d x K), checked against b (K values).
template <typename T>
std::size_t class_count(const in_array<T>& W, const in_array<T>& b, std::size_t d) {
    if (W.ndim() != 2 || static_cast<std::size_t>(W.shape(0)) != d || W.shape(1) < 1)
        throw std::invalid_argument("w must have shape (" + std::to_string(d) + ", n_classes)");
    const std::size_t K = static_cast<std::size_t>(W.shape(1));
    if (b.ndim() != 1 || static_cast<std::size_t>(b.size()) != K)
        throw std::invalid_argument("intercept must have " + std::to_string(K) + " values (one per class)");
    if (K > static_cast<std::size_t>(std::numeric_limits<int>::max()))
        throw std::invalid_argument("too many classes");
    return K;
}

/// A private, checked copy of the labels: the kernel indexes with them.
inline std::vector<int> checked_labels(const in_array<std::int64_t>& labels, std::size_t n, std::size_t K) {
    std::vector<int> cls(n);
    const std::int64_t* lp = labels.data();
    for (std::size_t i = 0; i < n; ++i) {
        if (lp[i] < 0 || static_cast<std::size_t>(lp[i]) >= K)
            throw std::invalid_argument("y must hold class indices in [0, " + std::to_string(K) + "); got " +
                                        std::to_string(lp[i]));
        cls[i] = static_cast<int>(lp[i]);
    }
    return cls;
}

/// (value, grad (d,), intercept grad) from the sums over m rows at theta = [w, b].
template <typename T>
py::tuple linear_loss_result(loss_sums& sums, std::size_t m, const T* theta, std::size_t d, double alpha,
                             double l1_ratio) {
    const double scale = 1.0 / static_cast<double>(m);
    for (double& g : sums.grad) g *= scale;
    const double value = scale * sums.loss + add_penalty(theta, d, alpha, l1_ratio, sums.grad.data());
    py::array_t<T> grad(static_cast<py::ssize_t>(d));
    T* g = grad.mutable_data();
    for (std::size_t j = 0; j < d; ++j) g[j] = static_cast<T>(sums.grad[j]);
    return py::make_tuple(value, grad, sums.grad[d]);
}

/// (value, grad W (d, K), grad b (K,)) from the softmax sums over m rows at W.
template <typename T>
py::tuple multinomial_loss_result(loss_sums& sums, std::size_t m, const T* W, std::size_t d, std::size_t K,
                                  double alpha, double l1_ratio) {
    const double scale = 1.0 / static_cast<double>(m);
    for (double& g : sums.grad) g *= scale;
    const double value = scale * sums.loss + add_penalty(W, d * K, alpha, l1_ratio, sums.grad.data());
    py::array_t<T> gW({static_cast<py::ssize_t>(d), static_cast<py::ssize_t>(K)});
    py::array_t<T> gb(static_cast<py::ssize_t>(K));
    T* gw = gW.mutable_data();
    for (std::size_t j = 0; j < d * K; ++j) gw[j] = static_cast<T>(sums.grad[j]);
    for (std::size_t k = 0; k < K; ++k) gb.mutable_data()[k] = static_cast<T>(sums.grad[d * K + k]);
    return py::make_tuple(value, gW, gb);
}

}  // namespace fastgd::bindings
