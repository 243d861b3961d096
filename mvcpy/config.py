"""Configuration: ``conf/app.toml`` sections, a dict in code, and ``MVCPY_*`` environment overrides.

Precedence, lowest first: framework defaults, the environment's defaults, ``[default]``,
the section named by ``MVCPY_ENV`` (``dev`` when unset), the dict given in code, and
finally ``MVCPY_<KEY>`` / ``MVCPY_<SECTION>__<KEY>`` environment variables.
"""

from __future__ import annotations

import copy
import os
import tomllib
from collections.abc import Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Any

from mvcpy.errors import ConfigurationError

__all__ = ["DEFAULT_SECRET_KEY", "ENVIRONMENTS", "Config", "load_config"]

DEFAULT_SECRET_KEY = "mvcpy-insecure-development-key-change-me"
ENVIRONMENTS = ("dev", "test", "prod")

FRAMEWORK_DEFAULTS: dict[str, Any] = {
    "app_name": "mvcpy",
    "secret_key": DEFAULT_SECRET_KEY,
    "debug": False,
    "allowed_hosts": [],
    "server_name": "",
    "max_body_size": 1024 * 1024,
    "strict_slashes": False,
    "redirect_fixed_path": False,
    "worker_threads": 40,
    "views": ["views"],
    "templates": {
        "strict": False,
        "auto_reload": None,  # None: follow debug; never in prod
        "cache_size": 400,
        "bytecode_cache": "instance/jinja_cache",
        "packages": [],
        "extensions": [],
        "check_urls_at_start": False,
    },
    "static": {"url": "/static", "dirs": ["static"]},
    "server": {"host": "127.0.0.1", "port": 8000},
    "form": {
        "max_fields": 1000,
        "max_parts": 1000,
        "max_field_size": 1024 * 1024,
        "max_file_size": 100 * 1024 * 1024,
    },
    "database": {
        "url": "",  # empty: a SQLite file at instance/app.sqlite3 under the project
        "async_url": "",  # empty: the async driver of url (aiosqlite, psycopg)
        "echo": False,
        "pool_size": 5,
        "max_overflow": 10,
        "pool_timeout": 30,
        "pool_recycle": 3600,
        "pool_pre_ping": False,
        "autocommit": True,
        "models": [],  # modules that define the models, for migrations and the shell
    },
    "session": {
        "enabled": True,  # lazy: requests that never touch the session pay nothing
        "backend": "cookie",  # cookie | memory | redis
        "cookie_name": "session",
        "max_age": 14 * 24 * 3600,
        "path": "/",
        "domain": "",
        "httponly": True,
        "samesite": "Lax",
        "secure": "auto",  # auto: on in prod and for HTTPS requests
        "sliding": False,  # re-send the cookie (renew the expiry) on every request
        "max_cookie_size": 4093,
        "header": "",  # e.g. "X-Session-Id": API clients send the session id in a header
        "old_secret_keys": [],  # still accepted when checking signatures (key rotation)
        "redis_url": "",
        "redis_prefix": "mvcpy:session:",
    },
    "csrf": {"field": "csrf_token"},
    "auth": {"login_route": "login", "redirect_hosts": []},
    "websocket": {
        "allowed_origins": [],  # browser origins allowed besides the request's own host
        "max_message_size": 1024 * 1024,  # bytes; a larger message closes with 1009
        "idle_timeout": 0,  # seconds without a message from the client before 1001; 0: never
        "message_rate": "",  # e.g. "20/second": more from one connection closes with 1008
        "ping_interval": 20.0,  # seconds between the server's pings (passed to uvicorn)
        "ping_timeout": 20.0,  # seconds to wait for the pong before closing
    },
    "hub": {
        "backend": "memory",  # memory (one process) | redis (every worker, every machine)
        "redis_url": "",
        "prefix": "mvcpy:hub:",
        "queue_size": 256,  # messages queued per connection before the slow-consumer policy
        "slow_consumer": "drop_oldest",  # drop_oldest | disconnect
    },
    "logging": {
        "format": "text",  # text | json (one JSON object per line); json in prod
        "level": "INFO",
        "configure": True,  # false: leave the mvcpy loggers to your own logging setup
    },
    "health": {
        "enabled": False,  # true: serve the health check at path (docs/deployment.md)
        "path": "/healthz",
        "database": True,  # run SELECT 1 on the app's database
        "timeout": 3.0,  # seconds a check may take before it counts as failed
    },
}

ENVIRONMENT_DEFAULTS: dict[str, dict[str, Any]] = {
    "dev": {"debug": True, "templates": {"strict": True, "check_urls_at_start": True}},
    "test": {"debug": False, "templates": {"strict": True}},
    "prod": {"debug": False, "templates": {"cache_size": -1}, "logging": {"format": "json"}},
}

_RESERVED_ENV = {"MVCPY_ENV", "MVCPY_APP"}


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)


def _parse_env_value(raw: str) -> Any:
    """Read an environment value as a TOML literal (``true``, ``8000``, ``["a"]``) or a string."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


class Config(MutableMapping[str, Any]):
    """The app's settings: a nested dict with ``env`` and dotted ``get("section.key")``."""

    def __init__(self, values: dict[str, Any], env: str, source: Path | None = None) -> None:
        self._values = values
        self.env = env
        self.source = source

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._values[key] = value

    def __delitem__(self, key: str) -> None:
        del self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def get(self, key: str, default: Any = None) -> Any:
        """Return a value by key or dotted path (``"database.url"``), or ``default``."""
        node: Any = self._values
        for part in key.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return default
            node = node[part]
        return node

    def section(self, name: str) -> dict[str, Any]:
        """Return section ``name`` as a dict (empty when absent)."""
        value = self._values.get(name)
        return value if isinstance(value, dict) else {}

    def __repr__(self) -> str:
        return f"Config(env={self.env!r}, keys={sorted(self._values)!r})"


def load_config(
    root: Path,
    overrides: Mapping[str, Any] | None = None,
    env: str | None = None,
    config_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Build the configuration for the project rooted at ``root``."""
    environ = os.environ if environ is None else environ
    env = env or environ.get("MVCPY_ENV") or "dev"
    if env not in ENVIRONMENTS:
        raise ConfigurationError(f"MVCPY_ENV={env!r} is not one of {', '.join(ENVIRONMENTS)}")
    values: dict[str, Any] = copy.deepcopy(FRAMEWORK_DEFAULTS)
    _merge(values, ENVIRONMENT_DEFAULTS[env])

    path = Path(config_file) if config_file is not None else root / "conf" / "app.toml"
    source: Path | None = None
    if path.is_file():
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"{path}: {exc}") from None
        unknown = set(document) - {"default", *ENVIRONMENTS}
        if unknown:
            raise ConfigurationError(
                f"{path}: unknown section(s) {sorted(unknown)}; "
                "use [default], [dev], [test], [prod]"
            )
        _merge(values, document.get("default", {}))
        _merge(values, document.get(env, {}))
        source = path
    elif config_file is not None:
        raise ConfigurationError(f"configuration file {path} does not exist")

    if overrides:
        _merge(values, overrides)

    for name, raw in environ.items():
        if not name.startswith("MVCPY_") or name in _RESERVED_ENV:
            continue
        key = name[len("MVCPY_") :].lower()
        section, sep, sub = key.partition("__")
        if sep:
            node = values.setdefault(section, {})
            if not isinstance(node, dict):
                raise ConfigurationError(f"{name}: {section!r} is not a section")
            node[sub] = _parse_env_value(raw)
        else:
            values[key] = _parse_env_value(raw)
    return Config(values, env, source)
