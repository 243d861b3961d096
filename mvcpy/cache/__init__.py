"""The cache: ``app.cache`` (``self.cache`` in controllers), ``@cached``, and backends in
memory, Redis or nowhere. See ``docs/cache.md``."""

from mvcpy.cache.backends import Backend, MemoryBackend, NullBackend
from mvcpy.cache.cache import DEFAULT, Cache, cached
from mvcpy.cache.settings import CacheSettings

__all__ = ["DEFAULT", "Backend", "Cache", "CacheSettings", "MemoryBackend", "NullBackend", "cached"]
