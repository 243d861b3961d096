"""Multi-valued mappings for headers, query strings and forms."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Generic, TypeVar, overload

__all__ = ["Headers", "MultiDict"]

V = TypeVar("V")
T = TypeVar("T")
_MISSING: Any = object()


class MultiDict(Mapping[str, V], Generic[V]):
    """A read-only mapping whose keys may carry several values; ``[key]`` gives the last."""

    __slots__ = ("_items", "_last")

    def __init__(self, items: Iterable[tuple[str, V]] = ()) -> None:
        self._items: list[tuple[str, V]] = list(items)
        self._last: dict[str, V] = dict(self._items)

    def __getitem__(self, key: str) -> V:
        return self._last[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._last)

    def __len__(self) -> int:
        return len(self._last)

    def __contains__(self, key: object) -> bool:
        return key in self._last

    def getlist(self, key: str) -> list[V]:
        """Return every value given for ``key``, in order (empty when absent)."""
        return [v for k, v in self._items if k == key]

    def multi_items(self) -> list[tuple[str, V]]:
        """Return every (key, value) pair, repeated keys included."""
        return list(self._items)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._items!r})"


class Headers(Mapping[str, str]):
    """Case-insensitive, multi-valued request headers over the ASGI ``(bytes, bytes)`` list."""

    __slots__ = ("_index", "_raw")

    def __init__(self, raw: Iterable[tuple[bytes, bytes]] = ()) -> None:
        self._raw = list(raw)
        self._index: dict[str, str] | None = None

    @classmethod
    def from_dict(cls, headers: Mapping[str, str]) -> Headers:
        """Build headers from a plain ``str`` mapping."""
        return cls((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items())

    def _lookup(self) -> dict[str, str]:
        index = self._index
        if index is None:
            index = {}
            for k, v in self._raw:
                name = k.decode("latin-1").lower()
                value = v.decode("latin-1")
                # Repeated headers fold into one comma-separated value (RFC 9110 §5.3),
                # except Cookie, which folds with "; ".
                if name in index:
                    index[name] = index[name] + ("; " if name == "cookie" else ", ") + value
                else:
                    index[name] = value
            self._index = index
        return index

    def __getitem__(self, key: str) -> str:
        return self._lookup()[key.lower()]

    @overload
    def get(self, key: str, /) -> str | None: ...
    @overload
    def get(self, key: str, default: str, /) -> str: ...
    @overload
    def get(self, key: str, default: T, /) -> str | T: ...
    def get(self, key: str, default: Any = None, /) -> Any:
        """Return the (folded) value of header ``key``, or ``default``."""
        return self._lookup().get(key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._lookup()

    def __iter__(self) -> Iterator[str]:
        return iter(self._lookup())

    def __len__(self) -> int:
        return len(self._lookup())

    def getlist(self, key: str) -> list[str]:
        """Return every value sent for header ``key``, unfolded."""
        name = key.lower().encode("latin-1")
        return [v.decode("latin-1") for k, v in self._raw if k.lower() == name]

    @property
    def raw(self) -> list[tuple[bytes, bytes]]:
        """The headers exactly as the server gave them."""
        return self._raw

    def __repr__(self) -> str:
        return f"Headers({self._lookup()!r})"
