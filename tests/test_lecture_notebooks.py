"""The lecture as notebooks (docs/lecture/*.ipynb) run from top to bottom, so they never rot.

Each notebook runs in a fresh kernel of this interpreter (``sys.executable``, through a
kernel spec written to a temporary directory, not whatever "python3" Jupyter would find)
with this process's environment, PYTHONPATH included, so the kernel imports the same
fastgd as the tests; a last cell appended to each notebook checks both. The
working directory is a temporary one: a notebook that writes a file leaves nothing behind.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

import fastgd

from .conftest import child_env

LECTURE = Path(__file__).resolve().parent.parent / "docs" / "lecture"
if not LECTURE.is_dir():  # e.g. an unpacked sdist, which ships no docs/
    pytest.skip(f"no lecture notebooks here: {LECTURE} does not exist", allow_module_level=True)

nbformat = pytest.importorskip("nbformat", reason="running the lecture notebooks needs nbformat")
nbclient = pytest.importorskip("nbclient", reason="running the lecture notebooks needs nbclient")
pytest.importorskip("ipykernel", reason="running the lecture notebooks needs ipykernel")
kernelspec = pytest.importorskip("jupyter_client.kernelspec", reason="needs jupyter_client")
manager = pytest.importorskip("jupyter_client.manager", reason="needs jupyter_client")

NOTEBOOKS = sorted(LECTURE.glob("*.ipynb"))
LESSONS = [
    "01_gd_1d",
    "02_gd_nd",
    "03_linear_regression",
    "04_local_minima",
    "05_sgd",
    "06_momentum",
    "07_optimizer_family",
]
CELL_TIMEOUT = 120  # seconds; every cell takes a few at most, this leaves room on a busy machine
KERNEL = "python3"  # the name the notebooks' metadata asks for
# Appended to each notebook under test: which Python and which fastgd the kernel ran.
PROBE = "import json, sys\nimport fastgd\nprint(json.dumps([sys.executable, fastgd.__file__]))"


def run(nb: Any, workdir: Path) -> Any:
    """Execute ``nb`` in place in a kernel of sys.executable, cwd ``workdir``; a cell
    that raises fails the run (nbclient's CellExecutionError, with the traceback)."""
    spec_dir = workdir / "kernels" / KERNEL
    spec_dir.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec = {"argv": argv, "display_name": "fastgd tests", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    specs = kernelspec.KernelSpecManager(kernel_dirs=[str(workdir / "kernels")])
    km = manager.KernelManager(kernel_name=KERNEL, kernel_spec_manager=specs)
    client = nbclient.NotebookClient(
        nb,
        km=km,
        kernel_name=KERNEL,
        timeout=CELL_TIMEOUT,
        startup_timeout=120,
        shutdown_kernel="immediate",  # the outputs are in; nothing to wait for
        resources={"metadata": {"path": str(workdir)}},
    )
    # cleanup_kc: shut the kernel down and close its channels afterwards, which
    # nbclient does by itself only for a kernel manager it made.
    return client.execute(env=child_env(), cleanup_kc=True)


def test_the_lecture_is_all_there() -> None:
    """The seven notebooks, in the lecture's order, each in the index's toctree."""
    assert [p.stem for p in NOTEBOOKS] == LESSONS
    index = (LECTURE / "index.md").read_text(encoding="utf-8")
    toctree = re.search(r"```\{toctree\}\n(.*?)```", index, re.DOTALL)
    assert toctree is not None, "docs/lecture/index.md has no toctree"
    entries = [
        line.strip()
        for line in toctree.group(1).splitlines()
        if line.strip() and not line.strip().startswith(":")
    ]
    assert entries == LESSONS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_clean(path: Path) -> None:
    """Stored without outputs or execution counts, for the kernel the tests start."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == KERNEL
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{path.name} has no code"
    for cell in code:
        assert cell.outputs == [], f"{path.name}: cell {cell.get('id')} has outputs"
        assert cell.execution_count is None, f"{path.name}: cell {cell.get('id')} has a count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path) -> None:
    """Every cell runs without an error, in a kernel of this Python that imports this
    fastgd (a last cell, added here, reports both)."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    run(nb, tmp_path)
    # A cell that raised has already failed run(); a cell nbclient skipped (a
    # "skip-execution" tag) would have no count.
    assert all(c.execution_count is not None for c in nb.cells if c.cell_type == "code")
    probe = nb.cells[-1].outputs
    out = "".join(
        o.get("text", "") for o in probe if o.output_type == "stream" and o.name == "stdout"
    )
    executable, module = json.loads(out.strip().splitlines()[-1])
    assert Path(executable).resolve() == Path(sys.executable).resolve()
    assert Path(module).resolve() == Path(fastgd.__file__).resolve()
