"""The application: routes, the request lifecycle, the ASGI entry point; components plug in.

``App`` names no battery: the database, sessions, views settings, the hub, health and
OpenAPI install themselves as components (:mod:`mvcpy.components`); the request path is
built at startup by :mod:`mvcpy.serving`; the methods for built-in features come from
:class:`mvcpy.shortcuts.FeatureShortcuts`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from os import PathLike
from typing import TYPE_CHECKING, Any

from mvcpy.components import Component, Services, Setup, discover
from mvcpy.config.loader import app_root, load_config
from mvcpy.di import Container
from mvcpy.errors import ConfigurationError
from mvcpy.http.request import Request, State
from mvcpy.logs import configure_logging
from mvcpy.routing.namespace import Namespace
from mvcpy.routing.router import Router
from mvcpy.serving import OptionsHandler, assemble
from mvcpy.shortcuts import FeatureShortcuts
from mvcpy.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from mvcpy.components import Check
    from mvcpy.views.engine import Templates

__all__ = ["App"]

logger = logging.getLogger("mvcpy")

Hook = Callable[[], Any]


class App(Namespace, FeatureShortcuts):
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
        self.root_path = app_root(import_name, root_path)
        self.config = load_config(self.root_path, config, env, config_file)
        self.route_table = Router()
        self._started = False
        super().__init__(self)
        #: the services the components publish (``templates``, ``database``, ``hub``, ...)
        self.services = Services()
        #: the session settings and store, set at startup; ``None`` when sessions are off
        self.sessions: Any = None
        #: ``fn(user_id) -> user`` registered with :meth:`user_loader`
        self.load_user: Callable[[Any], Any] | None = None
        #: app-wide values (engines, clients) set at startup and read by controllers
        self.state = State()
        self._middleware: list[tuple[Callable[..., ASGIApp], dict[str, Any]]] = []
        self._on_startup: list[Hook] = []
        self._on_shutdown: list[Hook] = []
        self._options_handler: OptionsHandler | None = None
        self._stack: ASGIApp = self._first_call
        self._executor: Any = None
        self._app_error_handlers: tuple[Any, ...] = ()
        #: dependencies injected into actions and controllers (app.provide)
        self.container = Container()
        self._on_complete: list[Callable[[Any], Any]] = []
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
        #: the templates (the views component's :class:`~mvcpy.views.Templates`)
        self.templates: Templates = self.services["templates"]

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
        return self.route_table.url_for(
            name,
            params,
            request=_request,
            external=_external,
            anchor=_anchor,
            scheme=_scheme,
            server_name=self.config.core.server_name,
        )

    # -- lifecycle --------------------------------------------------------------------
    def start(self) -> None:
        """Freeze the routes and build every per-route handler (idempotent)."""
        if self._started:
            return
        dispatcher = assemble(
            self,
            options_handler=self._options_handler,
            on_complete=self._on_complete,
            lifespan=self._lifespan,
        )
        stack: ASGIApp = dispatcher.asgi
        for middleware, options in reversed(self._middleware):
            stack = middleware(stack, **options)
        self._stack = stack
        for component in self.components:
            component.start()  # prod: templates compile; dev: their url_for calls checked
        self._started = True

    async def startup(self) -> None:
        """Configure the framework's logging, start the app, its components and hooks."""
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

    def url_for(self, name: str, /, **params: Any) -> str:
        return self.app.url_for(name, **params)

    def add_route_function(
        self, method: str, path: str, handler: Any, name: str, any_host: bool
    ) -> None:
        self.app.route(path, handler, methods=[method], name=name)
        if any_host:
            self.app._any_host_paths = self.app._any_host_paths | {path}

    def add_router(self, path: str, controller: Any, mapping: Any, name: str, filters: Any) -> None:
        self.app.router(path, controller, mapping, name, filters)

    def add_error_handler(self, key: Any, handler: Callable[..., Any], replace: bool) -> None:
        registry = self.app.error_handlers
        if replace or (key not in registry.by_type and key not in registry.by_status):
            registry.register(key, handler)

    def add_filter(self, filter: Any) -> None:
        self.app.use(filter)

    def add_middleware(self, factory: Callable[..., ASGIApp], options: dict[str, Any]) -> None:
        self.app.add_middleware(factory, **options)

    @property
    def route_table(self) -> Router:
        return self.app.route_table

    def add_health_check(self, name: str, check: Callable[..., Any]) -> None:
        if name == "status":
            raise ConfigurationError("a health check cannot be named 'status'")
        self.app.health_checks[name] = check

    def add_check(self, check: Check) -> None:
        self.app.checks.append(check)

    def executor(self) -> Any:
        return self.app._executor


async def _maybe_await(value: Any) -> Any:
    if isinstance(value, Awaitable):
        return await value
    return value
