"""The interface every server-side session store implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["SessionStore"]


class SessionStore(ABC):
    """Keep session data on the server, keyed by a random session id.

    ``save`` creates a session under a new id; ``update`` writes only the keys a request
    changed and removes the keys it deleted, so two parallel requests of one user that
    touch different keys keep both changes. ``update`` never brings back a session that
    was deleted (a logout in another tab) or expired meanwhile: it checks and writes in
    one atomic step and reports whether the session was still there.
    Methods are synchronous; ``blocking`` stores are called through the app's worker pool
    when the caller is on the event loop.
    """

    #: whether calls do network or disk I/O (run them off the event loop)
    blocking: bool = True

    @abstractmethod
    def load(self, sid: str) -> dict[str, Any] | None:
        """Return the data of session ``sid``, or ``None`` when it is unknown or expired."""

    @abstractmethod
    def save(
        self, sid: str, changed: Mapping[str, Any], deleted: Iterable[str], max_age: int
    ) -> None:
        """Write ``changed`` keys, drop ``deleted`` keys and keep ``sid`` for ``max_age`` s.

        Creates the session when it does not exist: use it for a new id only, and
        :meth:`update` for an id a client already holds.
        """

    @abstractmethod
    def update(
        self, sid: str, changed: Mapping[str, Any], deleted: Iterable[str], max_age: int
    ) -> bool:
        """Like :meth:`save` for a session that must still exist; return whether it did.

        When session ``sid`` is unknown, deleted or expired, write nothing and return
        ``False``; the check and the writes are one atomic step.
        """

    @abstractmethod
    def touch(self, sid: str, max_age: int) -> None:
        """Extend the life of session ``sid`` to ``max_age`` seconds from now."""

    @abstractmethod
    def delete(self, sid: str) -> None:
        """Forget session ``sid``."""

    def close(self) -> None:  # noqa: B027 - optional hook: stores without connections keep it
        """Release connections (at shutdown)."""
