#include "common.hpp"

PYBIND11_MODULE(_core, m) {
    m.doc() = "fastgd's compiled core. Private: use the fastgd package.";
    m.attr("__version__") = FASTGD_VERSION;
    // Hooks for tests and benchmarks live apart from what the package uses.
    py::module_ testing = m.def_submodule("_testing", "Test and benchmark hooks: not part of fastgd's API.");
    fastgd::bindings::register_threads(m);
    fastgd::bindings::register_checks(m, testing);
    fastgd::bindings::register_least_squares(m);
    fastgd::bindings::register_losses(m);
    fastgd::bindings::register_fit(m, testing);
    fastgd::bindings::register_optimizer(m, testing);
    fastgd::bindings::register_param_groups(m);
    fastgd::bindings::register_minimize(m, testing);
    fastgd::bindings::register_sparse(m);
    fastgd::bindings::register_sgd_rows(m, testing);
    fastgd::bindings::register_lbfgs(m);
}
