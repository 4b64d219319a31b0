#include <algorithm>
#include <cstring>
#include <exception>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common.hpp"
#include "array_binding.hpp"
#include "optimizer_state.hpp"
#include "fastgd/optimizer.hpp"
#include "fastgd/threads.hpp"

namespace fastgd::bindings {

rule_kind kind_from(const std::string& name) {
    static const std::pair<const char*, rule_kind> kinds[] = {
        {"sgd", rule_kind::sgd},         {"adam", rule_kind::adam},         {"adagrad", rule_kind::adagrad},
        {"rmsprop", rule_kind::rmsprop}, {"adadelta", rule_kind::adadelta}, {"adamax", rule_kind::adamax},
        {"nadam", rule_kind::nadam},     {"radam", rule_kind::radam},
        {"rprop", rule_kind::rprop},     {"asgd", rule_kind::asgd},         {"lion", rule_kind::lion},
        {"adafactor", rule_kind::adafactor}};
    for (const auto& [n, k] : kinds)
        if (name == n) return k;
    throw py::value_error("unknown update rule '" + name + "'");
}

namespace {

std::string type_name(const py::handle& v) { return py::str(py::type::of(v).attr("__name__")); }

// A NumPy bool or complex scalar converts to a double without complaint; refused
// here as Python's own bool and complex are.
bool numpy_bool_or_complex(const py::handle& v) {
    const std::string t = Py_TYPE(v.ptr())->tp_name;
    return t.rfind("numpy.bool", 0) == 0 || t.rfind("numpy.complex", 0) == 0;
}

// repr(v) for a message: shortened, and never an error itself (the repr of an int
// of more than 4300 digits raises).
std::string short_repr(const py::handle& v) {
    std::string text;
    try {
        text = py::repr(v);
    } catch (const py::error_already_set&) {
        return "<" + type_name(v) + " too large to print>";
    }
    return text.size() <= 80 ? text : text.substr(0, 77) + "...";
}

// A real number from a dict of hyperparameters, or a TypeError/ValueError naming the
// key: never pybind11's "Unable to cast" (the dict may come from outside the Python
// classes, e.g. a subclass or a hand-made schedule).
double number_at(const py::dict& d, const char* key, const std::string& where) {
    const py::handle v = d[key];
    PyObject* o = v.ptr();
    if (PyBool_Check(o) || PyComplex_Check(o) || PyUnicode_Check(o) || PyBytes_Check(o) || !PyNumber_Check(o) ||
        numpy_bool_or_complex(v))
        throw py::type_error(where + key + " must be a real number, got " + type_name(v) + " " + short_repr(v));
    const double x = PyFloat_AsDouble(o);
    if (x == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();  // e.g. an int beyond the range of a double
        throw py::value_error(where + key + " must be a finite real number, got " + short_repr(v));
    }
    return x;
}

bool flag_at(const py::dict& d, const char* key) {
    const py::handle v = d[key];
    if (PyBool_Check(v.ptr())) return v.ptr() == Py_True;
    const std::string t = Py_TYPE(v.ptr())->tp_name;
    if (t.rfind("numpy.bool", 0) == 0) return PyObject_IsTrue(v.ptr()) == 1;
    throw py::type_error(std::string(key) + " must be True or False, got " + type_name(v) + " " + short_repr(v));
}

// A pair (a tuple or list of two) from a dict of hyperparameters, torch's form of
// etas, step_sizes and Adafactor's eps; each part read as number_at reads a value
// (a None first part allowed where none_first is given).
void pair_at(const py::dict& d, const char* key, const char* parts, double& first, double& second,
             std::optional<double>* none_first = nullptr) {
    const py::handle v = d[key];
    if (!(PyTuple_Check(v.ptr()) || PyList_Check(v.ptr())) || PySequence_Size(v.ptr()) != 2)
        throw py::type_error(std::string(key) + " must be a pair " + parts + ", got " + type_name(v) + " " +
                             short_repr(v));
    py::dict one;
    const py::sequence seq = py::reinterpret_borrow<py::sequence>(v);
    const std::string where = key;
    if (none_first && seq[0].is_none()) {
        none_first->reset();
    } else {
        one["[0]"] = seq[0];
        first = number_at(one, "[0]", where);
        if (none_first) *none_first = first;
    }
    one["[1]"] = seq[1];
    second = number_at(one, "[1]", where);
}

}  // namespace

rule_params rule_params_from(const std::string& kind, const py::dict& h) {
    rule_params p;
    p.kind = kind_from(kind);
    auto num = [&](const char* key, double& out) {
        if (h.contains(key)) out = number_at(h, key, "");
    };
    auto flag = [&](const char* key, bool& out) {
        if (h.contains(key)) out = flag_at(h, key);
    };
    num("lr", p.lr);
    num("weight_decay", p.weight_decay);
    flag("maximize", p.maximize);
    num("momentum", p.momentum);
    num("dampening", p.dampening);
    flag("nesterov", p.nesterov);
    num("beta1", p.beta1);
    num("beta2", p.beta2);
    if (p.kind == rule_kind::adafactor) {
        double eps1 = 0.0;
        if (h.contains("eps")) pair_at(h, "eps", "(eps1 or None, eps2)", eps1, p.eps2, &p.eps1);
    } else {
        num("eps", p.eps);
    }
    flag("amsgrad", p.amsgrad);
    flag("decoupled_weight_decay", p.decoupled_weight_decay);
    num("lr_decay", p.lr_decay);
    num("initial_accumulator_value", p.initial_accumulator_value);
    num("alpha", p.alpha);
    flag("centered", p.centered);
    num("rho", p.rho);
    num("momentum_decay", p.momentum_decay);
    if (h.contains("etas")) pair_at(h, "etas", "(eta_minus, eta_plus)", p.eta_minus, p.eta_plus);
    if (h.contains("step_sizes"))
        pair_at(h, "step_sizes", "(step_size_min, step_size_max)", p.step_size_min, p.step_size_max);
    num("lambd", p.lambd);
    num("t0", p.t0);
    num("beta2_decay", p.beta2_decay);
    num("d", p.d);
    validate(p);  // std::invalid_argument -> ValueError
    return p;
}

schedule schedule_from(const py::dict& hyper) {
    schedule sc;
    if (!hyper.contains("schedule") || hyper["schedule"].is_none()) {
        if (hyper.contains("lr")) sc.lr0 = number_at(hyper, "lr", "");
        // The plain learning rate may be 0 (torch allows it; the fits refuse it).
        if (!(std::isfinite(sc.lr0) && sc.lr0 >= 0.0))
            throw py::value_error("lr must be a finite number >= 0, got " + short_repr(hyper["lr"]));
        return sc;
    }
    if (!py::isinstance<py::dict>(hyper["schedule"]))
        throw py::type_error("schedule must be a dict (Schedule.as_dict()), got " + type_name(hyper["schedule"]));
    const auto d = py::reinterpret_borrow<py::dict>(hyper["schedule"]);
    if (!d.contains("kind") || !py::isinstance<py::str>(d["kind"]))
        throw py::type_error("schedule['kind'] must be a schedule name (str)");
    const std::string kind = d["kind"].cast<std::string>();
    static const std::pair<const char*, schedule_kind> kinds[] = {
        {"constant", schedule_kind::constant},
        {"inverse_scaling", schedule_kind::inverse_scaling},
        {"inverse_time", schedule_kind::inverse_time},
        {"step", schedule_kind::step},
        {"exponential", schedule_kind::exponential},
        {"cosine", schedule_kind::cosine}};
    bool known = false;
    for (const auto& [n, k] : kinds)
        if (kind == n) sc.kind = k, known = true;
    if (!known)
        throw py::value_error("unknown schedule '" + kind +
                              "'; known: constant, inverse_scaling, inverse_time, step, exponential, cosine");
    static const char* const fields[] = {"lr0",     "gamma",        "power",       "decay",    "step_size",
                                         "t_max",   "eta_min",      "warmup_steps", "start_factor"};
    for (const auto& item : d) {
        if (!py::isinstance<py::str>(item.first))
            throw py::type_error("schedule keys must be field names (str)");
        const std::string key = item.first.cast<std::string>();
        bool ok = key == "kind";
        for (const char* f : fields) ok = ok || key == f;
        if (!ok) throw py::value_error("unknown schedule field '" + key + "'");
    }
    double* targets[] = {&sc.lr0,     &sc.gamma,   &sc.power,        &sc.decay,       &sc.step_size,
                         &sc.t_max,   &sc.eta_min, &sc.warmup_steps, &sc.start_factor};
    for (std::size_t i = 0; i < std::size(fields); ++i)
        if (d.contains(fields[i])) *targets[i] = number_at(d, fields[i], "schedule ");
    sc.validate();  // std::invalid_argument -> ValueError
    return sc;
}

namespace {


// An optimizer whose dtype is fixed by its first step (or by a loaded state), and
// whose state belongs to the array it was made for.
//
// Shared between threads: every entry point takes mutex_ first, and takes it with
// the GIL released when it has to wait (lock()), since the holder may need the GIL
// back (a long step releases it and reacquires it at the end): waiting for the
// mutex with the GIL held would deadlock. Python's calls on one object are thus
// serialised: the result is one serial order of them.
class py_optimizer {
public:
    py_optimizer(const std::string& kind, const py::dict& hyper)
        : kind_(kind), params_(rule_params_from(kind, hyper)), schedule_(schedule_from(hyper)) {}

