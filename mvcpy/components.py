"""Components: how a feature installs itself into an app.

A component declares the settings sections it reads, and at build time receives a
:class:`Setup`: its own settings, the app's core settings, and the few registries a
feature may add to (routes, filters, template globals, health checks, ``mvcpy check``
checks, services). It gets startup and shutdown calls with the server's lifespan, and may
bring ``mvcpy`` commands. It never receives the app itself.

Components are found in three places, installed in this order: the built-in ones
(:data:`BUILTIN_COMPONENTS`), the ``mvcpy.components`` entry-point group of installed
distributions, and the ``components`` list of the project's configuration. See
``docs/architecture.md`` for a worked example.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from mvcpy.config.section import Section
from mvcpy.errors import ConfigurationError

if TYPE_CHECKING:
    from mvcpy.config.core import CoreSettings
    from mvcpy.config.settings import Config

__all__ = [
    "BUILTIN_COMPONENTS",
    "ENTRY_POINT_GROUP",
    "Check",
    "CheckResult",
    "Command",
    "CommandContext",
    "Component",
    "Registry",
    "ServiceComponent",
    "Services",
    "Setup",
    "discover",
    "load_component",
    "sections_of",
]

S = TypeVar("S", bound=Section)

#: The entry-point group that installed distributions list their components in.
ENTRY_POINT_GROUP = "mvcpy.components"

#: The framework's own components, by import path: the core names no battery.
BUILTIN_COMPONENTS: tuple[str, ...] = (
    "mvcpy.views.component:ViewsComponent",
    "mvcpy.orm.component:DatabaseComponent",
    "mvcpy.sessions.component:SessionsComponent",
    "mvcpy.auth:AuthComponent",
    "mvcpy.websocket:WebSocketComponent",
    "mvcpy.hub.component:HubComponent",
    "mvcpy.health:HealthComponent",
    "mvcpy.openapi:OpenAPIComponent",
    "mvcpy.cache.component:CacheComponent",
    "mvcpy.i18n.component:I18nComponent",
    "mvcpy.mail.component:MailComponent",
    "mvcpy.jobs.component:JobsComponent",
    "mvcpy.metrics.component:MetricsComponent",
    "mvcpy.tracing.component:TracingComponent",
    "mvcpy.ops.component:OpsComponent",
    "mvcpy.admin.component:AdminComponent",
    "mvcpy.manual.component:DocsComponent",
)


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one ``mvcpy check`` check: ``ok`` True, False (failed) or None (skipped).

    A ``fatal`` failure makes ``mvcpy serve`` refuse to start; a ``warning`` is a pass that
    says what to look at (shown as WARN, not counted as a failure).
    """

    name: str
    ok: bool | None
    message: str
    fatal: bool = False
    details: tuple[str, ...] = field(default_factory=tuple)
    warning: bool = False

    @property
    def failed(self) -> bool:
        """Whether the check ran and failed."""
        return self.ok is False


#: A ``mvcpy check`` check: called with the app once it is built, returns one result.
Check = Callable[[Any], CheckResult]


class CommandContext(Protocol):
    """What a component's command receives: its parsed arguments and the app, on demand."""

    args: argparse.Namespace

    def load_app(self) -> Any:
        """Import and return the project's app (``--app``, ``MVCPY_APP`` or discovered)."""
        ...


@dataclass(frozen=True)
class Command:
    """A ``mvcpy NAME`` command that a component brings.

    ``configure(parser)`` adds its arguments (``--app`` is always there);
    ``run(context)`` does the work and returns the exit status.
    """

    name: str
    help: str
    run: Callable[[CommandContext], int]
    configure: Callable[[argparse.ArgumentParser], None] | None = None
    description: str = ""


