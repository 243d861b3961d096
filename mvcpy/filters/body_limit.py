"""Body size limit per app, namespace or route: 413 before reading, or while streaming."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mvcpy.errors import HTTPError
from mvcpy.filters._answer import answer_error

if TYPE_CHECKING:
    from mvcpy.context import Context
    from mvcpy.filters.chain import CallNext
    from mvcpy.http.response import Response

__all__ = ["BodyLimit", "parse_size"]

_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3,
          "gb": 1024**3}  # fmt: skip


def parse_size(value: int | str) -> int:
    """Read a size: ``1048576``, ``"512kb"``, ``"10MB"``."""
    if isinstance(value, int):
        size = value
    else:
        text = value.strip().lower().replace(" ", "")
        digits = text.rstrip("kmgb")
        unit = text[len(digits) :]
        if not digits.isdigit() or unit not in _UNITS:
            raise ValueError(f"not a size: {value!r} (use e.g. 1048576, '512kb', '10mb')")
        size = int(digits) * _UNITS[unit]
    if size < 0:
        raise ValueError("a size cannot be negative")
    return size


class BodyLimit:
    """Refuse request bodies over ``max_size`` bytes with 413.

    A ``Content-Length`` over the limit is refused before any byte is read; without
    one (chunked uploads) reading stops with 413 as soon as the limit is passed. The
    limit replaces the app's ``max_body_size`` for the routes it covers, so it may be
    larger or smaller; the innermost filter wins.
    """

    __slots__ = ("max_size",)

    def __init__(self, max_size: int | str) -> None:
        self.max_size = parse_size(max_size)

    async def __call__(self, ctx: Context, call_next: CallNext) -> Response:
        """Check the declared length and set the limit for reading the body."""
        request = ctx.request
        request.max_body_size = self.max_size
        declared = request.headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                return await answer_error(ctx, HTTPError(400, "Invalid Content-Length header"))
            if int(declared) > self.max_size:
                return await answer_error(
                    ctx, HTTPError(413, f"Request body is larger than {self.max_size} bytes")
                )
        response: Response = await call_next(ctx)
        return response

    def __repr__(self) -> str:
        return f"BodyLimit({self.max_size})"
