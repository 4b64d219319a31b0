"""What dir() shows of a public module: its ``__all__``.

fastgd's decision (see fastgd/__init__.py): a public module declares ``__all__`` and
sets ``__dir__ = public_dir(__all__)``, so dir() and tab completion list the public
names only; the modules and helpers a file works with (numpy as np, re, Any, ...)
keep their usual names instead of being renamed ``_np``.
"""

from __future__ import annotations

from collections.abc import Callable


def public_dir(names: list[str]) -> Callable[[], list[str]]:
    """A module ``__dir__`` that returns ``names``, sorted."""

    def __dir__() -> list[str]:
        return sorted(names)

    return __dir__
