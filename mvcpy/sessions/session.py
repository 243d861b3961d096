"""The per-request session: a dict loaded on first use that remembers which keys changed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, Protocol

from mvcpy.sessions.flash import flash, get_flashed_messages
from mvcpy.sessions.tokens import csrf_input, csrf_token

if TYPE_CHECKING:
    from mvcpy.http.request import Request

__all__ = ["Session"]


class SessionLoader(Protocol):
    """Where a session's data comes from (the app's :class:`SessionManager`)."""

    csrf_field: str

    def load(self, request: Request) -> tuple[str | None, dict[str, Any]]:
        """Return the session id and data the request's token names."""
        ...

    async def load_async(self, request: Request) -> tuple[str | None, dict[str, Any]]:
        """:meth:`load` without blocking the event loop."""
        ...


class Session(MutableMapping[str, Any]):
    """This request's session data: a dict that loads on first use and tracks its changes.

    Values must be JSON-serialisable. Mutating a value in place (``s["cart"].append(x)``)
    is not seen; assign it again or call :meth:`touch`.
    """

    __slots__ = (
        "_changed",
        "_data",
        "_deleted",
        "_manager",
        "_request",
        "destroyed",
        "flashes",
        "old_sid",
        "regenerated",
        "sid",
    )

    def __init__(self, manager: SessionLoader, request: Request) -> None:
        self._manager = manager
        self._request = request
        self._data: dict[str, Any] | None = None
        self._changed: set[str] = set()
        self._deleted: set[str] = set()
        #: the session id (server-side stores), ``None`` for a new session
        self.sid: str | None = None
        #: the id to delete when the session was regenerated or destroyed
        self.old_sid: str | None = None
        self.regenerated = False
        self.destroyed = False
        #: messages read by get_flashed_messages() in this request
        self.flashes: list[tuple[str, str]] | None = None

    # -- loading ----------------------------------------------------------------------
    @property
    def loaded(self) -> bool:
        """Whether the data has been read from the cookie or the store."""
        return self._data is not None

    @property
    def data(self) -> dict[str, Any]:
        """The session's values, loaded on first use."""
        data = self._data
        if data is None:
            self.sid, data = self._manager.load(self._request)
            self._data = data
        return data

    async def load(self) -> Session:
        """Load the data without blocking the event loop (for ``async def`` actions)."""
        if self._data is None:
            self.sid, self._data = await self._manager.load_async(self._request)
        return self

    # -- dict interface ---------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.data[key] = value
        self._changed.add(key)
        self._deleted.discard(key)

    def __delitem__(self, key: str) -> None:
        del self.data[key]
        self._changed.discard(key)
        self._deleted.add(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def __contains__(self, key: object) -> bool:
        return key in self.data

    def clear(self) -> None:
        """Remove every key."""
        for key in list(self.data):
            del self[key]

    # -- changes ----------------------------------------------------------------------
    def touch(self, key: str) -> None:
        """Mark ``key`` as changed after mutating its value in place."""
        if key in self.data:
            self._changed.add(key)

    @property
    def modified(self) -> bool:
        """Whether this request changed, regenerated or destroyed the session."""
        return bool(self._changed or self._deleted or self.regenerated or self.destroyed)

    @property
    def changed_keys(self) -> frozenset[str]:
        """The keys set in this request."""
        return frozenset(self._changed)

    @property
    def deleted_keys(self) -> frozenset[str]:
        """The keys deleted in this request."""
        return frozenset(self._deleted)

    def regenerate(self) -> None:
        """Give the session a new id and keep its data (call it at login)."""
        self.data  # noqa: B018 - load before forgetting the old id
        if not self.regenerated:
            self.old_sid = self.old_sid or self.sid
        self.sid = None
        self.regenerated = True

    def destroy(self) -> None:
        """Delete the session: its data, its stored copy and the client's cookie."""
        self.data.clear()
        self._changed.clear()
        self._deleted.clear()
        self.old_sid = self.old_sid or self.sid
        self.sid = None
        self.destroyed = True

    # -- after a commit ---------------------------------------------------------------
    def _mark_saved(
        self, changed: Mapping[str, Any] | None = None, deleted: Iterable[str] | None = None
    ) -> None:
        """Forget the changes just saved (every change by default), so later ones start afresh.

        With ``changed`` and ``deleted``, a key set or deleted again while the save ran
        (in the worker pool) stays marked.
        """
        if changed is None and deleted is None:
            self._changed.clear()
            self._deleted.clear()
            self._forget_id_change()
            return
        data = self._data if self._data is not None else {}
        for key, value in (changed or {}).items():
            if key in data and data[key] is value:
                self._changed.discard(key)
        for key in deleted or ():
            if key not in data:
                self._deleted.discard(key)

    def _forget_id_change(self) -> None:
        """The new id or the deletion has been dealt with (or could not be, and never will)."""
        self.old_sid = None
        self.regenerated = False
        self.destroyed = False

    # -- helpers bound into templates -------------------------------------------------
    def flash(self, message: str, category: str = "info") -> None:
        """Queue ``message`` for the next page that reads the flashed messages."""
        flash(self, message, category)

    def get_flashed_messages(
        self, with_categories: bool = False, category_filter: tuple[str, ...] | list[str] = ()
    ) -> list[Any]:
        """Return (once) the flashed messages, optionally as (category, message) pairs."""
        return get_flashed_messages(self, with_categories, category_filter)

    def csrf_token(self) -> str:
        """Return this session's CSRF token (created on first use)."""
        return csrf_token(self)

    def csrf_input(self) -> Any:
        """Return the hidden form field that carries the CSRF token."""
        return csrf_input(self, self._manager.csrf_field)

    def __repr__(self) -> str:
        shown = self._data if self._data is not None else "(not loaded)"
        return f"<Session {shown!r}>"
