"""The explorer's per-request caps: what one request may ask the server to do.

Every handler checks its request against these before any work, so a request
cannot make the server compute for long, allocate much, or answer with a huge body.
"""

from __future__ import annotations

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_FORMULA_LENGTH",
    "MAX_FORMULA_NODES",
    "MAX_GRID",
    "MAX_LITERAL",
    "MAX_OPTIMIZERS",
    "MAX_POINTS",
    "MAX_REGRESSION_EPOCHS",
    "MAX_STEPS",
    "PARSE_SECONDS",
]

MAX_FORMULA_LENGTH = 200
"""Characters in a typed formula."""
MAX_FORMULA_NODES = 400
"""Nodes of the parsed formula's tree and of its derivatives' (sympy ``count_ops``
is bounded by this): a derivative can be larger than its formula, not unboundedly."""
MAX_LITERAL = 1e6
"""The largest number a formula may write: 9**9**9 as exact integers would take
sympy minutes, so literals and exponents stay small."""
PARSE_SECONDS = 2.0
"""CPU-time budget to parse a formula and derive it (done first in a child process
that the kernel ends when it runs over; wall clock where there is no CPU limit)."""
PARSE_WALL_SECONDS = 30.0
"""Wall-clock limit on that child, for a child that waits rather than computes."""
MAX_STEPS = 5000
"""Descent steps per request (per optimizer in a race)."""
MAX_GRID = 200
"""Grid points per side of a contour or curve sample."""
MAX_OPTIMIZERS = 8
"""Optimizers in one 2-D race."""
MAX_POINTS = 1000
"""Data points of the regression view."""
MAX_REGRESSION_EPOCHS = 2000
"""Epochs of one regression request."""
MAX_BODY_BYTES = 200_000
"""Bytes of a request body: 1000 points as JSON fit easily."""
