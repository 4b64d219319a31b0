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
#include "loss_results.hpp"
#include "fastgd/linear_loss.hpp"
#include "fastgd/threads.hpp"

namespace fastgd::bindings {
namespace {

template <typename T>
py::object linear_loss_grad(in_array<T> X, in_array<T> y, in_array<T> w, double b,
                            std::optional<in_array<T>> sample_weight, std::optional<in_array<std::int64_t>> rows,
                            int loss, double epsilon, double alpha, double l1_ratio, int checked) {
    if (loss < 0 || loss >= n_loss_kinds) throw std::invalid_argument("unknown loss id " + std::to_string(loss));
    if (X.ndim() != 2) throw std::invalid_argument("X must be 2-D");
    const std::size_t n = static_cast<std::size_t>(X.shape(0));
    const std::size_t d = static_cast<std::size_t>(X.shape(1));
    if (w.ndim() != 1 || static_cast<std::size_t>(w.size()) != d)
        throw std::invalid_argument("w must have " + std::to_string(d) + " values (one per column of X)");
    const std::vector<std::size_t> idx = row_copy(rows, n);
    const std::size_t m = rows ? idx.size() : n;
    check_loss_inputs(n, y, sample_weight, m, l1_ratio);
    std::vector<T> theta(w.data(), w.data() + d);
    theta.push_back(static_cast<T>(b));
    design<T> A{X.data(), y.data(), m, d, true, rows ? idx.data() : nullptr};
    const loss_spec spec{static_cast<loss_kind>(loss), epsilon};
    if (checked < 0 || checked > 2) throw std::invalid_argument("y_check must be 0, 1 or 2");
    if (checked != 0 && rows) throw std::invalid_argument("y_check needs rows=None");
    loss_sums sums;
    try {
        // Safe without the GIL: the arrays are held alive by this frame and only read;
        // rows is a checked private copy, theta a private copy.
        py::gil_scoped_release release;
        linear_loss_sums_into(A, sample_weight ? sample_weight->data() : nullptr, spec, theta.data(),
                              get_num_threads(), sums, static_cast<y_check>(checked));
    } catch (const std::bad_alloc&) {
        loss_grad_out_of_memory(8.0 * (static_cast<double>(m) + 64.0 * (static_cast<double>(d) + 2.0)));
    }
    if (!sums.y_ok) return py::none();
    return linear_loss_result(sums, m, theta.data(), d, alpha, l1_ratio);
}

template <typename T>
py::tuple multinomial_loss_grad(in_array<T> X, in_array<std::int64_t> labels, in_array<T> W, in_array<T> b,
                                std::optional<in_array<T>> sample_weight,
                                std::optional<in_array<std::int64_t>> rows, double alpha, double l1_ratio) {
    if (X.ndim() != 2) throw std::invalid_argument("X must be 2-D");
    const std::size_t n = static_cast<std::size_t>(X.shape(0));
    const std::size_t d = static_cast<std::size_t>(X.shape(1));
    const std::size_t K = class_count(W, b, d);
    const std::vector<std::size_t> idx = row_copy(rows, n);
    const std::size_t m = rows ? idx.size() : n;
    check_loss_inputs(n, labels, sample_weight, m, l1_ratio);
    const std::vector<int> cls = checked_labels(labels, n, K);
    design<T> A{X.data(), nullptr, m, d, true, rows ? idx.data() : nullptr};
    loss_sums sums;
    try {
        // Safe without the GIL: the arrays are held alive by this frame and only
        // read; labels and rows are checked private copies.
        py::gil_scoped_release release;
        softmax_sums_into(A, cls.data(), sample_weight ? sample_weight->data() : nullptr, W.data(), b.data(), K,
                          get_num_threads(), sums);
    } catch (const std::bad_alloc&) {
        loss_grad_out_of_memory(8.0 * static_cast<double>(d * K + K) * 66.0);
    }
    return multinomial_loss_result(sums, m, W.data(), d, K, alpha, l1_ratio);
}

template <typename T>
void define_for(py::module_& m) {
    m.def("linear_loss_grad", &linear_loss_grad<T>, py::arg("X").noconvert(), py::arg("y").noconvert(),
          py::arg("w").noconvert(), py::arg("b"), py::arg("sample_weight").noconvert(),
          py::arg("rows").noconvert(), py::arg("loss"), py::arg("epsilon"), py::arg("alpha"), py::arg("l1_ratio"),
          py::arg("y_check") = 0,
          "(loss, grad_w, grad_b) of a linear model under a scikit-learn SGD loss (linear_loss.hpp). "
          "y_check 1 (finite targets) or 2 (labels in {-1, +1}), rows in order only: y is checked "
          "as it is read, and None is returned when it fails.");
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
