"""The core's settings: the top-level keys and the sections the request path reads.

Batteries declare their own sections beside their code (``mvcpy/orm/settings.py``,
``mvcpy/sessions/settings.py``, ...) and bring them in through their component.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt

from mvcpy.config.section import SECRET, Section, StrList

__all__ = [
    "DEFAULT_SECRET_KEY",
    "ENVIRONMENTS",
    "ChecksSettings",
    "CoreSettings",
    "FiltersSettings",
    "FormSettings",
    "LoggingSettings",
    "ServerSettings",
]

DEFAULT_SECRET_KEY = "mvcpy-insecure-development-key-change-me"
ENVIRONMENTS = ("dev", "test", "prod")

#: A built-in filter's entry in ``[filters]``: ``true``, ``false`` or a table of options.
FilterOptions = bool | dict[str, Any] | None


class CoreSettings(Section):
    """The top-level keys of ``conf/app.toml`` (``[default]``, ``[dev]``, ...)."""

    env_defaults: ClassVar = {"dev": {"debug": True}}

    #: the project's name (page titles, ``mvcpy check``)
    app_name: str = "mvcpy"
    #: signs cookies and tokens; ``prod`` refuses to start with the default or an empty key
    secret_key: Annotated[str, SECRET] = DEFAULT_SECRET_KEY
    #: development error page and template auto-reload; always off in ``prod``
    debug: bool = False
    #: when set, other ``Host`` headers get 400 (``".example.com"`` allows subdomains)
    allowed_hosts: StrList = Field(default_factory=list)
    #: host for ``url_for(..., _external=True)`` outside a request
    server_name: str = ""
    #: larger request bodies get 413
    max_body_size: NonNegativeInt = 1024 * 1024
    #: ``true`` turns off the trailing-slash redirect
    strict_slashes: bool = False
    #: redirect ``//``, ``/./``, ``/../`` and wrong case to the registered path
    redirect_fixed_path: bool = False
    #: threads that run sync code (actions, filters) per process: at most this many sync
    #: requests run at once (docs/controllers.md: fewer cost less CPU on a busy worker,
    #: more keep the site answering while requests wait on a slow database)
    worker_threads: PositiveInt = 40
    #: template directories, relative to the project
    views: StrList = Field(default_factory=lambda: ["views"])
    #: components of the project (``"module:Class"``), installed after the built-ins
    components: StrList = Field(default_factory=list)


class ServerSettings(Section):
    """``[server]``: where ``mvcpy run`` listens, and how long the server waits for slow
    clients (``mvcpy run`` and the gunicorn worker; :mod:`mvcpy.server_protocol`)."""

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8000
    #: seconds for a request's line and headers to arrive, then 408
    header_timeout: PositiveFloat = 10
    #: seconds a request body may send nothing, then 408
    body_timeout: PositiveFloat = 30


class FormSettings(Section):
    """``[form]``: limits on form and multipart bodies."""

    max_fields: NonNegativeInt = 1000
    max_parts: NonNegativeInt = 1000
    max_field_size: NonNegativeInt = 1024 * 1024
    max_file_size: NonNegativeInt = 100 * 1024 * 1024


class LoggingSettings(Section):
    """``[logging]``: the framework's log lines on stderr."""

    env_defaults: ClassVar = {"prod": {"format": "json"}}

    #: one JSON object per line, or text
    format: Literal["text", "json"] = "text"
    #: a level name (``"INFO"``) or number
    level: str | int = "INFO"
    #: ``false`` leaves the mvcpy loggers to your own logging setup
    configure: bool = True


class FiltersSettings(Section):
    """``[filters]``: built-in filters turned on from the file, each ``true`` or its options.

    Configured built-ins run before the filters added in code, in the order of the fields.
    ``security_headers`` is on in ``prod`` unless the file says ``false``.
    """

    env_defaults: ClassVar = {"prod": {"security_headers": True}}

    proxies: FilterOptions = None
    request_id: FilterOptions = None
    access_log: FilterOptions = None
    recovery: FilterOptions = None
    security_headers: FilterOptions = None
    cors: FilterOptions = None
    compression: FilterOptions = None
    #: ``None``: a project with ``static/`` serves it at ``/static``
    static: FilterOptions = None
    body_limit: FilterOptions = None
    timeout: FilterOptions = None
    basic_auth: FilterOptions = None
    bearer_auth: FilterOptions = None
    rate_limit: FilterOptions = None
    cache: FilterOptions = None


class ChecksSettings(Section):
    """``[checks]``: the ``mvcpy check`` failures this project accepts, by name, as
    Django's ``SILENCED_SYSTEM_CHECKS`` (``silence = ["csrf"]`` for a site without forms)."""

    silence: StrList = Field(default_factory=list)
