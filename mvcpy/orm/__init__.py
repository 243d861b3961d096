"""SQLAlchemy for mvcpy: the ``Model`` base, the app's engine, per-request sessions, pages."""

from mvcpy.orm.database import Database, async_url_for
from mvcpy.orm.errors import integrity_error_handler
from mvcpy.orm.model import NAMING_CONVENTION, IdMixin, Model, TimestampMixin, utcnow
from mvcpy.orm.request import RequestDB
from mvcpy.orm.session import AsyncDbSession, DbSession, Page
from mvcpy.orm.sql import AsyncSql, Sql
from mvcpy.orm.statement import Statement
from mvcpy.orm.types import UTCDateTime

__all__ = [
    "NAMING_CONVENTION",
    "AsyncDbSession",
    "AsyncSql",
    "Database",
    "DbSession",
    "IdMixin",
    "Model",
    "Page",
    "RequestDB",
    "Sql",
    "Statement",
    "TimestampMixin",
    "UTCDateTime",
    "async_url_for",
    "integrity_error_handler",
    "utcnow",
]
