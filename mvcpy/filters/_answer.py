"""Answer an HTTP error from inside a filter, so that outer filters still see the response."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mvcpy.error_handling import handle_error

if TYPE_CHECKING:
    from mvcpy.context import Context
    from mvcpy.errors import HTTPError
    from mvcpy.http.response import Response

__all__ = ["answer_error"]


async def answer_error(ctx: Context, error: HTTPError) -> Response:
    """Turn ``error`` into a response through the route's and the app's error handlers.

    Raising would skip the outer filters (access log, CORS, request id); returning
    lets them add their headers and log the answer.
    """
    route = ctx.route
    registries = route.error_handlers if route is not None else ctx.app._app_error_handlers
    response = await handle_error(ctx, error, registries, ctx.app.debug)
    assert response is not None  # only a client disconnect gives None
    return response
