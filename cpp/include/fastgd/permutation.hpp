#pragma once
/// Seeded, portable shuffles: the same (seed, epoch) gives the same order on every
/// platform and in fastgd.reference.
///
/// Each row i gets a key, the top 32 bits of SplitMix64's output i+1 from a state
/// derived from (seed, epoch); the order is the stable sort of the keys (ties keep
/// row order). No standard-library distribution is involved, so nothing depends on
/// the C++ library. NumPy computes the same with uint64 arithmetic and a stable argsort.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace fastgd {

constexpr std::uint64_t golden_gamma = 0x9E3779B97F4A7C15ULL;

/// SplitMix64's output function (Steele, Lea, Flood 2014).
constexpr std::uint64_t mix64(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/// The state for one epoch's shuffle.
constexpr std::uint64_t epoch_state(std::uint64_t seed, std::uint64_t epoch) {
    return mix64(seed + golden_gamma * (epoch + 1));
}

/// The sort key of row i in an epoch.
constexpr std::uint32_t shuffle_key(std::uint64_t state, std::uint64_t i) {
    return static_cast<std::uint32_t>(mix64(state + golden_gamma * (i + 1)) >> 32);
}

/// Fills order (resized to n) with the shuffled rows 0..n-1 for (seed, epoch).
/// A stable LSD radix sort on the 32-bit keys, four passes of 8 bits: O(n).
class shuffler {
public:
    void permutation(std::uint64_t seed, std::uint64_t epoch, std::size_t n, std::vector<std::size_t>& order) {
        const std::uint64_t state = epoch_state(seed, epoch);
        keys_.resize(n);
        keys_tmp_.resize(n);
        order.resize(n);
        tmp_.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
            keys_[i] = shuffle_key(state, i);
            order[i] = i;
        }
        for (int shift = 0; shift < 32; shift += 8) {
            std::size_t count[257] = {};
            for (std::size_t i = 0; i < n; ++i) ++count[((keys_[i] >> shift) & 0xFF) + 1];
            for (int b = 0; b < 256; ++b) count[b + 1] += count[b];
            for (std::size_t i = 0; i < n; ++i) {
                const std::size_t dst = count[(keys_[i] >> shift) & 0xFF]++;
                keys_tmp_[dst] = keys_[i];
                tmp_[dst] = order[i];
            }
            keys_.swap(keys_tmp_);
            order.swap(tmp_);
        }
    }

private:
    std::vector<std::uint32_t> keys_, keys_tmp_;
    std::vector<std::size_t> tmp_;
};

}  // namespace fastgd
