// Parameter groups: many arrays, each with its own state, stepped by one call that
// releases the GIL once (fastgd/param_groups.hpp does the work).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common.hpp"
#include "array_binding.hpp"
#include "optimizer_state.hpp"
#include "fastgd/param_groups.hpp"
#include "fastgd/threads.hpp"

namespace fastgd::bindings {

namespace {

// One array of a group: its rule object once stepped or loaded (float32 or
// float64, fixed then), and the array its state belongs to once stepped.
struct array_slot {
    std::size_t group = 0;
    std::unique_ptr<optimizer<float>> f32;
    std::unique_ptr<optimizer<double>> f64;
    std::optional<binding> bound;

    bool has_state() const { return f32 || f64; }
    bool has_shape() const { return f32 ? f32->has_shape() : f64 ? f64->has_shape() : false; }
    void forget() {
        f32.reset();
        f64.reset();
        bound.reset();
    }
};

struct group_settings {
    rule_params params;
    schedule lr;
};

std::string at(const char* name, std::size_t i) { return std::string(name) + "[" + std::to_string(i) + "]"; }

// The arrays of one step, checked: grads that are None are skipped (as torch skips
// parameters without a grad).
struct checked_array {
    inplace_array params;
    const void* grad = nullptr;  // nullptr: skipped
    std::vector<std::size_t> shape;  // the params' (Adafactor's factored moments follow it)
};

std::vector<std::size_t> shape_of(const py::handle& arr) {
    const auto* q = py::detail::array_proxy(arr.ptr());
    return std::vector<std::size_t>(q->dimensions, q->dimensions + q->nd);
}

std::string shape_text(const std::vector<std::size_t>& shape) {
    std::string text = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + (shape.size() == 1 ? ",)" : ")");
}

// Shared between threads as the single-array optimizer: every entry point takes
// mutex_ (with the GIL released while it waits), so calls run in one serial order.
class py_param_groups {
public:
    explicit py_param_groups(std::string kind) : kind_(std::move(kind)), factored_(kind_ == "adafactor") {}

    /// Append a group of n_arrays arrays with these hyperparameters (torch's add_param_group).
    void add_group(const py::dict& hyper, std::size_t n_arrays) {
        const auto guard = lock_releasing_gil(mutex_);
        group_settings g{rule_params_from(kind_, hyper), schedule_from(hyper)};
        groups_.push_back(g);
        for (std::size_t i = 0; i < n_arrays; ++i) {
            slots_.emplace_back();
            slots_.back().group = groups_.size() - 1;
        }
    }

    /// New hyperparameters for group g from the next step on; the state is kept.
    /// Checked against every array's state before anything changes.
    void set_group(std::size_t g, const py::dict& hyper) {
        const auto guard = lock_releasing_gil(mutex_);
        if (g >= groups_.size()) throw py::index_error("no parameter group " + std::to_string(g));
        group_settings settings{rule_params_from(kind_, hyper), schedule_from(hyper)};
        for (const auto& s : slots_) {  // every check before the first change
            if (s.group != g) continue;
            if (s.f32) s.f32->check_params(settings.params);
            if (s.f64) s.f64->check_params(settings.params);
        }
        for (auto& s : slots_) {
            if (s.group != g) continue;
            if (s.f32) s.f32->set_params(settings.params);
            if (s.f64) s.f64->set_params(settings.params);
        }
        groups_[g] = settings;
    }

