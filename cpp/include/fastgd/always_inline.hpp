#pragma once
/// FASTGD_ALWAYS_INLINE marks the small non-arch functions that arch/ kernels call.
///
/// arch/ code is compiled once per instruction set. A function of a shared header that
/// a kernel calls without inlining it is emitted as a copy built with that kernel's
/// flags. Where the linker keeps one copy for the whole module (macOS; on Linux
/// cmake/private_arch_object.sh keeps each object's copies private) every caller runs
/// that copy, AVX or not. And even with private copies, results would depend on which
/// call sites the compiler happened to inline: with FMA contraction the same formula
/// rounds differently inlined and not. Always inlined, each kernel computes the
/// function with its own flags, the same at every call site.

#if defined(__GNUC__)
#define FASTGD_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define FASTGD_ALWAYS_INLINE inline
#endif
