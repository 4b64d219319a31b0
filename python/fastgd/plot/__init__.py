"""Pictures of descent (matplotlib, the ``plot`` extra; imported only when used).

Every function returns what it drew on (an Axes; ``animate`` the path written).

- ``ax=None`` (the default): the figure is made through pyplot
  (``plt.figure()``), as pandas and seaborn make theirs, so the picture shows in a
  notebook and with ``plt.show()``. Close it with ``plt.close(ax.figure)`` when done.
- ``ax=`` an Axes: the picture is drawn on it and pyplot is never imported. Build the
  Axes from ``matplotlib.figure.Figure().add_subplot()`` to draw on a server or in a
  thread (pyplot's global state is neither), or to compose several pictures.

The objective of :func:`contour`, :func:`surface`, :func:`curve` and :func:`animate`
is a registered name, an Objective, or a Python callable, as :func:`fastgd.minimize`
takes one: ``x -> (value, grad)`` (a tuple) or ``x -> value``; where a picture needs
a gradient (the tangents of :func:`curve`) and the callable gives none, central
differences stand in. A callable has no plot window of its own: pass ``bounds=``,
one ``(low, high)`` pair per dimension, e.g. ``bounds=((-2, 2), (-1, 3))``.

Legends name each run's optimizer and learning rate, its status and step count,
e.g. ``adam lr=0.05 (converged, 120 steps)`` (the lr where the result carries one).
"""

from __future__ import annotations

from .._namespace import public_dir
from ._animation import animate
from ._classification import decision_boundary
from ._history import losses, sweep
from ._landscape import contour, curve, surface
from ._objective import Bounds as Bounds
from ._objective import ObjectiveLike as ObjectiveLike
from ._regression import regression, regression_contour

__all__ = [
    "animate",
    "contour",
    "curve",
    "decision_boundary",
    "losses",
    "regression",
    "regression_contour",
    "surface",
    "sweep",
]

# The pictures only: the modules and helpers plot works with stay importable but out
# of dir() and tab completion.
__dir__ = public_dir(__all__)