    /// One step of every array whose grad is not None. params and grads are flat
    /// lists, group after group. A refused step changes nothing: every check and
    /// allocation comes before the first write.
    void step(const py::list& params, const py::list& grads) {
        const auto guard = lock_releasing_gil(mutex_);
        const std::size_t n = slots_.size();
        if (params.size() != n)
            throw py::value_error("the parameter groups hold " + std::to_string(params.size()) +
                                  " arrays but the optimizer's state has " + std::to_string(n) +
                                  "; arrays cannot be added or removed (use add_param_group)");
        if (grads.size() != n)
            throw py::value_error("grads has " + std::to_string(grads.size()) + " entries but the optimizer has " +
                                  std::to_string(n) + " arrays (one grad, or None, per array, group after group)");
        std::vector<checked_array>& arrays = arrays_;  // reused between steps: no allocation per step
        arrays.resize(n);
        bool needs_conversion = false;
        bool all_bound = true;  // every array stepped here is the one its state is bound to
        // Borrowed items of the caller's lists (alive for this call): no reference
        // counting in a loop that may run over hundreds of arrays.
        PyObject* const* param_items = &PyList_GET_ITEM(params.ptr(), 0);
        PyObject* const* grad_items = &PyList_GET_ITEM(grads.ptr(), 0);
        for (std::size_t i = 0; i < n; ++i) {
            const py::handle g = grad_items[i];
            arrays[i].grad = nullptr;
            arrays[i].shape.clear();
            if (g.is_none()) continue;
            const py::handle p = param_items[i];
            arrays[i].params = checked_inplace(p, "params", static_cast<std::ptrdiff_t>(i));
            // The shape is copied only where it is needed: Adafactor's factored moments, or
            // a state that has none yet (a heap copy per array and step costs more than the rest).
            if (factored_ || !slots_[i].has_shape()) arrays[i].shape = shape_of(p);
            check_against_state(i, p, arrays[i].params, arrays[i].shape);
            all_bound = all_bound && slots_[i].bound.has_value();
            if (!grad_ready(g, p)) {
                needs_conversion = true;
                continue;
            }
            arrays[i].grad = py::detail::array_proxy(g.ptr())->data;
        }
        if (needs_conversion) throw grad_needs_conversion();
        // Bound arrays are the very memory of the step that bound them; once every array
        // has been checked against every other, a step of bound arrays needs no new check.
        if (!(all_bound && bound_disjoint_)) refuse_shared_memory(arrays);
        // Grads that overlap their params are copied: the kernels assume they do not.
        std::vector<std::vector<float>> copies32;
        std::vector<std::vector<double>> copies64;
        for (auto& a : arrays) {
            if (!a.grad) continue;
            const std::size_t bytes = a.params.size * (a.params.is_float32 ? sizeof(float) : sizeof(double));
            const char* pb = static_cast<const char*>(a.params.data);
            const char* gb = static_cast<const char*>(a.grad);
            if (!(gb < pb + bytes && pb < gb + bytes)) continue;
            if (a.params.is_float32) {
                const float* g = static_cast<const float*>(a.grad);
                a.grad = copies32.emplace_back(g, g + a.params.size).data();
            } else {
                const double* g = static_cast<const double*>(a.grad);
                a.grad = copies64.emplace_back(g, g + a.params.size).data();
            }
        }
        prepare(arrays, work32_, work64_);
        plan_.reserve_for(work32_, work64_);
        {
            const int threads = get_num_threads();
            // Safe without the GIL: the params and grads are held alive by the caller's
            // lists (and the copies by this frame), and mutex_ (held) keeps every other
            // call off these states.
            py::gil_scoped_release release;
            step_arrays(work32_, work64_, plan_, threads);
        }
        bool stepped_all = true, newly_bound = false;
        for (std::size_t i = 0; i < n; ++i) {
            stepped_all = stepped_all && arrays[i].grad;
            if (arrays[i].grad && !slots_[i].bound) {
                slots_[i].bound = binding::of(param_items[i], arrays[i].params.is_float32 ? npy_float : npy_double);
                newly_bound = true;
            }
        }
        // A step of every array checked them all, now all bound, against each other; an
        // array bound in a step that left some out was not checked against those.
        if (stepped_all)
            bound_disjoint_ = true;
        else if (newly_bound)
            bound_disjoint_ = false;
    }

    void reset() {
        const auto guard = lock_releasing_gil(mutex_);
        for (auto& s : slots_) s.forget();
        bound_disjoint_ = false;
    }

    /// Per array: None before its first step, else (steps, mu_product, [state
    /// arrays, 1-D copies], size, dtype name, extras: export_state_extras), all taken
    /// in one locked call.
    py::list state() {
        const auto guard = lock_releasing_gil(mutex_);
        py::list out;
        for (const auto& s : slots_) {
            if (s.f32 && s.f32->steps() > 0)
                out.append(with_dtype(export_optimizer_state(*s.f32), "float32", export_state_extras(*s.f32)));
            else if (s.f64 && s.f64->steps() > 0)
                out.append(with_dtype(export_optimizer_state(*s.f64), "float64", export_state_extras(*s.f64)));
            else
                out.append(py::none());
        }
        return out;
    }

