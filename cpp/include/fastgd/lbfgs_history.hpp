#pragma once
/// L-BFGS's memory: the newest m pairs s = x_{k+1} - x_k, y = g_{k+1} - g_k, and the
/// two-loop recursion that applies the inverse-Hessian approximation they define
/// (Nocedal & Wright, Numerical Optimization, Algorithm 7.4) or, for minimize's
/// "lbfgs", its compact form (Byrd, Nocedal & Schnabel, "Representations of
/// quasi-Newton matrices and their use in limited memory methods", Math. Prog. 63,
/// 1994, Theorem 2.2: the same matrix, two passes over the pairs instead of four).
/// fastgd.LBFGS (torch.optim.LBFGS's rule) steps with the two-loop recursion.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <vector>

#include "fastgd/dispatch.hpp"
#include "fastgd/dot.hpp"
#include "fastgd/lbfgs_parts.hpp"

namespace fastgd {

class lbfgs_history {
public:
    lbfgs_history(std::size_t capacity, std::size_t d)
        : capacity_(capacity),
          slots_(capacity + 1),
          d_(d),
          s_(slots_ * d),
          y_(slots_ * d),
          rho_(slots_),
          alpha_(capacity),
          sy_(slots_ * slots_),
          yy_(slots_ * slots_),
          known_(slots_, 0) {
        if (capacity == 0) throw std::invalid_argument("the L-BFGS history needs at least one pair");
    }

    std::size_t capacity() const { return capacity_; }
    std::size_t dim() const { return d_; }
    /// Pairs held (at most capacity()).
    std::size_t size() const { return size_; }
    void clear() { size_ = first_ = 0, next_ready_ = false; }

    /// Keeps (s, y), forgetting the oldest pair when full. ys = y.s must be > 0
    /// (the curvature condition): the caller decides what to skip.
    void push(const double* s, const double* y, double ys) { push_rho(s, y, 1.0 / ys); }

    /// push() with rho = 1 / (y.s) given: a restored state keeps its exact rho.
    void push_rho(const double* s, const double* y, double rho) {
        std::copy(s, s + d_, next_s());
        std::copy(y, y + d_, next_y());
        commit(rho);
    }

    /// Where the next pair goes (a spare slot, apart from the pairs held): write s and
    /// y there, then commit() keeps them; without a commit the pairs held are unchanged.
    double* next_s() { return s_.data() + spare() * d_; }
    double* next_y() { return y_.data() + spare() * d_; }
    /// Keeps the pair written at next_s(), next_y() (push() without the copies).
    void commit(double rho) {
        next_ready_ = false;
        const std::size_t slot = spare();
        if (size_ < capacity_)
            ++size_;
        else
            first_ = (first_ + 1) % slots_;
        rho_[slot] = rho;
        known_[slot] = 0;
    }

    /// Forgets the newest pair (with push_oldest, undoes a push: fastgd.LBFGS rolls
    /// back an iteration whose evaluation raised).
    void pop_newest() {
        if (size_ == 0) throw std::logic_error("pop_newest on an empty L-BFGS history");
        --size_;
        next_ready_ = false;
    }

    /// Puts (s, y, rho) back as the oldest pair; needs size() < capacity().
    void push_oldest(const double* s, const double* y, double rho) {
        if (size_ == capacity_) throw std::logic_error("push_oldest on a full L-BFGS history");
        first_ = (first_ + slots_ - 1) % slots_;
        ++size_;
        next_ready_ = false;
        std::copy(s, s + d_, s_.begin() + static_cast<std::ptrdiff_t>(first_ * d_));
        std::copy(y, y + d_, y_.begin() + static_cast<std::ptrdiff_t>(first_ * d_));
        rho_[first_] = rho;
        known_[first_] = 0;
    }

    /// The first loop's coefficient alpha_i = rho_i s_i.q of the last descent_direction,
    /// pair i oldest first (torch.optim.LBFGS keeps them as state["al"]).
    double alpha(std::size_t i) const { return alpha_[i]; }

    /// The i-th pair held, oldest first (i < size()).
    const double* s(std::size_t i) const { return s_.data() + slot(i) * d_; }
    const double* y(std::size_t i) const { return y_.data() + slot(i) * d_; }
    double rho(std::size_t i) const { return rho_[slot(i)]; }

