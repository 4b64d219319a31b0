// Row kernels compiled for the avx2 instruction set (flags set in CMakeLists.txt).
#define FASTGD_ARCH arch_avx2
#define FASTGD_ARCH_NAME "avx2"
#define FASTGD_VECTOR_BYTES 32
#define FASTGD_TABLE_FUNCTION kernels_avx2
#include "kernel_table.inc"
