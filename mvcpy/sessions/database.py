"""A database session store: one row per session key, a model that migrations pick up.

Add ``"mvcpy.sessions.database"`` to ``[database] models`` so that
``mvcpy db revision --autogenerate`` creates the ``mvcpy_sessions`` table.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from mvcpy.orm.model import Model
from mvcpy.sessions.store import SessionStore

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from mvcpy.app import App

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


class DatabaseStore(SessionStore):
    """Keep sessions in the ``mvcpy_sessions`` table of the app's database."""

    def __init__(self, app: App) -> None:
        self.app = app

    @property
    def engine(self) -> Engine:
        """The app's (sync) engine."""
        return self.app.database.engine

    def create_table(self) -> None:
        """Create the table when it is missing (tests, or apps without migrations)."""
        _table.create(self.engine, checkfirst=True)

    def load(self, sid: str) -> dict[str, Any] | None:
        """Return session ``sid``'s data, or ``None`` when it is unknown or expired."""
        query = select(_table.c.key, _table.c.value).where(
            _table.c.sid == sid, _table.c.expires_at > int(time.time())
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        if not rows:
            return None
        return {key: json.loads(value) for key, value in rows if key != _MARKER}

    def save(
        self, sid: str, changed: Mapping[str, Any], deleted: Iterable[str], max_age: int
    ) -> None:
        """Replace the rows of the changed keys, drop the deleted ones, renew the expiry."""
        expires = int(time.time()) + max_age
        rows = [
            {"sid": sid, "key": key, "value": json.dumps(value), "expires_at": expires}
            for key, value in changed.items()
        ]
        touched = [*changed, *deleted, _MARKER]
        for attempt in (1, 2):
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        delete(_table).where(
                            tuple_(_table.c.sid, _table.c.key).in_([(sid, k) for k in touched])
                        )
                    )
                    marker = {"sid": sid, "key": _MARKER, "value": "null", "expires_at": expires}
                    connection.execute(insert(_table), [marker, *rows])
                    connection.execute(
                        update(_table).where(_table.c.sid == sid).values(expires_at=expires)
                    )
                break
            except IntegrityError:  # a parallel request wrote the same key first: redo
                if attempt == 2:
                    raise
        if random.randrange(PURGE_EVERY) == 0:
            self.purge_expired()

    def touch(self, sid: str, max_age: int) -> None:
        """Renew the expiry of session ``sid``."""
        with self.engine.begin() as connection:
            connection.execute(
                update(_table)
                .where(_table.c.sid == sid)
                .values(expires_at=int(time.time()) + max_age)
            )

    def delete(self, sid: str) -> None:
        """Forget session ``sid``."""
        with self.engine.begin() as connection:
            connection.execute(delete(_table).where(_table.c.sid == sid))

    def purge_expired(self) -> int:
        """Delete every expired row; return how many went."""
        with self.engine.begin() as connection:
            result = connection.execute(
                delete(_table).where(_table.c.expires_at <= int(time.time()))
            )
        return int(result.rowcount or 0)
