// Picks the widest kernel table the CPU supports, once.
#include "fastgd/dispatch.hpp"

#include <cstdlib>

#include "fastgd/arch_request.hpp"

namespace fastgd {

const kernel_table& kernels_baseline();
#if defined(FASTGD_HAVE_X86_DISPATCH)
const kernel_table& kernels_avx2();
const kernel_table& kernels_avx512();
#endif

namespace {

const kernel_table& select_kernels() {
#if defined(FASTGD_HAVE_X86_DISPATCH)
    const arch_cap cap = parse_arch_request(std::getenv("FASTGD_ARCH")).cap;
    const bool allow_avx512 = cap == arch_cap::none || cap == arch_cap::avx512;
    const bool allow_avx2 = allow_avx512 || cap == arch_cap::avx2;
    __builtin_cpu_init();
    const bool has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (allow_avx512 && has_avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl"))
        return kernels_avx512();
    if (allow_avx2 && has_avx2) return kernels_avx2();
#endif
    return kernels_baseline();
}

}  // namespace

const kernel_table& kernels() {
    static const kernel_table& chosen = select_kernels();
    return chosen;
}

}  // namespace fastgd
