"""Sphinx configuration for fastgd's documentation site.

Build (warnings are errors; the lecture notebooks are executed on the way):
``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
"""

from __future__ import annotations





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
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**.ipynb_checkpoints", "Thumbs.db", ".DS_Store"]
templates_path = ["_templates"]

# The API reference is generated from each module's __all__ (tests/test_docs_api.py checks
# that every name in fastgd.__all__ gets a page).
autosummary_generate = True
autosummary_ignore_module_all = False
autosummary_imported_members = True
autodoc_default_options = {"members": False}
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types

# numpydoc writes the member tables itself; autosummary's would be a second copy.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# The lecture notebooks are stored without outputs and executed at every build, so a
# notebook that no longer runs fails the build.
nb_execution_mode = "force"
nb_execution_timeout = 120
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

# Offline builds (CI without network) must not fail on an unreachable inventory.
suppress_warnings = ["intersphinx.fetch_inventory"]

html_theme = "pydata_sphinx_theme"
html_title = f"fastgd {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path: list[str] = []
