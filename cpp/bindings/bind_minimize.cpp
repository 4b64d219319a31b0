#include <atomic>
#include <cmath>
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

minimize_config config_from(std::size_t max_iter, double tol, double gtol, bool record, const schedule& lr) {
    minimize_config c;
    c.max_iter = max_iter;
    c.tol = tol;
    c.gtol = gtol;
    c.record = record;
    c.lr = lr;
    return c;
}

py::tuple to_python(minimize_output& out, std::size_t d) {
    const auto rows = static_cast<py::ssize_t>(out.losses.size());
    return py::make_tuple(to_numpy(out.x.data(), d), out.fun, out.nit, to_string(out.status),
                          adopt(std::move(out.path), {rows, static_cast<py::ssize_t>(d)}),
                          adopt(std::move(out.losses), {rows}), adopt(std::move(out.grad_norms), {rows}));
}

py::array_t<double> to_array(const double* x, std::size_t d) {
    py::array_t<double> a(static_cast<py::ssize_t>(d));
    std::copy(x, x + d, a.mutable_data());
    return a;
}

// callback(nit, x, fun) after every step (None: never); a true result stops the run
// ("stopped"). A Python exception stops it too and sets `error`, to be re-raised.
auto python_on_step(const py::object& callback, std::size_t d, bool& error) {
    return [&callback, d, &error](std::size_t nit, const double* xp, double f) -> bool {
        if (callback.is_none()) return false;
        try {
            return py::bool_(callback(nit, to_array(xp, d), f));
        } catch (py::error_already_set& e) {
            e.restore();
            error = true;
            return true;
        }
    };
}

