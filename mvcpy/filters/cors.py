"""CORS: answer preflights and add ``Access-Control-*`` headers for allowed origins."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from mvcpy.errors import ConfigurationError
from mvcpy.http.response import Response

if TYPE_CHECKING:
    from mvcpy.context import Context
    from mvcpy.filters.chain import CallNext

__all__ = ["CORS"]

_VARY_ORIGIN = (b"vary", b"Origin")


class CORS:
    """Cross-origin resource sharing for the app (attach it with ``app.use``).

    ``origins`` lists exact origins (``"https://example.com"``) or ``"*"``;
    ``origin_regex`` matches whole origins. A request from an origin that is not
    allowed gets no CORS headers at all (the browser then blocks it). A preflight
    (``OPTIONS`` with ``Access-Control-Request-Method``) from an allowed origin is
    answered ``204`` here, before routing. Credentials with the wildcard origin are
    refused when the filter is built.
    """

    __slots__ = ("_allow_all", "_headers_value", "_methods_value", "_origins", "_regex",
                 "_simple", "allow_credentials", "allow_headers", "allow_methods",
                 "expose_headers", "max_age", "origin_regex", "origins")  # fmt: skip

    def __init__(
        self,
        origins: Iterable[str] = (),
        *,
        origin_regex: str | None = None,
        allow_methods: Iterable[str] = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"),
        allow_headers: Iterable[str] = (),
        expose_headers: Iterable[str] = (),
        allow_credentials: bool = False,
        max_age: int = 600,
    ) -> None:
        self.origins = tuple(origins)
        self.origin_regex = origin_regex
        self.allow_methods = tuple(m.upper() for m in allow_methods)
        self.allow_headers = tuple(h.lower() for h in allow_headers)
        self.expose_headers = tuple(expose_headers)
        self.allow_credentials = allow_credentials
        self.max_age = max_age
        self._allow_all = "*" in self.origins
        if self._allow_all and allow_credentials:
            raise ConfigurationError(
                "CORS: allow_credentials cannot be used with the wildcard origin '*'; "
                "list the allowed origins (or use origin_regex) instead"
            )
        if not self.origins and origin_regex is None:
            raise ConfigurationError("CORS needs origins=[...] or origin_regex")
        self._origins = frozenset(o.rstrip("/").lower() for o in self.origins if o != "*")
        self._regex = re.compile(origin_regex) if origin_regex else None
        self._methods_value = ", ".join(self.allow_methods)
        self._headers_value = ", ".join(self.allow_headers)
        simple: list[tuple[bytes, bytes]] = []
        if allow_credentials:
            simple.append((b"access-control-allow-credentials", b"true"))
        if self.expose_headers:
            simple.append((b"access-control-expose-headers", ", ".join(expose_headers).encode()))
        self._simple = tuple(simple)

    def allows(self, origin: str) -> bool:
        """Tell whether ``origin`` may read responses."""
        if self._allow_all:
            return True
        if origin.lower() in self._origins:
            return True
        return self._regex is not None and self._regex.fullmatch(origin) is not None

    def _allow_origin_value(self, origin: str) -> str:
        # The literal '*' only when any origin is allowed and no credentials are involved.
        return "*" if self._allow_all else origin

    async def __call__(self, ctx: Context, call_next: CallNext) -> Response:
        """Answer preflights; add CORS headers to responses for allowed origins."""
        request = ctx.request
        headers = request.headers
        origin = headers.get("origin")
        if origin is None:
            response: Response = await call_next(ctx)
            if not self._allow_all:
                response.raw_headers.append(_VARY_ORIGIN)
            return response
        allowed = self.allows(origin)
        if request.method == "OPTIONS" and "access-control-request-method" in headers:
            if allowed:
                return self._preflight(origin, headers.get("access-control-request-headers"))
            response = await call_next(ctx)
            response.raw_headers.append(_VARY_ORIGIN)
            return response
        response = await call_next(ctx)
        if not self._allow_all:
            response.raw_headers.append(_VARY_ORIGIN)
        if allowed:
            raw = response.raw_headers
            raw.append((b"access-control-allow-origin", self._allow_origin_value(origin).encode()))
            raw.extend(self._simple)
        return response

    def _preflight(self, origin: str, requested: str | None) -> Response:
        response = Response(b"", 204)
        response.add_header("access-control-allow-origin", self._allow_origin_value(origin))
        response.add_header("access-control-allow-methods", self._methods_value)
        if self.allow_headers == ("*",) or not self.allow_headers:
            # Echo what was asked when everything is allowed, else only the safe ones.
            if requested and self.allow_headers == ("*",):
                response.add_header("access-control-allow-headers", requested)
        else:
            response.add_header("access-control-allow-headers", self._headers_value)
        if self.allow_credentials:
            response.add_header("access-control-allow-credentials", "true")
        response.add_header("access-control-max-age", str(self.max_age))
        if not self._allow_all:
            response.raw_headers.append(_VARY_ORIGIN)
        return response

    def __repr__(self) -> str:
        return f"CORS(origins={list(self.origins)!r}, origin_regex={self.origin_regex!r})"