    /// The inverse of state() with the groups' hyperparameters (torch's load_state_dict
    /// restores both): one dict per group, one entry per array. Everything is parsed
    /// and imported (and checked again here) before anything is replaced, so a refused
    /// load changes nothing. Loaded states bind to the params of the next step.
    void load_state(const py::list& hypers, const py::list& states) {
        const auto guard = lock_releasing_gil(mutex_);
        if (hypers.size() != groups_.size())
            throw py::value_error("the state has " + std::to_string(hypers.size()) + " parameter groups, the optimizer " +
                                  std::to_string(groups_.size()));
        if (states.size() != slots_.size())
            throw py::value_error("the state has " + std::to_string(states.size()) + " arrays, the optimizer " +
                                  std::to_string(slots_.size()));
        std::vector<group_settings> groups;
        for (const auto& h : hypers) {
            const auto d = h.cast<py::dict>();
            groups.push_back({rule_params_from(kind_, d), schedule_from(d)});
        }
        std::vector<std::unique_ptr<optimizer<float>>> loaded32(slots_.size());
        std::vector<std::unique_ptr<optimizer<double>>> loaded64(slots_.size());
        for (std::size_t i = 0; i < slots_.size(); ++i) {
            if (states[i].is_none()) continue;
            const auto t = states[i].cast<py::tuple>();
            if (t.size() != 5 && t.size() != 6)
                throw py::value_error(at("state", i) + " must be (steps, mu_product, arrays, size, dtype[, extras])");
            const state_extras extras = t.size() == 6 ? state_extras_from(t[5]) : state_extras{};
            const rule_params& rp = groups[slots_[i].group].params;
            const auto steps = t[0].cast<std::uint64_t>();
            const auto mu = t[1].cast<double>();
            const auto arrays = t[2].cast<py::list>();
            const auto size = t[3].cast<std::size_t>();
            const auto dtype = t[4].cast<std::string>();
            if (dtype == "float32")
                loaded32[i] = import_optimizer_state<float>(rp, steps, mu, arrays, size, extras);
            else if (dtype == "float64")
                loaded64[i] = import_optimizer_state<double>(rp, steps, mu, arrays, size, extras);
            else
                throw py::value_error(at("state", i) + " dtype must be 'float32' or 'float64', got '" + dtype + "'");
        }
        groups_ = std::move(groups);
        bound_disjoint_ = false;
        for (std::size_t i = 0; i < slots_.size(); ++i) {
            slots_[i].forget();
            if (loaded32[i] && loaded32[i]->steps() > 0) slots_[i].f32 = std::move(loaded32[i]);
            if (loaded64[i] && loaded64[i]->steps() > 0) slots_[i].f64 = std::move(loaded64[i]);
        }
    }

    std::size_t size() const { return slots_.size(); }

private:
    static constexpr int npy_float = py::detail::npy_api::NPY_FLOAT_;
    static constexpr int npy_double = py::detail::npy_api::NPY_DOUBLE_;

    static py::tuple with_dtype(const py::tuple& exported, const char* dtype, const py::dict& extras) {
        return py::make_tuple(exported[0], exported[1], exported[2], exported[3], dtype, extras);
    }

    // The array must be the one array i's state belongs to, of its dtype and size.
    void check_against_state(std::size_t i, const py::handle& p, const inplace_array& a,
                             const std::vector<std::size_t>& shape) const {
        const array_slot& s = slots_[i];
        const auto name = [i] { return at("params", i); };
        // Adafactor's factored moments follow the shape: a loaded state must meet its own.
        if (factored_ && s.has_state()) {
            const bool has_shape = s.f32 ? s.f32->has_shape() : s.f64->has_shape();
            const std::vector<std::size_t>& own = s.f32 ? s.f32->shape() : s.f64->shape();
            if ((has_shape && own != shape) || (!has_shape && shape.size() >= 2))
                throw py::value_error(name() + " has shape " + shape_text(shape) + " but its Adafactor state is for " +
                                      (has_shape ? "shape " + shape_text(own) : std::string("a flat vector")) +
                                      " (the order or the shapes of the arrays changed?)");
        }
        if ((s.f32 && !a.is_float32) || (s.f64 && a.is_float32))
            throw py::type_error(name() + " has dtype " + std::string(py::str(p.attr("dtype"))) +
                                 " but its state is " + (s.f32 ? "float32" : "float64") +
                                 "; call reset() to start over");
        const std::size_t state_size = s.f32 ? s.f32->size() : s.f64 ? s.f64->size() : a.size;
        if (state_size != a.size && (s.f32 ? s.f32->steps() : s.f64 ? s.f64->steps() : 0) > 0)
            throw py::value_error(name() + " has " + std::to_string(a.size) + " elements but its state has " +
                                  std::to_string(state_size) + " (the order or the shapes of the arrays changed?)");
        if (s.bound && !s.bound->matches(p.ptr(), a.is_float32 ? npy_float : npy_double))
            throw py::value_error(name() +
                                  " is not the array its state belongs to (its moments would update another "
                                  "array); keep the arrays and their order, or call reset() to start over");
    }

