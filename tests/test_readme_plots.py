"""The README's plotting example runs as written (issue 12: the plot options became
keyword-only; the README's calls must not break)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.conftest import python_child

README = Path(__file__).parent.parent / "README.md"


def _plot_example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    found = [b for b in blocks if "from fastgd import plot" in b]
    assert len(found) == 1, "the README has one plotting example"
    return found[0]


def test_the_readme_plot_example_runs_as_written(tmp_path):
    pytest.importorskip("matplotlib")
    code = _plot_example()
    assert "plot.contour(" in code
    assert "plot.animate(" in code
    # In a child: the example registers an objective, which must not leak into the
    # registry of this test session; Agg, as there is no display.
    env = {**os.environ, "MPLBACKEND": "Agg"}
    with python_child(code, cwd=tmp_path, env=env) as proc:
        _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    for name in ("beale.png", "losses.png", "race.gif", "gd_1d.png"):
        assert (tmp_path / name).stat().st_size > 0, name
