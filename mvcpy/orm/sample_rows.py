"""Rows for tests: ``make_row(db, Post)`` stores a post with a value in every required column.

Django users reach for model_bakery, Rails users for fixtures: a test that needs "some
post" for a comment to belong to should not have to know every column of ``Post``.
Columns that are nullable, have a default or are given keep theirs; a required foreign
key gets a row of its own, made the same way.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import itertools
from typing import Any, TypeVar

from sqlalchemy import JSON, inspect
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import Column

__all__ = ["make_row"]

_T = TypeVar("_T")
_serial = itertools.count(1)


def _sample(column: Column[Any], number: int) -> Any:
    """A value ``column`` accepts, distinct per call for texts and numbers."""
    if isinstance(column.type, JSON):
        return {}
    try:
        kind = column.type.python_type
    except NotImplementedError:
        kind = object
    if issubclass(kind, enum.Enum):
        return next(iter(kind))
    if kind is bool:
        return False
    if kind is str:
        text = f"{column.name} {number}"
        length = getattr(column.type, "length", None)
        return text[-length:] if length else text
    if kind is int:
        return number
    if kind is float:
        return float(number)
    if kind is decimal.Decimal:
        return decimal.Decimal(number)
    if kind is datetime.datetime:
        return datetime.datetime(2024, 1, 1, 12, 0) + datetime.timedelta(minutes=number)
    if kind is datetime.date:
        return datetime.date(2024, 1, 1) + datetime.timedelta(days=number % 3650)
    if kind is datetime.time:
        return datetime.time(12, number % 60)
    if kind is bytes:
        return f"{column.name} {number}".encode()
    raise TypeError(
        f"make_row cannot invent a value for {column.table.name}.{column.name} "
        f"({column.type}): pass it, make_row(db, Model, {column.name}=...)"
    )


def _needs_value(column: Column[Any]) -> bool:
    if column.nullable or column.default is not None or column.server_default is not None:
        return False
    # An integer primary key is the database's to number.
    return not (column.primary_key and column.autoincrement in (True, "auto"))


def make_row(db: Session, model: type[_T], /, **values: Any) -> _T:
    """Store and return a ``model`` row with ``values`` and a sample in every other
    required column; a required foreign key gets a new referenced row (flushed, not
    committed: the test's transaction decides)."""
    mapper = inspect(model)
    columns = {attr.key: attr.columns[0] for attr in mapper.column_attrs}
    number = next(_serial)
    for key, column in columns.items():
        if key in values or not _needs_value(column):
            continue
        foreign = next(iter(column.foreign_keys), None)
        if foreign is None:
            values[key] = _sample(column, number)
            continue
        target = next(
            (m.class_ for m in mapper.registry.mappers if foreign.column.table in m.tables),
            None,
        )
        if target is None:
            raise TypeError(
                f"make_row: no model maps {foreign.column.table.name}, which "
                f"{model.__name__}.{key} references: pass {key}=..."
            )
        parent = make_row(db, target)
        values[key] = getattr(parent, inspect(target).get_property_by_column(foreign.column).key)
    row = model(**values)
    db.add(row)
    db.flush()
    return row