// minimize over a Python callable x -> (value, grad). The loop holds the GIL: every
// step calls Python anyway. A Python exception stops the loop and propagates.
py::tuple minimize_callable(const py::function& fn, const py::array_t<double, py::array::c_style>& x0,
                            const std::string& kind, const py::dict& hyper, std::size_t max_iter, double tol,
                            double gtol, bool record, const py::object& callback) {
    const std::size_t d = static_cast<std::size_t>(x0.size());
    std::vector<double> x(x0.data(), x0.data() + d);
    optimizer<double> rule(rule_params_from(kind, hyper));
    const minimize_config c = config_from(max_iter, tol, gtol, record, schedule_from(hyper));
    bool stop = false;
    bool error = false;
    auto value_and_grad = [&](const double* xp, double* g) -> double {
        try {
            const py::object result = fn(to_array(xp, d));
            const py::tuple pair = py::reinterpret_borrow<py::tuple>(result);
            if (!py::isinstance<py::tuple>(result) || pair.size() != 2)
                throw py::type_error("the objective must return (value, grad)");
            const double f = pair[0].cast<double>();
            const auto ga = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(pair[1]);
            if (!ga || ga.ndim() != 1 || static_cast<std::size_t>(ga.size()) != d)
                throw py::value_error("the objective's gradient must be a 1-D array of length " +
                                      std::to_string(d));
            std::copy(ga.data(), ga.data() + d, g);
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
    minimize_output out = minimize(value_and_grad, on_step, std::move(x), rule, c, poller, stop);
    if (error || PyErr_Occurred()) throw py::error_already_set();
    return to_python(out, d);
}

// minimize over a compiled built-in objective: without a callback the whole loop
// runs with the GIL released.
py::tuple minimize_builtin(const std::string& name, const py::array_t<double, py::array::c_style>& x0,
                           const std::string& kind, const py::dict& hyper, std::size_t max_iter, double tol,
                           double gtol, bool record, const py::object& callback) {
    const test_function fn = builtin(name);
    const std::size_t d = static_cast<std::size_t>(x0.size());
    std::vector<double> x(x0.data(), x0.data() + d);
    optimizer<double> rule(rule_params_from(kind, hyper));
    const minimize_config c = config_from(max_iter, tol, gtol, record, schedule_from(hyper));
    bool stop = false, error = false;
    auto value_and_grad = [&](const double* xp, double* g) { return evaluate(fn, xp, g, d); };
    interrupt_poller poller(python_signal_check());
    minimize_output out;
    if (callback.is_none()) {
        // Safe without the GIL: the loop touches only its own vectors.
        py::gil_scoped_release release;
        out = minimize(
            value_and_grad, [](std::size_t, const double*, double) { return false; }, std::move(x), rule, c,
            poller, stop);
    } else {
        const auto on_step = python_on_step(callback, d, error);
        out = minimize(value_and_grad, on_step, std::move(x), rule, c, poller, stop);
    }
    if (error || (out.status == fit_status::stopped && PyErr_Occurred())) throw py::error_already_set();
    return to_python(out, d);
}

// Several runs on one compiled objective at once, one per task on the worker
// threads, with the GIL released: a race of optimizers, starting points or rates.
// runs: a list of (x0, kind, hyper).
py::list minimize_many(const std::string& name, const py::list& runs, std::size_t max_iter, double tol,
                       double gtol, bool record) {
    const test_function fn = builtin(name);
    struct run_spec {
        std::vector<double> x0;
        rule_params rule;
        schedule lr;
    };
    std::vector<run_spec> specs;
    for (const auto& item : runs) {
        const auto t = item.cast<py::tuple>();
        const auto x0 = t[0].cast<py::array_t<double, py::array::c_style | py::array::forcecast>>();
        const auto hyper = t[2].cast<py::dict>();
        specs.push_back({std::vector<double>(x0.data(), x0.data() + x0.size()),
                         rule_params_from(t[1].cast<std::string>(), hyper), schedule_from(hyper)});
    }
    std::vector<minimize_output> outs(specs.size());
    // Ctrl-C: the caller's thread (the one running part 0) polls Python's signal
    // handlers and raises `cancel`, which stops every other run at its next step.
    std::atomic<bool> cancel{false};
    interrupt_poller signals(python_signal_check());
    {
        // Safe without the GIL: every run owns its vectors; only the caller's thread
        // takes the GIL back, briefly, to check for Ctrl-C.
        py::gil_scoped_release release;
        parallel_for(specs.size(), get_num_threads(), [&](std::size_t first, std::size_t last) {
            interrupt_poller quiet(nullptr);
            interrupt_poller& poller = first == 0 ? signals : quiet;
            for (std::size_t i = first; i < last && !cancel.load(std::memory_order_relaxed); ++i) {
                optimizer<double> rule(specs[i].rule);
                const minimize_config c = config_from(max_iter, tol, gtol, record, specs[i].lr);
                const std::size_t d = specs[i].x0.size();
                bool stop = false;
                auto cancelled = [&](std::size_t, const double*, double) {
                    return cancel.load(std::memory_order_relaxed);
                };
                outs[i] = minimize([&](const double* x, double* g) { return evaluate(fn, x, g, d); },
                                   cancelled, specs[i].x0, rule, c, poller, stop);
                if (outs[i].status == fit_status::stopped) cancel = true;
            }
        });
    }
    if (cancel && PyErr_Occurred()) throw py::error_already_set();
    py::list results;
    for (std::size_t i = 0; i < outs.size(); ++i) results.append(to_python(outs[i], specs[i].x0.size()));
    return results;
}

}  // namespace

void register_minimize(py::module_& m) {
    m.def("minimize_many", &minimize_many, py::arg("name"), py::arg("runs"), py::arg("max_iter"),
          py::arg("tol"), py::arg("gtol"), py::arg("record"));
    m.def(
        "test_function",
        [](const std::string& name, const py::array_t<double, py::array::c_style>& x) {
            const test_function fn = builtin(name);
            py::array_t<double> g(x.size());
            const double v = evaluate(fn, x.data(), g.mutable_data(), static_cast<std::size_t>(x.size()));
            return py::make_tuple(v, g);
        },
        py::arg("name"), py::arg("x"), "Value and gradient of a compiled built-in objective (for tests).");
    m.def(
        "evaluate_rows",
        [](const std::string& name, const py::array_t<double, py::array::c_style>& points) {
            if (points.ndim() != 2) throw py::value_error("points must be a 2-D array, one point per row");
            const test_function fn = builtin(name);
            const std::size_t rows = static_cast<std::size_t>(points.shape(0));
            const std::size_t d = static_cast<std::size_t>(points.shape(1));
            py::array_t<double> values(static_cast<py::ssize_t>(rows));
            const double* p = points.data();
            double* out = values.mutable_data();
            bool interrupted = false;
            {
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
        py::arg("name"), py::arg("points"), "The value of a compiled built-in objective at each row of points.");
    m.def("minimize_builtin", &minimize_builtin, py::arg("name"), py::arg("x0"), py::arg("kind"),
          py::arg("hyper"), py::arg("max_iter"), py::arg("tol"), py::arg("gtol"), py::arg("record"),
          py::arg("callback"));
    m.def("minimize_callable", &minimize_callable, py::arg("fn"), py::arg("x0"), py::arg("kind"),
          py::arg("hyper"), py::arg("max_iter"), py::arg("tol"), py::arg("gtol"), py::arg("record"),
          py::arg("callback"));
}

}  // namespace fastgd::bindings
