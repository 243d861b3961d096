"""The Redis backend: values every worker and machine shares; Redis expires them.

Needs the ``redis`` package: ``pip install 'mvcpy-web[redis]'``. The sync client serves
actions on worker threads, the asyncio client the event loop; each is connected on
first use, and :meth:`RedisBackend.aclose` forgets the asyncio one (it belongs to the
event loop that used it).
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Mapping, Sequence
from typing import Any

from mvcpy.errors import ConfigurationError

__all__ = ["RedisBackend"]


def _ms(ttl: float | None) -> int | None:
    return max(1, int(ttl * 1000)) if ttl is not None else None


class RedisBackend:
    """Cached bytes in Redis, shared by every worker."""

    shared = True

    def __init__(self, url: str) -> None:
        if not url:
            raise ConfigurationError('[cache] backend = "redis" needs url = "redis://..."')
        try:
            self._redis = importlib.import_module("redis")
            self._redis_asyncio = importlib.import_module("redis.asyncio")
        except ImportError:
            raise ConfigurationError(
                "the Redis cache needs the redis package: pip install 'mvcpy-web[redis]'"
            ) from None
        self.url = url
        self._sync: Any = None
        self._async: Any = None
        self._async_loop: asyncio.AbstractEventLoop | None = None

    def _client(self) -> Any:
        if self._sync is None:
            self._sync = self._redis.Redis.from_url(self.url)
        return self._sync

    def _aclient(self) -> Any:
        # An asyncio client belongs to the loop it first ran on: a new loop (a script's
        # asyncio.run, a test client) gets its own, and the old one goes with its loop.
        loop = asyncio.get_running_loop()
        if self._async is None or self._async_loop is not loop:
            self._async = self._redis_asyncio.from_url(self.url)
            self._async_loop = loop
        return self._async

    @staticmethod
    def _queue_set(pipe: Any, items: Mapping[str, bytes], ttl: float | None) -> None:
        for key, value in items.items():
            pipe.set(key, value, px=_ms(ttl))

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """MGET the keys."""
        return list(self._client().mget(keys)) if keys else []

    def set_many(self, items: Mapping[str, bytes], ttl: float | None) -> None:
        """SET every item in one round trip."""
        pipe = self._client().pipeline(transaction=False)
        self._queue_set(pipe, items, ttl)
        pipe.execute()

    def delete_many(self, keys: Sequence[str]) -> None:
        """DEL the keys."""
        if keys:
            self._client().delete(*keys)

    def add(self, key: str, value: bytes, ttl: float | None) -> bool:
        """SET NX."""
        return bool(self._client().set(key, value, nx=True, px=_ms(ttl)))

    def incr(self, key: str, delta: int) -> int:
        """INCRBY."""
        return int(self._client().incrby(key, delta))

    def close(self) -> None:
        """Close the sync client's connections."""
        if self._sync is not None:
            self._sync.close()
            self._sync = None

    async def aget_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """MGET the keys."""
        return list(await self._aclient().mget(keys)) if keys else []

    async def aset_many(self, items: Mapping[str, bytes], ttl: float | None) -> None:
        """SET every item in one round trip."""
        pipe = self._aclient().pipeline(transaction=False)
        self._queue_set(pipe, items, ttl)
        await pipe.execute()

    async def adelete_many(self, keys: Sequence[str]) -> None:
        """DEL the keys."""
        if keys:
            await self._aclient().delete(*keys)

    async def aadd(self, key: str, value: bytes, ttl: float | None) -> bool:
        """SET NX."""
        return bool(await self._aclient().set(key, value, nx=True, px=_ms(ttl)))

    async def aincr(self, key: str, delta: int) -> int:
        """INCRBY."""
        return int(await self._aclient().incrby(key, delta))

    async def aclose(self) -> None:
        """Close the asyncio client (it belongs to the loop that used it) and the sync one."""
        if self._async is not None and self._async_loop is asyncio.get_running_loop():
            await self._async.aclose()
        self._async = None
        self.close()
