"""ASGI type aliases shared by the package, and the scope keys mvcpy adds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from typing import Any

__all__ = [
    "CURRENT_QUERY_LOG",
    "CURRENT_TRACER",
    "QUERIES_KEY",
    "QUERY_COUNTERS",
    "REFUSED_KEY",
    "USER_KEY",
    "ASGIApp",
    "Message",
    "Receive",
    "Scope",
    "Send",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The scope key by which an ASGI middleware in front of the app refuses a request:
#: ``(status, reason)``. The app answers it as any other 4xx, through its filters, error
#: pages and access log, instead of the middleware answering on its own.
REFUSED_KEY = "mvcpy.refused"

#: where a request context keeps its user once loaded (``ctx.__dict__``): mvcpy.auth loads
#: it, and the core's authentication filters set it, so that every credential gives one user
USER_KEY = "_mvcpy_current_user"

#: where a request context keeps the SQL it ran, ``[(statement, seconds)]``, when the
#: query inspector (mvcpy.orm.inspector) is on: the development error page lists them
QUERIES_KEY = "_mvcpy_queries"

#: the OpenTelemetry tracer of the traced request running now (mvcpy.tracing sets it),
#: through which the core and the views add the action's and the templates' spans; None
#: when tracing is off, which costs them one lookup
CURRENT_TRACER: ContextVar[Any] = ContextVar("mvcpy_tracer", default=None)
#: The query inspector's log of the request running now (mvcpy.orm.inspector), or None;
#: the fast path (mvcpy.orm.sql) runs statements through SQLAlchemy while one is open.
CURRENT_QUERY_LOG: ContextVar[Any] = ContextVar("mvcpy_query_log", default=None)
#: The open ``assert_queries`` blocks (mvcpy.orm.inspector), which count every thread's.
QUERY_COUNTERS: list[Any] = []
