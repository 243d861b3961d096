"""The app's i18n service (``app.services["i18n"]``): its locales, catalogs and URLs."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from mvcpy.context import Context  # read at run time: set_locale is a route handler
from mvcpy.errors import HTTPError
from mvcpy.http.response import RedirectResponse
from mvcpy.i18n.catalogs import Catalogs
from mvcpy.i18n.middleware import current_prefix
from mvcpy.i18n.negotiation import LocaleChooser
from mvcpy.i18n.settings import I18nSettings
from mvcpy.openapi import undocumented
from mvcpy.routing.reverse import URLBuildError
from mvcpy.translation import activate, gettext

if TYPE_CHECKING:
    from mvcpy.routing.router import Route

__all__ = ["I18n"]

_YEAR = 365 * 24 * 3600


class I18n:
    """The locales an app serves and their catalogs.

    ``with i18n.activate("fr"):`` translates outside a request (a job, a mail, a test).
    """

    def __init__(self, settings: I18nSettings, directory: Path, *, reload: bool) -> None:
        self.settings = settings
        #: the project's catalogs (``translations/``)
        self.directory = directory
        self.chooser = LocaleChooser(settings.locales, settings.default_locale)
        self.catalogs = Catalogs(directory, reload=reload)
        self._unprefixed: dict[str | None, bool] = {}

    @property
    def active(self) -> bool:
        """Whether requests get a locale chosen: more than English as written is served, or
        the project has catalogs (its own English words, say)."""
        return self.settings.active or self.directory.is_dir()

    @property
    def locales(self) -> tuple[str, ...]:
        """The locales the app serves, as configured."""
        return self.chooser.locales

    def names(self) -> dict[str, str]:
        """Each locale's name in its own language (``{"fr": "français"}``), for switchers."""
        from babel import Locale

        return {
            locale: Locale.parse(locale).get_display_name(locale) or locale
            for locale in self.locales
        }

    @contextmanager
    def activate(self, locale: str) -> Iterator[None]:
        """Translate into ``locale`` inside the block (one of the app's locales)."""
        found = self.chooser.known(locale)
        if found is None:
            raise LookupError(f"{locale!r} is not one of the app's locales {list(self.locales)}")
        with activate(found, self.catalogs.get(found)):
            yield

    # -- URLs -------------------------------------------------------------------------
    def _is_unprefixed(self, name: str | None) -> bool:
        found = self._unprefixed.get(name)
        if found is None:
            patterns = self.settings.unprefixed_routes
            found = name is None or any(fnmatch.fnmatchcase(name, p) for p in patterns)
            self._unprefixed[name] = found
        return found

    def path_prefix(self, route: Route, request: Any, extra: dict[str, Any]) -> str:
        """What ``url_for`` puts before a route's path: the prefix the running request
        came with, or the one of ``_locale``; nothing for ``unprefixed_routes``."""
        wanted = extra.pop("_locale", None)
        if wanted is not None:
            if not self.settings.url_prefix:
                raise URLBuildError(
                    f"cannot build URL for {route.name!r} with _locale: "
                    "[i18n] url_prefix is off, so URLs carry no locale"
                )
            locale = self.chooser.known(wanted)
            if locale is None:
                raise URLBuildError(
                    f"cannot build URL for {route.name!r}: _locale={wanted!r} is not one "
                    f"of the app's locales {list(self.locales)}"
                )
            return "" if self._is_unprefixed(route.name) else "/" + self.chooser.prefix(locale)
        return "" if self._is_unprefixed(route.name) else current_prefix.get()

    def locale_url(self, ctx: Context) -> Callable[[str], str]:
        """``locale_url("fr")`` in templates: this page's URL in another locale."""
        scope = ctx.scope

        def build(locale: str) -> str:
            found = self.chooser.known(locale)
            if found is None:
                raise URLBuildError(f"{locale!r} is not one of the app's locales")
            raw = scope.get("raw_path")
            path = raw.decode("latin-1") if raw else quote(scope["path"])
            query = scope.get("query_string", b"")
            url = "/" + self.chooser.prefix(found) + (path if path != "/" else "/")
            return url + ("?" + query.decode("latin-1") if query else "")

        return build

    # -- the visitor's choice ---------------------------------------------------------
    @undocumented
    async def set_locale(self, ctx: Context) -> RedirectResponse:
        """``POST /-/locale`` (``locale``, ``next``): remember the visitor's locale in a
        cookie and go back to ``next`` (a path of this site), in that locale."""
        form = await ctx.request.form()
        wanted = str(form.get("locale") or "")
        locale = self.chooser.known(wanted)
        if locale is None:
            raise HTTPError(
                400,
                gettext(
                    "Unknown locale %(locale)s: choose one of %(locales)s",
                    locale=repr(wanted[:20]),
                    locales=", ".join(self.locales),
                ),
            )
        target = _local_path(str(form.get("next") or "/"))
        if self.settings.url_prefix:
            target = self._with_prefix(target, locale)
        response = RedirectResponse(target, 303)
        response.set_cookie(self.settings.cookie, locale, max_age=_YEAR)
        return response

    def _with_prefix(self, target: str, locale: str) -> str:
        segment, _, rest = target[1:].partition("/")
        if self.chooser.from_prefix(segment.split("?", 1)[0]) is not None:
            target = "/" + rest
        return "/" + self.chooser.prefix(locale) + target


def _local_path(target: str) -> str:
    """``target`` when it is a path of this site, else ``/`` (no open redirect)."""
    if (
        not target.startswith("/")
        or target.startswith(("//", "/\\"))
        or any(ord(c) < 0x20 or c == "\x7f" for c in target)
    ):
        return "/"
    return target
