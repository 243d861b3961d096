"""Plain function handlers: ``fn(ctx)`` or ``async def fn(ctx)``, path params by name."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

from mvcpy.binding import Binder
from mvcpy.di import Container
from mvcpy.errors import ConfigurationError
from mvcpy.filters.chain import is_async_callable
from mvcpy.results import to_response

if TYPE_CHECKING:
    from mvcpy.context import Context
    from mvcpy.http.response import Response

__all__ = ["FunctionEndpoint"]


class FunctionEndpoint:
    """A function handler bound to a route; its first parameter receives the context."""

    __slots__ = ("binder", "executor", "fn", "is_sync")

    def __init__(self, fn: Callable[..., Any], path_params: set[str], label: str) -> None:
        if not callable(fn):
            raise ConfigurationError(f"{label}: handler {fn!r} is not callable")
        parameters = list(inspect.signature(fn).parameters.values())
        if not parameters:
            raise ConfigurationError(f"{label}: a handler takes the request context: def fn(ctx)")
        self.fn = fn
        self.binder = Binder(fn, path_params, label, skip_first=True)
        self.is_sync = not is_async_callable(fn)
        self.executor: Executor | None = None  # the app's worker pool, set at startup

    def resolve(self, container: Container) -> None:
        """Resolve injected parameters (at startup)."""
        self.binder.resolve(container)

    def call_sync(self, ctx: Context) -> Response:
        """Call the handler on this (worker) thread."""
        try:
            if self.binder.empty:
                response = to_response(self.fn(ctx))
            else:
                response = to_response(self.fn(ctx, **self.binder.bind(ctx)))
        except BaseException:
            if ctx.db_scope is not None:  # the handler used the database: roll back
                ctx.db_scope.end(False)
            raise
        if ctx.db_scope is not None:  # commit before the response goes out
            ctx.db_scope.end(response.status < 500)
        return response

    async def call_async(self, ctx: Context) -> Response:
        """Await the handler on the loop."""
        try:
            if self.binder.empty:
                response = to_response(await self.fn(ctx))
            else:
                if self.binder.needs_load:
                    await self.binder.load(ctx)
                response = to_response(await self.fn(ctx, **self.binder.bind(ctx)))
        except BaseException:
            if ctx.db_scope is not None:  # the handler used the database: roll back
                await ctx.db_scope.end_async(False, self.executor)
            raise
        if ctx.db_scope is not None:  # commit before the response goes out
            await ctx.db_scope.end_async(response.status < 500, self.executor)
        return response
