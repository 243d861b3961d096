"""The database store's own duties: a table migrations see, and expired rows cleaned up."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, func, select

from mvcpy import App
from mvcpy.orm import Model
from mvcpy.sessions.database import DatabaseStore, SessionRecord


def test_autogenerate_sees_the_sessions_table(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Model.metadata)
    added = {entry[1].name for entry in diff if entry[0] == "add_table"}
    assert SessionRecord.__tablename__ in added


def test_expired_rows_are_cleaned_up(make_app: Callable[..., App], tmp_path: Path) -> None:
    app = make_app(database={"url": f"sqlite:///{tmp_path / 's.sqlite3'}"})
    store = DatabaseStore(app.database)
    store.create_table()
    store.save("live", {"a": 1}, (), 60)
    store.save("old", {"a": 1, "b": 2}, (), 60)
    with store.engine.begin() as connection:
        connection.execute(
            SessionRecord.__table__.update()  # type: ignore[attr-defined]
            .where(SessionRecord.sid == "old")
            .values(expires_at=int(time.time()) - 1)
        )
    assert store.load("old") is None
    assert store.purge_expired() == 3  # the marker row and two keys
    assert store.load("live") == {"a": 1}
    with store.engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(SessionRecord)).scalar()
    assert count == 2
    app.database.engine.dispose()


def test_an_unsupported_database_is_refused_by_name() -> None:
    from mvcpy.errors import ConfigurationError
    from mvcpy.sessions.database import _upsert

    for dialect in ("postgresql", "sqlite", "mysql", "mariadb"):
        _upsert(dialect)
    with pytest.raises(ConfigurationError, match="not oracle; use the redis or cookie"):
        _upsert("oracle")
