// Single-row SGD epochs compiled for the avx2 instruction set (flags set in CMakeLists.txt).
#define FASTGD_ARCH sgd_arch_avx2
#define FASTGD_ARCH_NAME "avx2"
#define FASTGD_VECTOR_BYTES 32
#define FASTGD_SGD_ROWS_TABLE sgd_rows_kernels_avx2
#include "sgd_rows_table.inc"
