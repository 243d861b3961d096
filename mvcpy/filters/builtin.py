"""Turn on the built-in filters named in ``[filters]`` of ``conf/app.toml``, and bind filters.

Each key of the ``filters`` table names a built-in; its value is a table of the
options the filter's class takes (``true`` for the defaults, ``enabled = false`` or
``false`` to turn it off). Configured built-ins run before the filters added in code,
in the fixed order of :data:`BUILTINS`, whatever the order in the file.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from mvcpy.config import FiltersSettings
from mvcpy.errors import ConfigurationError

if TYPE_CHECKING:
    from mvcpy.application import Application
    from mvcpy.filters.chain import Filter

__all__ = ["BUILTINS", "configured_filters", "prepare_filters"]

#: Config name -> (module, class), in the order the filters run (outermost first).
BUILTINS: dict[str, tuple[str, str]] = {
    "proxies": ("mvcpy.filters.proxies", "ProxyHeaders"),
    "request_id": ("mvcpy.filters.request_id", "RequestID"),
    "access_log": ("mvcpy.filters.access_log", "AccessLog"),
    "recovery": ("mvcpy.filters.recovery", "Recovery"),
    "security_headers": ("mvcpy.filters.security", "SecurityHeaders"),
    "cors": ("mvcpy.filters.cors", "CORS"),
    "compression": ("mvcpy.filters.compression", "Compression"),
    "static": ("mvcpy.filters.static", "Static"),
    "body_limit": ("mvcpy.filters.body_limit", "BodyLimit"),
    "timeout": ("mvcpy.filters.timeout", "Timeout"),
    "basic_auth": ("mvcpy.filters.auth", "BasicAuth"),
    "bearer_auth": ("mvcpy.filters.auth", "BearerAuth"),
    "rate_limit": ("mvcpy.filters.ratelimit", "RateLimit"),
    "cache": ("mvcpy.filters.cache", "ResponseCache"),
}


def _builtin_class(name: str) -> Any:
    module, cls = BUILTINS[name]
    return getattr(importlib.import_module(module), cls)


def configured_filters(app: Application, only: Iterable[str] | None = None) -> list[Filter]:
    """Build the built-in filters that ``[filters]`` turns on, in run order (those named
    in ``only``, when given: ``mvcpy check`` builds just the one it inspects)."""
    return [filter for _, filter in _configured(app, only)]


def _configured(app: Application, only: Iterable[str] | None = None) -> list[tuple[str, Filter]]:
    """The configured built-ins with their ``[filters]`` names, in run order."""
    section = app.config.section_of(FiltersSettings)
    filters: list[tuple[str, Filter]] = []
    wanted = set(BUILTINS if only is None else only)
    for name in (n for n in BUILTINS if n in wanted):
        options = getattr(section, name)
        if name == "static" and options is None:
            options = _default_static(app)
        if options is None or options is False:
            continue
        if options is True:
            options = {}
        if not isinstance(options, dict):
            raise ConfigurationError(f"[filters.{name}] must be a table of options or true/false")
        options = dict(options)
        if not options.pop("enabled", True):
            continue
        cls = _builtin_class(name)
        try:
            made = cls.from_config(app, options) if hasattr(cls, "from_config") else cls(**options)
            filters.append((name, made))
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(f"[filters.{name}]: {exc}") from exc
    return filters


def _default_static(app: Application) -> dict[str, Any] | None:
    # A project (a directory with conf/app.toml) serves its static/ at /static unless
    # [filters] says static = false.
    if app.config.source is not None and (app.root_path / "static").is_dir():
        return {}
    return None


def _bind(app: Application, filters: Iterable[Filter], seen: set[int]) -> None:
    for filter in filters:
        if id(filter) in seen:
            continue
        seen.add(id(filter))
        bind = getattr(filter, "bind", None)
        if bind is not None:
            bind(app)


def prepare_filters(app: Application) -> None:
    """Put the configured built-ins first among the app's filters (static files last, after
    the app's own), then bind every filter.

    Binding calls ``filter.bind(app)`` once, at startup, on each filter that has it, so
    that filters can read the environment, the project root or the debug flag.
    """
    configured = _configured(app)
    # Static files are answered innermost among the app's filters, so that every app
    # filter (configured or added with app.use) sees those responses too.
    app.filters[:] = [
        *(f for name, f in configured if name != "static"),
        *app.filters,
        *(f for name, f in configured if name == "static"),
    ]
    seen: set[int] = set()
    _bind(app, app.filters, seen)
    for route in app.route_table.routes:
        if route.namespace is not None:
            for namespace in route.namespace.chain():
                _bind(app, namespace.filters, seen)
        _bind(app, route.filters, seen)
