#pragma once
// Arrays that C++ updates in place (an optimizer's params): the checks that make an
// in-place step safe, and the binding of an optimizer's state to the array it
// belongs to. Shared by the single-array optimizer and parameter groups.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <string>
#include <vector>

#include "common.hpp"

namespace fastgd::bindings {

// A dtype stored in the machine's byte order ('=' or '|', or '<'/'>' spelled out
// when it is this machine's). A byte-swapped array read as native gives nonsense.
inline bool native_byte_order(char order) {
    const std::uint16_t probe = 1;
    const bool little = *reinterpret_cast<const unsigned char*>(&probe) == 1;
    return order == '=' || order == '|' || order == (little ? '<' : '>');
}

/// Lock an optimizer's mutex. Taken with the GIL released when it has to wait: the
/// holder may need the GIL back (a long step releases it and reacquires it at the
/// end), so waiting for the mutex with the GIL held would deadlock.
inline std::unique_lock<std::mutex> lock_releasing_gil(std::mutex& mutex) {
    std::unique_lock<std::mutex> guard(mutex, std::try_to_lock);
    if (!guard.owns_lock()) {
        // Safe without the GIL: waits for the mutex only, touching no Python object.
        py::gil_scoped_release release;
        guard.lock();
    }
    return guard;
}

/// What C++ needs of an array it updates in place.
struct inplace_array {
    void* data = nullptr;
    std::size_t size = 0;
    bool is_float32 = false;
};

/// Check every part of the in-place contract (an ndarray, float32 or float64 in the
/// machine's byte order, C-contiguous, writeable, aligned) or raise naming it (what[index]).
/// Reads NumPy's struct fields directly: a step on a few parameters should cost well
/// under a microsecond, and each pybind11 accessor builds a Python object.
inline inplace_array checked_inplace(const py::handle& obj, const char* what, std::ptrdiff_t index = -1) {
    // The name is built only for a message: a step checks hundreds of arrays.
    const auto name_of = [&] { return index < 0 ? std::string(what) : std::string(what) + "[" + std::to_string(index) + "]"; };
    if (!py::array::check_(obj))
        throw py::type_error(name_of() + " must be a numpy.ndarray (it is updated in place), got " +
                             std::string(py::str(py::type::of(obj).attr("__name__"))));
    using api = py::detail::npy_api;
    const auto* p = py::detail::array_proxy(obj.ptr());
    const auto* pd = py::detail::array_descriptor_proxy(p->descr);
    const int type = pd->type_num;
    const auto dtype = [&] { return std::string(py::str(obj.attr("dtype"))); };
    if (type != api::NPY_FLOAT_ && type != api::NPY_DOUBLE_)
        throw py::type_error(name_of() + " must be float32 or float64 to be updated in place, got " + dtype());
    if (!native_byte_order(pd->byteorder))
        throw py::type_error(name_of() + " has the non-native byte order " + dtype() +
                             " and is updated in place; step a native copy, " + name_of() +
                             " = " + name_of() + ".astype(" + name_of() + ".dtype.newbyteorder('='))");
    if (!(p->flags & api::NPY_ARRAY_C_CONTIGUOUS_))
        throw py::value_error(name_of() +
                              " must be C-contiguous to be updated in place (got a strided view); use "
                              "np.ascontiguousarray and step that array");
    if (!(p->flags & api::NPY_ARRAY_WRITEABLE_)) throw py::value_error(name_of() + " is read-only; it is updated in place");
    if (!(p->flags & api::NPY_ARRAY_ALIGNED_))
        throw py::value_error(name_of() +
                              " is not aligned to its dtype (an array built from bytes at an odd offset); "
                              "step an aligned copy, e.g. " + name_of() + " = " + name_of() + ".copy()");
    std::size_t n = 1;
    for (int k = 0; k < p->nd; ++k) n *= static_cast<std::size_t>(p->dimensions[k]);
    return {p->data, n, type == api::NPY_FLOAT_};
}

/// Raised (as _core.GradNeedsConversion) when a grad is not ready as it is: the
/// Python layer converts the grads and steps again (conversions are Python's job).
struct grad_needs_conversion : std::exception {
    const char* what() const noexcept override { return "grad needs conversion"; }
};

/// grad is an ndarray a step can read as it is: params' dtype, native byte order,
/// params' shape, C-contiguous and aligned. Any other grad is converted first.
inline bool grad_ready(const py::handle& grad, const py::handle& params) {
    if (!py::array::check_(grad)) return false;
    using api = py::detail::npy_api;
    const auto* p = py::detail::array_proxy(params.ptr());
    const auto* g = py::detail::array_proxy(grad.ptr());
    const auto* gd = py::detail::array_descriptor_proxy(g->descr);
    return gd->type_num == py::detail::array_descriptor_proxy(p->descr)->type_num &&
           native_byte_order(gd->byteorder) && g->nd == p->nd && (g->flags & api::NPY_ARRAY_C_CONTIGUOUS_) &&
           (g->flags & api::NPY_ARRAY_ALIGNED_) && std::equal(g->dimensions, g->dimensions + g->nd, p->dimensions);
}

// The array the state belongs to: its memory, shape and dtype. Views of the same
// memory with the same shape are the same params; anything else is another array.
// The address alone is not enough: once the array is freed, a new one often gets
// the same address (NumPy caches small blocks), and would pass some of the time.
// So when the memory belongs to an ndarray (the usual case), the binding also
// holds a weak reference to that owner, and a step must come from a view of it.
// Memory owned by something else (an mmap, a bytearray) is matched by address.
struct binding {
    const void* data = nullptr;
    std::vector<py::ssize_t> shape;
    int type = 0;
    py::object owner;  // a weakref to the owning ndarray, or None

    // The ndarray that owns arr's memory, or nullptr when a non-array owns it.
    static PyObject* owning_array(PyObject* arr) {
        PyObject* o = arr;
        for (PyObject* base = py::detail::array_proxy(o)->base; base; base = py::detail::array_proxy(o)->base) {
            if (!py::array::check_(base)) return nullptr;
            o = base;
        }
        return o;
    }

    static binding of(PyObject* arr, int type) {
        const auto* q = py::detail::array_proxy(arr);
        binding b{q->data, std::vector<py::ssize_t>(q->dimensions, q->dimensions + q->nd), type, py::none()};
        if (PyObject* owner = owning_array(arr)) b.owner = py::weakref(py::handle(owner));
        return b;
    }

    bool matches(PyObject* arr, int t) const {
        const auto* q = py::detail::array_proxy(arr);
        if (q->data != data || t != type || shape.size() != static_cast<std::size_t>(q->nd) ||
            !std::equal(q->dimensions, q->dimensions + q->nd, shape.begin()))
            return false;
        if (owner.is_none()) return true;
        // The owner must still be alive and be this array's owner.
#if PY_VERSION_HEX >= 0x030D0000
        PyObject* alive = nullptr;  // PyWeakref_GetObject is deprecated from 3.13
        if (PyWeakref_GetRef(owner.ptr(), &alive) < 0) PyErr_Clear();
        const bool same = alive != nullptr && alive == owning_array(arr);
        Py_XDECREF(alive);
        return same;
#else
        return PyWeakref_GetObject(owner.ptr()) == owning_array(arr);
#endif
    }
};

}  // namespace fastgd::bindings
