#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.hpp"
#include "settings_reader.hpp"
#include "fastgd/fit_least_squares.hpp"
#include "fastgd/fit_linear.hpp"
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
        msg += "recording one loss and theta per epoch for up to max_iter=" + std::to_string(max_iter) +
               " epochs needs up to " + human_bytes(8.0 * static_cast<double>(max_iter) * static_cast<double>(p + 1)) +
               "; pass record=False or a smaller max_iter";
    else
        msg += "the fit's working arrays for " + std::to_string(n) + " rows and " + std::to_string(p) +
               " parameters need about " + human_bytes(8.0 * static_cast<double>(n + 4 * p)) +
               "; free memory or fit a smaller X";
    PyErr_SetString(PyExc_MemoryError, msg.c_str());
    throw py::error_already_set();
}

gradient_mode gradient_from(const std::string& name) {
    if (name == "stream") return gradient_mode::stream;
    if (name == "gram") return gradient_mode::gram;
    if (name == "batch") return gradient_mode::batch;
    throw py::value_error("fit setting 'gradient' must be 'stream', 'gram' or 'batch', got '" + name + "'");
}

/// scikit-learn's rule from the settings: "n_iter_no_change" (None: tol is the
/// step-length rule; an int >= 1: tol is the loss-improvement rule with that
/// patience, which then replaces the step-length rule) and "adaptive" (the rate
/// divided by 5 at each plateau; needs the rule). c.tol is read already.
void plateau_from(settings_reader& s, fit_config& c) {
    const py::object patience = s.at("n_iter_no_change");
    c.plateau.adaptive = s.flag("adaptive");
    if (patience.is_none()) {
        if (c.plateau.adaptive)
            throw py::value_error("fit setting 'adaptive' needs 'n_iter_no_change' (scikit-learn's rule)");
        return;
    }
    const std::size_t k = s.count("n_iter_no_change");
    if (k < 1) throw py::value_error("fit setting 'n_iter_no_change' must be an integer >= 1 or None");
    if (c.tol < 0.0) return;  // tol=None: every rule off
    c.plateau.tol = c.tol;
    c.plateau.n_iter_no_change = k;
    c.tol = -1.0;  // the step-length rule is off
}

/// fit_config from the settings; lr: None (1/L, found here), a number, or a
/// schedule (Schedule.as_dict()). row_bytes: the size of a row of X (on average, CSR).
fit_config config_from(settings_reader& s, rule_params& rule, std::size_t row_bytes) {
    fit_config c;
    c.gradient = gradient_from(s.get<std::string>("gradient", "a str"));
    const py::object batch = s.at("batch_size");
    if (c.gradient == gradient_mode::batch) c.batch_size = s.count("batch_size");
    else if (!batch.is_none()) throw py::value_error("fit setting 'batch_size' is for gradient='batch' only");
    const py::object lr = s.at("lr");
    py::dict hyper_lr;
    if (lr.is_none()) {
        c.lr_auto = true;
    } else if (py::isinstance<py::dict>(lr)) {
        hyper_lr["schedule"] = lr;
        c.lr = schedule_from(hyper_lr);
    } else {
        hyper_lr["lr"] = lr;
        c.lr = schedule_from(hyper_lr);
    }
    c.max_iter = s.count("max_iter");
    c.tol = s.number_or("tol", -1.0);
    plateau_from(s, c);
    c.gtol = s.number("gtol");
    c.gtol_stop = s.number("gtol_stop");
    if (!(c.gtol >= 0.0) || !(c.gtol_stop >= 0.0)) throw std::invalid_argument("gtol must be a number >= 0");
    c.l2 = s.number("l2");
    c.shuffle = s.shuffle("shuffle");
    c.shuffle_block_rows = shuffle_block_rows(row_bytes);
    c.seed = s.get<std::uint64_t>("seed", "an integer in [0, 2**64)");
    c.record = s.flag("record");
    c.n_threads = get_num_threads();
    rule = rule_params_from(s.get<std::string>("optimizer", "a str"),
                            s.get<py::dict>("hyperparameters", "a dict"));
    return c;
}

