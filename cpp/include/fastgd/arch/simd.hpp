#pragma once
/// One vector register of the target width (FASTGD_VECTOR_BYTES), through GCC/Clang
/// vector extensions, with unaligned loads and stores, broadcast and horizontal sum.
/// Part of the per-instruction-set kernels: see arch/least_squares_rows.hpp.

#include <cstddef>
#include <utility>

#if !defined(FASTGD_ARCH) || !defined(FASTGD_VECTOR_BYTES)
#error "include this header through cpp/dispatch/kernels_*.cpp"
#endif

#if defined(__GNUC__) && !defined(FASTGD_SCALAR_ONLY)  // FASTGD_SCALAR_ONLY: test the fallback
#define FASTGD_HAVE_VECTOR_EXTENSIONS 1

namespace fastgd {
namespace FASTGD_ARCH {

// GCC/Clang vector extensions: one register of the target width, whatever the ISA.
typedef double vf64 __attribute__((vector_size(FASTGD_VECTOR_BYTES)));
typedef float vf32 __attribute__((vector_size(FASTGD_VECTOR_BYTES)));
template <typename T>
struct simd;
template <>
struct simd<double> {
    using type = vf64;
};
template <>
struct simd<float> {
    using type = vf32;
};
template <typename T>
using vec = typename simd<T>::type;
template <typename T>
constexpr std::size_t width = FASTGD_VECTOR_BYTES / sizeof(T);

template <typename T>
inline vec<T> load(const T* p) {
    vec<T> v;
    __builtin_memcpy(&v, p, sizeof v);  // an unaligned load
    return v;
}
template <typename T>
inline void store(T* p, vec<T> v) {
    __builtin_memcpy(p, &v, sizeof v);
}
template <typename T>
inline vec<T> splat(T x) {
    return vec<T>{} + x;
}
// The low and high halves of a register, by shuffles: a memcpy of part of a vector
// would make it addressable, and GCC then keeps it on the stack, a store and a load
// for every update of an accumulator in a loop.
template <std::size_t... I, typename V>
inline auto lanes_at(V v, std::index_sequence<I...>) {
    return __builtin_shufflevector(v, v, I...);
}
template <std::size_t Offset, std::size_t... I>
constexpr std::index_sequence<(Offset + I)...> shifted(std::index_sequence<I...>) {
    return {};
}
template <typename V, std::size_t N = sizeof(V) / sizeof(decltype(V{}[0]))>
inline auto low_half(V v) {
    return lanes_at(v, std::make_index_sequence<N / 2>{});
}
template <typename V, std::size_t N = sizeof(V) / sizeof(decltype(V{}[0]))>
inline auto high_half(V v) {
    return lanes_at(v, shifted<N / 2>(std::make_index_sequence<N / 2>{}));
}

// Horizontal sum by halving: add the upper half of the register to the lower
// half until one lane is left (log2 W dependent adds rather than W - 1).
template <typename T, std::size_t Bytes>
struct halving_sum {
    typedef T V __attribute__((vector_size(Bytes)));
    static T sum(V v) { return halving_sum<T, Bytes / 2>::sum(low_half(v) + high_half(v)); }
};
template <typename T>
struct halving_sum<T, 2 * sizeof(T)> {
    typedef T V __attribute__((vector_size(2 * sizeof(T))));
    static T sum(V v) { return v[0] + v[1]; }
};
inline double hsum(vf64 v) { return halving_sum<double, sizeof(vf64)>::sum(v); }
inline float hsum(vf32 v) { return halving_sum<float, sizeof(vf32)>::sum(v); }

}  // namespace FASTGD_ARCH
}  // namespace fastgd

#endif
