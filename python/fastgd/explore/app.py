"""The explorer's web app: starlette routes from URLs to the views' handlers.

Every API route takes a JSON object and answers JSON. The handlers are plain
functions (dict -> dict) run in a worker thread, so a long descent does not stall
the server; a refused request answers 400 with ``{"error": message}`` (and
``"field": "formula"`` when the formula is at fault), anything unexpected 500, and
the server keeps serving either way.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import Any

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

__all__ = ["HANDLERS", "create_app"]

log = logging.getLogger("fastgd.explore")

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
    if not isinstance(body, dict):
        raise BadRequest(f"the request body must be a JSON object, got {type(body).__name__}")
    return body


def _endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        try:
            body = await _body(request)
            answer = await run_in_threadpool(handler, body)
        except FormulaError as exc:
            return _error(400, str(exc), field="formula")
        except (BadRequest, ValueError, TypeError) as exc:
            return _error(400, str(exc))
        except Exception as exc:  # a bug: say so, log it, keep serving
            log.exception("explore: %s failed", request.url.path)
            return _error(500, f"internal error: {type(exc).__name__}: {exc}")
        spent = (time.perf_counter() - started) * 1000
        # allow_nan=False: the handlers turn NaN and inf into null, and a slip fails here.
        return Response(
            json.dumps(answer, allow_nan=False),
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
    return Path(str(resources.files("fastgd.explore"))) / "static"


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
