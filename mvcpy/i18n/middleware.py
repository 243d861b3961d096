"""Choose each request's locale before routing, and make its catalogs active."""

from __future__ import annotations

import contextvars
from collections.abc import MutableMapping
from typing import Any

from mvcpy.i18n.catalogs import Catalogs
from mvcpy.i18n.negotiation import LocaleChooser
from mvcpy.translation import reset_active, set_active
from mvcpy.types import ASGIApp, Receive, Scope, Send

__all__ = ["LocaleMiddleware", "current_prefix"]

#: the locale prefix of the running request, which ``url_for`` puts back
current_prefix: contextvars.ContextVar[str] = contextvars.ContextVar(
    "mvcpy_locale_prefix", default=""
)
_VARY = (b"vary", b"Accept-Language, Cookie")
_REMEMBERED_HEADERS = 256


class LocaleMiddleware:
    """Serve ``/fr/posts`` as ``/posts`` in French (with ``url_prefix``), else choose from the
    visitor's cookie, then ``Accept-Language``, then the default locale.

    The response says its ``Content-Language``; a negotiated one also says ``Vary`` so that
    caches keep one copy per language.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        chooser: LocaleChooser,
        catalogs: Catalogs,
        url_prefix: bool,
        cookie: str,
    ) -> None:
        self.app = app
        self.chooser = chooser
        self.catalogs = catalogs
        self.url_prefix = url_prefix
        self.cookie = cookie.encode("latin-1") + b"="
        self.negotiates = len(chooser.locales) > 1
        # PERF: per locale, computed once: its headers, and its prefix for the scope
        self._headers: dict[tuple[str, bool], tuple[tuple[bytes, bytes], ...]] = {}
        self._prefixes = {locale: "/" + chooser.prefix(locale) for locale in chooser.locales}
        self._accepted: dict[str, str] = {}  # Accept-Language header -> locale, bounded

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)
            return
        locale = self._from_prefix(scope) if self.url_prefix else None
        prefix_token = None
        if locale is not None:
            prefix = self._prefixes[locale]
            scope = _strip_prefix(scope, prefix)
            prefix_token = current_prefix.set(prefix)
            vary = False
        else:
            locale = self._negotiate(scope) if self.negotiates else self.chooser.default
            vary = self.negotiates
        token = set_active(locale, self.catalogs.get(locale))
        try:
            if kind == "http":
                await self.app(
                    scope, receive, _LanguageSender(send, self._headers_of(locale, vary))
                )
            else:
                await self.app(scope, receive, send)
        finally:
            reset_active(token)
            if prefix_token is not None:
                current_prefix.reset(prefix_token)

    def _headers_of(self, locale: str, vary: bool) -> tuple[tuple[bytes, bytes], ...]:
        headers = self._headers.get((locale, vary))
        if headers is None:
            language = (b"content-language", locale.replace("_", "-").encode("latin-1"))
            headers = self._headers[locale, vary] = (language, _VARY) if vary else (language,)
        return headers

    def _from_prefix(self, scope: Scope) -> str | None:
        path: str = scope["path"]
        end = path.find("/", 1)
        return self.chooser.from_prefix(path[1:] if end == -1 else path[1:end])

    def _negotiate(self, scope: Scope) -> str:
        accept = ""
        for name, value in scope["headers"]:
            if name == b"cookie":
                for chunk in value.split(b";"):
                    chunk = chunk.strip()
                    if chunk.startswith(self.cookie):
                        found = self.chooser.known(chunk[len(self.cookie) :].decode("latin-1"))
                        if found is not None:
                            return found
            elif name == b"accept-language":
                accept = value.decode("latin-1")
        if not accept:
            return self.chooser.default
        found = self._accepted.get(accept)
        if found is None:
            found = self.chooser.from_header(accept) or self.chooser.default
            if len(self._accepted) < _REMEMBERED_HEADERS:  # browsers send a few; attackers many
                self._accepted[accept] = found
        return found


class _LanguageSender:
    """``send``, adding ``Content-Language`` (and ``Vary``) to the response's headers."""

    __slots__ = ("headers", "send")

    def __init__(self, send: Send, headers: tuple[tuple[bytes, bytes], ...]) -> None:
        self.send = send
        self.headers = headers

    async def __call__(self, message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", ()), *self.headers]
        await self.send(message)


def _strip_prefix(scope: Scope, prefix: str) -> Scope:
    path = scope["path"][len(prefix) :] or "/"
    raw = scope.get("raw_path")
    stripped = dict(scope)
    stripped["path"] = path
    if raw is not None and raw.startswith(prefix.encode("ascii")):
        stripped["raw_path"] = raw[len(prefix) :] or b"/"
    else:  # the prefix was percent-encoded: route on the decoded path
        stripped.pop("raw_path", None)
    return stripped
