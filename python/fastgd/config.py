"""fastgd.show_config() and ``python -m fastgd info``: how this fastgd was built and
what it found on this machine."""

from __future__ import annotations

import os
import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Any, TextIO

from . import _core
from ._threads import get_num_threads, simd_arch

EXTRAS = (
    "matplotlib",
    "pillow",
    "imageio-ffmpeg",
    "scikit-learn",
    "pandas",
    "dask",
    "distributed",
    "tqdm",
)


def _version_of(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def config() -> dict[str, Any]:
    """The build and runtime facts, as a dict (what show_config prints)."""
    build = _core.build_info()
    return {
        "fastgd": _core.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "numpy": _version_of("numpy"),
        "compiler": build["compiler"],
        "c++ standard": build["cplusplus"],
        "simd compiled": build["simd_compiled"],
        "simd chosen": simd_arch(),
        "FASTGD_ARCH": os.environ.get("FASTGD_ARCH", ""),
        "threads": get_num_threads(),
        "cpus": os.cpu_count(),
        "sanitizers": build["sanitizers"],
        "extras": {name: _version_of(name) for name in EXTRAS},
    }


def show_config(stream: TextIO | None = None) -> dict[str, Any]:
    """Print the version, the compiler, the SIMD paths compiled and the one chosen at
    run time, the thread count and the optional extras found. Returns the same facts."""
    info = config()
    out = stream or sys.stdout
    for key, value in info.items():
        if key == "extras":
            continue
        if isinstance(value, list):
            value = ", ".join(value)
        print(f"{key + ':':<16}{value if value not in ('', None) else '-'}", file=out)
    print("extras:", file=out)
    for name, found in info["extras"].items():
        print(f"  {name + ':':<16}{found or 'not installed'}", file=out)
    return info
