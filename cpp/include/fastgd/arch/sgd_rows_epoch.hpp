#pragma once
/// One epoch of scikit-learn's single-row SGD (_plain_sgd with its WeightVector), for
/// a dense row-major X or a CSR X: one templated step over a row type, compiled per
/// instruction set like the rest of arch/ (cpp/dispatch/sgd_rows_*.cpp).
///
/// Per row i: p = wscale (x_i . v) + b; eta = lr(t) lr_scale; dloss = L'(p, y_i)
/// clipped to [-1e12, 1e12]; update = -eta dloss s_i (s_i: sample weight times the
/// class weight of y_i's sign); l2: wscale *= max(0, 1 - (1 - l1_ratio) eta alpha)
/// (folded into v when wscale < 1e-9, 1e-6 in float32); v += (update / wscale) x_i;
/// b += update intercept_decay; averaging from step `average` on (Bottou's lazy form);
/// l1 (truncated: the row's nonzeros; proximal: every weight); t += 1.
/// A step costs O(nnz of the row) except with the proximal l1 (O(d)).
///
/// NumPy twin: the reference loop in tests/test_sgd_rows.py.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "fastgd/arch/least_squares_sgd_run.hpp"
#include "fastgd/arch/losses.hpp"
#include "fastgd/csr_rows_checked.hpp"
#include "fastgd/prefetch.hpp"
#include "fastgd/arch/simd.hpp"
#include "fastgd/sgd_rows_types.hpp"

namespace fastgd {
namespace FASTGD_ARCH {
namespace sgd_rows_detail {

constexpr double max_dloss = 1e12;
template <typename T>
constexpr double wscale_floor = sizeof(T) == 4 ? 1e-6 : 1e-9;
// Rows requested ahead of their use: the random order defeats the hardware prefetcher.
// Three stages: a CSR row's offsets (and the row's target) `ahead` rows before its use,
// its values and indices ahead / 2 rows before, the weights its indices name
// weights_ahead rows before (a dense row needs only the middle stage).
constexpr std::size_t ahead = 24;
constexpr std::size_t weights_ahead = 6;

/// A dense row: every feature, vectorised dot and axpy.
template <typename T>
struct dense_row {
    const T* x;
    std::size_t d;

    std::size_t size() const { return d; }
    double dot(const T* v) const {
        std::size_t j = 0;
#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
        constexpr std::size_t W = width<T>;
        vec<T> a{}, b{};
        for (; j + 2 * W <= d; j += 2 * W) {
            a += load(x + j) * load(v + j);
            b += load(x + j + W) * load(v + j + W);
        }
        for (; j + W <= d; j += W) a += load(x + j) * load(v + j);
        T s = hsum(a + b);
#else
        T s = 0;
#endif
        for (; j < d; ++j) s += x[j] * v[j];
        return static_cast<double>(s);
    }
    /// v[j] += x[j] * c
    void axpy(T c, T* v) const {
        std::size_t j = 0;
#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
        constexpr std::size_t W = width<T>;
        const vec<T> cv = splat(c);
        for (; j + W <= d; j += W) store(v + j, load(v + j) + load(x + j) * cv);
#endif
        for (; j < d; ++j) v[j] += x[j] * c;
    }
    /// aw[j] += (a * x[j]) * c: scikit-learn's add_average order.
    void scaled_axpy(T a, T c, T* aw) const {
        std::size_t j = 0;
#if defined(FASTGD_HAVE_VECTOR_EXTENSIONS)
        constexpr std::size_t W = width<T>;
        const vec<T> av = splat(a), cv = splat(c);
        for (; j + W <= d; j += W) store(aw + j, load(aw + j) + (av * load(x + j)) * cv);
#endif
        for (; j < d; ++j) aw[j] += (a * x[j]) * c;
    }
    template <typename F>
    void each_index(F&& f) const {
        for (std::size_t j = 0; j < d; ++j) f(j);
    }
};

/// A CSR row: its values and its (checked, private) column indices.
template <typename T>
struct sparse_row {
    const T* x;
    const std::size_t* idx;
    std::size_t nnz;

    std::size_t size() const { return nnz; }
    /// Eight running sums in a fixed order: one chain of additions would wait on the
    /// adder's latency at every nonzero (the step's critical path).
    double dot(const T* v) const {
        T s[8] = {};
        std::size_t k = 0;
        for (; k + 8 <= nnz; k += 8)
            for (std::size_t l = 0; l < 8; ++l) s[l] += v[idx[k + l]] * x[k + l];
        for (std::size_t l = 0; k < nnz; ++k, ++l) s[l] += v[idx[k]] * x[k];
        return static_cast<double>(((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7])));
    }
    void axpy(T c, T* v) const {
        for (std::size_t k = 0; k < nnz; ++k) v[idx[k]] += x[k] * c;
    }
    void scaled_axpy(T a, T c, T* aw) const {
        for (std::size_t k = 0; k < nnz; ++k) aw[idx[k]] += (a * x[k]) * c;
    }
    template <typename F>
    void each_index(F&& f) const {
        for (std::size_t k = 0; k < nnz; ++k) f(idx[k]);
    }
};

/// Dense X as rows.
template <typename T>
struct dense_source {
    const T* X;
    std::size_t n, d;

