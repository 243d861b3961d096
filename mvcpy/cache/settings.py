"""The settings of the cache: ``[cache]``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import PositiveFloat, PositiveInt

from mvcpy.config.section import SECRET_URL, Section

__all__ = ["CacheSettings"]


class CacheSettings(Section):
    """``[cache]``: where cached values live (docs/cache.md)."""

    #: memory (this process, LRU) | redis (every worker, every machine) | null (stores nothing)
    backend: Literal["memory", "redis", "null"] = "memory"
    #: the Redis server, for ``backend = "redis"``
    url: Annotated[str, SECRET_URL] = ""
    #: put before every key, so that apps can share a Redis database
    prefix: str = "mvcpy:cache:"
    #: seconds a value lives when ``set`` is not told otherwise
    default_ttl: PositiveFloat = 300.0
    #: the memory backend keeps at most this many values (least recently used go first)
    max_entries: PositiveInt = 10_000
    #: seconds a ``get_or_set`` computation may hold its key against other workers
    lock_timeout: PositiveFloat = 10.0
