"""The interactive explorer (issue 16): a local web app whose numbers come from
fastgd's C++ core, started by ``python -m fastgd explore`` or ``fastgd.explore()``.

Importing this package is light: starlette, uvicorn, sympy and orjson (the
``explore`` extra) load when the explorer starts. The API it serves is documented in
:mod:`fastgd.explorer.app`.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .server import ExplorerServer

__all__ = ["MISSING_EXTRA", "explore", "require_extra"]

MISSING_EXTRA = (
    "the explorer needs starlette, uvicorn, sympy and orjson, which are not all "
    "installed: pip install 'fastgd[explore]'"
)


def require_extra() -> None:
    """Raise ModuleNotFoundError with the install hint when the extra is missing."""
    try:
        import orjson  # noqa: F401
        import starlette  # noqa: F401
        import sympy  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise ModuleNotFoundError(f"{MISSING_EXTRA} ({exc})", name=exc.name) from None


def _in_event_loop() -> bool:
    """Whether this thread runs an asyncio loop, as a Jupyter kernel does for cells."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def explore(
    port: int = 0,
    host: str = "127.0.0.1",
    open_browser: bool = True,
    block: bool | None = None,
) -> ExplorerServer:
    """Start the explorer: the 1-D, 2-D and linear-regression views in the browser.

    Parameters
    ----------
    port : int
        The port to serve on; 0 (the default) picks a free one.
    host : str
        The interface to listen on. The default 127.0.0.1 is reachable from this
        machine only; any other (0.0.0.0, a LAN address) warns on stderr.
    open_browser : bool
        Open the page in the default browser.
    block : bool or None
        True: serve until Ctrl-C, then return. False: serve in a background
        (daemon) thread and return at once. None (the default): False inside a
        running event loop (a Jupyter notebook), True otherwise (a script).

    Returns
    -------
    ExplorerServer
        ``.url`` (printed on the first line of stdout too) and ``.stop()``; also a
        context manager. After a blocking run it is already stopped.

    Raises
    ------
    ModuleNotFoundError
        When the ``explore`` extra is not installed (``pip install 'fastgd[explore]'``).
    TypeError
        A port that is not an integer, a host that is not a string, flags that are
        not True or False.
    ValueError
        A port outside [0, 65535], or a host that cannot be resolved.
    OSError
        The port is taken.

    Examples
    --------
    >>> server = fastgd.explore(open_browser=False, block=False)  # doctest: +SKIP
    >>> server.url  # doctest: +SKIP
    'http://127.0.0.1:54321/'
    >>> server.stop()  # doctest: +SKIP
    """
    from .. import _validation as v

    open_browser = v.boolean(open_browser, "open_browser")
    block = not _in_event_loop() if block is None else v.boolean(block, "block")
    require_extra()
    from .server import start

    return start(port, host, open_browser=open_browser, block=block)
