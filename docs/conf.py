"""Sphinx configuration for fastgd's documentation site.

Build (warnings are errors, offline; the demo pictures are drawn and the lecture
notebooks executed on the way): ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sphinx.application import Sphinx

import fastgd

project = "fastgd"
author = "the fastgd developers"
copyright = "the fastgd developers, BSD-3-Clause"
version = release = fastgd.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",
    # MathJax 3 copied into _static/: the formulas render offline too (no CDN).
    "sphinx-mathjax-offline",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**.ipynb_checkpoints", "Thumbs.db", ".DS_Store"]
templates_path = ["_templates"]

# api.rst lists every public name by hand (tests/test_docs_api.py checks it against each
# module's __all__); autosummary writes one page per name into generated/api/.
autosummary_generate = True
autodoc_default_options = {"members": False}
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types

# numpydoc writes the member tables itself; autosummary's would be a second copy.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# The lecture notebooks (docs/lecture/) are stored without outputs and executed at every
# build, in a temporary folder, so a notebook that no longer runs fails the build.
nb_execution_mode = "force"
nb_execution_timeout = 120  # seconds per cell
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_in_temp = True
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

html_theme = "pydata_sphinx_theme"
html_title = f"fastgd {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path: list[str] = []

# The gallery shows what the current code draws: `python -m fastgd demo` writes its
# pictures here (git-ignored) before Sphinx reads the sources.
DEMO_OUT = Path(__file__).parent / "generated" / "demo"


def draw_demo_pictures(app: Sphinx) -> None:
    """Run the demo command; its failure fails the build."""
    done = subprocess.run(
        [sys.executable, "-m", "fastgd", "demo", "--out", str(DEMO_OUT)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"python -m fastgd demo failed:\n{done.stdout}\n{done.stderr}")


def setup(app: Sphinx) -> None:
    app.connect("builder-inited", draw_demo_pictures)
