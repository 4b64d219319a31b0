#pragma once
/// exp and log1p on one register of doubles (vf64) or floats (vf32), on the ranges the log loss needs
/// (exp of a non-positive number, log1p of a number in [0, 1]): the libm calls cost
/// more than a row's multiply-adds, these cost a few per lane. Both stay within a few
/// ulp of std::exp / std::log1p (tests/test_losses.py checks the loss at margins that
/// cover every branch); NaN stays NaN.
/// Part of the per-instruction-set kernels: see arch/least_squares_rows.hpp.

#include <type_traits>

#include "fastgd/arch/simd.hpp"

#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)

namespace fastgd {
namespace FASTGD_ARCH {

/// x rounded to V's element type, in every lane (the losses' constants, written once
/// for registers of doubles and of floats).
template <typename V>
inline V lane_constant(double x) {
    using E = std::decay_t<decltype(V{}[0])>;
    return V{} + static_cast<E>(x);
}

typedef unsigned long long vu64 __attribute__((vector_size(FASTGD_VECTOR_BYTES)));
typedef unsigned int vu32 __attribute__((vector_size(FASTGD_VECTOR_BYTES)));
/// The unsigned integer register of the same lanes as V (vf64: vu64, vf32: vu32).
template <typename V>
using bits_t = std::conditional_t<sizeof(V{}[0]) == 8, vu64, vu32>;

template <typename V>
inline bits_t<V> bits_of(V x) {
    bits_t<V> b;
    __builtin_memcpy(&b, &x, sizeof b);
    return b;
}
template <typename V>
inline V from_bits(bits_t<V> b) {
    V x;
    __builtin_memcpy(&x, &b, sizeof x);
    return x;
}
/// Lane by lane, mask ? a : b (mask: a comparison of Vs, all ones or zero a lane).
template <typename Mask, typename V>
inline V blend(Mask mask, V a, V b) {
    bits_t<V> m;
    __builtin_memcpy(&m, &mask, sizeof m);
    return from_bits<V>((m & bits_of(a)) | (~m & bits_of(b)));
}
template <typename V>
inline V abs_lanes(V x) {
    using U = std::decay_t<decltype(bits_t<V>{}[0])>;
    return from_bits<V>(bits_of(x) & (bits_t<V>{} + (~U{0} >> 1)));
}

/// e^x for x <= 0: x = k ln2 + r with |r| <= ln2 / 2, e^r by its Taylor series to
/// degree 12 (remainder below 2e-16 relative), 2^k written into the exponent bits.
/// Subnormal results as std::exp's (one rounding, in the last multiply); 0 below -746.
inline vf64 exp_nonpositive(vf64 x) {
    const vf64 shifter = splat(0x1.8p52);  // adding it rounds to an integer, kept in the low bits
    const vf64 t = x * splat(1.4426950408889634) + shifter;
    const vf64 k = t - shifter;
    // ln 2 in two parts (fdlibm's): k ln2_hi is exact for |k| < 2^20.
    const vf64 r = (x - k * splat(6.93147180369123816490e-01)) - k * splat(1.90821492927058770002e-10);
    vf64 p = splat(0x1.1eed8eff8d898p-29);  // 1/12!
    p = p * r + splat(0x1.ae64567f544e4p-26);
    p = p * r + splat(0x1.27e4fb7789f5cp-22);
    p = p * r + splat(0x1.71de3a556c734p-19);
    p = p * r + splat(0x1.a01a01a01a01ap-16);
    p = p * r + splat(0x1.a01a01a01a01ap-13);
    p = p * r + splat(0x1.6c16c16c16c17p-10);
    p = p * r + splat(0x1.1111111111111p-7);
    p = p * r + splat(0x1.5555555555555p-5);
    p = p * r + splat(0x1.5555555555555p-3);
    p = p * r + splat(0.5);
    p = p * r + splat(1.0);
    p = p * r + splat(1.0);
    // 2^(k + 64) is a normal double for every k used (k >= -1077); times 2^-64 after.
    const vu64 k_int = bits_of(t) - bits_of(shifter);
    const vf64 two_k64 = from_bits<vf64>((k_int + (1023 + 64)) << 52);
    return blend(x < splat(-746.0), vf64{}, (p * two_k64) * splat(0x1p-64));
}

/// log(1 + e) for e in [0, 1]: 1 + e = 2^k (1 + f) with k = 0, f = e below sqrt 2 - 1,
/// else k = 1, f = (e - 1) / 2; then log(1 + f) = 2 s + s R(s^2), s = f / (2 + f),
/// |s| <= 0.1716, R fdlibm's minimax polynomial (error below 2^-58).
inline vf64 log1p_unit(vf64 e) {
    const auto big = e > splat(0.41421356237309515);
    const vf64 f = blend(big, (e - 1.0) * 0.5, e);
    const vf64 s = f / (f + 2.0);
    const vf64 z = s * s;
    vf64 R = splat(1.479819860511658591e-01);
    R = R * z + splat(1.531383769920937332e-01);
    R = R * z + splat(1.818357216161805012e-01);
    R = R * z + splat(2.222219843214978396e-01);
    R = R * z + splat(2.857142874366239149e-01);
    R = R * z + splat(3.999999999940941908e-01);
    R = R * z + splat(6.666666666666735130e-01);
    R = R * z;
    return (2.0 * s + s * R) + blend(big, splat(0.6931471805599453), vf64{});
}

/// exp_nonpositive in float, for the float32 kernels: twice the lanes of the double
/// version and a shorter polynomial. x = k ln2 + r as there (ln 2 in Cephes' two
/// parts); e^r = 1 + r + r^2 P(r), P Cephes' expf polynomial (relative error near
/// 1 ulp of float); 0 below -104 (e^-104 is below the smallest float).
inline vf32 exp_nonpositive(vf32 x) {
    const vf32 shifter = splat(0x1.8p23f);
    const vf32 t = x * splat(1.44269504088896341f) + shifter;
    const vf32 k = t - shifter;
    const vf32 r = (x - k * splat(0.693359375f)) - k * splat(-2.12194440e-4f);
    vf32 p = splat(1.9875691500e-4f);
    p = p * r + splat(1.3981999507e-3f);
    p = p * r + splat(8.3334519073e-3f);
    p = p * r + splat(4.1665795894e-2f);
    p = p * r + splat(1.6666665459e-1f);
    p = p * r + splat(5.0000001201e-1f);
    p = (p * r) * r + r + 1.0f;
    // 2^(k + 64) is a normal float for every k used (k >= -151); times 2^-64 after.
    const vu32 k_int = bits_of(t) - bits_of(shifter);
    const vf32 two_k64 = from_bits<vf32>((k_int + (127 + 64)) << 23);
    return blend(x < splat(-104.0f), vf32{}, (p * two_k64) * splat(0x1p-64f));
}

/// log1p_unit in float: the same reduction, R fdlibm's logf polynomial (4 terms).
inline vf32 log1p_unit(vf32 e) {
    const auto big = e > splat(0.41421356f);
    const vf32 f = blend(big, (e - 1.0f) * 0.5f, e);
    const vf32 s = f / (f + 2.0f);
    const vf32 z = s * s;
    vf32 R = splat(0.24279078841f);
    R = R * z + splat(0.28498786688f);
    R = R * z + splat(0.40000972152f);
    R = R * z + splat(0.66666662693f);
    R = R * z;
    return (2.0f * s + s * R) + blend(big, splat(0.69314718f), vf32{});
}

}  // namespace FASTGD_ARCH
}  // namespace fastgd

#endif
