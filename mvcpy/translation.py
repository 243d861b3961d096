"""The active translations: what ``gettext`` and its kin read, in the core and in apps.

The i18n battery (:mod:`mvcpy.i18n`) chooses a locale per request and makes its catalogs
active here; the framework's own messages (validation errors, CSRF refusals, error pages)
and the app's ``_()`` calls read them. With no locale active every message is returned as
written, in English, so the core costs nothing when an app is not translated.
"""

from __future__ import annotations

import contextvars
import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

__all__ = [
    "N_",
    "Translations",
    "activate",
    "active_locale",
    "active_translations",
    "gettext",
    "install_gettext",
    "lazy_gettext",
    "lazy_ngettext",
    "lazy_pgettext",
    "ngettext",
    "npgettext",
    "pgettext",
    "reset_active",
    "set_active",
]


class Translations(Protocol):
    """What a catalog offers: :class:`gettext.NullTranslations` and Babel's ``Translations``."""

    def gettext(self, message: str) -> str: ...
    def ngettext(self, singular: str, plural: str, n: int) -> str: ...
    def pgettext(self, context: str, message: str) -> Any: ...
    def npgettext(self, context: str, singular: str, plural: str, n: int) -> Any: ...


_ENGLISH: Translations = _gettext.NullTranslations()

#: (locale, catalogs) of the running request or ``activate`` block; unset: English
_active: contextvars.ContextVar[tuple[str, Translations]] = contextvars.ContextVar(
    "mvcpy_translations"
)


def active_translations() -> Translations:
    """Return the catalogs of the current locale (English as written when none is active)."""
    found = _active.get(None)
    return _ENGLISH if found is None else found[1]


def active_locale(default: str = "en") -> str:
    """Return the identifier of the current locale (``fr``, ``pt_BR``), else ``default``."""
    found = _active.get(None)
    return default if found is None else found[0]


@contextmanager
def activate(locale: str, translations: Translations) -> Iterator[None]:
    """Make ``translations`` (the catalogs of ``locale``) active inside the block."""
    token = _active.set((locale, translations))
    try:
        yield
    finally:
        _active.reset(token)


def set_active(locale: str, translations: Translations) -> contextvars.Token[Any]:
    """Make ``translations`` active until :func:`reset_active` is given the token."""
    return _active.set((locale, translations))


def reset_active(token: contextvars.Token[Any]) -> None:
    """Make active again what was before :func:`set_active` returned ``token``."""
    _active.reset(token)


def _format(text: str, variables: dict[str, Any]) -> str:
    return text % variables if variables else text


def gettext(message: str, /, **variables: Any) -> str:
    """Translate ``message`` into the current locale; ``%(name)s`` takes ``variables``."""
    return _format(active_translations().gettext(message), variables)


def ngettext(singular: str, plural: str, n: int, /, **variables: Any) -> str:
    """Translate the form of ``singular``/``plural`` that fits ``n`` (given as ``num``)."""
    variables.setdefault("num", n)
    return active_translations().ngettext(singular, plural, n) % variables


def pgettext(context: str, message: str, /, **variables: Any) -> str:
    """Translate ``message`` as meant in ``context`` (one word, two meanings)."""
    return _format(str(active_translations().pgettext(context, message)), variables)


def npgettext(context: str, singular: str, plural: str, n: int, /, **variables: Any) -> str:
    """:func:`ngettext` with a ``context``."""
    variables.setdefault("num", n)
    return str(active_translations().npgettext(context, singular, plural, n)) % variables


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now (tables, constants)."""
    return message


def lazy_gettext(message: str, /, **variables: Any) -> Any:
    """:func:`gettext`, translated each time the text is used (module-level text)."""
    from babel.support import LazyProxy

    return LazyProxy(gettext, message, enable_cache=False, **variables)


def lazy_ngettext(singular: str, plural: str, n: int, /, **variables: Any) -> Any:
    """:func:`ngettext`, translated each time the text is used."""
    from babel.support import LazyProxy

    return LazyProxy(ngettext, singular, plural, n, enable_cache=False, **variables)


def lazy_pgettext(context: str, message: str, /, **variables: Any) -> Any:
    """:func:`pgettext`, translated each time the text is used."""
    from babel.support import LazyProxy

    return LazyProxy(pgettext, context, message, enable_cache=False, **variables)


def _raw_gettext(message: str) -> str:
    return active_translations().gettext(message)


def _raw_ngettext(singular: str, plural: str, n: int) -> str:
    return active_translations().ngettext(singular, plural, n)


def _raw_pgettext(context: str, message: str) -> str:
    return str(active_translations().pgettext(context, message))


def _raw_npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return str(active_translations().npgettext(context, singular, plural, n))


def install_gettext(environment: Any) -> None:
    """Give a Jinja environment built with ``jinja2.ext.i18n`` the active translations:
    ``{% trans %}``, ``{% pluralize %}``, ``_()``, ``gettext()``, ``ngettext()``, ``pgettext()``
    (new style: ``_("Hello %(name)s", name=user.name)``, escaped like any value)."""
    environment.install_gettext_callables(
        gettext=_raw_gettext,
        ngettext=_raw_ngettext,
        newstyle=True,
        pgettext=_raw_pgettext,
        npgettext=_raw_npgettext,
    )
