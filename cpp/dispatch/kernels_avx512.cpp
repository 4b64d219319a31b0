// Row kernels compiled for the avx512 instruction set (flags set in CMakeLists.txt).
#define FASTGD_ARCH arch_avx512
#define FASTGD_ARCH_NAME "avx512"
#define FASTGD_VECTOR_BYTES 64
#define FASTGD_TABLE_FUNCTION kernels_avx512
#include "kernel_table.inc"
