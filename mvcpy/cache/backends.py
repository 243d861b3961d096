"""Where cached bytes live: the protocol, this process's memory, and nowhere.

Keys arrive prefixed, values encoded (:mod:`mvcpy.cache.codec`); ``ttl`` is seconds, or
``None`` for no expiry. Every operation has a sync form (actions on worker threads) and
an async form (the event loop); the memory backend's async forms are its sync ones.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

__all__ = ["Backend", "MemoryBackend", "NullBackend"]


class Backend(Protocol):
    """The storage under :class:`~mvcpy.cache.Cache`."""

    #: whether other processes see the same values (then ``get_or_set`` locks across them)
    shared: bool

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """Return the stored bytes of each key (``None`` when absent or expired)."""
        ...

    def set_many(self, items: Mapping[str, bytes], ttl: float | None) -> None:
        """Store every item for ``ttl`` seconds."""
        ...

    def delete_many(self, keys: Sequence[str]) -> None:
        """Remove the keys."""
        ...

    def add(self, key: str, value: bytes, ttl: float | None) -> bool:
        """Store ``value`` only if ``key`` is absent; tell whether it was stored."""
        ...

    def incr(self, key: str, delta: int) -> int:
        """Add ``delta`` to the integer at ``key`` (0 when absent); return the new value."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...

    async def aget_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """:meth:`get_many` on the event loop."""
        ...

    async def aset_many(self, items: Mapping[str, bytes], ttl: float | None) -> None:
        """:meth:`set_many` on the event loop."""
        ...

    async def adelete_many(self, keys: Sequence[str]) -> None:
        """:meth:`delete_many` on the event loop."""
        ...

    async def aadd(self, key: str, value: bytes, ttl: float | None) -> bool:
        """:meth:`add` on the event loop."""
        ...

    async def aincr(self, key: str, delta: int) -> int:
        """:meth:`incr` on the event loop."""
        ...

    async def aclose(self) -> None:
        """:meth:`close` on the event loop."""
        ...


class MemoryBackend:
    """This process's memory: at most ``max_entries`` values, least recently used evicted.

    Safe across the worker threads of one process; not shared between processes.
    """

    shared = False

    def __init__(self, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[str, tuple[float | None, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def _live(self, key: str, now: float) -> bytes | None:
        item = self._entries.get(key)
        if item is None:
            return None
        expires, value = item
        if expires is not None and expires <= now:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    def _store(self, key: str, value: bytes, ttl: float | None, now: float) -> None:
        self._entries[key] = (now + ttl if ttl is not None else None, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """Return each key's live value."""
        with self._lock:
            now = self.clock()
            return [self._live(key, now) for key in keys]

    def set_many(self, items: Mapping[str, bytes], ttl: float | None) -> None:
        """Store the items."""
        with self._lock:
            now = self.clock()
            for key, value in items.items():
                self._store(key, value, ttl, now)

    def delete_many(self, keys: Sequence[str]) -> None:
        """Remove the keys."""
        with self._lock:
            for key in keys:
                self._entries.pop(key, None)

    def add(self, key: str, value: bytes, ttl: float | None) -> bool:
        """Store ``value`` if ``key`` holds nothing live."""
        with self._lock:
            now = self.clock()
            if self._live(key, now) is not None:
                return False
            self._store(key, value, ttl, now)
            return True

    def incr(self, key: str, delta: int) -> int:
        """Add to the integer at ``key``, keeping its expiry."""
        with self._lock:
            now = self.clock()
            current = self._live(key, now)
            number = int(current) + delta if current is not None else delta
            expires = self._entries[key][0] if current is not None else None
            self._entries[key] = (expires, str(number).encode())
            self._entries.move_to_end(key)
            return number

    def close(self) -> None:
        """Nothing to release."""

    async def aget_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """Return each key's live value."""
        return self.get_many(keys)

    async def aset_many(self, items: Mapping[str, bytes], ttl: float | None) -> None:
        """Store the items."""
        self.set_many(items, ttl)

    async def adelete_many(self, keys: Sequence[str]) -> None:
        """Remove the keys."""
        self.delete_many(keys)

    async def aadd(self, key: str, value: bytes, ttl: float | None) -> bool:
        """Store ``value`` if ``key`` holds nothing live."""
        return self.add(key, value, ttl)

    async def aincr(self, key: str, delta: int) -> int:
        """Add to the integer at ``key``."""
        return self.incr(key, delta)

    async def aclose(self) -> None:
        """Nothing to release."""


class NullBackend:
    """Stores nothing: every read misses (for tests that must not see cached values)."""

    shared = False

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """Miss."""
        return [None] * len(keys)

    def set_many(self, items: Mapping[str, bytes], ttl: float | None) -> None:
        """Forget."""

    def delete_many(self, keys: Sequence[str]) -> None:
        """Nothing to remove."""

    def add(self, key: str, value: bytes, ttl: float | None) -> bool:
        """Claim it was stored (so locks never block)."""
        return True

    def incr(self, key: str, delta: int) -> int:
        """Count from nothing."""
        return delta

    def close(self) -> None:
        """Nothing to release."""

    async def aget_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """Miss."""
        return self.get_many(keys)

    async def aset_many(self, items: Mapping[str, bytes], ttl: float | None) -> None:
        """Forget."""

    async def adelete_many(self, keys: Sequence[str]) -> None:
        """Nothing to remove."""

    async def aadd(self, key: str, value: bytes, ttl: float | None) -> bool:
        """Claim it was stored."""
        return True

    async def aincr(self, key: str, delta: int) -> int:
        """Count from nothing."""
        return delta

    async def aclose(self) -> None:
        """Nothing to release."""
