"""Which locale a request gets: its URL prefix, then the visitor's cookie, then
``Accept-Language``, then the default."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["LocaleChooser", "parse_accept_language"]

#: an Accept-Language header longer than this is read up to here (a hostile header is cheap)
_MAX_HEADER = 1024
_MAX_TAGS = 32


def parse_accept_language(header: str) -> list[str]:
    """Return the language tags of an ``Accept-Language`` header, most wanted first.

    ``fr-CH, fr;q=0.9, en;q=0.8, *;q=0.5`` gives ``["fr-CH", "fr", "en", "*"]``; tags with
    ``q=0`` or a malformed weight are left out.
    """
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header[:_MAX_HEADER].split(",")[:_MAX_TAGS]):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag:
            continue
        quality = 1.0
        params = params.strip()
        if params:
            name, _, value = params.partition("=")
            if name.strip().lower() != "q":
                continue
            try:
                quality = float(value)
            except ValueError:
                continue
            if not 0 < quality <= 1:
                continue
        weighted.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(weighted)]


def _key(tag: str) -> str:
    return tag.replace("-", "_").lower()


class LocaleChooser:
    """Match what a request asks for against the app's locales."""

    __slots__ = ("_by_key", "_by_language", "_by_prefix", "default", "locales")

    def __init__(self, locales: Iterable[str], default: str) -> None:
        self.locales = tuple(locales)
        self.default = default
        self._by_key = {_key(locale): locale for locale in self.locales}
        self._by_language: dict[str, str] = {}
        for locale in self.locales:  # the first locale of a language answers for it
            self._by_language.setdefault(_key(locale).split("_", 1)[0], locale)
        self._by_prefix = {self.prefix(locale): locale for locale in self.locales}

    @staticmethod
    def prefix(locale: str) -> str:
        """The URL segment of ``locale``: ``fr``, ``pt-br``."""
        return locale.replace("_", "-").lower()

    def from_prefix(self, segment: str) -> str | None:
        """The locale whose URL prefix is ``segment``, else ``None``."""
        return self._by_prefix.get(segment)

    def known(self, name: str) -> str | None:
        """The app's locale called ``name`` (any case, ``-`` or ``_``), else ``None``."""
        return self._by_key.get(_key(name))

    def from_header(self, header: str) -> str | None:
        """The best of the app's locales for an ``Accept-Language`` header, else ``None``.

        An exact tag wins (``pt-BR``); else its language (``fr-CA`` gets ``fr``); ``*``
        accepts the default.
        """
        for tag in parse_accept_language(header):
            if tag == "*":
                return self.default
            key = _key(tag)
            found = self._by_key.get(key) or self._by_language.get(key.split("_", 1)[0])
            if found is not None:
                return found
        return None
