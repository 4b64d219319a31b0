#include "common.hpp"

#include <cstdlib>
#include <string>
#include <vector>

#include "fastgd/arch_request.hpp"
#include "fastgd/dispatch.hpp"
#include "fastgd/threads.hpp"

namespace fastgd::bindings {
namespace {

std::string compiler() {
#if defined(__clang__)
    return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
    return std::string("gcc ") + __VERSION__;
#elif defined(_MSC_VER)
    return "msvc " + std::to_string(_MSC_FULL_VER);
#else
    return "unknown";
#endif
}

}  // namespace

void register_threads(py::module_& m) {
    m.def("set_num_threads", &fastgd::set_num_threads, py::arg("k"));
    m.def("get_num_threads", &fastgd::get_num_threads);
    m.def(
        "simd_arch", [] { return std::string(fastgd::kernels().name); },
        "The instruction set the kernels were dispatched to: baseline, avx2 or avx512.");
    m.def(
        "arch_request",
        [] {
            const char* raw = std::getenv("FASTGD_ARCH");
            return py::make_tuple(raw ? py::str(raw) : py::str(""),
                                  to_string(parse_arch_request(raw).status));
        },
        "FASTGD_ARCH as read at import and how it was understood: unset, exact, normalized or invalid.");
    m.def(
        "build_info",
        [] {
            py::dict info;
            info["compiler"] = compiler();
            info["cplusplus"] = static_cast<long>(__cplusplus);
#if defined(FASTGD_HAVE_X86_DISPATCH)
            info["simd_compiled"] = std::vector<std::string>{"baseline", "avx2", "avx512"};
#else
            info["simd_compiled"] = std::vector<std::string>{"baseline"};
#endif
#if defined(NDEBUG)
            info["assertions"] = false;
#else
            info["assertions"] = true;
#endif
            info["sanitizers"] = std::string(FASTGD_SANITIZERS);
            return info;
        },
        "How this module was built: compiler, C++ standard, SIMD paths compiled, sanitizers.");
}

}  // namespace fastgd::bindings
