"""A database session store: one row per session key, a model that migrations pick up.

Add ``"mvcpy.sessions.database"`` to ``[database] models`` so that
``mvcpy generate migration "sessions"`` writes the revision that creates the
``mvcpy_sessions`` table.
"""

from __future__ import annotations

import contextlib
import json
import random
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    String,
    Table,
    Text,
    delete,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from mvcpy.errors import ConfigurationError
from mvcpy.orm.availability import unavailable
from mvcpy.orm.model import Model
from mvcpy.sessions.store import SessionStore

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from mvcpy.orm.database import Database

__all__ = ["DatabaseStore", "SessionRecord"]

#: the key of the row that marks a session as existing (it holds no value)
_MARKER = ""
#: on average one save in this many also deletes every expired row
PURGE_EVERY = 200


class SessionRecord(Model):
    """One key of one session: ``(sid, key) -> JSON value``, with its expiry time."""

    __tablename__ = "mvcpy_sessions"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="null")
    #: seconds since the epoch (an integer compares the same on every database)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)


_table: Table = SessionRecord.__table__  # type: ignore[assignment]


def _upsert(dialect: str) -> Any:
    """Return an INSERT that replaces the value of an existing (sid, key) row."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        pg = pg_insert(_table)
        return pg.on_conflict_do_update(
            index_elements=["sid", "key"],
            set_={"value": pg.excluded.value, "expires_at": pg.excluded.expires_at},
        )
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        lite = sqlite_insert(_table)
        return lite.on_conflict_do_update(
            index_elements=["sid", "key"],
            set_={"value": lite.excluded.value, "expires_at": lite.excluded.expires_at},
        )
    if dialect in ("mysql", "mariadb"):
        from sqlalchemy.dialects.mysql import insert as mysql_insert

        mysql = mysql_insert(_table)
        return mysql.on_duplicate_key_update(
            value=mysql.inserted.value, expires_at=mysql.inserted.expires_at
        )
    raise ConfigurationError(
        f"the database session store supports PostgreSQL, MariaDB/MySQL and SQLite, not "
        f"{dialect}; use the redis or cookie session backend"
    )


class DatabaseStore(SessionStore):
    """Keep sessions in the ``mvcpy_sessions`` table of the app's database."""

    def __init__(self, database: Database) -> None:
        self.database = database
        # Checked here, at startup, so an unsupported database stops the app instead of
        # failing the first request that saves a session.
        self._upsert = _upsert(self.engine.dialect.name)

    @property
    def engine(self) -> Engine:
        """The app's (sync) engine."""
        return self.database.engine

    @contextlib.contextmanager
    def _connection(self, write: bool = True) -> Iterator[Connection]:
        """A connection (in a transaction when ``write``); a database that is unavailable
        is a 503, as for actions (mvcpy.orm.availability), not a 500."""
        try:
            with self.engine.begin() if write else self.engine.connect() as connection:
                yield connection
        except Exception as exc:
            answer = unavailable(exc, "the session store", self.database.unavailable_log)
            if answer is None:
                raise
            raise answer from exc

    def create_table(self) -> None:
        """Create the table when it is missing (tests, or apps without migrations)."""
        _table.create(self.engine, checkfirst=True)

    def load(self, sid: str) -> dict[str, Any] | None:
        """Return session ``sid``'s data, or ``None`` when it is unknown or expired."""
        query = select(_table.c.key, _table.c.value, _table.c.expires_at).where(_table.c.sid == sid)
        with self._connection(write=False) as connection:
            rows = connection.execute(query).all()
        marker = [expires for key, _, expires in rows if key == _MARKER]
        if not marker or marker[0] <= int(time.time()):
            return None
        return {key: json.loads(value) for key, value, _ in rows if key != _MARKER}

    def save(
        self, sid: str, changed: Mapping[str, Any], deleted: Iterable[str], max_age: int
    ) -> None:
        """Upsert the changed keys, delete the deleted ones and renew the expiry."""
        expires = int(time.time()) + max_age
        # The marker row goes first: parallel saves of one session queue on its lock,
        # always in the same order, so they never deadlock.
        rows = [{"sid": sid, "key": _MARKER, "value": "null", "expires_at": expires}]
        rows += [
            {"sid": sid, "key": key, "value": json.dumps(changed[key]), "expires_at": expires}
            for key in sorted(changed)
        ]
        gone = [key for key in deleted if key not in changed]
        with self._connection() as connection:
            connection.execute(self._upsert, rows)
            if gone:
                connection.execute(
                    delete(_table).where(_table.c.sid == sid, _table.c.key.in_(gone))
                )
        if random.randrange(PURGE_EVERY) == 0:
            self.purge_expired()

    def update(
        self, sid: str, changed: Mapping[str, Any], deleted: Iterable[str], max_age: int
    ) -> bool:
        """Like :meth:`save` if session ``sid`` still exists, in one transaction.

        The marker row's expiry is renewed first, only while it has not passed: no
        marker (deleted) or an expired one means the session is gone, and nothing is
        written. The renewal locks the marker row until the commit, so a parallel
        :meth:`delete` waits for this update or this update waits for it and finds no
        marker.
        """
        now = int(time.time())
        expires = now + max_age
        renew = (
            update(_table)
            .where(_table.c.sid == sid, _table.c.key == _MARKER, _table.c.expires_at > now)
            .values(expires_at=expires)
        )
        rows = [
            {"sid": sid, "key": key, "value": json.dumps(changed[key]), "expires_at": expires}
            for key in sorted(changed)
        ]
        gone = [key for key in deleted if key not in changed]
        with self._connection() as connection:
            # MySQL/MariaDB count matched rows here too (SQLAlchemy sets FOUND_ROWS).
            if connection.execute(renew).rowcount != 1:
                return False
            if rows:
                connection.execute(self._upsert, rows)
            if gone:
                connection.execute(
                    delete(_table).where(_table.c.sid == sid, _table.c.key.in_(gone))
                )
        if random.randrange(PURGE_EVERY) == 0:
            self.purge_expired()
        return True

    def touch(self, sid: str, max_age: int) -> None:
        """Renew the expiry of session ``sid``."""
        with self._connection() as connection:
            connection.execute(
                update(_table)
                .where(_table.c.sid == sid, _table.c.key == _MARKER)
                .values(expires_at=int(time.time()) + max_age)
            )

    def delete(self, sid: str) -> None:
        """Forget session ``sid``."""
        with self._connection() as connection:
            # The marker first: it waits for an update of this session that holds it,
            # and the second statement then also sees the rows that update wrote.
            connection.execute(delete(_table).where(_table.c.sid == sid, _table.c.key == _MARKER))
            connection.execute(delete(_table).where(_table.c.sid == sid))

    def purge_expired(self) -> int:
        """Delete every expired row; return how many went."""
        expired = select(_table.c.sid).where(
            _table.c.key == _MARKER, _table.c.expires_at <= int(time.time())
        )
        with self._connection() as connection:
            sids = [row[0] for row in connection.execute(expired)]
            if not sids:
                return 0
            result = connection.execute(delete(_table).where(_table.c.sid.in_(sids)))
        return int(result.rowcount or 0)
