#include "common.hpp"
#include "fastgd/dispatch.hpp"
#include "fastgd/threads.hpp"

namespace fastgd::bindings {

void register_threads(py::module_& m) {
    m.def("set_num_threads", &fastgd::set_num_threads, py::arg("k"));
    m.def("get_num_threads", &fastgd::get_num_threads);
    m.def(
        "simd_arch", [] { return std::string(fastgd::kernels().name); },
        "The instruction set the kernels were dispatched to: baseline, avx2 or avx512.");
}

}  // namespace fastgd::bindings
