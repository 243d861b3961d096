"""The settings of internationalisation: ``[i18n]``."""

from __future__ import annotations

import zoneinfo
from typing import Self

from pydantic import field_validator, model_validator

from mvcpy.config.section import Section, StrList

__all__ = ["I18nSettings"]


class I18nSettings(Section):
    """``[i18n]``: the locales an app speaks and how a request chooses one (docs/i18n.md)."""

    #: the locale of a request that asks for none of the others
    default_locale: str = "en"
    #: every locale the app serves (Babel identifiers: ``en``, ``fr``, ``pt_BR``)
    locales: StrList = ["en"]
    #: serve ``/fr/...`` as ``/...`` in French; ``url_for`` keeps the request's prefix
    url_prefix: bool = False
    #: the cookie that holds a visitor's choice (set by POST ``/-/locale``)
    cookie: str = "locale"
    #: the time zone dates and times are shown in (an IANA name)
    timezone: str = "UTC"
    #: the project's catalogs, relative to the project package
    directory: str = "translations"
    #: routes whose URLs never take a locale prefix (glob patterns on route names)
    unprefixed_routes: StrList = ["health", "openapi*", "i18n.*"]

    @field_validator("default_locale", "locales", mode="after")
    @classmethod
    def _known_locales(cls, value: str | list[str]) -> str | list[str]:
        from babel import Locale, UnknownLocaleError

        for name in [value] if isinstance(value, str) else value:
            try:
                Locale.parse(name)
            except (ValueError, UnknownLocaleError):
                raise ValueError(f"{name!r} is not a locale Babel knows (en, fr, pt_BR)") from None
        return value

    @field_validator("timezone", mode="after")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (UTC, Europe/Paris)") from None
        return value

    @model_validator(mode="after")
    def _default_is_served(self) -> Self:
        if self.default_locale not in self.locales:
            raise ValueError(
                f"default_locale {self.default_locale!r} is not in locales {self.locales}"
            )
        return self

    @property
    def active(self) -> bool:
        """Whether requests need a locale chosen (more than English as written)."""
        return self.locales != ["en"] or self.default_locale != "en"
