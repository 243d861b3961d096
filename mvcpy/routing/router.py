"""The route table: registered routes, their names, matching by host and path, and redirects."""

from __future__ import annotations

import difflib
import logging
import posixpath
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol
from urllib.parse import quote, quote_from_bytes, unquote, urlencode

from mvcpy.errors import ConfigurationError
from mvcpy.routing.conditions import When
from mvcpy.routing.reverse import HostPattern, PathBuilder, URLBuildError
from mvcpy.routing.tree import RouteTree, parse_pattern


class RouteGroup(Protocol):
    """The namespace a route was registered in (:class:`~mvcpy.routing.Namespace`).

    The router stores filters, handlers and error handlers without calling them: the app
    composes them at startup. Typed loosely here so the router needs nothing above it.
    """

    filters: list[Any]
    error_handlers: Any

    def chain(self) -> Sequence[RouteGroup]:
        """Return the groups from the outermost (the app) to this one."""
        ...


__all__ = ["Miss", "Route", "Router", "request_path", "split_path"]

logger = logging.getLogger("mvcpy.routing")

_RAW_SAFE = "/%!$&'()*+,;=:@-._~"
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
# Characters a static pattern may contain and still be looked up by its raw request form.
_PLAIN_PATH = re.compile(r"^[A-Za-z0-9/\-._~!$&'()*+,;=:@]*$")


class Route:
    """One registered route: pattern, methods, name, target and its compiled handler."""

    __slots__ = (
        "builder",
        "choices",
        "endpoint",
        "error_handlers",
        "filters",
        "handler",
        "host",
        "label",
        "methods",
        "name",
        "namespace",
        "param_names",
        "pattern",
        "segments",
        "target",
        "when",
    )

    def __init__(
        self,
        pattern: str,
        methods: frozenset[str],
        name: str,
        target: str,
        endpoint: Any,
        filters: tuple[Any, ...],
        namespace: RouteGroup | None = None,
        host: HostPattern | None = None,
        when: When | None = None,
    ) -> None:
        self.pattern = pattern
        self.methods = methods
        self.name = name
        self.target = target
        self.endpoint = endpoint
        #: the route's own filters at registration; the whole chain once the app starts
        self.filters = filters
        self.namespace = namespace
        #: error handler registries, innermost first; filled when the app starts
        self.error_handlers: tuple[Any, ...] = ()
        self.host = host
        self.segments = parse_pattern(pattern)
        method_text = ",".join(sorted(methods))
        where = f"{host.pattern}" if host else ""
        condition = f" when {when.describe()}" if when is not None else ""
        self.label = f"{method_text} {where}{pattern}{condition} ({target})"
        #: what the request must carry besides path and method (headers, query, scheme)
        self.when = when
        #: on the route the tree holds for a path and methods that several routes share by
        #: their conditions: all of them, conditional ones first; empty otherwise
        self.choices: tuple[Route, ...] = ()
        self.builder = PathBuilder(self.segments, f"route {name!r}")
        #: names of the path and host parameters
        self.param_names = self.builder.names | frozenset(host.names if host else ())
        #: the composed chain ``handler(ctx) -> response``, built when the app starts
        self.handler: Callable[[Any], Awaitable[Any]] | None = None

    def choose(self, scope: Any) -> Route | None:
        """The route among :attr:`choices` whose conditions ``scope`` meets, else ``None``."""
        for route in self.choices:
            when = route.when
            if when is None or when.holds(scope):
                return route
        return None

    def __repr__(self) -> str:
        return f"<Route {self.name!r} {self.label}>"


class Miss:
    """Why a request matched no route: 400, 404, 405 (with ``allowed``) or a redirect."""

    __slots__ = ("allowed", "location", "message", "status")

    def __init__(
        self,
        status: int,
        message: str,
        allowed: tuple[str, ...] = (),
        location: str | None = None,
    ) -> None:
        self.status = status
        self.message = message
        self.allowed = allowed
        self.location = location

    def __repr__(self) -> str:
        return f"Miss({self.status}, {self.message!r})"


