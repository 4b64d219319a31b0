#pragma once
/// L-BFGS's vector passes (arch/lbfgs_compact.hpp), and the built-in objective's pass
/// along its search line (builtin_objective.hpp), over contiguous parts of the
/// coordinates, one task each on the thread pool, their sums added in part order.
/// Two threads hold a part of every vector each in their own core's cache: at
/// d = 10^4 the history of 10 pairs (1.6 MB) and the iterate's vectors overflow one
/// core's L2 (1-2 MB), and half of them (nearly) fit. The parts depend on d only, so
/// the results do not depend on the thread count.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fastgd/threads.hpp"

namespace fastgd {

class lbfgs_parts {
public:
    /// A part has at least min_part coordinates (below that the pool's wake-up,
    /// ~2.5 us, costs more than the pass saves) and starts on a multiple of 64 (whole
    /// cache lines and vectors). The parts are as even as that allows: the caller waits
    /// for the slowest (at d = 10^4, parts on multiples of 512 were 4608 and 5392
    /// coordinates, and the caller spent a fifth of its time waiting).
    static constexpr std::size_t min_part = 4096;
    static constexpr std::size_t max_parts = 8;

    explicit lbfgs_parts(std::size_t d)
        : d_(d), count_(std::clamp<std::size_t>(d / min_part, 1, max_parts)) {
        sums.resize(count_);
    }

    std::size_t count() const { return count_; }
    std::size_t begin(std::size_t part) const { return part == count_ ? d_ : (d_ * part / count_) / 64 * 64; }

    /// Runs f(part, first coordinate, number of coordinates) for every part: on the
    /// pool, or all on the caller when not on_threads (the same results either way).
    template <typename F>
    void run(F&& f, bool on_threads = true) {
        if (count_ == 1) return f(std::size_t{0}, std::size_t{0}, d_);
        if (!on_threads) {
            for (std::size_t part = 0; part < count_; ++part) f(part, begin(part), begin(part + 1) - begin(part));
            return;
        }
        parallel_for_on_pool(count_, get_num_threads(), [&](std::size_t first, std::size_t last) {
            for (std::size_t part = first; part < last; ++part) f(part, begin(part), begin(part + 1) - begin(part));
        });
    }

    /// Points s(part), y(part) at the part's slice of the m pairs s_of(i), y_of(i).
    template <typename S, typename Y>
    void point(std::size_t m, S&& s_of, Y&& y_of) {
        s_.resize(count_ * m), y_.resize(count_ * m);
        m_ = m;
        dots_stride_ = whole_lines(4 * m), scratch_stride_ = whole_lines(64 * m);
        dots_.resize(count_ * dots_stride_ + line), scratch_.resize(count_ * scratch_stride_ + line);
        for (std::size_t part = 0; part < count_; ++part)
            for (std::size_t i = 0; i < m; ++i) {
                s_[part * m + i] = s_of(i) + begin(part);
                y_[part * m + i] = y_of(i) + begin(part);
            }
    }
    const double* const* s(std::size_t part) const { return s_.data() + part * m_; }
    const double* const* y(std::size_t part) const { return y_.data() + part * m_; }
    /// A part's 4 m products (sg, yg, sy, yy) and its kernel scratch.
    /// (Each part's on cache lines of its own: the kernels update their running sums in
    /// scratch block after block, and a line shared by two parts would move between the
    /// cores each time; L-BFGS at d = 10^4 measured 3% faster an iteration with them apart.)
    double* dots(std::size_t part) { return on_line(dots_.data()) + part * dots_stride_; }
    double* scratch(std::size_t part) { return on_line(scratch_.data()) + part * scratch_stride_; }

    /// The parts' products added in part order: the first `kinds` of sg, yg, sy, yy.
    void total_dots(std::size_t kinds, double* sg, double* yg, double* sy, double* yy) const {
        double* out[4] = {sg, yg, sy, yy};
        for (std::size_t k = 0; k < kinds; ++k)
            for (std::size_t i = 0; i < m_; ++i) {
                double t = 0.0;
                for (std::size_t part = 0; part < count_; ++part)
                    t += on_line(dots_.data())[part * dots_stride_ + k * m_ + i];
                out[k][i] = t;
            }
    }

    /// Four sums a part, sums[part][k], for the passes that return scalars (a cache line each).
    struct alignas(64) part_sums : std::array<double, 4> {};
    std::vector<part_sums> sums;
    double total(std::size_t k) const {
        double t = 0.0;
        for (const auto& s : sums) t += s[k];
        return t;
    }

private:
    static constexpr std::size_t line = 64 / sizeof(double);  // doubles a cache line
    static std::size_t whole_lines(std::size_t n) { return (n + line - 1) / line * line; }
    /// The first cache-line boundary in a buffer of one extra line.
    static double* on_line(double* p) {
        const auto a = reinterpret_cast<std::uintptr_t>(p);
        return reinterpret_cast<double*>((a + 63) / 64 * 64);
    }
    static const double* on_line(const double* p) { return on_line(const_cast<double*>(p)); }

    std::size_t d_, count_, m_ = 0, dots_stride_ = 0, scratch_stride_ = 0;
    std::vector<const double*> s_, y_;
    std::vector<double> dots_, scratch_;
};

}  // namespace fastgd
