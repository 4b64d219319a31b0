"""The documentation's API page (docs/api.rst) lists every public name, once per module,
and nothing that is not public: a name added to an ``__all__`` without a page fails here
before it fails the docs build's review."""

from __future__ import annotations

import importlib
import re
import sys
import types
from pathlib import Path

import pytest

import fastgd

from .test_namespaces import PUBLIC as NAMESPACES

API_PAGE = Path(__file__).resolve().parent.parent / "docs" / "api.rst"

# The public modules and the two whose __all__ adds names of their own
# (fastgd.optimizers.to_torch, fastgd.losses.LOSSES, ...).
PUBLIC = [*NAMESPACES, "fastgd.optimizers", "fastgd.losses"]

if not API_PAGE.exists():  # an sdist ships tests/ without docs/
    pytest.skip(f"{API_PAGE} is not in this tree (no docs/)", allow_module_level=True)


def module(name: str) -> types.ModuleType:
    # fastgd.minimize is the function; the module lives in sys.modules
    importlib.import_module(name)
    return sys.modules[name]


def parse_api_page(text: str) -> tuple[set[str], set[str]]:
    """The fully qualified names in the page's autosummary tables, and its automodules."""
    listed: set[str] = set()
    automodules = set(re.findall(r"^\.\. automodule:: (\S+)", text, flags=re.MULTILINE))
    current = ""
    in_table = False
    for line in text.splitlines():
        if m := re.match(r"\.\. currentmodule:: (\S+)", line):
            current, in_table = m[1], False
        elif line.startswith(".. autosummary::"):
            in_table = True
        elif in_table and (m := re.fullmatch(r" {3}(~?[\w.]+)", line)):
            listed.add(f"{current}.{m[1].lstrip('~')}")
        elif in_table and line and not line.startswith(" "):
            in_table = False
    return listed, automodules


LISTED, AUTOMODULES = parse_api_page(API_PAGE.read_text(encoding="utf-8"))


def test_the_parser_reads_the_page():
    assert "fastgd.minimize" in LISTED  # the function
    assert "fastgd.minimize.RECORD_BUDGET" in LISTED  # a constant of the module
    assert "fastgd.minimize" in AUTOMODULES
    assert len(LISTED) > 90


def test_the_parser_sees_a_missing_name():
    page = ".. currentmodule:: fastgd\n\n.. autosummary::\n   :toctree: x\n\n   SGD\n\nText\n"
    listed, _ = parse_api_page(page)
    assert listed == {"fastgd.SGD"}


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_has_a_page(name):
    mod = module(name)
    missing = []
    for public in mod.__all__:
        value = getattr(mod, public)
        if isinstance(value, types.ModuleType):
            documented = value.__name__ in AUTOMODULES
        else:
            # a re-export of a top-level name links to fastgd's page
            reexported = name != "fastgd" and getattr(fastgd, public, None) is value
            documented = f"{name}.{public}" in LISTED or (
                reexported and f"fastgd.{public}" in LISTED
            )
        if not documented:
            missing.append(public)
    assert missing == [], f"docs/api.rst lacks these names of {name}: {missing}"


@pytest.mark.parametrize("name", PUBLIC)
def test_the_public_module_has_its_section(name):
    assert name in AUTOMODULES


def test_every_listed_name_is_public():
    stray = []
    for full in sorted(LISTED):
        owner, _, public = full.rpartition(".")
        if owner not in PUBLIC or public not in module(owner).__all__:
            stray.append(full)
    assert stray == []
