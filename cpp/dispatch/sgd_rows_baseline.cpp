// Single-row SGD epochs compiled for the baseline instruction set (flags set in CMakeLists.txt).
#define FASTGD_ARCH sgd_arch_baseline
#define FASTGD_ARCH_NAME "baseline"
#define FASTGD_VECTOR_BYTES 16
#define FASTGD_SGD_ROWS_TABLE sgd_rows_kernels_baseline
#include "sgd_rows_table.inc"
