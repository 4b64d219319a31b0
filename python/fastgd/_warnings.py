"""The warnings fastgd raises, in one place."""

from __future__ import annotations


class DivergenceWarning(RuntimeWarning):
    """A descent stopped because the loss or the parameters blew up."""


class StalledWarning(RuntimeWarning):
    """A descent stopped on its stopping rule (a short step) although the
    first-order optimality test did not pass: the answer is not a minimum."""