    /// out = -H g, with H the L-BFGS inverse Hessian built on H0 = gamma * I (gamma is
    /// usually s.y / y.y of the newest pair), by the two-loop recursion: each update
    /// out += c v rounded once (std::fma), as torch's add_(v, alpha=c) does, and the dot
    /// products dot.hpp's (fastgd.LBFGS follows torch's numbers); alpha(i) then holds
    /// its coefficients. out may not alias g.
    void descent_direction(const double* g, double* out, double gamma) {
        for (std::size_t j = 0; j < d_; ++j) out[j] = -g[j];
        for (std::size_t i = size_; i-- > 0;) {
            const double* yi = y(i);
            const double a = dot(s(i), out) * rho(i);
            alpha_[i] = a;
            for (std::size_t j = 0; j < d_; ++j) out[j] = std::fma(-a, yi[j], out[j]);
        }
        for (std::size_t j = 0; j < d_; ++j) out[j] *= gamma;
        for (std::size_t i = 0; i < size_; ++i) {
            const double* si = s(i);
            const double c = alpha_[i] - dot(y(i), out) * rho(i);
            for (std::size_t j = 0; j < d_; ++j) out[j] = std::fma(c, si[j], out[j]);
        }
    }

    /// The same out = -H g (minimize's "lbfgs"; -g without pairs) by the compact form,
    /// with the dispatched kernels of arch/lbfgs_compact.hpp (the widest instruction
    /// set): with a = S'g, b = Y'g, R the upper triangle of S'Y (R_ij = s_i.y_j, i <= j)
    /// and D its diagonal,
    ///     H g = gamma g + S u - gamma Y w,  w = R^-1 a,  u = R^-T ((D + gamma Y'Y) w - gamma b).
    /// The products s_i.y_j and y_i.y_j are kept from one direction to the next: a new
    /// pair's are summed in the same pass as a and b. Returns g.out, summed in the pass
    /// that writes out.
    double compact_direction(const double* g, double* out, double gamma) {
        const std::size_t m = size_;
        if (m == 0) {
            for (std::size_t j = 0; j < d_; ++j) out[j] = -g[j];
            return -dot(g, g);
        }
        a_.resize(m), b_.resize(m), u_.resize(m), w_.resize(m);
        col_sy_.resize(m), col_yy_.resize(m), row_sy_.resize(m);
        // The products of pairs not seen yet. Usually only the newest: its column
        // comes with a and b; others (restored pairs) get a pass each first.
        std::size_t unknown = 0;
        for (std::size_t i = 0; i < m; ++i) unknown += known_[slot(i)] ? 0 : 1;
        const bool newest_only = unknown == 1 && !known_[slot(m - 1)];
        if (next_ready_ && newest_only && next_sg_.size() == m) {  // new_pair's pass summed them (g is its gt)
            next_ready_ = false;
            std::copy(next_sg_.begin(), next_sg_.end(), a_.begin());
            std::copy(next_yg_.begin(), next_yg_.end(), b_.begin());
            learn(m - 1, next_sy_.data(), next_yy_.data(), nullptr);
            return combined_direction(g, out, gamma);
        }
        next_ready_ = false;
        for (std::size_t j = 0; j < m && !newest_only; ++j) {
            if (known_[slot(j)]) continue;
            // yg: y_i.s_j (s_j's row of S'Y), sy and yy: y_j's column.
            pair_dots(s(j), y(j), u_.data(), row_sy_.data(), col_sy_.data(), col_yy_.data());
            learn(j, col_sy_.data(), col_yy_.data(), row_sy_.data());
        }
        pair_dots(g, newest_only ? y(m - 1) : nullptr, a_.data(), b_.data(), col_sy_.data(), col_yy_.data());
        if (newest_only) learn(m - 1, col_sy_.data(), col_yy_.data(), nullptr);
        return combined_direction(g, out, gamma);
    }

    /// The new pair s = xt - x, y = gt - g written to next_s(), next_y();
    /// sums[0..4) = y.s, y.y, s.s, gt.gt. commit_new_pair() keeps it, and then the
    /// next compact_direction(gt, ...) takes its products with gt and y from this pass:
    /// those of the pairs that commit keeps (all but the oldest when full) and the new one.
    void new_pair(const double* x, const double* xt, const double* g, const double* gt, double* sums) {
        const minimizer_kernels& k = kernels().minimizer;
        const std::size_t first_kept = size_ == capacity_ ? 1 : 0, m = size_ - first_kept;
        double *s = next_s(), *y = next_y();
        parts_.point(m + 1, [&](std::size_t i) { return i < m ? this->s(i + first_kept) : s; },
                     [&](std::size_t i) { return i < m ? this->y(i + first_kept) : y; });
        parts_.run([&](std::size_t part, std::size_t lo, std::size_t n) {
            double* out = parts_.dots(part);
            const std::size_t w = m + 1;
            k.lbfgs_new_pair_dots(x + lo, xt + lo, g + lo, gt + lo, n, s + lo, y + lo, parts_.s(part),
                                  parts_.y(part), m, out, out + w, out + 2 * w, out + 3 * w, parts_.scratch(part),
                                  parts_.sums[part].data());
        });
        for (std::size_t i = 0; i < 4; ++i) sums[i] = parts_.total(i);
        for (auto* v : {&next_sg_, &next_yg_, &next_sy_, &next_yy_}) v->resize(m + 1);
        parts_.total_dots(4, next_sg_.data(), next_yg_.data(), next_sy_.data(), next_yy_.data());
        next_ready_ = false;
    }

