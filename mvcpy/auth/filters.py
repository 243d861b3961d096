"""The filters that guard routes: ``login_required`` and ``require(...)``.

Both read the one current user (``mvcpy.auth.identity``), whatever credential it came
with, and refuse the same way for every client: HTML clients without a user go to the
login page, JSON clients get 401; a user without the permission gets 403.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from mvcpy.auth.identity import load_current_user
from mvcpy.auth.permissions import has_permission
from mvcpy.auth.settings import AuthSettings
from mvcpy.errors import HTTPError
from mvcpy.filters._answer import answer_error
from mvcpy.http.response import RedirectResponse

if TYPE_CHECKING:
    from mvcpy.application import Application
    from mvcpy.context import Context
    from mvcpy.http.request import Request
    from mvcpy.http.response import Response

__all__ = ["LoginRequired", "Require", "login_required", "require"]


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    if "text/html" in accept:
        return False
    if request.headers.get("authorization"):
        return True  # credentials in a header and no page asked for: an API client
    return "json" in accept or request.content_type == "application/json"


class LoginRequired:
    """Let logged-in users through; others get a redirect to the login page or a 401.

    HTML clients are sent to ``login`` (a route name or a path) with ``next=`` set to
    the page they asked for; JSON clients get 401, and so does everyone when ``login`` is
    ``""`` (an API).
    """

    __slots__ = ("login",)

    #: the OpenAPI security scheme these routes require (mvcpy.openapi)
    openapi_security = "token"

    def __init__(self, login: str | None = None) -> None:
        #: the login route name or path; ``None`` follows ``[auth] login_route``
        self.login = login

    def bind(self, app: Application) -> None:
        """Resolve the login route from the configuration (at startup)."""
        if self.login is None:
            self.login = app.config.section_of(AuthSettings).login_route

    def refuse(self, ctx: Context) -> Awaitable[Response] | Response:
        """Answer a request that is not logged in."""
        request = ctx.request
        if _wants_json(request) or not self.login:  # "": an API, with no login page
            return answer_error(ctx, HTTPError(401, "login required"))
        target = self.login
        url = target if "/" in target else ctx.url_for(target)
        here = request.path + (f"?{request.query_string}" if request.query_string else "")
        return RedirectResponse(f"{url}?next={quote(here, safe='/')}", 302)

    def allows(self, ctx: Context, user: Any) -> bool:
        """Whether ``user`` (never ``None`` here) may go on."""
        return True

    async def __call__(
        self, ctx: Context, call_next: Callable[[Context], Awaitable[Response]]
    ) -> Response:
        user = await load_current_user(ctx)
        if user is None:
            refused = self.refuse(ctx)
            return await refused if inspect.isawaitable(refused) else refused
        if not self.allows(ctx, user):
            return await answer_error(ctx, HTTPError(403, "not allowed"))
        return await call_next(ctx)


class Require(LoginRequired):
    """Let through users who hold every one of ``permissions`` and pass ``predicate``;
    others get 403 (and nobody the login page or 401)."""

    __slots__ = ("permissions", "predicate")

    def __init__(
        self,
        permissions: tuple[str, ...] = (),
        predicate: Callable[[Any], bool] | None = None,
        login: str | None = None,
    ) -> None:
        super().__init__(login)
        self.permissions = permissions
        self.predicate = predicate

    def allows(self, ctx: Context, user: Any) -> bool:
        """Whether ``user`` holds every permission and passes the predicate."""
        if not all(has_permission(user, name) for name in self.permissions):
            return False
        return self.predicate is None or bool(self.predicate(user))

    def __repr__(self) -> str:
        return f"require({', '.join(map(repr, self.permissions))})"


#: the filter with the default login route (``[auth] login_route``)
login_required = LoginRequired()


def require(*checks: str | Callable[[Any], bool], login: str | None = None) -> Require:
    """Return a filter for users who hold every named permission and pass every predicate:
    ``require("posts.edit")``, ``require(lambda user: user.is_admin)``."""
    names = tuple(check for check in checks if isinstance(check, str))
    predicates = [check for check in checks if not isinstance(check, str)]
    if not checks:
        raise ValueError("require() needs a permission name or a predicate")

    def every(user: Any) -> bool:
        return all(predicate(user) for predicate in predicates)

    return Require(names, every if predicates else None, login)
