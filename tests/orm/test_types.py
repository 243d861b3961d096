"""Timestamps come back timezone-aware, in UTC, on every database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import create_engine, insert, select
from sqlalchemy.orm import Session

from mvcpy.migrate import render_item
from mvcpy.orm import UTCDateTime

from .conftest import create_tables
from .models import Author

# MariaDB's DATETIME keeps whole seconds unless a precision is given.
PARIS_NOON = datetime(2026, 7, 1, 12, 0, 0, tzinfo=timezone(timedelta(hours=2)))


def test_timestamps_are_aware_utc_when_read_back(db_url: str) -> None:
    create_tables(db_url)
    engine = create_engine(db_url)
    try:
        with Session(engine) as db:
            db.add(Author(email="a@example.com"))
            db.add(Author(email="b@example.com", created_at=PARIS_NOON))
            db.commit()
        # The server default (CURRENT_TIMESTAMP / now()) when the row skips the ORM.
        with engine.begin() as conn:
            conn.execute(insert(Author).values(email="c@example.com", name=""))
        with Session(engine) as db:  # a fresh session: read from the database, not the map
            rows = {a.email: a for a in db.scalars(select(Author))}
    finally:
        engine.dispose()
    for author in rows.values():
        assert author.created_at.tzinfo is UTC, (author.email, author.created_at)
        assert author.updated_at.tzinfo is UTC
    # Python's default and the database's own clock (UTC on every backend) agree.
    for email in ("a@example.com", "c@example.com"):
        assert abs(rows[email].created_at - datetime.now(UTC)) < timedelta(minutes=1), email
    assert rows["b@example.com"].created_at == datetime(2026, 7, 1, 10, 0, 0, tzinfo=UTC)


def test_a_naive_value_is_taken_as_utc(db_url: str) -> None:
    create_tables(db_url)
    engine = create_engine(db_url)
    try:
        with Session(engine) as db:
            db.add(Author(email="n@example.com", created_at=datetime(2026, 1, 2, 3, 4, 5)))
            db.commit()
        with Session(engine) as db:
            author = db.scalars(select(Author)).one()
    finally:
        engine.dispose()
    assert author.created_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_migrations_spell_it_as_the_column_type_it_stores() -> None:
    assert render_item("type", UTCDateTime(), None) == "sa.DateTime(timezone=True)"
