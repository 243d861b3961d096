"""SQLAlchemy for mvcpy: the ``Model`` base, the app's engine, per-request sessions, pages."""

from mvcpy.orm.database import Database, async_url_for
from mvcpy.orm.errors import integrity_error_handler
from mvcpy.orm.model import NAMING_CONVENTION, IdMixin, Model, TimestampMixin, utcnow
from mvcpy.orm.request import RequestDB
from mvcpy.orm.session import AsyncDbSession, DbSession, Page
from mvcpy.orm.types import UTCDateTime

__all__ = [
    "NAMING_CONVENTION",
    "AsyncDbSession",
    "Database",
    "DbSession",
    "IdMixin",
    "Model",
    "Page",
    "RequestDB",
    "TimestampMixin",
    "UTCDateTime",
    "async_url_for",
    "integrity_error_handler",
    "utcnow",
]
