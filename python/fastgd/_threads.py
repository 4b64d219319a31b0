"""The thread count of the compiled kernels."""

from __future__ import annotations

import warnings

from . import _core
from . import _validation as v


def set_num_threads(k: int | None) -> None:
    """Use k threads in the kernels (None: all cores). Results do not depend on k."""
    if k is None:
        _core.set_num_threads(0)
        return
    _core.set_num_threads(v.integer(k, "k", 1, maximum=4096))


def get_num_threads() -> int:
    """The number of threads the kernels use (default: all cores)."""
    return int(_core.get_num_threads())


def simd_arch() -> str:
    """The instruction set the kernels dispatched to on this CPU: 'baseline', 'avx2' or 'avx512'."""
    return str(_core.simd_arch())


ARCH_VALUES = ("baseline", "avx2", "avx512")


def warn_about_arch_request() -> None:
    """Warn, once at import, when FASTGD_ARCH was not a valid value as written: a
    typo must not silently change which kernels run."""
    raw, status = _core.arch_request()
    valid = ", ".join(ARCH_VALUES)
    if status == "normalized":
        warnings.warn(
            f"FASTGD_ARCH={raw!r} was read as {raw.strip().lower()!r}; "
            f"write one of {valid} (lower case, no blanks)",
            RuntimeWarning,
            stacklevel=3,
        )
    elif status == "invalid":
        warnings.warn(
            f"FASTGD_ARCH={raw!r} is not one of {valid} and is ignored: the kernels use the "
            f"widest instruction set this CPU has ({simd_arch()}); unset it or use a valid value",
            RuntimeWarning,
            stacklevel=3,
        )
