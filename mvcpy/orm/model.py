"""The declarative base of a project's models, with stable constraint names, and mixins."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import MetaData, func
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


def utcnow() -> datetime:
    """Return the current time in UTC (timezone-aware)."""
    return datetime.now(UTC)


class Model(DeclarativeBase):
    """Base class of a project's models: ``class Post(Model): __tablename__ = "posts"``."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


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
