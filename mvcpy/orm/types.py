"""Column types that behave the same on every database mvcpy supports."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = ["UTCDateTime"]


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always read back timezone-aware, in UTC.

    ``DateTime(timezone=True)`` keeps the offset on PostgreSQL but not on SQLite or
    MariaDB, so the same row read back is aware on one database and naive on another.
    This type stores UTC (an aware value is converted; a naive one is taken as UTC, as
    SQLite's and MariaDB's ``CURRENT_TIMESTAMP`` are) and answers aware UTC everywhere.
    Migrations spell it ``sa.DateTime(timezone=True)``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware value to UTC before it is stored."""
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
            if dialect.name != "postgresql":
                value = value.replace(tzinfo=None)  # stored as naive UTC
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Answer an aware UTC value, whatever the database kept."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
