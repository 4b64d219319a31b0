"""The explorer's web app: starlette routes from URLs to the views' handlers.

URL layout
----------
- ``GET /``: ``static/index.html`` (the page).
- ``GET /static/<path>``: the files of ``fastgd/explorer/static/`` (the page's ES
  modules, CSS, vendored libraries). Without that folder, ``/`` and ``/static/*``
  answer 404 and the API still works.
- ``POST /api/<route>``: a JSON object in, a JSON object out (routes below). The
  answer carries a ``Server-Timing: app;dur=<ms>`` header (time in the server:
reading the body, the handler, encoding the answer).

Errors: a refused request answers 400 with ``{"error": message}`` (plus
``"field": "formula"`` when the formula is at fault, so the page can show it next
to the box); an unknown URL 404 and a wrong method 405, both with ``error``;
anything unexpected 500 with ``error``. The server keeps serving in every case.
A body must be at most ``limits.MAX_BODY_BYTES``; numbers must be finite (JSON
has no NaN); in answers, a value that is not finite (a diverged run, a formula
undefined there) is ``null``.

Routes (``limits`` names the caps)
-------------------------------------
``1d/curve``: ``{formula: str, lo: number, hi: number, n: int}`` ->
``{x: [n], f: [n], expression: str, derivative: str}``; f(x) on n points
(2 <= n <= MAX_GRID) of [lo, hi], lo < hi, |lo|, |hi| <= 1e6; sympy's text of the
formula and of its derivative.

``1d/step``: ``{formula: str, theta: number, lr: number > 0, steps: int}`` ->
``{theta: [steps+1], f: [steps+1], df: [steps+1], status: str, message: str,
nit: int}``; exactly ``fastgd.minimize(f, [theta], method="gd", lr=lr,
max_iter=steps, jac=True)`` (1 <= steps <= MAX_STEPS): the iterates from theta on,
f and f' at each, and minimize's status and message. The page sends the current
theta and rate, so the rate may change between steps.

``2d/objectives`` (GET or POST, no input) -> ``{objectives: [{name, doc, bounds:
[[x_lo, x_hi], [y_lo, y_hi]], minima: [[x, y], ...]}], optimizers: {name:
takes_momentum}}``: the registered surfaces with a 2-D picture, and the optimizer
names ``2d/race`` takes.

Surface fields (``2d/surface``, ``2d/contour``, ``2d/race``): either
``formula: str`` (a typed f(x, y)) or ``objective: str`` (a registered name).

``2d/surface``: ``{formula | objective}`` -> ``{name, bounds, expression}``: the
window to draw first (a typed formula gets [-3, 3]^2) and the formula as text.

``2d/contour``: ``{formula | objective, window: [x_lo, x_hi, y_lo, y_hi], n: int}``
-> ``{x: [n], y: [n], z: [n][n], n}``; z[i][j] = f(x[j], y[i]), n <= MAX_GRID.

``2d/race``: ``{formula | objective, x0: [x, y], steps: int, optimizers: [{name,
lr: number > 0, momentum?: number in [0, 0.999] (default 0.9)}]}`` ->
``{runs: [{name, lr, x: [steps+1], y: [steps+1], loss: [steps+1], status, message,
nit}]}``; ``fastgd.race`` of 1..MAX_OPTIMIZERS optimizers from x0, each with its
own rate (names: ``two_d.OPTIMIZERS``; momentum is used by momentum, nesterov
and rmsprop), steps <= MAX_STEPS each. A run that stops early has a shorter path.

``regression/generate``: ``{n: int, noise: number in [0, 100], seed?: int}`` ->
``{x: [n], y: [n]}``: x ~ U(-2, 2), y = 1.5 x - 0.5 + noise N(0, 1), 2 <= n <=
MAX_POINTS.

``regression/fit``: ``{x: [n], y: [n], method: "gd" | "sgd" | "momentum", lr,
epochs: int, w0, b0, batch_size (sgd only), momentum? (not with gd), seed?}`` -> ``{w:
[epochs+1], b: [epochs+1], loss: [epochs+1], status, message, analytic: {w, b}}``;
``fastgd.fit_least_squares`` of y = w x + b from (w0, b0) for exactly ``epochs``
epochs (<= MAX_REGRESSION_EPOCHS, tol=None), its recorded path and loss J(w, b) =
mean((w x + b - y)^2), and ``fastgd.normal_equations``' line.

``regression/loss``: ``{x, y, window: [w_lo, w_hi, b_lo, b_hi], n}`` -> ``{w: [n],
b: [n], z: [n][n], n}``; z[i][j] = J(w[j], b[i]), the same J as ``loss`` above.

The handlers are plain functions (dict -> dict, ``HANDLERS``) run in a worker
thread, so a long descent does not stall the server.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from . import one_d, regression, two_d
from .formula import FormulaError
from .limits import MAX_BODY_BYTES
from .payload import BadRequest

__all__ = ["HANDLERS", "answer_json", "create_app"]

log = logging.getLogger("fastgd.explorer")

Handler = Callable[[dict[str, Any]], dict[str, Any]]

HANDLERS: dict[str, Handler] = {
    "1d/curve": one_d.curve,
    "1d/step": one_d.step,
    "2d/objectives": two_d.objectives,
    "2d/surface": two_d.surface,
    "2d/contour": two_d.contour,
    "2d/race": two_d.race,
    "regression/generate": regression.generate,
    "regression/fit": regression.fit,
    "regression/loss": regression.loss_grid,
}
"""Every API route (under /api/) and the function that answers it."""


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


async def _body(request: Request) -> dict[str, Any]:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        raise BadRequest(f"the request body must be at most {MAX_BODY_BYTES} bytes")
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY_BYTES:
            raise BadRequest(f"the request body must be at most {MAX_BODY_BYTES} bytes")
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"the request body is not JSON: {exc}") from None
    except RecursionError:
        raise BadRequest(
            "the request body is not JSON the server reads: nested too deeply"
        ) from None
    if not isinstance(body, dict):
        raise BadRequest(f"the request body must be a JSON object, got {type(body).__name__}")
    return body


def answer_json(handler: Handler, body: dict[str, Any]) -> bytes:
    """The handler's answer as JSON, both in the worker thread so the event loop stays
    free. orjson: the standard json module takes 35-50 ms here to encode a race's
    36,000 floats (more than the race itself), orjson about 2 ms. It writes a NaN or
    infinity as null, as the handlers already do."""
    answer = handler(body)
    try:
        return orjson.dumps(answer, option=orjson.OPT_SERIALIZE_NUMPY)
    except orjson.JSONEncodeError as exc:  # a bug, not a bad request: answered 500
        raise RuntimeError(f"the answer cannot be encoded as JSON: {exc}") from None


def _endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        try:
            body = await _body(request)
            text = await run_in_threadpool(answer_json, handler, body)
        except FormulaError as exc:
            return _error(400, str(exc), field="formula")
        except (BadRequest, ValueError, TypeError) as exc:
            return _error(400, str(exc))
        except Exception as exc:  # a bug: say so, log it, keep serving
            log.exception("explore: %s failed", request.url.path)
            return _error(500, f"internal error: {type(exc).__name__}: {exc}")
        spent = (time.perf_counter() - started) * 1000
        return Response(
            text,
            media_type="application/json",
            headers={"Server-Timing": f"app;dur={spent:.3f}"},
        )

    return endpoint


async def _index(_: Request) -> Response:
    page = _static_dir() / "index.html"
    if not page.is_file():  # a source tree without the page: the API still works
        return _error(404, f"the explorer's page is missing: no {page}")
    return FileResponse(page, media_type="text/html")


async def _not_found(request: Request, exc: Exception) -> Response:
    return _error(404, f"no such page or API route: {request.url.path}")


async def _wrong_method(request: Request, exc: Exception) -> Response:
    return _error(405, f"{request.method} is not allowed on {request.url.path}; use POST")


def _static_dir() -> Path:
    return Path(str(resources.files("fastgd.explorer"))) / "static"


def create_app() -> Starlette:
    """The explorer's ASGI app: the page at /, its files under /static/, the API
    under /api/ (POST with a JSON object; GET too where no input is needed)."""
    routes: list[Route | Mount] = [Route("/", _index, methods=["GET"])]
    for path, handler in HANDLERS.items():
        methods = ["GET", "POST"] if path == "2d/objectives" else ["POST"]
        routes.append(Route(f"/api/{path}", _endpoint(handler), methods=methods))
    if _static_dir().is_dir():  # a source tree without the page: /static/* is a 404
        routes.append(Mount("/static", StaticFiles(directory=_static_dir()), name="static"))
    return Starlette(routes=routes, exception_handlers={404: _not_found, 405: _wrong_method})
