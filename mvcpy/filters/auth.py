"""HTTP Basic and Bearer authentication filters with a user-supplied check."""

from __future__ import annotations

import base64
import binascii
import hmac
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from mvcpy.errors import HTTPError
from mvcpy.filters._answer import answer_error

if TYPE_CHECKING:
    from mvcpy.context import Context
    from mvcpy.filters.chain import CallNext
    from mvcpy.http.response import Response

__all__ = ["BasicAuth", "BearerAuth", "constant_time_equal"]

BasicCheck = Callable[[str, str], Any]
TokenCheck = Callable[[str], Any]


def constant_time_equal(a: str, b: str) -> bool:
    """Compare two secrets in time that does not depend on where they differ."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


async def _call(check: Callable[..., Any], *args: str) -> Any:
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
        response: Response = await call_next(ctx)
        return response

    def __repr__(self) -> str:
        return f"BasicAuth(realm={self.realm!r})"


class BearerAuth:
    """Require ``Authorization: Bearer <token>`` that ``check(token)`` accepts.

    ``check`` returns the principal (stored in ``ctx.state.user``) or a falsy value;
    ``BearerAuth(tokens=[...])`` accepts a fixed set, compared in constant time.
    """

    __slots__ = ("_challenge", "_invalid", "check", "realm")

    def __init__(
        self,
        check: TokenCheck | None = None,
        *,
        tokens: Iterable[str] | None = None,
        realm: str = "mvcpy",
    ) -> None:
        if (check is None) == (tokens is None):
            raise ValueError("BearerAuth needs exactly one of check=... or tokens=[...]")
        self.check: TokenCheck = check if check is not None else _TokenSet(tokens or ())
        self.realm = realm
        self._challenge = {"www-authenticate": f'Bearer realm="{realm}"'}
        self._invalid = {"www-authenticate": f'Bearer realm="{realm}", error="invalid_token"'}

    async def __call__(self, ctx: Context, call_next: CallNext) -> Response:
        """Check the token, then run the chain."""
        header = ctx.request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return await answer_error(ctx, HTTPError(401, "Bearer token required", self._challenge))
        user = await _call(self.check, token)
        if not user:
            return await answer_error(ctx, HTTPError(401, "Invalid token", self._invalid))
        ctx.state["user"] = user
        response: Response = await call_next(ctx)
        return response

    def __repr__(self) -> str:
        return f"BearerAuth(realm={self.realm!r})"
