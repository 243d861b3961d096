"""Flash messages: queued in the session, read once by the next page."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, Protocol

__all__ = ["FLASH_KEY", "flash", "get_flashed_messages"]

#: the session key that holds the queued ``[category, message]`` pairs
FLASH_KEY = "_flashes"


class FlashStore(Protocol):
    """A session, as flash messages use it: a mapping that remembers this request's reads."""

    flashes: list[tuple[str, str]] | None

    def get(self, key: str, /) -> Any:
        """Return the value of ``key``, or ``None``."""
        ...

    def __contains__(self, key: object) -> bool: ...

    def __delitem__(self, key: str) -> None: ...


def flash(session: MutableMapping[str, Any], message: str, category: str = "info") -> None:
    """Queue ``message`` under ``category`` in ``session``."""
    queued = list(session.get(FLASH_KEY) or ())
    queued.append([category, str(message)])
    session[FLASH_KEY] = queued


def get_flashed_messages(
    session: FlashStore,
    with_categories: bool = False,
    category_filter: tuple[str, ...] | list[str] = (),
) -> list[Any]:
    """Return the queued messages and remove them; repeated calls in one request agree."""
    messages = session.flashes
    if messages is None:
        raw = session.get(FLASH_KEY) or ()
        messages = session.flashes = [(str(c), str(m)) for c, m in raw]
        if FLASH_KEY in session:
            del session[FLASH_KEY]
    if category_filter:
        messages = [item for item in messages if item[0] in category_filter]
    if with_categories:
        return list(messages)
    return [message for _, message in messages]
