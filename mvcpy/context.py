"""The request context handed to filters, function handlers and controllers."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mvcpy.http.request import Request, State
from mvcpy.translation import active_locale
from mvcpy.types import Receive, Scope, Send

if TYPE_CHECKING:
    from mvcpy.application import Application
    from mvcpy.orm.request import RequestDB
    from mvcpy.orm.session import AsyncDbSession, DbSession
    from mvcpy.orm.sql import AsyncSql, Sql
    from mvcpy.routing.router import Miss, Route
    from mvcpy.sessions.session import Session

__all__ = ["AfterResponse", "Context"]

AfterResponse = Callable[["Context"], Any]

logger = logging.getLogger("mvcpy")


class Context:
    """Everything one request needs: the app, the request, the matched route and its params.

    ``ctx.state`` carries values between filters and the action. Users may attach
    their own attributes. ``ctx.request_id`` is set by the request-id filter.
    """

    __slots__ = (
        "__dict__",
        "_after_response",
        "_session",
        "app",
        "db_scope",
        "error",
        "miss",
        "params",
        "receive",
        "request",
        "request_id",
        "route",
        "scope",
        "send",
    )

    def __init__(
        self,
        app: Application,
        scope: Scope,
        receive: Receive,
        send: Send,
        request: Request,
        route: Route | None,
        params: dict[str, Any],
        miss: Miss | None = None,
    ) -> None:
        self.app = app
        self.scope = scope
        self.receive = receive
        self.send = send
        self.request = request
        self.route = route
        self.params = params
        self.miss = miss
        self.error: BaseException | None = None
        #: this request's database sessions, created on first use of ``db``/``adb``
        self.db_scope: RequestDB | None = None
        self.request_id: str | None = None
        self._after_response: list[AfterResponse] | None = None
        self._session: Session | None = None

    @property
    def state(self) -> State:
        """Values shared by the filters and the action for this request."""
        return self.request.state

    @property
    def route_name(self) -> str | None:
        """The matched route's name, or ``None`` when nothing matched."""
        route = self.route
        return route.name if route is not None else None

    @property
    def locale(self) -> str:
        """This request's locale (``en``, ``fr``, ``pt_BR``), chosen by the i18n component."""
        return active_locale()

    def after_response(self, fn: AfterResponse) -> None:
        """Run ``fn(ctx)`` (sync or async) once the response has been sent to the client."""
        if self._after_response is None:
            self._after_response = [fn]
        else:
            self._after_response.append(fn)

    @property
    def db(self) -> DbSession:
        """This request's database session, opened on first use and ended with the action."""
        return self.database_scope.session(self.request)

    @property
    def adb(self) -> AsyncDbSession:
        """This request's async database session (for ``async def`` actions)."""
        return self.database_scope.async_session(self.request)

    @property
    def sql(self) -> Sql:
        """This request's runner of compiled statements (mvcpy.orm.sql), in its transaction."""
        return self.database_scope.sql(self.request)

    @property
    def asql(self) -> AsyncSql:
        """This request's runner of compiled statements, awaited (for ``async def`` actions)."""
        return self.database_scope.async_sql(self.request)

    @property
    def database_scope(self) -> RequestDB:
        """What this request opened of the database (``db_scope``), made on first use."""
        scope = self.db_scope
        if scope is None:
            app = self.app
            scope = self.db_scope = app.database.request_scope(app._executor)
        return scope

    @property
    def session(self) -> Session:
        """This request's session: a dict loaded on first use, saved with the response."""
        session = self._session
        if session is None:
            manager = self.app.sessions
            if manager is None:
                from mvcpy.views.errors import SessionsNotEnabled

                raise SessionsNotEnabled("sessions are off: [session] enabled = false")
            session = self._session = manager.open(self.request)
        return session

    async def run_after_response(self) -> None:
        """Run the callbacks registered with :meth:`after_response` (errors are logged)."""
        callbacks = self._after_response
        self._after_response = None
        for fn in callbacks or ():
            try:
                result = fn(self)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                logger.exception("after-response callback %r failed", fn)

    def url_for(self, name: str, /, **params: Any) -> str:
        """Build the URL of route ``name`` (``_external=True`` uses this request's host)."""
        return self.app.url_for(name, _request=self.request, **params)

    def __repr__(self) -> str:
        return f"<Context {self.request.method} {self.request.path} route={self.route_name!r}>"
