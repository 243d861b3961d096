"""Route registration: ``router``, ``resource``, ``auto_router``, function routes and namespaces.

:class:`~mvcpy.App` is the root namespace; ``app.namespace(prefix, ...)`` nests more,
each with its own filters, name prefix, host and error handlers.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, overload

from mvcpy.controller import Controller, ControllerEndpoint, controller_name, parse_mapping
from mvcpy.endpoint import FunctionEndpoint
from mvcpy.error_handling import ErrorHandler, ErrorHandlers
from mvcpy.errors import ConfigurationError
from mvcpy.routing.conditions import When
from mvcpy.routing.reverse import HostPattern
from mvcpy.routing.router import Route
from mvcpy.websocket import WebSocketController, WebSocketEndpoint

if TYPE_CHECKING:
    from mvcpy.application import Application
    from mvcpy.filters import Filter
    from mvcpy.types import ASGIApp

__all__ = ["KNOWN_METHODS", "RESOURCE_ACTIONS", "Namespace"]

F = TypeVar("F", bound=Callable[..., Any])

#: The methods a route may answer: HTTP's (RFC 9110, PATCH), WebDAV's, ``*`` for any, and
#: ``WEBSOCKET`` for the handshake routes; anything else is a typo caught at registration.
KNOWN_METHODS = frozenset(
    {
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT",
        "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "REPORT", "SEARCH",
        "*", "WEBSOCKET",
    }
)  # fmt: skip

#: The seven REST actions of ``resource()``: action, methods, path suffix.
RESOURCE_ACTIONS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("index", ("GET",), ""),
    ("new", ("GET",), "/new"),
    ("create", ("POST",), ""),
    ("show", ("GET",), "/{param}"),
    ("edit", ("GET",), "/{param}/edit"),
    ("update", ("PUT", "PATCH"), "/{param}"),
    ("destroy", ("DELETE",), "/{param}"),
)


def _join(prefix: str, path: str) -> str:
    if not path.startswith("/"):
        raise ConfigurationError(f"route path {path!r} must start with '/'")
    return (prefix + path) if prefix else path


class Namespace:
    """A group of routes sharing a path prefix, filters, a name prefix, a host and error handlers.

    Usable as a context manager: ``with app.namespace("/admin") as admin: ...``.
    """

    def __init__(
        self,
        app: Application,
        prefix: str = "",
        filters: Iterable[Filter] = (),
        name_prefix: str = "",
        host: str | None = None,
        parent: Namespace | None = None,
    ) -> None:
        if prefix and not prefix.startswith("/"):
            raise ConfigurationError(f"namespace prefix {prefix!r} must start with '/'")
        self.app = app
        self.parent = parent
        self.prefix: str = (parent.prefix if parent else "") + prefix.rstrip("/")
        self.name_prefix: str = (parent.name_prefix if parent else "") + name_prefix
        self.filters: list[Filter] = list(filters)
        self.error_handlers = ErrorHandlers()
        self.host: HostPattern | None = (
            HostPattern(host) if host else (parent.host if parent else None)
        )

    def __enter__(self) -> Namespace:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __repr__(self) -> str:
        return f"<Namespace {self.prefix or '/'}>"

    # -- structure --------------------------------------------------------------------
    def namespace(
        self,
        prefix: str = "",
        filters: Iterable[Filter] = (),
        name_prefix: str = "",
        host: str | None = None,
    ) -> Namespace:
        """Create a nested namespace under this one."""
        self.app._check_not_started("add a namespace")
        return Namespace(self.app, prefix, filters, name_prefix, host, parent=self)

    def use(self, *filters: Filter) -> None:
        """Add filters that run for every route of this namespace (outermost first)."""
        self.app._check_not_started("add a filter")
        self.filters.extend(filters)

    def chain(self) -> list[Namespace]:
        """Return the namespaces from the outermost (the app) to this one."""
        chain: list[Namespace] = []
        node: Namespace | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain[::-1]

    @overload
    def error_handler(self, key: int | type[BaseException]) -> Callable[[F], F]: ...
    @overload
    def error_handler(self, key: int | type[BaseException], handler: ErrorHandler) -> None: ...
    def error_handler(
        self, key: int | type[BaseException], handler: ErrorHandler | None = None
    ) -> Callable[[F], F] | None:
        """Handle errors of status ``key`` or exception class ``key``: ``fn(ctx, exc)``.

        Use it as a decorator or call it with the handler. The handler's return value
        follows the usual conventions (a Response, a dict for JSON, a str for HTML).
        """
        self.app._check_not_started("add an error handler")
        if handler is not None:
            self.error_handlers.register(key, handler)
            return None

        def decorate(fn: F) -> F:
            self.error_handlers.register(key, fn)
            return fn

        return decorate

    # -- controllers ------------------------------------------------------------------
    def router(
        self,
        path: str,
        controller: type[Controller],
        mapping: str | None = None,
        name: str | None = None,
        filters: Sequence[Filter] = (),
        *,
        when: When | None = None,
    ) -> None:
        """Route ``path`` to a controller; ``mapping`` like ``"get:index;post:create"``.

        Without a mapping, each HTTP method goes to the method of the same name
        (``get``, ``post``, ...) that the class defines.
        """
        if not (isinstance(controller, type) and issubclass(controller, Controller)):
            raise ConfigurationError(f"{path}: {controller!r} is not a Controller subclass")
        full = _join(self.prefix, path)
        label = f"{full} ({controller.__name__})"
        actions: dict[str, set[str]] = {}
        for method, action in parse_mapping(controller, mapping, label).items():
            actions.setdefault(action, set()).add(method)
        for action, methods in actions.items():
            self._add_controller_route(full, controller, action, methods, name, filters, when)

    def _add_controller_route(
        self,
        full: str,
        controller: type[Controller],
        action: str,
        methods: set[str],
        name: str | None,
        filters: Sequence[Filter],
        when: When | None = None,
    ) -> None:
        default_name = self.name_prefix + f"{controller.__name__}.{action}"
        route = self._make_route(
            full,
            frozenset(methods),
            self.name_prefix + name if name else default_name,
            f"{controller.__module__}.{controller.__qualname__}.{action}",
            filters,
            when,
        )
        route.endpoint = ControllerEndpoint(controller, action, set(route.param_names), route.label)
        self.app.route_table.add(route, (route.name,) if name else (), (default_name,))

    def resource(
        self,
        path: str,
        controller: type[Controller],
        name: str | None = None,
        param: str = "id",
        filters: Sequence[Filter] = (),
    ) -> None:
        """Route the seven REST actions the controller defines under ``path``.

        Names are ``<name>.index``, ``.new``, ``.create``, ``.show``, ``.edit``,
        ``.update`` and ``.destroy``; ``name`` defaults to the last segment of ``path``,
        and ``param`` (``"id"``, or ``"id:int"``) is the member parameter.
        """
        base = name or path.rstrip("/").rsplit("/", 1)[-1]
        if not base or "{" in base or ":" in base:
            raise ConfigurationError(f"resource {path!r}: give a name=")
        param_pattern = "{" + param + "}"
        found = False
        for action, methods, suffix in RESOURCE_ACTIONS:
            if not callable(getattr(controller, action, None)):
                continue
            found = True
            full = _join(self.prefix, path.rstrip("/") + suffix.replace("{param}", param_pattern))
            route_name = f"{base}.{action}"
            self._add_controller_route(
                full or "/", controller, action, set(methods), route_name, filters
            )
        if not found:
            raise ConfigurationError(
                f"resource {path!r}: {controller.__name__} defines none of "
                + ", ".join(a for a, _, _ in RESOURCE_ACTIONS)
            )

    def auto_router(self, controller: type[Controller], filters: Sequence[Filter] = ()) -> None:
        """Map ``/<controller>/<action>`` (and ``/<controller>/<action>/*splat``) to every
        public action of ``controller``, for any HTTP method (Beego's AutoRouter)."""
        base = controller_name(controller)
        # An action is a public method the subclass defines or overrides; the base
        # class's helpers (render, redirect, ...) are not routed.
        actions = sorted(
            attr
            for attr in dir(controller)
            if not attr.startswith("_")
            and inspect.isfunction(getattr(controller, attr))
            and getattr(controller, attr) is not getattr(Controller, attr, None)
            and attr not in ("prepare", "finish")
        )
        if not actions:
            raise ConfigurationError(f"auto_router: {controller.__name__} has no public actions")
        for action in actions:
            full = _join(self.prefix, f"/{base}/{action}")
            self._add_controller_route(full, controller, action, {"*"}, None, filters)
            default_name = self.name_prefix + f"{controller.__name__}.{action}"
            route = self._make_route(
                full + "/*splat",
                frozenset({"*"}),
                default_name + ".splat",
                f"{controller.__module__}.{controller.__qualname__}.{action}",
                filters,
            )
            route.endpoint = ControllerEndpoint(controller, action, {"splat"}, route.label)
            self.app.route_table.add(route, (), (route.name,))

    # -- other ASGI apps -----------------------------------------------------------------
    def mount(self, prefix: str, app: ASGIApp, *, name: str | None = None) -> None:
        """Hand every request under ``prefix`` (HTTP and WebSocket, any method) to another
        ASGI app: ``app.mount("/legacy", django_asgi)`` (docs/routing.md).

        ``url_for(name)`` is the prefix, ``url_for(name + ".path", path="a/b")`` a path
        under it. The mounted app gets ``root_path`` extended by the prefix and the whole
        ``path``; the app's ASGI middleware run before it, its filters do not.
        """
        from mvcpy.routing.mount import MountEndpoint

        full = _join(self.prefix, prefix).rstrip("/")
        if not full:
            raise ConfigurationError("mount needs a prefix such as '/admin', not the root")
        if "{" in full or "*" in full:
            raise ConfigurationError(f"mount prefix {full!r} cannot hold parameters")
        endpoint = MountEndpoint(app, full)
        route_name = self.name_prefix + (name or f"mount {full}")
        kind = getattr(app, "__qualname__", type(app).__qualname__)
        target = f"mount {getattr(app, '__module__', '?')}.{kind}"
        for pattern, route_as in ((full, route_name), (full + "/*path", route_name + ".path")):
            route = self._make_route(pattern, frozenset({"*"}), route_as, target, ())
            route.endpoint = endpoint
            explicit = (route_as,) if name or route_as != route_name else ()
            self.app.route_table.add(route, explicit, (route_as,))

    # -- WebSockets -------------------------------------------------------------------
    def websocket(
        self,
        path: str,
        controller: type[WebSocketController],
        name: str | None = None,
        filters: Sequence[Filter] = (),
    ) -> None:
        """Route WebSocket connections on ``path`` to ``controller`` (see docs/realtime.md).

        ``filters`` (and those of the app and namespaces) run around the handshake.
        """
        full = _join(self.prefix, path)
        default_name = self.name_prefix + controller.__name__
        target = f"{controller.__module__}.{controller.__qualname__}"
        route = self._make_route(
            full, frozenset({"WEBSOCKET"}), self.name_prefix + name if name else default_name,
            target, tuple(filters),
        )  # fmt: skip
        route.endpoint = WebSocketEndpoint(controller, route.label)
        self.app.route_table.add(route, (route.name,) if name else (), (default_name,))

    # -- function handlers ------------------------------------------------------------
    def route(
        self,
        path: str,
        handler: Callable[..., Any],
        methods: Iterable[str] = ("GET",),
        name: str | None = None,
        filters: Sequence[Filter] = (),
        *,
        when: When | None = None,
    ) -> None:
        """Route ``path`` to ``handler(ctx)`` (sync or async) for ``methods``; ``when``
        adds conditions on headers, query parameters or the scheme."""
        full = _join(self.prefix, path)
        method_set = frozenset(m.upper() for m in methods)
        fn_name = getattr(handler, "__name__", "handler")
        default = fn_name if fn_name != "<lambda>" else f"{'/'.join(sorted(method_set))} {full}"
        route_name = self.name_prefix + (name or default)
        target = (
            f"{getattr(handler, '__module__', '?')}.{getattr(handler, '__qualname__', fn_name)}"
        )
        route = self._make_route(full, method_set, route_name, target, filters, when)
        route.endpoint = FunctionEndpoint(handler, set(route.param_names), route.label)
        self.app.route_table.add(route, (route_name,) if name else (), (route_name,))

    def _method_route(
        self,
        method: str,
        path: str,
        handler: Callable[..., Any] | None,
        name: str | None,
        filters: Sequence[Filter],
        when: When | None = None,
    ) -> Any:
        if handler is not None:
            self.route(path, handler, (method,), name, filters, when=when)
            return handler

        def decorate(fn: F) -> F:
            self.route(path, fn, (method,), name, filters, when=when)
            return fn

        return decorate

    def get(
        self,
        path: str,
        handler: Callable[..., Any] | None = None,
        *,
        name: str | None = None,
        filters: Sequence[Filter] = (),
        when: When | None = None,
    ) -> Any:
        """Route GET ``path`` to ``handler``; without a handler, return a decorator."""
        return self._method_route("GET", path, handler, name, filters, when)

    def post(
        self,
        path: str,
        handler: Callable[..., Any] | None = None,
        *,
        name: str | None = None,
        filters: Sequence[Filter] = (),
        when: When | None = None,
    ) -> Any:
        """Route POST ``path`` to ``handler``; without a handler, return a decorator."""
        return self._method_route("POST", path, handler, name, filters, when)

    def put(
        self,
        path: str,
        handler: Callable[..., Any] | None = None,
        *,
        name: str | None = None,
        filters: Sequence[Filter] = (),
        when: When | None = None,
    ) -> Any:
        """Route PUT ``path`` to ``handler``; without a handler, return a decorator."""
        return self._method_route("PUT", path, handler, name, filters, when)

    def patch(
        self,
        path: str,
        handler: Callable[..., Any] | None = None,
        *,
        name: str | None = None,
        filters: Sequence[Filter] = (),
        when: When | None = None,
    ) -> Any:
        """Route PATCH ``path`` to ``handler``; without a handler, return a decorator."""
        return self._method_route("PATCH", path, handler, name, filters, when)

    def delete(
        self,
        path: str,
        handler: Callable[..., Any] | None = None,
        *,
        name: str | None = None,
        filters: Sequence[Filter] = (),
        when: When | None = None,
    ) -> Any:
        """Route DELETE ``path`` to ``handler``; without a handler, return a decorator."""
        return self._method_route("DELETE", path, handler, name, filters, when)

    # -- internals --------------------------------------------------------------------
    def _make_route(
        self,
        full: str,
        methods: frozenset[str],
        name: str,
        target: str,
        filters: Sequence[Filter],
        when: When | None = None,
    ) -> Route:
        self.app._check_not_started("add a route")
        unknown = sorted(methods - KNOWN_METHODS)
        if unknown:
            close = difflib.get_close_matches(unknown[0], sorted(KNOWN_METHODS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigurationError(
                f"route {name!r} ({full}): unknown HTTP method {unknown[0]!r}{hint}"
            )
        return Route(full, methods, name, target, None, tuple(filters), self, self.host, when)