    /// commit(rho) of the pair new_pair() wrote, keeping its products for the next direction.
    void commit_new_pair(double rho) {
        commit(rho);
        next_ready_ = true;
    }

    double dot(const double* a, const double* b) const { return fastgd::dot(a, b, d_); }

private:
    /// compact_direction's end, a_ = S'g and b_ = Y'g summed and every product of the
    /// pairs known: w, u, then out and g.out in one pass.
    double combined_direction(const double* g, double* out, double gamma) {
        const std::size_t m = size_;
        // w = R^-1 a (back substitution), then u = R^-T ((D + gamma Y'Y) w - gamma b).
        for (std::size_t i = m; i-- > 0;) {
            double t = a_[i];
            for (std::size_t j = i + 1; j < m; ++j) t -= sy(i, j) * w_[j];
            w_[i] = t / sy(i, i);
        }
        for (std::size_t i = 0; i < m; ++i) {
            double z = sy(i, i) * w_[i];
            double t = 0.0;
            for (std::size_t j = 0; j < m; ++j) t += yy(i, j) * w_[j];
            z += gamma * (t - b_[i]);
            for (std::size_t j = 0; j < i; ++j) z -= sy(j, i) * u_[j];
            u_[i] = z / sy(i, i);
        }
        // out = -H g = -gamma g - S u + gamma Y w.
        for (std::size_t i = 0; i < m; ++i) u_[i] = -u_[i], w_[i] *= gamma;
        const minimizer_kernels& k = kernels().minimizer;
        parts_.point(m, [&](std::size_t i) { return s(i); }, [&](std::size_t i) { return y(i); });
        parts_.run([&](std::size_t part, std::size_t lo, std::size_t n) {
            parts_.sums[part][0] = k.lbfgs_combine(parts_.s(part), parts_.y(part), m, n, g + lo, -gamma, u_.data(),
                                                   w_.data(), out + lo);
        });
        return parts_.total(0);
    }

    /// sg[i] = s_i.v and yg[i] = y_i.v over the pairs held; with yn (else nullptr)
    /// also sy[i] = s_i.yn and yy[i] = y_i.yn (arch/lbfgs_compact.hpp's pass, by parts).
    void pair_dots(const double* v, const double* yn, double* sg, double* yg, double* sy, double* yy) {
        const std::size_t m = size_;
        const minimizer_kernels& k = kernels().minimizer;
        parts_.point(m, [&](std::size_t i) { return s(i); }, [&](std::size_t i) { return y(i); });
        parts_.run([&](std::size_t part, std::size_t lo, std::size_t n) {
            double* out = parts_.dots(part);
            k.lbfgs_pair_dots(parts_.s(part), parts_.y(part), m, n, v + lo, yn ? yn + lo : nullptr, out, out + m,
                              out + 2 * m, out + 3 * m, parts_.scratch(part));
        });
        parts_.total_dots(yn ? 4 : 2, sg, yg, sy, yy);
    }

    std::size_t slot(std::size_t i) const { return (first_ + i) % slots_; }
    std::size_t spare() const { return (first_ + size_) % slots_; }

    /// s_i.y_j (i older than j, or i = j) and y_i.y_j of the pairs held, by slot.
    double& sy(std::size_t i, std::size_t j) { return sy_[slot(i) * slots_ + slot(j)]; }
    double& yy(std::size_t i, std::size_t j) { return yy_[slot(i) * slots_ + slot(j)]; }

    /// Keeps pair j's products: col_sy[i] = s_i.y_j, col_yy[i] = y_i.y_j and, when
    /// given, row_sy[i] = s_j.y_i (for the pairs newer than j).
    void learn(std::size_t j, const double* col_sy, const double* col_yy, const double* row_sy) {
        for (std::size_t i = 0; i < size_; ++i) {
            sy(i, j) = col_sy[i];
            yy(i, j) = yy(j, i) = col_yy[i];
            if (row_sy) sy(j, i) = row_sy[i];
        }
        known_[slot(j)] = 1;
    }

    std::size_t capacity_, slots_, d_;
    std::size_t size_ = 0, first_ = 0;
    std::vector<double> s_, y_, rho_, alpha_;
    std::vector<double> sy_, yy_;       // slots x slots: see sy(), yy()
    std::vector<unsigned char> known_;  // by slot: the pair's products are in sy_, yy_
    lbfgs_parts parts_{d_};
    std::vector<double> a_, b_, u_, w_, col_sy_, col_yy_, row_sy_;
    // new_pair's products of the pairs kept and the new one with gt and its y (a, b and the
    // new column of the next direction), ready once commit_new_pair() kept the pair.
    std::vector<double> next_sg_, next_yg_, next_sy_, next_yy_;
    bool next_ready_ = false;
};

}  // namespace fastgd
