#pragma once
/// Thread count setting and a static parallel-for over a fixed list of tasks.
///
/// Results never depend on the thread count: callers split work into tasks whose
/// boundaries depend only on the problem size, and combine task results in task
/// order. Threads only decide who computes which task.
///
/// Work runs on a persistent pool (hardware threads - 1 workers, started on first
/// use): a thread created per call may start on the caller's core and take
/// milliseconds to migrate, which costs a memory-bound pass a large share of its
/// time. A caller that finds the pool busy (another Python thread is using it)
/// starts threads of its own instead, so concurrent fits never wait on each other.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define FASTGD_HAVE_PTHREAD_ATFORK 1
#endif

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

namespace detail {

/// The i-th round (from 1) of a wait on another thread: a few pauses, then yields. On
/// a loaded machine the thread waited for may need this core (pausing alone cost 1 ms
/// a pool call under load, yielding none).
inline void spin_once(unsigned i) {
    if (i > 16)
        std::this_thread::yield();
#if defined(__x86_64__) || defined(__i386__)
    else
        __builtin_ia32_pause();
#endif
}

// Persistent workers that each run one part of a job: part i of job(i), i >= 1;
// the caller runs part 0 itself.
class worker_pool {
public:
    explicit worker_pool(int n_workers) {
        for (int i = 0; i < n_workers; ++i) workers_.emplace_back([this, i] { work(i + 1); });
    }
    // Never destroyed (see pool()): workers are left waiting at process exit.

    int size() const { return static_cast<int>(workers_.size()); }

    /// Runs job(0) here and job(1..parts-1) on the workers; false, having run
    /// nothing, when the pool is busy or too small.
    bool try_run(int parts, const std::function<void(int)>& job) {
        std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
        if (!busy.owns_lock() || parts - 1 > size()) return false;
        {
            std::lock_guard<std::mutex> lock(m_);
            job_ = &job;
            parts_ = parts;
            remaining_.store(parts - 1);
            generation_.fetch_add(1);
        }
        wake_.notify_all();
        job(0);
        spin_while([this] { return remaining_.load() != 0; });
        std::unique_lock<std::mutex> lock(m_);
        done_.wait(lock, [this] { return remaining_.load() == 0; });
        job_ = nullptr;
        return true;
    }

private:
    /// Waits while busy() holds, for at most spin_time, before the caller blocks on a
    /// condition variable: calls that come microseconds apart (L-BFGS's passes, a few
    /// a step) would otherwise pay a sleeping thread's wake-up each, which on a
    /// virtual machine costs tens of microseconds.
    template <typename Busy>
    static void spin_while(Busy&& busy) {
        const auto until = std::chrono::steady_clock::now() + spin_time;
        for (unsigned i = 1; busy(); ++i) {
            spin_once(i);
            if (i % 64 == 0 && std::chrono::steady_clock::now() > until) return;
        }
    }
    static constexpr std::chrono::microseconds spin_time{100};

    void work(int part) {
        std::size_t seen = 0;
        for (;;) {
            const std::function<void(int)>* job = nullptr;
            spin_while([&] { return generation_.load() == seen; });
            {
                std::unique_lock<std::mutex> lock(m_);
                wake_.wait(lock, [&] { return generation_.load() != seen; });
                seen = generation_.load();
                if (part < parts_) job = job_;
            }
            if (!job) continue;
            (*job)(part);
            if (remaining_.fetch_sub(1) == 1) {
                std::lock_guard<std::mutex> lock(m_);  // the caller checks remaining_ under it
                done_.notify_one();
            }
        }
    }

