#pragma once
/// Software prefetch of one address or of every cache line of a range: rows visited
/// in a shuffled order defeat the hardware prefetcher (arch/sgd_rows_epoch.hpp,
/// arch/least_squares_sgd_run.hpp, sgd_rows_gather.hpp, fit_least_squares.hpp).
///
/// static: every translation unit keeps its own copy, compiled with its own flags. The
/// arch/ copies are built for AVX2 or AVX-512, and an inline function of external
/// linkage could have one of those copies picked for every caller.

#include <cstddef>
#include <cstdint>

namespace fastgd {

static inline void prefetch(const void* p) {
#if defined(__GNUC__)
    __builtin_prefetch(p, 0, 3);
#else
    (void)p;
#endif
}

static inline void prefetch_lines(const void* begin, std::size_t bytes) {
#if defined(__GNUC__)
    // GCC may delete a loop whose only effect is __builtin_prefetch; the empty
    // volatile asm keeps it.
    const auto first = reinterpret_cast<std::uintptr_t>(begin) & ~std::uintptr_t{63};
    const auto last = reinterpret_cast<std::uintptr_t>(begin) + bytes;
    for (std::uintptr_t line = first; line < last; line += 64) {
        __builtin_prefetch(reinterpret_cast<const void*>(line), 0, 3);
        __asm__ __volatile__("");
    }
#else
    (void)begin;
    (void)bytes;
#endif
}

}  // namespace fastgd
