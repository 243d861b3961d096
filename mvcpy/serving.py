"""The request path, built once when the app starts.

:func:`assemble` freezes the routes and composes each route's handler (filters, error
guard, the endpoint, route stats when asked for); the :class:`Dispatcher` it returns
serves HTTP and WebSocket scopes: host check, match, context, chain, session commit,
response, clean-up.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mvcpy.config.core import DEFAULT_SECRET_KEY, FormSettings
from mvcpy.context import Context
from mvcpy.error_handling import ErrorGuard, ErrorHandlers, handle_error
from mvcpy.errors import ConfigurationError, HTTPError
from mvcpy.filters.builtin import prepare_filters
from mvcpy.filters.chain import Filter, Handler, compose
from mvcpy.filters.security import SecurityHeaders
from mvcpy.filters.traced import traced_chain
from mvcpy.http.form import FormLimits
from mvcpy.http.request import Request
from mvcpy.http.response import RedirectResponse, Response
from mvcpy.results import to_response
from mvcpy.routing.mount import SENT, MountEndpoint
from mvcpy.routing.router import Miss, Route, request_path
from mvcpy.stats import RouteStat, StatsRecorder, timed_chain
from mvcpy.threads import WorkerThreads
from mvcpy.types import REFUSED_KEY, ASGIApp, Receive, Scope, Send
from mvcpy.unit_of_work import UnitOfWork, database_answer, end_late_session
from mvcpy.websocket import WebSocketEndpoint, serve_websocket

if TYPE_CHECKING:
    from mvcpy.application import Application

__all__ = ["Dispatcher", "OptionsHandler", "assemble", "check_production_settings"]

logger = logging.getLogger("mvcpy")

_BAD_HOST = Miss(400, "Invalid Host header")
_BAD_TARGET = Miss(400, "Invalid request target: it must be a path that starts with /")
_OLD_HTTP = Miss(400, "HTTP/0.9 requests are not served")
#: ``host[:port]`` as RFC 9110 §7.2 and RFC 3986 §3.2.2 have it: a registered name or an
#: IPv4 address, or an IPv6 literal in brackets, and a port of at most five digits (an
#: empty port is allowed: ``port = *DIGIT``).
_HOST_SYNTAX = re.compile(
    r"(?:[A-Za-z0-9._~!$&'()*+,;=%-]+|\[[0-9A-Fa-f:.]+\])(?::(?P<port>[0-9]{0,5}))?"
)
_UNMET = Miss(404, "Not Found")  # the path is routed, but no route's conditions hold

#: ``fn(ctx, allowed_methods)`` answering automatic ``OPTIONS`` requests
OptionsHandler = Callable[[Context, tuple[str, ...]], Any]


def check_production_settings(app: Application) -> None:
    """Refuse to serve ``prod`` with the default or an empty secret key; warn about debug."""
    if app.env != "prod":
        return
    key = app.config.core.secret_key
    if not key or key == DEFAULT_SECRET_KEY:
        raise ConfigurationError(
            "secret_key is not set for prod. Set MVCPY_SECRET_KEY in the environment "
            "or secret_key in [prod] of conf/app.toml, e.g. to the output of: "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    if app.config.core.debug:
        logger.warning("debug is ignored in prod: tracebacks are never shown there")


class _MissEndpoint:
    """Answers requests that matched no route: 400, 404, 405, redirects and automatic OPTIONS."""

    is_sync = False

    def __init__(self, options_handler: OptionsHandler | None) -> None:
        self.options_handler = options_handler

    def call_sync(self, ctx: Context) -> Response:  # pragma: no cover - never sync
        raise NotImplementedError

    async def call_async(self, ctx: Context) -> Response:
        miss = ctx.miss
        assert miss is not None
        if miss.location is not None:
            query = ctx.scope.get("query_string", b"")
            location = miss.location + ("?" + query.decode("latin-1") if query else "")
            return RedirectResponse(location, miss.status)
        if miss.status == 405:
            allowed = tuple(sorted({*miss.allowed, "OPTIONS"}))
            if ctx.request.method == "OPTIONS":
                handler = self.options_handler
                if handler is not None:
                    result = handler(ctx, allowed)
                    if inspect.isawaitable(result):
                        result = await result
                    return to_response(result)
                return Response(b"", 204, {"allow": ", ".join(allowed)})
            raise HTTPError(405, miss.message, {"allow": ", ".join(allowed)})
        raise HTTPError(miss.status, miss.message)


def assemble(
    app: Application,
    *,
    options_handler: OptionsHandler | None,
    on_complete: list[Callable[[RouteStat], Any]],
    lifespan: ASGIApp,
) -> Dispatcher:
    """Freeze the routes, compose every route's handler and return the dispatcher."""
    check_production_settings(app)
    core = app.config.core
    table = app.route_table
    table.strict_slashes = core.strict_slashes
    table.redirect_fixed_path = core.redirect_fixed_path
    executor = WorkerThreads(core.worker_threads, thread_name_prefix="mvcpy-worker")
    app._executor = executor
    app.sessions = app.services.get("sessions")
    prepare_filters(app)  # [filters] built-ins from the config; filter.bind(app)
    table.freeze()
    # The app's security headers are added as each response goes out (Dispatcher), not
    # by a layer of every chain: one frame fewer, and no error guard for their sake.
    outgoing = tuple(
        f
        for f in app.filters
        if isinstance(f, SecurityHeaders) and type(f).__call__ is SecurityHeaders.__call__
    )
    app_filters = tuple(f for f in app.filters if f not in outgoing)
    traced = "tracing" in app.services  # the tracing component publishes it when enabled
    for route in table.routes:
        if isinstance(route.endpoint, MountEndpoint):  # another ASGI app: no filters
            route.handler = route.endpoint.serve
            continue
        websocket = isinstance(route.endpoint, WebSocketEndpoint)
        if websocket:
            route.endpoint.prepare(app)
        namespaces = route.namespace.chain() if route.namespace is not None else [app]
        chain: list[Filter] = []
        for namespace in namespaces:
            # A WebSocket handshake keeps them as a filter: its 101 is sent by the socket.
            mine = namespace is app and not websocket
            chain.extend(app_filters if mine else namespace.filters)
        chain.extend(route.filters)
        route.filters = tuple(chain)
        route.error_handlers = tuple(ns.error_handlers for ns in reversed(namespaces))
        if hasattr(route.endpoint, "executor"):
            route.endpoint.executor = executor
        resolve = getattr(route.endpoint, "resolve", None)
        if resolve is not None:
            resolve(app.container)
        endpoint: Any = UnitOfWork(route.endpoint, traced)
        filters = traced_chain(route.filters) if traced else route.filters
        if on_complete and not websocket:  # route stats: time filters and action
            filters, endpoint = timed_chain(filters, endpoint)
        if route.filters:
            # Filters see the action's errors as responses; without filters the app
            # answers them at the top with the same handlers, one frame fewer.
            endpoint = ErrorGuard(endpoint, route.error_handlers, app.debug)
        route.handler = compose(filters, endpoint, executor)
    app._app_error_handlers = (app.error_handlers,)
    miss_handler = compose(
        app_filters,
        ErrorGuard(_MissEndpoint(options_handler), app._app_error_handlers, app.debug),
        executor,
    )
    return Dispatcher(app, miss_handler, executor, on_complete, lifespan, outgoing[::-1])


