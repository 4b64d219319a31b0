// The single-row SGD table of the instruction set kernels() chose (dispatch.cpp), so
// both tables always agree, FASTGD_ARCH included.
#include <cstring>

#include "fastgd/dispatch.hpp"
#include "fastgd/sgd_rows_types.hpp"

namespace fastgd {

const sgd_rows_table& sgd_rows_kernels_baseline();
#if defined(FASTGD_HAVE_X86_DISPATCH)
const sgd_rows_table& sgd_rows_kernels_avx2();
const sgd_rows_table& sgd_rows_kernels_avx512();
#endif

namespace {

const sgd_rows_table& select_sgd_rows() {
#if defined(FASTGD_HAVE_X86_DISPATCH)
    const char* name = kernels().name;
    if (std::strcmp(name, "avx512") == 0) return sgd_rows_kernels_avx512();
    if (std::strcmp(name, "avx2") == 0) return sgd_rows_kernels_avx2();
#endif
    return sgd_rows_kernels_baseline();
}

}  // namespace

const sgd_rows_table& sgd_rows_kernels_for_cpu() {
    static const sgd_rows_table& chosen = select_sgd_rows();
    return chosen;
}

}  // namespace fastgd
