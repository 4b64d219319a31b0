#pragma once
/// A CSR row's span and column indices, checked as they are read: the single-row SGD
/// epochs run without the GIL, and another thread may rewrite X's arrays meanwhile,
/// so nothing out of range may ever be touched. Used by the one-thread epoch
/// (arch/sgd_rows_epoch.hpp's csr_source) and by the gathering thread
/// (sgd_rows_gather.hpp); always inlined (always_inline.hpp).

#include <cstddef>

#include "fastgd/always_inline.hpp"
#include "fastgd/csr.hpp"

namespace fastgd {

/// Row r is [b, b + len) of data and indices; false when its offsets decrease, are
/// negative or pass nnz_cap (the arrays' allocated length).
template <typename T, typename I>
FASTGD_ALWAYS_INLINE bool csr_row_span(const csr_view<T, I>& m, std::size_t nnz_cap, std::size_t r, std::size_t& b,
                                       std::size_t& len) {
    const I lo = m.indptr[r], hi = m.indptr[r + 1];
    if (lo < 0 || hi < lo || static_cast<std::size_t>(hi) > nnz_cap) return false;
    b = static_cast<std::size_t>(lo);
    len = static_cast<std::size_t>(hi - lo);
    return true;
}

/// dst[k] = ind[k] for k < len; false when one is not in [0, d). Locals and a
/// restrict target: a store through dst could otherwise alias d, which kept this loop
/// scalar (d reloaded at every index); vectorised, the copy and check cost a fifth of
/// the shuffled epoch less.
template <typename I>
FASTGD_ALWAYS_INLINE bool copy_checked_indices(const I* ind, std::size_t len, std::size_t d,
                                               std::size_t* __restrict dst) {
    std::size_t bad = 0;
    for (std::size_t k = 0; k < len; ++k) {
        const auto j = static_cast<std::size_t>(ind[k]);  // negative: huge, refused
        bad |= static_cast<std::size_t>(j >= d);
        dst[k] = j;
    }
    return bad == 0;
}

}  // namespace fastgd
