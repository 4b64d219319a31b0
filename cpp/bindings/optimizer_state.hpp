#pragma once
// An update rule's state as Python values, (steps, mu_product, [arrays], size): what
// Optimizer.state_dict() holds, and what a fit hands back to continue from later
// (partial_fit, warm starts).
#include <memory>
#include <utility>
#include <vector>

#include "common.hpp"
#include "fastgd/optimizer.hpp"

namespace fastgd::bindings {

template <typename T>
py::tuple export_optimizer_state(const optimizer<T>& opt) {
    py::list arrays;
    for (const auto& s : opt.state()) arrays.append(to_numpy(s.data(), s.size()));
    return py::make_tuple(opt.steps(), opt.mu_product(), arrays, opt.size());
}

/// The inverse of export_optimizer_state; the arrays' count and sizes are checked.
template <typename T>
std::unique_ptr<optimizer<T>> import_optimizer_state(const rule_params& params, std::size_t steps,
                                                     double mu_product, const py::list& arrays,
                                                     std::size_t size) {
    if (steps == 0 && arrays.empty()) return std::make_unique<optimizer<T>>(params);  // never stepped
    if (static_cast<int>(arrays.size()) != state_arrays(params))
        throw py::value_error("the optimizer state has the wrong number of arrays for this rule");
    std::vector<state_vector<T>> state;
    for (const auto& a : arrays) {
        const auto arr = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(a);
        if (!arr || static_cast<std::size_t>(arr.size()) != size)
            throw py::value_error("state arrays must match the parameters' size");
        state.emplace_back(arr.data(), arr.data() + arr.size());
    }
    auto opt = std::make_unique<optimizer<T>>(params);
    opt->restore(steps, mu_product, std::move(state), size);
    return opt;
}

}  // namespace fastgd::bindings