class Dispatcher:
    """Serves the app's scopes once it has started: HTTP, WebSocket, and lifespan (handed
    back to the app)."""

    __slots__ = (
        "_allowed_hosts",
        "_any_host_paths",
        "_app",
        "_app_error_handlers",
        "_debug",
        "_executor",
        "_form_limits",
        "_lifespan",
        "_match",
        "_max_body_size",
        "_miss_handler",
        "_needs_host",
        "_outgoing",
        "_sessions",
        "asgi",
    )

    def __init__(
        self,
        app: Application,
        miss_handler: Handler,
        executor: WorkerThreads,
        on_complete: list[Callable[[RouteStat], Any]],
        lifespan: ASGIApp,
        outgoing: tuple[SecurityHeaders, ...] = (),
    ) -> None:
        core = app.config.core
        hosts = core.allowed_hosts
        self._allowed_hosts = (
            tuple(h.lower() for h in hosts if h != "*") if "*" not in hosts else ()
        )
        self._any_host_paths = app._any_host_paths
        self._app = app
        self._app_error_handlers: tuple[ErrorHandlers, ...] = app._app_error_handlers
        self._debug = app.debug
        self._executor = executor
        self._form_limits = FormLimits(**app.config.section_of(FormSettings).model_dump())
        self._match = app.route_table.match
        self._max_body_size = core.max_body_size
        self._miss_handler = miss_handler
        self._needs_host = bool(self._allowed_hosts) or app.route_table.has_hosts
        self._sessions = app.sessions
        #: what adds headers to every response as it goes out (the app's SecurityHeaders)
        self._outgoing = outgoing
        self._lifespan = lifespan
        #: the ASGI entry, ``asgi(scope, receive, send)``, for every scope type (HTTP
        #: requests timed when route stats are on)
        self.asgi: ASGIApp = self._serve
        if on_complete:
            # Only apps that asked for route stats pay for counting and timing.
            self.asgi = StatsRecorder(self._serve, on_complete)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        # HTTP is served in this frame: one await fewer per request than a dispatch by type.
        kind = scope["type"]
        if kind != "http":
            if kind == "websocket":
                await self.websocket(scope, receive, send)
            elif kind == "lifespan":
                await self._lifespan(scope, receive, send)
            return
        method = scope["method"]
        raw_path = scope.get("raw_path")
        try:
            path = raw_path.decode("ascii")  # type: ignore[union-attr]
        except (AttributeError, UnicodeDecodeError):
            path = request_path(raw_path, scope["path"])
        host = _scope_host(scope) if self._needs_host else None
        route: Route | None
        params: dict[str, Any]
        miss: Miss | None
        if path[:1] != "/" or scope.get("http_version") == "0.9":
            # "GET * HTTP/1.1", or a request line without a version: the server passes
            # them on, and the router must not read "*" as "/".
            route, params, miss = None, {}, _BAD_TARGET if path[:1] != "/" else _OLD_HTTP
        elif self._allowed_hosts and (
            host is None
            or (not _host_allowed(host, self._allowed_hosts) and path not in self._any_host_paths)
        ):
            route, params, miss = None, {}, _BAD_HOST
        else:
            route, params, miss = self._match(method, path, host)
            if route is not None and route.choices:  # routes told apart by headers, query...
                route = route.choose(scope)
                if route is None:
                    miss = _UNMET
        refused = scope.get(REFUSED_KEY)
        if refused is not None:  # a middleware in front (MethodOverride) refused it
            route, params, miss = None, {}, Miss(*refused)
        request = Request(scope, receive, self._max_body_size, self._form_limits)
        ctx = Context(self._app, scope, receive, send, request, route, params, miss)
        try:
            if route is not None:
                response = await route.handler(ctx)  # type: ignore[misc]
            else:
                response = await self._miss_handler(ctx)
            if not isinstance(response, Response):
                response = to_response(response)
            session = ctx._session
            if session is not None and response.status < 500:
                manager = self._sessions
                if manager.needs_commit(session):  # saved before the response is sent
                    await manager.commit_async(session, response)
        except Exception as exc:
            registries = route.error_handlers if route is not None else self._app_error_handlers
            if ctx.db_scope is not None:  # a filter's database error: 503 when unavailable
                exc = database_answer(ctx, exc) or exc
            answer = await handle_error(ctx, exc, registries, self._debug)
            if answer is None:
                await request.aclose()
                return
            response = answer
        for outgoing in self._outgoing:
            if response is not SENT:  # a mounted app answered by itself
                outgoing.add_to(response, ctx)
        try:
            await response(scope, receive, send)
        finally:
            if ctx._after_response is not None:
                await ctx.run_after_response()
            if request._form is not None or request._cleanups is not None:
                await request.aclose()
            if ctx.db_scope is not None:  # a filter used ctx.db after the endpoint
                await end_late_session(ctx, False)

    async def websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve a WebSocket scope: the handshake through the route's filters, then the socket."""
        connect = await receive()
        if connect["type"] != "websocket.connect":
            return
        path = request_path(scope.get("raw_path"), scope["path"])
        host = _scope_host(scope) if self._needs_host else None
        if not self._allowed_hosts or _host_allowed(host or "", self._allowed_hosts):
            route, params, _ = self._match("WEBSOCKET", path, host)
            if route is not None and route.choices:
                route = route.choose(scope)
            if route is not None and isinstance(route.endpoint, MountEndpoint):
                await route.endpoint.serve_websocket(scope, connect, receive, send)
                return
            if route is not None and isinstance(route.endpoint, WebSocketEndpoint):
                # The handshake is a GET request for the filters, the session and errors.
                scope = {**scope, "method": "GET"}
                request = Request(scope, _no_body, self._max_body_size, self._form_limits)
                ctx = Context(self._app, scope, receive, send, request, route, params)
                await serve_websocket(self._app, ctx, route)
                return
        # No WebSocket route here: refuse the handshake cleanly (the server answers 403).
        await send({"type": "websocket.close", "code": 1000})


async def _no_body() -> dict[str, Any]:
    """The body of a WebSocket handshake, for filters that read one: empty."""
    return {"type": "http.request", "body": b"", "more_body": False}


def _scope_host(scope: Scope) -> str | None:
    """The host name of the request's one ``Host`` header (lower case, without the port);
    None when it is malformed (``:99999x``, ``:-1``), repeated, or missing from an
    HTTP/1.1 request, which RFC 9112 §3.2 answers with 400."""
    found: bytes | None = None
    for name, value in scope["headers"]:
        if name == b"host":
            if found is not None:
                return None  # two Host headers
            found = value
    if found is None:
        return None if scope.get("http_version") == "1.1" else ""
    host = found.decode("latin-1").lower()
    match = _HOST_SYNTAX.fullmatch(host)
    if match is None or (match["port"] and int(match["port"]) > 65535):
        return None
    if host.startswith("["):  # IPv6 literal
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


def _host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    for pattern in allowed:
        if host == pattern or (
            pattern.startswith(".") and (host.endswith(pattern) or host == pattern[1:])
        ):
            return True
    return False
