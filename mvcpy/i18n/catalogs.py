"""The compiled catalogs of each locale: the project's first, then the framework's own."""

from __future__ import annotations

import threading
from pathlib import Path

from babel.support import NullTranslations, Translations

__all__ = ["FRAMEWORK_DOMAIN", "FRAMEWORK_TRANSLATIONS", "PROJECT_DOMAIN", "Catalogs"]

#: the domain of a project's catalogs: ``translations/<locale>/LC_MESSAGES/messages.mo``
PROJECT_DOMAIN = "messages"
#: the domain of mvcpy's own messages (validation errors, error pages, the scaffold's words)
FRAMEWORK_DOMAIN = "mvcpy"
#: where mvcpy's catalogs are shipped
FRAMEWORK_TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


class Catalogs:
    """Load each locale's catalogs once: the project's ``messages`` domain, falling back to
    mvcpy's ``mvcpy`` domain, then to the text as written.

    ``reload=True`` (development) reads a catalog again when its ``.mo`` file changes.
    """

    def __init__(self, directory: Path, *, reload: bool = False) -> None:
        self.directory = directory
        self.reload = reload
        self._loaded: dict[str, tuple[float, NullTranslations]] = {}
        self._lock = threading.Lock()

    def get(self, locale: str) -> NullTranslations:
        """Return the catalogs of ``locale`` (never fails: missing files mean English)."""
        found = self._loaded.get(locale)
        if found is not None and (not self.reload or found[0] == self._stamp(locale)):
            return found[1]
        with self._lock:
            stamp = self._stamp(locale)
            translations = _load(self.directory, locale, PROJECT_DOMAIN)
            translations.add_fallback(_load(FRAMEWORK_TRANSLATIONS, locale, FRAMEWORK_DOMAIN))
            self._loaded[locale] = (stamp, translations)
            return translations

    def _stamp(self, locale: str) -> float:
        path = self.directory / locale / "LC_MESSAGES" / f"{PROJECT_DOMAIN}.mo"
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0


def _load(directory: Path, locale: str, domain: str) -> NullTranslations:
    path = directory / locale / "LC_MESSAGES" / f"{domain}.mo"
    if not path.is_file():
        return NullTranslations()
    with path.open("rb") as file:
        return Translations(file, domain=domain)
