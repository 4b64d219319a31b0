#pragma once
/// Allocator for long state arrays: 2 MB aligned and, on Linux, backed by
/// transparent huge pages. Streaming an update over 4 KB pages costs a page walk
/// every 64 cache lines, which virtualised machines make expensive; NumPy already
/// asks for huge pages for its arrays, so the optimizer state should too.

#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace fastgd {

template <typename T>
struct huge_page_allocator {
    using value_type = T;
    huge_page_allocator() = default;
    template <typename U>
    huge_page_allocator(const huge_page_allocator<U>&) noexcept {}

    static constexpr std::size_t huge = std::size_t{1} << 21;

    T* allocate(std::size_t n) {
        const std::size_t bytes = n * sizeof(T);
        if (bytes < huge) return static_cast<T*>(::operator new(bytes));
        const std::size_t rounded = (bytes + huge - 1) / huge * huge;
        // C++17 aligned new: portable (std::aligned_alloc is missing on MSVC); throws bad_alloc.
        void* p = ::operator new(rounded, std::align_val_t{huge});
#if defined(__linux__) && defined(MADV_HUGEPAGE)
        madvise(p, rounded, MADV_HUGEPAGE);  // a hint: failure only costs speed
#endif
        return static_cast<T*>(p);
    }

    void deallocate(T* p, std::size_t n) noexcept {
        if (n * sizeof(T) < huge)
            ::operator delete(p);
        else
            ::operator delete(p, std::align_val_t{huge});
    }

    template <typename U>
    bool operator==(const huge_page_allocator<U>&) const noexcept {
        return true;
    }
    template <typename U>
    bool operator!=(const huge_page_allocator<U>&) const noexcept {
        return false;
    }
};

template <typename T>
using state_vector = std::vector<T, huge_page_allocator<T>>;

}  // namespace fastgd