class Registry(Protocol):
    """The app-side registries a :class:`Setup` writes to (the app implements it)."""

    def add_route_function(
        self, method: str, path: str, handler: Any, name: str, any_host: bool
    ) -> None:
        """Route ``method path`` to a function handler called ``name``."""
        ...

    def add_error_handler(self, key: Any, handler: Callable[..., Any], replace: bool) -> None:
        """Handle errors of status or class ``key`` app-wide."""
        ...

    def add_router(
        self, path: str, controller: Any, mapping: str | None, name: str, filters: Sequence[Any]
    ) -> None:
        """Route ``path`` to a controller's actions, as ``app.router`` does."""
        ...

    def executor(self) -> Any:
        """Return the app's worker-thread pool (exists once the app has started)."""
        ...

    def add_filter(self, filter: Any) -> None:
        """Add an app-wide filter."""
        ...

    def add_middleware(self, factory: Callable[..., Any], options: dict[str, Any]) -> None:
        """Wrap the app in an ASGI middleware (outside those the project adds later)."""
        ...

    def add_health_check(self, name: str, check: Callable[..., Any]) -> None:
        """Add a named check to the health route."""
        ...

    def add_check(self, check: Check) -> None:
        """Add a ``mvcpy check`` check."""
        ...

    @property
    def services(self) -> Services:
        """The app's services."""
        ...

    @property
    def health_checks(self) -> Mapping[str, Callable[..., Any]]:
        """The checks of the ``[health]`` route, by name (a live view)."""
        ...

    @property
    def route_table(self) -> Any:
        """The app's route table."""
        ...

    def url_for(self, name: str, /, **params: Any) -> str:
        """Build the URL of route ``name``."""
        ...


class Setup:
    """What a component may read and add to while the app is being built."""

    __slots__ = ("_registry", "config", "root_path")

    def __init__(self, config: Config, root_path: Path, registry: Registry) -> None:
        #: every setting of the app (read your own with :meth:`settings`)
        self.config = config
        #: the project's root directory
        self.root_path = root_path
        self._registry = registry

    @property
    def core(self) -> CoreSettings:
        """The top-level settings (``secret_key``, ``debug``, ``app_name``, ...)."""
        return self.config.core

    @property
    def env(self) -> str:
        """The environment: ``dev``, ``test`` or ``prod``."""
        return self.config.env

    @property
    def debug(self) -> bool:
        """Whether debug is on (never in ``prod``)."""
        return self.config.core.debug and self.config.env != "prod"

    @property
    def services(self) -> Services:
        """The app's services (another component's, by name)."""
        return self._registry.services

    @property
    def health_checks(self) -> Mapping[str, Callable[..., Any]]:
        """The checks added with :meth:`health_check`, by name (a live view)."""
        return self._registry.health_checks

    @property
    def route_table(self) -> Any:
        """The app's route table (:class:`mvcpy.routing.Router`), to read; frozen at start."""
        return self._registry.route_table

    def url_for(self, name: str, /, **params: Any) -> str:
        """Build the URL of route ``name``, as ``app.url_for`` does."""
        return self._registry.url_for(name, **params)

    def settings(self, model: type[S]) -> S:
        """Return the validated section whose type is ``model``."""
        return self.config.section_of(model)

    def route(
        self, method: str, path: str, handler: Any, *, name: str, any_host: bool = False
    ) -> None:
        """Route ``method path`` to ``handler(ctx)`` (a function handler) called ``name``.

        ``any_host=True`` serves it whatever the ``Host`` header (probes use addresses).
        """
        self._registry.add_route_function(method, path, handler, name, any_host)

    def router(
        self,
        path: str,
        controller: type[Any],
        mapping: str | None = None,
        *,
        name: str,
        filters: Sequence[Any] = (),
    ) -> None:
        """Route ``path`` to the actions of ``controller`` (a :class:`~mvcpy.Controller`),
        as ``app.router`` does: ``mapping`` like ``"get:index;post:create"``, ``filters``
        run for these routes only."""
        self._registry.add_router(path, controller, mapping, name, filters)

    def error_handler(
        self, key: int | type[BaseException], handler: Callable[..., Any], *, replace: bool = True
    ) -> None:
        """Answer errors of status or class ``key`` with ``handler(ctx, exc)`` app-wide.

        ``replace=False`` keeps a handler the project registered itself.
        """
        self._registry.add_error_handler(key, handler, replace)

    def template_extension(self, extension: type[Any]) -> None:
        """Load the Jinja extension ``extension`` (a template tag) into the app's templates."""
        self._templates().add_extension(extension)

    def template_value(self, name: str, fn: Callable[[Any], Any]) -> None:
        """Give templates rendered for a request ``name`` = ``fn(ctx)``, computed only when
        a template uses it (so a page that does not pays nothing)."""
        self._templates().add_lazy(name, fn)

    def _templates(self) -> Any:
        return self._registry.services["templates"]

    def executor(self) -> Any:
        """Return the app's worker-thread pool; call it at run time (it exists once started)."""
        return self._registry.executor()

    def middleware(self, factory: Callable[..., Any], **options: Any) -> None:
        """Wrap the app in the ASGI middleware ``factory(app, **options)``, outside the
        project's own (what must happen before routing: the i18n locale prefix)."""
        self._registry.add_middleware(factory, options)

    def add_filter(self, filter: Any) -> None:
        """Run ``filter`` for every request of the app (after those already added)."""
        self._registry.add_filter(filter)

    def template_global(self, name: str, value: Any) -> None:
        """Make ``value`` available to every template as ``name``."""
        self._templates().add_global(value, name)

    def template_filter(self, name: str, fn: Callable[..., Any]) -> None:
        """Make ``fn`` available to every template as filter ``name``."""
        self._templates().add_filter(fn, name)

    def health_check(self, name: str, check: Callable[..., Any]) -> None:
        """Add check ``name`` to the health route (``[health]``); ``check(app)`` may raise."""
        self._registry.add_health_check(name, check)

    def check(self, check: Check) -> None:
        """Add a ``mvcpy check`` check: ``check(app) -> CheckResult``."""
        self._registry.add_check(check)

    def service(
        self, name: str, service: Any = None, *, factory: Callable[[], Any] | None = None
    ) -> None:
        """Publish ``service`` as ``app.services[name]``, or build it with ``factory`` on
        first use (so that an app that never uses it never imports what it needs)."""
        self._registry.services.add(name, service, factory=factory)

    def get_service(self, name: str) -> Any:
        """Return another component's service ``name`` (built on first use), or ``None``."""
        return self._registry.services.get(name)