    /// Checks every part of the in-place contract here (one call from Python); a
    /// grad that is not already a C-contiguous array of params' dtype and shape
    /// raises GradNeedsConversion, which the Python layer answers by converting it.
    /// A refused step changes nothing: every check comes before the first write.
    void step(const py::object& params_obj, const py::object& grad_obj) {
        const auto guard = lock();
        const inplace_array params = checked_inplace(params_obj, "params");
        const int type = params.is_float32 ? py::detail::npy_api::NPY_FLOAT_ : py::detail::npy_api::NPY_DOUBLE_;
        if (!grad_ready(grad_obj, params_obj)) throw grad_needs_conversion();
        const void* g = py::detail::array_proxy(grad_obj.ptr())->data;
        const std::size_t n = params.size;
        const bool same_params = !bound_ || bound_->matches(params_obj.ptr(), type);
        const auto* q = py::detail::array_proxy(params_obj.ptr());
        const std::vector<std::size_t> shape(q->dimensions, q->dimensions + q->nd);
        if (params.is_float32)
            run<float>(f32_, static_cast<float*>(params.data), static_cast<const float*>(g), n, params_obj,
                       same_params, shape);
        else
            run<double>(f64_, static_cast<double*>(params.data), static_cast<const double*>(g), n, params_obj,
                        same_params, shape);
        if (!bound_) bound_ = binding::of(params_obj.ptr(), type);  // the first step (after a reset or a load)
    }

