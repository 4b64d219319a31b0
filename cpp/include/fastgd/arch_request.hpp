#pragma once
/// What FASTGD_ARCH asks of the runtime dispatch, read leniently: surrounding
/// blanks and case are forgiven (and reported, so the caller can warn), an empty
/// value means unset, and anything else is reported as invalid and ignored
/// (the widest instruction set the CPU has is used, not the slowest).

#include <cctype>
#include <string>

namespace fastgd {

enum class arch_cap { none, baseline, avx2, avx512 };

/// unset: no variable or an empty one; exact: a valid value as written;
/// normalized: valid once blanks and case are dropped; invalid: ignored.
enum class arch_request_status { unset, exact, normalized, invalid };

struct arch_request {
    arch_cap cap = arch_cap::none;
    arch_request_status status = arch_request_status::unset;
};

inline arch_request parse_arch_request(const char* raw) {
    arch_request out;
    if (raw == nullptr) return out;
    const std::string text(raw);
    std::string value;
    for (const char c : text)
        if (!std::isspace(static_cast<unsigned char>(c)))
            value += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (value.empty()) return out;
    if (value == "baseline")
        out.cap = arch_cap::baseline;
    else if (value == "avx2")
        out.cap = arch_cap::avx2;
    else if (value == "avx512")
        out.cap = arch_cap::avx512;
    else {
        out.status = arch_request_status::invalid;
        return out;
    }
    out.status = value == text ? arch_request_status::exact : arch_request_status::normalized;
    return out;
}

inline const char* to_string(arch_request_status s) {
    switch (s) {
        case arch_request_status::unset:
            return "unset";
        case arch_request_status::exact:
            return "exact";
        case arch_request_status::normalized:
            return "normalized";
        case arch_request_status::invalid:
            return "invalid";
    }
    return "unknown";
}

}  // namespace fastgd