class Services:
    """The app's named services (the database, the hub, ...), built on first use."""

    __slots__ = ("_built", "_factories")

    def __init__(self) -> None:
        self._built: dict[str, Any] = {}
        self._factories: dict[str, Callable[[], Any]] = {}

    def add(
        self, name: str, service: Any = None, *, factory: Callable[[], Any] | None = None
    ) -> None:
        """Add ``service``, or its ``factory``; a name is taken once."""
        if name in self._built or name in self._factories:
            raise ConfigurationError(f"a service named {name!r} is already installed")
        if factory is not None:
            self._factories[name] = factory
        else:
            self._built[name] = service

    def get(self, name: str, default: Any = None) -> Any:
        """Return service ``name``, building it on first use; ``default`` when absent."""
        try:
            return self._built[name]
        except KeyError:
            factory = self._factories.pop(name, None)
            if factory is None:
                return default
            service = self._built[name] = factory()
            return service

    def __getitem__(self, name: str) -> Any:
        service = self.get(name, _MISSING)
        if service is _MISSING:
            raise KeyError(name)
        return service

    def __contains__(self, name: object) -> bool:
        return name in self._built or name in self._factories

    def built(self, name: str) -> Any:
        """Return service ``name`` if it has been built, else ``None`` (never builds it)."""
        return self._built.get(name)


_MISSING = object()


