#pragma once
/// Thread count setting and a static parallel-for over a fixed list of tasks.
///
/// Results never depend on the thread count: callers split work into tasks whose
/// boundaries depend only on the problem size, and combine task results in task
/// order. Threads only decide who computes which task.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <system_error>
#include <thread>
#include <vector>

namespace fastgd {

inline int hardware_threads() {
    const unsigned hw = std::thread::hardware_concurrency();
    return hw == 0 ? 1 : static_cast<int>(hw);
}

inline std::atomic<int>& num_threads_setting() {
    static std::atomic<int> setting{hardware_threads()};
    return setting;
}

/// Number of threads the kernels use (>= 1).
inline int get_num_threads() { return num_threads_setting().load(std::memory_order_relaxed); }

/// Set the number of threads; k <= 0 means all hardware threads.
inline void set_num_threads(int k) {
    num_threads_setting().store(k <= 0 ? hardware_threads() : k, std::memory_order_relaxed);
}

/// Run body(first_task, last_task) over [0, n_tasks) split into contiguous ranges,
/// one per thread, on at most max_threads threads (the caller's thread included).
/// body must not throw.
template <typename Body>
void parallel_for(std::size_t n_tasks, int max_threads, Body&& body) {
    if (n_tasks == 0) return;
    const std::size_t n_threads =
        std::min<std::size_t>(n_tasks, static_cast<std::size_t>(std::max(1, max_threads)));
    if (n_threads == 1) {
        body(std::size_t{0}, n_tasks);
        return;
    }
    auto range_begin = [&](std::size_t t) { return n_tasks * t / n_threads; };
    std::vector<std::thread> workers;
    workers.reserve(n_threads - 1);
    std::size_t t = 1;
    try {
        for (; t < n_threads; ++t)
            workers.emplace_back([&body, b = range_begin(t), e = range_begin(t + 1)] { body(b, e); });
    } catch (const std::system_error&) {
        // Could not start a thread (resource limits): do its share here instead.
    }
    body(range_begin(0), range_begin(1));
    for (std::size_t rest = t; rest < n_threads; ++rest) body(range_begin(rest), range_begin(rest + 1));
    for (auto& w : workers) w.join();
}

}  // namespace fastgd
