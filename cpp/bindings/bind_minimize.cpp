#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <exception>
#include <iterator>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common.hpp"
#include "fastgd/builtin_objective.hpp"
#include "fastgd/descent_methods.hpp"
#include "fastgd/interrupt.hpp"
#include "fastgd/minimize.hpp"
#include "fastgd/test_functions.hpp"
#include "fastgd/threads.hpp"

namespace fastgd::bindings {
namespace {

test_function builtin(const std::string& name) {
    test_function fn;
    if (!find_test_function(name, fn)) throw py::value_error("no compiled objective named '" + name + "'");
    return fn;
}

/// The compiled objective `name`, refusing points of a length its kernel does not
/// read (std::invalid_argument -> ValueError): a 2-D kernel reads x[0] and x[1]
/// whatever length it is given.
test_function builtin(const std::string& name, std::size_t d) {
    const test_function fn = builtin(name);
    check_dimension(fn, d);
    return fn;
}

std::string type_name(const py::handle& h) { return Py_TYPE(h.ptr())->tp_name; }

bool is_int(const py::handle& h) { return PyLong_Check(h.ptr()) && !PyBool_Check(h.ptr()); }

/// settings[key]: None or a float64 1-D array (copied: read later without the GIL).
std::vector<double> bound_from(const py::dict& settings, const char* key) {
    if (!settings.contains(key) || settings[key].is_none()) return {};
    const py::object v = settings[key];
    const std::string wanted = std::string("settings['") + key + "'] must be a float64 1-D array or None, got ";
    if (!py::isinstance<py::array>(v)) throw py::type_error(wanted + type_name(v));
    const auto arr = v.cast<py::array>();
    if (arr.dtype().kind() != 'f' || arr.itemsize() != 8 || arr.ndim() != 1)
        throw py::type_error(wanted + "an array of dtype " + std::string(py::str(arr.dtype())) + " and shape " +
                             std::string(py::str(py::tuple(arr.attr("shape")))));
    const auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(v);
    if (!a) throw py::error_already_set();
    return std::vector<double>(a.data(), a.data() + a.size());
}

// The loop's settings, by name (minimize.py's _Settings.core() builds the dict); an
// unknown key is refused rather than ignored. "lower", "upper", "fd" and "max_fev"
// (issue 15) may be absent: None, None, "none", 0.
minimize_config config_from(const py::dict& settings) {
    static const char* const known[] = {"max_iter", "tol",   "gtol", "grtol", "stop_on_gradient", "record_every",
                                        "lower",    "upper", "fd",   "max_fev"};
    for (const auto& item : settings) {
        const std::string key = py::str(item.first);
        if (std::none_of(std::begin(known), std::end(known), [&](const char* k) { return key == k; }))
            throw std::invalid_argument("unknown minimize setting '" + key + "'");
    }
    minimize_config config;
    config.max_iter = settings["max_iter"].cast<std::size_t>();
    config.tol = settings["tol"].cast<double>();
    config.gtol = settings["gtol"].cast<double>();
    config.grtol = settings["grtol"].cast<double>();
    config.stop_on_gradient = settings["stop_on_gradient"].cast<bool>();
    config.record_every = settings["record_every"].cast<std::size_t>();
    config.box.lower = bound_from(settings, "lower");
    config.box.upper = bound_from(settings, "upper");
    if (config.box.lower.empty() != config.box.upper.empty() ||
        config.box.lower.size() != config.box.upper.size())
        throw py::value_error("settings['lower'] and settings['upper'] must both be None or both arrays of the "
                              "same length; got lengths " +
                              std::to_string(config.box.lower.size()) + " and " +
                              std::to_string(config.box.upper.size()));
    for (std::size_t j = 0; j < config.box.lower.size(); ++j)
        if (!(config.box.lower[j] <= config.box.upper[j]))
            throw py::value_error("bounds: lower[" + std::to_string(j) + "] = " +
                                  std::to_string(config.box.lower[j]) + " is not <= upper[" + std::to_string(j) +
                                  "] = " + std::to_string(config.box.upper[j]) + "; give low <= high");
    // Infinite on every side is no box at all (the methods then run exactly as unbounded).
    for (std::size_t j = 0; j < config.box.lower.size(); ++j)
        if (std::isfinite(config.box.lower[j]) || std::isfinite(config.box.upper[j])) config.box.bounded = true;
    if (settings.contains("fd") && !settings["fd"].is_none()) {
        if (!py::isinstance<py::str>(settings["fd"]))
            throw py::type_error("settings['fd'] must be 'none', '2-point' or '3-point', got " +
                                 type_name(settings["fd"]));
        const std::string fd = settings["fd"].cast<std::string>();
        if (fd == "2-point")
            config.fd = fd_scheme::two_point;
        else if (fd == "3-point")
            config.fd = fd_scheme::three_point;
        else if (fd != "none")
            throw py::value_error("settings['fd'] must be 'none', '2-point' or '3-point', got '" + fd + "'");
    }
    if (settings.contains("max_fev")) {
        const py::object m = settings["max_fev"];
        if (!is_int(m) || m.cast<long long>() < 0)
            throw py::value_error("settings['max_fev'] must be an int >= 0 (0: no limit), got " +
                                  std::string(py::repr(m)));
        config.max_fev = m.cast<std::size_t>();
    }
    return config;
}

/// The box must have x0's length (it is read at every step without the GIL).
void check_box(const minimize_config& c, std::size_t d) {
    if (!c.box.lower.empty() && c.box.lower.size() != d)
        throw py::value_error("bounds have " + std::to_string(c.box.lower.size()) + " entries but x0 has " +
                              std::to_string(d) + " coordinates; give one (low, high) pair per coordinate");
}

/// A run's method: its kind and what hyper says about it.
struct method_choice {
    enum { first_order, lbfgs, cg, bfgs } family = first_order;
    std::string kind;
    rule_params rule;
    schedule lr;
    line_search_kind search = line_search_kind::none;
    std::size_t history = 10;
};

line_search_kind line_search_from(const py::dict& hyper, bool quasi_newton) {
    if (!hyper.contains("line_search")) return quasi_newton ? line_search_kind::strong_wolfe : line_search_kind::none;
    const py::object v = hyper["line_search"];
    const std::string allowed = quasi_newton ? "'strong_wolfe' or 'armijo'" : "'none' or 'armijo'";
    if (!py::isinstance<py::str>(v))
        throw py::type_error("line_search must be " + allowed + ", got " + type_name(v));
    const std::string name = v.cast<std::string>();
    if (name == "armijo") return line_search_kind::armijo;
    if (quasi_newton && name == "strong_wolfe") return line_search_kind::strong_wolfe;
    if (!quasi_newton && name == "none") return line_search_kind::none;
    if (!quasi_newton && name == "strong_wolfe")
        throw py::value_error("line_search='strong_wolfe' is for lbfgs, cg and bfgs; a first-order rule takes "
                              "'none' or 'armijo'");
    throw py::value_error("unknown line_search '" + name + "'; use " + allowed);
}

method_choice method_from(const std::string& kind, const py::dict& hyper) {
    method_choice m;
    m.kind = kind;
    if (kind == "lbfgs" || kind == "cg" || kind == "bfgs") {
        m.family = kind == "lbfgs" ? method_choice::lbfgs : kind == "cg" ? method_choice::cg : method_choice::bfgs;
        for (const auto& item : hyper) {
            const std::string key = py::str(item.first);
            if (key == "line_search" || (key == "history" && kind == "lbfgs")) continue;
            throw py::value_error("unknown " + kind + " setting '" + key + "'; " + kind + " takes " +
                                  (kind == "lbfgs" ? "history and line_search" : "line_search"));
        }
        m.search = line_search_from(hyper, true);
        if (hyper.contains("history")) {
            const py::object h = hyper["history"];
            if (!is_int(h)) throw py::type_error("history must be an int >= 1, got " + type_name(h));
            const long long n = h.cast<long long>();
            if (n < 1 || n > 100000)
                throw py::value_error("history must be an int >= 1 (pairs kept by L-BFGS; 10 is usual), got " +
                                      std::to_string(n));
            m.history = static_cast<std::size_t>(n);
        }
        return m;
    }
    m.search = line_search_from(hyper, false);
    try {
        m.rule = rule_params_from(kind, hyper);
    } catch (const py::value_error& e) {
        const std::string what = e.what();
        if (what.rfind("unknown update rule", 0) == 0)
            throw py::value_error(what + "; minimize also takes 'lbfgs', 'cg' and 'bfgs'");
        throw;
    }
    m.lr = schedule_from(hyper);
    return m;
}

using any_method = std::variant<first_order_method, lbfgs_method, cg_method, bfgs_method>;

/// Refuses what the method cannot do (a box for cg/bfgs, bfgs on a large d) before
/// anything is allocated; the caller builds the method with make_method.
void check_method(const method_choice& m, const minimize_config& c, std::size_t d) {
    check_box(c, d);
    if ((m.family == method_choice::cg || m.family == method_choice::bfgs) && c.box.active())
        throw py::value_error("method '" + m.kind +
                              "' takes no bounds; use 'lbfgs' (active-set projected L-BFGS) or a first-order "
                              "rule (projected gradient)");
    if (m.family == method_choice::bfgs && d > max_bfgs_dimension)
        throw py::value_error("method 'bfgs' keeps a dense d x d inverse Hessian: d = " + std::to_string(d) +
                              " is more than " + std::to_string(max_bfgs_dimension) + "; use 'lbfgs'");
}

any_method make_method(const method_choice& m, std::size_t d) {
    switch (m.family) {
        case method_choice::lbfgs:
            return any_method(std::in_place_type<lbfgs_method>, m.history, d, m.search);
        case method_choice::cg:
            return any_method(std::in_place_type<cg_method>, m.search);
        case method_choice::bfgs:
            return any_method(std::in_place_type<bfgs_method>, d, m.search);
        case method_choice::first_order:
            break;
    }
    return any_method(std::in_place_type<first_order_method>, m.rule, m.lr, m.search);
}

/// The loop with the run's method.
template <typename ValueAndGrad, typename OnStep>
minimize_output run_method(const method_choice& m, ValueAndGrad&& value_and_grad, OnStep&& on_step,
                           std::vector<double> x0, const minimize_config& c, interrupt_poller& poller, bool& stop) {
    any_method method = make_method(m, x0.size());
    return std::visit(
        [&](auto& chosen) { return minimize(value_and_grad, on_step, std::move(x0), chosen, c, poller, stop); },
        method);
}

std::string human_bytes(double bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    int u = 0;
    while (bytes >= 1024.0 && u < 6) bytes /= 1024.0, ++u;
    char text[32];
    std::snprintf(text, sizeof text, "%.1f %s", bytes, units[u]);
    return text;
}

/// Sets a MemoryError that names what a recording of `runs` runs may need and the
/// way out, for a std::bad_alloc while recording.
[[noreturn]] void raise_recording_memory_error(std::size_t runs, std::size_t max_iter,
                                               std::size_t record_every, std::size_t d) {
    const double rows = static_cast<double>(max_recorded_rows(max_iter, record_every));
    const double bytes = static_cast<double>(runs) * rows * (static_cast<double>(d) + 2.0) * 8.0;
    const std::string what = "out of memory while recording: " + std::to_string(runs) + " run(s) of up to " +
                             std::to_string(max_iter) + " steps of " + std::to_string(d) +
                             " coordinates may need " + human_bytes(bytes) +
                             "; pass record=False, or record_every=k to keep every k-th iterate, "
                             "or lower max_iter";
    PyErr_SetString(PyExc_MemoryError, what.c_str());
    throw py::error_already_set();
}

/// (x, fun, nit, status, path, losses, grad_norms, grad_norm, threshold, jac, nfev, njev).
py::tuple to_python(minimize_output& out, std::size_t d) {
    const auto rows = static_cast<py::ssize_t>(out.losses.size());
    py::array x = to_numpy(out.x.data(), d);
    py::array path = adopt(std::move(out.path), {rows, static_cast<py::ssize_t>(d)});
    py::array losses = adopt(std::move(out.losses), {rows});
    py::array grad_norms = adopt(std::move(out.grad_norms), {rows});
    out.jac.resize(d);  // always d long (a run stopped in its first evaluation has g(x0) partly written)
    return py::make_tuple(x, out.fun, out.nit, to_string(out.status), path, losses, grad_norms, out.grad_norm,
                          out.gradient_threshold, to_numpy(out.jac.data(), d), out.nfev, out.njev);
}

py::array_t<double> to_array(const double* x, std::size_t d) {
    py::array_t<double> a(static_cast<py::ssize_t>(d));
    std::copy(x, x + d, a.mutable_data());
    return a;
}

bool is_numpy_value(const py::handle& h) {
    return py::isinstance<py::array>(h) || py::isinstance(h, py::module_::import("numpy").attr("generic"));
}

/// The objective's value as a double, or a TypeError/ValueError that says what came
/// and what was expected (never pybind11's "Unable to cast").
double objective_value(const py::handle& v) {
    PyObject* o = v.ptr();
    if (PyFloat_Check(o)) return PyFloat_AS_DOUBLE(o);  // float and numpy.float64
    if (PyBool_Check(o))
        throw py::type_error("the objective's value must be a real number, got bool " +
                             std::string(py::repr(v)));
    if (PyLong_Check(o)) {
        const double f = PyLong_AsDouble(o);
        if (f == -1.0 && PyErr_Occurred()) {
            PyErr_Clear();
            throw py::value_error(
                "the objective's value is an int too large for a float64 (about 1e308 at most); return a "
                "float");
        }
        return f;
    }
    if (PyComplex_Check(o))
        throw py::type_error("the objective's value is complex (" + std::string(py::repr(v)) +
                             "); minimize needs a real value");
    if (is_numpy_value(v)) {
        const py::array a = py::array::ensure(v);
        const char kind = a ? a.dtype().kind() : 'O';
        if (kind == 'c')
            throw py::type_error("the objective's value has the complex dtype " +
                                 std::string(py::str(a.dtype())) + "; minimize needs a real value");
        if (kind != 'f' && kind != 'i' && kind != 'u')
            throw py::type_error("the objective's value must be a real number, got an array of dtype " +
                                 std::string(py::str(a.dtype())));
        if (a.ndim() != 0)
            throw py::type_error("the objective's value must be a number, got an array of shape " +
                                 std::string(py::str(py::tuple(a.attr("shape")))) +
                                 "; return float(value) or value.item()");
        return PyFloat_AsDouble(a.attr("item")().ptr());  // a Python float or int; either fits
    }
    throw py::type_error("the objective's value must be a real number, got " + type_name(v));
}

/// Copies the objective's gradient into g (length d), refusing what would lose
/// information (a complex gradient's imaginary part) or be read wrong.
void objective_gradient(const py::handle& grad, double* g, std::size_t d) {
    py::array a = py::array::ensure(grad);
    if (!a) {
        PyErr_Clear();
        throw py::type_error("the objective's gradient could not be read as an array (got " +
                             type_name(grad) + "); return a 1-D float array of length " + std::to_string(d));
    }
    const char kind = a.dtype().kind();
    if (kind == 'c')
        throw py::type_error("the objective's gradient is complex (dtype " + std::string(py::str(a.dtype())) +
                             "); its imaginary part would be dropped: return a real gradient");
    if (kind != 'f' && kind != 'i' && kind != 'u')
        throw py::type_error("the objective's gradient must hold real numbers, got " + type_name(grad) +
                             " of dtype " + std::string(py::str(a.dtype())));
    if (a.ndim() != 1 || static_cast<std::size_t>(a.size()) != d)
        throw py::value_error("the objective's gradient must be a 1-D array of length " + std::to_string(d) +
                              ", got shape " + std::string(py::str(py::tuple(a.attr("shape")))));
    const auto f64 = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(a);
    if (!f64) throw py::error_already_set();
    std::copy(f64.data(), f64.data() + d, g);
}

// callback(nit, x, fun) after every step (None: never): minimize.py's adapter of the
// user's callback (fastgd._callbacks). True stops the run ("stopped"), None or False
// goes on. A Python exception, or any other result (an array's truth is ambiguous),
// stops it too and sets `error`, to be raised.
auto python_on_step(const py::object& callback, std::size_t d, bool& error) {
    return [&callback, d, &error](std::size_t nit, const double* xp, double f) -> bool {
        if (callback.is_none()) return false;
        try {
            const py::object answer = callback(nit, to_array(xp, d), f);
            if (answer.is_none()) return false;
            if (PyBool_Check(answer.ptr()) ||
                py::isinstance(answer, py::module_::import("numpy").attr("bool_")))
                return PyObject_IsTrue(answer.ptr()) == 1;
            throw py::type_error("the callback must return None, False (go on) or True (stop), got " +
                                 type_name(answer));
        } catch (py::error_already_set& e) {
            e.restore();
            error = true;
            return true;
        } catch (const py::type_error& e) {
            PyErr_SetString(PyExc_TypeError, e.what());
            error = true;
            return true;
        }
    };
}

// minimize over a Python callable x -> (value, grad). The loop holds the GIL: every
// step calls Python anyway. A Python exception stops the loop and propagates.
py::tuple minimize_callable(const py::function& fn, const in_array<double>& x0, const std::string& kind,
                            const py::dict& hyper, const py::dict& settings, const py::object& callback) {
    const std::size_t d = static_cast<std::size_t>(x0.size());
    std::vector<double> x(x0.data(), x0.data() + d);
    const method_choice method = method_from(kind, hyper);
    const minimize_config config = config_from(settings);
    if (config.fd != fd_scheme::none)
        throw py::value_error("settings['fd'] must be 'none' for a Python objective (finite differences in C++ "
                              "are for the compiled built-ins; the Python side differentiates callables)");
    check_method(method, config, d);
    bool stop = false;
    bool error = false;
    auto value_and_grad = [&](const double* xp, double* g) -> double {
        try {
            const py::object result = fn(to_array(xp, d));
            const bool sequence = PyTuple_Check(result.ptr()) || PyList_Check(result.ptr());
            if (!sequence || py::len(result) != 2) {
                const std::string got =
                    sequence ? "a " + type_name(result) + " of length " + std::to_string(py::len(result))
                             : type_name(result);
                throw py::type_error("the objective must return (value, grad), got " + got);
            }
            const double f = objective_value(result[py::int_(0)]);
            objective_gradient(result[py::int_(1)], g, d);
            return f;
        } catch (py::error_already_set& e) {
            e.restore();  // keep the Python exception to re-raise after the loop
            error = stop = true;
            return std::nan("");
        } catch (const std::exception& e) {
            PyErr_SetString(dynamic_cast<const py::type_error*>(&e) ? PyExc_TypeError : PyExc_ValueError,
                            e.what());
            error = stop = true;
            return std::nan("");
        }
    };
    const auto on_step = python_on_step(callback, d, error);
    interrupt_poller poller(python_signal_check());
    minimize_output out;
    try {
        out = run_method(method, value_and_grad, on_step, std::move(x), config, poller, stop);
    } catch (const std::bad_alloc&) {
        raise_recording_memory_error(1, config.max_iter, config.record_every, d);
    }
    if (error || PyErr_Occurred()) throw py::error_already_set();
    return to_python(out, d);
}

// minimize over a compiled built-in objective: without a callback the whole loop
// runs with the GIL released.
py::tuple minimize_builtin(const std::string& name, const in_array<double>& x0, const std::string& kind,
                           const py::dict& hyper, const py::dict& settings, const py::object& callback) {
    const std::size_t d = static_cast<std::size_t>(x0.size());
    const test_function fn = builtin(name, d);
    std::vector<double> x(x0.data(), x0.data() + d);
    const method_choice method = method_from(kind, hyper);
    const minimize_config config = config_from(settings);
    check_method(method, config, d);
    bool stop = false, error = false, out_of_memory = false;
    builtin_objective value_and_grad(fn, d);
    interrupt_poller poller(python_signal_check());
    minimize_output out;
    if (callback.is_none()) {
        // Safe without the GIL: the loop touches only its own vectors (d checked above).
        py::gil_scoped_release release;
        try {
            out = run_method(
                method, value_and_grad, [](std::size_t, const double*, double) { return false; }, std::move(x),
                config, poller, stop);
        } catch (const std::bad_alloc&) {
            out_of_memory = true;  // raised below, with the GIL
        }
    } else {
        const auto on_step = python_on_step(callback, d, error);
        try {
            out = run_method(method, value_and_grad, on_step, std::move(x), config, poller, stop);
        } catch (const std::bad_alloc&) {
            out_of_memory = true;
        }
    }
    if (out_of_memory) raise_recording_memory_error(1, config.max_iter, config.record_every, d);
    if (error || (out.status == fit_status::stopped && PyErr_Occurred())) throw py::error_already_set();
    return to_python(out, d);
}

// Several runs on one compiled objective at once, one per task on the worker
// threads, with the GIL released: a race of optimizers, starting points or rates.
// runs: a list of (x0, kind, hyper).
py::list minimize_many(const std::string& name, const py::list& runs, const py::dict& settings) {
    struct run_spec {
        std::vector<double> x0;
        method_choice method;
    };
    const minimize_config base = config_from(settings);
    std::vector<run_spec> specs;
    for (const auto& item : runs) {
        const auto t = item.cast<py::tuple>();
        const auto x0 = t[0].cast<in_array<double>>();
        const auto hyper = t[2].cast<py::dict>();
        const std::size_t d = static_cast<std::size_t>(x0.size());
        check_dimension(builtin(name), d);
        method_choice method = method_from(t[1].cast<std::string>(), hyper);
        check_method(method, base, d);
        specs.push_back({std::vector<double>(x0.data(), x0.data() + d), std::move(method)});
    }
    const test_function fn = builtin(name);
    std::vector<minimize_output> outs(specs.size());
    // A task's exception (std::bad_alloc while recording) must not leave the worker
    // thread (std::terminate): it is kept here and raised in the caller.
    std::vector<std::exception_ptr> errors(specs.size());
    // Ctrl-C: the caller's thread (the one running part 0) polls Python's signal
    // handlers and raises `cancel`, which stops every other run at its next step.
    // A failed run raises it too.
    std::atomic<bool> cancel{false};
    interrupt_poller signals(python_signal_check());
    {
        // Safe without the GIL: every run owns its vectors (dimensions checked above);
        // only the caller's thread takes the GIL back, briefly, to check for Ctrl-C.
        py::gil_scoped_release release;
        parallel_for(specs.size(), get_num_threads(), [&](std::size_t first, std::size_t last) {
            interrupt_poller quiet(nullptr);
            interrupt_poller& poller = first == 0 ? signals : quiet;
            for (std::size_t i = first; i < last && !cancel.load(std::memory_order_relaxed); ++i) {
                try {
                    const std::size_t d = specs[i].x0.size();
                    bool stop = false;
                    auto cancelled = [&](std::size_t, const double*, double) {
                        return cancel.load(std::memory_order_relaxed);
                    };
                    builtin_objective objective(fn, d);
                    outs[i] = run_method(specs[i].method, objective, cancelled, specs[i].x0, base, poller, stop);
                    if (outs[i].status == fit_status::stopped) cancel = true;
                } catch (...) {
                    errors[i] = std::current_exception();
                    outs[i] = minimize_output{};  // drop what the run had recorded
                    cancel = true;
                }
            }
        });
    }
    for (std::size_t i = 0; i < errors.size(); ++i) {
        if (!errors[i]) continue;
        outs.clear();  // free the other runs' recordings before raising
        try {
            std::rethrow_exception(errors[i]);
        } catch (const std::bad_alloc&) {
            raise_recording_memory_error(specs.size(), base.max_iter, base.record_every, specs[i].x0.size());
        }
    }
    if (cancel && PyErr_Occurred()) throw py::error_already_set();
    py::list results;
    for (std::size_t i = 0; i < outs.size(); ++i) results.append(to_python(outs[i], specs[i].x0.size()));
    return results;
}

}  // namespace

void register_minimize(py::module_& m, py::module_& testing) {
    m.def("minimize_many", &minimize_many, py::arg("name"), py::arg("runs"), py::arg("settings"));
    testing.def(
        "test_function",
        [](const std::string& name, const in_array<double>& x) {
            if (x.ndim() != 1) throw py::value_error("x must be a 1-D point");
            const std::size_t d = static_cast<std::size_t>(x.size());
            const test_function fn = builtin(name, d);
            py::array_t<double> g(x.size());
            const double v = evaluate(fn, x.data(), g.mutable_data(), d);
            return py::make_tuple(v, g);
        },
        py::arg("name"), py::arg("x"), "Value and gradient of a compiled built-in objective (for tests).");
    m.def(
        "evaluate_rows",
        [](const std::string& name, const in_array<double>& points) {
            if (points.ndim() != 2) throw py::value_error("points must be a 2-D array, one point per row");
            const std::size_t rows = static_cast<std::size_t>(points.shape(0));
            const std::size_t d = static_cast<std::size_t>(points.shape(1));
            const test_function fn = builtin(name, d);
            py::array_t<double> values(static_cast<py::ssize_t>(rows));
            const double* p = points.data();
            double* out = values.mutable_data();
            bool interrupted = false;
            {
                // Safe without the GIL: points is the caller's array, read only, with
                // rows x d elements as its shape says (d checked against the kernel).
                py::gil_scoped_release release;
                interrupt_poller poller(python_signal_check());
                std::vector<double> g(d);
                for (std::size_t r = 0; r < rows && !interrupted; ++r) {
                    out[r] = evaluate(fn, p + r * d, g.data(), d);
                    interrupted = poller.tick(8 * d);
                }
            }
            if (interrupted) throw py::error_already_set();
            return values;
        },
        py::arg("name"), py::arg("points"),
        "The value of a compiled built-in objective at each row of points.");
    m.def("minimize_builtin", &minimize_builtin, py::arg("name"), py::arg("x0").noconvert(), py::arg("kind"),
          py::arg("hyper"), py::arg("settings"), py::arg("callback"));
    m.def("minimize_callable", &minimize_callable, py::arg("fn"), py::arg("x0").noconvert(), py::arg("kind"),
          py::arg("hyper"), py::arg("settings"), py::arg("callback"));
}

}  // namespace fastgd::bindings
