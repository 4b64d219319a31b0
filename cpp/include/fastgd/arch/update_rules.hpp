#pragma once
/// One in-place step of every update rule, as torch.optim documents them, over a
/// contiguous block of parameters. Element-wise loops that the compiler vectorises
/// for the instruction set of the including file (see arch/least_squares_rows.hpp).
/// s0, s1, s2 are the rule's state arrays (see rule_params.hpp: state_arrays).
///
/// NumPy twin: fastgd.reference.OptimizerReference (one function per rule).

#include <cmath>
#include <cstddef>

#include "fastgd/rule_params.hpp"

#if !defined(FASTGD_ARCH)
#error "include this header through cpp/dispatch/kernels_*.cpp"
#endif

namespace fastgd {
namespace FASTGD_ARCH {

// Square root and absolute value through compiler builtins: the inline std::
// versions would be shared (and possibly taken from a wider instruction set) by
// every copy of these kernels at link time.
#if defined(__GNUC__)
inline float root(float x) { return __builtin_sqrtf(x); }
inline double root(double x) { return __builtin_sqrt(x); }
inline float magnitude(float x) { return __builtin_fabsf(x); }
inline double magnitude(double x) { return __builtin_fabs(x); }
#else
inline float root(float x) { return std::sqrt(x); }
inline double root(double x) { return std::sqrt(x); }
inline float magnitude(float x) { return std::fabs(x); }
inline double magnitude(double x) { return std::fabs(x); }
#endif

template <typename T>
inline T lerp(T from, T to, T weight) {  // torch's lerp_: from + weight * (to - from)
    return from + weight * (to - from);
}

// Adam's moment estimates: m <- lerp(m, g, 1 - beta1), v <- beta2 v + (1 - beta2) g^2.
template <typename T>
inline void update_moments(T& m, T& v, T g, T one_minus_beta1, T beta2, T one_minus_beta2) {
    m = lerp(m, g, one_minus_beta1);
    v = beta2 * v + one_minus_beta2 * g * g;
}

// Weight decay as the Adam family applies it: decoupled (AdamW: p shrinks by lr * wd
// first) or coupled (wd * p added to the gradient); gradient() gives the gradient to use.
template <typename T>
struct adam_weight_decay {
    adam_weight_decay(const rule_params& o, const step_scalars& k, T wd)
        : decay(static_cast<T>(1.0 - k.lr * o.weight_decay)),
          coupled(o.decoupled_weight_decay ? T(0) : wd),
          decoupled(o.decoupled_weight_decay) {}
    T gradient(T& p, T signed_grad) const {
        if (decoupled) p *= decay;
        return signed_grad + coupled * p;
    }
    T decay, coupled;
    bool decoupled;
};

template <typename T>
void apply_rule(const rule_params& o, const step_scalars& k, T* __restrict p, const T* __restrict grad,
                T* __restrict s0, T* __restrict s1, T* __restrict s2, std::size_t n) {
    const T lr = static_cast<T>(k.lr);
    const T wd = static_cast<T>(o.weight_decay);
    const T sign = o.maximize ? T(-1) : T(1);
    const T eps = static_cast<T>(o.eps);
    switch (o.kind) {
        case rule_kind::sgd: {
            const T mu = static_cast<T>(o.momentum), keep = static_cast<T>(1.0 - o.dampening);
            if (o.momentum == 0.0) {
                for (std::size_t i = 0; i < n; ++i) p[i] -= lr * (sign * grad[i] + wd * p[i]);
            } else {
                for (std::size_t i = 0; i < n; ++i) {
                    const T g = sign * grad[i] + wd * p[i];
                    const T b = k.first ? g : mu * s0[i] + keep * g;
                    s0[i] = b;
                    p[i] -= lr * (o.nesterov ? g + mu * b : b);
                }
            }
            return;
        }
        case rule_kind::adam: {
            // a = lr / (1 - beta1^t), b = sqrt(1 - beta2^t); AdamW decays p first.
            const T b1 = static_cast<T>(1.0 - o.beta1), b2 = static_cast<T>(o.beta2),
                    c2 = static_cast<T>(1.0 - o.beta2);
            const T step = static_cast<T>(k.step_size);
            // 1/sqrt(1 - beta2^t) once per step: one division per element fewer than
            // torch's sqrt(v)/bc2 (1 ulp apart at most), and the step is bound by divisions.
            const T inv_bc2 = static_cast<T>(1.0 / k.sqrt_bias_correction2);
            if (!o.amsgrad && !o.decoupled_weight_decay) {  // the common case, as one plain loop
                for (std::size_t i = 0; i < n; ++i) {
                    const T g = sign * grad[i] + wd * p[i];
                    update_moments(s0[i], s1[i], g, b1, b2, c2);
                    p[i] -= step * s0[i] / (root(s1[i]) * inv_bc2 + eps);
                }
                return;
            }
            const adam_weight_decay<T> decayed(o, k, wd);
            for (std::size_t i = 0; i < n; ++i) {
                const T g = decayed.gradient(p[i], sign * grad[i]);
                update_moments(s0[i], s1[i], g, b1, b2, c2);
                const T m = s0[i], v = s1[i];
                T vhat = v;
                if (o.amsgrad) {
                    vhat = s2[i] > v ? s2[i] : v;
                    s2[i] = vhat;
                }
                p[i] -= step * m / (root(vhat) * inv_bc2 + eps);
            }
            return;
        }
        case rule_kind::adagrad: {
            // lr here is already lr / (1 + (t - 1) lr_decay).
            for (std::size_t i = 0; i < n; ++i) {
                const T g = sign * grad[i] + wd * p[i];
                const T sum = s0[i] + g * g;
                s0[i] = sum;
                p[i] -= lr * g / (root(sum) + eps);
            }
            return;
        }
        case rule_kind::rmsprop: {
            const T alpha = static_cast<T>(o.alpha), c = static_cast<T>(1.0 - o.alpha);
            const T mu = static_cast<T>(o.momentum);
            T* grad_avg = o.centered ? s1 : nullptr;
            T* buf = o.momentum > 0.0 ? (o.centered ? s2 : s1) : nullptr;
            for (std::size_t i = 0; i < n; ++i) {
                const T g = sign * grad[i] + wd * p[i];
                const T sq = alpha * s0[i] + c * g * g;
                s0[i] = sq;
                T avg;
                if (grad_avg) {
                    const T ga = lerp(grad_avg[i], g, c);
                    grad_avg[i] = ga;
                    avg = root(sq - ga * ga) + eps;
                } else {
                    avg = root(sq) + eps;
                }
                if (buf) {
                    const T b = mu * buf[i] + g / avg;
                    buf[i] = b;
                    p[i] -= lr * b;
                } else {
                    p[i] -= lr * g / avg;
                }
            }
            return;
        }
        case rule_kind::adadelta: {
            const T rho = static_cast<T>(o.rho), c = static_cast<T>(1.0 - o.rho);
            for (std::size_t i = 0; i < n; ++i) {
                const T g = sign * grad[i] + wd * p[i];
                const T sq = rho * s0[i] + c * g * g;
                s0[i] = sq;
                const T delta = root(s1[i] + eps) / root(sq + eps) * g;
                s1[i] = rho * s1[i] + c * delta * delta;
                p[i] -= lr * delta;
            }
            return;
        }
        case rule_kind::adamax: {
            // a = lr / (1 - beta1^t)
            const T b1 = static_cast<T>(1.0 - o.beta1), b2 = static_cast<T>(o.beta2),
                    step = static_cast<T>(k.step_size);
            for (std::size_t i = 0; i < n; ++i) {
                const T g = sign * grad[i] + wd * p[i];
                const T m = lerp(s0[i], g, b1);
                s0[i] = m;
                const T scaled = b2 * s1[i], fresh = magnitude(g) + eps;
                const T u = scaled > fresh ? scaled : fresh;
                s1[i] = u;
                p[i] -= step * m / u;
            }
            return;
        }
        case rule_kind::nadam: {
            // a = lr (1 - mu_t) / (1 - prod mu), b = lr mu_{t+1} / (1 - prod mu * mu_{t+1}),
            // c = 1 - beta2^t
            const T b1 = static_cast<T>(1.0 - o.beta1), b2 = static_cast<T>(o.beta2),
                    c2 = static_cast<T>(1.0 - o.beta2);
            const T on_grad = static_cast<T>(k.grad_coef), on_avg = static_cast<T>(k.momentum_coef),
                    bc2 = static_cast<T>(k.bias_correction2);
            const adam_weight_decay<T> decayed(o, k, wd);
            for (std::size_t i = 0; i < n; ++i) {
                const T g = decayed.gradient(p[i], sign * grad[i]);
                update_moments(s0[i], s1[i], g, b1, b2, c2);
                const T m = s0[i], v = s1[i];
                const T denom = root(v / bc2) + eps;
                p[i] -= on_grad * g / denom;
                p[i] -= on_avg * m / denom;
            }
            return;
        }
        case rule_kind::radam: {
            // a = 1 - beta1^t, b = rect * sqrt(1 - beta2^t) (when rectify)
            const T b1 = static_cast<T>(1.0 - o.beta1), b2 = static_cast<T>(o.beta2),
                    c2 = static_cast<T>(1.0 - o.beta2);
            const T bc1 = static_cast<T>(k.bias_correction1), rect = static_cast<T>(k.rectified_scale);
            const adam_weight_decay<T> decayed(o, k, wd);
            for (std::size_t i = 0; i < n; ++i) {
                const T g = decayed.gradient(p[i], sign * grad[i]);
                update_moments(s0[i], s1[i], g, b1, b2, c2);
                const T m = s0[i], v = s1[i];
                const T mhat = m / bc1;
                p[i] -= k.rectify ? mhat * lr * (rect / (root(v) + eps)) : mhat * lr;
            }
            return;
        }
        case rule_kind::rprop: {
            // s0 = prev (the last gradient used, 0 where its sign flipped), s1 = step_size
            // (lr before the first step). sign(g * prev) picks the factor: eta_plus when the
            // same, eta_minus when flipped (and that gradient is skipped), 1 when zero. As
            // torch, sign(NaN) is 0 there: a NaN gradient moves nothing.
            const T up = static_cast<T>(o.eta_plus), down = static_cast<T>(o.eta_minus);
            const T lo = static_cast<T>(o.step_size_min), hi = static_cast<T>(o.step_size_max);
            for (std::size_t i = 0; i < n; ++i) {
                const T g = sign * grad[i];
                const T same = g * s0[i];
                const T factor = same > T(0) ? up : (same < T(0) ? down : T(1));
                T size = (k.first ? lr : s1[i]) * factor;
                size = size < lo ? lo : (size > hi ? hi : size);  // a NaN size stays NaN, as torch's clamp
                s1[i] = size;
                const T used = factor == down ? T(0) : g;
                s0[i] = used;
                const T direction = used > T(0) ? T(1) : (used < T(0) ? T(-1) : T(0));
                p[i] -= direction * size;
            }
            return;
        }
        case rule_kind::asgd: {
            // theta <- theta (1 - lambd eta) - eta g; ax <- ax + mu (theta - ax), or theta when mu = 1.
            const T step = static_cast<T>(k.eta), decay = static_cast<T>(1.0 - o.lambd * k.eta);
            const T mu = static_cast<T>(k.mu);
            const bool copy = k.mu == 1.0;
            for (std::size_t i = 0; i < n; ++i) {
                const T g = sign * grad[i] + wd * p[i];
                T q = p[i] * decay;
                q = q - step * g;
                p[i] = q;
                s0[i] = copy ? q : s0[i] + (q - s0[i]) * mu;
            }
            return;
        }
        case rule_kind::lion: {
            // optax's lion: u = sign((1 - b1) g + b1 m); m <- (1 - b2) g + b2 m;
            // theta <- theta - lr (u + weight_decay theta). sign(NaN) is NaN (jnp.sign).
            const T b1 = static_cast<T>(o.beta1), c1 = static_cast<T>(1.0 - o.beta1);
            const T b2 = static_cast<T>(o.beta2), c2 = static_cast<T>(1.0 - o.beta2);
            for (std::size_t i = 0; i < n; ++i) {
                const T g = sign * grad[i];
                const T m = s0[i];
                const T c = c1 * g + b1 * m;
                const T u = c > T(0) ? T(1) : (c < T(0) ? T(-1) : c * T(0));  // 0 stays 0, NaN stays NaN
                s0[i] = c2 * g + b2 * m;
                p[i] -= lr * (u + wd * p[i]);
            }
            return;
        }
        case rule_kind::adafactor:
            return;  // not element-wise: optimizer<T> steps it through adafactor.hpp
    }
}

}  // namespace FASTGD_ARCH
}  // namespace fastgd
