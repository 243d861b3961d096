"""Jinja views (kept for imports): the implementation lives in :mod:`mvcpy.views`."""

from mvcpy.views.engine import RECORD_EXTENSION, Templates

__all__ = ["RECORD_EXTENSION", "Templates"]
