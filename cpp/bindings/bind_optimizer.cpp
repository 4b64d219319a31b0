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
        {"step", schedule_kind::step},
        {"exponential", schedule_kind::exponential},
        {"cosine", schedule_kind::cosine}};
    bool known = false;
    for (const auto& [n, k] : kinds)
        if (kind == n) sc.kind = k, known = true;
    if (!known)
        throw py::value_error("unknown schedule '" + kind +
                              "'; known: constant, inverse_scaling, step, exponential, cosine");
    static const char* const fields[] = {"lr0",   "gamma",   "power",        "step_size", "t_max",
                                         "eta_min", "warmup_steps", "start_factor"};
    for (const auto& item : d) {
        if (!py::isinstance<py::str>(item.first))
            throw py::type_error("schedule keys must be field names (str)");
        const std::string key = item.first.cast<std::string>();
        bool ok = key == "kind";
        for (const char* f : fields) ok = ok || key == f;
        if (!ok) throw py::value_error("unknown schedule field '" + key + "'");
    }
    double* targets[] = {&sc.lr0,   &sc.gamma,   &sc.power,        &sc.step_size,
                         &sc.t_max, &sc.eta_min, &sc.warmup_steps, &sc.start_factor};
    for (std::size_t i = 0; i < std::size(fields); ++i)
        if (d.contains(fields[i])) *targets[i] = number_at(d, fields[i], "schedule ");
    sc.validate();  // std::invalid_argument -> ValueError
    return sc;
}

namespace {

struct grad_needs_conversion : std::exception {
    const char* what() const noexcept override { return "grad needs conversion"; }
};

// A dtype stored in the machine's byte order ('=' or '|', or '<'/'>' spelled out
// when it is this machine's). A byte-swapped array read as native gives nonsense.
bool native_byte_order(char order) {
    const std::uint16_t probe = 1;
    const bool little = *reinterpret_cast<const unsigned char*>(&probe) == 1;
    return order == '=' || order == '|' || order == (little ? '<' : '>');
}

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
        : params_(rule_params_from(kind, hyper)), schedule_(schedule_from(hyper)) {}

    /// Checks every part of the in-place contract here (one call from Python); a
    /// grad that is not already a C-contiguous array of params' dtype and shape
    /// raises GradNeedsConversion, which the Python layer answers by converting it.
    /// A refused step changes nothing: every check comes before the first write.
    void step(const py::object& params_obj, const py::object& grad_obj) {
        const auto guard = lock();
        if (!py::array::check_(params_obj))
            throw py::type_error("params must be a numpy.ndarray (it is updated in place), got " +
                                 type_name(params_obj));
        // NumPy's struct fields directly: a step on a few parameters should cost well
        // under a microsecond, and each pybind11 accessor builds a Python object.
        using api = py::detail::npy_api;
        const auto* p = py::detail::array_proxy(params_obj.ptr());
        const auto* pd = py::detail::array_descriptor_proxy(p->descr);
        const int type = pd->type_num;
        if (type != api::NPY_FLOAT_ && type != api::NPY_DOUBLE_)
            throw py::type_error("params must be float32 or float64 to be updated in place, got " +
                                 std::string(py::str(params_obj.attr("dtype"))));
        if (!native_byte_order(pd->byteorder))
            throw py::type_error("params has the non-native byte order " + std::string(py::str(params_obj.attr("dtype"))) +
                                 " and is updated in place; step a native copy, "
                                 "params = params.astype(params.dtype.newbyteorder('='))");
        if (!(p->flags & api::NPY_ARRAY_C_CONTIGUOUS_))
            throw py::value_error(
                "params must be C-contiguous to be updated in place (got a strided view); use "
                "np.ascontiguousarray and step that array");
        if (!(p->flags & api::NPY_ARRAY_WRITEABLE_))
            throw py::value_error("params is read-only; it is updated in place");
        if (!(p->flags & api::NPY_ARRAY_ALIGNED_))
            throw py::value_error(
                "params is not aligned to its dtype (an array built from bytes at an odd offset); "
                "step an aligned copy, e.g. params = params.copy()");
        if (!py::array::check_(grad_obj)) throw grad_needs_conversion();
        const auto* g = py::detail::array_proxy(grad_obj.ptr());
        const auto* gd = py::detail::array_descriptor_proxy(g->descr);
        if (gd->type_num != type || !native_byte_order(gd->byteorder) || g->nd != p->nd ||
            !(g->flags & api::NPY_ARRAY_C_CONTIGUOUS_) || !(g->flags & api::NPY_ARRAY_ALIGNED_) ||
            !std::equal(g->dimensions, g->dimensions + g->nd, p->dimensions))
            throw grad_needs_conversion();
        std::size_t n = 1;
        for (int k = 0; k < p->nd; ++k) n *= static_cast<std::size_t>(p->dimensions[k]);
        const bool same_params = !bound_ || bound_->matches(params_obj.ptr(), type);
        const std::vector<std::size_t> shape(p->dimensions, p->dimensions + p->nd);
        if (type == api::NPY_FLOAT_)
            run<float>(f32_, reinterpret_cast<float*>(p->data), reinterpret_cast<const float*>(g->data), n,
                       params_obj, same_params, shape);
        else
            run<double>(f64_, reinterpret_cast<double*>(p->data), reinterpret_cast<const double*>(g->data), n,
                        params_obj, same_params, shape);
        if (!bound_) bound_ = binding::of(params_obj.ptr(), type);  // the first step (after a reset or a load)
    }