class _Table:
    """A tree plus the fast path for routes without parameters."""

    __slots__ = ("by_path", "static", "tree")

    def __init__(self) -> None:
        self.tree: RouteTree[Route] = RouteTree()
        self.static: dict[str, dict[str, Route]] = {}
        self.by_path: dict[tuple[str, frozenset[str]], Route] = {}

    def add(self, route: Route) -> None:
        key = (route.pattern, route.methods)
        held = self.by_path.get(key)
        if held is not None and (route.when is not None or held.choices):
            _add_choice(held, route)  # one path and methods, told apart by conditions
            return
        if route.when is not None:
            route.choices = (route,)
        self.by_path[key] = route
        self.tree.insert(route.pattern, route.methods, route, route.label)
        if not route.builder.names and _PLAIN_PATH.match(route.pattern):
            by_method = self.static.setdefault(route.pattern, {})
            for method in route.methods:
                by_method[method] = route

    def static_route(self, method: str, path: str) -> Route | None:
        """Return the parameterless route for the raw ``path`` and ``method``, if any."""
        static = self.static.get(path)
        if static is None:
            return None
        route = static.get(method) or static.get("*")
        if route is None and method == "HEAD":
            route = static.get("GET")
        return route

    def lookup(
        self, method: str, path: str, segments: list[str]
    ) -> tuple[Route | None, dict[str, Any], tuple[str, ...] | None]:
        route = self.static_route(method, path)
        if route is not None:
            return route, {}, None
        return self.tree_lookup(method, segments)

    def tree_lookup(
        self, method: str, segments: list[str]
    ) -> tuple[Route | None, dict[str, Any], tuple[str, ...] | None]:
        found = self.tree.match(segments, method)
        if found is None:
            return None, {}, None
        if found.payload is None:
            return None, {}, tuple(found.allowed)
        return found.payload, found.params, None


def _add_choice(held: Route, route: Route) -> None:
    """Add ``route`` to the routes that ``held`` (in the tree) stands for."""
    choices = held.choices or (held,)
    for other in choices:
        if other.when == route.when:
            raise ConfigurationError(
                f"ambiguous routes: {other.label} and {route.label} have the same path, "
                "methods and conditions"
            )
    conditional = tuple(r for r in choices if r.when is not None)
    plain = tuple(r for r in choices if r.when is None)
    if route.when is None:
        plain += (route,)
    else:
        conditional += (route,)
    held.choices = conditional + plain  # the conditions first, in registration order


def request_path(raw_path: bytes | None, path: str) -> str:
    """Return the request path in its raw, percent-encoded form (non-ASCII bytes encoded)."""
    if raw_path is None:
        return quote(path, safe=_RAW_SAFE)
    try:
        return raw_path.decode("ascii")
    except UnicodeDecodeError:
        return quote_from_bytes(raw_path, safe=_RAW_SAFE)


def split_path(path: str) -> list[str] | None:
    """Split a raw path into percent-decoded segments; ``None`` when an escape is malformed."""
    segments = path[1:].split("/")
    if "%" not in path:
        return segments
    if _BAD_ESCAPE.search(path):
        return None
    try:
        return [unquote(s, errors="strict") if "%" in s else s for s in segments]
    except UnicodeDecodeError:
        return None


