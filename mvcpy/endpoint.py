"""Plain function handlers: ``fn(ctx)`` or ``async def fn(ctx)``, path params by name."""

from __future__ import annotations

import inspect
from collections.abc import Callable
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

    __slots__ = ("binder", "fn", "is_sync")

    def __init__(self, fn: Callable[..., Any], path_params: set[str], label: str) -> None:
        if not callable(fn):
            raise ConfigurationError(f"{label}: handler {fn!r} is not callable")
        parameters = list(inspect.signature(fn).parameters.values())
        if not parameters:
            raise ConfigurationError(f"{label}: a handler takes the request context: def fn(ctx)")
        self.fn = fn
        self.binder = Binder(fn, path_params, label, skip_first=True)
        self.is_sync = not is_async_callable(fn)

    def resolve(self, container: Container) -> None:
        """Resolve injected parameters (at startup)."""
        self.binder.resolve(container)

    def call_sync(self, ctx: Context) -> Response:
        """Call the handler on this (worker) thread."""
        if self.binder.empty:
            return to_response(self.fn(ctx))
        return to_response(self.fn(ctx, **self.binder.bind(ctx)))

    async def call_async(self, ctx: Context) -> Response:
        """Await the handler on the loop."""
        if self.binder.empty:
            return to_response(await self.fn(ctx))
        if self.binder.needs_load:
            await self.binder.load(ctx)
        return to_response(await self.fn(ctx, **self.binder.bind(ctx)))
