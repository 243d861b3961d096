"""Permissions: ``user.has_permission(name)`` and ownership, for filters, actions and templates.

A user grants a permission when it has a ``has_permission(name)`` method that says so
(the generated ``User`` asks its roles). An object is the user's own when its owner
field (``[auth] owner_field``, ``user_id``) holds the user's id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mvcpy.auth.identity import current_user
from mvcpy.auth.settings import AuthSettings
from mvcpy.errors import HTTPError

if TYPE_CHECKING:
    from mvcpy.context import Context

__all__ = ["authorize", "can", "has_permission", "owns", "user_can"]

_NOTHING: Any = object()


def has_permission(user: Any, permission: str) -> bool:
    """Whether ``user`` (``None`` for nobody) holds ``permission``."""
    check = getattr(user, "has_permission", None)
    return bool(check(permission)) if user is not None and check is not None else False


def owns(user: Any, obj: Any, field: str = "user_id") -> bool:
    """Whether ``obj``'s ``field`` holds ``user``'s id."""
    if user is None or obj is None:
        return False
    owner = getattr(obj, field, _NOTHING)
    user_id = getattr(user, "id", user)
    return owner is not _NOTHING and owner is not None and owner == user_id


def user_can(
    user: Any, permission: str | None = None, *, owner_of: Any = None, owner_field: str = "user_id"
) -> bool:
    """Whether ``user`` holds ``permission`` or owns ``owner_of`` (either one is enough).

    With neither given, whether there is a user at all.
    """
    if user is None:
        return False
    if permission is None and owner_of is None:
        return True
    if permission is not None and has_permission(user, permission):
        return True
    return owner_of is not None and owns(user, owner_of, owner_field)


def _owner_field(ctx: Context) -> str:
    return ctx.app.config.section_of(AuthSettings).owner_field


def can(ctx: Context, permission: str | None = None, *, owner_of: Any = None) -> bool:
    """Whether this request's user holds ``permission`` or owns ``owner_of``; ``can`` in
    templates: ``{% if can("posts.edit", owner_of=post) %}``."""
    return user_can(current_user(ctx), permission, owner_of=owner_of, owner_field=_owner_field(ctx))


def authorize(ctx: Context, permission: str | None = None, *, owner_of: Any = None) -> Any:
    """Return the user when :func:`can` says yes; else 401 for nobody, 403 for a user."""
    user = current_user(ctx)
    if user is None:
        raise HTTPError(401, "login required")
    if not user_can(user, permission, owner_of=owner_of, owner_field=_owner_field(ctx)):
        raise HTTPError(403, "not allowed")
    return user
