"""The application: configuration, routes, middleware, and the ASGI entry point."""

from __future__ import annotations

import inspect
import logging
import sys
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from mvcpy.components import Component, Services, Setup, discover
from mvcpy.config import DEFAULT_SECRET_KEY, Config, FormSettings, load_config
from mvcpy.context import Context
from mvcpy.di import Container
from mvcpy.error_handling import ErrorGuard, ErrorHandlers, handle_error
from mvcpy.errors import ConfigurationError, HTTPError
from mvcpy.filters.builtin import prepare_filters
from mvcpy.filters.chain import Filter, Handler, compose
from mvcpy.http.form import FormLimits
from mvcpy.http.request import Request, State
from mvcpy.http.response import RedirectResponse, Response
from mvcpy.logs import configure_logging
from mvcpy.results import to_response
from mvcpy.routing.namespace import Namespace
from mvcpy.routing.reverse import URLBuildError
from mvcpy.routing.router import Miss, Route, Router, request_path
from mvcpy.stats import RouteStat, StatsRecorder, timed_chain
from mvcpy.templating import Templates
from mvcpy.types import ASGIApp, Receive, Scope, Send
from mvcpy.views.engine import registrar
from mvcpy.websocket import WebSocketEndpoint, serve_websocket

if TYPE_CHECKING:
    from mvcpy.components import Check
    from mvcpy.hub import Hub
    from mvcpy.orm.database import Database
    from mvcpy.sessions.manager import SessionManager

__all__ = ["App"]

logger = logging.getLogger("mvcpy")

_BAD_HOST = Miss(400, "Invalid Host header")

Hook = Callable[[], Any]
OptionsHandler = Callable[[Context, tuple[str, ...]], Any]


class _MissEndpoint:
    """Answers requests that matched no route: 400, 404, 405, redirects and automatic OPTIONS."""

    is_sync = False

    def __init__(self, app: App) -> None:
        self.app = app

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
                handler = self.app._options_handler
                if handler is not None:
                    result = handler(ctx, allowed)
                    if inspect.isawaitable(result):
                        result = await result
                    return to_response(result)
                return Response(b"", 204, {"allow": ", ".join(allowed)})
            raise HTTPError(405, miss.message, {"allow": ", ".join(allowed)})
        raise HTTPError(miss.status, miss.message)


