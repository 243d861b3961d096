"""The models of {{ project }}: import every model module here so migrations see it."""

from {{ project }}.models.note import Note

__all__ = ["Note"]