/// The optimizer state (fastgd.in_memory.OptimizerState) by its field names.
template <typename T>
std::unique_ptr<optimizer<T>> optimizer_from(const rule_params& rule, const py::object& state, std::size_t p) {
    if (state.is_none()) return std::make_unique<optimizer<T>>(rule);
    for (const char* field : {"step", "mu_product", "arrays", "size"})
        if (!py::hasattr(state, field))
            throw py::type_error("state must be an OptimizerState (step, mu_product, arrays, size)");
    std::unique_ptr<optimizer<T>> opt;
    try {
        state_extras extras;  // ASGD's eta and mu (fields of OptimizerState with defaults)
        if (py::hasattr(state, "eta")) extras.eta = state.attr("eta").cast<double>();
        if (py::hasattr(state, "mu")) extras.mu = state.attr("mu").cast<double>();
        opt = import_optimizer_state<T>(rule, state.attr("step").cast<std::size_t>(),
                                        state.attr("mu_product").cast<double>(),
                                        state.attr("arrays").cast<py::list>(), state.attr("size").cast<std::size_t>(),
                                        extras);
    } catch (const py::cast_error&) {
        throw py::type_error("state must be an OptimizerState (step, mu_product, arrays, size)");
    }
    if (opt->size() != 0 && opt->size() != p)
        throw py::value_error("the optimizer state is for " + std::to_string(opt->size()) +
                              " parameters, the fit has " + std::to_string(p));
    return opt;
}

template <typename T>
py::dict state_of(const optimizer<T>& opt) {
    const py::tuple t = export_optimizer_state(opt);
    py::dict out;
    out["step"] = t[0];
    out["mu_product"] = t[1];
    out["arrays"] = t[2];
    out["size"] = t[3];
    out["eta"] = opt.eta();
    out["mu"] = opt.mu();
    return out;
}

template <typename T>
py::dict fit(in_array<T> X, in_array<T> y, const py::dict& settings, const py::object& theta0,
             const py::object& state, const py::object& callback) {
    settings_reader s(settings, "fit");
    const design<T> A{X.data(), y.data(), static_cast<std::size_t>(X.shape(0)),
                      static_cast<std::size_t>(X.shape(1)), s.flag("fit_intercept")};
    rule_params rule_spec;
    fit_config c = config_from(s, rule_spec, A.d * sizeof(T));
    c.verify_x_finite = s.flag("verify_x_finite");
    s.reject_unknown();

    std::vector<T> theta;
    if (!theta0.is_none()) {
        const auto t = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(theta0);
        if (!t || t.ndim() != 1 || static_cast<std::size_t>(t.size()) != A.p())
            throw py::value_error("theta0 must be a 1-D array of " + std::to_string(A.p()) + " values");
        theta.assign(t.data(), t.data() + t.size());
    }
    const std::unique_ptr<optimizer<T>> rule = optimizer_from<T>(rule_spec, state, A.p());
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
        fit_out_of_memory(c.use_gram(), A.p(), A.n, c.max_iter, c.record);
    }
    if (out.status == fit_status::stopped && PyErr_Occurred()) throw py::error_already_set();
    py::dict result;
    result["theta"] = to_numpy(out.theta.data(), out.theta.size());
    result["losses"] = to_numpy(out.losses.data(), out.losses.size());
    const auto rows = static_cast<py::ssize_t>(A.p() == 0 ? out.losses.size() : out.path.size() / A.p());
    result["path"] = adopt(std::move(out.path), {rows, static_cast<py::ssize_t>(A.p())});
    result["n_iter"] = out.n_iter;
    result["status"] = to_string(out.status);
    result["lr"] = c.lr_auto ? py::object(py::float_(out.lr)) : py::object(py::none());
    result["state"] = state_of(*rule);
    result["optimality"] = out.optimality;
    result["x_finite"] = out.x_finite;
    return result;
}