class Router:
    """All routes of an app, by host and path; names for reverse routing."""

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.names: dict[str, Route] = {}
        self._default = _Table()
        self._hosts: list[tuple[HostPattern, _Table]] = []
        self._frozen = False
        self.strict_slashes = False
        self.redirect_fixed_path = False
        #: ``fn(route, request, extra) -> str`` put before every built path (the i18n
        #: component's locale prefix); it may take its own keys out of ``extra``
        self.path_prefix: Callable[[Route, Any, dict[str, Any]], str] | None = None

    @property
    def has_hosts(self) -> bool:
        """Whether any route is bound to a host."""
        return bool(self._hosts)

    def _table_for(self, host: HostPattern | None) -> _Table:
        if host is None:
            return self._default
        for pattern, table in self._hosts:
            if pattern.pattern == host.pattern:
                return table
        table = _Table()
        self._hosts.append((host, table))
        return table

    def add(self, route: Route, names: tuple[str, ...], aliases: tuple[str, ...] = ()) -> None:
        """Register ``route`` under its explicit ``names`` and default ``aliases``."""
        if self._frozen:
            raise ConfigurationError("routes cannot be added after the app has started")
        for name in names:
            other = self.names.get(name)
            if other is not None and other.pattern != route.pattern:
                raise ConfigurationError(
                    f"route name {name!r} is used twice: {other.label} and {route.label}"
                )
        self._table_for(route.host).add(route)
        self.routes.append(route)
        for name in names:
            self.names.setdefault(name, route)
        for alias in aliases:
            # A default name (Controller.action) keeps its first registration.
            self.names.setdefault(alias, route)

    def freeze(self) -> None:
        """Compile every tree and report routes that an earlier one shadows."""
        if self._frozen:
            return
        tables = [self._default, *(t for _, t in self._hosts)]
        for table in tables:
            table.tree.freeze()
            for label, winner, sample in table.tree.shadowed():
                logger.warning("route %s can never match %s: %s wins", label, sample, winner)
        self._frozen = True

    def shadowed(self) -> list[tuple[str, str, str]]:
        """Return (route, shadowing route, sample path) for routes that can never match."""
        tables = [self._default, *(t for _, t in self._hosts)]
        return [item for table in tables for item in table.tree.shadowed()]

    # -- matching ---------------------------------------------------------------------
    def match(
        self, method: str, path: str, host: str | None = None
    ) -> tuple[Route | None, dict[str, Any], Miss | None]:
        """Find the route for ``method`` and the raw (still percent-encoded) ``path``."""
        default_only = not self._hosts
        if default_only:
            # PERF: routes without parameters are one dict lookup, before any splitting.
            route = self._default.static_route(method, path)
            if route is not None:
                return route, {}, None
        segments = split_path(path)
        if segments is None:
            return None, {}, Miss(400, "Malformed percent-encoding in the path")
        if default_only:  # the static lookup above was already this table's
            route, params, allowed = self._default.tree_lookup(method, segments)
        else:
            route, params, allowed = self._resolve(method, path, segments, host)
        if route is not None:
            return route, params, None
        if allowed and "WEBSOCKET" in allowed:
            # A WebSocket route does not answer HTTP methods (nor the other way round).
            allowed = tuple(m for m in allowed if m != "WEBSOCKET")
        if allowed:
            return None, {}, Miss(405, f"Method {method} not allowed", allowed=allowed)
        return None, {}, self._redirect_or_404(method, path, host)

    def _resolve(
        self, method: str, path: str, segments: list[str], host: str | None
    ) -> tuple[Route | None, dict[str, Any], tuple[str, ...] | None]:
        allowed: tuple[str, ...] | None = None
        if host is not None and self._hosts:
            for pattern, table in self._hosts:
                host_params = pattern.match(host)
                if host_params is None:
                    continue
                route, params, allowed = table.lookup(method, path, segments)
                if route is not None:
                    if host_params:
                        params = {**host_params, **params}
                    return route, params, None
        route, params, default_allowed = self._default.lookup(method, path, segments)
        if route is not None:
            return route, params, None
        return None, {}, allowed or default_allowed

    def _path_exists(self, method: str, path: str, host: str | None) -> bool:
        segments = split_path(path)
        if segments is None:
            return False
        route, _, allowed = self._resolve(method, path, segments, host)
        return route is not None or bool(allowed)

    def _redirect_or_404(self, method: str, path: str, host: str | None) -> Miss:
        permanent = 301 if method in ("GET", "HEAD") else 308
        if not self.strict_slashes and path != "/":
            other = path[:-1] if path.endswith("/") else path + "/"
            if self._path_exists(method, other, host):
                return Miss(permanent, "Redirect to the canonical path", location=other)
        if self.redirect_fixed_path:
            location = self._fixed_path(method, path, host)
            if location is not None and location != path:
                return Miss(permanent, "Redirect to the canonical path", location=location)
        return Miss(404, "Not Found")

    def _fixed_path(self, method: str, path: str, host: str | None) -> str | None:
        cleaned = posixpath.normpath(re.sub("/{2,}", "/", path))
        if cleaned.startswith("//"):
            cleaned = "/" + cleaned.lstrip("/")
        if path.endswith("/") and cleaned != "/":
            cleaned += "/"
        if cleaned != path and self._path_exists(method, cleaned, host):
            return cleaned
        segments = split_path(cleaned)
        if segments is None:
            return None
        found = self._default.tree.match_case_insensitive(segments, method)
        if found is not None and found.payload is not None:
            return found.payload.builder.build(found.params)
        return None

    def explain(self, method: str, path: str, host: str | None = None) -> list[str]:
        """Describe every candidate tried for ``method path`` and why the winner won."""
        lines = [f"{method} {path}" + (f" (host {host})" if host else "")]
        segments = split_path(path)
        if segments is None:
            return [*lines, "malformed percent-encoding: 400"]
        if host is not None:
            for pattern, table in self._hosts:
                if pattern.match(host) is None:
                    lines.append(f"host {pattern.pattern}: does not match {host}")
                    continue
                lines.append(f"host {pattern.pattern}: matches")
                lines.extend("  " + line for line in table.tree.explain(segments, method))
        lines.append("routes without a host:")
        lines.extend("  " + line for line in self._default.tree.explain(segments, method))
        route, _, miss = self.match(method, path, host)
        if route is not None and route.choices:
            lines.append("=> the first of these whose conditions the request meets:")
            lines.extend(f"   {choice.label}, name {choice.name!r}" for choice in route.choices)
        elif route is not None:
            lines.append(f"=> {route.label}, name {route.name!r}")
        elif miss is not None:
            extra = f" -> {miss.location}" if miss.location else ""
            allowed = f" (allowed: {', '.join(miss.allowed)})" if miss.allowed else ""
            lines.append(f"=> {miss.status} {miss.message}{extra}{allowed}")
        return lines

    # -- reverse ----------------------------------------------------------------------
    def url_for(
        self,
        name: str,
        params: dict[str, Any],
        *,
        request: Any = None,
        external: bool = False,
        anchor: str | None = None,
        scheme: str | None = None,
        server_name: str = "",
    ) -> str:
        """Build the URL of route ``name`` (see :meth:`mvcpy.App.url_for`).

        ``request`` (host and scheme) is used for external URLs; without one,
        ``server_name`` gives the host.
        """
        route, path, extra = self.build(name, params)
        if self.path_prefix is not None:
            path = self.path_prefix(route, request, extra) + path
        if extra:
            query = {k: v for k, v in extra.items() if v is not None}
            if query:
                path += "?" + urlencode(query, doseq=True)
        if anchor:
            path += "#" + quote(anchor, safe="")
        if not external:
            return path
        if route.host is not None:
            host = route.host.build(params, f"route {name!r}")
        elif request is not None:
            host = request.host
        else:
            host = server_name
            if not host:
                raise URLBuildError(
                    f"cannot build an external URL for {name!r} outside a request: "
                    "set server_name in conf/app.toml"
                )
        scheme = scheme or (request.scheme if request is not None else "http")
        return f"{scheme}://{host}{path}"

    def build(self, name: str, params: dict[str, Any]) -> tuple[Route, str, dict[str, Any]]:
        """Return the route, its built path and the params left over for the query string."""
        route = self.names.get(name)
        if route is None:
            close = difflib.get_close_matches(name, list(self.names), n=3)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise URLBuildError(f"no route named {name!r}{hint}")
        path = route.builder.build(params)
        used = route.param_names
        extra = {k: v for k, v in params.items() if k not in used}
        return route, path, extra

    def iter_routes(self) -> list[Route]:
        """Return the routes in registration order."""
        return list(self.routes)
