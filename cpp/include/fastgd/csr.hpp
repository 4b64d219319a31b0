#pragma once
/// A read-only view of a scipy.sparse CSR matrix, as the Python layer hands it over
/// (fastgd._validation.csr_matrix): canonical (sorted indices, no duplicates), no NaN
/// or inf, data float32 or float64, indices and indptr both int32 or both int64
/// (scipy's index dtypes; I is that type, so no index array is ever copied).

#include <cstddef>
#include <cstdint>

namespace fastgd {

template <typename T, typename I>
struct csr_view {
    const T* data;     // nnz values
    const I* indices;  // nnz column indices in [0, d), sorted within a row
    const I* indptr;   // n + 1 offsets: row i is [indptr[i], indptr[i + 1])
    std::size_t n;
    std::size_t d;

    std::size_t row_begin(std::size_t i) const { return static_cast<std::size_t>(indptr[i]); }
    std::size_t row_end(std::size_t i) const { return static_cast<std::size_t>(indptr[i + 1]); }
    std::size_t nnz() const { return static_cast<std::size_t>(indptr[n]); }
};

}  // namespace fastgd
