"""An in-process session store for development and tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from mvcpy.sessions.store import SessionStore

__all__ = ["MemoryStore"]


class MemoryStore(SessionStore):
    """Keep sessions in a dict of this process (lost on restart, not shared by workers)."""

    blocking = False

    def __init__(self) -> None:
        self._data: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def load(self, sid: str) -> dict[str, Any] | None:
        """Return a copy of session ``sid``'s data, or ``None`` when unknown or expired."""
        with self._lock:
            entry = self._data.get(sid)
            if entry is None:
                return None
            if entry[0] <= time.monotonic():
                del self._data[sid]
                return None
            return dict(entry[1])

    def save(
        self, sid: str, changed: Mapping[str, Any], deleted: Iterable[str], max_age: int
    ) -> None:
        """Merge ``changed`` into the stored data and drop ``deleted`` keys."""
        with self._lock:
            now = time.monotonic()
            entry = self._data.get(sid)
            data = entry[1] if entry is not None and entry[0] > now else {}
            data.update(changed)
            for key in deleted:
                data.pop(key, None)
            self._data[sid] = (now + max_age, data)
            if len(self._data) % 1024 == 0:  # drop expired sessions now and then
                self._purge(now)

    def update(
        self, sid: str, changed: Mapping[str, Any], deleted: Iterable[str], max_age: int
    ) -> bool:
        """Merge the changes into session ``sid`` if it still exists; return whether it did."""
        with self._lock:
            now = time.monotonic()
            entry = self._data.get(sid)
            if entry is None or entry[0] <= now:
                self._data.pop(sid, None)
                return False
            data = entry[1]
            data.update(changed)
            for key in deleted:
                data.pop(key, None)
            self._data[sid] = (now + max_age, data)
            return True

    def touch(self, sid: str, max_age: int) -> None:
        """Extend session ``sid`` to ``max_age`` seconds from now."""
        with self._lock:
            entry = self._data.get(sid)
            if entry is not None:
                self._data[sid] = (time.monotonic() + max_age, entry[1])

    def delete(self, sid: str) -> None:
        """Forget session ``sid``."""
        with self._lock:
            self._data.pop(sid, None)

    def _purge(self, now: float) -> None:
        for sid in [sid for sid, (expires, _) in self._data.items() if expires <= now]:
            del self._data[sid]

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)
