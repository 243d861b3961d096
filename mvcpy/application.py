"""The app as the framework's own parts see it: a protocol, so that they need not import it.

Filters (``bind(app)``), the request context (``ctx.app``), controllers (``self.app``),
namespaces and the batteries' helpers are typed with :class:`Application`; the concrete
:class:`mvcpy.App` implements it. Keeping this protocol free of imports from above the
core is what keeps the import graph one-way (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mvcpy.components import Check, Services
    from mvcpy.config.settings import Config

__all__ = ["Application"]


class Application(Protocol):
    """What filters, controllers, the context and the batteries may use of the app."""

    #: the project's directory
    root_path: Path
    #: every setting, typed and frozen
    config: Config
    #: the services the components publish (``database``, ``hub``, ``sessions``, ...)
    services: Services
    #: the route table (:class:`mvcpy.routing.Router`), frozen at startup
    route_table: Any
    #: the app-wide error handlers (:class:`mvcpy.error_handling.ErrorHandlers`)
    error_handlers: Any
    #: the dependencies injected into actions (:class:`mvcpy.di.Container`)
    container: Any
    #: the templates (:class:`mvcpy.views.Templates`)
    templates: Any
    #: the session manager, or ``None`` when sessions are off
    sessions: Any
    #: ``fn(user_id) -> user`` registered with ``user_loader``
    load_user: Callable[[Any], Any] | None
    #: the app-wide filters, outermost first
    filters: list[Any]
    #: the checks of the ``[health]`` route, by name
    health_checks: dict[str, Callable[..., Any]]
    #: the ``mvcpy check`` checks the components added
    checks: list[Check]
    #: paths served whatever the ``Host`` header (health checks: probes use addresses)
    _any_host_paths: frozenset[str]
    #: the app-level error handler registries, for filters that answer errors themselves
    _app_error_handlers: tuple[Any, ...]
    #: the worker-thread pool of sync code, once started
    _executor: Any

    @property
    def env(self) -> str:
        """The environment: ``dev``, ``test`` or ``prod``."""
        ...

    @property
    def debug(self) -> bool:
        """Whether debug pages and template auto-reload are on (never in ``prod``)."""
        ...

    @property
    def secret_key(self) -> str:
        """The key that signs cookies and tokens."""
        ...

    @property
    def database(self) -> Any:
        """The app's database (:class:`mvcpy.orm.Database`)."""
        ...

    @property
    def hub(self) -> Any:
        """The app's hub (:class:`mvcpy.hub.Hub`)."""
        ...

    def url_for(self, name: str, /, **params: Any) -> str:
        """Build the URL of the route called ``name``."""
        ...

    def route(
        self,
        path: str,
        handler: Callable[..., Any],
        methods: Any = ("GET",),
        name: str | None = None,
        filters: Any = (),
    ) -> None:
        """Route ``path`` to ``handler(ctx)`` for ``methods``."""
        ...

    def on_shutdown(self, fn: Callable[[], Any]) -> Callable[[], Any]:
        """Run ``fn`` when the server stops."""
        ...

    def _check_not_started(self, what: str) -> None:
        """Refuse a registration once the app serves (namespaces call it)."""
        ...
