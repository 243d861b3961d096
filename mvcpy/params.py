"""Parameter markers for ``Annotated``: where an action's argument comes from.

``Annotated[str, Header("X-Token")]`` reads a header, ``Annotated[str, Cookie("sid")]``
a cookie, and ``Annotated[Model, Query()]`` validates a pydantic model from the query
string instead of the body.
"""

from __future__ import annotations

__all__ = ["Cookie", "Header", "Query"]


class _Marker:
    __slots__ = ("alias",)

    def __init__(self, alias: str | None = None) -> None:
        self.alias = alias

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.alias!r})"


class Header(_Marker):
    """Read the argument from a request header (default: the name with ``_`` as ``-``)."""

    __slots__ = ()


class Cookie(_Marker):
    """Read the argument from a cookie (default: the parameter's name)."""

    __slots__ = ()


class Query(_Marker):
    """Read the argument (a scalar, a list or a pydantic model) from the query string."""

    __slots__ = ()
