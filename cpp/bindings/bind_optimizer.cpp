#include <algorithm>
#include <cstring>
#include <exception>
#include <memory>
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
        {"nadam", rule_kind::nadam},     {"radam", rule_kind::radam}};
    for (const auto& [n, k] : kinds)
        if (name == n) return k;
    throw py::value_error("unknown update rule '" + name + "'");
}

// Hyperparameters arrive as a dict validated by the Python classes.
// out = d[key] when the key is there (the Python classes have checked the values).
template <typename V>
void read(const py::dict& d, const char* key, V& out) {
    if (d.contains(key)) out = d[key].cast<V>();
}

rule_params rule_params_from(const std::string& kind, const py::dict& h) {
    rule_params p;
    p.kind = kind_from(kind);
    auto num = [&](const char* key, double& out) { read(h, key, out); };
    auto flag = [&](const char* key, bool& out) { read(h, key, out); };
    num("lr", p.lr);
    num("weight_decay", p.weight_decay);
    flag("maximize", p.maximize);
    num("momentum", p.momentum);
    num("dampening", p.dampening);
    flag("nesterov", p.nesterov);
    num("beta1", p.beta1);
    num("beta2", p.beta2);
    num("eps", p.eps);
    flag("amsgrad", p.amsgrad);
    flag("decoupled_weight_decay", p.decoupled_weight_decay);
    num("lr_decay", p.lr_decay);
    num("initial_accumulator_value", p.initial_accumulator_value);
    num("alpha", p.alpha);
    flag("centered", p.centered);
    num("rho", p.rho);
    num("momentum_decay", p.momentum_decay);
    return p;
}

schedule schedule_from(const py::dict& hyper) {
    schedule sc;
    sc.lr0 = hyper.contains("lr") ? hyper["lr"].cast<double>() : sc.lr0;
    if (!hyper.contains("schedule") || hyper["schedule"].is_none()) return sc;
    const py::dict d = hyper["schedule"].cast<py::dict>();
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
    if (!known) throw py::value_error("unknown schedule '" + kind + "'");
    auto num = [&](const char* key, double& out) { read(d, key, out); };
    num("lr0", sc.lr0);
    num("gamma", sc.gamma);
    num("power", sc.power);
    num("step_size", sc.step_size);
    num("t_max", sc.t_max);
    num("eta_min", sc.eta_min);
    num("warmup_steps", sc.warmup_steps);
    num("start_factor", sc.start_factor);
    return sc;
}

namespace {

struct grad_needs_conversion : std::exception {
    const char* what() const noexcept override { return "grad needs conversion"; }
};

// An optimizer whose dtype is fixed by its first step (or by a loaded state).
class py_optimizer {
public:
    py_optimizer(const std::string& kind, const py::dict& hyper)
        : params_(rule_params_from(kind, hyper)), schedule_(schedule_from(hyper)) {}

    /// Checks every part of the in-place contract here (one call from Python); a
    /// grad that is not already a C-contiguous array of params' dtype and shape
    /// raises GradNeedsConversion, which the Python layer answers by converting it.
    void step(const py::object& params_obj, const py::object& grad_obj) {
        if (!py::array::check_(params_obj))
            throw py::type_error("params must be a numpy.ndarray (it is updated in place), got " +
                                 std::string(py::str(py::type::of(params_obj).attr("__name__"))));
        // NumPy's struct fields directly: a step on a few parameters should cost well
        // under a microsecond, and each pybind11 accessor builds a Python object.
        using api = py::detail::npy_api;
        const auto* p = py::detail::array_proxy(params_obj.ptr());
        const int type = py::detail::array_descriptor_proxy(p->descr)->type_num;
        if (type != api::NPY_FLOAT_ && type != api::NPY_DOUBLE_)
            throw py::type_error("params must be float32 or float64 to be updated in place, got " +
                                 std::string(py::str(params_obj.attr("dtype"))));
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
        if (py::detail::array_descriptor_proxy(g->descr)->type_num != type || g->nd != p->nd ||
            !(g->flags & api::NPY_ARRAY_C_CONTIGUOUS_) || !(g->flags & api::NPY_ARRAY_ALIGNED_) ||
            !std::equal(g->dimensions, g->dimensions + g->nd, p->dimensions))
            throw grad_needs_conversion();
        std::size_t n = 1;
        for (int k = 0; k < p->nd; ++k) n *= static_cast<std::size_t>(p->dimensions[k]);
        if (type == api::NPY_FLOAT_)
            run<float>(f32_, reinterpret_cast<float*>(p->data), reinterpret_cast<const float*>(g->data), n,
                       params_obj);
        else
            run<double>(f64_, reinterpret_cast<double*>(p->data), reinterpret_cast<const double*>(g->data), n,
                        params_obj);
    }

