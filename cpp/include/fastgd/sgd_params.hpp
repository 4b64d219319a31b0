#pragma once
/// Hyperparameters of one SGD step (torch.optim.SGD's names).

namespace fastgd {

struct sgd_params {
    double lr = 0.01;
    double momentum = 0.0;
    double dampening = 0.0;
    bool nesterov = false;
    double weight_decay = 0.0;
};

}  // namespace fastgd
