"""The spans: the request's (a filter) and each SQL statement's (SQLAlchemy events).

The request's span is the current OpenTelemetry context while the request runs (a sync
action's thread gets a copy of it), so statements become its children. The tracer of the
request's app is kept in ``mvcpy.types.CURRENT_TRACER``: an engine's statements are
traced only inside a traced request, and for that request's app; the unit of work adds
the action's span and the views each template's through it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mvcpy.filters.observe import UNMATCHED  # the span's name when no route matched
from mvcpy.types import CURRENT_TRACER

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

    from mvcpy.context import Context
    from mvcpy.filters.chain import CallNext
    from mvcpy.http.response import Response

__all__ = ["TracingFilter", "listen_to_statements"]


class TracingFilter:
    """App-wide: one server span per request, named after its route."""

    __slots__ = ("tracer",)

    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer

    async def __call__(self, ctx: Context, call_next: CallNext) -> Response:
        """Continue the caller's trace (``traceparent``) or start one; time the request."""
        from opentelemetry import propagate
        from opentelemetry.trace import SpanKind, Status, StatusCode

        headers = {name.lower(): value for name, value in ctx.request.headers.items()}
        parent = propagate.extract(headers)
        route = ctx.route
        name = route.name if route is not None else UNMATCHED
        with self.tracer.start_as_current_span(
            name, context=parent, kind=SpanKind.SERVER, record_exception=True
        ) as span:
            span.set_attribute("http.request.method", ctx.request.method)
            span.set_attribute("url.path", ctx.request.path)
            if route is not None:
                span.set_attribute("http.route", route.pattern)
            token = CURRENT_TRACER.set(self.tracer)
            try:
                response: Response = await call_next(ctx)
            finally:
                CURRENT_TRACER.reset(token)
                if ctx.request_id:
                    span.set_attribute("mvcpy.request_id", ctx.request_id)
            span.set_attribute("http.response.status_code", response.status)
            if response.status >= 500:
                span.set_status(Status(StatusCode.ERROR))
            return response

    def __repr__(self) -> str:
        return "TracingFilter()"


def listen_to_statements() -> None:
    """Trace every engine's statements run inside a traced request (once per process)."""
    from sqlalchemy.engine import Engine

    from mvcpy.orm.events import listen_once

    listen_once(
        "mvcpy.tracing",
        Engine,
        {"before_cursor_execute": _before, "after_cursor_execute": _after, "handle_error": _failed},
    )


def _before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
    tracer = CURRENT_TRACER.get()
    if tracer is None or context is None:
        return
    from opentelemetry.trace import SpanKind

    words = statement.split(None, 1)
    span = tracer.start_span(
        words[0].upper() if words else "SQL",
        kind=SpanKind.CLIENT,
        attributes={
            "db.system.name": conn.dialect.name,
            "db.query.text": statement[:2000],
        },
    )
    context._mvcpy_span = span


def _after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
    span = getattr(context, "_mvcpy_span", None)
    if span is not None:
        span.end()


def _failed(exception_context: Any) -> None:
    from opentelemetry.trace import Status, StatusCode

    span = getattr(exception_context.execution_context, "_mvcpy_span", None)
    if span is not None:
        span.set_status(
            Status(StatusCode.ERROR, type(exception_context.original_exception).__name__)
        )
        span.end()
