"""Run the explorer's app with uvicorn: blocking (the command line) or in a
background thread (Python, Jupyter).

The socket is bound here, before uvicorn starts, so that ``port=0`` gives a free
port whose number is known (and printed) before the first request. Binding to
anything but the loopback interface makes the explorer reachable from the network,
so it warns.
"""

from __future__ import annotations

import html
import ipaddress
import socket
import sys
import threading
import time
import webbrowser
from typing import IO, final

import uvicorn

from .. import _validation as v
from .app import create_app

__all__ = ["ExplorerServer", "is_loopback", "network_warning", "start"]

STARTUP_SECONDS = 30.0
"""How long ``start(block=False)`` waits for uvicorn to serve before giving up."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` is only reachable from this machine ("localhost", 127.x, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to any interface
        return False


def network_warning(host: str) -> str:
    return (
        f"warning: the explorer listens on {host}, so anyone who can reach this machine "
        "on the network can use it; give --host 127.0.0.1 to keep it local"
    )


def _bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on (host, port); port 0 takes a free one."""
    port = v.integer(port, "port", 0, 65535)
    if not isinstance(host, str):
        raise TypeError(f"host must be a string, got {type(host).__name__} {v.describe(host)}")
    if not host.strip():
        raise ValueError("host must be a host name or address, got an empty string")
    bare = host.strip("[]")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            bare, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise ValueError(f"host {host!r} cannot be resolved: {exc.strerror}") from None
    sock = socket.socket(family, kind, proto)
    try:
        # A restart right after a stop must not wait for TIME_WAIT to expire.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)  # clients that connect before uvicorn runs wait in the backlog
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return sock


def _url(sock: socket.socket) -> str:
    """The address to open: a wildcard bind (0.0.0.0, ::) is opened on loopback."""
    host, port = sock.getsockname()[:2]
    if sock.family == socket.AF_INET6:
        host = "::1" if host == "::" else host
        return f"http://[{host}]:{port}/"
    return f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}/"


@final  # not meant for subclassing (so __enter__ returns exactly this type)
class ExplorerServer:
    """A running explorer (from :func:`fastgd.explore`): its ``url``, and ``stop()``.

    Started in a background thread, it serves until ``stop()`` (or the end of the
    Python process: the thread is a daemon). It is also a context manager that
    stops on exit. In Jupyter it displays as a link to the page.
    """

    def __init__(self, server: uvicorn.Server, sock: socket.socket, url: str) -> None:
        self._server = server
        self._socket = sock
        self._thread: threading.Thread | None = None
        self.url = url
        """The page's address, such as ``http://127.0.0.1:54321/``."""
        self.port: int = sock.getsockname()[1]
        """The port it listens on (the free one picked when asked for port 0)."""

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _start_thread(self) -> None:
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name=f"fastgd-explore {self.url}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self._server.started:
            if not self._thread.is_alive():
                self._socket.close()
                raise RuntimeError(f"the explorer at {self.url} failed to start (see the log)")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"the explorer at {self.url} did not start within {STARTUP_SECONDS:g} s"
                )
            time.sleep(0.01)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving: open requests finish (up to ``timeout`` seconds), the port
        is freed. Stopping twice is harmless."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._socket.close()

    def __enter__(self) -> ExplorerServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<ExplorerServer {self.url} {state}>"

    def _repr_html_(self) -> str:
        url = html.escape(self.url, quote=True)
        state = "running" if self.running else "stopped"
        return f'fastgd explorer ({state}): <a href="{url}" target="_blank">{url}</a>'


def start(
    port: int = 0,
    host: str = "127.0.0.1",
    *,
    open_browser: bool = True,
    block: bool = True,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
) -> ExplorerServer:
    """Serve the explorer on (host, port): print its URL as the first line of
    ``out`` (default stdout), warn on ``err`` (default stderr) when ``host`` is not
    loopback, open the browser unless told not to. ``block``: serve here until
    Ctrl-C (then return the stopped server); else serve in a daemon thread and
    return at once, once it answers."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    if isinstance(host, str) and host.strip() and not is_loopback(host):
        # Before binding: the person sees it even when the bind then fails.
        print(network_warning(host), file=err, flush=True)
    # access_log off and level warning: stdout carries the URL line and nothing else.
    config = uvicorn.Config(create_app(), lifespan="off", log_level="warning", access_log=False)
    sock = _bind(host, port)
    url = _url(sock)
    explorer = ExplorerServer(uvicorn.Server(config), sock, url)
    print(url, file=out, flush=True)
    if not block:
        explorer._start_thread()
        if open_browser:
            webbrowser.open(url)
        return explorer
    if open_browser:  # its first request waits in the socket's backlog until uvicorn runs
        webbrowser.open(url)
    print("fastgd explorer: press Ctrl-C to stop", file=err, flush=True)
    try:
        explorer._server.run(sockets=[sock])
    except KeyboardInterrupt:
        # uvicorn shuts down cleanly on Ctrl-C, then re-raises it, or (a signal caught
        # while it starts or stops) returns: stopped either way.
        pass
    finally:
        sock.close()
    print("fastgd explorer: stopped", file=err, flush=True)
    return explorer
