"""The declarative base of a project's models, with stable constraint names, and mixins."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import MetaData, func, inspect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from mvcpy.orm.types import UTCDateTime

__all__ = ["NAMING_CONVENTION", "IdMixin", "Model", "TimestampMixin", "utcnow"]

#: Names for indexes and constraints, so that migrations name them the same way on
#: every database (SQLite batch mode and downgrades need the names).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


_REPR_FIELDS = 6


def utcnow() -> datetime:
    """Return the current time in UTC (timezone-aware)."""
    return datetime.now(UTC)


class Model(DeclarativeBase):
    """Base class of a project's models: ``class Post(Model): __tablename__ = "posts"``."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    def __repr__(self) -> str:
        """``<Post id=1 title='Hello' published=True>``: the primary key, then the columns
        already loaded (never a query), at most six, long values cut."""
        state = inspect(self)
        loaded = state.dict
        keys = [state.mapper.get_property_by_column(c).key for c in state.mapper.primary_key]
        keys += [a.key for a in state.mapper.column_attrs if a.key not in keys]
        parts = []
        for key in keys:
            if key in loaded:
                text = repr(loaded[key])
                parts.append(f"{key}={text if len(text) <= 40 else text[:37] + '...'}")
            if len(parts) == _REPR_FIELDS:
                break
        return f"<{type(self).__name__} {' '.join(parts)}>" if parts else f"<{type(self).__name__}>"


class IdMixin:
    """Add an integer primary key ``id``."""

    id: Mapped[int] = mapped_column(primary_key=True)


class TimestampMixin:
    """Add ``created_at`` (set on insert) and ``updated_at`` (set on insert and update).

    Both are read back timezone-aware, in UTC, on every database (:class:`UTCDateTime`).
    """

    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, server_default=func.now()
    )