    void reset() {
        const auto guard = lock();
        forget();
    }

    /// New hyperparameters from the next step on, the state kept (a live lr).
    void set_hyper(const py::dict& hyper) {
        const auto guard = lock();
        rule_params p = rule_params_from(kind_, hyper);
        schedule sc = schedule_from(hyper);
        if (f32_) f32_->check_params(p);
        if (f64_) f64_->check_params(p);
        if (f32_) f32_->set_params(p);
        if (f64_) f64_->set_params(p);
        params_ = p;
        schedule_ = sc;
    }

    py::object dtype() {
        const auto guard = lock();
        if (f32_) return py::dtype::of<float>();
        if (f64_) return py::dtype::of<double>();
        return py::none();
    }

    /// (steps, mu_product, [state arrays], size, dtype name) as copies, taken in one
    /// locked call so that its parts agree; None before the first step.
    py::object state() {
        const auto guard = lock();
        // An optimizer object exists from the first step on (or a loaded state): steps > 0.
        if (f32_ && f32_->steps() > 0) return with_dtype(export_optimizer_state(*f32_), "float32");
        if (f64_ && f64_->steps() > 0) return with_dtype(export_optimizer_state(*f64_), "float64");
        return py::none();
    }

    /// state() with a sixth part, the rule's extras (export_state_extras: ASGD's eta and
    /// mu, the parameters' shape), in the same locked call; None before the first step.
    py::object full_state() {
        const auto guard = lock();
        auto with_extras = [](const py::tuple& t, const py::dict& extras) {
            return py::make_tuple(t[0], t[1], t[2], t[3], t[4], extras);
        };
        if (f32_ && f32_->steps() > 0)
            return with_extras(with_dtype(export_optimizer_state(*f32_), "float32"), export_state_extras(*f32_));
        if (f64_ && f64_->steps() > 0)
            return with_extras(with_dtype(export_optimizer_state(*f64_), "float64"), export_state_extras(*f64_));
        return py::none();
    }

