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
/// "blocks" (block_shuffled_order) shuffles contiguous blocks of rows instead: the
/// blocks in a keyed order, each block's rows in a keyed order of their own, so an
/// epoch reads X one cache-sized region at a time (see block_shuffle_rows).
///
/// NumPy twins: fastgd.reference.permutation and fastgd.reference.block_permutation.

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

    /// out[i - first] = offset + (*this)(i) for i in [first, last), the same values. When
    /// the range is long against the half-width, each round's function is tabulated
    /// first (2^half values a round, looked up instead of a mix64 each): a few times
    /// faster per position (1024 x 4 mixes for the 65536 positions of a 10^6-row chunk).
    void fill(std::uint64_t first, std::uint64_t last, std::size_t offset, std::size_t* out) const {
        const std::uint64_t width = mask_ + 1;
        if (half_ > 16 || rounds * width > last - first) {
            for (std::uint64_t i = first; i < last; ++i)
                out[i - first] = offset + static_cast<std::size_t>((*this)(i));
            return;
        }
        std::vector<std::uint32_t> table(rounds * width);
        for (int k = 0; k < rounds; ++k)
            for (std::uint64_t r = 0; r < width; ++r)
                table[k * width + r] = static_cast<std::uint32_t>(mix64(r ^ keys_[k]) & mask_);
        auto encrypt_by_table = [&](std::uint64_t x) {
            std::uint64_t left = x >> half_, right = x & mask_;
            for (int k = 0; k < rounds; ++k) {
                const std::uint64_t next = left ^ table[k * width + right];
                left = right;
                right = next;
            }
            return (left << half_) | right;
        };
        for (std::uint64_t i = first; i < last; ++i) {
            std::uint64_t x = encrypt_by_table(i);
            while (x >= n_) x = encrypt_by_table(x);
            out[i - first] = offset + static_cast<std::size_t>(x);
        }
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
        perm.fill(first * block, std::min(n, last * block), 0, order.data() + first * block);
    });
}

/// How an epoch orders the rows: in order, a full shuffle, or a shuffle of blocks.
enum class shuffle_kind { none, rows, blocks };

/// The rows of a block of "blocks" for rows of row_bytes bytes (a dense row: d values;
/// a CSR row: its values and indices on average): about 256 KB of X, within [256, 4096]
/// rows. Measured (bench/shuffle_floor.cpp, 10^6 x 32 float64, CPU time of one
/// single-row SGD epoch): in order 34.7 ms, full shuffle 71.7 ms, blocks of 64 / 256 /
/// 1024 / 4096 / 65536 rows 41.9 / 36.5 / 35.1 / 42.0 / 50.2 ms. Blocks of 64-256 KB
/// are read as fast as in order whatever the order inside them; larger ones fall out of
/// L2 and toward the full shuffle's cache and TLB miss a row, smaller ones jump too
/// often. Twin: fastgd.reference.shuffle_block_rows.
constexpr std::size_t block_shuffle_bytes = std::size_t{256} << 10;
constexpr std::size_t block_shuffle_min_rows = 256, block_shuffle_max_rows = 4096;
inline std::size_t shuffle_block_rows(std::size_t row_bytes) {
    return std::clamp(block_shuffle_bytes / std::max<std::size_t>(1, row_bytes), block_shuffle_min_rows,
                      block_shuffle_max_rows);
}

/// Keys the shuffles inside the blocks apart from the order of the blocks.
constexpr std::uint64_t within_block_salt = 0x6A09E667F3BCC909ULL;

/// Fills order (resized to n) with the "blocks" order of (seed, epoch): the blocks
/// [k B, min(n, (k + 1) B)) in the order of feistel_permutation(seed, epoch, blocks),
/// the rows of block k in the order of feistel_permutation(s ^ salt, k, its rows), s
/// the epoch's state. Threads split the blocks without changing the result.
inline void block_shuffled_order(std::uint64_t seed, std::uint64_t epoch, std::size_t n,
                                 std::size_t block_rows, std::vector<std::size_t>& order, int n_threads = 1) {
    order.resize(n);
    if (n == 0) return;
    const std::size_t B = std::max<std::size_t>(1, block_rows);
    const std::size_t n_blocks = (n + B - 1) / B, last_rows = n - (n_blocks - 1) * B;
    const feistel_permutation block_at(seed, epoch, n_blocks);
    // Where each position's block starts in the order: B a block, but the short last
    // block shifts those after it.
    std::vector<std::size_t> blocks(n_blocks);
    std::size_t short_position = 0;
    for (std::size_t j = 0; j < n_blocks; ++j) {
        blocks[j] = static_cast<std::size_t>(block_at(j));
        if (blocks[j] == n_blocks - 1) short_position = j;
    }
    const std::uint64_t within_seed = mix64(seed + golden_gamma * (epoch + 1)) ^ within_block_salt;
    parallel_for(n_blocks, n_blocks >= 64 ? n_threads : 1, [&](std::size_t first, std::size_t last) {
        for (std::size_t j = first; j < last; ++j) {
            const std::size_t k = blocks[j], begin = k * B, rows = k == n_blocks - 1 ? last_rows : B;
            const std::size_t at = j * B - (j > short_position ? B - last_rows : 0);
            feistel_permutation(within_seed, k, rows).fill(0, rows, begin, order.data() + at);
        }
    });
}

/// The order of an epoch's rows as `kind` says: none leaves order as it is (the caller
/// fills 0..n-1 once); rows and blocks fill it for (seed, epoch).
inline void epoch_order(shuffle_kind kind, std::uint64_t seed, std::uint64_t epoch, std::size_t n,
                        std::size_t block_rows, std::vector<std::size_t>& order, int n_threads = 1) {
    if (kind == shuffle_kind::rows) shuffled_order(seed, epoch, n, order, n_threads);
    else if (kind == shuffle_kind::blocks) block_shuffled_order(seed, epoch, n, block_rows, order, n_threads);
}

}  // namespace fastgd
