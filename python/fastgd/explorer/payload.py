"""Reading a request's JSON fields: each reader checks one field and raises
BadRequest naming it, so every handler answers a bad request with a 400 and a
message before doing any work."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["BadRequest", "choice", "integer", "number", "numbers", "optional_number", "text"]


class BadRequest(ValueError):
    """A request the server refuses (HTTP 400), with the message to show."""


def _field(body: dict[str, Any], name: str) -> Any:
    if name not in body:
        raise BadRequest(f"{name} is missing")
    return body[name]


def number(
    body: dict[str, Any],
    name: str,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    positive: bool = False,
    default: float | None = None,
) -> float:
    """A finite number in [low, high] (> 0 with ``positive``)."""
    raw = body.get(name, default) if default is not None else _field(body, name)
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise BadRequest(f"{name} must be a number, got {raw!r}")
    value = float(raw)
    if not math.isfinite(value):
        raise BadRequest(f"{name} must be finite, got {raw!r}")
    if positive and value <= 0:
        raise BadRequest(f"{name} must be > 0, got {raw!r}")
    if not low <= value <= high:
        raise BadRequest(f"{name} must be in [{low:g}, {high:g}], got {raw!r}")
    return value


def optional_number(body: dict[str, Any], name: str, **limits: Any) -> float | None:
    if body.get(name) is None:
        return None
    return number(body, name, **limits)


def integer(
    body: dict[str, Any], name: str, *, low: int, high: int, default: int | None = None
) -> int:
    """An integer in [low, high]."""
    raw = body.get(name, default) if default is not None else _field(body, name)
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise BadRequest(f"{name} must be an integer, got {raw!r}")
    if not low <= raw <= high:
        raise BadRequest(f"{name} must be in [{low}, {high}], got {raw}")
    return raw


def numbers(
    body: dict[str, Any], name: str, *, length: int | None = None, max_length: int = 10_000
) -> list[float]:
    """A list of finite numbers, of exactly ``length`` or at most ``max_length``."""
    raw = _field(body, name)
    if not isinstance(raw, list):
        raise BadRequest(f"{name} must be a list of numbers, got {type(raw).__name__}")
    if length is not None and len(raw) != length:
        raise BadRequest(f"{name} must hold {length} numbers, got {len(raw)}")
    if len(raw) > max_length:
        raise BadRequest(f"{name} holds {len(raw)} numbers; at most {max_length} are allowed")
    return [number({name: item}, name) for item in raw]


def window(
    body: dict[str, Any], limit: float, axes: tuple[str, str]
) -> tuple[float, float, float, float]:
    """``window`` = [a_low, a_high, b_low, b_high] of a grid, each coordinate at most
    ``limit`` in size and low < high; ``axes`` names a and b for the message."""
    lo_a, hi_a, lo_b, hi_b = numbers(body, "window", length=4)
    if any(abs(c) > limit for c in (lo_a, hi_a, lo_b, hi_b)):
        raise BadRequest(f"window coordinates must be at most {limit:g} in size")
    if not (lo_a < hi_a and lo_b < hi_b):
        a, b = axes
        raise BadRequest(f"window must be [{a}_low, {a}_high, {b}_low, {b}_high] with low < high")
    return lo_a, hi_a, lo_b, hi_b


def text(body: dict[str, Any], name: str, *, max_length: int = 1000) -> str:
    raw = _field(body, name)
    if not isinstance(raw, str):
        raise BadRequest(f"{name} must be a string, got {type(raw).__name__}")
    if len(raw) > max_length:
        raise BadRequest(f"{name} has {len(raw)} characters; at most {max_length} are allowed")
    return raw


def choice(body: dict[str, Any], name: str, options: list[str], default: str | None = None) -> str:
    raw = body.get(name, default) if default is not None else _field(body, name)
    if raw not in options:
        raise BadRequest(f"{name} must be one of {', '.join(options)}, got {raw!r}")
    return str(raw)