    /// Inverse of state(). The arrays are checked again in C++ (import_optimizer_state);
    /// dtype is a name, "float32" or "float64" (a dtype object compared by identity
    /// took an unpickled float32 for float64). A refused load changes nothing. The
    /// state is unbound: the next step binds it to its params.
    void load_state(std::uint64_t steps, double mu_product, const py::list& arrays, const std::string& dtype,
                    std::size_t size, const py::object& extras_obj) {
        const state_extras extras = state_extras_from(extras_obj);
        const auto guard = lock();
        if (steps == 0) {  // a state never stepped: as after reset() (checked like any other)
            import_optimizer_state<double>(params_, steps, mu_product, arrays, size, extras);
            forget();
            return;
        }
        if (dtype == "float32") {
            auto loaded = import_optimizer_state<float>(params_, steps, mu_product, arrays, size, extras);
            forget();
            f32_ = std::move(loaded);
        } else if (dtype == "float64") {
            auto loaded = import_optimizer_state<double>(params_, steps, mu_product, arrays, size, extras);
            forget();
            f64_ = std::move(loaded);
        } else {
            throw py::value_error("state['dtype'] must be 'float32' or 'float64', got '" + dtype + "'");
        }
    }

private:
    std::unique_lock<std::mutex> lock() { return lock_releasing_gil(mutex_); }

    void forget() {
        f32_.reset();
        f64_.reset();
        bound_.reset();
    }

    static std::string shape_text(const std::vector<std::size_t>& shape) {
        std::string text = "(";
        for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
        return text + (shape.size() == 1 ? ",)" : ")");
    }

    static py::tuple with_dtype(const py::tuple& exported, const char* dtype) {
        return py::make_tuple(exported[0], exported[1], exported[2], exported[3], dtype);
    }

    template <typename T>
    void run(std::unique_ptr<optimizer<T>>& opt, T* p, const T* g, std::size_t n, const py::object& params,
             bool same_params, const std::vector<std::size_t>& shape) {
        if ((std::is_same_v<T, float> && f64_) || (std::is_same_v<T, double> && f32_))
            throw py::type_error("params dtype " + std::string(py::str(params.attr("dtype"))) +
                                 " differs from the optimizer state's; call reset() to start over");
        // opt exists once stepped or loaded (steps > 0), its size fixed (0 for empty params).
        if (opt && opt->size() != n)
            throw py::value_error("params has " + std::to_string(n) + " elements but the optimizer state has " +
                                  std::to_string(opt->size()) +
                                  " (it belongs to the array it was made for); make one optimizer per array, "
                                  "or call reset() to start over");
        if (!same_params)
            throw py::value_error(
                "params is not the array this optimizer's state belongs to (its moments would update "
                "another array); make one optimizer per array, or call reset() to start over");
        // Adafactor's factored moments follow the shape: a loaded state must meet its own.
        if (opt && params_.kind == rule_kind::adafactor) {
            if (!opt->has_shape() && shape.size() >= 2)
                throw py::value_error("params has shape " + shape_text(shape) +
                                      " but the Adafactor state is for a flat vector (its moments follow the "
                                      "shape); call reset() to start over");
            if (opt->has_shape() && opt->shape() != shape)
                throw py::value_error("params has shape " + shape_text(shape) +
                                      " but the Adafactor state is for shape " + shape_text(opt->shape()) +
                                      " (its factored moments follow the shape); call reset() to start over");
        }
        if (!opt) opt = std::make_unique<optimizer<T>>(params_);
        if (!opt->has_shape()) opt->set_shape(shape);  // a new state, or a loaded one without a shape
        std::vector<T> copy;
        if (g < p + n && p < g + n) {  // grad overlaps params: the kernels assume they do not
            copy.assign(g, g + n);
            g = copy.data();
        }
        const double lr = schedule_.at(opt->steps());
        if (n < (std::size_t{1} << 18)) {
            opt->step(p, g, n, lr, 1);  // too short to be worth releasing the GIL
        } else {
            const int threads = get_num_threads();
            // Safe without the GIL: params and grad are held alive by the caller's frame,
            // and mutex_ (held) keeps every other call off this optimizer's state.
            py::gil_scoped_release release;
            opt->step(p, g, n, lr, threads);
        }
    }

