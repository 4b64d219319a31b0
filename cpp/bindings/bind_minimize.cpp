#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <exception>
#include <iterator>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.hpp"
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

// The loop's settings, by name (minimize.py's _Settings.core() builds the dict); an
// unknown key is refused rather than ignored.
minimize_config config_from(const py::dict& settings, const schedule& lr) {
    static const char* const known[] = {"max_iter", "tol", "gtol", "grtol", "stop_on_gradient", "record_every"};
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
    config.lr = lr;
    return config;
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

py::tuple to_python(minimize_output& out, std::size_t d) {
    const auto rows = static_cast<py::ssize_t>(out.losses.size());
    return py::make_tuple(to_numpy(out.x.data(), d), out.fun, out.nit, to_string(out.status),
                          adopt(std::move(out.path), {rows, static_cast<py::ssize_t>(d)}),
                          adopt(std::move(out.losses), {rows}), adopt(std::move(out.grad_norms), {rows}),
                          out.grad_norm, out.gradient_threshold);
}

py::array_t<double> to_array(const double* x, std::size_t d) {
    py::array_t<double> a(static_cast<py::ssize_t>(d));
    std::copy(x, x + d, a.mutable_data());
    return a;
}

std::string type_name(const py::handle& h) { return Py_TYPE(h.ptr())->tp_name; }

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
    optimizer<double> rule(rule_params_from(kind, hyper));
    const minimize_config config = config_from(settings, schedule_from(hyper));
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
        out = minimize(value_and_grad, on_step, std::move(x), rule, config, poller, stop);
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
    optimizer<double> rule(rule_params_from(kind, hyper));
    const minimize_config config = config_from(settings, schedule_from(hyper));
    bool stop = false, error = false, out_of_memory = false;
    auto value_and_grad = [&](const double* xp, double* g) { return evaluate(fn, xp, g, d); };
    interrupt_poller poller(python_signal_check());
    minimize_output out;
    if (callback.is_none()) {
        // Safe without the GIL: the loop touches only its own vectors (d checked above).
        py::gil_scoped_release release;
        try {
            out = minimize(
                value_and_grad, [](std::size_t, const double*, double) { return false; }, std::move(x), rule,
                config, poller, stop);
        } catch (const std::bad_alloc&) {
            out_of_memory = true;  // raised below, with the GIL
        }
    } else {
        const auto on_step = python_on_step(callback, d, error);
        try {
            out = minimize(value_and_grad, on_step, std::move(x), rule, config, poller, stop);
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
        rule_params rule;
        schedule lr;
    };
    std::vector<run_spec> specs;
    for (const auto& item : runs) {
        const auto t = item.cast<py::tuple>();
        const auto x0 = t[0].cast<in_array<double>>();
        const auto hyper = t[2].cast<py::dict>();
        check_dimension(builtin(name), static_cast<std::size_t>(x0.size()));
        specs.push_back({std::vector<double>(x0.data(), x0.data() + x0.size()),
                         rule_params_from(t[1].cast<std::string>(), hyper), schedule_from(hyper)});
    }
    const test_function fn = builtin(name);
    const minimize_config base = config_from(settings, schedule{});
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
                    optimizer<double> rule(specs[i].rule);
                    minimize_config config = base;
                    config.lr = specs[i].lr;
                    const std::size_t d = specs[i].x0.size();
                    bool stop = false;
                    auto cancelled = [&](std::size_t, const double*, double) {
                        return cancel.load(std::memory_order_relaxed);
                    };
                    outs[i] = minimize([&](const double* x, double* g) { return evaluate(fn, x, g, d); },
                                       cancelled, specs[i].x0, rule, config, poller, stop);
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
