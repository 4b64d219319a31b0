"""fastgd: gradient descent done fast and done right.

A C++17 core (the fused least-squares loss and gradient, the descent loops) behind
a NumPy API.

Namespaces: every public module (fastgd, fastgd.objectives, fastgd.schedules,
fastgd.lr_scheduler, fastgd.plot, fastgd.reference, and the module fastgd.minimize,
which the function fastgd.minimize shadows: ``from fastgd.minimize import
RECORD_BUDGET``) declares ``__all__`` and a module ``__dir__`` that returns it, so
``dir()`` and tab completion show the public names only; the modules a file works with (numpy as np, re, Any,
...) keep their usual names and stay out of sight rather than being renamed
``_np``. ``fastgd.plot``, ``fastgd.lr_scheduler``, ``fastgd.GDRegressor``, ``fastgd.GDClassifier`` and ``fastgd.explore`` load on
first use (matplotlib, scikit-learn, starlette/uvicorn/sympy; the schedulers are
only needed by training loops), yet are in ``dir(fastgd)`` and known to type checkers.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from . import _core, objectives, schedules
from ._callbacks import IntermediateResult
from ._namespace import public_dir
from ._threads import get_num_threads, set_num_threads, simd_arch, warn_about_arch_request
from ._warnings import DivergenceWarning, StalledWarning
from .config import show_config
from .fit_linear import fit_linear
from .lbfgs import LBFGS
from .least_squares import least_squares_loss_grad
from .linear_regression import FitResult, fit_least_squares, normal_equations
from .losses import loss_grad
from .minimize import MinimizeResult, SweepResult, minimize, race, sweep_lr
from .optimizers import (
    ASGD,
    SGD,
    Adadelta,
    Adafactor,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    Lion,
    NAdam,
    Optimizer,
    RAdam,
    RMSprop,
    Rprop,
)

if TYPE_CHECKING:  # loaded lazily by __getattr__ below; typed as if imported here
    from . import lr_scheduler, plot
    from .classifier import GDClassifier
    from .estimator import GDRegressor
    from .explorer import explore


def __getattr__(name: str) -> object:
    # fastgd.plot imports matplotlib and GDRegressor scikit-learn (when installed):
    # load them on first use, not with fastgd.
    import importlib

    if name in ("plot", "lr_scheduler"):
        return importlib.import_module(f".{name}", __name__)
    if name == "GDRegressor":
        return importlib.import_module(".estimator", __name__).GDRegressor
    if name == "GDClassifier":
        return importlib.import_module(".classifier", __name__).GDClassifier
    if name == "explore":  # the function; its package is fastgd.explorer
        return importlib.import_module(".explorer", __name__).explore
    raise AttributeError(f"module 'fastgd' has no attribute {name!r}")


warn_about_arch_request()

try:
    __version__ = version("fastgd")
except PackageNotFoundError:  # running from a source tree without metadata
    __version__ = _core.__version__

__all__ = [
    "ASGD",
    "LBFGS",
    "SGD",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "DivergenceWarning",
    "FitResult",
    "GDClassifier",
    "GDRegressor",
    "IntermediateResult",
    "Lion",
    "MinimizeResult",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "Rprop",
    "StalledWarning",
    "SweepResult",
    "__version__",
    "explore",
    "fit_least_squares",
    "fit_linear",
    "get_num_threads",
    "least_squares_loss_grad",
    "loss_grad",
    "lr_scheduler",
    "minimize",
    "normal_equations",
    "objectives",
    "plot",
    "race",
    "schedules",
    "set_num_threads",
    "show_config",
    "simd_arch",
    "sweep_lr",
]

__dir__ = public_dir(__all__)  # the public names, the lazy ones included
