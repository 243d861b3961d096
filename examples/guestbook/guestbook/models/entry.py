"""An entry: one message left in the guestbook."""

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mvcpy.orm import IdMixin, Model, TimestampMixin


class Entry(IdMixin, TimestampMixin, Model):
    """A name and a message (id, created_at and updated_at come from the mixins)."""

    __tablename__ = "entries"

    name: Mapped[str] = mapped_column(String(80))
    message: Mapped[str] = mapped_column(Text)
