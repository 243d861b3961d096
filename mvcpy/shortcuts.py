"""The methods :class:`mvcpy.App` offers for its built-in features.

They name batteries (the database, the hub, health checks, OpenAPI, templates, users), so
they live here rather than in ``app.py``, whose core names none (docs/architecture.md).
Each is a thin call into its battery; new batteries add no method here, they install
themselves as components.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from mvcpy.stats import RouteStat
from mvcpy.views.engine import registrar

if TYPE_CHECKING:
    from mvcpy.cache.cache import Cache
    from mvcpy.components import Services
    from mvcpy.hub.hub import Hub
    from mvcpy.orm.database import Database

__all__ = ["FeatureShortcuts"]


class FeatureShortcuts:
    """Feature methods of the app: templates, users, health, OpenAPI, live updates, stats."""

    # Provided by App; declared for the type checker.
    services: Services
    templates: Any
    load_user: Callable[[Any], Any] | None
    _on_complete: list[Callable[[RouteStat], Any]]
    _check_not_started: Callable[[str], None]
    route: Callable[..., None]

    @property
    def database(self) -> Database:
        """The app's database (``[database]`` in the configuration); engines open on first use."""
        database: Database = self.services["database"]
        return database

    @property
    def cache(self) -> Cache:
        """The app's cache (``[cache]``): ``get``/``aget``, ``set``/``aset``, ``@cached``."""
        cache: Cache = self.services["cache"]
        return cache

    @property
    def hub(self) -> Hub:
        """The app's hub (``[hub]`` in the configuration): rooms, broadcasts, presence."""
        hub: Hub = self.services["hub"]
        return hub

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

    def user_loader(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Register ``fn(user_id)`` or ``fn(user_id, ctx)`` (sync or async) that loads the
        session's user for ``current_user``, once a request."""
        self._check_not_started("register the user loader")
        self.load_user = fn
        return fn

    def token_loader(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Register ``fn(token)`` or ``fn(token, ctx)`` (sync or async) that returns the user
        of an ``Authorization: Bearer|Token <token>`` header, or ``None`` (then 401).

        The schemes are ``[auth] token_schemes``; such a user is ``current_user`` as a
        logged-in one is, for ``login_required`` and permissions too (docs/accounts.md).
        """
        self._check_not_started("register the token loader")
        self.services["auth"].token_loader = fn
        return fn

    def health_check(
        self,
        path: str | None = None,
        *,
        name: str = "health",
        database: bool | None = None,
        checks: Mapping[str, Callable[[Any], Any]] | None = None,
    ) -> None:
        """Serve GET ``path`` (``[health] path``, ``/healthz``): 200 when every check passes.

        ``[health] enabled = true`` does it from the settings. See :mod:`mvcpy.health`.
        """
        from mvcpy.health import add_health_check

        add_health_check(self, path, name=name, database=database, checks=checks)  # type: ignore[arg-type]

    def openapi(self, title: str | None = None, version: str = "0.1.0") -> dict[str, Any]:
        """Return the OpenAPI 3.1 document of the routes (see docs/request-data.md)."""
        from mvcpy.openapi import build_openapi

        return build_openapi(self, title, version)  # type: ignore[arg-type]

    def serve_openapi(
        self, path: str = "/openapi.json", name: str = "openapi", **options: Any
    ) -> None:
        """Serve the OpenAPI document as JSON at ``path`` (``[openapi] enabled`` does it too)."""
        from mvcpy.openapi import OpenAPIHandler

        self.route(path, OpenAPIHandler(**options), ("GET",), name)

    def serve_live_script(self, path: str = "/mvcpy/live.js", name: str = "mvcpy.live") -> None:
        """Serve the client script of live updates (docs/realtime.md) at ``path`` (opt-in)."""
        from mvcpy.hub.script import live_script

        self.route(path, live_script, ("GET",), name)

    def on_request_complete(self, fn: Callable[[RouteStat], Any]) -> Callable[[RouteStat], Any]:
        """Call ``fn(stat)`` (sync or async) after each response is sent; see RouteStat."""
        self._check_not_started("add a request-complete callback")
        self._on_complete.append(fn)
        return fn
