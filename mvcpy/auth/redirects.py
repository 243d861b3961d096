"""Where a user may be sent after logging in: ``safe_next`` and ``check_redirect``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mvcpy.auth.settings import AuthSettings
from mvcpy.errors import HTTPError
from mvcpy.redirects import is_safe_url, unsafe_reason

if TYPE_CHECKING:
    from mvcpy.application import Application
    from mvcpy.context import Context

__all__ = ["check_redirect", "safe_next"]


def _redirect_hosts(app: Application) -> tuple[str, ...]:
    return tuple(h.lower() for h in app.config.section_of(AuthSettings).redirect_hosts)


def safe_next(ctx: Context, default: str = "/") -> str:
    """Return the ``next`` query or form value when it is a safe target (mvcpy.redirects),
    else ``default``; a page to send a user back to after logging in."""
    target = ctx.request.query.get("next") or ""
    if not target:
        form = ctx.request._form
        value = form.get("next") if form is not None else None
        target = value if isinstance(value, str) else ""
    if target and is_safe_url(target, ctx.request.host, _redirect_hosts(ctx.app)):
        return target
    return default


def check_redirect(ctx: Context, url: str) -> None:
    """Raise 400, saying why, when ``url`` is no safe redirect target (mvcpy.redirects):
    another host that ``[auth] redirect_hosts`` lacks, another scheme, ``//host``..."""
    reason = unsafe_reason(url, ctx.request.host, _redirect_hosts(ctx.app))
    if reason is not None:
        raise HTTPError(400, f"Refusing to redirect: {reason}")
