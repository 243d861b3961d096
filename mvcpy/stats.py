"""Route statistics: after each response, tell callbacks what ran and how long it took.

Opt-in: with no ``app.on_request_complete`` callback nothing here is on the request
path. With one, every filter and endpoint is wrapped once at startup with a timer.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from mvcpy.filters.chain import CallNext, Endpoint, Filter, filter_name, is_async_callable

if TYPE_CHECKING:
    from mvcpy.context import Context
    from mvcpy.http.response import Response
    from mvcpy.types import Message, Scope, Send

__all__ = ["RouteStat", "StatsRecorder", "timed_chain"]

logger = logging.getLogger("mvcpy.stats")
_KEY = "mvcpy.stats"

StatsCallback = Callable[["RouteStat"], Any]


class RouteStat:
    """What one request did: route, status, size and where the time went (seconds)."""

    __slots__ = (
        "action",
        "duration",
        "filters",
        "method",
        "path",
        "pattern",
        "request_id",
        "response_size",
        "route_name",
        "status",
    )

    def __init__(
        self,
        method: str,
        path: str,
        pattern: str | None,
        route_name: str | None,
        status: int,
        response_size: int,
        duration: float,
        filters: list[tuple[str, float]],
        action: float | None,
        request_id: str | None,
    ) -> None:
        self.method = method
        self.path = path
        #: the matched route's pattern (``/posts/{id:int}``), ``None`` when nothing matched
        self.pattern = pattern
        self.route_name = route_name
        self.status = status
        #: body bytes sent
        self.response_size = response_size
        #: from the request's arrival to the end of the response
        self.duration = duration
        #: each filter's own time, outermost first, excluding what it called
        self.filters = filters
        #: the action's time (prepare, action, finish, render); ``None`` when it did not run
        self.action = action
        self.request_id = request_id

    def __repr__(self) -> str:
        return (
            f"<RouteStat {self.method} {self.path} {self.status} {self.response_size}B "
            f"{self.duration * 1000:.2f}ms>"
        )


class _Record:
    __slots__ = ("action", "ctx", "layers", "size", "status")

    def __init__(self) -> None:
        self.ctx: Context | None = None
        self.layers: list[tuple[int, str, float]] = []
        self.action: float | None = None
        self.status = 0
        self.size = 0


class _TimedAsyncFilter:
    __slots__ = ("filter", "index", "name")

    def __init__(self, filter: Filter, index: int) -> None:
        self.filter = filter
        self.index = index
        self.name = filter_name(filter)

    async def __call__(self, ctx: Context, call_next: CallNext) -> Any:
        record: _Record | None = ctx.scope.get(_KEY)
        if record is None:
            return await self.filter(ctx, call_next)
        record.ctx = ctx
        start = time.perf_counter()
        try:
            return await self.filter(ctx, call_next)
        finally:
            record.layers.append((self.index, self.name, time.perf_counter() - start))


class _TimedSyncFilter:
    __slots__ = ("filter", "index", "name")

    def __init__(self, filter: Filter, index: int) -> None:
        self.filter = filter
        self.index = index
        self.name = filter_name(filter)

    def __call__(self, ctx: Context, call_next: CallNext) -> Any:
        record: _Record | None = ctx.scope.get(_KEY)
        if record is None:
            return self.filter(ctx, call_next)
        record.ctx = ctx
        start = time.perf_counter()
        try:
            return self.filter(ctx, call_next)
        finally:
            record.layers.append((self.index, self.name, time.perf_counter() - start))


class _TimedEndpoint:
    __slots__ = ("endpoint", "is_sync")

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.is_sync = endpoint.is_sync

    def call_sync(self, ctx: Context) -> Response:
        record: _Record | None = ctx.scope.get(_KEY)
        start = time.perf_counter()
        try:
            return self.endpoint.call_sync(ctx)
        finally:
            if record is not None:
                record.ctx = ctx
                record.action = time.perf_counter() - start

    async def call_async(self, ctx: Context) -> Response:
        record: _Record | None = ctx.scope.get(_KEY)
        start = time.perf_counter()
        try:
            return await self.endpoint.call_async(ctx)
        finally:
            if record is not None:
                record.ctx = ctx
                record.action = time.perf_counter() - start


def timed_chain(
    filters: Sequence[Filter], endpoint: Endpoint
) -> tuple[tuple[Filter, ...], Endpoint]:
    """Wrap a route's filters and endpoint with timers (sync stays sync, async async)."""
    wrapped: list[Filter] = []
    for index, filter in enumerate(filters):
        if is_async_callable(filter):
            wrapped.append(_TimedAsyncFilter(filter, index))
        else:
            wrapped.append(_TimedSyncFilter(filter, index))
    return tuple(wrapped), _TimedEndpoint(endpoint)


class _CountingSend:
    __slots__ = ("record", "send")

    def __init__(self, send: Send, record: _Record) -> None:
        self.send = send
        self.record = record

    async def __call__(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.record.status = message["status"]
        elif kind == "http.response.body":
            self.record.size += len(message.get("body", b""))
        await self.send(message)


class StatsRecorder:
    """Wrap the app's ASGI entry so that each HTTP request ends with the stats callbacks."""

    __slots__ = ("callbacks", "handler")

    def __init__(self, handler: Callable[..., Any], callbacks: Sequence[StatsCallback]) -> None:
        self.handler = handler
        self.callbacks = tuple(callbacks)

    async def __call__(self, scope: Scope, receive: Any, send: Send) -> None:
        if scope["type"] != "http":  # WebSocket and lifespan scopes are not counted
            await self.handler(scope, receive, send)
            return
        record = _Record()
        scope[_KEY] = record
        start = time.perf_counter()
        try:
            await self.handler(scope, receive, _CountingSend(send, record))
        finally:
            duration = time.perf_counter() - start
            await self._report(scope, record, duration)

    async def _report(self, scope: Scope, record: _Record, duration: float) -> None:
        ctx = record.ctx
        route = ctx.route if ctx is not None else None
        layers = sorted(record.layers)
        totals = {index: total for index, _, total in layers}
        filters = []
        for index, name, total in layers:
            inner = totals.get(index + 1)
            if inner is None and index == layers[-1][0]:
                inner = record.action  # the innermost filter that ran called the action
            filters.append((name, max(total - (inner or 0.0), 0.0)))
        stat = RouteStat(
            scope["method"],
            scope["path"],
            route.pattern if route is not None else None,
            route.name if route is not None else None,
            record.status,
            record.size,
            duration,
            filters,
            record.action,
            getattr(ctx, "request_id", None) if ctx is not None else None,
        )
        for callback in self.callbacks:
            try:
                result = callback(stat)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                logger.exception("on_request_complete callback %r failed", callback)
