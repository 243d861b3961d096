"""Recovery: any exception below this filter becomes an error response; the worker keeps serving."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mvcpy.error_handling import handle_error
from mvcpy.errors import ClientDisconnected, HTTPError
from mvcpy.results import to_response

if TYPE_CHECKING:
    from mvcpy.application import Application
    from mvcpy.context import Context
    from mvcpy.filters.chain import CallNext
    from mvcpy.http.response import Response

__all__ = ["Recovery", "RecoveryHandler"]

logger = logging.getLogger("mvcpy.errors")

RecoveryHandler = Callable[["Context", BaseException], Any]


class Recovery:
    """Answer unexpected exceptions from inner filters and actions with a 500.

    Without ``handler`` the answer comes from the route's and app's error handlers
    (JSON or HTML, the debug page in dev), exactly as for an action error. With
    ``handler(ctx, exc)`` (sync or async, returning anything an action may return) that
    function answers every unexpected exception instead. The traceback is logged once.
    :class:`~mvcpy.HTTPError` (404, 403, ...) is not an unexpected exception and passes.
    """

    __slots__ = ("_debug", "handler")

    def __init__(self, handler: RecoveryHandler | None = None) -> None:
        self.handler = handler
        self._debug = False

    def bind(self, app: Application) -> None:
        """Read the app's debug flag (called at startup)."""
        self._debug = app.debug

    async def __call__(self, ctx: Context, call_next: CallNext) -> Response:
        """Run the chain; turn an escaping exception into a response."""
        try:
            response: Response = await call_next(ctx)
        except (HTTPError, ClientDisconnected):
            raise
        except Exception as exc:
            if self.handler is None:
                route = ctx.route
                registries = (
                    route.error_handlers if route is not None else ctx.app._app_error_handlers
                )
                answer = await handle_error(ctx, exc, registries, self._debug)
                if answer is None:  # the client is gone
                    raise
                return answer
            ctx.error = exc
            logger.error(
                "Unhandled %s in %s %s (route %s)",
                type(exc).__name__,
                ctx.request.method,
                ctx.request.path,
                ctx.route_name,
                exc_info=exc,
            )
            return await self._answer(ctx, exc)
        error = ctx.error
        # The action's error was already logged and answered by the error handlers;
        # a custom handler still gets the final word on unexpected ones.
        if self.handler is not None and error is not None and not isinstance(error, HTTPError):
            return await self._answer(ctx, error)
        return response

    async def _answer(self, ctx: Context, exc: BaseException) -> Response:
        assert self.handler is not None
        result = self.handler(ctx, exc)
        if inspect.isawaitable(result):
            result = await result
        response = to_response(result)
        if response.status == 200:  # a plain value from the handler still means failure
            response.status = 500
        return response

    def __repr__(self) -> str:
        return f"Recovery(handler={self.handler!r})"