class App(Namespace):
    """An mvcpy application: an ASGI 3 callable and the root namespace of its routes.

    ``App(__name__)`` finds the project's root from the calling module, reads
    ``conf/app.toml`` there and looks for templates under ``views/``.
    """

    def __init__(
        self,
        import_name: str | None = None,
        *,
        root_path: str | PathLike[str] | None = None,
        config: Mapping[str, Any] | None = None,
        env: str | None = None,
        config_file: str | PathLike[str] | None = None,
    ) -> None:
        self.root_path = _find_root(import_name, root_path)
        self.config: Config = load_config(self.root_path, config, env, config_file)
        self.route_table = Router()
        self._started = False
        super().__init__(self)
        self.templates = Templates(self)
        #: the services the components publish (``database``, ``hub``, ``sessions``, ...)
        self.services = Services()
        self.services.add("templates", self.templates)
        #: the session settings and store, set at startup; ``None`` when sessions are off
        self.sessions: SessionManager | None = None
        #: ``fn(user_id) -> user`` registered with :meth:`user_loader`
        self.load_user: Callable[[Any], Any] | None = None
        #: app-wide values (engines, clients) set at startup and read by controllers
        self.state = State()
        self._middleware: list[tuple[Callable[..., ASGIApp], dict[str, Any]]] = []
        self._on_startup: list[Hook] = []
        self._on_shutdown: list[Hook] = []
        self._options_handler: OptionsHandler | None = None
        self._stack: ASGIApp = self._first_call
        self._miss_handler: Handler | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._allowed_hosts: tuple[str, ...] = ()
        #: dependencies injected into actions and controllers (app.provide)
        self.container = Container()
        self._on_complete: list[Callable[[RouteStat], Any]] = []
        #: paths served whatever the Host header (the health check: probes use addresses)
        self._any_host_paths: frozenset[str] = frozenset()
        #: the checks of the ``[health]`` route, by name (components add theirs)
        self.health_checks: dict[str, Callable[[App], Any]] = {}
        #: ``mvcpy check`` checks the components added
        self.checks: list[Check] = []
        #: the installed components, built-in first, in the order they were installed
        self.components: tuple[Component, ...] = tuple(
            cls() for cls in discover(self.config.core.components)
        )
        setup = Setup(self.config, self.root_path, _Installer(self))
        for component in self.components:
            component.install(setup)

    # -- settings ---------------------------------------------------------------------
    @property
    def env(self) -> str:
        """The environment: ``dev``, ``test`` or ``prod``."""
        return self.config.env

    @property
    def debug(self) -> bool:
        """Whether debug pages and template auto-reload are on (never in ``prod``)."""
        return self.config.core.debug and self.env != "prod"

    @property
    def secret_key(self) -> str:
        """The key that signs cookies and tokens."""
        return self.config.core.secret_key

    @property
    def database(self) -> Database:
        """The app's database (``[database]`` in the configuration); engines open on first use."""
        database: Database = self.services["database"]
        return database

    @property
    def hub(self) -> Hub:
        """The app's hub (``[hub]`` in the configuration): rooms, broadcasts, presence."""
        hub: Hub = self.services["hub"]
        return hub

    # -- registration beyond routes ---------------------------------------------------
    def on_startup(self, fn: Hook) -> Hook:
        """Run ``fn`` (sync or async) when the server starts; usable as a decorator."""
        self._check_not_started("add a startup hook")
        self._on_startup.append(fn)
        return fn

    def on_shutdown(self, fn: Hook) -> Hook:
        """Run ``fn`` (sync or async) when the server stops; usable as a decorator."""
        self._on_shutdown.append(fn)
        return fn

    def provide(self, value: Any, key: str | None = None, *, as_type: Any = None) -> None:
        """Inject ``value`` into parameters of its type (or ``as_type``), or under ``key``."""
        self._check_not_started("provide a dependency")
        self.container.provide(value, key, as_type)

    def provide_factory(
        self, type_: Any, factory: Callable[..., Any], *, key: str | None = None
    ) -> None:
        """Inject a fresh ``type_`` per request from ``factory`` (sync, async or generator)."""
        self._check_not_started("provide a dependency")
        self.container.provide_factory(type_, factory, key)

    def health_check(
        self,
        path: str | None = None,
        *,
        name: str = "health",
        database: bool | None = None,
        checks: Mapping[str, Callable[[Any], Any]] | None = None,
    ) -> None:
        """Serve GET ``path`` (``[health] path``, ``/healthz``): 200 when every check passes.

        ``[health] enabled = true`` calls this for you. See :mod:`mvcpy.health`.
        """
        from mvcpy.health import add_health_check

        add_health_check(self, path, name=name, database=database, checks=checks)

    def openapi(self, title: str | None = None, version: str = "0.1.0") -> dict[str, Any]:
        """Return the OpenAPI 3.1 document of the routes (see docs/request-data.md)."""
        from mvcpy.openapi import build_openapi

        return build_openapi(self, title, version)

    def serve_openapi(
        self, path: str = "/openapi.json", name: str = "openapi", **options: Any
    ) -> None:
        """Serve the OpenAPI document as JSON at ``path`` (opt-in)."""
        from mvcpy.openapi import OpenAPIHandler

        self.get(path, OpenAPIHandler(self, **options), name=name)

    def serve_live_script(self, path: str = "/mvcpy/live.js", name: str = "mvcpy.live") -> None:
        """Serve the client script of live updates (docs/realtime.md) at ``path`` (opt-in)."""
        from mvcpy.hub.script import live_script

        self.get(path, live_script, name=name)

    def on_request_complete(self, fn: Callable[[RouteStat], Any]) -> Callable[[RouteStat], Any]:
        """Call ``fn(stat)`` (sync or async) after each response is sent; see RouteStat."""
        self._check_not_started("add a request-complete callback")
        self._on_complete.append(fn)
        return fn

    def add_middleware(self, middleware: Callable[..., ASGIApp], **options: Any) -> None:
        """Wrap the whole app in an ASGI middleware: ``middleware(app, **options)``.

        The first added is the outermost.
        """
        self._check_not_started("add middleware")
        self._middleware.append((middleware, options))

    def options_handler(self, fn: OptionsHandler) -> OptionsHandler:
        """Answer automatic ``OPTIONS`` requests with ``fn(ctx, allowed_methods)``."""
        self._check_not_started("set the OPTIONS handler")
        self._options_handler = fn
        return fn

    def template_filter(self, name: str | Callable[..., Any] | None = None) -> Any:
        """Register a Jinja filter: ``@app.template_filter`` or ``@app.template_filter("n")``."""
        self._check_not_started("add a template filter")
        return registrar(self.templates.add_filter, name)

    def template_global(self, name: str | Callable[..., Any] | None = None) -> Any:
        """Register a function every template can call: ``@app.template_global``."""
        self._check_not_started("add a template global")
        return registrar(self.templates.add_global, name)

    def template_test(self, name: str | Callable[..., Any] | None = None) -> Any:
        """Register a Jinja test (``{% if x is name %}``): ``@app.template_test``."""
        self._check_not_started("add a template test")
        return registrar(self.templates.add_test, name)

    def user_loader(self, fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """Register ``fn(user_id)`` that loads the user for ``current_user`` (once a request)."""
        from mvcpy.auth import template_helpers

        self._check_not_started("register the user loader")
        if self.load_user is None:
            self.templates.add_context_provider(template_helpers)
        self.load_user = fn
        return fn

    def _check_not_started(self, what: str) -> None:
        if self._started:
            raise ConfigurationError(f"cannot {what} after the app has started serving")

    # -- reverse routing --------------------------------------------------------------
    def url_for(
        self,
        name: str,
        /,
        *,
        _request: Request | None = None,
        _external: bool = False,
        _anchor: str | None = None,
        _scheme: str | None = None,
        **params: Any,
    ) -> str:
        """Build the URL of the route called ``name``.

        Path parameters are converted and percent-encoded with the route's converters;
        other keyword arguments become the query string. ``_anchor`` adds a fragment,
        ``_external=True`` an absolute URL (host from the request or ``server_name``).
        Raises :class:`~mvcpy.routing.URLBuildError` naming what is missing or wrong.
        """
        route, path, extra = self.route_table.build(name, params)
        if extra:
            query = {k: v for k, v in extra.items() if v is not None}
            if query:
                path += "?" + urlencode(query, doseq=True)
        if _anchor:
            path += "#" + quote(_anchor, safe="")
        if not _external:
            return path
        if route.host is not None:
            host = route.host.build(params, f"route {name!r}")
        elif _request is not None:
            host = _request.host
        else:
            host = self.config.core.server_name
            if not host:
                raise URLBuildError(
                    f"cannot build an external URL for {name!r} outside a request: "
                    "set server_name in conf/app.toml"
                )
        scheme = _scheme or (_request.scheme if _request is not None else "http")
        return f"{scheme}://{host}{path}"

    # -- lifecycle --------------------------------------------------------------------
    def start(self) -> None:
        """Freeze the routes and build every per-route handler (idempotent)."""
        if self._started:
            return
        if self.env == "prod":
            key = self.secret_key
            if not key or key == DEFAULT_SECRET_KEY:
                raise ConfigurationError(
                    "secret_key is not set for prod. Set MVCPY_SECRET_KEY in the environment "
                    "or secret_key in [prod] of conf/app.toml, e.g. to the output of: "
                    "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
                )
            if self.config.core.debug:
                logger.warning("debug is ignored in prod: tracebacks are never shown there")
        core = self.config.core
        self.route_table.strict_slashes = core.strict_slashes
        self.route_table.redirect_fixed_path = core.redirect_fixed_path
        hosts = core.allowed_hosts
        self._allowed_hosts = (
            tuple(h.lower() for h in hosts if h != "*") if "*" not in hosts else ()
        )
        self._max_body_size = core.max_body_size
        form = self.config.section_of(FormSettings)
        self._form_limits = FormLimits(**form.model_dump())
        self._executor = ThreadPoolExecutor(
            max_workers=core.worker_threads, thread_name_prefix="mvcpy-worker"
        )
        self.sessions = self.services.get("sessions")
        prepare_filters(self)  # [filters] built-ins from the config; filter.bind(app)
        self.route_table.freeze()
        app_filters = tuple(self.filters)
        for route in self.route_table.routes:
            websocket = isinstance(route.endpoint, WebSocketEndpoint)
            if websocket:
                route.endpoint.prepare(self)
            namespaces = route.namespace.chain() if route.namespace is not None else [self]
            chain: list[Filter] = []
            for namespace in namespaces:
                chain.extend(namespace.filters)
            chain.extend(route.filters)
            route.filters = tuple(chain)
            route.error_handlers = tuple(ns.error_handlers for ns in reversed(namespaces))
            if hasattr(route.endpoint, "executor"):
                route.endpoint.executor = self._executor
            resolve = getattr(route.endpoint, "resolve", None)
            if resolve is not None:
                resolve(self.container)
            endpoint = route.endpoint
            filters = route.filters
            if self._on_complete and not websocket:  # route stats: time filters and action
                filters, endpoint = timed_chain(filters, endpoint)
            if route.filters:
                # Filters see the action's errors as responses; without filters the app
                # answers them at the top with the same handlers, one frame fewer.
                endpoint = ErrorGuard(endpoint, route.error_handlers, self.debug)
            route.handler = compose(filters, endpoint, self._executor)
        self._app_error_handlers: tuple[ErrorHandlers, ...] = (self.error_handlers,)
        self._miss_handler = compose(
            app_filters,
            ErrorGuard(_MissEndpoint(self), self._app_error_handlers, self.debug),
            self._executor,
        )
        self._needs_host = bool(self._allowed_hosts) or self.route_table.has_hosts
        if self._on_complete:
            # Only apps that asked for route stats pay for counting and timing.
            self._http = StatsRecorder(self._http, self._on_complete)  # type: ignore[method-assign]
        stack: ASGIApp = self._dispatch
        for middleware, options in reversed(self._middleware):
            stack = middleware(stack, **options)
        self._stack = stack
        self.templates.on_start()  # prod: compile every template; dev: check url_for calls
        self._started = True

    async def startup(self) -> None:
        """Configure the framework's logging, start the app and run the startup hooks."""
        configure_logging(self)  # first, so that a failing start is logged in the set format
        self.start()
        for component in self.components:
            await component.startup()  # a failure (a broker down) stops the startup
        for hook in self._on_startup:
            await _maybe_await(hook())

    async def shutdown(self) -> None:
        """Run the shutdown hooks, then the components' (every one, even when one fails)."""
        for hook in self._on_shutdown:
            try:
                await _maybe_await(hook())
            except Exception:
                logger.exception("shutdown hook %r failed", hook)
        for component in reversed(self.components):
            try:
                await component.shutdown()
            except Exception:
                logger.exception("component %r failed to shut down", component.name)

    # -- ASGI -------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._stack(scope, receive, send)

    async def _first_call(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            # Startup errors (a missing secret key) must be reported through the lifespan
            # protocol, so that the server stops with the message instead of serving 500s.
            await self._lifespan(scope, receive, send)
            return
        # A server (or test) that does not run lifespan still gets the routes frozen.
        self.start()
        await self._stack(scope, receive, send)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "websocket":
            await self._websocket(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
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
        if (
            self._allowed_hosts
            and not _host_allowed(host or "", self._allowed_hosts)
            and path not in self._any_host_paths
        ):
            route, params, miss = None, {}, _BAD_HOST
        else:
            route, params, miss = self.route_table.match(method, path, host)
        request = Request(scope, receive, self._max_body_size, self._form_limits)
        ctx = Context(self, scope, receive, send, request, route, params, miss)
        try:
            if route is not None:
                response = await route.handler(ctx)  # type: ignore[misc]
            else:
                response = await self._miss_handler(ctx)  # type: ignore[misc]
            if not isinstance(response, Response):
                response = to_response(response)
            session = ctx._session
            if session is not None and response.status < 500:
                manager: SessionManager = self.sessions  # type: ignore[assignment]
                if manager.needs_commit(session):  # saved before the response is sent
                    await manager.commit_async(session, response)
        except Exception as exc:
            registries = route.error_handlers if route is not None else self._app_error_handlers
            answer = await handle_error(ctx, exc, registries, self.debug)
            if answer is None:
                await request.aclose()
                return
            response = answer
        try:
            await response(scope, receive, send)
        finally:
            if ctx._after_response is not None:
                await ctx.run_after_response()
            if request._form is not None or request._cleanups is not None:
                await request.aclose()
            if ctx.db_scope is not None and ctx.db_scope.is_open:
                # A filter used ctx.db after the action had ended the session.
                await ctx.db_scope.end_async(False, self._executor)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (await receive())["type"] != "websocket.connect":
            return
        path = request_path(scope.get("raw_path"), scope["path"])
        host = _scope_host(scope) if self._needs_host else None
        if not self._allowed_hosts or _host_allowed(host or "", self._allowed_hosts):
            route, params, _ = self.route_table.match("WEBSOCKET", path, host)
            if route is not None and isinstance(route.endpoint, WebSocketEndpoint):
                # The handshake is a GET request for the filters, the session and errors.
                scope = {**scope, "method": "GET"}
                request = Request(scope, _no_body, self._max_body_size, self._form_limits)
                ctx = Context(self, scope, receive, send, request, route, params)
                await serve_websocket(self, ctx, route)
                return
        # No WebSocket route here: refuse the handshake cleanly (the server answers 403).
        await send({"type": "websocket.close", "code": 1000})

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except BaseException as exc:
                    logger.exception("startup failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _no_body() -> dict[str, Any]:
    """The body of a WebSocket handshake, for filters that read one: empty."""
    return {"type": "http.request", "body": b"", "more_body": False}


class _Installer:
    """The registries a component's :class:`~mvcpy.components.Setup` writes to."""

    __slots__ = ("app",)

    def __init__(self, app: App) -> None:
        self.app = app

    @property
    def services(self) -> Services:
        return self.app.services

    @property
    def health_checks(self) -> dict[str, Callable[[App], Any]]:
        return self.app.health_checks

    def add_route_function(
        self, method: str, path: str, handler: Any, name: str, any_host: bool
    ) -> None:
        self.app.route(path, handler, methods=[method], name=name)
        if any_host:
            self.app._any_host_paths = self.app._any_host_paths | {path}

    def add_error_handler(self, key: Any, handler: Callable[..., Any], replace: bool) -> None:
        registry = self.app.error_handlers
        if replace or (key not in registry.by_type and key not in registry.by_status):
            registry.register(key, handler)

    def add_filter(self, filter: Any) -> None:
        self.app.use(filter)

    def add_template_global(self, name: str, value: Any) -> None:
        self.app.templates.add_global(value, name)

    def add_template_filter(self, name: str, fn: Callable[..., Any]) -> None:
        self.app.templates.add_filter(fn, name)

    def add_template_context(self, provider: Callable[[Any], Mapping[str, Any]]) -> None:
        self.app.templates.add_context_provider(provider)

    def add_health_check(self, name: str, check: Callable[..., Any]) -> None:
        if name == "status":
            raise ConfigurationError("a health check cannot be named 'status'")
        self.app.health_checks[name] = check

    def add_check(self, check: Check) -> None:
        self.app.checks.append(check)

    def executor(self) -> Any:
        return self.app._executor


def _find_root(import_name: str | None, root_path: str | PathLike[str] | None) -> Path:
    if root_path is not None:
        return Path(root_path).resolve()
    if import_name:
        module = sys.modules.get(import_name)
        file = getattr(module, "__file__", None)
        if file:
            return Path(file).resolve().parent
    return Path.cwd()


def _scope_host(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"host":
            host: str = value.decode("latin-1").lower()
            if host.startswith("["):  # IPv6 literal
                return host.split("]", 1)[0] + "]"
            return host.rsplit(":", 1)[0] if ":" in host else host
    return ""


def _host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    for pattern in allowed:
        if host == pattern or (
            pattern.startswith(".") and (host.endswith(pattern) or host == pattern[1:])
        ):
            return True
    return False


async def _maybe_await(value: Any) -> Any:
    if isinstance(value, Awaitable):
        return await value
    return value
