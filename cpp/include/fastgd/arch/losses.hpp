#pragma once
/// The losses of the linear models, as small types that parametrise the row
/// kernels of least_squares_rows.hpp (one kernel, not one copy per loss).
///
/// A margin loss has value(z, y) and derivative(z, y) = dL/dz at the model's
/// output z = x.w + b, in double. Definitions are scikit-learn's (sgd_fast):
/// regression losses take any real y; classification losses take y in {-1, +1}.
/// Compiled per instruction set like the rest of arch/ (see least_squares_rows.hpp).
///
/// NumPy twin: fastgd.reference.loss_value / loss_derivative.

#include <cmath>

#include "fastgd/arch/vector_math.hpp"

#if !defined(FASTGD_ARCH)
#error "include this header through cpp/dispatch/kernels_*.cpp"
#endif

namespace fastgd {
namespace FASTGD_ARCH {

/// 1/2 r^2, r = z - y.
struct squared_error_loss {
    double value(double z, double y) const { return 0.5 * (z - y) * (z - y); }
    double derivative(double z, double y) const { return z - y; }
#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
    /// value and derivative over one register of rows, of doubles or of floats: the
    /// hook arch/lane_rows.hpp looks for (the same formulas, a blend for each branch;
    /// in float for float32 rows, within a few ulp of float of the double formulas).
    template <typename V>
    V lanes(V z, V y, V& value) const {
        value = lane_constant<V>(0.5) * (z - y) * (z - y);
        return z - y;
    }
#endif
};

/// 1/2 r^2 for |r| <= epsilon, epsilon |r| - epsilon^2 / 2 beyond.
struct huber_loss {
    double epsilon;
    double value(double z, double y) const {
        const double r = z - y, a = std::fabs(r);
        return a <= epsilon ? 0.5 * r * r : epsilon * a - 0.5 * epsilon * epsilon;
    }
    double derivative(double z, double y) const {
        const double r = z - y;
        if (std::fabs(r) <= epsilon) return r;
        return r > 0 ? epsilon : -epsilon;
    }
#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
    template <typename V>
    V lanes(V z, V y, V& value) const {
        const V r = z - y, a = abs_lanes(r), eps = lane_constant<V>(epsilon), half = lane_constant<V>(0.5);
        const auto inside = a <= eps;
        value = blend(inside, half * r * r, eps * a - half * eps * eps);
        return blend(inside, r, blend(r > V{}, eps, -eps));
    }
#endif
};

/// max(0, |y - z| - epsilon).
struct epsilon_insensitive_loss {
    double epsilon;
    double value(double z, double y) const {
        const double e = std::fabs(y - z) - epsilon;
        return e > 0 ? e : 0.0;
    }
    double derivative(double z, double y) const {
        if (y - z > epsilon) return -1.0;
        if (z - y > epsilon) return 1.0;
        return 0.0;
    }
#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
    template <typename V>
    V lanes(V z, V y, V& value) const {
        const V eps = lane_constant<V>(epsilon), one = lane_constant<V>(1.0);
        const V e = abs_lanes(y - z) - eps;
        value = blend(e > V{}, e, V{});
        return blend(y - z > eps, -one, blend(z - y > eps, one, V{}));
    }
#endif
};

/// max(0, |y - z| - epsilon)^2 (no 1/2, as scikit-learn).
struct squared_epsilon_insensitive_loss {
    double epsilon;
    double value(double z, double y) const {
        const double e = std::fabs(y - z) - epsilon;
        return e > 0 ? e * e : 0.0;
    }
    double derivative(double z, double y) const {
        const double r = y - z;
        if (r > epsilon) return -2.0 * (r - epsilon);
        if (r < -epsilon) return 2.0 * (-r - epsilon);
        return 0.0;
    }
#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
    template <typename V>
    V lanes(V z, V y, V& value) const {
        const V eps = lane_constant<V>(epsilon), two = lane_constant<V>(2.0);
        const V e = abs_lanes(y - z) - eps, r = y - z;
        value = blend(e > V{}, e * e, V{});
        return blend(r > eps, -two * (r - eps), blend(r < -eps, two * (-r - eps), V{}));
    }
#endif
};

/// log(1 + exp(-y z)), computed without overflow for any z. Value and derivative
/// both use e = exp(-|y z|), computed once per row (see value_and_derivative), or
/// once per register of rows by lanes().
struct log_loss {
    double value(double z, double y) const {
        const double m = y * z;
        return std::log1p(std::exp(-std::fabs(m))) + (m < 0 ? -m : 0.0);
    }
    double derivative(double z, double y) const {
        const double m = y * z;  // -y sigmoid(-m)
        const double e = std::exp(-std::fabs(m));
        return -y * (m > 0 ? e : 1.0) / (1.0 + e);
    }
#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
    /// value_and_derivative's formulas over one register of rows (vector_math.hpp's
    /// exp and log1p; for floats, its float versions: shorter polynomials).
    template <typename V>
    V lanes(V z, V y, V& value) const {
        const V m = y * z, one = lane_constant<V>(1.0);
        const V e = exp_nonpositive(-abs_lanes(m));
        value = log1p_unit(e) + blend(m < V{}, -m, V{});
        return -y * blend(m > V{}, e, one) / (one + e);
    }
#endif
};

/// max(0, threshold - y z); the derivative is -y where y z <= threshold (also at
/// the kink, as scikit-learn). threshold 1: hinge; threshold 0: perceptron.
struct hinge_loss {
    double threshold;
    double value(double z, double y) const {
        const double m = y * z;
        return m <= threshold ? threshold - m : 0.0;
    }
    double derivative(double z, double y) const { return y * z <= threshold ? -y : 0.0; }
#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
    template <typename V>
    V lanes(V z, V y, V& value) const {
        const V t = lane_constant<V>(threshold);
        const auto on = y * z <= t;
        value = blend(on, t - y * z, V{});
        return blend(on, -y, V{});
    }
#endif
};

/// max(0, 1 - y z)^2.
struct squared_hinge_loss {
    double value(double z, double y) const {
        const double e = 1.0 - y * z;
        return e > 0 ? e * e : 0.0;
    }
    double derivative(double z, double y) const {
        const double e = 1.0 - y * z;
        return e > 0 ? -2.0 * y * e : 0.0;
    }
#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
    template <typename V>
    V lanes(V z, V y, V& value) const {
        const V e = lane_constant<V>(1.0) - y * z;
        const auto on = e > V{};
        value = blend(on, e * e, V{});
        return blend(on, lane_constant<V>(-2.0) * y * e, V{});
    }
#endif
};

/// 0 for y z >= 1, (1 - y z)^2 for -1 <= y z < 1, -4 y z below.
struct modified_huber_loss {
    double value(double z, double y) const {
        const double m = y * z;
        if (m >= 1.0) return 0.0;
        if (m >= -1.0) return (1.0 - m) * (1.0 - m);
        return -4.0 * m;
    }
    double derivative(double z, double y) const {
        const double m = y * z;
        if (m >= 1.0) return 0.0;
        if (m >= -1.0) return -2.0 * (1.0 - m) * y;
        return -4.0 * y;
    }
#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
    template <typename V>
    V lanes(V z, V y, V& value) const {
        const V m = y * z, one = lane_constant<V>(1.0), minus_four = lane_constant<V>(-4.0);
        const auto flat = m >= one, square = m >= -one;
        value = blend(flat, V{}, blend(square, (one - m) * (one - m), minus_four * m));
        return blend(flat, V{}, blend(square, lane_constant<V>(-2.0) * (one - m) * y, minus_four * y));
    }
#endif
};

/// Value and derivative at once: by default the loss's two functions; the log loss
/// shares its one exp.
template <typename Loss>
double value_and_derivative(const Loss& loss, double z, double y, double& value) {
    value = loss.value(z, y);
    return loss.derivative(z, y);
}
inline double value_and_derivative(const log_loss&, double z, double y, double& value) {
    const double m = y * z;
    const double e = std::exp(-std::fabs(m));
    value = std::log1p(e) + (m < 0 ? -m : 0.0);
    return -y * (m > 0 ? e : 1.0) / (1.0 + e);
}

/// The row interface the kernel calls: from x.w (dot), the intercept b and the
/// target y, the derivative dL/dz (in T, what multiplies x_i in the gradient) and
/// the value (in double). row() is used for rows taken four at a time, row_tail()
/// for the rest; they differ only for least squares (see residual_loss).
template <typename Loss>
struct margin_loss {
    Loss loss;
    template <typename T>
    T row(T dot, T b, T y, double& value) const {
        const double z = static_cast<double>(dot + b), yd = static_cast<double>(y);
        return static_cast<T>(value_and_derivative(loss, z, yd, value));
    }
    template <typename T>
    T row_tail(T dot, T b, T y, double& value) const {
        return row(dot, b, y, value);
    }
    /// The value row() stored (rd: the derivative in double, unused here).
    static double value_of(double value, double) { return value; }
};

/// Least squares' own loss: value r^2 and derivative r (the caller scales by 2),
/// with r rounded exactly as the kernel always has (x.w + (b - y) for four rows,
/// (x.w + b) - y for the rest), so least_squares_loss_grad keeps its bits.
struct residual_loss {
    template <typename T>
    T row(T dot, T b, T y, double& value) const {
        value = 0.0;  // recomputed by value_of, inside the kernel's sum
        return dot + (b - y);
    }
    template <typename T>
    T row_tail(T dot, T b, T y, double& value) const {
        const T r = dot + b - y;
        value = 0.0;  // recomputed by value_of, inside the kernel's sum
        return r;
    }
    /// r^2 from r itself, written into the kernel's sum expression: the compiler
    /// then fuses it into the same multiply-adds as the kernel always did.
    /// (Unweighted only: least squares never passes sample weights.)
    static double value_of(double, double rd) { return rd * rd; }
};

}  // namespace FASTGD_ARCH
}  // namespace fastgd
