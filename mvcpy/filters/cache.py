"""Response cache: whole GET responses by path, query and chosen headers, for a TTL.

Entries live in the app's cache (``[cache]``, :mod:`mvcpy.cache`) unless the filter is
given its own: there is one cache in the framework.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from mvcpy.http.response import Response

if TYPE_CHECKING:
    from mvcpy.application import Application
    from mvcpy.cache import Cache
    from mvcpy.context import Context
    from mvcpy.filters.chain import CallNext

__all__ = ["ResponseCache"]

_PREFIX = "response:"


def _directives(value: str | None) -> set[str]:
    if not value:
        return set()
    return {part.strip().split("=", 1)[0].lower() for part in value.split(",")}


class ResponseCache:
    """Serve repeated GET requests from a cache for ``ttl`` seconds.

    The key is the path, the query string and the values of the ``vary`` request
    headers (or ``key(ctx)``). Only ``200`` responses with a body built in advance are
    stored; never streams or files, never a response that sets a cookie or says
    ``Cache-Control: no-store`` or ``private``. A request with ``Cache-Control:
    no-store`` bypasses the cache; ``no-cache`` refreshes the entry. Answers carry
    ``X-Cache: HIT`` or ``MISS`` and, on hits, ``Age``.
    """

    __slots__ = ("_vary", "cache", "key", "max_body", "ttl", "vary")

    def __init__(
        self,
        ttl: float = 60,
        *,
        vary: Iterable[str] = ("accept", "accept-encoding"),
        key: Callable[[Context], str] | None = None,
        cache: Cache | None = None,
        max_body: int = 1024 * 1024,
    ) -> None:
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        self.ttl = ttl
        self.vary = tuple(vary)
        self._vary = tuple(h.lower() for h in self.vary)
        self.key = key
        #: where entries live: the app's cache when none is given (set when the app starts)
        self.cache = cache
        self.max_body = max_body

    @classmethod
    def from_config(cls, app: Application, options: dict[str, Any]) -> ResponseCache:
        """Build from ``[filters.cache]``: ``ttl``, ``vary``, ``redis_url``, ``max_body``."""
        redis_url = options.pop("redis_url", None)
        if not redis_url:
            return cls(**options)
        from mvcpy.cache import Cache
        from mvcpy.cache.redis import RedisBackend

        return cls(**options, cache=Cache(RedisBackend(redis_url), prefix="mvcpy:rc:"))

    def bind(self, app: Application) -> None:
        """Use the app's cache unless given one; close a given one's connections when the app
        stops (the app closes its own)."""
        if self.cache is None:
            self.cache = app.services["cache"]
        else:
            app.on_shutdown(self.cache.aclose)

    def cache_key(self, ctx: Context) -> str:
        """Return the cache key of this request."""
        if self.key is not None:
            return _PREFIX + self.key(ctx)
        request = ctx.request
        headers = request.headers
        varying = "|".join(headers.get(name, "") for name in self._vary)
        return f"{_PREFIX}{request.path}?{request.query_string}|{varying}"

    async def __call__(self, ctx: Context, call_next: CallNext) -> Response:
        """Answer from the cache, or run the chain and store a cacheable answer."""
        request = ctx.request
        if request.method not in ("GET", "HEAD"):
            response: Response = await call_next(ctx)
            return response
        asked = _directives(request.headers.get("cache-control"))
        if "no-store" in asked:
            response = await call_next(ctx)
            return response
        key = self.cache_key(ctx)
        cache = self.cache
        assert cache is not None, "ResponseCache runs after the app bound it"
        if "no-cache" not in asked:
            entry = await cache.aget(key)
            if entry is not None:
                return _hit(entry)
        response = await call_next(ctx)
        if self._cacheable(response):
            await cache.aset(key, _entry(response), self.ttl)
        response.raw_headers.append((b"x-cache", b"MISS"))
        return response

    def _cacheable(self, response: Response) -> bool:
        if response.status != 200 or type(response).__call__ is not Response.__call__:
            return False  # streams and files have their own __call__ and no body to store
        if len(response.body) > self.max_body:
            return False
        for name, value in response.raw_headers:
            if name == b"set-cookie":
                return False
            if name == b"cache-control" and {"no-store", "private"} & _directives(value.decode()):
                return False
            if name == b"vary" and value.strip() == b"*":
                return False
        return True

    def __repr__(self) -> str:
        return f"ResponseCache(ttl={self.ttl}, vary={list(self.vary)!r})"


def _entry(response: Response) -> bytes:
    """A response as stored: a JSON head (status, headers, time), a newline, the body."""
    headers = [
        (k.decode("latin-1"), v.decode("latin-1"))
        for k, v in response.raw_headers
        if k != b"content-length"
    ]
    head = json.dumps([response.status, headers, time.time()], separators=(",", ":"))
    return head.encode() + b"\n" + response.body


def _hit(entry: bytes) -> Response:
    head, _, body = entry.partition(b"\n")
    status, headers, stored = json.loads(head)
    hit = Response(body, status)
    hit.raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    hit.raw_headers.append((b"x-cache", b"HIT"))
    hit.raw_headers.append((b"age", str(max(0, int(time.time() - stored))).encode()))
    return hit
