"""Choose each request's locale before routing, and make its catalogs active."""

from __future__ import annotations

import contextvars
from collections.abc import MutableMapping
from typing import Any

from mvcpy.i18n.catalogs import Catalogs
from mvcpy.i18n.negotiation import LocaleChooser
from mvcpy.translation import activate
from mvcpy.types import ASGIApp, Receive, Scope, Send

__all__ = ["LOCALE_PREFIX_KEY", "LocaleMiddleware", "current_prefix"]

#: the scope key holding the locale prefix taken off the path (``/fr``)
LOCALE_PREFIX_KEY = "mvcpy.locale_prefix"
#: the locale prefix of the running request, which ``url_for`` puts back
current_prefix: contextvars.ContextVar[str] = contextvars.ContextVar(
    "mvcpy_locale_prefix", default=""
)
_VARY = (b"vary", b"Accept-Language, Cookie")


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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)
            return
        locale = self._from_prefix(scope) if self.url_prefix else None
        negotiated = locale is None
        if locale is not None:
            scope = _strip_prefix(scope, "/" + self.chooser.prefix(locale))
        else:
            locale = self._negotiate(scope) if self.negotiates else self.chooser.default
        language = [(b"content-language", locale.replace("_", "-").encode("latin-1"))]
        if negotiated and self.negotiates:
            language.append(_VARY)

        async def send_with_language(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *language]
            await send(message)

        token = None if negotiated else current_prefix.set(scope[LOCALE_PREFIX_KEY])
        try:
            with activate(locale, self.catalogs.get(locale)):
                await self.app(scope, receive, send_with_language if kind == "http" else send)
        finally:
            if token is not None:
                current_prefix.reset(token)

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
        if accept:
            return self.chooser.from_header(accept) or self.chooser.default
        return self.chooser.default


def _strip_prefix(scope: Scope, prefix: str) -> Scope:
    path = scope["path"][len(prefix) :] or "/"
    raw = scope.get("raw_path")
    stripped = dict(scope)
    stripped["path"] = path
    if raw is not None and raw.startswith(prefix.encode("ascii")):
        stripped["raw_path"] = raw[len(prefix) :] or b"/"
    else:  # the prefix was percent-encoded: route on the decoded path
        stripped.pop("raw_path", None)
    stripped[LOCALE_PREFIX_KEY] = prefix
    return stripped
