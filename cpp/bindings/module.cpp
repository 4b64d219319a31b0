#include "common.hpp"

PYBIND11_MODULE(_core, m) {
    m.doc() = "fastgd's compiled core. Private: use the fastgd package.";
    m.attr("__version__") = FASTGD_VERSION;
    fastgd::bindings::register_threads(m);
    fastgd::bindings::register_least_squares(m);
    fastgd::bindings::register_fit(m);
    fastgd::bindings::register_optimizer(m);
    fastgd::bindings::register_minimize(m);
}
