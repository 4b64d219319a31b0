#pragma once
/// SGD with momentum, dampening, Nesterov and weight decay, as torch.optim.SGD:
///   g <- grad + weight_decay * theta
///   b <- g on the first step, else momentum * b + (1 - dampening) * g
///   step <- g + momentum * b if nesterov, else b (or g when momentum == 0)
///   theta <- theta - lr * step
/// The lecture's momentum v <- beta v + alpha grad, theta <- theta - v is this rule
/// with momentum = beta and lr = alpha while alpha stays constant (v = lr * b).

#include <cstddef>
#include <type_traits>
#include <vector>

#include "fastgd/dispatch.hpp"
#include "fastgd/sgd_params.hpp"

namespace fastgd {

template <typename T>
class sgd_rule {
public:
    explicit sgd_rule(sgd_params o = {}) : opt_(o) {}

    /// theta[0:n] -= lr * step(grad[0:n]), vectorised for this CPU. A gradient of
    /// another dtype is rounded to T first (torch computes in the parameter's dtype).
    template <typename G>
    void step(T* theta, const G* grad, std::size_t n, double lr) {
        if constexpr (!std::is_same_v<G, T>) {
            rounded_.resize(n);
            for (std::size_t i = 0; i < n; ++i) rounded_[i] = static_cast<T>(grad[i]);
            step(theta, rounded_.data(), n, lr);
        } else {
            if (opt_.momentum != 0.0 && buf_.size() != n) buf_.assign(n, T(0));
            sgd_params o = opt_;
            o.lr = lr;
            kernels_for<T>().sgd_update(theta, grad, buf_.data(), n, o, steps_ == 0);
            ++steps_;
        }
    }

    std::size_t steps() const { return steps_; }

private:
    sgd_params opt_;
    std::vector<T> buf_, rounded_;
    std::size_t steps_ = 0;
};

}  // namespace fastgd
