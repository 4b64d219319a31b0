// fastgd.loss_grad's compiled half: scikit-learn's SGD losses and penalties on
// dense rows (fastgd/linear_loss.hpp). The Python layer (losses.py) validates and
// converts; everything read here without the GIL is a private copy or checked here.
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.hpp"
#include "fastgd/linear_loss.hpp"
#include "fastgd/threads.hpp"

namespace fastgd::bindings {
namespace {

[[noreturn]] void out_of_memory(double bytes) {
    const std::string msg = "loss_grad ran out of memory: it needs about " +
                            std::to_string(static_cast<long long>(bytes / (1 << 20)) + 1) +
                            " MiB of working arrays; pass fewer rows";
    PyErr_SetString(PyExc_MemoryError, msg.c_str());
    throw py::error_already_set();
}


template <typename T>
void check_common(const in_array<T>& X, std::size_t n_y, const std::optional<in_array<T>>& sw, std::size_t m,
                  double l1_ratio) {
    if (X.ndim() != 2) throw std::invalid_argument("X must be 2-D");
    const std::size_t n = static_cast<std::size_t>(X.shape(0));
    if (n_y != n) throw std::invalid_argument("y must have one value per row of X (" + std::to_string(n) + ")");
    if (sw && (sw->ndim() != 1 || static_cast<std::size_t>(sw->size()) != n))
        throw std::invalid_argument("sample_weight must have one value per row of X (" + std::to_string(n) + ")");
    if (m == 0) throw std::invalid_argument("the mean loss needs at least one row: X or rows is empty");
    if (!(l1_ratio >= 0.0 && l1_ratio <= 1.0)) throw std::invalid_argument("l1_ratio must be in [0, 1]");
}

template <typename T>
py::tuple linear_loss_grad(in_array<T> X, in_array<T> y, in_array<T> w, double b,
                           std::optional<in_array<T>> sample_weight, std::optional<in_array<std::int64_t>> rows,
                           int loss, double epsilon, double alpha, double l1_ratio) {
    if (loss < 0 || loss >= n_loss_kinds) throw std::invalid_argument("unknown loss id " + std::to_string(loss));
    const std::size_t n = X.ndim() == 2 ? static_cast<std::size_t>(X.shape(0)) : 0;
    const std::size_t d = X.ndim() == 2 ? static_cast<std::size_t>(X.shape(1)) : 0;
    if (w.ndim() != 1 || static_cast<std::size_t>(w.size()) != d)
        throw std::invalid_argument("w must have " + std::to_string(d) + " values (one per column of X)");
    const std::vector<std::size_t> idx = row_copy(rows, n);
    const std::size_t m = rows ? idx.size() : n;
    check_common(X, y.ndim() == 1 ? static_cast<std::size_t>(y.size()) : 0, sample_weight, m, l1_ratio);
    std::vector<T> theta(w.data(), w.data() + d);
    theta.push_back(static_cast<T>(b));
    design<T> A{X.data(), y.data(), m, d, true, rows ? idx.data() : nullptr};
    const loss_spec spec{static_cast<loss_kind>(loss), epsilon};
    loss_sums sums;
    try {
        // Safe without the GIL: the arrays are held alive by this frame and only read;
        // rows is a checked private copy, theta a private copy.
        py::gil_scoped_release release;
        linear_loss_sums_into(A, sample_weight ? sample_weight->data() : nullptr, spec, theta.data(),
                              get_num_threads(), sums);
    } catch (const std::bad_alloc&) {
        out_of_memory(8.0 * (static_cast<double>(m) + 64.0 * (static_cast<double>(d) + 2.0)));
    }
    const double scale = 1.0 / static_cast<double>(m);
    for (double& g : sums.grad) g *= scale;
    const double value = scale * sums.loss + add_penalty(theta.data(), d, alpha, l1_ratio, sums.grad.data());
    py::array_t<T> grad(static_cast<py::ssize_t>(d));
    T* g = grad.mutable_data();
    for (std::size_t j = 0; j < d; ++j) g[j] = static_cast<T>(sums.grad[j]);
    return py::make_tuple(value, grad, sums.grad[d]);
}

template <typename T>
py::tuple multinomial_loss_grad(in_array<T> X, in_array<std::int64_t> labels, in_array<T> W, in_array<T> b,
                                std::optional<in_array<T>> sample_weight,
                                std::optional<in_array<std::int64_t>> rows, double alpha, double l1_ratio) {
    const std::size_t n = X.ndim() == 2 ? static_cast<std::size_t>(X.shape(0)) : 0;
    const std::size_t d = X.ndim() == 2 ? static_cast<std::size_t>(X.shape(1)) : 0;
    if (W.ndim() != 2 || static_cast<std::size_t>(W.shape(0)) != d || W.shape(1) < 1)
        throw std::invalid_argument("w must have shape (" + std::to_string(d) + ", n_classes)");
    const std::size_t K = static_cast<std::size_t>(W.shape(1));
    if (b.ndim() != 1 || static_cast<std::size_t>(b.size()) != K)
        throw std::invalid_argument("intercept must have " + std::to_string(K) + " values (one per class)");
    if (K > static_cast<std::size_t>(std::numeric_limits<int>::max()))
        throw std::invalid_argument("too many classes");
    const std::vector<std::size_t> idx = row_copy(rows, n);
    const std::size_t m = rows ? idx.size() : n;
    check_common(X, labels.ndim() == 1 ? static_cast<std::size_t>(labels.size()) : 0, sample_weight, m, l1_ratio);
    // A private, checked copy: the kernel indexes with the labels.
    std::vector<int> cls(n);
    const std::int64_t* lp = labels.data();
    for (std::size_t i = 0; i < n; ++i) {
        if (lp[i] < 0 || static_cast<std::size_t>(lp[i]) >= K)
            throw std::invalid_argument("y must hold class indices in [0, " + std::to_string(K) + "); got " +
                                        std::to_string(lp[i]));
        cls[i] = static_cast<int>(lp[i]);
    }
    design<T> A{X.data(), nullptr, m, d, true, rows ? idx.data() : nullptr};
    loss_sums sums;
    try {
        // Safe without the GIL: the arrays are held alive by this frame and only
        // read; labels and rows are checked private copies.
        py::gil_scoped_release release;
        softmax_sums_into(A, cls.data(), sample_weight ? sample_weight->data() : nullptr, W.data(), b.data(), K,
                          get_num_threads(), sums);
    } catch (const std::bad_alloc&) {
        out_of_memory(8.0 * static_cast<double>(d * K + K) * 66.0);
    }
    const double scale = 1.0 / static_cast<double>(m);
    for (double& g : sums.grad) g *= scale;
    const double value = scale * sums.loss + add_penalty(W.data(), d * K, alpha, l1_ratio, sums.grad.data());
    py::array_t<T> gW({static_cast<py::ssize_t>(d), static_cast<py::ssize_t>(K)});
    py::array_t<T> gb(static_cast<py::ssize_t>(K));
    T* gw = gW.mutable_data();
    for (std::size_t j = 0; j < d * K; ++j) gw[j] = static_cast<T>(sums.grad[j]);
    for (std::size_t k = 0; k < K; ++k) gb.mutable_data()[k] = static_cast<T>(sums.grad[d * K + k]);
    return py::make_tuple(value, gW, gb);
}

template <typename T>
void define_for(py::module_& m) {
    m.def("linear_loss_grad", &linear_loss_grad<T>, py::arg("X").noconvert(), py::arg("y").noconvert(),
          py::arg("w").noconvert(), py::arg("b"), py::arg("sample_weight").noconvert(),
          py::arg("rows").noconvert(), py::arg("loss"), py::arg("epsilon"), py::arg("alpha"), py::arg("l1_ratio"),
          "(loss, grad_w, grad_b) of a linear model under a scikit-learn SGD loss (linear_loss.hpp).");
    m.def("multinomial_loss_grad", &multinomial_loss_grad<T>, py::arg("X").noconvert(),
          py::arg("labels").noconvert(), py::arg("W").noconvert(), py::arg("b").noconvert(),
          py::arg("sample_weight").noconvert(), py::arg("rows").noconvert(), py::arg("alpha"), py::arg("l1_ratio"),
          "(loss, grad_W, grad_b) of the multinomial log loss (linear_loss.hpp).");
}

}  // namespace

void register_losses(py::module_& m) {
    define_for<float>(m);
    define_for<double>(m);
}

}  // namespace fastgd::bindings
