"""The settings of the model admin: ``[admin]``."""

from __future__ import annotations

from pydantic import PositiveInt

from mvcpy.config.section import Section

__all__ = ["AdminSettings"]


class AdminSettings(Section):
    """``[admin]``: list, create, edit and delete pages for the registered models
    (docs/admin.md). On when the project declares them (its ``admin`` module, or ``site``)."""

    #: serve the admin; unset: when the project has an ``admin`` module (or ``site`` is set)
    enabled: bool | None = None
    #: where
    path: str = "/admin"
    #: the registrations, as ``"module:attribute"`` (an :class:`~mvcpy.admin.Admin`);
    #: "" is the project's ``admin`` module, attribute ``admin``
    site: str = ""
    #: the permission a user needs to enter the admin at all (Django's "staff")
    permission: str = "admin.access"
    #: rows on a list page
    per_page: PositiveInt = 25
    #: a foreign key is a select of the rows it may point to up to this many rows, and an
    #: id to type beyond
    select_limit: PositiveInt = 200
