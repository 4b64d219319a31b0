#pragma once
/// The SGD update (torch.optim.SGD semantics, see fastgd/sgd.hpp) as a vector loop.
/// Part of the per-instruction-set kernels: see arch/least_squares_rows.hpp.

#include <cstddef>

#include "fastgd/arch/simd.hpp"
#include "fastgd/sgd_params.hpp"

namespace fastgd {
namespace FASTGD_ARCH {

// One element of the update; the vector loop below does the same per lane.
template <typename T>
inline void sgd_lane(T& theta, T grad, T& buf, T lr, T wd, T mu, T keep, bool nesterov, bool first) {
    const T g = grad + wd * theta;
    const T b = first ? g : mu * buf + keep * g;
    buf = b;
    theta -= lr * (nesterov ? g + mu * b : b);
}

/// theta[0:n] -= lr * step(grad); buf (length n) is the momentum buffer, unused
/// when momentum == 0; first marks the first step (the buffer starts at grad).
template <typename T>
void sgd_update(T* theta, const T* grad, T* buf, std::size_t n, const sgd_params& o, bool first) {
    const T lr = static_cast<T>(o.lr), wd = static_cast<T>(o.weight_decay);
    std::size_t i = 0;
    if (o.momentum == 0.0) {
#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
        constexpr std::size_t W = width<T>;
        const vec<T> lr_v = splat(lr), wd_v = splat(wd);
        for (; i + W <= n; i += W) {
            const vec<T> t = load(theta + i);
            store(theta + i, t - lr_v * (load(grad + i) + wd_v * t));
        }
#endif
        for (; i < n; ++i) theta[i] -= lr * (grad[i] + wd * theta[i]);
        return;
    }
    const T mu = static_cast<T>(o.momentum), keep = static_cast<T>(1.0 - o.dampening);
#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
    constexpr std::size_t W = width<T>;
    const vec<T> lr_v = splat(lr), wd_v = splat(wd), mu_v = splat(mu), keep_v = splat(keep);
    for (; i + W <= n; i += W) {
        const vec<T> t = load(theta + i);
        const vec<T> g = load(grad + i) + wd_v * t;
        const vec<T> b = first ? g : mu_v * load(buf + i) + keep_v * g;
        store(buf + i, b);
        store(theta + i, t - lr_v * (o.nesterov ? g + mu_v * b : b));
    }
#endif
    for (; i < n; ++i) sgd_lane(theta[i], grad[i], buf[i], lr, wd, mu, keep, o.nesterov, first);
}

/// g[0:d] = scale * g + ridge * theta (a mean gradient with its l2 term), vectorised
/// like the update so that the update's loads find whole stores to forward from.
template <typename T>
void scale_gradient(T* g, const T* theta, std::size_t d, T scale, T ridge) {
    std::size_t j = 0;
#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
    constexpr std::size_t W = width<T>;
    const vec<T> s = splat(scale), r = splat(ridge);
    for (; j + W <= d; j += W) store(g + j, s * load(g + j) + r * load(theta + j));
#endif
    for (; j < d; ++j) g[j] = scale * g[j] + ridge * theta[j];
}

}  // namespace FASTGD_ARCH
}  // namespace fastgd
