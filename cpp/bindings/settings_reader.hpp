#pragma once
/// A settings dict built by the Python layer, read by key: every key is required, a
/// key nobody read is refused, and a wrong type names the key (never pybind11's text).

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "common.hpp"
#include "fastgd/permutation.hpp"

namespace fastgd::bindings {

class settings_reader {
public:
    /// `owner` names the settings in messages: "fit" -> "unknown fit setting 'x'".
    settings_reader(const py::dict& d, std::string owner) : d_(d), owner_(std::move(owner)) {}

    py::object at(const char* key) {
        used_.emplace_back(key);
        if (!d_.contains(key)) throw py::value_error("the " + owner_ + " settings need '" + key + "'");
        return d_[key];
    }
    template <typename V>
    V get(const char* key, const char* what) {
        const py::object v = at(key);
        try {
            return v.cast<V>();
        } catch (const py::cast_error&) {
            throw py::type_error(owner_ + " setting '" + key + "' must be " + what + ", got " +
                                 std::string(py::str(py::type::of(v).attr("__name__"))));
        }
    }
    double number(const char* key) { return get<double>(key, "a number"); }
    bool flag(const char* key) { return get<bool>(key, "a bool"); }
    std::size_t count(const char* key) { return get<std::size_t>(key, "an integer >= 0"); }
    /// "none", "rows" or "blocks" (the names fastgd._validation.shuffle_mode gives).
    shuffle_kind shuffle(const char* key) {
        const auto name = get<std::string>(key, "'none', 'rows' or 'blocks'");
        if (name == "none") return shuffle_kind::none;
        if (name == "rows") return shuffle_kind::rows;
        if (name == "blocks") return shuffle_kind::blocks;
        throw py::value_error(owner_ + " setting '" + key + "' must be 'none', 'rows' or 'blocks', got '" + name +
                              "'");
    }
    /// A number, or `none` for None (tol: no early stop).
    double number_or(const char* key, double none) { return at(key).is_none() ? none : number(key); }

    void reject_unknown() const {
        for (const auto& item : d_) {
            const std::string key = py::str(item.first);
            if (std::find(used_.begin(), used_.end(), key) == used_.end())
                throw py::value_error("unknown " + owner_ + " setting '" + key + "'");
        }
    }

private:
    const py::dict& d_;
    std::string owner_;
    std::vector<std::string> used_;
};

}  // namespace fastgd::bindings
