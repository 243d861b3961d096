"""Conditions a route puts on a request beyond its path and method: headers, query
parameters and the scheme, as Gorilla Mux's matchers do.

Routes with one path and the same methods may differ by conditions: the router tries the
conditional ones in registration order, then the one without conditions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

__all__ = ["When"]

#: what a header or query parameter must be: this text, text this regex finds, or present
Wanted = str | re.Pattern[str] | None


class When:
    """What a request must carry for a route to take it.

    ``headers`` and ``query`` map a name to the exact text, a compiled regex that must be
    found in the value (``re.compile("json")``), or ``None`` for "present, any value";
    header names are case-insensitive. ``scheme`` is ``"https"`` or ``"http"`` as the
    server saw it.
    """

    __slots__ = ("headers", "query", "scheme")

    def __init__(
        self,
        headers: Mapping[str, Wanted] | None = None,
        query: Mapping[str, Wanted] | None = None,
        scheme: str | None = None,
    ) -> None:
        #: (lower-case name, wanted), sorted
        self.headers = tuple(sorted((k.lower(), v) for k, v in (headers or {}).items()))
        #: (name, wanted), sorted
        self.query = tuple(sorted((query or {}).items()))
        self.scheme = scheme
        if scheme is not None and scheme not in ("http", "https", "ws", "wss"):
            raise ValueError(f"scheme {scheme!r}: use http, https, ws or wss")
        if not (self.headers or self.query or scheme):
            raise ValueError("When() needs headers, query or scheme")

    def _key(self) -> tuple[Any, ...]:
        return (self.headers, self.query, self.scheme)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, When) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"When({self.describe()})"

    def holds(self, scope: Mapping[str, Any]) -> bool:
        """Whether the request of ``scope`` meets every condition."""
        if self.scheme is not None and scope.get("scheme", "http") != self.scheme:
            return False
        if self.headers:
            sent: dict[str, str] = {}
            for name, value in scope.get("headers", ()):
                sent.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
            if not all(_fits(sent.get(n), w) for n, w in self.headers):
                return False
        if self.query:
            raw = scope.get("query_string", b"").decode("latin-1")
            given = dict(parse_qsl(raw, keep_blank_values=True)) if raw else {}
            if not all(_fits(given.get(n), w) for n, w in self.query):
                return False
        return True

    def describe(self) -> str:
        """``header accept~json, query format=json, scheme https``."""
        parts = [f"header {n}{_show(w)}" for n, w in self.headers]
        parts += [f"query {n}{_show(w)}" for n, w in self.query]
        if self.scheme:
            parts.append(f"scheme {self.scheme}")
        return ", ".join(parts)


def _fits(value: str | None, wanted: Wanted) -> bool:
    if value is None:
        return False
    if wanted is None:
        return True
    if isinstance(wanted, str):
        return value == wanted
    return wanted.search(value) is not None


def _show(wanted: Wanted) -> str:
    if wanted is None:
        return " (present)"
    if isinstance(wanted, str):
        return f"={wanted}"
    return f"~{wanted.pattern}"
