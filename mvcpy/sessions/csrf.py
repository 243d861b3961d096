"""CSRF protection: a per-session token, checked on unsafe methods by a filter."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

from mvcpy.errors import HTTPError
from mvcpy.filters._answer import answer_error
from mvcpy.sessions.settings import CsrfSettings
from mvcpy.sessions.tokens import CSRF_KEY, csrf_input, csrf_token
from mvcpy.translation import N_, gettext

if TYPE_CHECKING:
    from mvcpy.application import Application
    from mvcpy.context import Context
    from mvcpy.http.response import Response
    from mvcpy.routing.router import Route

__all__ = ["CSRF_KEY", "CSRFProtect", "csrf_exempt", "csrf_input", "csrf_token"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
_EXEMPT_ATTR = "__mvcpy_csrf_exempt__"
_MISSING_REASON = N_(
    "CSRF token missing: send the form's csrf_token field or an X-CSRF-Token header"
)
_INVALID_REASON = N_("CSRF token invalid: reload the page and try again")

T = TypeVar("T")


def csrf_exempt(target: T) -> T:
    """Mark a handler, controller class or namespace as not checked by :class:`CSRFProtect`."""
    setattr(target, _EXEMPT_ATTR, True)
    return target


class CSRFProtect:
    """Refuse unsafe requests (POST, PUT, PATCH, DELETE) without the session's CSRF token.

    The token comes from the ``X-CSRF-Token`` header (scripts) or the ``csrf_token`` form
    field (HTML forms). A failed check answers 403 with the reason. Routes named in
    ``exempt`` (a trailing ``*`` matches a name prefix), handlers and controllers marked
    with :func:`csrf_exempt`, and the routes of exempt namespaces are not checked.
    """

    __slots__ = ("_exempt", "exempt", "field", "header")

    def __init__(
        self,
        exempt: Iterable[str] = (),
        *,
        header: str = "X-CSRF-Token",
        field: str | None = None,
    ) -> None:
        self.exempt = tuple(exempt)
        self.header = header.lower()
        #: the form field; ``None`` follows ``[csrf] field`` of the configuration
        self.field = field
        self._exempt: frozenset[int] = frozenset()

    def bind(self, app: Application) -> None:
        """Work out the exempt routes once, at startup."""
        if self.field is None:
            self.field = app.config.section_of(CsrfSettings).field
        self._exempt = frozenset(
            id(route) for route in app.route_table.routes if self._is_exempt(route)
        )

    def _is_exempt(self, route: Route) -> bool:
        for pattern in self.exempt:
            if pattern.endswith("*"):
                if route.name.startswith(pattern[:-1]):
                    return True
            elif route.name == pattern:
                return True
        endpoint = route.endpoint
        for target in (
            getattr(endpoint, "fn", None),
            getattr(endpoint, "cls", None),
            getattr(endpoint, "action", None),
        ):
            if target is not None and getattr(target, _EXEMPT_ATTR, False):
                return True
        groups = route.namespace.chain() if route.namespace is not None else ()
        return any(getattr(group, _EXEMPT_ATTR, False) for group in groups)

    async def __call__(
        self, ctx: Context, call_next: Callable[[Context], Awaitable[Response]]
    ) -> Response:
        request = ctx.request
        if request.method in SAFE_METHODS or id(ctx.route) in self._exempt:
            return await call_next(ctx)
        session = await ctx.session.load()
        expected = session.get(CSRF_KEY)
        sent = request.headers.get(self.header)
        if not sent and request.content_type in _FORM_TYPES:
            form = await request.form()
            value = form.get(self.field or "csrf_token")
            sent = value if isinstance(value, str) else None
        if not sent:
            return await answer_error(ctx, HTTPError(403, gettext(_MISSING_REASON)))
        if not isinstance(expected, str) or not hmac.compare_digest(
            sent.encode(), expected.encode()
        ):
            return await answer_error(ctx, HTTPError(403, gettext(_INVALID_REASON)))
        return await call_next(ctx)
