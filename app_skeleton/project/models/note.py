"""A note: the first model of {{ project }}; change it or replace it with your own."""

from mvcpy.orm import IdMixin, Model, TimestampMixin
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column


class Note(IdMixin, TimestampMixin, Model):
    """A titled note (id, created_at and updated_at come from the mixins)."""

    __tablename__ = "notes"

    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
