#pragma once
/// Seeded, portable shuffles: the same (seed, epoch) gives the same order on every
/// platform and in fastgd.reference.
///
/// The order of an epoch is a keyed bijection of [0, n): a four-round Feistel
/// network on the smallest even number of bits that covers n, with cycle walking
/// (values >= n are mapped again until they land in range). Round keys come from
/// SplitMix64 seeded by (seed, epoch). No standard-library distribution and no
/// sort is involved: each position costs a few multiplies, and NumPy computes the
/// same with uint64 arithmetic.
///
/// NumPy twin: fastgd.reference.permutation.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fastgd/threads.hpp"

namespace fastgd {

constexpr std::uint64_t golden_gamma = 0x9E3779B97F4A7C15ULL;

/// SplitMix64's output function (Steele, Lea, Flood 2014).
constexpr std::uint64_t mix64(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/// A keyed permutation of [0, n).
class feistel_permutation {
public:
    static constexpr int rounds = 4;

    feistel_permutation(std::uint64_t seed, std::uint64_t epoch, std::uint64_t n) : n_(n) {
        int bits = 2;
        while (bits < 64 && (std::uint64_t{1} << bits) < n) bits += 2;
        half_ = bits / 2;
        mask_ = (std::uint64_t{1} << half_) - 1;
        const std::uint64_t state = mix64(seed + golden_gamma * (epoch + 1));
        for (int k = 0; k < rounds; ++k)
            keys_[k] = mix64(state + golden_gamma * static_cast<std::uint64_t>(k + 1));
    }

    /// The position-i element of the shuffled order.
    std::uint64_t operator()(std::uint64_t i) const {
        std::uint64_t x = encrypt(i);
        while (x >= n_) x = encrypt(x);  // cycle walking: stays a bijection of [0, n)
        return x;
    }

private:
    std::uint64_t encrypt(std::uint64_t x) const {
        std::uint64_t left = x >> half_, right = x & mask_;
        for (int k = 0; k < rounds; ++k) {
            const std::uint64_t next = left ^ (mix64(right ^ keys_[k]) & mask_);
            left = right;
            right = next;
        }
        return (left << half_) | right;
    }

    std::uint64_t n_;
    int half_;
    std::uint64_t mask_;
    std::uint64_t keys_[rounds];
};

/// Fills order (resized to n) with the shuffled rows for (seed, epoch). Each
/// position is computed on its own, so threads split the work without changing it.
inline void shuffled_order(std::uint64_t seed, std::uint64_t epoch, std::size_t n,
                           std::vector<std::size_t>& order, int n_threads = 1) {
    order.resize(n);
    const feistel_permutation perm(seed, epoch, n);
    constexpr std::size_t block = std::size_t{1} << 16;
    parallel_for((n + block - 1) / block, n_threads, [&](std::size_t first, std::size_t last) {
        for (std::size_t i = first * block; i < std::min(n, last * block); ++i)
            order[i] = static_cast<std::size_t>(perm(i));
    });
}

}  // namespace fastgd
