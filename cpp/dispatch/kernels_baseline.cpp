// Row kernels compiled for the baseline instruction set (flags set in CMakeLists.txt).
#define FASTGD_ARCH arch_baseline
#define FASTGD_ARCH_NAME "baseline"
#define FASTGD_VECTOR_BYTES 16
#define FASTGD_TABLE_FUNCTION kernels_baseline
#include "kernel_table.inc"
