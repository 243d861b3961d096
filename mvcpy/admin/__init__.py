"""The model admin: list, search, filter, create, edit and delete the rows of registered
models, with permissions per model and action and an audit log (docs/admin.md).

In the project's ``admin.py``::

    from mvcpy.admin import Admin

    from blog.models.post import Post

    admin = Admin()
    admin.register(Post, list_display=["id", "title", "published"], search=["title"])
"""

from __future__ import annotations

from mvcpy.admin.component import AdminComponent
from mvcpy.admin.settings import AdminSettings
from mvcpy.admin.site import Admin, ModelAdmin

__all__ = ["Admin", "AdminComponent", "AdminSettings", "ModelAdmin"]
