"""The admin's audit log: one row per create, edit and delete, written in the same
transaction as the change (so a change that rolls back leaves no entry, and an entry
never describes a change that did not happen)."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from mvcpy.orm.types import UTCDateTime

__all__ = ["TABLE", "Entry", "changes_of", "create", "drop", "entries", "record"]

_metadata = sa.MetaData()

#: ``admin_log``: who changed which row of which model, when, and what changed
TABLE = sa.Table(
    "admin_log",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UTCDateTime(), nullable=False, index=True),
    sa.Column("user_id", sa.String(64), nullable=True),
    sa.Column("user", sa.String(200), nullable=False),
    sa.Column("model", sa.String(100), nullable=False),
    sa.Column("object_id", sa.String(64), nullable=False),
    sa.Column("object", sa.String(200), nullable=False),
    sa.Column("action", sa.String(10), nullable=False),
    sa.Column("changes", sa.Text, nullable=False),
    sa.Index("ix_admin_log_model_object_id", "model", "object_id"),
)


@dataclass(frozen=True)
class Entry:
    """One line of the audit log."""

    id: int
    at: datetime
    user_id: str | None
    user: str
    model: str
    object_id: str
    object: str
    action: str
    changes: dict[str, Any]


def create(bind: sa.Connection) -> None:
    """Create the table (the revision ``mvcpy generate admin`` writes calls it)."""
    _metadata.create_all(bind, tables=[TABLE])


def drop(bind: sa.Connection) -> None:
    """Drop the table (the revision's downgrade)."""
    _metadata.drop_all(bind, tables=[TABLE])


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, enum.Enum):
        return value.name
    return str(value)


def changes_of(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """``{field: [old, new]}`` for the fields whose value changed."""
    return {
        name: [_json_value(before.get(name)), _json_value(value)]
        for name, value in after.items()
        if before.get(name) != value
    }


def record(
    db: Any,
    *,
    user: Any,
    model: str,
    object_id: Any,
    title: str,
    action: str,
    changes: dict[str, Any],
) -> None:
    """Add an entry to ``db``'s transaction (``action``: create, edit or delete)."""
    user_id = getattr(user, "id", user)
    name = getattr(user, "email", None) or getattr(user, "name", None) or str(user_id)
    db.execute(
        TABLE.insert().values(
            at=datetime.now(UTC),
            user_id=None if user_id is None else str(user_id)[:64],
            user=str(name)[:200],
            model=model[:100],
            object_id=str(object_id)[:64],
            object=title[:200],
            action=action,
            changes=json.dumps(changes, ensure_ascii=False, default=str),
        )
    )


def entries(
    db: Any, *, model: str | None = None, object_id: Any = None, limit: int = 50, before: int = 0
) -> list[Entry]:
    """The newest entries (of ``model``, of one of its rows), ``before`` an entry's id."""
    query = sa.select(TABLE).order_by(TABLE.c.id.desc()).limit(limit)
    if model is not None:
        query = query.where(TABLE.c.model == model)
    if object_id is not None:
        query = query.where(TABLE.c.object_id == str(object_id))
    if before:
        query = query.where(TABLE.c.id < before)
    rows = db.execute(query).mappings().all()
    return [Entry(**{**row, "changes": json.loads(row["changes"])}) for row in rows]
