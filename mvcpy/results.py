"""Return conventions: what an action or handler returns becomes a response."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mvcpy.http.response import HTMLResponse, JSONResponse, Response

__all__ = ["to_response"]


def to_response(result: Any) -> Response:
    """Turn a handler's return value into a :class:`Response`.

    A ``Response`` is sent as is; a dict, list or pydantic model becomes JSON; a ``str``
    becomes ``text/html``; ``bytes`` become ``application/octet-stream``; ``None`` is an
    empty 204 (controllers render their template instead, before this is reached).
    ``(body, status)`` and ``(body, status, headers)`` set the status and headers of the
    body's response, as in Flask.
    """
    if isinstance(result, Response):
        return result
    if isinstance(result, tuple):
        return _from_tuple(result)
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


def _from_tuple(result: tuple[Any, ...]) -> Response:
    if not 2 <= len(result) <= 3:
        raise TypeError(
            f"a handler returned a tuple of {len(result)}; return (body, status) or "
            "(body, status, headers)"
        )
    status = result[1]
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise TypeError(f"a handler returned the status {status!r}; use an int from 100 to 599")
    response = to_response(result[0])
    response.status = status
    if len(result) == 3:
        headers = result[2]
        for name, value in headers.items() if isinstance(headers, Mapping) else headers:
            response.set_header(str(name), str(value))
    return response