    void prefetch_row(std::size_t r) const { prefetch_lines(X + r * d, d * sizeof(T)); }
    void prefetch_early(std::size_t) const {}
    void prefetch_weights(std::size_t, const T*) const {}
    bool row(std::size_t r, sgd_rows_epoch<T>&, dense_row<T>& out) const {
        out = dense_row<T>{X + r * d, d};
        return true;
    }
};

/// CSR X as rows; offsets and indices are checked here (another thread may rewrite
/// the arrays while this runs without the GIL: nothing out of range is ever touched).
template <typename T, typename I>
struct csr_source {
    csr_view<T, I> m;
    std::size_t nnz_cap;  // the allocated length of data and indices

    void prefetch_early(std::size_t r) const { prefetch(m.indptr + r); }
    void prefetch_row(std::size_t r) const {
        std::size_t b = 0, len = 0;
        if (!csr_row_span(m, nnz_cap, r, b, len) || len == 0) return;
        prefetch_lines(m.data + b, len * sizeof(T));
        prefetch_lines(m.indices + b, len * sizeof(I));
    }
    void prefetch_weights(std::size_t r, const T* v) const {
        std::size_t b = 0, len = 0;
        if (!csr_row_span(m, nnz_cap, r, b, len)) return;
        for (std::size_t k = b; k < b + len; ++k) {
            const auto j = static_cast<std::size_t>(m.indices[k]);
            if (j < m.d) prefetch(v + j);
        }
    }
    bool row(std::size_t r, sgd_rows_epoch<T>& ep, sparse_row<T>& out) const {
        std::size_t b = 0, len = 0;
        if (!csr_row_span(m, nnz_cap, r, b, len)) return false;
        std::vector<std::size_t>& buf = *ep.index_buffer;
        if (buf.size() < len) buf.resize(len);
        out = sparse_row<T>{m.data + b, buf.data(), len};
        return copy_checked_indices(m.indices + b, len, m.d, buf.data());
    }
};

/// Rows gathered into private memory in visiting order (sgd_rows_gather.hpp): checked
/// and contiguous, so only the weights they name are fetched ahead.
template <typename T>
struct gathered_source {
    const gathered_rows<T>* g;