    // Two arrays sharing memory would be updated twice, by two threads at once.
    static void refuse_shared_memory(const std::vector<checked_array>& arrays) {
        std::vector<std::pair<const char*, std::size_t>> spans;  // (first byte, index)
        for (std::size_t i = 0; i < arrays.size(); ++i)
            if (arrays[i].grad && arrays[i].params.size > 0)
                spans.emplace_back(static_cast<const char*>(arrays[i].params.data), i);
        std::sort(spans.begin(), spans.end());
        for (std::size_t k = 1; k < spans.size(); ++k) {
            const checked_array& prev = arrays[spans[k - 1].second];
            const std::size_t bytes = prev.params.size * (prev.params.is_float32 ? sizeof(float) : sizeof(double));
            if (spans[k].first < spans[k - 1].first + bytes) {
                const auto [a, b] = std::minmax(spans[k - 1].second, spans[k].second);
                throw py::value_error(at("params", a) + " and " + at("params", b) +
                                      " share memory; each array may appear once");
            }
        }
    }

    // Create and size the state of arrays stepped for the first time. Allocation can
    // fail; then the states created here are dropped again, and nothing has changed.
    void prepare(const std::vector<checked_array>& arrays, std::vector<array_step<float>>& work32,
                 std::vector<array_step<double>>& work64) {
        std::vector<std::size_t> created;
        work32.clear();
        work64.clear();
        work32.reserve(arrays.size());
        work64.reserve(arrays.size());
        try {
            for (std::size_t i = 0; i < arrays.size(); ++i) {
                const checked_array& a = arrays[i];
                if (!a.grad) continue;
                array_slot& s = slots_[i];
                const group_settings& g = groups_[s.group];
                if (a.params.is_float32)
                    add_work(s.f32, g, a, work32, created, i);
                else
                    add_work(s.f64, g, a, work64, created, i);
            }
        } catch (...) {
            for (std::size_t i : created) slots_[i].forget();
            throw;
        }
    }

    template <typename T>
    static void add_work(std::unique_ptr<optimizer<T>>& rule, const group_settings& g, const checked_array& a,
                         std::vector<array_step<T>>& work, std::vector<std::size_t>& created, std::size_t i) {
        if (!rule) {
            created.push_back(i);
            rule = std::make_unique<optimizer<T>>(g.params);
        }
        if (!rule->has_shape()) rule->set_shape(a.shape);  // a new state, or a loaded one without a shape
        rule->prepare(a.params.size);
        array_step<T> w;
        w.rule = rule.get();
        w.params = static_cast<T*>(a.params.data);
        w.grad = static_cast<const T*>(a.grad);
        w.size = a.params.size;
        w.lr = g.lr.at(rule->steps());
        work.push_back(w);
    }

    std::string kind_;
    bool factored_;  // Adafactor: the moments follow the params' shape, checked every step
    std::mutex mutex_;
    std::vector<group_settings> groups_;
    std::vector<array_slot> slots_;
    // Set once a step has checked every array against every other (refuse_shared_memory)
    // and bound them all; cleared when bindings are dropped (reset, load_state).
    bool bound_disjoint_ = false;
    // A step's working memory, kept between steps (a step of many small arrays would
    // otherwise spend a good part of its time allocating it).
    std::vector<checked_array> arrays_;
    std::vector<array_step<float>> work32_;
    std::vector<array_step<double>> work64_;
    step_plan plan_;
};

}  // namespace

void register_param_groups(py::module_& m) {
    py::class_<py_param_groups>(m, "ParamGroups")
        .def(py::init<std::string>(), py::arg("kind"))
        .def("add_group", &py_param_groups::add_group, py::arg("hyper"), py::arg("n_arrays"))
        .def("set_group", &py_param_groups::set_group, py::arg("group"), py::arg("hyper"))
        .def("step", &py_param_groups::step, py::arg("params"), py::arg("grads"))
        .def("reset", &py_param_groups::reset)
        .def("state", &py_param_groups::state)
        .def("load_state", &py_param_groups::load_state, py::arg("hypers"), py::arg("states"))
        .def("__len__", &py_param_groups::size);
}

}  // namespace fastgd::bindings
