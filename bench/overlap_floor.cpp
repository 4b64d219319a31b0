// How much of a read-only pass over memory a loop reaches when it also does
// arithmetic: the floor behind bench/bandwidth.py's "share" for kernels whose
// arithmetic alone, from cache, runs only somewhat faster than memory.
//
// Every variant reads the same 256 MB (2 threads, half each, in order) and adds
// each register it loads into a sum, as _core._testing.stream_sum does; variant k
// also does k multiply-adds on each loaded register (independent chains, no extra
// memory traffic). For each k it prints the rate from L2 on one thread (512 KB,
// repeated), the headroom (threads x that rate / the read-only rate from memory)
// and the share of the read-only pass it reaches from memory (median of alternating
// pairs, k = 0 against k). A fused kernel whose share sits on this curve at its own
// headroom is limited by how this core overlaps arithmetic with streaming, not by
// its memory access.
//
//   g++ -O2 -mavx512f -mfma -DREGISTER_BYTES=64 -pthread -o /tmp/overlap_floor bench/overlap_floor.cpp
//   g++ -O2 -mavx2 -mfma -DREGISTER_BYTES=32 -pthread -o /tmp/overlap_floor2 bench/overlap_floor.cpp
//   /tmp/overlap_floor [pairs=9]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include <sys/mman.h>

#ifndef REGISTER_BYTES
#define REGISTER_BYTES 64
#endif
typedef double reg __attribute__((vector_size(REGISTER_BYTES)));
constexpr std::size_t lanes = REGISTER_BYTES / sizeof(double);

// Sum of p[0:n) with K multiply-adds on every loaded register.
template <int K>
__attribute__((noinline)) double pass(const double* p, std::size_t n) {
    reg a{}, b{}, t[8];
    for (int k = 0; k < 8; ++k) t[k] = reg{} + 0.1 * k;  // no two chains alike (or GCC merges them)
    const reg c = reg{} + 0.999;
    for (std::size_t j = 0; j + 2 * lanes <= n; j += 2 * lanes) {
        reg u, v;
        std::memcpy(&u, p + j, sizeof u);
        std::memcpy(&v, p + j + lanes, sizeof v);
        a += u;
        b += v;
#pragma GCC unroll 16
        for (int k = 0; k < K; ++k) {
            t[k % 8] = t[k % 8] * c + u;
            t[(k + 4) % 8] = t[(k + 4) % 8] * c + v;
        }
    }
    reg s = a + b;
    for (auto& x : t) s += x;
    double r = 0;
    for (std::size_t l = 0; l < lanes; ++l) r += s[l];
    return r;
}

using pass_fn = double (*)(const double*, std::size_t);
constexpr int works[] = {0, 1, 2, 3, 4, 6, 8, 12, 16};
constexpr pass_fn passes[] = {pass<0>, pass<1>, pass<2>, pass<3>, pass<4>, pass<6>, pass<8>, pass<12>, pass<16>};

volatile double sink;

double seconds_on_threads(pass_fn f, const double* p, std::size_t n, int threads) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    std::vector<double> out(static_cast<std::size_t>(threads));
    const std::size_t part = n / static_cast<std::size_t>(threads);
    for (int i = 0; i < threads; ++i)
        pool.emplace_back([&, i] { out[static_cast<std::size_t>(i)] = f(p + static_cast<std::size_t>(i) * part, part); });
    for (auto& th : pool) th.join();
    sink = out[0];
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

int main(int argc, char** argv) {
    const int pairs = argc > 1 ? std::atoi(argv[1]) : 9;
    const int threads = 2;
    const std::size_t n = (256u << 20) / sizeof(double);
    // Huge pages, as NumPy asks for its large arrays (bandwidth.py's X).
    double* X = static_cast<double*>(std::aligned_alloc(2u << 20, n * sizeof(double)));
    if (!X) return 1;
    madvise(X, n * sizeof(double), MADV_HUGEPAGE);
    for (std::size_t i = 0; i < n; ++i) X[i] = static_cast<double>(i % 1000) * 1e-3;
    const std::size_t cached = (512u << 10) / sizeof(double);
    std::printf("%d-byte registers, %d threads, 256 MB, median of %d pairs\n", REGISTER_BYTES, threads, pairs);
    std::printf("| multiply-adds per register | in L2 GB/s, 1 thread | read-only GB/s | GB/s | share | headroom |\n");
    std::printf("|---:|---:|---:|---:|---:|---:|\n");
    for (std::size_t v = 0; v < sizeof works / sizeof works[0]; ++v) {
        std::vector<double> l2;
        for (int r = 0; r < pairs; ++r) {
            const auto start = std::chrono::steady_clock::now();
            for (int k = 0; k < 2000; ++k) sink = passes[v](X, cached);
            l2.push_back(2000.0 * cached * sizeof(double) /
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 1e9);
        }
        std::vector<double> sums, works_t, ratios;
        for (int r = 0; r < pairs; ++r) {
            const double s = seconds_on_threads(passes[0], X, n, threads);
            const double w = seconds_on_threads(passes[v], X, n, threads);
            sums.push_back(s);
            works_t.push_back(w);
            ratios.push_back(s / w);
        }
        const double gb = static_cast<double>(n * sizeof(double)) / 1e9;
        const double read_only = gb / median(sums);
        std::printf("| %d | %.1f | %.1f | %.1f | %.0f%% | %.2f |\n", works[v], median(l2), read_only,
                    gb / median(works_t), 100 * median(ratios), threads * median(l2) / read_only);
        std::fflush(stdout);
    }
    std::free(X);
}
