"""An isolated database per test on SQLite, PostgreSQL (a schema) and MariaDB (a database).

Tests on the shared ``test`` databases never see another test's tables: each gets its
own PostgreSQL schema or MariaDB database, dropped at the end.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from .models import TABLES, Model

BACKENDS = ["sqlite", "postgres", "mariadb"]


def isolated_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield the URL of an empty database of ``backend`` that only this test uses."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'db.sqlite3'}"
        return
    name = f"mvcpy_{uuid.uuid4().hex[:12]}"
    if backend == "postgres":
        base = request.getfixturevalue("postgres_url")
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE SCHEMA {name}"))
        try:
            yield f"{base}?options=-csearch_path%3D{name}"
        finally:
            with admin.connect() as conn:
                conn.execute(text(f"DROP SCHEMA {name} CASCADE"))
            admin.dispose()
        return
    base = request.getfixturevalue("mariadb_url")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE {name}"))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, private database on each backend."""
    yield from isolated_url(request.param, request, tmp_path)


@pytest.fixture(params=["sqlite", "postgres"])
def async_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, private database on the backends with an async driver in the install."""
    yield from isolated_url(request.param, request, tmp_path)


def create_tables(url: str) -> None:
    """Create the test models' tables in the database at ``url``."""
    engine = create_engine(url)
    try:
        Model.metadata.create_all(engine, tables=TABLES)
    finally:
        engine.dispose()
