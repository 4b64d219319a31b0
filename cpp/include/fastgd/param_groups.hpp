#pragma once
/// Many arrays stepped in one call (torch.optim's parameter groups). Each array has
/// its own rule object: its group's hyperparameters, its state and its step count.
/// The work is cut into pieces of at most step_block elements, long arrays split and
/// short ones batched into tasks of about step_block elements, and the tasks are
/// spread over the threads: no thread waits on a tiny array, none gets all the work.
///
/// NumPy twin: fastgd.reference.OptimizerReference, applied to each array in turn.

#include <algorithm>
#include <cstddef>
#include <vector>

#include "fastgd/optimizer.hpp"
#include "fastgd/threads.hpp"

namespace fastgd {

/// One array's part of a step: its rule (already prepare()d for `size` elements),
/// the arrays, and this step's learning rate.
template <typename T>
struct array_step {
    optimizer<T>* rule = nullptr;
    T* params = nullptr;
    const T* grad = nullptr;
    std::size_t size = 0;
    double lr = 0.0;
    step_scalars scalars{};  // set by step_arrays
};

namespace detail {

struct step_piece {
    bool is_float32;
    std::size_t array;  // index into the float32 or the float64 list
    std::size_t begin, end;
};

}  // namespace detail

/// The cut of one step into tasks. Kept by the caller between steps, so a step of
/// hundreds of small arrays reuses its memory instead of allocating it again.
struct step_plan {
    std::vector<detail::step_piece> pieces;
    std::vector<std::size_t> task_begin;  // task t runs pieces[task_begin[t]:task_begin[t + 1]]

    /// Room for every piece of a step of these arrays. Called before the GIL is
    /// released, where std::bad_alloc still becomes MemoryError and nothing has
    /// changed; step_arrays() then allocates nothing and cannot fail.
    void reserve_for(const std::vector<array_step<float>>& f32, const std::vector<array_step<double>>& f64) {
        std::size_t n = 0;
        const auto count = [&](const auto& work) {
            for (const auto& a : work) n += a.rule->splittable() ? (a.size + step_block - 1) / step_block : 1;
        };
        count(f32);
        count(f64);
        pieces.reserve(n);
        task_begin.reserve(2 * n + 2);  // the leading 0, at most two per piece, the last task's end
    }
};

/// Step every array once, float32 and float64 ones together. Every check and
/// allocation happened in prepare() and plan.reserve_for(). Runs on up to n_threads threads.
inline void step_arrays(std::vector<array_step<float>>& f32, std::vector<array_step<double>>& f64,
                        step_plan& plan, int n_threads) {
    std::vector<detail::step_piece>& pieces = plan.pieces;
    std::vector<std::size_t>& task_begin = plan.task_begin;
    pieces.clear();
    task_begin.assign(1, 0);
    std::size_t in_task = 0, total = 0;
    auto add = [&](bool is_float32, std::size_t index, std::size_t n, bool splittable) {
        if (!splittable) {  // a rule that is not element-wise (Adafactor): the whole array, a task of its own
            if (in_task > 0) task_begin.push_back(pieces.size());  // close the task being batched
            in_task = 0;
            pieces.push_back({is_float32, index, 0, n});
            task_begin.push_back(pieces.size());
            total += n;
            return;
        }
        for (std::size_t b = 0; b < n; b += step_block) {
            const std::size_t e = std::min(n, b + step_block);
            pieces.push_back({is_float32, index, b, e});
            in_task += e - b;
            if (in_task >= step_block) {
                task_begin.push_back(pieces.size());
                in_task = 0;
            }
        }
        total += n;
    };
    for (std::size_t i = 0; i < f32.size(); ++i) {
        f32[i].scalars = f32[i].rule->begin_step(f32[i].lr);
        add(true, i, f32[i].size, f32[i].rule->splittable());
    }
    for (std::size_t i = 0; i < f64.size(); ++i) {
        f64[i].scalars = f64[i].rule->begin_step(f64[i].lr);
        add(false, i, f64[i].size, f64[i].rule->splittable());
    }
    if (in_task > 0) task_begin.push_back(pieces.size());
    const std::size_t n_tasks = task_begin.size() - 1;
    // Element-wise: any split gives the same result; threads only pay off on long work.
    const int threads = total < 4 * step_block ? 1 : n_threads;
    parallel_for(n_tasks, threads, [&](std::size_t first, std::size_t last) {
        for (std::size_t k = task_begin[first]; k < task_begin[last]; ++k) {
            const detail::step_piece& q = pieces[k];
            if (q.is_float32) {
                const array_step<float>& a = f32[q.array];
                a.rule->apply(a.scalars, a.params, a.grad, q.begin, q.end);
            } else {
                const array_step<double>& a = f64[q.array];
                a.rule->apply(a.scalars, a.params, a.grad, q.begin, q.end);
            }
        }
    });
}

}  // namespace fastgd
