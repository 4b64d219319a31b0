#pragma once
/// A CSR epoch of single-row SGD on two threads. In a shuffled order, about half of a
/// one-thread epoch waits on rows fetched from random places; the steps themselves are
/// short. Here a pool worker gathers the rows, in the epoch's order, into a ring of
/// chunks of private contiguous memory (checking every offset and index as it copies),
/// while the caller runs the steps over each chunk as it comes, reading memory in order.
/// Every step is the one-thread epoch's step on the same values: the results are the
/// same bit for bit.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <vector>

#include "fastgd/csr.hpp"
#include "fastgd/csr_rows_checked.hpp"
#include "fastgd/prefetch.hpp"
#include "fastgd/sgd_rows_types.hpp"
#include "fastgd/threads.hpp"

namespace fastgd {
namespace gather_detail {

constexpr std::size_t chunk_rows = 128;
constexpr std::size_t ring_chunks = 4;
// A row's offsets and target are requested `ahead` rows before it is copied, its values
// and indices ahead / 2 rows before (the random order defeats the hardware prefetcher).
constexpr std::size_t ahead = 24;

template <typename T>
struct ring {
    gathered_rows<T> chunks[ring_chunks];
    bool stops_short[ring_chunks] = {};  // the chunk ends before a row out of range
    std::atomic<std::size_t> filled{0};  // chunks written so far
    std::atomic<std::size_t> taken{0};   // chunks the steps are done with
    std::atomic<bool> quit{false};       // the steps have ended: the gatherer returns
    std::atomic<bool> failed{false};     // the gatherer threw (error is set first)
    std::exception_ptr error;
};

template <typename Ready>
void wait_until(Ready&& ready) {
    for (unsigned i = 1; !ready(); ++i) detail::spin_once(i);
}

/// Copies the rows at positions [from, to) of the epoch's order into g; false at the
/// first row whose offsets or indices are out of range (g then ends before it).
template <typename T, typename I>
bool gather_chunk(const csr_view<T, I>& X, std::size_t nnz_cap, const sgd_rows_epoch<T>& e, std::size_t from,
                  std::size_t to, gathered_rows<T>& g) {
    const std::size_t n = X.n;
    const std::size_t* order = e.order;
    auto at = [order](std::size_t i) { return order ? order[i] : i; };
    auto span = [&](std::size_t r, std::size_t& b, std::size_t& len) { return csr_row_span(X, nnz_cap, r, b, len); };
    g.rows = 0;
    g.offsets.resize(to - from + 1);
    g.y.resize(to - from);
    g.sw.resize(e.sw ? to - from : 0);
    std::size_t used = 0;
    for (std::size_t i = from; i < to; ++i) {
        if (i + ahead < n) {
            const std::size_t later = at(i + ahead);
            prefetch(X.indptr + later);
            prefetch(e.y + later);
            if (e.sw) prefetch(e.sw + later);
        }
        std::size_t b = 0, len = 0;
        if (i + ahead / 2 < n && span(at(i + ahead / 2), b, len)) {
            prefetch_lines(X.data + b, len * sizeof(T));
            prefetch_lines(X.indices + b, len * sizeof(I));
        }
        const std::size_t r = at(i);
        if (!span(r, b, len)) return false;
        if (g.values.size() < used + len) {
            const std::size_t grown = std::max(2 * g.values.size(), used + len);
            g.values.resize(grown);
            g.indices.resize(grown);
        }
        std::copy(X.data + b, X.data + b + len, g.values.data() + used);
        if (!copy_checked_indices(X.indices + b, len, X.d, g.indices.data() + used)) return false;
        used += len;
        g.y[g.rows] = e.y[r];
        if (e.sw) g.sw[g.rows] = e.sw[r];
        g.offsets[++g.rows] = used;
    }
    return true;
}

template <typename T, typename I>
void gather_epoch(const csr_view<T, I>& X, std::size_t nnz_cap, const sgd_rows_epoch<T>& e, ring<T>& q) {
    for (std::size_t k = 0, from = 0; from < X.n; ++k, from += chunk_rows) {
        wait_until([&] {
            return k - q.taken.load(std::memory_order_acquire) < ring_chunks || q.quit.load(std::memory_order_relaxed);
        });
        if (q.quit.load(std::memory_order_relaxed)) return;
        const std::size_t s = k % ring_chunks;
        q.stops_short[s] = !gather_chunk(X, nnz_cap, e, from, std::min(X.n, from + chunk_rows), q.chunks[s]);
        q.filled.store(k + 1, std::memory_order_release);
        if (q.stops_short[s]) return;
    }
}

/// The steps over the chunks as they are filled; e reports as the one-thread epoch does.
template <typename T>
void step_epoch(const sgd_rows_step_config& c, std::size_t n, std::size_t d, const sgd_rows_kernels<T>& k,
                sgd_rows_epoch<T>& e, ring<T>& q) {
    std::size_t done = 0;
    for (std::size_t chunk = 0; done < n; ++chunk) {
        wait_until([&] {
            return q.filled.load(std::memory_order_acquire) > chunk || q.failed.load(std::memory_order_acquire);
        });
        if (q.filled.load(std::memory_order_acquire) <= chunk) break;  // the gatherer failed
        const std::size_t s = chunk % ring_chunks;
        const gathered_rows<T>& g = q.chunks[s];
        k.gathered(c, g, d, e);  // e.t and e.loss_sum carry on from chunk to chunk
        if (e.stopped) {
            done += e.rows_done;
            break;
        }
        done += g.rows;
        if (q.stops_short[s]) {
            e.bad_index = true;
            break;
        }
        q.taken.store(chunk + 1, std::memory_order_release);
    }
    e.rows_done = done;
}

}  // namespace gather_detail

/// Whether an epoch over a CSR X of n rows and csr_bytes of values and indices should
/// gather on a second thread: one is free for it (threads >= 2) and X is too large to
/// stay in cache (smaller, the wake-up and the copies cost more than they save).
inline bool gathering_pays(int threads, std::size_t n, std::size_t csr_bytes) {
    return threads >= 2 && n >= 4 * gather_detail::chunk_rows && csr_bytes >= (std::size_t{1} << 20);
}

/// One epoch over X (the one-thread kernels' csr32/csr64, on two threads); false, having
/// done nothing, when the pool has no free worker.
template <typename T, typename I>
bool csr_epoch_gathered(const sgd_rows_step_config& c, const csr_view<T, I>& X, std::size_t nnz_cap,
                        const sgd_rows_kernels<T>& k, sgd_rows_epoch<T>& e) {
    gather_detail::ring<T> q;
    sgd_rows_epoch<T> steps = e;  // the caller's half writes this copy; the gatherer reads e
    std::exception_ptr step_error;
    const std::function<void(int)> halves = [&](int half) {
        if (half == 1) {
            try {
                gather_detail::gather_epoch(X, nnz_cap, e, q);
            } catch (...) {  // nothing may leave a worker
                q.error = std::current_exception();
                q.failed.store(true, std::memory_order_release);
            }
            return;
        }
        try {
            gather_detail::step_epoch(c, X.n, X.d, k, steps, q);
        } catch (...) {
            step_error = std::current_exception();
        }
        q.quit.store(true, std::memory_order_relaxed);
    };
    if (!run_pair_on_pool(halves)) return false;
    if (q.error) std::rethrow_exception(q.error);
    if (step_error) std::rethrow_exception(step_error);
    e.t = steps.t;
    e.loss_sum = steps.loss_sum;
    e.rows_done = steps.rows_done;
    e.stopped = steps.stopped;
    e.bad_index = steps.bad_index;
    return true;
}

}  // namespace fastgd
