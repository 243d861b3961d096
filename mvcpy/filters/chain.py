"""Compose filters around an endpoint into one handler, once per route at startup.

A filter is ``async def f(ctx, call_next)`` or ``def f(ctx, call_next)``; it calls
``call_next(ctx)`` to run the rest of the chain (``await`` it in async filters) and
returns a :class:`~mvcpy.http.Response`, or answers by itself without calling it.

Sync pieces never run on the event loop: the longest sync tail of a chain (sync
filters around a sync endpoint) runs on one worker thread, in one hop. A sync filter
in front of async pieces runs on a worker thread and its ``call_next`` blocks that
thread, not the loop, while the rest runs on the loop.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any, Protocol

from mvcpy.threads import in_thread

if TYPE_CHECKING:
    from mvcpy.context import Context
    from mvcpy.http.response import Response

__all__ = [
    "CallNext",
    "Endpoint",
    "Filter",
    "Handler",
    "compose",
    "filter_name",
    "is_async_callable",
]

Handler = Callable[["Context"], Awaitable["Response"]]
SyncHandler = Callable[["Context"], "Response"]
CallNext = Callable[["Context"], Any]
Filter = Callable[["Context", CallNext], Any]


class Endpoint(Protocol):
    """What a chain ends in: a controller action or a function handler."""

    is_sync: bool

    def call_sync(self, ctx: Context) -> Response:
        """Run the whole endpoint synchronously (on a worker thread)."""
        ...

    async def call_async(self, ctx: Context) -> Response:
        """Run the endpoint on the event loop."""
        ...


def is_async_callable(obj: Any) -> bool:
    """Tell whether calling ``obj`` returns an awaitable (functions, partials, callables)."""
    while isinstance(obj, functools.partial):
        obj = obj.func
    return inspect.iscoroutinefunction(obj) or (
        callable(obj) and inspect.iscoroutinefunction(getattr(obj, "__call__", None))  # noqa: B004
    )


def filter_name(filter: Any) -> str:
    """How a filter is named in route stats and spans: its function's or class's name (a
    wrapper of mvcpy's names the filter it wraps, in ``mvcpy_filter_name``)."""
    return (
        getattr(filter, "mvcpy_filter_name", None)
        or getattr(filter, "__qualname__", None)
        or type(filter).__qualname__
    )


class _AsyncLayer:
    __slots__ = ("filter", "next")

    def __init__(self, filter: Filter, next: Handler) -> None:
        self.filter = filter
        self.next = next

    def __call__(self, ctx: Context) -> Awaitable[Response]:
        # PERF: returns the filter's coroutine directly; no extra frame per layer.
        return self.filter(ctx, self.next)  # type: ignore[no-any-return]


class _SyncLayer:
    __slots__ = ("filter", "next")

    def __init__(self, filter: Filter, next: SyncHandler) -> None:
        self.filter = filter
        self.next = next

    def __call__(self, ctx: Context) -> Response:
        return self.filter(ctx, self.next)  # type: ignore[no-any-return]


class _ThreadHop:
    """Run a sync handler on the app's worker pool."""

    __slots__ = ("executor", "fn")

    def __init__(self, fn: SyncHandler, executor: Executor | None) -> None:
        self.fn = fn
        self.executor = executor

    async def __call__(self, ctx: Context) -> Response:
        loop = asyncio.get_running_loop()
        ctx.request.loop = loop
        # Context variables set by async filters (a request id for logging) stay visible.
        run = contextvars.copy_context().run
        return await in_thread(self.executor, run, self.fn, ctx)


class _SyncFilterOverAsync:
    """A sync filter whose ``call_next`` leads back to async code on the loop."""

    __slots__ = ("executor", "filter", "next")

    def __init__(self, filter: Filter, next: Handler, executor: Executor | None) -> None:
        self.filter = filter
        self.next = next
        self.executor = executor

    async def __call__(self, ctx: Context) -> Response:
        loop = asyncio.get_running_loop()
        ctx.request.loop = loop
        run = contextvars.copy_context().run
        return await in_thread(self.executor, run, self._run, ctx)

    def _run(self, ctx: Context) -> Response:
        return self.filter(ctx, self._call_next_blocking)  # type: ignore[no-any-return]

    def _call_next_blocking(self, ctx: Context) -> Response:
        loop = ctx.request.loop
        assert loop is not None
        return asyncio.run_coroutine_threadsafe(self.next(ctx), loop).result()  # type: ignore[arg-type]


def compose(filters: Sequence[Filter], endpoint: Endpoint, executor: Executor | None) -> Handler:
    """Wrap ``endpoint`` in ``filters`` (the first is outermost) and return one async handler."""
    sync_tail: SyncHandler | None = endpoint.call_sync if endpoint.is_sync else None
    handler: Handler | None = None if endpoint.is_sync else endpoint.call_async
    for filter in reversed(filters):
        if is_async_callable(filter):
            if sync_tail is not None:
                handler = _ThreadHop(sync_tail, executor)
                sync_tail = None
            assert handler is not None
            handler = _AsyncLayer(filter, handler)
        elif sync_tail is not None:
            sync_tail = _SyncLayer(filter, sync_tail)
        else:
            assert handler is not None
            handler = _SyncFilterOverAsync(filter, handler, executor)
    if sync_tail is not None:
        handler = _ThreadHop(sync_tail, executor)
    assert handler is not None
    return handler
