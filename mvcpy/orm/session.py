"""Session classes with web helpers: ``get_or_404``, ``first_or_404`` and ``paginate``."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import urlencode

from sqlalchemy import BigInteger, Integer, Select, SmallInteger, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from mvcpy.errors import HTTPError

if TYPE_CHECKING:
    from mvcpy.http.request import Request

__all__ = ["AsyncDbSession", "DbSession", "Page", "integer_range", "page_urls"]

T = TypeVar("T")

#: ``Session.info`` key of the request a per-request session belongs to.
REQUEST_KEY = "mvcpy.request"
#: ``Session.info`` key of the connection a per-request session runs on and closes as
#: it ends (one handed over by the request's runner of statements), if any
OWN_CONNECTION = "mvcpy.connection"


@dataclass
class Page(Generic[T]):
    """One page of a query's results, with what a template needs to link the others."""

    items: list[T]
    page: int
    per_page: int
    total: int
    next_url: str | None = field(default=None)
    prev_url: str | None = field(default=None)

    @property
    def pages(self) -> int:
        """The number of pages (at least 1)."""
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_next(self) -> bool:
        """Whether a page follows this one."""
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        """Whether a page precedes this one."""
        return self.page > 1


def page_urls(request: Request | None, page: Page[Any], param: str = "page") -> None:
    """Fill ``page.next_url``/``prev_url``: the request's path and query with ``param`` changed."""
    if request is None:
        return
    query = [(k, v) for k, v in request.query.multi_items() if k != param]

    def url(number: int) -> str:
        return request.path + "?" + urlencode([*query, (param, str(number))])

    page.next_url = url(page.page + 1) if page.has_next else None
    page.prev_url = url(page.page - 1) if page.has_prev else None


#: The largest SQL OFFSET (a signed 64-bit integer on SQLite, PostgreSQL and MariaDB).
_MAX_OFFSET = 2**63 - 1


def _check_page(page: int, per_page: int, max_per_page: int) -> None:
    if page < 1:
        raise HTTPError(400, f"page must be 1 or more, got {page}")
    if not 1 <= per_page <= max_per_page:
        raise HTTPError(400, f"per_page must be between 1 and {max_per_page}, got {per_page}")
    if (page - 1) * per_page > _MAX_OFFSET:  # a database error (500), not an empty page
        raise HTTPError(400, f"page {page} is too large")


def _count(stmt: Select[Any]) -> Select[int]:
    return select(func.count()).select_from(stmt.order_by(None).subquery())


def _missing(what: Any) -> HTTPError:
    name = getattr(what, "__name__", None) or "Item"
    return HTTPError(404, f"{name} not found")


#: What an integer column holds on every database (PostgreSQL's types are the narrowest).
_INTEGER_RANGES = (
    (BigInteger, -(2**63), 2**63 - 1),
    (SmallInteger, -(2**15), 2**15 - 1),
    (Integer, -(2**31), 2**31 - 1),
)


@functools.cache
def _key_range(model: type[Any]) -> tuple[int, int] | None:
    """The values a model's single integer primary key can hold; None for other keys."""
    try:
        columns = inspect(model).primary_key
    except Exception:  # not a mapped class: SQLAlchemy says so in get()
        return None
    return integer_range(columns[0].type) if len(columns) == 1 else None


def integer_range(column_type: Any) -> tuple[int, int] | None:
    """The values an integer column of ``column_type`` holds on every database; None for
    other types."""
    for kind, low, high in _INTEGER_RANGES:  # BigInteger and SmallInteger are Integers
        if isinstance(column_type, kind):
            return low, high
    return None


def _beyond_key(model: Any, ident: Any) -> bool:
    """Whether ``ident`` is an int no row of ``model`` can have as its key (2**31 in an
    INTEGER column): the database would refuse the query (a 500), not find nothing."""
    if type(ident) is not int or not isinstance(model, type):
        return False
    bounds = _key_range(model)
    return bounds is not None and not bounds[0] <= ident <= bounds[1]


class DbSession(Session):
    """A SQLAlchemy ``Session`` with the helpers a controller needs.

    ``get`` (and so ``get_or_404``) finds nothing for an integer key beyond what the key
    column holds, where PostgreSQL would answer an error.
    """

    def get(self, entity: Any, ident: Any, **options: Any) -> Any:
        """``Session.get``; None for a key out of the column's range."""
        if _beyond_key(entity, ident):
            return None
        return super().get(entity, ident, **options)

    def get_or_404(self, model: type[T], ident: Any, message: str | None = None) -> T:
        """Return the row of ``model`` with primary key ``ident``, or answer 404."""
        obj: T | None = self.get(model, ident)
        if obj is None:
            raise HTTPError(404, message) if message else _missing(model)
        return obj

    def first_or_404(self, stmt: Select[Any], message: str | None = None) -> Any:
        """Return the first object ``stmt`` selects, or answer 404."""
        obj = self.scalars(stmt.limit(1)).first()
        if obj is None:
            raise HTTPError(404, message or "Not found")
        return obj

    def paginate(
        self, stmt: Select[Any], page: int = 1, per_page: int = 20, max_per_page: int = 100
    ) -> Page[Any]:
        """Return page ``page`` of ``stmt`` (``per_page`` items), its total and neighbour URLs."""
        _check_page(page, per_page, max_per_page)
        total = self.scalar(_count(stmt)) or 0
        items = list(self.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all())
        result: Page[Any] = Page(items, page, per_page, total)
        page_urls(self.info.get(REQUEST_KEY), result)
        return result


class AsyncDbSession(AsyncSession):
    """A SQLAlchemy ``AsyncSession`` with the same helpers, awaited."""

    async def get(self, entity: Any, ident: Any, **options: Any) -> Any:
        """``AsyncSession.get``; None for a key out of the column's range."""
        if _beyond_key(entity, ident):
            return None
        return await super().get(entity, ident, **options)

    async def get_or_404(self, model: type[T], ident: Any, message: str | None = None) -> T:
        """Return the row of ``model`` with primary key ``ident``, or answer 404."""
        obj: T | None = await self.get(model, ident)
        if obj is None:
            raise HTTPError(404, message) if message else _missing(model)
        return obj

    async def first_or_404(self, stmt: Select[Any], message: str | None = None) -> Any:
        """Return the first object ``stmt`` selects, or answer 404."""
        obj = (await self.scalars(stmt.limit(1))).first()
        if obj is None:
            raise HTTPError(404, message or "Not found")
        return obj

    async def paginate(
        self, stmt: Select[Any], page: int = 1, per_page: int = 20, max_per_page: int = 100
    ) -> Page[Any]:
        """Return page ``page`` of ``stmt`` (``per_page`` items), its total and neighbour URLs."""
        _check_page(page, per_page, max_per_page)
        total = await self.scalar(_count(stmt)) or 0
        rows = await self.scalars(stmt.limit(per_page).offset((page - 1) * per_page))
        result: Page[Any] = Page(list(rows.all()), page, per_page, total)
        page_urls(self.info.get(REQUEST_KEY), result)
        return result
