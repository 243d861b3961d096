"""The query inspector: the SQL each request runs, how long it took, and N+1 patterns.

In development (``[database] inspect_queries``, on with ``debug``) a filter gives every
request a :class:`QueryLog`: the response carries ``X-Query-Count`` and a
``Server-Timing`` entry, the debug page lists the statements, and a SELECT that runs
``repeated_query_warning`` times or more in one request is logged as a likely N+1
pattern, with the route and the statement. :func:`assert_queries` counts the statements
of a block of a test.

The statements are seen through SQLAlchemy's cursor events, listened to on every engine
once something asks for them; outside an inspected request or a counting block they cost
a context-variable read.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from mvcpy.types import CURRENT_QUERY_LOG, QUERIES_KEY, QUERY_COUNTERS

if TYPE_CHECKING:
    from mvcpy.context import Context
    from mvcpy.filters.chain import CallNext
    from mvcpy.http.response import Response

__all__ = ["QueryCounter", "QueryInspector", "QueryLog", "assert_queries", "listen"]

logger = logging.getLogger("mvcpy.queries")

#: statements that frame transactions rather than query data: not counted
_FRAMING = re.compile(r"\s*(SAVEPOINT|RELEASE|ROLLBACK|BEGIN|COMMIT)\b", re.IGNORECASE)
_SPACES = re.compile(r"\s+")

_current: ContextVar[QueryLog | None] = CURRENT_QUERY_LOG
_counters: list[QueryCounter] = QUERY_COUNTERS
_lock = threading.Lock()


class QueryLog:
    """The statements of one request, in order, with their durations in seconds."""

    __slots__ = ("entries",)

    def __init__(self) -> None:
        self.entries: list[tuple[str, float]] = []

    @property
    def count(self) -> int:
        """How many statements ran."""
        return len(self.entries)

    @property
    def seconds(self) -> float:
        """How long they took, together."""
        return sum(seconds for _, seconds in self.entries)

    def repeated(self, at_least: int) -> list[tuple[str, int]]:
        """SELECTs that ran ``at_least`` times or more, most repeated first."""
        counts = Counter(sql for sql, _ in self.entries if sql[:6].upper() == "SELECT")
        return [(sql, n) for sql, n in counts.most_common() if n >= at_least]


class QueryCounter:
    """The statements run, in any thread, while an :func:`assert_queries` block is open."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        """How many statements ran in the block."""
        return len(self.statements)


def _one_line(statement: str) -> str:
    return _SPACES.sub(" ", statement).strip()


def _before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
    if context is not None:
        context._mvcpy_started = time.perf_counter()


def _after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
    log = _current.get()
    if (log is None and not _counters) or _FRAMING.match(statement):
        return
    started = getattr(context, "_mvcpy_started", None)
    seconds = time.perf_counter() - started if started is not None else 0.0
    sql = _one_line(statement)
    if log is not None:
        log.entries.append((sql, seconds))
    for counter in list(_counters):
        counter.statements.append(sql)


def listen() -> None:
    """Listen to every engine's statements (once a process)."""
    from sqlalchemy import Engine

    from mvcpy.orm.events import listen_once

    listen_once(
        "mvcpy.queries", Engine, {"before_cursor_execute": _before, "after_cursor_execute": _after}
    )


class QueryInspector:
    """The filter that logs each request's statements (the database component adds it)."""

    __slots__ = ("repeats",)

    def __init__(self, repeats: int = 3) -> None:
        #: a SELECT that runs this many times in one request is logged as N+1
        self.repeats = repeats
        listen()

    async def __call__(self, ctx: Context, call_next: CallNext) -> Response:
        """Record the request's statements; report them on the response and in the log."""
        log = QueryLog()
        token = _current.set(log)
        ctx.__dict__[QUERIES_KEY] = log.entries  # for the debug page
        try:
            response: Response = await call_next(ctx)
        finally:
            _current.reset(token)
        response.set_header("x-query-count", str(log.count))
        response.add_header(
            "server-timing", f'db;desc="{log.count} queries";dur={log.seconds * 1000:.1f}'
        )
        for sql, times in log.repeated(self.repeats):
            logger.warning(
                "%s %s (route %s) ran one query %d times, an N+1 pattern: %s -- load it with "
                "the first query (selectinload/joinedload) or batch it",
                ctx.request.method, ctx.request.path, ctx.route_name, times, sql[:300],
            )  # fmt: skip
        return response

    def __repr__(self) -> str:
        return f"QueryInspector(repeats={self.repeats})"


@contextmanager
def assert_queries(expected: int) -> Iterator[QueryCounter]:
    """Fail unless the block runs exactly ``expected`` SQL statements (any engine, any
    thread: the test client's requests count; transaction framing does not)."""
    listen()
    counter = QueryCounter()
    with _lock:
        _counters.append(counter)
    try:
        yield counter
    finally:
        with _lock:
            _counters.remove(counter)
    if counter.count != expected:
        listing = "\n".join(f"  {n}. {sql[:200]}" for n, sql in enumerate(counter.statements, 1))
        raise AssertionError(
            f"{counter.count} SQL statement(s) ran, {expected} expected:\n{listing}"
        )
