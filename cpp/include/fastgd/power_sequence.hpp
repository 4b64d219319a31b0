#pragma once
/// beta^t for t = 1, 2, 3, ...: the bias corrections of Adam and its kin.
///
/// std::pow costs ~20 ns (more once the power underflows), an order of magnitude
/// more than a whole step on a 2-element problem. Consecutive steps multiply the
/// last power by beta instead, and every 256 steps the power is recomputed with
/// std::pow so the rounding error stays below ~256 ulp. The value is a function of
/// t alone: a jump (a restored state) rebuilds it the same way, from pow at the last
/// multiple of 256, so a restored optimizer continues bit-identically.

#include <cmath>
#include <cstddef>

namespace fastgd {

class power_sequence {
public:
    double at(double beta, std::size_t t) {
        if (t == t_ + 1 && beta == beta_ && t % resync != 0) {
            value_ *= beta;
        } else {
            const std::size_t base = t - t % resync;
            value_ = std::pow(beta, static_cast<double>(base));
            for (std::size_t k = base; k < t; ++k) value_ *= beta;
        }
        t_ = t;
        beta_ = beta;
        return value_;
    }

private:
    static constexpr std::size_t resync = 256;
    std::size_t t_ = 0;
    double beta_ = 0.0;
    double value_ = 1.0;
};

}  // namespace fastgd
