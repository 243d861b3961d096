"""Transactional tests: every session of a test joins one transaction, rolled back at the end."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from mvcpy.orm.session import DbSession

if TYPE_CHECKING:
    from mvcpy.orm.database import Database

__all__ = ["transactional_session"]


@contextmanager
def transactional_session(database: Database) -> Iterator[DbSession]:
    """Yield a session in a transaction that is rolled back on exit.

    While it is open, the per-request sessions of the app's (sync) controllers use the
    same connection: their commits release savepoints inside the outer transaction, so
    the test sees what the requests wrote and the database is unchanged afterwards.
    """
    if database.test_connection is not None:
        raise RuntimeError("a transactional session is already open for this database")
    connection = database.engine.connect()
    transaction = connection.begin()
    driver = connection.connection.driver_connection
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # pysqlite's own transaction handling breaks SAVEPOINT: begin explicitly.
        driver.isolation_level = None  # type: ignore[union-attr]
        connection.exec_driver_sql("BEGIN")
    database.test_connection = connection
    session = DbSession(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        database.test_connection = None
        transaction.rollback()
        if sqlite:
            driver.isolation_level = ""  # type: ignore[union-attr]
        connection.close()
