"""Typed settings: one frozen section per ``conf/app.toml`` table, validated at startup.

See :mod:`mvcpy.config.loader` for where values come from and in what order, and
``docs/configuration.md`` for every key.
"""

from mvcpy.config.core import (
    DEFAULT_SECRET_KEY,
    ENVIRONMENTS,
    ChecksSettings,
    CoreSettings,
    FiltersSettings,
    FormSettings,
    LoggingSettings,
    ServerSettings,
)
from mvcpy.config.loader import CORE_SECTIONS, Config, SettingsError, load_config
from mvcpy.config.section import SECRET, SECRET_URL, Secret, Section, StrList

__all__ = [
    "CORE_SECTIONS",
    "DEFAULT_SECRET_KEY",
    "ENVIRONMENTS",
    "SECRET",
    "SECRET_URL",
    "ChecksSettings",
    "Config",
    "CoreSettings",
    "FiltersSettings",
    "FormSettings",
    "LoggingSettings",
    "Secret",
    "Section",
    "ServerSettings",
    "SettingsError",
    "StrList",
    "load_config",
]
