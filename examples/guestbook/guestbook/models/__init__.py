"""The guestbook's models: import every model module here so migrations see it."""

from guestbook.models.entry import Entry

__all__ = ["Entry"]