    void prefetch_early(std::size_t) const {}
    void prefetch_row(std::size_t) const {}
    void prefetch_weights(std::size_t r, const T* v) const {
        const std::size_t* idx = g->indices.data();
        for (std::size_t k = g->offsets[r], e = g->offsets[r + 1]; k < e; ++k) prefetch(v + idx[k]);
    }
    bool row(std::size_t r, sgd_rows_epoch<T>&, sparse_row<T>& out) const {
        const std::size_t b = g->offsets[r];
        out = sparse_row<T>{g->values.data() + b, g->indices.data() + b, g->offsets[r + 1] - b};
        return true;
    }
};

template <typename Source>
struct row_of;
template <typename T>
struct row_of<dense_source<T>> {
    using type = dense_row<T>;
};
template <typename T, typename I>
struct row_of<csr_source<T, I>> {
    using type = sparse_row<T>;
};

template <typename T>
struct row_of<gathered_source<T>> {
    using type = sparse_row<T>;
};

template <typename T, typename Source, typename Loss>
void run_epoch(const sgd_rows_step_config& c, const Source& src, std::size_t n, std::size_t d,
               const Loss& loss, sgd_rows_epoch<T>& e) {
    using Row = typename row_of<Source>::type;
    sgd_rows_weights<T>& w = *e.w;
    T* v = w.v.data();
    T* aw = w.aw.empty() ? nullptr : w.aw.data();
    T* q = w.q.empty() ? nullptr : w.q.data();
    const bool l2 = c.l2_on(), l1 = c.l1_on();
    const bool truncated = l1 && !c.l1_proximal, proximal = l1 && c.l1_proximal;
    const double l2_factor = (1.0 - c.l1_ratio) * c.alpha, l1_factor = c.l1_ratio * c.alpha;
    const std::size_t* order = e.order;
    auto at = [order](std::size_t i) { return order ? order[i] : i; };
    // The row's target and weight are as far away in memory as the row itself.
    auto prefetch_targets = [&e](std::size_t r) {
        prefetch(e.y + r);
        if (e.sw) prefetch(e.sw + r);
    };
    for (std::size_t i = 0; i < std::min(n, ahead); ++i) {
        src.prefetch_early(at(i));
        prefetch_targets(at(i));
    }
    for (std::size_t i = 0; i < std::min(n, ahead / 2); ++i) src.prefetch_row(at(i));
    double loss_sum = e.loss_sum;  // continued: a gathered epoch comes in chunks
    std::size_t t = e.t;
    Row x{};
    for (std::size_t i = 0; i < n; ++i) {
        if (i + ahead < n) {
            src.prefetch_early(at(i + ahead));
            prefetch_targets(at(i + ahead));
        }
        if (i + ahead / 2 < n) src.prefetch_row(at(i + ahead / 2));
        if (i + weights_ahead < n) src.prefetch_weights(at(i + weights_ahead), v);
        const std::size_t r = at(i);
        if (!src.row(r, e, x)) {
            e.bad_index = true;
            e.rows_done = i;
            break;
        }
        const double y = static_cast<double>(e.y[r]);
        const double p = w.wscale * x.dot(v) + w.b;
        const double eta = c.lr.at(t) * e.lr_scale;
        const double cw = y > 0.0 ? e.weight_pos : e.weight_neg;
        const double s = e.sw ? cw * static_cast<double>(e.sw[r]) : cw;
        double dloss;
        if (c.need_loss) {  // unweighted, as scikit-learn's rule; the log loss shares one exp
            double value;
            dloss = value_and_derivative(loss, p, y, value);
            loss_sum += value;
        } else {
            dloss = loss.derivative(p, y);
        }
        dloss = dloss < -max_dloss ? -max_dloss : (dloss > max_dloss ? max_dloss : dloss);
        double update = -eta * dloss;
        update *= s;
        if (l2) {
            const double f = 1.0 - l2_factor * eta;
            w.wscale *= f > 0.0 ? f : 0.0;
            if (w.wscale < wscale_floor<T>) w.fold();
        }
        if (update != 0.0) x.axpy(static_cast<T>(update / w.wscale), v);
        if (c.fit_intercept && update != 0.0) w.b += update * c.intercept_decay;
        const std::size_t t1 = t + 1;  // scikit-learn's 1-based step count
        if (c.average > 0 && c.average <= t1) {
            const double k = static_cast<double>(t1 - c.average + 1), mu = 1.0 / k;
            x.scaled_axpy(static_cast<T>(w.avg_a), static_cast<T>(-update / w.wscale), aw);
            if (k > 1.0) w.avg_b /= (1.0 - mu);
            w.avg_a += mu * w.avg_b * w.wscale;
            w.ab += (w.b - w.ab) / k;
        }
        if (truncated) {
            w.u += l1_factor * eta;
            const double ws = w.wscale, u = w.u;
            x.each_index([&](std::size_t j) {
                const double z = static_cast<double>(v[j]);
                double nv = z;
                if (ws * z > 0.0) nv = std::max(0.0, z - (u + static_cast<double>(q[j])) / ws);
                else if (ws * z < 0.0) nv = std::min(0.0, z + (u - static_cast<double>(q[j])) / ws);
                v[j] = static_cast<T>(nv);
                q[j] = static_cast<T>(static_cast<double>(q[j]) + ws * (static_cast<double>(v[j]) - z));
            });
        } else if (proximal) {
            const T thr = static_cast<T>(l1_factor * eta / w.wscale);
            for (std::size_t j = 0; j < d; ++j) {
                const T z = v[j];
                v[j] = z > thr ? z - thr : (z < -thr ? z + thr : T(0));
            }
        }
        t = t1;
        if (e.poller && e.poller->tick(x.size() + 8)) {
            e.rows_done = i + 1;
            e.stopped = true;
            e.t = t;
            e.loss_sum = loss_sum;
            return;
        }
    }
    e.rows_done = e.bad_index ? e.rows_done : n;
    e.t = t;
    e.loss_sum = loss_sum;
}

template <typename T, typename Source>
void epoch_for_loss(const sgd_rows_step_config& c, const Source& src, std::size_t n, std::size_t d,
                    sgd_rows_epoch<T>& e) {
    const double eps = c.loss.epsilon;
    switch (c.loss.kind) {
        case loss_kind::squared_error:
            return run_epoch(c, src, n, d, squared_error_loss{}, e);
        case loss_kind::huber:
            return run_epoch(c, src, n, d, huber_loss{eps}, e);
        case loss_kind::epsilon_insensitive:
            return run_epoch(c, src, n, d, epsilon_insensitive_loss{eps}, e);
        case loss_kind::squared_epsilon_insensitive:
            return run_epoch(c, src, n, d, squared_epsilon_insensitive_loss{eps}, e);
        case loss_kind::log_loss:
            return run_epoch(c, src, n, d, log_loss{}, e);
        case loss_kind::hinge:
            return run_epoch(c, src, n, d, hinge_loss{1.0}, e);
        case loss_kind::squared_hinge:
            return run_epoch(c, src, n, d, squared_hinge_loss{}, e);
        case loss_kind::modified_huber:
            return run_epoch(c, src, n, d, modified_huber_loss{}, e);
        case loss_kind::perceptron:
            return run_epoch(c, src, n, d, hinge_loss{0.0}, e);
    }
}

/// Plain least squares: squared error, no penalty, averaging, sample or class
/// weights, a constant rate, float64 (b, kept in double, then fits in T). A step is
/// then fit_least_squares' plain SGD step with lr = eta / 2 (v += -eta (p - y) x,
/// b -= eta (p - y)) with the derivative's clip, which arch/least_squares_sgd_run.hpp
/// runs many rows a call, w in registers.
template <typename T>
bool plain_least_squares(const sgd_rows_step_config& c, const sgd_rows_epoch<T>& e) {
    return std::is_same<T, double>::value && c.loss.kind == loss_kind::squared_error && !c.l2_on() &&
           !c.l1_on() && c.average == 0 && !e.sw && e.weight_pos == 1.0 && e.weight_neg == 1.0 &&
           e.w->wscale == 1.0 && c.lr.kind == schedule_kind::constant && c.lr.warmup_steps == 0.0 &&
           (!c.fit_intercept || c.intercept_decay == 1.0);
}

// A plain least-squares epoch polls between runs of this many rows.
constexpr std::size_t plain_run_rows = 4096;

template <typename T>
void plain_least_squares_epoch(const sgd_rows_step_config& c, const T* X, std::size_t n, std::size_t d,
                               sgd_rows_epoch<T>& e) {
    sgd_rows_weights<T>& w = *e.w;
    std::vector<T> theta(w.v.begin(), w.v.end());
    theta.push_back(static_cast<T>(c.fit_intercept ? w.b : 0.0));
    least_squares_sgd_run<T> run;
    run.X = X;
    run.y = e.y;
    run.n = n;
    run.d = d;
    run.intercept = c.fit_intercept;
    run.order = e.order;
    run.lr = static_cast<T>(c.lr.at(e.t) * e.lr_scale / 2.0);
    run.max_residual = static_cast<T>(max_dloss);
    double sum_sq = 0.0;
    std::size_t done = 0;
    while (done < n) {
        run.begin = done;
        run.end = std::min(n, done + plain_run_rows);
        sum_sq += least_squares_sgd_detail::least_squares_sgd(run, theta.data());
        done = run.end;
        if (e.poller && e.poller->tick((run.end - run.begin) * (d + 8)) && done < n) {
            e.stopped = true;
            break;
        }
    }
    std::copy(theta.begin(), theta.begin() + static_cast<std::ptrdiff_t>(d), w.v.begin());
    if (c.fit_intercept) w.b = static_cast<double>(theta[d]);
    e.rows_done = done;
    e.t += done;
    e.loss_sum = c.need_loss ? 0.5 * sum_sq : 0.0;  // squared error: (p - y)^2 / 2
}

template <typename T>
void dense_epoch(const sgd_rows_step_config& c, const T* X, std::size_t n, std::size_t d, sgd_rows_epoch<T>& e) {
    if (plain_least_squares(c, e)) return plain_least_squares_epoch(c, X, n, d, e);
    epoch_for_loss(c, dense_source<T>{X, n, d}, n, d, e);
}

template <typename T, typename I>
void csr_epoch(const sgd_rows_step_config& c, const csr_view<T, I>& X, std::size_t nnz, sgd_rows_epoch<T>& e) {
    epoch_for_loss(c, csr_source<T, I>{X, nnz}, X.n, X.d, e);
}

/// The rows' own targets and weights replace e.y, e.sw; e.order is dropped.
template <typename T>
void gathered_epoch(const sgd_rows_step_config& c, const gathered_rows<T>& g, std::size_t d, sgd_rows_epoch<T>& e) {
    e.y = g.y.data();
    e.sw = g.sw.empty() ? nullptr : g.sw.data();
    e.order = nullptr;
    epoch_for_loss(c, gathered_source<T>{&g}, g.rows, d, e);
}

}  // namespace sgd_rows_detail
}  // namespace FASTGD_ARCH
}  // namespace fastgd
