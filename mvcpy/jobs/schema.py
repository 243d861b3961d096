"""procrastinate's tables in the application's database, created by an Alembic revision.

``mvcpy generate jobs`` writes the revision; its ``upgrade`` calls :func:`upgrade` and its
``downgrade`` :func:`downgrade`, so ``mvcpy db upgrade`` creates the queue with the rest
of the schema. Both do nothing on a database that is not PostgreSQL (a project that
develops on SQLite runs its jobs in memory).
"""

from __future__ import annotations

from typing import Any

__all__ = ["TABLES", "downgrade", "install", "installed", "schema_sql", "upgrade"]

#: procrastinate's tables: `mvcpy db check` and autogenerate leave them alone
TABLES = (
    "procrastinate_jobs",
    "procrastinate_events",
    "procrastinate_periodic_defers",
    "procrastinate_workers",
)

_FUNCTIONS = """
SELECT p.oid::regprocedure::text FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%%'
"""


def schema_sql() -> str:
    """The SQL that creates procrastinate's tables, functions and triggers."""
    try:
        from procrastinate.schema import SchemaManager
    except ImportError as exc:
        raise ImportError("jobs need procrastinate: pip install 'mvcpy-web[jobs]'") from exc
    return SchemaManager.get_schema()


def installed(connection: Any) -> bool:
    """Whether the queue's tables exist in ``connection``'s database (SQLAlchemy)."""
    from sqlalchemy import inspect

    return bool(inspect(connection).has_table("procrastinate_jobs"))


def install(connection: Any) -> bool:
    """Create the queue's tables through ``connection`` unless they exist; return whether
    it created them (the caller commits)."""
    if connection.dialect.name != "postgresql" or installed(connection):
        return False
    connection.exec_driver_sql(schema_sql().replace("%", "%%"))  # no parameters: % is literal
    return True


def upgrade(bind: Any) -> None:
    """The revision's upgrade (``schema.upgrade(op.get_bind())``): create the queue
    (PostgreSQL only)."""
    install(bind)


def downgrade(bind: Any) -> None:
    """The revision's downgrade: drop the queue and every job in it (PostgreSQL only)."""
    if bind.dialect.name != "postgresql":
        return
    bind.exec_driver_sql(f"DROP TABLE IF EXISTS {', '.join(TABLES)} CASCADE")
    for (function,) in bind.exec_driver_sql(_FUNCTIONS).all():
        bind.exec_driver_sql(f"DROP FUNCTION IF EXISTS {function} CASCADE")
    bind.exec_driver_sql(
        "DROP TYPE IF EXISTS procrastinate_job_status, procrastinate_job_event_type, "
        "procrastinate_job_to_defer_v1 CASCADE"
    )
