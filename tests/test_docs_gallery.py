"""The gallery (docs/gallery.md) shows every picture `python -m fastgd demo` draws, and
only those: the docs build draws them into docs/generated/demo/ before reading it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fastgd import demo

GALLERY = Path(__file__).resolve().parent.parent / "docs" / "gallery.md"

if not GALLERY.exists():  # an sdist ships tests/ without docs/
    pytest.skip(f"{GALLERY} is not in this tree (no docs/)", allow_module_level=True)


def test_the_gallery_shows_each_demo_picture_once():
    shown = re.findall(r"^```\{figure\} generated/demo/(\S+)$", GALLERY.read_text(), re.MULTILINE)
    assert sorted(shown) == sorted(demo.FILES)
