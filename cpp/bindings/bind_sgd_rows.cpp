// scikit-learn's single-row SGD (sgd_rows.hpp) for fastgd.sgd_rows.fit_rows: dense
// or CSR X (float32/float64, int32/int64 indices), K one-vs-rest fits at once.
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <cstdint>
#include <exception>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.hpp"
#include "settings_reader.hpp"
#include "fastgd/sgd_rows.hpp"
#include "fastgd/sgd_rows_gather.hpp"
#include "fastgd/threads.hpp"

namespace fastgd::bindings {
namespace {

[[noreturn]] void bad(const std::string& msg) { throw py::value_error(msg); }

/// A (K, m) array of V, checked (no copy when it already is one, C-contiguous).
template <typename V>
py::array_t<V, py::array::c_style | py::array::forcecast> matrix_of(const py::object& obj, std::size_t K,
                                                                    std::size_t m, const char* name) {
    auto a = py::array_t<V, py::array::c_style | py::array::forcecast>::ensure(obj);
    if (!a) throw py::type_error(std::string(name) + " must be an array of numbers");
    if (static_cast<std::size_t>(a.size()) != K * m)
        bad(std::string(name) + " must have " + std::to_string(K) + " x " + std::to_string(m) + " values, got " +
            std::to_string(a.size()));
    return a;
}

template <typename T, typename EpochFn>
py::dict run(std::size_t n, std::size_t d, std::size_t row_bytes, const in_array<T>& Y,
             const std::optional<in_array<T>>& sample_weight,
             const py::dict& settings, const py::dict& init, const py::object& callback, EpochFn&& epoch) {
    settings_reader s(settings, "sgd_rows");
    sgd_rows_config c;
    const int loss = s.get<int>("loss", "an int");
    if (loss < 0 || loss >= n_loss_kinds) bad("unknown loss id " + std::to_string(loss));
    c.step.loss = loss_spec{static_cast<loss_kind>(loss), s.number("epsilon")};
    c.step.alpha = s.number("alpha");
    c.step.l1_ratio = s.number("l1_ratio");
    if (!(std::isfinite(c.step.alpha) && c.step.alpha >= 0.0) || !(c.step.l1_ratio >= 0.0 && c.step.l1_ratio <= 1.0))
        bad("alpha must be a finite number >= 0 and l1_ratio in [0, 1]");
    const std::string l1_method = s.get<std::string>("l1_method", "a str");
    if (l1_method != "truncated" && l1_method != "proximal")
        bad("l1_method must be 'truncated' or 'proximal', got '" + l1_method + "'");
    c.step.l1_proximal = l1_method == "proximal";
    py::dict hyper;
    hyper["schedule"] = s.get<py::dict>("schedule", "a dict (Schedule.as_dict())");
    c.step.lr = schedule_from(hyper);
    c.step.lr.validate();
    c.adaptive = s.flag("adaptive");
    c.step.fit_intercept = s.flag("fit_intercept");
    c.step.intercept_decay = s.number("intercept_decay");
    if (!std::isfinite(c.step.intercept_decay)) bad("intercept_decay must be finite");
    c.step.average = s.count("average");
    const py::object tol = s.at("tol");
    c.tol = tol.is_none() ? -1.0 : s.number("tol");
    if (!tol.is_none() && !(c.tol >= 0.0 && std::isfinite(c.tol))) bad("tol must be None or a finite number >= 0");
    c.n_iter_no_change = s.count("n_iter_no_change");
    if (c.n_iter_no_change < 1) bad("n_iter_no_change must be >= 1");
    c.max_iter = s.count("max_iter");
    c.shuffle = s.shuffle("shuffle");
    c.shuffle_block_rows = shuffle_block_rows(row_bytes);
    c.record = s.flag("record");
    c.t0 = s.count("t");
    c.epoch0 = s.count("epoch");
    const int threads = s.get<int>("n_threads", "an int");
    c.n_threads = threads <= 0 ? get_num_threads() : threads;
    const auto seeds = s.get<std::vector<std::uint64_t>>("seeds", "a list of integers in [0, 2**64)");
    const auto weight_pos = s.get<std::vector<double>>("weight_pos", "a list of numbers");
    const auto weight_neg = s.get<std::vector<double>>("weight_neg", "a list of numbers");
    s.reject_unknown();
    c.step.need_loss = c.record || c.tol >= 0.0 || !callback.is_none();

    if (Y.ndim() != 2 || static_cast<std::size_t>(Y.shape(1)) != n)
        bad("Y must have shape (K, " + std::to_string(n) + ")");
    const std::size_t K = static_cast<std::size_t>(Y.shape(0));
    if (K == 0) bad("Y must hold at least one fit");
    if (seeds.size() != K || weight_pos.size() != K || weight_neg.size() != K)
        bad("seeds, weight_pos and weight_neg must have one value per fit (" + std::to_string(K) + ")");
    for (std::size_t k = 0; k < K; ++k)
        if (!(std::isfinite(weight_pos[k]) && weight_pos[k] >= 0.0 && std::isfinite(weight_neg[k]) &&
              weight_neg[k] >= 0.0))
            bad("weight_pos and weight_neg must be finite numbers >= 0");
    if (!callback.is_none() && K != 1) bad("a callback is for one fit only, got " + std::to_string(K));

    // Private copies: the loop reads them without the GIL.
    const std::vector<T> labels(Y.data(), Y.data() + K * n);
    std::vector<T> sw;
    if (sample_weight) {
        if (sample_weight->ndim() != 1 || static_cast<std::size_t>(sample_weight->size()) != n)
            bad("sample_weight must have one value per row of X");
        sw.assign(sample_weight->data(), sample_weight->data() + n);
    }
    const bool truncated = c.step.l1_on() && !c.step.l1_proximal;
    if (init.size() != 8) bad("init must have exactly coef, intercept, avg_coef, avg_a, avg_b, avg_intercept, q and u");
    // Read into each fit's private arrays (the loop runs without the GIL); the average and
    // the l1 penalties only when they are used (else they come back as they were given).
    const auto coef = matrix_of<T>(init["coef"], K, d, "coef");
    const auto avg_coef = matrix_of<T>(init["avg_coef"], K, d, "avg_coef");
    const auto q = matrix_of<T>(init["q"], K, d, "q");
    const auto intercept = matrix_of<double>(init["intercept"], K, 1, "intercept");
    const auto avg_intercept = matrix_of<double>(init["avg_intercept"], K, 1, "avg_intercept");
    const auto u = matrix_of<double>(init["u"], K, 1, "u");
    const auto avg_a = matrix_of<double>(init["avg_a"], K, 1, "avg_a");
    const auto avg_b = matrix_of<double>(init["avg_b"], K, 1, "avg_b");
    for (std::size_t k = 0; k < K; ++k)
        if (!(std::isfinite(avg_a.data()[k]) && std::isfinite(avg_b.data()[k]) && avg_b.data()[k] > 0.0))
            bad("the lazy average's avg_a and avg_b must be finite, avg_b > 0");

    std::vector<sgd_rows_fit<T>> fits(K);
    for (std::size_t k = 0; k < K; ++k) {
        sgd_rows_fit<T>& f = fits[k];
        f.y = labels.data() + k * n;
        f.seed = seeds[k];
        f.weight_pos = weight_pos[k];
        f.weight_neg = weight_neg[k];
        f.w.v.assign(coef.data() + k * d, coef.data() + (k + 1) * d);
        f.w.b = intercept.data()[k];
        if (c.step.average > 0) f.w.aw.assign(avg_coef.data() + k * d, avg_coef.data() + (k + 1) * d);
        f.w.ab = avg_intercept.data()[k];
        f.w.avg_a = avg_a.data()[k];
        f.w.avg_b = avg_b.data()[k];
        if (truncated) f.w.q.assign(q.data() + k * d, q.data() + (k + 1) * d);
        f.w.u = u.data()[k];
    }
    // callback(epoch, loss, coef, intercept) with the GIL; a true result stops the fit, and
    // an exception stops it and propagates (PyErr stays set).
    auto on_epoch = [&callback](std::size_t ep, double value, const sgd_rows_weights<T>& w) {
        if (callback.is_none()) return false;
        py::gil_scoped_acquire gil;
        try {
            return bool(py::bool_(callback(ep, value, to_numpy(w.v.data(), w.v.size()), w.b)));
        } catch (py::error_already_set& e) {
            e.restore();
            return true;
        }
    };
    {
        // Safe without the GIL: X is held alive by this frame and only read (CSR offsets
        // and indices are checked as they are read); labels, weights and state are copies.
        py::gil_scoped_release release;
        fit_rows<T>(
            c, n, sw.empty() ? nullptr : sw.data(), fits, [&](sgd_rows_epoch<T>& e) { epoch(c.step, e); },
            python_signal_check(), on_epoch);
    }
    for (const auto& f : fits)
        if (f.error) std::rethrow_exception(f.error);
    if (PyErr_Occurred()) throw py::error_already_set();
    for (const auto& f : fits)
        if (f.bad_input)
            bad("X's CSR indices or offsets are out of range (a column index >= d, or offsets that decrease "
                "or pass the end of the arrays); pass a valid CSR (fastgd._validation.csr_matrix), and do "
                "not change X while it is being fitted");

    const auto Ks = static_cast<py::ssize_t>(K), ds = static_cast<py::ssize_t>(d);
    const bool averaging = c.step.average > 0;
    py::array_t<T> coef_out({Ks, ds});
    py::object avg_out = avg_coef, q_out = q, average = py::none();
    if (averaging) {
        py::array_t<T> aw({Ks, ds}), now({Ks, ds});
        for (std::size_t k = 0; k < K; ++k) {
            std::copy(fits[k].w.aw.begin(), fits[k].w.aw.end(), aw.mutable_data() + k * d);
            fits[k].w.average_into(now.mutable_data() + k * d);
        }
        avg_out = aw;
        average = now;
    }
    if (truncated) {
        py::array_t<T> qa({Ks, ds});
        for (std::size_t k = 0; k < K; ++k) std::copy(fits[k].w.q.begin(), fits[k].w.q.end(), qa.mutable_data() + k * d);
        q_out = qa;
    }
    py::array_t<double> b_out(Ks), ab_out(Ks), u_out(Ks), a_out(Ks), bb_out(Ks);
    py::array_t<std::int64_t> n_iter(Ks), t_out(Ks);
    py::list status, losses;
    for (std::size_t k = 0; k < K; ++k) {
        const sgd_rows_fit<T>& f = fits[k];
        std::copy(f.w.v.begin(), f.w.v.end(), coef_out.mutable_data() + k * d);
        b_out.mutable_data()[k] = f.w.b;
        ab_out.mutable_data()[k] = f.w.ab;
        u_out.mutable_data()[k] = f.w.u;
        a_out.mutable_data()[k] = f.w.avg_a;
        bb_out.mutable_data()[k] = f.w.avg_b;
        n_iter.mutable_data()[k] = static_cast<std::int64_t>(f.n_iter);
        t_out.mutable_data()[k] = static_cast<std::int64_t>(f.t);
        status.append(to_string(f.status));
        losses.append(to_numpy(f.losses.data(), f.losses.size()));
    }
    py::dict out;
    out["coef"] = coef_out;
    out["intercept"] = b_out;
    out["avg_coef"] = avg_out;
    out["avg_intercept"] = ab_out;
    out["avg_a"] = a_out;
    out["avg_b"] = bb_out;
    out["average"] = average;
    out["q"] = q_out;
    out["u"] = u_out;
    out["n_iter"] = n_iter;
    out["t"] = t_out;
    out["status"] = status;
    out["losses"] = losses;
    return out;
}

template <typename T>
py::dict rows_dense(in_array<T> X, in_array<T> Y, std::optional<in_array<T>> sample_weight, const py::dict& settings,
                    const py::dict& init, const py::object& callback) {
    if (X.ndim() != 2) bad("X must be 2-D");
    const std::size_t n = static_cast<std::size_t>(X.shape(0)), d = static_cast<std::size_t>(X.shape(1));
    const sgd_rows_kernels<T>& k = sgd_rows_kernels_of<T>();
    const T* data = X.data();
    return run<T>(n, d, d * sizeof(T), Y, sample_weight, settings, init, callback,
                  [&](const sgd_rows_step_config& c, sgd_rows_epoch<T>& e) { k.dense(c, data, n, d, e); });
}

template <typename T, typename I>
py::dict rows_csr(in_array<T> data, in_array<I> indices, in_array<I> indptr, std::size_t d, in_array<T> Y,
                  std::optional<in_array<T>> sample_weight, const py::dict& settings, const py::dict& init,
                  const py::object& callback) {
    if (data.ndim() != 1 || indices.ndim() != 1 || indptr.ndim() != 1 || indptr.size() < 1)
        bad("the CSR arrays must be 1-D, with indptr of n + 1 offsets");
    if (data.size() != indices.size()) bad("the CSR data and indices must have the same length");
    const std::size_t n = static_cast<std::size_t>(indptr.size() - 1);
    const csr_view<T, I> view{data.data(), indices.data(), indptr.data(), n, d};
    const std::size_t nnz = static_cast<std::size_t>(data.size());
    const sgd_rows_kernels<T>& k = sgd_rows_kernels_of<T>();
    // A row's bytes on average: its values and column indices.
    const std::size_t csr_bytes = nnz * (sizeof(T) + sizeof(I)), row_bytes = n == 0 ? 0 : csr_bytes / n;
    return run<T>(n, d, row_bytes, Y, sample_weight, settings, init, callback,
                  [&](const sgd_rows_step_config& c, sgd_rows_epoch<T>& e) {
                      if (gathering_pays(e.threads, n, csr_bytes) && csr_epoch_gathered(c, view, nnz, k, e)) return;
                      if constexpr (std::is_same_v<I, std::int32_t>) k.csr32(c, view, nnz, e);
                      else k.csr64(c, view, nnz, e);
                  });
}

template <typename T, typename I>
void define_csr(py::module_& m) {
    m.def("sgd_rows_csr", &rows_csr<T, I>, py::arg("data").noconvert(), py::arg("indices").noconvert(),
          py::arg("indptr").noconvert(), py::arg("d"), py::arg("Y").noconvert(),
          py::arg("sample_weight").noconvert() = py::none(), py::kw_only(), py::arg("settings"), py::arg("init"),
          py::arg("callback") = py::none(),
          "scikit-learn's single-row SGD over a CSR X (sgd_rows.hpp); K fits, one a row of Y.");
}

template <typename T>
void define_for(py::module_& m) {
    m.def("sgd_rows_dense", &rows_dense<T>, py::arg("X").noconvert(), py::arg("Y").noconvert(),
          py::arg("sample_weight").noconvert() = py::none(), py::kw_only(), py::arg("settings"), py::arg("init"),
          py::arg("callback") = py::none(),
          "scikit-learn's single-row SGD over a dense X (sgd_rows.hpp); K fits, one a row of Y.");
    define_csr<T, std::int32_t>(m);
    define_csr<T, std::int64_t>(m);
}

}  // namespace

void register_sgd_rows(py::module_& m, py::module_& testing) {
    define_for<float>(m);
    define_for<double>(m);
    testing.def("sgd_rows_arch", [] { return std::string(sgd_rows_kernels_for_cpu().name); },
                "The instruction set of the single-row SGD kernels in use.");
    testing.def("sgd_rows_gathers", &gathering_pays, py::arg("threads"), py::arg("n"), py::arg("csr_bytes"),
                "Whether a CSR epoch of one fit gathers its rows on a second thread (sgd_rows_gather.hpp).");
}

}  // namespace fastgd::bindings