    void reset() {
        f32_.reset();
        f64_.reset();
    }

    py::object dtype() const {
        if (f32_) return py::dtype::of<float>();
        if (f64_) return py::dtype::of<double>();
        return py::none();
    }

    /// (steps, mu_product, [state arrays]) as copies; None before the first step.
    py::object state() const {
        if (f32_) return export_optimizer_state(*f32_);
        if (f64_) return export_optimizer_state(*f64_);
        return py::none();
    }

    /// Inverse of state(); arrays already validated (count, dtype, equal sizes) in Python.
    void load_state(std::size_t steps, double mu_product, const py::list& arrays, const py::dtype& dtype,
                    std::size_t size) {
        reset();
        if (dtype.is(py::dtype::of<float>()))
            f32_ = import_optimizer_state<float>(params_, steps, mu_product, arrays, size);
        else
            f64_ = import_optimizer_state<double>(params_, steps, mu_product, arrays, size);
    }

private:
    template <typename T>
    void run(std::unique_ptr<optimizer<T>>& opt, T* p, const T* g, std::size_t n, const py::object& params) {
        if ((std::is_same_v<T, float> && f64_) || (std::is_same_v<T, double> && f32_))
            throw py::type_error("params dtype " + std::string(py::str(params.attr("dtype"))) +
                                 " differs from the optimizer state's; call reset() to start over");
        if (!opt) opt = std::make_unique<optimizer<T>>(params_);
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
            // Safe without the GIL: params and grad are held alive by the caller's frame.
            py::gil_scoped_release release;
            opt->step(p, g, n, lr, threads);
        }
    }

    rule_params params_;
    schedule schedule_;
    std::unique_ptr<optimizer<float>> f32_;
    std::unique_ptr<optimizer<double>> f64_;
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

void register_optimizer(py::module_& m) {
    m.def("stream_axpy", &stream_axpy<float>, py::arg("a").noconvert(), py::arg("b").noconvert(),
          py::arg("q"));
    m.def("stream_axpy", &stream_axpy<double>, py::arg("a").noconvert(), py::arg("b").noconvert(),
          py::arg("q"), "a += q * b, threaded: the in-place bandwidth ceiling for benchmarks.");
    py::register_exception<grad_needs_conversion>(m, "GradNeedsConversion", PyExc_ValueError);
    m.def(
        "schedule_at", [](const py::dict& hyper, std::size_t t) { return schedule_from(hyper).at(t); },
        py::arg("hyper"), py::arg("t"), "The learning rate of step t for {'lr': ..., 'schedule': {...}}.");
    py::class_<py_optimizer>(m, "Optimizer")
        .def(py::init<const std::string&, const py::dict&>(), py::arg("kind"), py::arg("hyper"))
        .def("step", &py_optimizer::step, py::arg("params"), py::arg("grad"))
        .def("reset", &py_optimizer::reset)
        .def_property_readonly("dtype", &py_optimizer::dtype)
        .def("state", &py_optimizer::state)
        .def("load_state", &py_optimizer::load_state, py::arg("steps"), py::arg("mu_product"),
             py::arg("arrays"), py::arg("dtype"), py::arg("size"));
}

}  // namespace fastgd::bindings
