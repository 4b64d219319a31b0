#pragma once
/// SGD with momentum, dampening, Nesterov and weight decay, as torch.optim.SGD:
///   g <- grad + weight_decay * theta
///   b <- g on the first step, else momentum * b + (1 - dampening) * g
///   step <- g + momentum * b if nesterov, else b (or g when momentum == 0)
///   theta <- theta - lr * step
/// The lecture's momentum v <- beta v + alpha grad, theta <- theta - v is this rule
/// with momentum = beta and lr = alpha while alpha stays constant (v = lr * b).

#include <cstddef>
#include <vector>

namespace fastgd {

struct sgd_options {
    double momentum = 0.0;
    double dampening = 0.0;
    bool nesterov = false;
    double weight_decay = 0.0;
};

template <typename T>
class sgd_rule {
public:
    explicit sgd_rule(sgd_options o = {}) : opt_(o) {}

    /// theta[0:n] -= lr * step(grad[0:n]); grad is read only.
    template <typename G>
    void step(T* theta, const G* grad, std::size_t n, double lr) {
        const T lr_t = static_cast<T>(lr);
        const T wd = static_cast<T>(opt_.weight_decay);
        if (opt_.momentum == 0.0) {
            for (std::size_t i = 0; i < n; ++i) theta[i] -= lr_t * (static_cast<T>(grad[i]) + wd * theta[i]);
            ++steps_;
            return;
        }
        const T mu = static_cast<T>(opt_.momentum);
        const T keep = static_cast<T>(1.0 - opt_.dampening);
        if (buf_.size() != n) buf_.assign(n, T(0));
        const bool first = steps_ == 0;
        for (std::size_t i = 0; i < n; ++i) {
            const T g = static_cast<T>(grad[i]) + wd * theta[i];
            const T b = first ? g : mu * buf_[i] + keep * g;
            buf_[i] = b;
            theta[i] -= lr_t * (opt_.nesterov ? g + mu * b : b);
        }
        ++steps_;
    }

    std::size_t steps() const { return steps_; }

private:
    sgd_options opt_;
    std::vector<T> buf_;
    std::size_t steps_ = 0;
};

}  // namespace fastgd
