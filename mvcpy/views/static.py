"""``static_url(path)``: the URL of a static file with a content hash for cache busting."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from urllib.parse import quote

__all__ = ["StaticURLs"]


class StaticURLs:
    """Build ``/static/css/site.css?v=<hash>`` URLs; hash each file once (per change in dev)."""

    def __init__(self, prefix: str, directories: list[Path], watch_changes: bool) -> None:
        self.prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        self.directories = directories
        self.watch_changes = watch_changes
        # path -> (mtime_ns, url); mtime is only consulted when watch_changes is on
        self._cache: dict[str, tuple[int, str]] = {}
        self._lock = threading.Lock()

    def __call__(self, path: str) -> str:
        """Return the URL of static file ``path``, versioned by its content hash when it exists."""
        cached = self._cache.get(path)
        if cached is not None and not self.watch_changes:
            return cached[1]
        file = self._find(path)
        mtime = file.stat().st_mtime_ns if file is not None else -1
        if cached is not None and cached[0] == mtime:
            return cached[1]
        url = f"{self.prefix}/{quote(path.lstrip('/'))}"
        if file is not None:
            digest = hashlib.sha256(file.read_bytes()).hexdigest()[:12]
            url = f"{url}?v={digest}"
        with self._lock:
            self._cache[path] = (mtime, url)
        return url

    def _find(self, path: str) -> Path | None:
        relative = path.lstrip("/")
        for directory in self.directories:
            candidate = (directory / relative).resolve()
            if candidate.is_relative_to(directory) and candidate.is_file():
                return candidate
        return None
