"""The cache component: ``[cache]`` and the ``cache`` service (``app.cache``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mvcpy.cache.settings import CacheSettings
from mvcpy.components import CheckResult, ServiceComponent, Setup

if TYPE_CHECKING:
    from mvcpy.application import Application
    from mvcpy.cache.cache import Cache

__all__ = ["CacheComponent"]


class CacheComponent(ServiceComponent):
    """Publish the app's :class:`~mvcpy.cache.Cache`, built from ``[cache]``.

    ``mvcpy check`` warns when production keeps the cache in each worker's memory while
    more than one worker serves (``WEB_CONCURRENCY`` or the project's gunicorn.conf.py).
    """

    name = "cache"
    service = "cache"
    sections = {"cache": CacheSettings}

    def install(self, setup: Setup) -> None:
        """Publish the cache (``cache`` in templates too), its ``{% cache %}`` tag and its
        ``mvcpy check`` check."""
        from mvcpy.cache.fragments import FragmentCache

        self.setup = setup
        cache = self.build(setup)  # connects on first use, not now
        setup.service(self.service, cache)
        setup.template_global("cache", cache)
        setup.template_extension(FragmentCache)
        setup.check(_check_backend)

    def build(self, setup: Setup) -> Cache:
        """Build the cache and its backend from ``[cache]``."""
        from mvcpy.cache.backends import Backend, MemoryBackend, NullBackend
        from mvcpy.cache.cache import Cache

        settings = setup.settings(CacheSettings)
        backend: Backend
        if settings.backend == "redis":
            from mvcpy.cache.redis import RedisBackend

            backend = RedisBackend(settings.url)
        elif settings.backend == "null":
            backend = NullBackend()
        else:
            backend = MemoryBackend(settings.max_entries)
        return Cache(
            backend,
            prefix=settings.prefix,
            default_ttl=settings.default_ttl,
            lock_timeout=settings.lock_timeout,
        )

    async def shutdown(self) -> None:
        """Close the backend's connections, if the cache was used."""
        cache = self.built()
        if cache is not None:
            await cache.aclose()


def _check_backend(app: Application) -> CheckResult:
    from mvcpy.cache.workers import configured_workers

    settings = app.config.section_of(CacheSettings)
    if settings.backend != "memory":
        return CheckResult("cache", True, f"{settings.backend} backend")
    workers = configured_workers(app.root_path)
    if app.env == "prod" and workers > 1:
        return CheckResult(
            "cache",
            True,
            f"the memory backend keeps one cache per worker, and {workers} workers serve: "
            'set backend = "redis" and url in [prod.cache] so that they share one',
            warning=True,
        )
    return CheckResult("cache", True, f"memory backend ({workers} worker(s))")
