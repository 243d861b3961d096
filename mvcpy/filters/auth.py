"""HTTP Basic and Bearer authentication filters with a user-supplied check."""

from __future__ import annotations

import base64
import binascii
import hmac
import inspect
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from mvcpy.errors import HTTPError
from mvcpy.filters._answer import answer_error
from mvcpy.types import USER_KEY

if TYPE_CHECKING:
    from mvcpy.context import Context
    from mvcpy.filters.chain import CallNext
    from mvcpy.http.response import Response

__all__ = ["BasicAuth", "BearerAuth", "constant_time_equal", "takes_context"]

BasicCheck = Callable[[str, str], Any]
TokenCheck = Callable[..., Any]


def constant_time_equal(a: str, b: str) -> bool:
    """Compare two secrets in time that does not depend on where they differ."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


@lru_cache(maxsize=256)
def takes_context(check: Callable[..., Any]) -> bool:
    """Whether a check or loader takes the request context as its second argument."""
    try:
        parameters = list(inspect.signature(check).parameters.values())
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in parameters)


async def _call(check: Callable[..., Any], *args: Any) -> Any:
    result = check(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


class _UserTable:
    """A fixed set of credentials checked in constant time."""

    __slots__ = ("users",)

    def __init__(self, users: Mapping[str, str]) -> None:
        self.users = dict(users)

    def __call__(self, username: str, password: str) -> Any:
        found = None
        for name, secret in self.users.items():  # every entry compared: no early exit
            if constant_time_equal(name, username) & constant_time_equal(secret, password):
                found = name
        return found


class _TokenSet:
    __slots__ = ("tokens",)

    def __init__(self, tokens: Iterable[str]) -> None:
        self.tokens = tuple(tokens)

    def __call__(self, token: str) -> Any:
        ok = False
        for candidate in self.tokens:
            ok |= constant_time_equal(candidate, token)
        return ok or None


class BasicAuth:
    """Require HTTP Basic credentials that ``check(username, password)`` accepts.

    ``check`` (sync or async) returns the user (anything truthy, stored in
    ``ctx.state.user``) or a falsy value to refuse. ``BasicAuth(users={...})`` checks
    a fixed table in constant time. A refusal is ``401`` with ``WWW-Authenticate``.
    """

    __slots__ = ("_challenge", "check", "realm")

    #: the OpenAPI security scheme these routes require (mvcpy.openapi)
    openapi_security = "basic"

    def __init__(
        self,
        check: BasicCheck | None = None,
        *,
        users: Mapping[str, str] | None = None,
        realm: str = "mvcpy",
    ) -> None:
        if (check is None) == (users is None):
            raise ValueError("BasicAuth needs exactly one of check=... or users={...}")
        self.check: BasicCheck = check if check is not None else _UserTable(users or {})
        self.realm = realm
        self._challenge = {"www-authenticate": f'Basic realm="{realm}", charset="UTF-8"'}

    async def __call__(self, ctx: Context, call_next: CallNext) -> Response:
        """Check the credentials, then run the chain."""
        header = ctx.request.headers.get("authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic" or not encoded:
            return await answer_error(
                ctx, HTTPError(401, "Authentication required", self._challenge)
            )
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return await answer_error(
                ctx, HTTPError(401, "Malformed Basic credentials", self._challenge)
            )
        username, sep, password = decoded.partition(":")
        if not sep:
            return await answer_error(
                ctx, HTTPError(401, "Malformed Basic credentials", self._challenge)
            )
        user = await _call(self.check, username, password)
        if not user:
            return await answer_error(ctx, HTTPError(401, "Invalid credentials", self._challenge))
        ctx.state["user"] = username if user is True else user
        ctx.__dict__[USER_KEY] = ctx.state["user"]
        response: Response = await call_next(ctx)
        return response

    def __repr__(self) -> str:
        return f"BasicAuth(realm={self.realm!r})"


class BearerAuth:
    """Require ``Authorization: Bearer <token>`` that ``check(token)`` accepts.

    ``check(token)`` or ``check(token, ctx)`` (sync or async) returns the principal, or a
    falsy value to refuse; the principal is ``ctx.state.user`` and the request's current
    user (``current_user``, permissions). ``BearerAuth(tokens=[...])`` accepts a fixed set,
    compared in constant time. ``scheme`` names the accepted scheme(s) (``"Token"``,
    ``("Bearer", "Token")``); ``optional=True`` lets requests without the header through
    anonymously, while a wrong token is still 401.
    """

    __slots__ = ("_challenge", "_invalid", "_schemes", "_with_ctx", "check", "optional", "realm")

    def __init__(
        self,
        check: TokenCheck | None = None,
        *,
        tokens: Iterable[str] | None = None,
        realm: str = "mvcpy",
        scheme: str | Iterable[str] = "Bearer",
        optional: bool = False,
    ) -> None:
        if (check is None) == (tokens is None):
            raise ValueError("BearerAuth needs exactly one of check=... or tokens=[...]")
        self.check: TokenCheck = check if check is not None else _TokenSet(tokens or ())
        self._with_ctx = check is not None and takes_context(check)
        self.realm = realm
        schemes = (scheme,) if isinstance(scheme, str) else tuple(scheme)
        if not schemes:
            raise ValueError("BearerAuth needs at least one scheme")
        self._schemes = frozenset(s.lower() for s in schemes)
        self.optional = optional
        self._challenge = {"www-authenticate": f'{schemes[0]} realm="{realm}"'}
        self._invalid = {"www-authenticate": f'{schemes[0]} realm="{realm}", error="invalid_token"'}

    async def __call__(self, ctx: Context, call_next: CallNext) -> Response:
        """Check the token, then run the chain."""
        header = ctx.request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() not in self._schemes or not token:
            if self.optional and (not header or scheme.lower() not in self._schemes):
                anonymous: Response = await call_next(ctx)
                return anonymous
            return await answer_error(ctx, HTTPError(401, "Bearer token required", self._challenge))
        user = await (_call(self.check, token, ctx) if self._with_ctx else _call(self.check, token))
        if not user:
            return await answer_error(ctx, HTTPError(401, "Invalid token", self._invalid))
        ctx.state["user"] = user
        ctx.__dict__[USER_KEY] = user
        response: Response = await call_next(ctx)
        return response

    @property
    def openapi_security(self) -> str | None:
        """The OpenAPI security scheme these routes require (none when optional)."""
        return None if self.optional else "token"

    def __repr__(self) -> str:
        return f"BearerAuth(realm={self.realm!r})"
