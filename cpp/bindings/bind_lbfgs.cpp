// fastgd.LBFGS's core: torch.optim.LBFGS's algorithm (fastgd/torch_lbfgs.hpp) over
// NumPy arrays updated in place. The step holds the GIL throughout: the objective is
// a Python closure, called back for every evaluation, and a Python exception from it
// propagates (the state rolled back to the last completed iteration).
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.hpp"
#include "fastgd/torch_lbfgs.hpp"

namespace fastgd::bindings {
namespace {

torch_lbfgs_options options_from(const py::dict& o) {
    static const char* const known[] = {"lr",           "max_iter",         "max_eval",    "tolerance_grad",
                                        "tolerance_change", "history_size", "strong_wolfe"};
    for (const auto& item : o) {
        const std::string key = py::str(item.first);
        bool ok = false;
        for (const char* k : known) ok = ok || key == k;
        if (!ok) throw std::invalid_argument("unknown LBFGS option '" + key + "'");
    }
    torch_lbfgs_options out;
    out.lr = o["lr"].cast<double>();
    out.max_iter = o["max_iter"].cast<long long>();
    out.max_eval = o["max_eval"].cast<long long>();
    out.tolerance_grad = o["tolerance_grad"].cast<double>();
    out.tolerance_change = o["tolerance_change"].cast<double>();
    const long long m = o["history_size"].cast<long long>();
    if (m < 1) throw std::invalid_argument("history_size must be >= 1");
    out.history_size = static_cast<std::size_t>(m);
    out.strong_wolfe = o["strong_wolfe"].cast<bool>();
    return out;
}

/// One parameter array: where its data is, how many elements, float32 or float64.
struct param_view {
    char* data;
    std::size_t size;
    bool f32;
};

/// The arrays, checked again here (the Python layer checked them with its messages):
/// a wrong one must not be written through.
std::vector<param_view> views_of(const py::list& params, std::size_t n) {
    std::vector<param_view> views;
    std::size_t total = 0;
    for (const auto& item : params) {
        if (!py::isinstance<py::array>(item)) throw py::type_error("LBFGS params must be numpy arrays");
        auto a = py::reinterpret_borrow<py::array>(item);
        // equivalence, not identity: an unpickled array has its own dtype object
        const bool f64 = py::isinstance<py::array_t<double>>(a);
        const bool f32 = py::isinstance<py::array_t<float>>(a);
        if (!f64 && !f32) throw py::type_error("LBFGS params must be float32 or float64");
        if (!(a.flags() & py::array::c_style) || !a.writeable())
            throw std::invalid_argument("LBFGS params must be C-contiguous and writeable");
        views.push_back({static_cast<char*>(a.mutable_data()), static_cast<std::size_t>(a.size()), f32});
        total += static_cast<std::size_t>(a.size());
    }
    if (total != n)
        throw std::invalid_argument("the params hold " + std::to_string(total) + " numbers, the optimizer " +
                                    std::to_string(n));
    return views;
}

void gather(const std::vector<param_view>& views, double* x) {
    for (const auto& v : views) {
        if (v.f32) {
            const float* p = reinterpret_cast<const float*>(v.data);
            for (std::size_t j = 0; j < v.size; ++j) x[j] = static_cast<double>(p[j]);
        } else {
            std::memcpy(x, v.data, v.size * sizeof(double));
        }
        x += v.size;
    }
}

/// Writes x into the arrays; float32 ones round, and x takes the rounded values.
void scatter(const std::vector<param_view>& views, double* x) {
    for (const auto& v : views) {
        if (v.f32) {
            float* p = reinterpret_cast<float*>(v.data);
            for (std::size_t j = 0; j < v.size; ++j) {
                p[j] = static_cast<float>(x[j]);
                x[j] = static_cast<double>(p[j]);
            }
        } else {
            std::memcpy(v.data, x, v.size * sizeof(double));
        }
        x += v.size;
    }
}

double step(torch_lbfgs& self, const py::list& params, const py::function& evaluate) {
    const std::size_t n = self.dim();
    const std::vector<param_view> views = views_of(params, n);
    std::vector<double> x(n);
    gather(views, x.data());
    // evaluate() (fastgd/lbfgs.py) calls the closure and returns (loss, flat float64 grad),
    // checked there; checked again here for what C++ reads.
    auto value_and_grad = [&](double* point, double* g) -> double {
        scatter(views, point);
        const py::object result = evaluate();
        if (!py::isinstance<py::tuple>(result) || py::len(result) != 2)
            throw py::type_error("LBFGS: the closure's result could not be read as (loss, grads)");
        const double f = result[py::int_(0)].cast<double>();
        const py::object grad = result[py::int_(1)];
        if (!py::isinstance<in_array<double>>(grad))
            throw py::type_error("LBFGS: the gradient could not be read as float64 numbers");
        const auto a = py::reinterpret_borrow<in_array<double>>(grad);
        if (static_cast<std::size_t>(a.size()) != n)
            throw std::invalid_argument("LBFGS: the gradient has " + std::to_string(a.size()) + " numbers, the params " +
                                        std::to_string(n));
        std::memcpy(g, a.data(), n * sizeof(double));
        return f;
    };
    auto place = [&](double* point) { scatter(views, point); };
    auto poll = [] {
        if (PyErr_CheckSignals() != 0) throw py::error_already_set();  // Ctrl-C between iterations
    };
    return self.step(x, value_and_grad, place, poll);
}

py::array_t<double> vec(const std::vector<double>& v) { return to_numpy(v.data(), v.size()); }

py::dict state_of(const torch_lbfgs& self) {
    const torch_lbfgs_state& st = self.state();
    py::dict out;
    out["func_evals"] = st.func_evals;
    out["n_iter"] = st.n_iter;
    if (!st.started) return out;
    const lbfgs_history& h = self.history();
    const std::size_t n = self.dim();
    py::list old_dirs, old_stps, ro;
    for (std::size_t i = 0; i < h.size(); ++i) {
        old_dirs.append(to_numpy(h.y(i), n));
        old_stps.append(to_numpy(h.s(i), n));
        ro.append(h.rho(i));
    }
    out["d"] = vec(st.d);
    out["t"] = st.t;
    out["old_dirs"] = old_dirs;
    out["old_stps"] = old_stps;
    out["ro"] = ro;
    out["H_diag"] = st.H_diag;
    out["prev_flat_grad"] = vec(st.prev_flat_grad);
    out["prev_loss"] = st.prev_loss;
    if (st.has_al) {
        py::list al;
        for (double a : st.al) {
            if (std::isnan(a))
                al.append(py::none());
            else
                al.append(a);
        }
        out["al"] = al;
    }
    return out;
}

std::vector<double> flat(const py::handle& h) {
    if (!py::isinstance<in_array<double>>(h)) throw py::type_error("LBFGS state arrays must be float64");
    const auto a = py::reinterpret_borrow<in_array<double>>(h);
    return std::vector<double>(a.data(), a.data() + a.size());
}

// The state in the form fastgd/lbfgs.py checked and normalised (float64 1-D arrays,
// floats, ints; al with NaN for None).
void load_state(torch_lbfgs& self, const py::dict& saved) {
    torch_lbfgs_state st;
    st.func_evals = saved["func_evals"].cast<long long>();
    st.n_iter = saved["n_iter"].cast<long long>();
    std::vector<std::vector<double>> s, y;
    std::vector<double> rho;
    if (saved.contains("d")) {
        st.started = true;
        st.d = flat(saved["d"]);
        st.t = saved["t"].cast<double>();
        st.H_diag = saved["H_diag"].cast<double>();
        st.prev_flat_grad = flat(saved["prev_flat_grad"]);
        st.prev_loss = saved["prev_loss"].cast<double>();
        for (const auto& a : saved["old_stps"].cast<py::list>()) s.push_back(flat(a));
        for (const auto& a : saved["old_dirs"].cast<py::list>()) y.push_back(flat(a));
        rho = saved["ro"].cast<std::vector<double>>();
        if (saved.contains("al")) {
            st.has_al = true;
            st.al = flat(saved["al"]);
        }
    }
    self.load(std::move(st), s, y, rho);
}

}  // namespace

void register_lbfgs(py::module_& m) {
    py::class_<torch_lbfgs>(m, "TorchLBFGS",
                            "torch.optim.LBFGS's algorithm over a flat float64 copy of the params "
                            "(private: fastgd.LBFGS is its face).")
        .def(py::init([](std::size_t n, const py::dict& options) { return torch_lbfgs(n, options_from(options)); }),
             py::arg("n"), py::arg("options"))
        .def("step", &step, py::arg("params"), py::arg("evaluate"))
        .def("set_options", [](torch_lbfgs& self, const py::dict& o) { self.set_options(options_from(o)); })
        .def("reset", &torch_lbfgs::reset)
        .def("state", &state_of)
        .def("load_state", &load_state)
        .def_property_readonly("dim", &torch_lbfgs::dim);
}

}  // namespace fastgd::bindings
