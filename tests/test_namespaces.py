"""issue 12: public namespaces show public names only, lazy names included."""

from __future__ import annotations

import importlib
import subprocess
import sys
import types

import pytest

import fastgd

from .conftest import run_mypy

# fastgd.minimize is the function; its module (constants included) lives in sys.modules
PUBLIC = [
    "fastgd",
    "fastgd.objectives",
    "fastgd.schedules",
    "fastgd.minimize",
    "fastgd.reference",
    "fastgd.plot",
    "fastgd.lr_scheduler",
]
TYPING_HELPERS = {"Any", "TypeAlias", "TYPE_CHECKING", "annotations", "ArrayLike", "Callable"}


def module(name: str) -> types.ModuleType:
    importlib.import_module(name)
    return sys.modules[name]


@pytest.mark.parametrize("name", PUBLIC)
def test_dir_shows_the_public_names_only(name):
    mod = module(name)
    extra = set(dir(mod)) - set(mod.__all__)
    leaked = sorted(
        n
        for n in extra
        if not n.startswith("__")
        and (
            isinstance(getattr(mod, n), types.ModuleType)
            or n in TYPING_HELPERS
            or getattr(getattr(mod, n), "__module__", None) in ("typing", "numpy.typing")
        )
    )
    assert leaked == []
    assert extra <= {n for n in extra if n.startswith("__")}


@pytest.mark.parametrize("name", PUBLIC)
def test_every_name_in_all_exists_and_none_is_a_helper(name):
    mod = module(name)
    assert len(set(mod.__all__)) == len(mod.__all__)
    for public in mod.__all__:
        value = getattr(mod, public)
        assert public not in TYPING_HELPERS
        if isinstance(value, types.ModuleType):  # only fastgd's own submodules
            assert value.__name__.startswith("fastgd.")
    # the helpers still work under their usual names
    for helper in ("np", "Any", "math"):
        if helper in vars(mod):
            assert helper not in dir(mod)


def test_the_lazy_names_are_in_dir_and_load_on_use():
    assert {"plot", "GDRegressor", "minimize", "objectives", "schedules", "lr_scheduler"} <= set(
        dir(fastgd)
    )
    for leaked in ("np", "version", "PackageNotFoundError", "annotations", "TYPE_CHECKING"):
        assert leaked not in dir(fastgd)
    code = (
        "import sys, fastgd; "
        "assert 'fastgd.plot' not in sys.modules and 'matplotlib' not in sys.modules; "
        "assert 'plot' in dir(fastgd) and 'GDRegressor' in dir(fastgd); "
        "assert 'fastgd.plot' not in sys.modules; "
        "fastgd.plot; assert 'fastgd.plot' in sys.modules; "
        "assert 'fastgd.lr_scheduler' not in sys.modules and 'lr_scheduler' in dir(fastgd); "
        "fastgd.lr_scheduler.StepLR; assert 'fastgd.lr_scheduler' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_import_fastgd_minimize_gives_the_function_and_the_module_stays_importable():
    import fastgd.minimize as imported

    assert callable(imported)
    assert imported is fastgd.minimize
    from fastgd.minimize import RECORD_BUDGET, MinimizeResult

    assert RECORD_BUDGET == 1 << 30
    assert MinimizeResult is fastgd.MinimizeResult


def test_star_import_gives_all_names():
    scope: dict[str, object] = {}
    exec("from fastgd import *", scope)  # noqa: S102 - what a user's star import gets
    assert set(fastgd.__all__) <= set(scope)
    assert "np" not in scope


def test_type_checkers_see_the_lazy_names(tmp_path):
    out, status = run_mypy(
        tmp_path,
        "import fastgd\n"
        "from fastgd import GDRegressor\n"
        "model: GDRegressor = fastgd.GDRegressor()\n"
        "reveal_type(fastgd.plot.contour)\n"
        "sched: fastgd.lr_scheduler.LRScheduler = fastgd.lr_scheduler.StepLR(object(), 3)\n",
    )
    assert status == 0, out
    assert "def (" in out  # the function's signature: plot is a module to mypy, not object