    std::string kind_;
    rule_params params_;
    schedule schedule_;
    std::mutex mutex_;
    std::unique_ptr<optimizer<float>> f32_;
    std::unique_ptr<optimizer<double>> f64_;
    std::optional<binding> bound_;
};

}  // namespace

// a += q * b over threads in fixed blocks: the in-place bandwidth an update rule is judged against.
template <typename T>
void stream_axpy(py::array_t<T, py::array::c_style> a, in_array<T> b, double q) {
    if (a.size() != b.size()) throw py::value_error("a and b must have the same size");
    if (!a.writeable()) throw py::value_error("a is read-only");
    T* pa = a.mutable_data();
    const T* pb = b.data();
    const std::size_t n = static_cast<std::size_t>(a.size());
    const T qt = static_cast<T>(q);
    constexpr std::size_t block = std::size_t{1} << 16;
    // Safe without the GIL: a and b are held alive by this frame.
    py::gil_scoped_release release;
    parallel_for((n + block - 1) / block, get_num_threads(), [&](std::size_t first, std::size_t last) {
        T* __restrict x = pa + first * block;
        const T* __restrict z = pb + first * block;
        const std::size_t count = std::min(n, last * block) - first * block;
        for (std::size_t i = 0; i < count; ++i) x[i] += qt * z[i];
    });
}

void register_optimizer(py::module_& m, py::module_& testing) {
    testing.def("stream_axpy", &stream_axpy<float>, py::arg("a").noconvert(), py::arg("b").noconvert(),
                py::arg("q"));
    testing.def("stream_axpy", &stream_axpy<double>, py::arg("a").noconvert(), py::arg("b").noconvert(),
                py::arg("q"), "a += q * b, threaded: the in-place bandwidth ceiling for benchmarks.");
    py::register_exception<grad_needs_conversion>(m, "GradNeedsConversion", PyExc_ValueError);
    m.def(
        "schedule_at", [](const py::dict& hyper, std::uint64_t t) { return schedule_from(hyper).at(t); },
        py::arg("hyper"), py::arg("t"), "The learning rate of step t for {'lr': ..., 'schedule': {...}}.");
    py::class_<py_optimizer>(m, "Optimizer")
        .def(py::init<const std::string&, const py::dict&>(), py::arg("kind"), py::arg("hyper"))
        .def("step", &py_optimizer::step, py::arg("params"), py::arg("grad"))
        .def("reset", &py_optimizer::reset)
        .def("set_hyper", &py_optimizer::set_hyper, py::arg("hyper"))
        .def_property_readonly("dtype", &py_optimizer::dtype)
        .def("state", &py_optimizer::state)
        .def("full_state", &py_optimizer::full_state)
        .def("load_state", &py_optimizer::load_state, py::arg("steps"), py::arg("mu_product"),
             py::arg("arrays"), py::arg("dtype"), py::arg("size"), py::arg("extras") = py::none());
}

}  // namespace fastgd::bindings
