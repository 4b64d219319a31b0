#pragma once
/// Value and gradient of the registry's built-in objectives, so that minimize runs
/// them without Python: 10^5 steps in milliseconds.
/// NumPy twin: each Objective's value and grad in fastgd.objectives (the tests
/// compare the two at random points).

#include <array>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>

#include "fastgd/dispatch.hpp"

namespace fastgd {

enum class test_function {
    bowl,
    dome,
    cos_valley,
    egg_crate,
    hill,
    sphere,
    rosenbrock,
    beale,
    booth,
    himmelblau,
    matyas,
    three_hump_camel,
    goldstein_price,
    mccormick,
    rastrigin,
    ackley,
    styblinski_tang,
    saddle,
    monkey_saddle,
    narrow_valley
};

namespace detail {
struct test_function_entry {
    const char* name;
    test_function fn;
    /// The dimension the kernel reads: 2 for the fixed 2-D functions, 0 for any.
    std::size_t dim;
    /// The fewest coordinates it needs (rosenbrock couples neighbours: 2).
    std::size_t min_dim;
};

inline const std::array<test_function_entry, 20>& test_function_table() {
    static const std::array<test_function_entry, 20> table = {{
        {"bowl", test_function::bowl, 2, 2},
        {"dome", test_function::dome, 2, 2},
        {"cos_valley", test_function::cos_valley, 2, 2},
        {"egg_crate", test_function::egg_crate, 2, 2},
        {"hill", test_function::hill, 2, 2},
        {"sphere", test_function::sphere, 0, 1},
        {"rosenbrock", test_function::rosenbrock, 0, 2},
        {"beale", test_function::beale, 2, 2},
        {"booth", test_function::booth, 2, 2},
        {"himmelblau", test_function::himmelblau, 2, 2},
        {"matyas", test_function::matyas, 2, 2},
        {"three_hump_camel", test_function::three_hump_camel, 2, 2},
        {"goldstein_price", test_function::goldstein_price, 2, 2},
        {"mccormick", test_function::mccormick, 2, 2},
        {"rastrigin", test_function::rastrigin, 0, 1},
        {"ackley", test_function::ackley, 0, 1},
        {"styblinski_tang", test_function::styblinski_tang, 0, 1},
        {"saddle", test_function::saddle, 2, 2},
        {"monkey_saddle", test_function::monkey_saddle, 2, 2},
        {"narrow_valley", test_function::narrow_valley, 2, 2},
    }};
    return table;
}

inline const test_function_entry& entry_of(test_function fn) {
    for (const auto& e : test_function_table())
        if (e.fn == fn) return e;
    return test_function_table()[0];  // unreachable: every enumerator is in the table
}
}  // namespace detail

/// The built-in named `name`; false when there is none.
inline bool find_test_function(const std::string& name, test_function& out) {
    for (const auto& e : detail::test_function_table())
        if (name == e.name) {
            out = e.fn;
            return true;
        }
    return false;
}

/// Throws std::invalid_argument unless `evaluate(fn, x, g, d)` reads and writes
/// exactly d coordinates: the 2-D kernels read x[0] and x[1] whatever d says, so a
/// point of another length would be read (and its gradient written) out of bounds.
/// Every entry that takes a length from its caller checks it here first.
inline void check_dimension(test_function fn, std::size_t d) {
    const auto& e = detail::entry_of(fn);
    if (e.dim != 0 && d != e.dim)
        throw std::invalid_argument(std::string(e.name) + " is " + std::to_string(e.dim) +
                                    "-dimensional, got a point of length " + std::to_string(d));
    if (d < e.min_dim)
        throw std::invalid_argument(std::string(e.name) + " needs at least " + std::to_string(e.min_dim) +
                                    " coordinate" + (e.min_dim == 1 ? "" : "s") + ", got a point of length " +
                                    std::to_string(d));
}

/// f(x) with its gradient written to g (both length d; 2-D functions read x[0], x[1]).
/// The caller has checked d with check_dimension (the hot loop does not re-check).
inline double evaluate(test_function fn, const double* x, double* g, std::size_t d) {
    constexpr double pi = 3.14159265358979323846;
    const double e = 2.71828182845904523536;
    switch (fn) {
        case test_function::bowl:
        case test_function::sphere: {
            double s = 0.0;
            for (std::size_t i = 0; i < d; ++i) s += x[i] * x[i], g[i] = 2 * x[i];
            return s;
        }
        case test_function::dome:
        case test_function::hill: {
            double s = 0.0;
            for (std::size_t i = 0; i < d; ++i) s += x[i] * x[i], g[i] = -2 * x[i];
            return fn == test_function::hill ? 9.0 - s : -s;
        }
        case test_function::cos_valley: {
            const double c = std::cos(x[0]), s = std::sin(x[0]);
            g[0] = -2 * c * s;
            g[1] = 2 * x[1];
            return c * c + x[1] * x[1];
        }
        case test_function::egg_crate: {
            double v = 0.0;
            for (std::size_t i = 0; i < 2; ++i) {
                const double c = std::cos(x[i]), s = std::sin(x[i]);
                v += c * c;
                g[i] = -2 * c * s;
            }
            return v;
        }
        case test_function::rosenbrock:  // vectorised per instruction set: d reaches 10^4 and more
            return kernels().minimizer.rosenbrock(x, d, g);
        case test_function::beale: {
            const double X = x[0], Y = x[1];
            const double t1 = 1.5 - X + X * Y, t2 = 2.25 - X + X * Y * Y, t3 = 2.625 - X + X * Y * Y * Y;
            g[0] = 2 * t1 * (Y - 1) + 2 * t2 * (Y * Y - 1) + 2 * t3 * (Y * Y * Y - 1);
            g[1] = 2 * t1 * X + 2 * t2 * 2 * X * Y + 2 * t3 * 3 * X * Y * Y;
            return t1 * t1 + t2 * t2 + t3 * t3;
        }
        case test_function::booth: {
            const double a = x[0] + 2 * x[1] - 7, b = 2 * x[0] + x[1] - 5;
            g[0] = 2 * a + 4 * b;
            g[1] = 4 * a + 2 * b;
            return a * a + b * b;
        }
        case test_function::himmelblau: {
            const double a = x[0] * x[0] + x[1] - 11, b = x[0] + x[1] * x[1] - 7;
            g[0] = 4 * x[0] * a + 2 * b;
            g[1] = 2 * a + 4 * x[1] * b;
            return a * a + b * b;
        }
        case test_function::matyas:
            g[0] = 0.52 * x[0] - 0.48 * x[1];
            g[1] = 0.52 * x[1] - 0.48 * x[0];
            return 0.26 * (x[0] * x[0] + x[1] * x[1]) - 0.48 * x[0] * x[1];
        case test_function::three_hump_camel: {
            const double X = x[0], Y = x[1];
            g[0] = 4 * X - 4.2 * X * X * X + X * X * X * X * X + Y;
            g[1] = X + 2 * Y;
            return 2 * X * X - 1.05 * X * X * X * X + X * X * X * X * X * X / 6 + X * Y + Y * Y;
        }
        case test_function::goldstein_price: {
            const double X = x[0], Y = x[1];
            const double s = X + Y + 1, q = 19 - 14 * X + 3 * X * X - 14 * Y + 6 * X * Y + 3 * Y * Y;
            const double a = 1 + s * s * q, t = 2 * X - 3 * Y;
            const double r = 18 - 32 * X + 12 * X * X + 48 * Y - 36 * X * Y + 27 * Y * Y;
            const double b = 30 + t * t * r;
            const double da = 2 * s * q + s * s * (-14 + 6 * X + 6 * Y);
            const double db_dx = 4 * t * r + t * t * (-32 + 24 * X - 36 * Y);
            const double db_dy = -6 * t * r + t * t * (48 - 36 * X + 54 * Y);
            g[0] = da * b + a * db_dx;
            g[1] = da * b + a * db_dy;
            return a * b;
        }
        case test_function::mccormick: {
            const double c = std::cos(x[0] + x[1]);
            g[0] = c + 2 * (x[0] - x[1]) - 1.5;
            g[1] = c - 2 * (x[0] - x[1]) + 2.5;
            return std::sin(x[0] + x[1]) + (x[0] - x[1]) * (x[0] - x[1]) - 1.5 * x[0] + 2.5 * x[1] + 1;
        }
        case test_function::rastrigin: {
            const double w = 2 * pi;
            double v = 10.0 * static_cast<double>(d);
            for (std::size_t i = 0; i < d; ++i) {
                v += x[i] * x[i] - 10 * std::cos(w * x[i]);
                g[i] = 2 * x[i] + 10 * w * std::sin(w * x[i]);
            }
            return v;
        }
        case test_function::ackley: {
            const double n = static_cast<double>(d), w = 2 * pi;
            double sq = 0.0, cs = 0.0;
            for (std::size_t i = 0; i < d; ++i) sq += x[i] * x[i], cs += std::cos(w * x[i]);
            const double r = std::sqrt(sq / n), e1 = std::exp(-0.2 * r), e2 = std::exp(cs / n);
            for (std::size_t i = 0; i < d; ++i)
                g[i] = (r == 0.0 ? 0.0 : 20 * 0.2 * e1 * x[i] / (n * r)) + e2 * w * std::sin(w * x[i]) / n;
            return -20 * e1 - e2 + e + 20;
        }
        case test_function::styblinski_tang: {
            double v = 0.0;
            for (std::size_t i = 0; i < d; ++i) {
                const double a = x[i];
                v += a * a * a * a - 16 * a * a + 5 * a;
                g[i] = (4 * a * a * a - 32 * a + 5) / 2;
            }
            return v / 2;
        }
        case test_function::saddle:
            g[0] = 2 * x[0];
            g[1] = -2 * x[1];
            return x[0] * x[0] - x[1] * x[1];
        case test_function::monkey_saddle:
            g[0] = 3 * x[0] * x[0] - 3 * x[1] * x[1];
            g[1] = -6 * x[0] * x[1];
            return x[0] * x[0] * x[0] - 3 * x[0] * x[1] * x[1];
        case test_function::narrow_valley:
            g[0] = 2 * x[0];
            g[1] = 100 * x[1];
            return x[0] * x[0] + 50 * x[1] * x[1];
    }
    return 0.0;
}

}  // namespace fastgd
