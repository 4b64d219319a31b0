// The floor of bench/test_bench_minimize.py's loop: 10^5 Adam steps on rosenbrock
// from (-1, 1) with the path, values and gradient norms recorded, written as one
// fully inlined C++ loop (no dispatch, no objective or rule switch). It shows how
// fast any compiled loop can run this problem on a machine, to set against the
// target of 30x the plain-Python-floats loop.
//
//   g++ -O3 -mavx2 -mfma -o /tmp/minimize_floor bench/minimize_floor.cpp && /tmp/minimize_floor
//
// Prints ns per step for 10^4 and 10^5 steps (after convergence Adam's moments decay
// through subnormal numbers, which is slow on x86 for every contender alike).
#include <chrono>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

static double run(int steps) {
    const auto start = std::chrono::steady_clock::now();
    double x = -1, y = 1, m1 = 0, m2 = 0, v1 = 0, v2 = 0, p1 = 1, p2 = 1;
    const double b1 = 0.9, b2 = 0.999, lr = 1e-3, eps = 1e-8;
    std::vector<double> path, values, grad_norms;
    path.reserve(2 * static_cast<std::size_t>(steps) + 2);
    values.reserve(static_cast<std::size_t>(steps) + 1);
    grad_norms.reserve(static_cast<std::size_t>(steps) + 1);
    for (int t = 1; t <= steps; ++t) {
        const double d = y - x * x;
        const double g1 = -400 * x * d - 2 * (1 - x), g2 = 200 * d;
        path.push_back(x);
        path.push_back(y);
        values.push_back(100 * d * d + (1 - x) * (1 - x));
        grad_norms.push_back(std::sqrt(g1 * g1 + g2 * g2));
        m1 += (1 - b1) * (g1 - m1);
        m2 += (1 - b1) * (g2 - m2);
        v1 = b2 * v1 + (1 - b2) * g1 * g1;
        v2 = b2 * v2 + (1 - b2) * g2 * g2;
        p1 *= b1;
        p2 *= b2;
        const double step = lr / (1 - p1), root = std::sqrt(1 - p2);
        const double nx = x - step * m1 / (std::sqrt(v1) / root + eps);
        const double ny = y - step * m2 / (std::sqrt(v2) / root + eps);
        if (!std::isfinite(nx + ny)) break;  // the divergence check every loop needs
        x = nx;
        y = ny;
    }
    const auto stop = std::chrono::steady_clock::now();
    if (path.size() < 2 || std::isnan(x)) std::puts("?");  // keep the work observable
    return std::chrono::duration<double, std::nano>(stop - start).count() / steps;
}

int main() {
    for (const int steps : {10000, 100000}) {
        double best = 1e300;
        for (int rep = 0; rep < 7; ++rep) best = std::min(best, run(steps));
        std::printf("%6d steps: %.1f ns per step (best of 7)\n", steps, best);
    }
}