/// fit_linear: the settings of fit_least_squares plus loss (an id of dispatch.hpp's
/// loss_kind), epsilon, alpha, l1_ratio, accelerate, derivative_scale. y: n values
/// (binary or regression losses) or n class indices (n_classes > 1: the multinomial).
/// run(A's y, fit_intercept, sw, labels, config, poller, rule, theta0, on_epoch) runs
/// the fit on the matrix (dense or CSR) the caller made; n and d are its shape.
template <typename T, typename Run>
py::dict fit_linear_body(std::size_t n, std::size_t d, std::size_t row_bytes, const py::array& y,
                         const py::dict& settings, std::size_t n_classes, const std::optional<in_array<T>>& sample_weight,
                         const py::object& theta0, const py::object& state, const py::object& callback,
                         const Run& run) {
    settings_reader s(settings, "fit");
    linear_fit_config lc;
    const bool fit_intercept = s.flag("fit_intercept");
    rule_params rule_spec;
    lc.base = config_from(s, rule_spec, row_bytes);
    const int loss = s.get<int>("loss", "an int");
    if (loss < 0 || loss >= n_loss_kinds) throw py::value_error("unknown loss id " + std::to_string(loss));
    lc.loss = loss_spec{static_cast<loss_kind>(loss), s.number("epsilon")};
    lc.alpha = s.number("alpha");
    lc.l1_ratio = s.number("l1_ratio");
    lc.accelerate = s.flag("accelerate");
    lc.derivative_scale = s.number("derivative_scale");
    s.reject_unknown();
    if (!(lc.alpha >= 0.0) || !(lc.l1_ratio >= 0.0 && lc.l1_ratio <= 1.0))
        throw py::value_error("alpha must be >= 0 and l1_ratio in [0, 1]");
    if (lc.base.gradient == gradient_mode::gram) throw py::value_error("fit_linear has no Gram form");
    if (n_classes < 1) throw py::value_error("n_classes must be >= 1");
    lc.n_classes = n_classes;
    if (sample_weight && (sample_weight->ndim() != 1 || static_cast<std::size_t>(sample_weight->size()) != n))
        throw py::value_error("sample_weight must have one value per row of X");
    if (static_cast<std::size_t>(y.ndim()) != 1 || static_cast<std::size_t>(y.size()) != n)
        throw py::value_error("y must have one value per row of X");
    std::vector<T> yv;
    std::vector<int> cls;
    if (n_classes > 1) {
        const auto lab = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(y);
        if (!lab) throw py::type_error("y must hold class indices");
        cls.resize(n);  // a private, checked copy: the kernel indexes with it
        for (std::size_t i = 0; i < n; ++i) {
            const std::int64_t v = lab.data()[i];
            if (v < 0 || static_cast<std::size_t>(v) >= n_classes)
                throw py::value_error("y must hold class indices in [0, " + std::to_string(n_classes) + ")");
            cls[i] = static_cast<int>(v);
        }
    } else {
        const auto ya = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(y);
        if (!ya) throw py::type_error("y must be real numbers");
        yv.assign(ya.data(), ya.data() + n);
    }
    const std::size_t p = d * n_classes + n_classes;
    std::vector<T> theta;
    if (!theta0.is_none()) {
        const auto t = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(theta0);
        if (!t || t.ndim() != 1 || static_cast<std::size_t>(t.size()) != p)
            throw py::value_error("theta0 must be a 1-D array of " + std::to_string(p) + " values");
        theta.assign(t.data(), t.data() + t.size());
    }
    const std::unique_ptr<optimizer<T>> rule = optimizer_from<T>(rule_spec, state, p);
    auto on_epoch = [&callback](std::size_t epoch, double value, const std::vector<T>& th) {
        if (callback.is_none()) return false;
        py::gil_scoped_acquire gil;
        try {
            return bool(py::bool_(callback(epoch, value, to_numpy(th.data(), th.size()))));
        } catch (py::error_already_set& e) {
            e.restore();
            return true;
        }
    };
    interrupt_poller poller(python_signal_check());
    fit_output<T> out;
    const T* sw = sample_weight ? sample_weight->data() : nullptr;
    try {
        // Safe without the GIL: X and sample_weight are held alive by this frame and
        // only read; y and the labels are private copies.
        py::gil_scoped_release release;
        out = run(n_classes > 1 ? nullptr : yv.data(), fit_intercept, sw, cls.empty() ? nullptr : cls.data(), lc,
                  poller, *rule, std::move(theta), on_epoch);
    } catch (const std::bad_alloc&) {
        fit_out_of_memory(false, p, n, lc.base.max_iter, lc.base.record);
    }
    if (out.status == fit_status::stopped && PyErr_Occurred()) throw py::error_already_set();
    py::dict result;
    result["theta"] = to_numpy(out.theta.data(), out.theta.size());
    result["losses"] = to_numpy(out.losses.data(), out.losses.size());
    const auto rows = static_cast<py::ssize_t>(out.path.size() / p);
    result["path"] = adopt(std::move(out.path), {rows, static_cast<py::ssize_t>(p)});
    result["n_iter"] = out.n_iter;
    result["status"] = to_string(out.status);
    result["optimality"] = out.optimality;
    result["state"] = state_of(*rule);
    return result;
}

