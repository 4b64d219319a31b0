"""The README's training examples (issue 13) run as written: a NumPy two-layer network
on make_moons and the same network as a torch model, both with fastgd.Adam on a dict
of parameters, OneCycleLR, and a checkpoint restored halfway."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import python_child

README = Path(__file__).parent.parent / "README.md"


def _example(marker: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    found = [b for b in blocks if "make_moons" in b and marker in b]
    assert len(found) == 1, f"the README has one make_moons example with {marker!r}"
    return found[0]


def _run(code: str, tmp_path: Path) -> float:
    with python_child(code, cwd=tmp_path) as proc:
        out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    match = re.search(r"loss ([0-9.]+), accuracy ([0-9.]+)", out)
    assert match, out
    return float(match.group(2))


@pytest.mark.parametrize(
    ("marker", "needs"),
    [("np.tanh", ("sklearn",)), ("torch.nn", ("sklearn", "torch"))],
    ids=["numpy", "torch"],
)
def test_the_readme_training_example_runs_and_learns(tmp_path, marker, needs):
    for module in needs:
        pytest.importorskip(module)
    code = _example(marker)
    for piece in ("fastgd.Adam(params", "OneCycleLR(", "state_dict()", "load_state_dict("):
        assert piece in code
    # The moons are not linearly separable (a line gets about 0.88): 0.95 needs the network.
    assert _run(code, tmp_path) > 0.95