    std::vector<std::thread> workers_;
    std::mutex busy_, m_;
    std::condition_variable wake_, done_;
    const std::function<void(int)>* job_ = nullptr;  // job_ and parts_: under m_
    int parts_ = 0;
    std::atomic<int> remaining_{0};
    std::atomic<std::size_t> generation_{0};  // changed under m_, read by spinning workers without it
};

inline std::atomic<worker_pool*>& pool_slot() {
    static std::atomic<worker_pool*> slot{nullptr};
    return slot;
}

// After fork() the child has none of the parent's workers: forget the pool (it is
// leaked, never touched again) and start a new one on first use.
inline void forget_pool_in_child() { pool_slot().store(nullptr); }

inline worker_pool* pool() {
    static std::once_flag at_fork;
    std::call_once(at_fork, [] {
#if defined(FASTGD_HAVE_PTHREAD_ATFORK)
        pthread_atfork(nullptr, nullptr, &forget_pool_in_child);
#endif
    });
    worker_pool* p = pool_slot().load();
    if (p) return p;
    static std::mutex creating;
    std::lock_guard<std::mutex> lock(creating);
    p = pool_slot().load();
    if (!p) {
        try {
            p = new worker_pool(hardware_threads() - 1);
        } catch (const std::system_error&) {
            return nullptr;  // no threads to be had: callers run serially
        }
        pool_slot().store(p);
    }
    return p;
}

}  // namespace detail

namespace detail {

/// parallel_for and parallel_for_on_pool; with own_threads false, a busy pool runs every task on the caller.
template <typename Body>
void run_parallel(std::size_t n_tasks, int max_threads, Body&& body, bool own_threads) {
    if (n_tasks == 0) return;
    const std::size_t n_threads =
        std::min<std::size_t>(n_tasks, static_cast<std::size_t>(std::max(1, max_threads)));
    if (n_threads == 1) {
        body(std::size_t{0}, n_tasks);
        return;
    }
    auto range_begin = [&](std::size_t t) { return n_tasks * t / n_threads; };
    const std::function<void(int)> part = [&](int t) {
        const auto i = static_cast<std::size_t>(t);
        body(range_begin(i), range_begin(i + 1));
    };
    if (worker_pool* p = pool(); p && p->try_run(static_cast<int>(n_threads), part)) return;
    if (!own_threads) {
        body(std::size_t{0}, n_tasks);
        return;
    }
    // The pool is busy (another caller) or smaller than asked: threads of our own.
    std::vector<std::thread> workers;
    workers.reserve(n_threads - 1);
    std::size_t t = 1;
    try {
        for (; t < n_threads; ++t) workers.emplace_back([&part, t] { part(static_cast<int>(t)); });
    } catch (const std::system_error&) {
        // Could not start a thread (resource limits): do its share here instead.
    }
    part(0);
    for (std::size_t rest = t; rest < n_threads; ++rest) part(static_cast<int>(rest));
    for (auto& w : workers) w.join();
}

}  // namespace detail

/// Run body(first_task, last_task) over [0, n_tasks) split into contiguous ranges,
/// one per thread, on at most max_threads threads (the caller's thread included).
/// body must not throw.
template <typename Body>
void parallel_for(std::size_t n_tasks, int max_threads, Body&& body) {
    detail::run_parallel(n_tasks, max_threads, std::forward<Body>(body), true);
}

/// parallel_for for work of a few microseconds a call (L-BFGS's vector passes): the
/// pool's workers when it is free, else every task on the caller, never threads
/// started for the call (starting one costs more than the work; a busy pool means
/// the machine's threads are taken, by a race of minimizers for instance).
template <typename Body>
void parallel_for_on_pool(std::size_t n_tasks, int max_threads, Body&& body) {
    detail::run_parallel(n_tasks, max_threads, std::forward<Body>(body), false);
}

/// Runs job(0) on the caller and job(1) on a pool worker at the same time, for two
/// halves of a pipeline that wait on each other (so never one after the other on one
/// thread); false, having run nothing, when the pool has no worker or is busy.
inline bool run_pair_on_pool(const std::function<void(int)>& job) {
    detail::worker_pool* p = detail::pool();
    return p != nullptr && p->try_run(2, job);
}

}  // namespace fastgd