template <typename T>
py::dict fit_linear_py(in_array<T> X, const py::array& y, const py::dict& settings, std::size_t n_classes,
                       const std::optional<in_array<T>>& sample_weight, const py::object& theta0,
                       const py::object& state, const py::object& callback) {
    if (X.ndim() != 2) throw py::value_error("X must be 2-D");
    const std::size_t n = static_cast<std::size_t>(X.shape(0)), d = static_cast<std::size_t>(X.shape(1));
    return fit_linear_body<T>(n, d, d * sizeof(T), y, settings, n_classes, sample_weight, theta0, state,
                              callback,
                              [&](const T* yv, bool intercept, auto&&... rest) {
                                  const design<T> A{X.data(), yv, n, d, intercept};
                                  return fit_linear(A, std::forward<decltype(rest)>(rest)...);
                              });
}

/// fit_linear on a CSR matrix (scipy's data, indices, indptr, read in place; checked
/// here before any read without the GIL), shape (n_rows, n_cols).
template <typename T, typename I>
py::dict fit_linear_csr_py(in_array<T> data, in_array<I> indices, in_array<I> indptr, std::size_t n_rows,
                           std::size_t n_cols, const py::array& y, const py::dict& settings, std::size_t n_classes,
                           const std::optional<in_array<T>>& sample_weight, const py::object& theta0,
                           const py::object& state, const py::object& callback) {
    if (indptr.ndim() != 1 || static_cast<std::size_t>(indptr.size()) != n_rows + 1)
        throw py::value_error("X.indptr must have n_rows + 1 values");
    const csr_view<T, I> X{data.data(), indices.data(), indptr.data(), n_rows, n_cols};
    const std::size_t nnz =
        check_csr(X, static_cast<std::size_t>(data.size()), static_cast<std::size_t>(indices.size()));
    // A row's bytes on average: its values and column indices.
    const std::size_t row_bytes = n_rows == 0 ? 0 : nnz * (sizeof(T) + sizeof(I)) / n_rows;
    return fit_linear_body<T>(n_rows, n_cols, row_bytes, y, settings, n_classes, sample_weight, theta0, state,
                              callback,
                              [&](const T* yv, bool intercept, auto&&... rest) {
                                  const csr_design<T, I> A{X, nnz, yv, n_rows, n_cols, intercept};
                                  return fit_linear(A, std::forward<decltype(rest)>(rest)...);
                              });
}

template <typename T, typename I>
void define_csr_for(py::module_& m) {
    m.def("fit_linear_csr", &fit_linear_csr_py<T, I>, py::arg("data").noconvert(), py::arg("indices").noconvert(),
          py::arg("indptr").noconvert(), py::arg("n_rows"), py::arg("n_cols"), py::arg("y"), py::arg("settings"),
          py::arg("n_classes"), py::arg("sample_weight").noconvert() = py::none(), py::kw_only(),
          py::arg("theta0") = py::none(), py::arg("state") = py::none(), py::arg("callback") = py::none(),
          "fit_linear on a CSR matrix given as its arrays (fit_linear.hpp, csr_design).");
}

