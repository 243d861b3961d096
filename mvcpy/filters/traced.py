"""A span per filter when tracing is on: each filter of a route runs inside a span named
after it, a child of the filter around it, so a trace shows the onion as it ran.

Core code: the tracer is the request's, read from ``mvcpy.types.CURRENT_TRACER`` (set by
the tracing component's filter), so nothing here imports OpenTelemetry; before the
tracing filter has run (the filters outside it) there is no tracer and no span.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mvcpy.filters.chain import Filter, filter_name, is_async_callable
from mvcpy.types import CURRENT_TRACER

if TYPE_CHECKING:
    from mvcpy.context import Context
    from mvcpy.filters.chain import CallNext

__all__ = ["traced_chain"]


class _TracedAsyncFilter:
    __slots__ = ("filter", "mvcpy_filter_name", "span")

    def __init__(self, filter: Filter) -> None:
        self.filter = filter
        self.mvcpy_filter_name = filter_name(filter)
        self.span = f"filter {self.mvcpy_filter_name}"

    async def __call__(self, ctx: Context, call_next: CallNext) -> Any:
        tracer = CURRENT_TRACER.get()
        if tracer is None:
            return await self.filter(ctx, call_next)
        with tracer.start_as_current_span(self.span):
            return await self.filter(ctx, call_next)


class _TracedSyncFilter:
    __slots__ = ("filter", "mvcpy_filter_name", "span")

    def __init__(self, filter: Filter) -> None:
        self.filter = filter
        self.mvcpy_filter_name = filter_name(filter)
        self.span = f"filter {self.mvcpy_filter_name}"

    def __call__(self, ctx: Context, call_next: CallNext) -> Any:
        tracer = CURRENT_TRACER.get()
        if tracer is None:
            return self.filter(ctx, call_next)
        with tracer.start_as_current_span(self.span):
            return self.filter(ctx, call_next)


def traced_chain(filters: Sequence[Filter]) -> tuple[Filter, ...]:
    """Wrap each filter so that it runs in a span of its own (sync stays sync)."""
    return tuple(
        _TracedAsyncFilter(f) if is_async_callable(f) else _TracedSyncFilter(f) for f in filters
    )
