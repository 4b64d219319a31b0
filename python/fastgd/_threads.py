"""The thread count of the compiled kernels."""

from __future__ import annotations

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
