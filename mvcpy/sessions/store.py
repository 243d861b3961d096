"""The interface every server-side session store implements."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["SessionStore"]


class SessionStore:
    """Keep session data on the server, keyed by a random session id.

    ``save`` writes only the keys a request changed and removes the keys it deleted, so
    two parallel requests of one user that touch different keys keep both changes.
    Methods are synchronous; ``blocking`` stores are called through the app's worker pool
    when the caller is on the event loop.
    """

    #: whether calls do network or disk I/O (run them off the event loop)
    blocking: bool = True

    def load(self, sid: str) -> dict[str, Any] | None:
        """Return the data of session ``sid``, or ``None`` when it is unknown or expired."""
        raise NotImplementedError

    def save(
        self, sid: str, changed: Mapping[str, Any], deleted: Iterable[str], max_age: int
    ) -> None:
        """Write ``changed`` keys, drop ``deleted`` keys and keep ``sid`` for ``max_age`` s."""
        raise NotImplementedError

    def touch(self, sid: str, max_age: int) -> None:
        """Extend the life of session ``sid`` to ``max_age`` seconds from now."""
        raise NotImplementedError

    def delete(self, sid: str) -> None:
        """Forget session ``sid``."""
        raise NotImplementedError

    def close(self) -> None:
        """Release connections (at shutdown)."""
