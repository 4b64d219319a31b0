#pragma once
// An update rule's state as Python values, (steps, mu_product, [arrays], size): what
// Optimizer.state_dict() holds, and what a fit hands back to continue from later
// (partial_fit, warm starts).
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common.hpp"
#include "fastgd/optimizer.hpp"

namespace fastgd::bindings {

/// The largest step count a state may carry: every count below it is exact in a
/// double (the bias corrections compute with double(t)), and no run gets near it.
/// A larger one is a corrupted or hostile state (2**64 - 1 would wrap to 0).
constexpr std::uint64_t max_state_steps = std::uint64_t{1} << 53;

/// What a rule keeps beside its arrays, step count and NAdam's mu_product: ASGD's eta
/// and mu, and the parameters' shape (Adafactor's factored moments follow it).
struct state_extras {
    double eta = 0.0;
    double mu = 1.0;
    std::optional<std::vector<std::size_t>> shape;
};

/// state_extras from {"eta": float, "mu": float, "shape": tuple of ints or None}
/// (every key optional), or None: no extras. Checked here, with the GIL; the values'
/// ranges are checked by import_optimizer_state.
inline state_extras state_extras_from(const py::handle& obj) {
    state_extras out;
    if (obj.is_none()) return out;
    if (!PyDict_Check(obj.ptr()))
        throw py::type_error("the state's extras must be a dict (eta, mu, shape) or None");
    const auto d = py::reinterpret_borrow<py::dict>(obj);
    auto number = [&](const char* key, double& target) {
        if (!d.contains(key)) return;
        const py::handle v = d[key];
        if (PyBool_Check(v.ptr()) || !(PyFloat_Check(v.ptr()) || PyLong_Check(v.ptr())))
            throw py::type_error(std::string("state['") + key + "'] must be a real number");
        double x = PyFloat_AsDouble(v.ptr());
        if (x == -1.0 && PyErr_Occurred()) {  // an int beyond a double: refused by the range checks
            PyErr_Clear();
            x = std::nan("");
        }
        target = x;
    };
    number("eta", out.eta);
    number("mu", out.mu);
    if (d.contains("shape") && !d["shape"].is_none()) {
        const py::handle shape = d["shape"];
        if (!PyTuple_Check(shape.ptr())) throw py::type_error("state['shape'] must be a tuple of sizes");
        std::vector<std::size_t> dims;
        for (const auto item : py::reinterpret_borrow<py::tuple>(shape)) {
            if (!PyLong_Check(item.ptr()) || PyBool_Check(item.ptr()))
                throw py::type_error("state['shape'] must hold integers");
            const long long v = PyLong_AsLongLong(item.ptr());
            if (v == -1 && PyErr_Occurred()) {
                PyErr_Clear();
                throw py::value_error("state['shape'] holds a size out of range");
            }
            if (v < 0) throw py::value_error("state['shape'] must hold sizes >= 0, got " + std::to_string(v));
            dims.push_back(static_cast<std::size_t>(v));
        }
        out.shape = std::move(dims);
    }
    return out;
}

/// state_extras as a dict {"eta", "mu", "shape": a tuple, or None when unset}.
template <typename T>
py::dict export_state_extras(const optimizer<T>& opt) {
    py::dict out;
    out["eta"] = opt.eta();
    out["mu"] = opt.mu();
    if (opt.has_shape()) {
        py::tuple shape(opt.shape().size());
        for (std::size_t i = 0; i < opt.shape().size(); ++i) shape[i] = py::int_(opt.shape()[i]);
        out["shape"] = shape;
    } else {
        out["shape"] = py::none();
    }
    return out;
}

template <typename T>
py::tuple export_optimizer_state(const optimizer<T>& opt) {
    py::list arrays;
    for (const auto& s : opt.state()) arrays.append(to_numpy(s.data(), s.size()));
    return py::make_tuple(opt.steps(), opt.mu_product(), arrays, opt.size());
}

/// The inverse of export_optimizer_state. Every field is checked here too, whatever
/// the Python layer checked (a state can reach C++ from a pickle or a hand-made
/// tuple): the step count, NAdam's mu_product in [0, 1], and each array 1-D, of
/// dtype T (compared by value), `size` long, finite, and >= 0 where the rule takes
/// its square root. Nothing is changed when a check fails: the caller swaps the
/// returned optimizer in only once it is complete.
template <typename T>
std::unique_ptr<optimizer<T>> import_optimizer_state(const rule_params& params, std::size_t steps,
                                                     double mu_product, const py::list& arrays,
                                                     std::size_t size, const state_extras& extras = {}) {
    if (steps > max_state_steps)
        throw py::value_error("state['step'] must be an integer in [0, 2**53], got " + std::to_string(steps));
    if (!(mu_product >= 0.0 && mu_product <= 1.0))
        throw py::value_error("state['mu_product'] must be a finite number in [0, 1] (NAdam's product of "
                              "momentum factors), got " +
                              std::string(py::str(py::float_(mu_product))));
    if (params.kind == rule_kind::asgd && steps > 0) {
        if (!(std::isfinite(extras.eta) && extras.eta >= 0.0))
            throw py::value_error("state['eta'] must be a finite number >= 0 (ASGD's step size), got " +
                                  std::string(py::str(py::float_(extras.eta))));
        // [0, 1]: 1 / max(1, t - t0) as a float32 number underflows to 0 for a t0 below -1e38.
        if (!(extras.mu >= 0.0 && extras.mu <= 1.0))
            throw py::value_error("state['mu'] must be a number in [0, 1] (ASGD's averaging weight), got " +
                                  std::string(py::str(py::float_(extras.mu))));
    }
    if (steps == 0) {
        if (!arrays.empty()) throw py::value_error("state has arrays but step 0");
        return std::make_unique<optimizer<T>>(params);  // never stepped
    }
    auto opt = std::make_unique<optimizer<T>>(params);
    if (extras.shape) {
        std::size_t product = 1;
        for (const std::size_t d : *extras.shape) {
            if (d != 0 && product > size / d + 1)
                throw py::value_error("state['shape'] has more elements than the state's " + std::to_string(size));
            product *= d;
        }
        if (product != size)
            throw py::value_error("state['shape'] has " + std::to_string(product) + " elements but the state is for " +
                                  std::to_string(size) + " parameters");
        opt->set_shape(*extras.shape);  // without one, a flat vector (as the fits step them)
    }
    if (static_cast<int>(arrays.size()) != opt->state_count(size))
        throw py::value_error("the optimizer state has the wrong number of arrays for this rule");
    std::vector<state_vector<T>> state;
    int index = 0;
    for (const auto& a : arrays) {
        const std::string name = "state array " + std::to_string(index);
        if (!py::isinstance<py::array>(a))
            throw py::type_error(name + " must be a numpy.ndarray");
        const auto raw = py::reinterpret_borrow<py::array>(a);
        if (!raw.dtype().equal(py::dtype::of<T>()))
            throw py::value_error(name + " must have the optimizer's dtype " +
                                  std::string(py::str(py::dtype::of<T>())) + ", got " +
                                  std::string(py::str(raw.dtype())));
        const std::size_t expected = opt->state_size(index, size);
        if (raw.ndim() != 1 || static_cast<std::size_t>(raw.size()) != expected)
            throw py::value_error(expected == size ? "state arrays must be 1-D and match the parameters' size " +
                                                         std::to_string(size)
                                                   : name + " must be 1-D of length " + std::to_string(expected) +
                                                         " (Adafactor's factored moment for this shape)");
        const auto arr = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(raw);
        if (!arr) throw py::error_already_set();
        const bool nonnegative = state_is_nonnegative(params, index);
        const T* d = arr.data();
        for (std::size_t i = 0; i < expected; ++i)
            if (!std::isfinite(d[i]) || (nonnegative && d[i] < T(0)))
                throw py::value_error(name + (nonnegative ? " must hold finite values >= 0" : " must be finite") +
                                      ", got " + std::string(py::str(py::float_(static_cast<double>(d[i])))) +
                                      " at index " + std::to_string(i));
        state.emplace_back(d, d + expected);
        ++index;
    }
    opt->restore(steps, mu_product, std::move(state), size);
    opt->restore_asgd(extras.eta, extras.mu);
    return opt;
}

}  // namespace fastgd::bindings