class Component:
    """A feature that installs itself into an app: subclass it and list it.

    Class attributes: ``name`` (unique in an app), ``sections`` (``{"name": Model}``, the
    settings sections it reads), ``commands`` (``mvcpy`` commands it brings).
    """

    name: ClassVar[str] = ""
    sections: ClassVar[Mapping[str, type[Section]]] = {}
    commands: ClassVar[Sequence[Command]] = ()

    def install(self, setup: Setup) -> None:
        """Add routes, filters, template globals, checks and services; build-time only."""

    def start(self) -> None:
        """Check or precompute once the routes are frozen (``app.start()``, before serving);
        raising stops the app (a template that does not compile, say)."""

    async def startup(self) -> None:
        """Open what the component needs when the server starts (after the app is frozen)."""

    async def shutdown(self) -> None:
        """Close what :meth:`startup` opened; called even when another component failed."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


class ServiceComponent(Component):
    """A component that publishes one service, built on first use (``build``).

    Set ``service`` to its name; ``built()`` returns it once something has used it, for
    ``shutdown`` to close. Override ``enabled`` to publish nothing under some settings.
    """

    service: ClassVar[str] = ""

    def __init__(self) -> None:
        self.setup: Setup | None = None

    def enabled(self, setup: Setup) -> bool:
        """Whether to publish the service under these settings (yes by default)."""
        return True

    def install(self, setup: Setup) -> None:
        """Publish the service, to be built by :meth:`build` on first use."""
        if self.enabled(setup):
            self.setup = setup
            setup.service(self.service, factory=lambda: self.build(setup))

    def build(self, setup: Setup) -> Any:
        """Build the service (called once, on first use); every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} must define build(setup)")

    def built(self) -> Any:
        """Return the service if it has been built, else ``None``."""
        return self.setup.services.built(self.service) if self.setup is not None else None


def load_component(spec: str, where: str = "") -> type[Component]:
    """Import ``"module:Class"`` and check that it names a :class:`Component` subclass."""
    module_name, sep, attribute = spec.partition(":")
    origin = f" (from {where})" if where else ""
    if not sep or not module_name or not attribute:
        raise ConfigurationError(f"component {spec!r}{origin} must look like 'module:Class'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigurationError(f"component {spec!r}{origin} cannot be imported: {exc}") from exc
    value = getattr(module, attribute, None)
    if not (isinstance(value, type) and issubclass(value, Component)):
        raise ConfigurationError(
            f"component {spec!r}{origin} is not a subclass of mvcpy.components.Component"
        )
    if not value.name:
        raise ConfigurationError(f"component {spec!r}{origin} has no name")
    return value


@cache
def _entry_point_specs() -> tuple[tuple[str, str], ...]:
    found = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    return tuple(sorted((ep.value, f"entry point {ep.name!r} of {_dist(ep)}") for ep in found))


def _dist(ep: importlib.metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return getattr(dist, "name", None) or "an installed distribution"


def refresh_entry_points() -> None:
    """Forget the entry points read so far (after installing a distribution in-process)."""
    _entry_point_specs.cache_clear()


def discover(listed: Iterable[str] = ()) -> list[type[Component]]:
    """Return the component classes to install: built-in, entry points, then ``listed``.

    A class found twice is installed once; two different classes with one name are refused.
    """
    specs: list[tuple[str, str]] = [(spec, "") for spec in BUILTIN_COMPONENTS]
    specs.extend(_entry_point_specs())
    specs.extend((spec, "components in the configuration") for spec in listed)
    found: dict[str, type[Component]] = {}
    for spec, where in specs:
        cls = load_component(spec, where)
        other = found.get(cls.name)
        if other is not None and other is not cls:
            raise ConfigurationError(
                f"two components are named {cls.name!r}: {other.__module__}.{other.__name__} "
                f"and {cls.__module__}.{cls.__name__}"
            )
        found[cls.name] = cls
    return list(found.values())


def sections_of(components: Iterable[type[Component]]) -> dict[str, type[Section]]:
    """Return every settings section the components read; two owners of one name are refused."""
    sections: dict[str, type[Section]] = {}
    owners: dict[str, str] = {}
    for cls in components:
        for name, model in cls.sections.items():
            if name in sections and sections[name] is not model:
                raise ConfigurationError(
                    f"section [{name}] is claimed by components {owners[name]!r} and {cls.name!r}"
                )
            sections[name] = model
            owners[name] = cls.name
    return sections
