#include <cstdio>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.hpp"
#include "fastgd/fit_least_squares.hpp"
#include "fastgd/threads.hpp"
#include "optimizer_state.hpp"

namespace fastgd::bindings {
namespace {

std::string human_bytes(double bytes) {
    const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int u = 0;
    while (bytes >= 1024.0 && u < 5) {
        bytes /= 1024.0;
        ++u;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
    return buf;
}

// A failed allocation in the fit, as a MemoryError that names what was being
// allocated and the way out (pybind11's own translation says only "std::bad_alloc").
[[noreturn]] void fit_out_of_memory(bool use_gram, std::size_t p, std::size_t n, std::size_t max_iter,
                                    bool record) {
    std::string msg = "fit_least_squares ran out of memory: ";
    if (use_gram)
        msg += "the Gram form X^T X of " + std::to_string(p) + " parameters needs about " +
               human_bytes(gram_bytes(p, n)) + "; pass gradient='stream', which needs none";
    else if (record)
        msg += "recording one loss per epoch for up to max_iter=" + std::to_string(max_iter) +
               " epochs needs up to " + human_bytes(8.0 * static_cast<double>(max_iter)) +
               "; pass record=False or a smaller max_iter";
    else
        msg += "the fit's working arrays for " + std::to_string(n) + " rows and " + std::to_string(p) +
               " parameters need about " + human_bytes(8.0 * static_cast<double>(n + 4 * p)) +
               "; free memory or fit a smaller X";
    PyErr_SetString(PyExc_MemoryError, msg.c_str());
    throw py::error_already_set();
}

template <typename T>
py::tuple fit(in_array<T> X, in_array<T> y, double lr, std::size_t batch_size, std::size_t max_iter,
              double tol, bool intercept, double l2, bool shuffle, std::uint64_t seed, bool record,
              bool use_gram, const std::string& kind, const py::dict& hyper, bool lr_auto,
              const py::object& theta0, const py::object& state, const py::object& callback, double gtol,
              double gtol_stop) {
    const design<T> A{X.data(), y.data(), static_cast<std::size_t>(X.shape(0)),
                      static_cast<std::size_t>(X.shape(1)), intercept};
    fit_config c;
    c.lr = schedule_from(hyper);
    if (!hyper.contains("schedule") || hyper["schedule"].is_none())
        c.lr.lr0 = lr;  // "auto" resolved in Python
    c.batch_size = batch_size;
    c.max_iter = max_iter;
    c.tol = tol;
    if (!(gtol >= 0.0) || !(gtol_stop >= 0.0)) throw std::invalid_argument("gtol must be a number >= 0");
    c.gtol = gtol;
    c.gtol_stop = gtol_stop;
    c.l2 = l2;
    c.shuffle = shuffle;
    c.seed = seed;
    c.record = record;
    c.use_gram = use_gram;
    c.rule = rule_params_from(kind, hyper);
    c.lr_auto = lr_auto;
    c.n_threads = get_num_threads();

    std::vector<T> theta;
    if (!theta0.is_none()) {
        const auto t = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(theta0);
        if (!t || t.ndim() != 1 || static_cast<std::size_t>(t.size()) != A.p())
            throw py::value_error("theta0 must be a 1-D array of " + std::to_string(A.p()) + " values");
        theta.assign(t.data(), t.data() + t.size());
    }
    std::unique_ptr<optimizer<T>> rule;
    if (state.is_none()) {
        rule = std::make_unique<optimizer<T>>(c.rule);
    } else {
        const auto s = state.cast<py::tuple>();
        rule = import_optimizer_state<T>(c.rule, s[0].cast<std::size_t>(), s[1].cast<double>(),
                                         s[2].cast<py::list>(), s[3].cast<std::size_t>());
        if (rule->size() != 0 && rule->size() != A.p())
            throw py::value_error("the optimizer state is for " + std::to_string(rule->size()) +
                                  " parameters, the fit has " + std::to_string(A.p()));
    }
    // callback(epoch, loss, theta) with the GIL; a true result stops the fit, and an
    // exception stops it and propagates (PyErr stays set).
    auto on_epoch = [&callback](std::size_t epoch, double loss, const std::vector<T>& th) {
        if (callback.is_none()) return false;
        py::gil_scoped_acquire gil;
        try {
            return bool(py::bool_(callback(epoch, loss, to_numpy(th.data(), th.size()))));
        } catch (py::error_already_set& e) {
            e.restore();
            return true;
        }
    };
    interrupt_poller poller(python_signal_check());
    fit_output<T> out;
    try {
        // Safe without the GIL: X and y are held alive by this frame and only read;
        // the poller and the callback take the GIL back.
        py::gil_scoped_release release;
        out = fit_least_squares(A, c, poller, *rule, std::move(theta), on_epoch);
    } catch (const std::bad_alloc&) {  // the GIL is held again here (release's scope ended)
        fit_out_of_memory(use_gram && (batch_size == 0 || batch_size >= A.n), A.p(), A.n, max_iter, record);
    }
    if (out.status == fit_status::stopped && PyErr_Occurred()) throw py::error_already_set();
    return py::make_tuple(to_numpy(out.theta.data(), out.theta.size()),
                          to_numpy(out.losses.data(), out.losses.size()), out.n_iter, to_string(out.status),
                          lr_auto ? out.lr : lr, export_optimizer_state(*rule), out.optimality);
}

template <typename T>
void define_for(py::module_& m) {
    m.def("fit_least_squares", &fit<T>, py::arg("X").noconvert(), py::arg("y").noconvert(), py::arg("lr"),
          py::arg("batch_size"), py::arg("max_iter"), py::arg("tol"), py::arg("intercept"), py::arg("l2"),
          py::arg("shuffle"), py::arg("seed"), py::arg("record"), py::arg("use_gram"), py::arg("kind"),
          py::arg("hyper"), py::arg("lr_auto") = false, py::arg("theta0") = py::none(),
          py::arg("state") = py::none(), py::arg("callback") = py::none(), py::arg("gtol") = 1e-4,
          py::arg("gtol_stop") = 1e-4);
}

}  // namespace

void register_fit(py::module_& m) {
    m.def(
        "permutation",
        [](std::uint64_t seed, std::uint64_t epoch, std::size_t n) {
            std::vector<std::size_t> order;
            try {
                shuffled_order(seed, epoch, n, order);
            } catch (const std::bad_alloc&) {
                const std::string msg = "permutation of n=" + std::to_string(n) + " rows needs " +
                                        human_bytes(16.0 * static_cast<double>(n)) + "; pass a smaller n";
                PyErr_SetString(PyExc_MemoryError, msg.c_str());
                throw py::error_already_set();
            } catch (const std::length_error&) {
                throw std::invalid_argument("n=" + std::to_string(n) + " rows is more than memory can hold");
            }
            py::array_t<std::int64_t> out(static_cast<py::ssize_t>(n));
            std::copy(order.begin(), order.end(), out.mutable_data());
            return out;
        },
        py::arg("seed"), py::arg("epoch"), py::arg("n"), "The row order of one epoch's shuffle (for tests).");
    define_for<float>(m);
    define_for<double>(m);
    m.def(
        "fit_diverged",
        [](double loss, double loss0, py::array_t<double, py::array::c_style | py::array::forcecast> theta) {
            return divergence_rule(loss0)(loss, theta.data(), static_cast<std::size_t>(theta.size()));
        },
        py::arg("loss"), py::arg("loss0"), py::arg("theta"),
        "The fits' divergence rule: loss or theta not finite, or loss > 1e12 max(loss0, 1).");
    m.def(
        "gram_bytes", [](std::size_t p, std::size_t n) { return gram_bytes(p, n); }, py::arg("p"),
        py::arg("n"),
        "Bytes the Gram form of p parameters over n rows allocates (checked before a fit asks for them).");
}

}  // namespace fastgd::bindings