    void reset() {
        const auto guard = lock();
        forget();
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
        const state_extras extras = extras_from(extras_obj);
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
    // {"eta": float, "mu": float, "shape": tuple of ints or None} (every key optional),
    // or None: no extras. Checked here, with the GIL, before anything is changed.
    static state_extras extras_from(const py::object& obj) {
        state_extras out;
        if (obj.is_none()) return out;
        if (!py::isinstance<py::dict>(obj))
            throw py::type_error("extras must be a dict (eta, mu, shape) or None, got " + type_name(obj));
        const auto d = py::reinterpret_borrow<py::dict>(obj);
        if (d.contains("eta")) out.eta = number_at(d, "eta", "state's ");
        if (d.contains("mu")) out.mu = number_at(d, "mu", "state's ");
        if (d.contains("shape") && !d["shape"].is_none()) {
            const py::handle shape = d["shape"];
            if (!PyTuple_Check(shape.ptr()))
                throw py::type_error("state['shape'] must be a tuple of sizes, got " + type_name(shape));
            std::vector<std::size_t> dims;
            for (const auto item : py::reinterpret_borrow<py::tuple>(shape)) {
                if (!PyLong_Check(item.ptr()) || PyBool_Check(item.ptr()))
                    throw py::type_error("state['shape'] must hold integers, got " + short_repr(item));
                const long long v = PyLong_AsLongLong(item.ptr());
                if (v == -1 && PyErr_Occurred()) {
                    PyErr_Clear();
                    throw py::value_error("state['shape'] holds a size out of range: " + short_repr(item));
                }
                if (v < 0) throw py::value_error("state['shape'] must hold sizes >= 0, got " + short_repr(item));
                dims.push_back(static_cast<std::size_t>(v));
            }
            out.shape = std::move(dims);
        }
        return out;
    }

    // The array the state belongs to: its memory, shape and dtype. Views of the same
    // memory with the same shape are the same params; anything else is another array.
    // The address alone is not enough: once the array is freed, a new one often gets
    // the same address (NumPy caches small blocks), and would pass some of the time.
    // So when the memory belongs to an ndarray (the usual case), the binding also
    // holds a weak reference to that owner, and a step must come from a view of it.
    // Memory owned by something else (an mmap, a bytearray) is matched by address.
    struct binding {
        const void* data = nullptr;
        std::vector<py::ssize_t> shape;
        int type = 0;
        py::object owner;  // a weakref to the owning ndarray, or None

        // The ndarray that owns arr's memory, or nullptr when a non-array owns it.
        static PyObject* owning_array(PyObject* arr) {
            PyObject* o = arr;
            for (PyObject* base = py::detail::array_proxy(o)->base; base; base = py::detail::array_proxy(o)->base) {
                if (!py::array::check_(base)) return nullptr;
                o = base;
            }
            return o;
        }

        static binding of(PyObject* arr, int type) {
            const auto* q = py::detail::array_proxy(arr);
            binding b{q->data, std::vector<py::ssize_t>(q->dimensions, q->dimensions + q->nd), type, py::none()};
            if (PyObject* owner = owning_array(arr)) b.owner = py::weakref(py::handle(owner));
            return b;
        }

        bool matches(PyObject* arr, int t) const {
            const auto* q = py::detail::array_proxy(arr);
            if (q->data != data || t != type || shape.size() != static_cast<std::size_t>(q->nd) ||
                !std::equal(q->dimensions, q->dimensions + q->nd, shape.begin()))
                return false;
            if (owner.is_none()) return true;
            // The owner must still be alive and be this array's owner.
#if PY_VERSION_HEX >= 0x030D0000
            PyObject* alive = nullptr;  // PyWeakref_GetObject is deprecated from 3.13
            if (PyWeakref_GetRef(owner.ptr(), &alive) < 0) PyErr_Clear();
            const bool same = alive != nullptr && alive == owning_array(arr);
            Py_XDECREF(alive);
            return same;
#else
            return PyWeakref_GetObject(owner.ptr()) == owning_array(arr);
#endif
        }
    };

    std::unique_lock<std::mutex> lock() {
        std::unique_lock<std::mutex> guard(mutex_, std::try_to_lock);
        if (!guard.owns_lock()) {
            // Safe without the GIL: waits for the mutex only, touching no Python object.
            py::gil_scoped_release release;
            guard.lock();
        }
        return guard;
    }

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
        .def_property_readonly("dtype", &py_optimizer::dtype)
        .def("state", &py_optimizer::state)
        .def("full_state", &py_optimizer::full_state)
        .def("load_state", &py_optimizer::load_state, py::arg("steps"), py::arg("mu_product"),
             py::arg("arrays"), py::arg("dtype"), py::arg("size"), py::arg("extras") = py::none());
}

}  // namespace fastgd::bindings
