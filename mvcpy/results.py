"""Return conventions: what an action or handler returns becomes a response."""

from __future__ import annotations

from typing import Any

from mvcpy.http.response import HTMLResponse, JSONResponse, Response

__all__ = ["to_response"]


def to_response(result: Any) -> Response:
    """Turn a handler's return value into a :class:`Response`.

    A ``Response`` is sent as is; a dict, list or pydantic model becomes JSON; a ``str``
    becomes ``text/html``; ``bytes`` become ``application/octet-stream``; ``None`` is an
    empty 204 (controllers render their template instead, before this is reached).
    """
    if isinstance(result, Response):
        return result
    if isinstance(result, dict | list):
        return JSONResponse(result)
    if isinstance(result, str):
        return HTMLResponse(result)
    if isinstance(result, bytes):
        return Response(result, media_type="application/octet-stream")
    if result is None:
        return Response(status=204)
    if callable(getattr(result, "model_dump", None)):
        return JSONResponse(result)
    raise TypeError(
        f"a handler returned {type(result).__name__}; return a Response, dict, list, str, "
        "bytes or None"
    )