template <typename T>
void define_for(py::module_& m) {
    define_csr_for<T, std::int32_t>(m);
    define_csr_for<T, std::int64_t>(m);
    m.def("fit_least_squares", &fit<T>, py::arg("X").noconvert(), py::arg("y").noconvert(), py::arg("settings"),
          py::kw_only(), py::arg("theta0") = py::none(), py::arg("state") = py::none(),
          py::arg("callback") = py::none(),
          "Linear regression by gradient descent as the settings dict (the fit plan) says; "
          "returns a dict (theta, losses, n_iter, status, lr, state, optimality).");
    m.def("fit_linear", &fit_linear_py<T>, py::arg("X").noconvert(), py::arg("y"), py::arg("settings"),
          py::arg("n_classes"), py::arg("sample_weight").noconvert() = py::none(), py::kw_only(),
          py::arg("theta0") = py::none(), py::arg("state") = py::none(), py::arg("callback") = py::none(),
          "A linear model under one of scikit-learn's SGD losses by gradient descent (fit_linear.hpp); "
          "returns a dict (theta, losses, n_iter, status, optimality, state).");
}

}  // namespace

void register_fit(py::module_& m, py::module_& testing) {
    testing.def(
        "permutation",
        [](std::uint64_t seed, std::uint64_t epoch, std::size_t n, std::size_t block_rows) {
            std::vector<std::size_t> order;
            try {
                if (block_rows == 0) shuffled_order(seed, epoch, n, order);
                else block_shuffled_order(seed, epoch, n, block_rows, order);
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
        py::arg("seed"), py::arg("epoch"), py::arg("n"), py::arg("block_rows") = 0,
        "The row order of one epoch's shuffle (for tests): of the rows (block_rows=0) or of blocks of "
        "block_rows rows.");
    testing.def("shuffle_block_rows", &shuffle_block_rows, py::arg("row_bytes"),
                "The rows of a block of shuffle='blocks' for rows of row_bytes bytes.");
    define_for<float>(m);
    define_for<double>(m);
    py::class_<loss_plateau>(m, "LossPlateau",
                             "scikit-learn's tol/n_iter_no_change rule (loss_plateau.hpp), the one copy: "
                             "for the loops written in Python (fastgd.chunked).")
        .def(py::init([](double tol, std::int64_t n_iter_no_change, bool adaptive) {
                 if (!(tol >= 0.0) || !std::isfinite(tol))
                     throw py::value_error("tol must be a finite number >= 0");
                 if (n_iter_no_change < 1) throw py::value_error("n_iter_no_change must be an integer >= 1");
                 loss_plateau p;
                 p.tol = tol;
                 p.n_iter_no_change = static_cast<std::size_t>(n_iter_no_change);
                 p.adaptive = adaptive;
                 return p;
             }),
             py::arg("tol"), py::arg("n_iter_no_change"), py::arg("adaptive") = false)
        .def(
            "after_epoch",
            [](loss_plateau& p, double loss, double lr_now) -> const char* {
                switch (p.after_epoch(loss, lr_now)) {
                    case loss_plateau::verdict::go_on:
                        return "go_on";
                    case loss_plateau::verdict::lower_lr:
                        return "lower_lr";
                    case loss_plateau::verdict::stop:
                        return "stop";
                }
                return "go_on";
            },
            py::arg("loss"), py::arg("lr_now"),
            "After an epoch with this loss, at the rate lr_now in use: 'go_on', 'lower_lr' (adaptive: "
            "lr_scale divided by 5) or 'stop'.")
        .def_property_readonly("lr_scale", &loss_plateau::lr_scale,
                               "The factor the adaptive rule has put on the learning rate (1 until it acts).");
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
