"""The settings of views: ``[templates]`` and ``[static]``."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from mvcpy.config.section import Section, StrList

__all__ = ["StaticSettings", "TemplatesSettings"]


class TemplatesSettings(Section):
    """``[templates]``: how templates are found, compiled and cached (docs/views.md)."""

    env_defaults: ClassVar = {
        "dev": {"strict": True, "check_urls_at_start": True},
        "test": {"strict": True},
        "prod": {"cache_size": -1},
    }

    #: an undefined variable raises instead of rendering as empty
    strict: bool = False
    #: pick up edited templates on the next request; ``None`` follows debug (never in prod)
    auto_reload: bool | None = None
    #: compiled templates kept in memory (-1: all of them)
    cache_size: int = 400
    #: where compiled templates are cached on disk, shared by workers ("" turns it off)
    bytecode_cache: str = "instance/jinja_cache"
    #: packages whose ``templates/`` folders are searched after the project's
    packages: StrList = Field(default_factory=list)
    #: Jinja extensions to load, by import path
    extensions: StrList = Field(default_factory=list)
    #: check every ``url_for`` call in the templates when the app starts
    check_urls_at_start: bool = False


class StaticSettings(Section):
    """``[static]``: the URL and folders of ``static_url()`` in templates."""

    url: str = "/static"
    dirs: StrList = Field(default_factory=lambda: ["static"])
