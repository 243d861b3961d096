"""Response cache: whole GET responses by path, query and chosen headers, for a TTL."""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

from mvcpy.errors import ConfigurationError
from mvcpy.http.response import Response

if TYPE_CHECKING:
    from mvcpy.application import Application
    from mvcpy.context import Context
    from mvcpy.filters.chain import CallNext

__all__ = ["CacheBackend", "CachedResponse", "MemoryCache", "RedisCache", "ResponseCache"]

#: status, headers, body, the time it was stored
CachedResponse = tuple[int, list[tuple[bytes, bytes]], bytes, float]


class CacheBackend(Protocol):
    """Where cached responses live."""

    async def get(self, key: str) -> CachedResponse | None:
        """Return the entry for ``key``, or ``None`` when absent or expired."""
        ...

    async def set(self, key: str, entry: CachedResponse, ttl: float) -> None:
        """Store ``entry`` under ``key`` for ``ttl`` seconds."""
        ...


class MemoryCache:
    """Entries in this process's memory, at most ``max_entries`` (least recently used go)."""

    __slots__ = ("_entries", "clock", "max_entries")

    def __init__(self, max_entries: int = 1000, clock: Callable[[], float] = time.time) -> None:
        self.max_entries = max_entries
        self.clock = clock
        self._entries: dict[str, tuple[float, CachedResponse]] = {}

    async def get(self, key: str) -> CachedResponse | None:
        """Return a live entry (and mark it recently used)."""
        item = self._entries.pop(key, None)
        if item is None:
            return None
        expires, entry = item
        if expires <= self.clock():
            return None
        self._entries[key] = item
        return entry

    async def set(self, key: str, entry: CachedResponse, ttl: float) -> None:
        """Store ``entry``, evicting the least recently used ones past ``max_entries``."""
        self._entries.pop(key, None)
        self._entries[key] = (self.clock() + ttl, entry)
        while len(self._entries) > self.max_entries:
            del self._entries[next(iter(self._entries))]


class RedisCache:
    """Entries in Redis, shared by every worker; they expire with the TTL.

    Needs the ``redis`` package: ``pip install 'mvcpy[redis]'``.
    """

    __slots__ = ("_client", "prefix", "url")

    def __init__(self, url: str | None = None, *, client: Any = None, prefix: str = "mvcpy:rc:"):
        if (url is None) == (client is None):
            raise ConfigurationError("RedisCache needs a url or a client")
        try:
            redis_asyncio = importlib.import_module("redis.asyncio")
        except ImportError:
            raise ConfigurationError(
                "the Redis response cache needs redis: pip install 'mvcpy[redis]'"
            ) from None
        self.url = url
        self.prefix = prefix
        self._client = client if client is not None else redis_asyncio.from_url(url)

    async def get(self, key: str) -> CachedResponse | None:
        """Fetch and decode an entry."""
        raw = await self._client.get(self.prefix + key)
        if raw is None:
            return None
        head, _, body = raw.partition(b"\n")
        status, headers, stored = json.loads(head)
        return (
            status,
            [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
            body,
            stored,
        )

    async def set(self, key: str, entry: CachedResponse, ttl: float) -> None:
        """Encode and store an entry with a TTL."""
        status, headers, body, stored = entry
        head = json.dumps(
            [status, [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers], stored]
        )
        await self._client.set(self.prefix + key, head.encode() + b"\n" + body, px=int(ttl * 1000))

    async def close(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()


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

    __slots__ = ("_vary", "backend", "key", "max_body", "ttl", "vary")

    def __init__(
        self,
        ttl: float = 60,
        *,
        vary: Iterable[str] = ("accept", "accept-encoding"),
        key: Callable[[Context], str] | None = None,
        backend: CacheBackend | None = None,
        max_body: int = 1024 * 1024,
    ) -> None:
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        self.ttl = ttl
        self.vary = tuple(vary)
        self._vary = tuple(h.lower() for h in self.vary)
        self.key = key
        self.backend: CacheBackend = backend if backend is not None else MemoryCache()
        self.max_body = max_body

    @classmethod
    def from_config(cls, app: Application, options: dict[str, Any]) -> ResponseCache:
        """Build from ``[filters.cache]``: ``ttl``, ``vary``, ``redis_url``, ``max_body``."""
        redis_url = options.pop("redis_url", None)
        if redis_url:
            options["backend"] = RedisCache(redis_url)
        return cls(**options)

    def bind(self, app: Application) -> None:
        """Close the backend's connections when the app shuts down."""
        close = getattr(self.backend, "close", None)
        if close is not None:
            app.on_shutdown(close)

    def cache_key(self, ctx: Context) -> str:
        """Return the cache key of this request."""
        if self.key is not None:
            return self.key(ctx)
        request = ctx.request
        headers = request.headers
        varying = "|".join(headers.get(name, "") for name in self._vary)
        return f"{request.path}?{request.query_string}|{varying}"

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
        if "no-cache" not in asked:
            entry = await self.backend.get(key)
            if entry is not None:
                status, headers, body, stored = entry
                hit = Response(body, status)
                hit.raw_headers = [*headers, (b"x-cache", b"HIT")]
                hit.raw_headers.append((b"age", str(max(0, int(time.time() - stored))).encode()))
                return hit
        response = await call_next(ctx)
        if self._cacheable(response):
            headers = [(k, v) for k, v in response.raw_headers if k != b"content-length"]
            await self.backend.set(
                key, (response.status, headers, response.body, time.time()), self.ttl
            )
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
