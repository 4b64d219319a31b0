"""The interactive explorer (issue 16): a starlette app whose numbers come from
fastgd's C++ core. Work in progress: the API handlers exist; the page, the server
runner and the CLI hook are not written yet."""

from __future__ import annotations

__all__: list[str] = []
