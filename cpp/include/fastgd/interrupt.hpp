#pragma once
/// Polls a stop request (Ctrl-C, a callback) from long loops, every ~20 ms of work.
///
/// Reading the clock costs ~20 ns, more than a single-sample SGD step at small d,
/// so the clock is read only after about 10^5 multiply-adds of work.

#include <chrono>
#include <cstddef>
#include <functional>

namespace fastgd {

class interrupt_poller {
public:
    /// should_stop is called with no locks held; it may take the GIL (the bindings do).
    explicit interrupt_poller(std::function<bool()> should_stop, double interval_seconds = 0.02)
        : should_stop_(std::move(should_stop)),
          interval_(
              std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(interval_seconds))),
          last_(clock::now()) {}

    /// Record `work` multiply-adds done; true when a stop was requested.
    bool tick(std::size_t work) {
        pending_ += work;
        if (pending_ < work_between_clock_reads) return false;
        pending_ = 0;
        const auto now = clock::now();
        if (now - last_ < interval_) return false;
        last_ = now;
        return should_stop_ && should_stop_();
    }

private:
    using clock = std::chrono::steady_clock;
    static constexpr std::size_t work_between_clock_reads = std::size_t{1} << 17;
    std::function<bool()> should_stop_;
    clock::duration interval_;
    clock::time_point last_;
    std::size_t pending_ = 0;
};

}  // namespace fastgd
