"""The request's unit of work: the one place the transaction rule is written.

What an endpoint did through ``ctx.db``/``ctx.adb`` (actions, function handlers, a
WebSocket handshake's ``before()``) is committed when it answers with a status below 500,
before the response goes out, and rolled back when it raises. An error that says the
database is unavailable (refused, lost, timed out) becomes a 503 with ``Retry-After``
(mvcpy.orm.availability), with one log line rather than a traceback. :func:`mvcpy.serving.assemble`
wraps every route's endpoint in :class:`UnitOfWork` once, at startup. A request that
never touches the database pays one ``is None`` check.

While the endpoint runs, :data:`current_unit` holds its context, so what joins the
transaction without being handed the context (a job sent with ``job.send()``,
mvcpy.jobs) finds it; a running job sets it to its own unit of work.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

from mvcpy.types import CURRENT_TRACER

if TYPE_CHECKING:
    from mvcpy.context import Context
    from mvcpy.filters.chain import Endpoint
    from mvcpy.http.response import Response

__all__ = ["Unit", "UnitOfWork", "current_unit", "database_answer", "end_late_session"]


class Unit(Protocol):
    """A unit of work: the database sessions committed or rolled back together at its end
    (a request's :class:`~mvcpy.context.Context`, a running job's context)."""

    @property
    def db(self) -> Any:
        """The unit's session, opened on first use."""
        ...

    @property
    def adb(self) -> Any:
        """The unit's async session, opened on first use."""
        ...


#: The unit of work running now (None outside a request's endpoint or a job).
current_unit: ContextVar[Unit | None] = ContextVar("mvcpy_unit", default=None)


async def end_late_session(ctx: Context, ok: bool) -> None:
    """End a database session a filter opened after the endpoint's unit of work ended:
    committed only when ``ok`` (a WebSocket handshake that was accepted), else rolled back."""
    db_scope = ctx.db_scope
    if db_scope is not None and db_scope.is_open:
        await db_scope.end_async(ok)


class UnitOfWork:
    """Wrap an endpoint: commit the request's database session after it, or roll back."""

    __slots__ = ("endpoint", "is_sync", "traced")

    def __init__(self, endpoint: Endpoint, traced: bool = False) -> None:
        self.endpoint = endpoint
        self.is_sync = endpoint.is_sync
        #: whether the app traces requests (mvcpy.tracing): else no tracer is looked up
        self.traced = traced

    def call_sync(self, ctx: Context) -> Response:
        """Run the endpoint on this (worker) thread, then end its unit of work."""
        token = current_unit.set(ctx)
        try:
            tracer = CURRENT_TRACER.get() if self.traced else None
            if tracer is None:
                response = self.endpoint.call_sync(ctx)
            else:
                with tracer.start_as_current_span("action", attributes=_action(ctx)):
                    response = self.endpoint.call_sync(ctx)
            if ctx.db_scope is not None:  # commit before the response goes out
                ctx.db_scope.end(response.status < 500)
        except BaseException as exc:
            if ctx.db_scope is None:
                raise
            answer = database_answer(ctx, exc)
            try:
                ctx.db_scope.end(False)  # the endpoint used the database: roll back
            except Exception:
                if answer is None:
                    raise
            if answer is not None:
                raise answer from exc
            raise
        finally:
            current_unit.reset(token)
        return response

    async def call_async(self, ctx: Context) -> Response:
        """Await the endpoint, then end its unit of work."""
        token = current_unit.set(ctx)
        try:
            tracer = CURRENT_TRACER.get() if self.traced else None
            if tracer is None:
                response = await self.endpoint.call_async(ctx)
            else:
                with tracer.start_as_current_span("action", attributes=_action(ctx)):
                    response = await self.endpoint.call_async(ctx)
            if ctx.db_scope is not None:  # commit before the response goes out
                await ctx.db_scope.end_async(response.status < 500)
        except BaseException as exc:
            if ctx.db_scope is None:
                raise
            answer = database_answer(ctx, exc)
            try:
                await ctx.db_scope.end_async(False)  # roll back
            except Exception:
                if answer is None:
                    raise
            if answer is not None:
                raise answer from exc
            raise
        finally:
            current_unit.reset(token)
        return response


def _action(ctx: Context) -> dict[str, str]:
    """The attributes of an action's span (mvcpy.tracing): what ran."""
    route = ctx.route
    return {"code.function": route.target if route is not None else "?"}


def database_answer(ctx: Context, exc: BaseException) -> Exception | None:
    """The 503 for an error that says the request's database is unavailable, else None
    (also asked by the dispatcher about errors raised in filters)."""
    if ctx.db_scope is None or not isinstance(exc, Exception):
        return None  # a cancelled task or an exit is rolled back and passed on as it is
    where = f"{ctx.request.method} {ctx.request.path} (route {ctx.route_name})"
    return ctx.db_scope.answer_for(exc, where)
