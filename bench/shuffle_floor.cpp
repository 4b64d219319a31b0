// What the row order costs, without Python: on 10^6 x 32 float64 (on 2 MB pages, as
// NumPy allocates it), for each order (in order, the full shuffle, and shuffle="blocks"
// with blocks of 64 to 65536 rows), the time to build the order, one epoch of the
// single-row SGD kernel (arch/sgd_rows_epoch.hpp, AVX-512, squared error) and a
// gather read of the rows alone (each row summed, prefetched 12 rows ahead as the
// kernel does): the floor the memory system sets for each order. Times are the
// thread's CPU time (medians of 7), steady on a machine shared with other jobs.
//
//   g++ -O3 -std=c++17 -mavx512f -mavx512dq -mavx512vl -mavx2 -mfma -ffp-contract=fast
//       -fno-math-errno -Icpp/include -o /tmp/shuffle_floor bench/shuffle_floor.cpp -lpthread
//   /tmp/shuffle_floor [d]   (d: features, default 32)
#define FASTGD_ARCH sgd_arch_avx512
#define FASTGD_ARCH_NAME "avx512"
#define FASTGD_VECTOR_BYTES 64
#include <sys/mman.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "fastgd/arch/sgd_rows_epoch.hpp"
#include "fastgd/permutation.hpp"

namespace kernel = fastgd::sgd_arch_avx512::sgd_rows_detail;

static double cpu_ms() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

static double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

int main(int argc, char** argv) {
    constexpr std::size_t n = 1000000, ahead = 12;
    const std::size_t d = argc > 1 ? static_cast<std::size_t>(std::atol(argv[1])) : 32;
    const std::size_t bytes = n * d * sizeof(double);
    auto* X = static_cast<double*>(std::aligned_alloc(std::size_t{1} << 21, bytes));
    madvise(X, bytes, MADV_HUGEPAGE);
    std::vector<double> y(n);
    std::mt19937_64 rng(1);
    std::normal_distribution<double> normal;
    for (std::size_t i = 0; i < n * d; ++i) X[i] = normal(rng);
    for (std::size_t i = 0; i < n; ++i) y[i] = X[i * d] + 0.1 * normal(rng);
    fastgd::sgd_rows_step_config c;
    c.alpha = 0.0;
    c.l1_ratio = 0.0;

    // block_rows: 0 in order, 1 the full shuffle, else blocks of that many rows.
    std::vector<std::size_t> modes = {0, 1, 64, 256, 1024, 4096, 16384, 65536};
    std::vector<std::size_t> order;
    double sink = 0.0;
    for (int pass = 0; pass < 2; ++pass) {  // the first pass warms up
        for (const std::size_t B : modes) {
            std::vector<double> t_order, t_epoch, t_read;
            for (int rep = 0; rep < 7; ++rep) {
                const double t0 = cpu_ms();
                if (B == 1) fastgd::shuffled_order(rep, 0, n, order);
                else if (B > 1) fastgd::block_shuffled_order(rep, 0, n, B, order);
                const std::size_t* o = B ? order.data() : nullptr;
                const double t1 = cpu_ms();
                fastgd::sgd_rows_weights<double> w;
                w.v.assign(d, 0.0);
                fastgd::interrupt_poller poller([] { return false; });
                std::vector<std::size_t> index_buffer;
                fastgd::sgd_rows_epoch<double> e;
                e.y = y.data();
                e.order = o;
                e.w = &w;
                e.poller = &poller;
                e.index_buffer = &index_buffer;
                kernel::dense_epoch<double>(c, X, n, d, e);
                const double t2 = cpu_ms();
                for (std::size_t i = 0; i < n; ++i) {
                    if (i + ahead < n)
                        kernel::prefetch_lines(X + (o ? o[i + ahead] : i + ahead) * d, d * sizeof(double));
                    const double* x = X + (o ? o[i] : i) * d;
                    double s = 0.0;
                    for (std::size_t j = 0; j < d; ++j) s += x[j];
                    sink += s;
                }
                const double t3 = cpu_ms();
                sink += w.v[0];
                t_order.push_back(t1 - t0);
                t_epoch.push_back(t2 - t1);
                t_read.push_back(t3 - t2);
            }
            if (pass == 0) continue;
            const std::string name = B == 0 ? "in order" : B == 1 ? "rows" : "blocks of " + std::to_string(B);
            std::printf("%-16s order %5.1f ms   SGD epoch %6.1f ms   gather read %6.1f ms\n", name.c_str(),
                        median(t_order), median(t_epoch), median(t_read));
        }
    }
    std::printf("(checksum %g)\n", sink);
    std::free(X);
}
