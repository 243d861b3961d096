"""The admin the tests serve: posts with search, filters and order; authors with defaults."""

from __future__ import annotations

from mvcpy.admin import Admin

from .models import Author, Post

admin = Admin()
admin.register(
    Post,
    list_display=["id", "title", "published", "author_id", "rating"],
    fields=["title", "body", "published", "rating", "price", "status", "author_id", "published_at"],
    search=["title", "body"],
    filters=["published", "author_id", "status"],
    ordering=["-id"],
)
admin.register(Author)
