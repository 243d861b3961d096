"""Models of the ORM tests; table names carry an ``orm_`` prefix."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from mvcpy.orm import IdMixin, Model, TimestampMixin


class Author(IdMixin, TimestampMixin, Model):
    __tablename__ = "orm_authors"

    email: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(80), default="")


class Note(IdMixin, Model):
    __tablename__ = "orm_notes"

    author_id: Mapped[int] = mapped_column(ForeignKey("orm_authors.id"))
    text: Mapped[str] = mapped_column(String(200))


class Counter(Model):
    __tablename__ = "orm_counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


TABLES = [Author.__table__, Note.__table__, Counter.__table__]
