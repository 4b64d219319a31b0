// Single-row SGD epochs compiled for the avx512 instruction set (flags set in CMakeLists.txt).
#define FASTGD_ARCH sgd_arch_avx512
#define FASTGD_ARCH_NAME "avx512"
#define FASTGD_VECTOR_BYTES 64
#define FASTGD_SGD_ROWS_TABLE sgd_rows_kernels_avx512
#include "sgd_rows_table.inc"
